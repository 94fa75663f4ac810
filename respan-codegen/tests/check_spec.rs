//! `check_spec` on a Spec built without TOML (as the `#[respan_agent]` front end
//! does): the checks that TOML's own syntax makes unreachable still hold.

use respan_codegen::check_spec;
use respan_codegen::spec::{AgentSpec, ModelSettingsSpec, Span, Spanned, Spec, WorkflowSpec};

fn s(value: &str, at: usize) -> Spanned<String> {
    Spanned::new(value.to_owned(), Span::new(at, at + value.len()))
}

fn agent(id: &str, at: usize, handoffs: &[&str]) -> AgentSpec {
    AgentSpec {
        id: s(id, at),
        name: s(&respan_codegen::spec::default_display_name(id), at),
        instructions: None,
        instructions_fn: None,
        handoff_description: None,
        handoffs: handoffs.iter().map(|h| s(h, at + 100)).collect(),
        handoff_options: Vec::new(),
        tools: Vec::new(),
        model: None,
        model_settings: ModelSettingsSpec::default(),
        respan: None,
        prompt: None,
        output: None,
        tool_use_behavior: None,
        span: Span::new(at, at + id.len()),
    }
}

fn spec(entry: &str, agents: Vec<AgentSpec>) -> Spec {
    Spec {
        path: "src/agents.rs".into(),
        workflow: WorkflowSpec {
            name: s("agents", 1),
            entry: s(entry, 2),
            description: None,
            max_turns: None,
            span: Span::new(1, 2),
        },
        agents,
        tools: Vec::new(),
        vars: Vec::new(),
        tests: Vec::new(),
    }
}

fn messages(spec: &Spec) -> Vec<String> {
    check_spec(spec).into_iter().map(|d| d.message).collect()
}

#[test]
fn duplicate_ids_name_both_places() {
    let spec = spec(
        "triage",
        vec![
            agent("triage", 10, &["billing"]),
            agent("billing", 20, &[]),
            agent("billing", 30, &[]),
        ],
    );
    let diagnostics = check_spec(&spec);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].message, "duplicate agent id `billing`");
    assert_eq!(diagnostics[0].span.start, 30);
    assert_eq!(diagnostics[0].related[0].0.start, 20);
}

#[test]
fn an_empty_entry_is_missing() {
    let spec = spec("", vec![agent("triage", 10, &[])]);
    assert_eq!(messages(&spec), ["missing `entry` in `[workflow]`"]);
}

#[test]
fn a_valid_spec_has_no_diagnostics_and_cycles_are_fine() {
    let spec = spec(
        "triage",
        vec![
            agent("triage", 10, &["billing"]),
            agent("billing", 20, &["triage"]),
        ],
    );
    assert!(messages(&spec).is_empty());
}

#[test]
fn warnings_only_on_an_error_free_spec() {
    let lonely = spec(
        "triage",
        vec![agent("triage", 10, &[]), agent("billing", 20, &[])],
    );
    assert_eq!(messages(&lonely), ["agent `billing` is unreachable"]);
    let broken = spec(
        "triage",
        vec![agent("triage", 10, &["nobody"]), agent("billing", 20, &[])],
    );
    assert_eq!(messages(&broken), ["unknown handoff target `nobody`"]);
}
