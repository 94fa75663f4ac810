//! `respan graph`: the handoff graph as Mermaid or DOT.

use std::path::Path;
use std::process::ExitCode;

use respan_codegen::check_file;

use crate::GraphFormat;

pub(crate) fn run(file: &Path, format: GraphFormat) -> ExitCode {
    let checked = check_file(file, &file.to_string_lossy());
    let Some(spec) = checked.spec.as_ref().filter(|_| !checked.has_errors()) else {
        eprint!("{}", checked.render(false));
        eprintln!("error: cannot draw `{}`: it has errors", checked.path);
        return ExitCode::FAILURE;
    };
    let text = match format {
        GraphFormat::Mermaid => respan_codegen::graph::mermaid(spec),
        GraphFormat::Dot => respan_codegen::graph::dot(spec),
    };
    print!("{text}");
    ExitCode::SUCCESS
}
