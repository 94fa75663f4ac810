//! What the TOML front end puts in the Spec: spans, `[defaults]` inheritance,
//! every table's fields, and that all mistakes of a file are reported together.

use respan_codegen::spec::{PlacementSpec, ToolChoiceSpec};
use respan_codegen::{Checked, check_source};

fn text(checked: &Checked, span: respan_codegen::spec::Span) -> &str {
    &checked.source[span.start..span.end]
}

#[test]
fn defaults_are_inherited_field_by_field() {
    let checked = check_source(
        "workflows/inherit.toml",
        r#"
[workflow]
entry = "triage"

[defaults]
model = "gpt-4o"
instructions = "Help with {{ product }}."
tools = ["lookup"]
model_settings = { temperature = 0.2, max_tokens = 100, extra_headers = { X-Team = "a" } }
respan = { customer_identifier = "user_123", metadata = { env = "production" } }

[agents.triage]
handoffs = ["billing"]
model = "claude-sonnet-4-5-20250929"
model_settings = { temperature = 0.7, extra_headers = { x-team = "b" } }
respan = { metadata = { tier = "pro" } }

[agents.billing]
tools = []

[tools.lookup]
description = "Look something up."
"#,
    );
    assert!(checked.diagnostics.is_empty(), "{}", checked.render(false));
    let spec = checked.spec.as_ref().unwrap();
    let triage = spec.agent("triage").unwrap();
    let billing = spec.agent("billing").unwrap();

    assert_eq!(
        triage.model.as_ref().unwrap().value,
        "claude-sonnet-4-5-20250929"
    );
    assert_eq!(billing.model.as_ref().unwrap().value, "gpt-4o");
    // Within model_settings, field by field.
    assert_eq!(
        triage.model_settings.temperature.as_ref().unwrap().value,
        0.7
    );
    assert_eq!(
        triage.model_settings.max_tokens.as_ref().unwrap().value,
        100
    );
    // Header names are case-insensitive: the agent's wins.
    assert_eq!(triage.model_settings.extra_headers.len(), 1);
    assert_eq!(triage.model_settings.extra_headers[0].1.value, "b");
    // respan too: the metadata maps merge.
    let respan = triage.respan.as_ref().unwrap();
    assert_eq!(
        respan.customer_identifier.as_ref().unwrap().value,
        "user_123"
    );
    assert_eq!(respan.metadata["env"], "production");
    assert_eq!(respan.metadata["tier"], "pro");
    // An explicit empty list overrides the default.
    assert!(billing.tools.is_empty());
    assert_eq!(triage.tools[0].value, "lookup");
    // The inherited template keeps the spans of `[defaults]`.
    let template = billing.instructions.as_ref().unwrap();
    assert_eq!(text(&checked, template.variables[0].span), "product");
    // Display names default from the id.
    assert_eq!(billing.name.value, "Billing");
}

#[test]
fn spans_point_at_keys_and_values() {
    let checked = check_source(
        "w.toml",
        "[workflow]\nentry = \"a\"\n\n[agents.a]\nhandoffs = [\"b\"]\n\n[agents.b]\n",
    );
    let spec = checked.spec.as_ref().unwrap();
    assert_eq!(text(&checked, spec.workflow.entry.span), "\"a\"");
    assert_eq!(text(&checked, spec.workflow.span), "[workflow]");
    let a = spec.agent("a").unwrap();
    assert_eq!(text(&checked, a.id.span), "a");
    assert_eq!(text(&checked, a.span), "[agents.a]");
    assert_eq!(text(&checked, a.handoffs[0].span), "\"b\"");
    assert_eq!(checked.location(a.handoffs[0].span), (5, 13));
}

