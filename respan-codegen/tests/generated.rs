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

/// Tools and outputs: `[tools.<name>]` reaches the `#[respan_tool]` through a
/// module alias that names the file and line (rustc shows it when the function
/// is missing or not a tool), every agent listing a tool is offered it, and
/// `Output` has one variant per agent.
#[test]
fn generated_tools_and_outputs() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tools_and_outputs.toml");
    let checked = respan_codegen::check_file(&path, "tests/fixtures/tools_and_outputs.toml");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    let mut options = Options::new("tests/fixtures/tools_and_outputs.toml");
    options.source = Some(checked.source.clone());
    let code = generate::file(checked.spec.as_ref().unwrap(), &options).unwrap();
    syn::parse_file(code.split_once('\n').unwrap().1).unwrap();
    insta::assert_snapshot!(code);
}

/// `[vars]`: a variable with a default gets it; `Vars::new` takes the others.
#[test]
fn generated_vars_with_some_defaults() {
    let checked = respan_codegen::check_source(
        "workflows/greeter.toml",
        r#"
[workflow]
entry = "greeter"

[vars]
product = "Respan"
tone = "friendly"

[agents.greeter]
instructions = "Greet {{ customer }} in a {{ tone }} tone on behalf of {{ product }}."
"#,
    );
    assert!(!checked.has_errors(), "{}", checked.render(false));
    let code = generate::file(
        checked.spec.as_ref().unwrap(),
        &Options::new("workflows/greeter.toml"),
    )
    .unwrap();
    let vars = &code[code.find("    /// Template variables").unwrap()
        ..code.find("    /// The `greeter` workflow").unwrap()];
    insta::assert_snapshot!(vars);
}

/// `[[tests]]` as `#[test]`s (`workflow!(.., tests)`, `Builder::emit_tests`):
/// the test's variables over the `[vars]` defaults, its start agent, each
/// expectation with the file, line and text it is written at; nothing is
/// generated without the option.
#[test]
fn generated_tests() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows/support.toml");
    let checked = respan_codegen::check_file(&path, "workflows/support.toml");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    let mut options = Options::new("workflows/support.toml");
    let without = generate::expand(&checked, "support", &options);
    assert!(!without.tokens.to_string().contains("cfg (test)"));
    options.tests = true;
    let expansion = generate::expand(&checked, "support", &options);
    assert!(expansion.errors.is_empty(), "{:?}", expansion.errors);
    let code = generate::pretty("workflows/support.toml", expansion.tokens);
    syn::parse_file(code.split_once('\n').unwrap().1).unwrap();
    let tests = &code[code.find("    /// The `[[tests]]`").unwrap()..];
    insta::assert_snapshot!(tests);
}

/// Structured output fields and tools: JSON values as JSON text, tool names as strings.
#[test]
fn generated_tests_of_outputs_and_tools() {
    let checked = respan_codegen::check_source(
        "workflows/ticket.toml",
        r#"
[workflow]
entry = "triage"

[agents.triage]
instructions = "Route."
handoffs = ["technical"]

[agents.technical]
tools = ["diagnose"]
output.schema = { type = "object", properties = { severity = { type = "string" }, steps = { type = "array" }, meta = { type = "object" } } }

[tools.diagnose]
description = "Diagnose."

[[tests]]
name = "diagnoses"
input = "It fails."
tools_called = ["diagnose"]
output = { severity = "high", steps = [1, 2.5], meta.score = 0.5, meta."a/b" = true }
output_matches = "(?i)high"
"#,
    );
    assert!(!checked.has_errors(), "{}", checked.render(false));
    let mut options = Options::new("workflows/ticket.toml");
    options.tests = true;
    let expansion = generate::expand(&checked, "ticket", &options);
    assert!(expansion.errors.is_empty(), "{:?}", expansion.errors);
    let code = generate::pretty("workflows/ticket.toml", expansion.tokens);
    let tests = &code[code.find("    /// The `[[tests]]`").unwrap()..];
    insta::assert_snapshot!(tests);
}

/// `instructions_fn`: each agent's function goes through a checker named after
/// its TOML line (rustc names it when the signature does not fit); an agent's
/// own `instructions` replaces the `[defaults]` function.
#[test]
fn generated_instructions_fns() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/instructions_fn.toml");
    let checked = respan_codegen::check_file(&path, "tests/fixtures/instructions_fn.toml");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    let mut options = Options::new("tests/fixtures/instructions_fn.toml");
    options.source = Some(checked.source.clone());
    let code = generate::file(checked.spec.as_ref().unwrap(), &options).unwrap();
    syn::parse_file(code.split_once('\n').unwrap().1).unwrap();
    insta::assert_snapshot!(code);
}

/// Agent tools (`.agent_tool(..)` in the order of `tools`, no Rust binding)
/// and every handoff option: the handoffs of an agent with options are added
/// once it has its context, typed inputs ride in the handoff enum's variants,
/// and each Rust function goes through a checker named after its TOML line.
#[test]
fn generated_agent_tools_and_handoff_options() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose.toml");
    let checked = respan_codegen::check_file(&path, "tests/fixtures/compose.toml");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    assert!(checked.diagnostics.is_empty(), "{}", checked.render(false));
    let mut options = Options::new("tests/fixtures/compose.toml");
    options.source = Some(checked.source.clone());
    let code = generate::file(checked.spec.as_ref().unwrap(), &options).unwrap();
    syn::parse_file(code.split_once('\n').unwrap().1).unwrap();
    insta::assert_snapshot!(code);
}
