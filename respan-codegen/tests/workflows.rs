//! Every workflow shipped in `workflows/` is clean: no errors, no warnings.

use std::path::Path;

fn workflow_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("workflows/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_workflow_is_clean() {
    let files = workflow_files();
    assert!(
        files.len() >= 5,
        "expected the guide's five scenarios, found {files:?}"
    );
    for file in files {
        let display = format!("workflows/{}", file.file_name().unwrap().to_string_lossy());
        let checked = respan_codegen::check_file(&file, &display);
        assert!(
            checked.diagnostics.is_empty(),
            "{display} is not clean:\n{}",
            checked.render(false)
        );
        let spec = checked.spec.expect("a clean file has a spec");
        assert_eq!(
            spec.workflow.name.value,
            file.file_stem().unwrap().to_string_lossy(),
            "workflow name matches the file stem"
        );
    }
}

#[test]
fn support_has_the_guide_shape() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows/support.toml");
    let checked = respan_codegen::check_file(&path, "workflows/support.toml");
    let spec = checked.spec.unwrap();
    let ids: Vec<&str> = spec.agents.iter().map(|a| a.id.value.as_str()).collect();
    assert_eq!(ids, ["triage", "billing", "technical"]);
    let triage = spec.entry_agent().unwrap();
    assert_eq!(triage.name.value, "Triage Agent");
    let targets: Vec<&str> = triage.handoffs.iter().map(|h| h.value.as_str()).collect();
    assert_eq!(targets, ["billing", "technical"]);
    let technical = spec.agent("technical").unwrap();
    assert_eq!(
        technical.handoff_description.as_ref().unwrap().value,
        "Technical support and API problems"
    );
    let template = technical.instructions.as_ref().unwrap();
    assert_eq!(template.variables.len(), 1);
    let variable = &template.variables[0];
    assert_eq!(variable.value, "product");
    // The variable's span points at `product` inside the TOML string.
    assert_eq!(
        &checked.source[variable.span.start..variable.span.end],
        "product"
    );
    // `[defaults] model` is inherited.
    assert!(
        spec.agents
            .iter()
            .all(|a| a.model.as_ref().unwrap().value == "gpt-4o")
    );
}

#[test]
fn prompts_and_respan_params_parse_into_the_spec() {
    use respan_codegen::spec::PlacementSpec;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
    let prompts = respan_codegen::check_file(&dir.join("prompts.toml"), "prompts.toml")
        .spec
        .unwrap();
    let prompt = prompts.agents[0].prompt.as_ref().unwrap();
    assert_eq!(prompt.prompt_id.value, "YOUR_PROMPT_ID");
    assert_eq!(prompt.schema_version.value, 2);
    assert_eq!(prompt.placement.value, PlacementSpec::Body);
    assert_eq!(prompt.variables["task"], "answer questions concisely");

    let params = respan_codegen::check_file(&dir.join("respan_params.toml"), "respan_params.toml")
        .spec
        .unwrap();
    let respan = params.agents[0].respan.as_ref().unwrap();
    assert_eq!(
        respan.customer_identifier.as_ref().unwrap().value,
        "user_123"
    );
    assert_eq!(respan.metadata["env"], "production");
    assert_eq!(respan.placement, None);
}
