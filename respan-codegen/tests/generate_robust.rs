//! The generator never panics, whatever the spec (checked or not), and what it
//! generates always parses as Rust.

use proptest::prelude::*;
use respan_codegen::generate::{self, Options};
use respan_codegen::spec::*;

fn s<T>(value: T) -> Spanned<T> {
    Spanned::new(value, 0..0)
}

fn agent(
    id: String,
    name: String,
    instructions: String,
    vars: Vec<String>,
    handoffs: Vec<String>,
) -> AgentSpec {
    let mut extra_body = serde_json::Map::new();
    extra_body.insert(
        name.clone(),
        serde_json::json!({ "x": [u64::MAX, -1.5, null] }),
    );
    let settings = ModelSettingsSpec {
        temperature: Some(s(f64::NAN)),
        seed: Some(s(i64::MIN)),
        stop: Some(s(vec![name.clone()])),
        extra_body,
        ..Default::default()
    };
    AgentSpec {
        id: s(id),
        name: s(name.clone()),
        instructions: Some(Template {
            source: s(instructions),
            variables: vars.into_iter().map(s).collect(),
        }),
        instructions_fn: None,
        handoff_description: Some(s(name.clone())),
        handoffs: handoffs.into_iter().map(s).collect(),
        handoff_options: Vec::new(),
        tools: vec![s(name.clone())],
        model: Some(s(name)),
        model_settings: settings,
        respan: Some(RespanSpec::default()),
        prompt: None,
        output: None,
        tool_use_behavior: None,
        span: Span::default(),
    }
}

fn parses(tokens: proc_macro2::TokenStream) {
    syn::parse2::<syn::File>(tokens.clone()).unwrap_or_else(|e| panic!("{e}: {tokens}"));
}

proptest! {
    #[test]
    fn any_spec_generates_parsable_code(
        workflow in "\\PC{0,12}",
        ids in proptest::collection::vec("[a-z_0-9]{0,8}|\\PC{0,6}|fn|self|type", 1..5),
        names in proptest::collection::vec("\\PC{0,20}", 5),
        vars in proptest::collection::vec("[a-z_]{1,6}|self|type|\\PC{0,4}", 0..4),
        tool in "\\PC{0,12}|[a-z:_]{1,12}",
        defaults in proptest::collection::vec(proptest::option::of("\\PC{0,8}"), 4),
    ) {
        let agents = ids
            .iter()
            .enumerate()
            .map(|(i, id)| agent(id.clone(), names[i].clone(), names[(i + 1) % 5].clone(), vars.clone(), ids.clone()))
            .collect();
        let spec = Spec {
            path: "x.toml".into(),
            workflow: WorkflowSpec {
                name: s(workflow.clone()),
                entry: s(ids[0].clone()),
                description: Some(s(names[0].clone())),
                max_turns: Some(s(0)),
                span: Span::default(),
            },
            agents,
            tools: vec![ToolSpec {
                name: s(tool.clone()),
                description: Some(s(String::new())),
                timeout_secs: Some(s(f64::NAN)),
                needs_approval: Some(s(true)),
                parameters: None,
                agent: None,
                max_turns: None,
                rust: Some(s(tool)),
                command: None,
                span: Span::new(usize::MAX, usize::MAX),
            }],
            // Some variables with a default (any text), some without.
            vars: vars
                .iter()
                .zip(&defaults)
                .filter_map(|(name, default)| {
                    Some(VarSpec { name: s(name.clone()), default: s(default.clone()?) })
                })
                .collect(),
            // A test naming anything (`workflow!(.., tests)`): arbitrary names,
            // agents, tools, texts, pointers.
            tests: vec![TestSpec {
                name: s(names[1].clone()),
                input: Some(s(vec![names[2].clone(), names[3].clone()])),
                vars: vars.iter().map(|v| (s(v.clone()), s(names[4].clone()))).collect(),
                agent: Some(s(ids[1 % ids.len()].clone())),
                expectations: vec![
                    s(ExpectationSpec::LastAgent(ids[2 % ids.len()].clone())),
                    s(ExpectationSpec::Handoffs(ids.iter().cloned().map(s).collect())),
                    s(ExpectationSpec::ToolsCalled(names.iter().cloned().map(s).collect())),
                    s(ExpectationSpec::OutputContains(names[0].clone())),
                    s(ExpectationSpec::OutputMatches(names[1].clone())),
                    s(ExpectationSpec::OutputField { pointer: names[2].clone(), value: serde_json::json!({ "x": [names[3].clone()] }) }),
                    s(ExpectationSpec::MaxRequests(0)),
                ],
                span: Span::new(usize::MAX, usize::MAX),
            }],
        };
        let mut options = Options::new(workflow.clone());
        options.source = Some(names[0].clone());
        options.tests = true;
        if let Some(tokens) = generate::module(&spec, &options) {
            parses(tokens);
        }
        if let Some(tokens) = generate::stub(Some(&spec), &workflow, &options) {
            parses(tokens);
        }
        if let Some(tokens) = generate::stub(None, &workflow, &options) {
            parses(tokens);
        }
        let _ = generate::file(&spec, &options);
    }

    #[test]
    fn any_checked_file_expands(source in "\\PC{0,200}") {
        let text = format!("[workflow]\nentry = \"a\"\n[agents.a]\ninstructions = \"{source}\"\n{source}\n");
        for text in [text, source] {
            let checked = respan_codegen::check_source("workflows/x.toml", &text);
            let expansion = generate::expand(&checked, "x", &Options::new("workflows/x.toml"));
            assert_eq!(expansion.errors.is_empty(), !checked.has_errors());
            parses(expansion.tokens);
        }
    }
}
