//! The workflow parser and checker (what `respan check`, build.rs and `workflow!`
//! run) on arbitrary bytes: diagnostics, never a panic; rendering too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let checked = respan_codegen::check_bytes("workflows/fuzz.toml", data);
    let _ = checked.render(false);
    let _ = checked.to_json();
    for diagnostic in &checked.diagnostics {
        let _ = checked.location(diagnostic.span);
    }
    if let Some(spec) = &checked.spec {
        let _ = respan_codegen::graph::mermaid(spec);
    }
    let options = respan_codegen::generate::Options::new("workflows/fuzz.toml");
    let _ = respan_codegen::generate::expand(&checked, "fuzz", &options);
});
