//! Snapshots of the code generated for every workflow in workflows/: what
//! `workflow!` and build.rs produce, reviewed like any other code change
//! (`cargo insta review`).

use respan_codegen::generate::{self, Options};

#[test]
fn generated_code_of_every_workflow() {
    insta::glob!("../../workflows", "*.toml", |path| {
        let name = path.file_name().unwrap().to_string_lossy();
        let display = format!("workflows/{name}");
        let checked = respan_codegen::check_file(path, &display);
        assert!(!checked.has_errors(), "{}", checked.render(false));
        let code = generate::file(checked.spec.as_ref().unwrap(), &Options::new(display)).unwrap();
        // What the compiler sees must parse: the snapshot is the pretty-printed file.
        syn::parse_file(code.split_once('\n').unwrap().1).unwrap();
        insta::assert_snapshot!(code);
    });
}

/// Tool bindings: `[tools.<name>]` reaches the Rust function through a module
/// alias that names the file and line (rustc shows it when the function is missing).
#[test]
fn generated_tool_bindings() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui/pass/tools.toml");
    let checked = respan_codegen::check_file(&path, "tests/ui/pass/tools.toml");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    let mut options = Options::new("tests/ui/pass/tools.toml");
    options.source = Some(checked.source.clone());
    let code = generate::file(checked.spec.as_ref().unwrap(), &options).unwrap();
    let tools = &code[code.find("pub mod __tools").unwrap()..];
    let tools = &tools[..tools.find("\n    }\n").unwrap() + 6];
    insta::assert_snapshot!(tools);
}