#[test]
fn every_table_is_read() {
    let checked = check_source(
        "w.toml",
        r#"
[workflow]
name = "full"
entry = "agent"
description = "All the fields."
max_turns = 4

[agents.agent]
name = "Full Agent"
handoff_description = "Everything"
tools = ["weather"]
tool_use_behavior = { stop_at_tools = ["weather"] }

[agents.agent.model_settings]
temperature = 1
top_p = 0.5
max_tokens = 256
frequency_penalty = -1.5
presence_penalty = 2
tool_choice = "weather"
parallel_tool_calls = false
seed = -7
stop = "END"
response_format = { type = "json_object" }
extra_body = { reasoning = { effort = "low" } }
extra_headers = { X-Trace = "1" }

[agents.agent.respan]
thread_identifier = "t-1"
fallback_models = ["gpt-4o-mini", "gemini-2.5-flash"]
customer_params = { name = "Ada" }
cache_enabled = true
cache_ttl = 600
cache_options = { cache_by_customer = true }
disable_log = false
placement = "header"

[agents.agent.respan.extra]
posthog_integration = { api_key = "k" }

[agents.agent.prompt]
prompt_id = "p-1"
schema_version = 1
version = 3
echo = true
patch = { temperature = 0.1 }
placement = "respan_params"

[agents.agent.output]
rust = "crate::Answer"

[tools.weather]
description = "The weather in a city."
timeout_secs = 2.5
parameters = { type = "object", properties = { city = { type = "string" } }, required = ["city"] }
rust = "crate::tools::weather"
command = ["python3", "weather.py"]
"#,
    );
    assert!(checked.diagnostics.is_empty(), "{}", checked.render(false));
    let spec = checked.spec.unwrap();
    assert_eq!(spec.workflow.max_turns.as_ref().unwrap().value, 4);
    let agent = &spec.agents[0];
    let s = &agent.model_settings;
    assert_eq!(s.temperature.as_ref().unwrap().value, 1.0);
    assert_eq!(s.seed.as_ref().unwrap().value, -7);
    assert_eq!(s.stop.as_ref().unwrap().value, ["END"]);
    assert_eq!(
        s.tool_choice.as_ref().unwrap().value,
        ToolChoiceSpec::Function("weather".into())
    );
    assert!(!s.parallel_tool_calls.as_ref().unwrap().value);
    assert_eq!(
        s.response_format.as_ref().unwrap().value["type"],
        "json_object"
    );
    assert_eq!(s.extra_body["reasoning"]["effort"], "low");
    let respan = agent.respan.as_ref().unwrap();
    assert_eq!(
        respan.placement.as_ref().unwrap().value,
        PlacementSpec::Header
    );
    assert_eq!(respan.fallback_models.len(), 2);
    assert_eq!(respan.cache_ttl.as_ref().unwrap().value, 600);
    assert_eq!(respan.extra["posthog_integration"]["api_key"], "k");
    let prompt = agent.prompt.as_ref().unwrap();
    assert_eq!(prompt.schema_version.value, 1);
    assert_eq!(prompt.placement.value, PlacementSpec::RespanParams);
    assert_eq!(prompt.version.as_ref().unwrap().value, 3);
    assert_eq!(
        agent.tool_use_behavior.as_ref().unwrap().value,
        respan_codegen::spec::ToolUseBehaviorSpec::StopAtTools(vec![
            respan_codegen::spec::Spanned::new(
                "weather".to_string(),
                agent
                    .tool_use_behavior
                    .as_ref()
                    .map(|b| match &b.value {
                        respan_codegen::spec::ToolUseBehaviorSpec::StopAtTools(t) => t[0].span,
                        _ => unreachable!(),
                    })
                    .unwrap()
            )
        ])
    );
    let output = agent.output.as_ref().unwrap();
    assert_eq!(output.rust.as_ref().unwrap().value, "crate::Answer");
    let tool = &spec.tools[0];
    assert_eq!(tool.timeout_secs.as_ref().unwrap().value, 2.5);
    assert_eq!(
        tool.command.as_ref().unwrap().value,
        ["python3", "weather.py"]
    );
    assert_eq!(
        tool.parameters.as_ref().unwrap().value["required"][0],
        "city"
    );
}

