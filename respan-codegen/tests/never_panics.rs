//! Property tests: parsing, checking, rendering and graphing never panic, on
//! arbitrary bytes, arbitrary TOML-ish text, and mutated valid workflows.

use proptest::prelude::*;
use respan_codegen::{Checked, check_bytes, check_source};

const VALID: &[&str] = &[
    include_str!("../../workflows/support.toml"),
    include_str!("../../workflows/prompts.toml"),
    include_str!("../../workflows/respan_params.toml"),
    include_str!("../../workflows/switch_models.toml"),
    include_str!("../../workflows/support_tools.toml"),
    include_str!("../../workflows/ticket.toml"),
    NEW_KEYS,
    include_str!("catalog/handoff_tool_name_collision.toml"),
    include_str!("catalog/template_error_in_multiline_string.toml"),
    include_str!("catalog/tool_choice_not_a_tool.toml"),
];

/// A file using every key added after the first format: `[vars]`, the tool
/// keys, `tool_use_behavior` and `output`.
const NEW_KEYS: &str = r#"[workflow]
entry = "triage"
max_turns = 4

[vars]
product = "Respan"
tone = "friendly"

[agents.triage]
instructions = "Route questions about {{ product }}, {{ tone }}."
handoffs = ["billing"]
tools = ["lookup_invoice"]
tool_use_behavior = { stop_at_tools = ["lookup_invoice"] }

[agents.billing]
instructions = "Answer billing questions."
tools = ["lookup_invoice", "refund"]
tool_use_behavior = "stop_on_first_tool"

[agents.billing.output]
schema = { type = "object", properties = { answer = { type = "string" } }, required = ["answer"] }

[tools.lookup_invoice]
description = "Look an invoice up."
timeout_secs = 2.5
command = ["./lookup", "--json"]
parameters = { type = "object", properties = { number = { type = "string" } } }

[tools.refund]
description = "Refund an invoice."
rust = "crate::tools::refund"
"#;

/// Fragments likely to break something: quotes, brackets, template delimiters,
/// escapes, odd numbers, non-ASCII.
const FRAGMENTS: &[&str] = &[
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "[",
    "]",
    "[[",
    "{",
    "}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "=",
    "\n",
    "\\",
    "\\u00e9",
    "\\x",
    ".",
    ",",
    "#",
    "agents.",
    "tools.",
    "handoffs = [\"",
    "é",
    "\u{0}",
    "\r\n",
    "-1",
    "1e999",
    "nan",
    "inf",
    "0x10",
    "true",
    " | ",
    "{% for x in y %}",
    "\t",
    "[vars]\n",
    "tool_use_behavior = ",
    "{ stop_at_tools = [] }",
    "\"stop_on_first_tool\"",
    "timeout_secs = ",
    "command = [",
    "rust = \"",
    "parameters = { type = ",
    "[agents.x.output]\nschema = ",
    "schema = { type = \"string\" }",
];

fn exercise(checked: &Checked) {
    let _ = checked.render(false);
    let _ = checked.render(true);
    let _ = checked.to_json();
    for diagnostic in &checked.diagnostics {
        let _ = checked.location(diagnostic.span);
        assert!(diagnostic.span.start <= diagnostic.span.end);
        assert!(diagnostic.span.end <= checked.source.len() + 1);
    }
    if let Some(spec) = &checked.spec {
        let _ = respan_codegen::check_spec(spec);
        let _ = respan_codegen::graph::mermaid(spec);
        let _ = respan_codegen::graph::dot(spec);
    }
}

/// The front ends' whole path: check, then generate (or a stub) as `workflow!`
/// and build.rs do; what is generated must parse as Rust.
fn expand(checked: &Checked) {
    use respan_codegen::generate::{Options, expand};
    let expansion = expand(checked, "fuzz", &Options::new("workflows/fuzz.toml"));
    if !expansion.tokens.is_empty() {
        syn::parse2::<syn::File>(expansion.tokens.clone())
            .unwrap_or_else(|e| panic!("{e}: {}", expansion.tokens));
    }
    assert_eq!(expansion.errors.is_empty(), !checked.has_errors());
}

/// A TOML value of any type, sometimes odd.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_ :/.-]{0,12}".prop_map(|s| format!("{s:?}")),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        Just("nan".to_owned()),
        Just("-inf".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("[\"lookup\", 1]".to_owned()),
        Just("{ stop_at_tools = [\"lookup\"] }".to_owned()),
        Just("{ stop_at_tools = [\"x\", \"x\"] }".to_owned()),
        Just("{ type = \"object\", properties = { a = { type = \"string\" } } }".to_owned()),
        Just("{ type = \"object\", properties = [1] }".to_owned()),
        Just("{ type = 1 }".to_owned()),
        Just("[\"\"]".to_owned()),
        Just("\"{{ x }}\"".to_owned()),
    ]
}

