//! Property tests: parsing, checking, rendering and graphing never panic, on
//! arbitrary bytes, arbitrary TOML-ish text, and mutated valid workflows.

use proptest::prelude::*;
use respan_codegen::{Checked, check_bytes, check_source};

const VALID: &[&str] = &[
    include_str!("../../workflows/support.toml"),
    include_str!("../../workflows/prompts.toml"),
    include_str!("../../workflows/respan_params.toml"),
    include_str!("../../workflows/switch_models.toml"),
    include_str!("catalog/handoff_tool_name_collision.toml"),
    include_str!("catalog/template_error_in_multiline_string.toml"),
    include_str!("catalog/tool_choice_not_a_tool.toml"),
];

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
    fn templates(text in "[a-z {}%#|()\"=.\n-]{0,120}") {
        let _ = respan_codegen::template::variables(&text);
        let instructions = format!("[workflow]\nentry = \"a\"\n[agents.a]\ninstructions = '''{text}'''\n");
        exercise(&check_source("t.toml", &instructions));
    }
}