#[test]
fn all_mistakes_of_a_file_are_reported_in_order() {
    let checked = check_source(
        "workflows/support.toml",
        r#"[workflow]
entry = "triage"

[agents.triage]
handoffs = ["biling", "triage"]
modle = "gpt-4o"

[agents.billing]
instructions = "Bill {{ user | uper }}."

[agents.billing.model_settings]
temperature = 9
"#,
    );
    let messages: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "unknown handoff target `biling`",
            "agent `triage` hands off to itself",
            "unknown key `modle` in `[agents.triage]`",
            "unknown filter `uper`",
            "`temperature` out of range: must be between 0 and 2, found 9",
        ]
    );
    insta::assert_snapshot!(checked.render(false));
}

#[test]
fn handoff_cycles_are_fine() {
    let checked = check_source(
        "w.toml",
        "[workflow]\nentry = \"triage\"\n[agents.triage]\nhandoffs = [\"billing\"]\n[agents.billing]\nhandoffs = [\"triage\"]\n",
    );
    assert!(checked.diagnostics.is_empty(), "{}", checked.render(false));
}

#[test]
fn template_positions_survive_escapes_and_multiline_strings() {
    let source = "[workflow]\nentry = \"a\"\n[agents.a]\ninstructions = \"\\u00e9\\t{{ x }\"\n";
    let checked = check_source("w.toml", source);
    let d = &checked.diagnostics[0];
    assert_eq!(d.message, "template syntax error");
    assert_eq!(text(&checked, d.span), "}");

    let source =
        "[workflow]\nentry = \"a\"\n[agents.a]\ninstructions = '''\nfirst\n  {{ y | nope }}\n'''\n";
    let checked = check_source("w.toml", source);
    let d = &checked.diagnostics[0];
    assert_eq!(d.message, "unknown filter `nope`");
    assert_eq!(checked.location(d.span), (6, 10));
}

#[test]
fn colored_output_has_ansi_codes_and_plain_has_none() {
    let checked = check_source("w.toml", "[workflow]\nentry = \"x\"\n[agents.a]\n");
    assert!(checked.render(true).contains('\u{1b}'));
    assert!(!checked.render(false).contains('\u{1b}'));
}

#[test]
fn vars_are_read_with_their_spans() {
    let checked = check_source(
        "w.toml",
        "[workflow]\nentry = \"a\"\n\n[vars]\nproduct = \"Respan\"\n\"odd name\" = \"x\"\nbad = true\n\n[agents.a]\ninstructions = \"For {{ product }}.\"\n",
    );
    let spec = checked.spec.as_ref().unwrap();
    // A name no template can use (`odd name`) and a value that is not a string
    // are errors.
    assert_eq!(spec.vars.len(), 2);
    let product = spec.var("product").unwrap();
    assert_eq!(product.default.value, "Respan");
    assert_eq!(text(&checked, product.name.span), "product");
    assert_eq!(text(&checked, product.default.span), "\"Respan\"");
    let messages: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "invalid template variable name `odd name`",
            "template variable `bad` must be a string, found a boolean"
        ]
    );
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("rename it, e.g. `odd_name`")
    );
    let help = checked.diagnostics[1].help.as_deref();
    assert_eq!(help, Some("quote it: `bad = \"true\"`"));
}

#[test]
fn unused_vars_are_warnings_once_the_file_is_valid() {
    let checked = check_source(
        "w.toml",
        "[workflow]\nentry = \"a\"\n\n[vars]\nproduct = \"Respan\"\nextra = \"x\"\n\n[agents.a]\ninstructions = \"For {{ product }}.\"\n",
    );
    assert!(!checked.has_errors());
    let warnings: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warnings, ["template variable `extra` is never used"]);
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("use it in an agent's `instructions` as `{{ extra }}`, or remove it")
    );
}