fn mutate(source: &str, edits: &[(usize, usize, usize)]) -> String {
    let mut text = source.to_owned();
    for &(position, kind, fragment) in edits {
        let mut at = position % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        match kind % 3 {
            0 => text.insert_str(at, FRAGMENTS[fragment % FRAGMENTS.len()]),
            1 => {
                let mut end = (at + 1 + fragment % 8).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, "");
            }
            _ => {
                let mut end = (at + 1).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, FRAGMENTS[fragment % FRAGMENTS.len()]);
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&check_bytes("fuzz.toml", &bytes));
    }

    #[test]
    fn arbitrary_tomlish_text(text in "[a-z_\\[\\]=\"' .\n{}0-9,#%|\\\\-]{0,300}") {
        exercise(&check_source("fuzz.toml", &text));
    }

    #[test]
    fn mutated_valid_files(
        which in 0..VALID.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<usize>(), any::<usize>()), 1..6),
    ) {
        exercise(&check_source("workflows/fuzz.toml", &mutate(VALID[which], &edits)));
    }

    #[test]
    fn new_keys_with_any_value(
        var_name in "[a-z_]{1,6}|\"[ a-z-]{0,5}\"",
        var in toml_value(),
        behavior in toml_value(),
        output_key in "schema|rust|other",
        output in toml_value(),
        tool_key in "description|parameters|rust|command|timeout_secs|needs_approval",
        tool_value in toml_value(),
        listed in proptest::collection::vec("lookup|triage|x|", 0..3),
    ) {
        let listed: Vec<String> = listed.iter().map(|s| format!("{s:?}")).collect();
        let text = format!(
            "[workflow]\nentry = \"triage\"\n\n[vars]\n{var_name} = {var}\n\n\
             [agents.triage]\ninstructions = \"Hi {{{{ x }}}}\"\ntools = [{}]\n\
             tool_use_behavior = {behavior}\n\n[agents.triage.output]\n{output_key} = {output}\n\n\
             [tools.lookup]\ndescription = \"Look up.\"\n{tool_key} = {tool_value}\n",
            listed.join(", "),
        );
        let checked = check_source("workflows/fuzz.toml", &text);
        exercise(&checked);
        expand(&checked);
    }

    #[test]
    fn mutated_files_expand(
        which in 0..VALID.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<usize>(), any::<usize>()), 0..4),
    ) {
        let checked = check_source("workflows/fuzz.toml", &mutate(VALID[which], &edits));
        expand(&checked);
    }

    #[test]
    fn respan_agent_on_any_tokens(args in tokens(), item in tokens()) {
        let _ = respan_codegen::attribute::expand_agent(args, item);
    }

    #[test]
    fn respan_agent_with_any_arguments(args in tokens()) {
        let item: proc_macro2::TokenStream = "struct Assistant { user: String }".parse().unwrap();
        let _ = respan_codegen::attribute::expand_agent(args, item);
    }

    #[test]
    fn respan_tool_on_any_tokens(args in tokens(), item in tokens()) {
        let _ = respan_codegen::tool_attr::expand(args, item);
    }

    #[test]
    fn respan_tool_with_any_arguments(args in tokens()) {
        let item: proc_macro2::TokenStream =
            "/// Looks up.\nfn lookup(number: String) -> String { number }".parse().unwrap();
        let _ = respan_codegen::tool_attr::expand(args, item);
    }

    #[test]
    fn templates(text in "[a-z {}%#|()\"=.\n-]{0,120}") {
        let _ = respan_codegen::template::variables(&text);
        let instructions = format!("[workflow]\nentry = \"a\"\n[agents.a]\ninstructions = '''{text}'''\n");
        exercise(&check_source("t.toml", &instructions));
    }
}

/// Pieces of attribute arguments and items, to glue into token streams.
const TOKEN_PIECES: &[&str] = &[
    "name",
    "=",
    "\"Assistant\"",
    "instructions",
    "\"Help {{ user }}\"",
    "\"{{\"",
    "model",
    "model_settings",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "temperature",
    "3.0",
    "-1",
    "nan",
    "tools",
    "handoffs",
    "tool_use_behavior",
    "stop_at_tools",
    "output",
    "respan",
    "prompt",
    "prompt_id",
    "placement",
    "\"header\"",
    "struct",
    "fn",
    "pub",
    "Assistant",
    "user",
    ":",
    "String",
    "&",
    "Ctx",
    "->",
    "Result",
    "<",
    ">",
    "u8",
    "'a",
    "#",
    "async",
    "self",
    "Args",
    "x",
    "description",
    "timeout_secs",
    "0",
    "1e999",
    "true",
    "::",
    "crate",
    "lookup",
    "///",
    "\"\"",
    "_",
    "impl",
    "enum",
    "mut",
    "where",
];

/// A token stream from random pieces (and random text), kept only when the
/// pieces lex as Rust tokens (as a proc macro's input always does).
fn tokens() -> impl Strategy<Value = proc_macro2::TokenStream> {
    prop_oneof![
        proptest::collection::vec(0..TOKEN_PIECES.len(), 0..24).prop_map(|picks| picks
            .iter()
            .map(|&i| TOKEN_PIECES[i])
            .collect::<Vec<_>>()
            .join(" ")),
        "\\PC{0,40}",
    ]
    .prop_map(|text| text.parse::<proc_macro2::TokenStream>().unwrap_or_default())
}
