//! Every diagnostic the parser and checker can produce has a catalog case.
//!
//! `MESSAGES` lists each headline the crate can emit (`{}` stands for a
//! variable part). Two checks keep it honest:
//! - every `Diagnostic::error(...)` / `Diagnostic::warning(...)` written with a
//!   literal or `format!` headline in the parser and checker sources is in the
//!   table (so a new diagnostic fails this test until it is listed), and the call
//!   sites whose headline is not a literal are counted;
//! - every entry of the table is the `# expect:` headline of at least one file in
//!   `tests/catalog/` or `tests/warnings/` (whose snapshots `catalog.rs` checks),
//!   unless the entry names the other test that covers it.

use std::path::Path;

/// Where a message is covered when no catalog file can produce it.
enum Covered {
    /// By a file in `tests/catalog/` or `tests/warnings/`.
    Catalog,
    /// By the named test instead (with why a catalog file cannot).
    Elsewhere(&'static str),
}

use Covered::{Catalog, Elsewhere};

/// Each headline the TOML front end can produce.
const MESSAGES: &[(&str, Covered)] = &[
    // parse/mod.rs
    ("empty workflow file", Catalog),
    ("workflow file has no tables", Catalog),
    ("invalid TOML: {}", Catalog),
    ("duplicate agent id `{}`", Catalog),
    ("duplicate tool `{}`", Catalog),
    ("duplicate table `[{}]`", Catalog),
    ("duplicate key `{}`", Catalog),
    ("template variable `{}` must be a string, found {}", Catalog),
    ("unknown key `{}` in {}", Catalog),
    ("`{}` cannot be set in `[defaults]`", Catalog),
    ("header `{}` must be a string, found {}", Catalog),
    ("unknown placement `{}`", Catalog),
    ("unknown `tool_use_behavior` `{}`", Catalog),
    ("`tool_use_behavior` table without `stop_at_tools`", Catalog),
    ("workflow has no agents", Catalog),
    ("{} sets both `instructions` and `instructions_fn`", Catalog),
    (
        "`needs_approval` is not supported for agent tools, yet (`[{}]`)",
        Catalog,
    ),
    ("`[{}]` sets both `agent` and `{}`", Catalog),
    ("{} sets both `{}` and `{}`", Catalog),
    ("unknown input filter `{}`", Catalog),
    // parse/value.rs
    ("wrong type for `{}`: expected {}, found {}", Catalog),
    ("integer `{}` is too large", Catalog),
    ("wrong type in `{}`: expected a string, found {}", Catalog),
    ("`{}` cannot be represented in JSON", Catalog),
    ("`{}` out of range: must be {}, found {}", Catalog),
    // checked.rs
    ("file is not valid UTF-8", Catalog),
    (
        "cannot read `{}`: {}",
        Elsewhere(
            "catalog_coverage::an_unreadable_file_is_a_diagnostic (a catalog file can be read)",
        ),
    ),
    // template.rs
    ("template syntax error", Catalog),
    (
        "unknown {} `{}`",
        Elsewhere("the three entries below: unknown filter, test and function"),
    ),
    ("unknown filter `{}`", Catalog),
    ("unknown test `{}`", Catalog),
    ("unknown function `{}`", Catalog),
    (
        "invalid template",
        Elsewhere(
            "template.rs guards: a panic of the template engine or an error kind it does not document; no known input reaches them (never_panics.rs::templates)",
        ),
    ),
    // check.rs
    ("invalid workflow name `{}`", Catalog),
    ("missing `[workflow]` table", Catalog),
    ("missing `entry` in `[workflow]`", Catalog),
    ("unknown entry agent `{}`", Catalog),
    ("unknown handoff target `{}`", Catalog),
    ("invalid agent id `{}`", Catalog),
    ("duplicate agent id `{}`", Catalog),
    (
        "agent ids `{}` and `{}` collide: both are `{}` in {}",
        Catalog,
    ),
    ("invalid tool name `{}`", Catalog),
    ("tool name `{}` is too long", Catalog),
    ("agent `{}` hands off to itself", Catalog),
    ("handoff target `{}` is listed twice", Catalog),
    ("handoff tool name `{}` is too long", Catalog),
    (
        "tool `{}` of agent `{}` has the name of its handoff to `{}`",
        Catalog,
    ),
    (
        "handoff targets `{}` and `{}` of agent `{}` have the same tool name `{}`",
        Catalog,
    ),
    ("tool `{}` is listed twice", Catalog),
    ("unknown tool `{}`", Catalog),
    (
        "`tool_choice` names `{}`, which agent `{}` does not have",
        Catalog,
    ),
    ("invalid HTTP header name `{}`", Catalog),
    ("header `{}` is set twice", Catalog),
    ("prompt without `prompt_id`", Catalog),
    ("empty `prompt_id`", Catalog),
    ("`output` has both `schema` and `rust`", Catalog),
    ("`output` needs `schema` or `rust`", Catalog),
    ("empty `name` for agent `{}`", Catalog),
    ("empty `model`", Catalog),
    ("empty model name in `fallback_models`", Catalog),
    ("invalid value for HTTP header `{}`", Catalog),
    ("empty `stop_at_tools`", Catalog),
    (
        "`output.schema` of agent `{}` must be an object schema",
        Catalog,
    ),
    ("empty `rust` path", Catalog),
    ("empty `instructions_fn` path", Catalog),
    ("invalid Rust path `{}`", Catalog),
    ("invalid template variable name `{}`", Catalog),
    (
        "`stop_at_tools` names `{}`, which agent `{}` does not have",
        Catalog,
    ),
    (
        "tool `{}` runs a `command` but has no `description`",
        Catalog,
    ),
    ("empty `command` for tool `{}`", Catalog),
    ("tool `{}` parameters must be an object schema", Catalog),
    ("empty `description` for tool `{}`", Catalog),
    ("`max_turns` on function tool `{}`", Catalog),
    ("invalid handoff `tool_name` `{}`", Catalog),
    (
        "handoff options for `{}`, which agent `{}` does not hand off to",
        Catalog,
    ),
    (
        "handoff `input_schema` for `{}` must be an object schema",
        Catalog,
    ),
    ("empty handoff `description` for `{}`", Catalog),
    ("agent `{}` is its own tool", Catalog),
    ("agent tools form a cycle: {}", Catalog),
    ("agent `{}` is unreachable", Catalog),
    ("tool `{}` is never used", Catalog),
    ("template variable `{}` is never used", Catalog),
    // parse/tests_table.rs
    ("empty `output` expectation", Catalog),
    // workflow_tests.rs
    ("test without `name`", Catalog),
    ("invalid test name `{}`", Catalog),
    ("duplicate test name `{}`", Catalog),
    ("{} has no `input`", Catalog),
    ("empty `input` in {}", Catalog),
    ("unknown agent `{}`", Catalog),
    ("unknown template variable `{}` in {}", Catalog),
    ("template variable `{}` has no value in {}", Catalog),
    ("agent `{}` does not hand off to `{}`", Catalog),
    ("invalid regex in `output_matches`", Catalog),
    ("`last_agent` is `{}`, but `handoffs` end at `{}`", Catalog),
    ("agent `{}` cannot be reached from `{}`", Catalog),
    (
        "`output` expects structured output, but agent `{}` answers with text",
        Catalog,
    ),
    (
        "`output` expects structured output, but no agent the run reaches has one",
        Catalog,
    ),
    ("unknown output field `{}`", Catalog),
    ("test `{}` expects nothing", Catalog),
];

/// The sources of the TOML front end (the attribute front end has its own tests).
const SOURCES: &[&str] = &[
    "src/parse/mod.rs",
    "src/parse/value.rs",
    "src/checked.rs",
    "src/template.rs",
    "src/check.rs",
    "src/parse/tests_table.rs",
    "src/workflow_tests.rs",
];

/// Call sites whose headline is not a literal, and what they produce (listed in
/// `MESSAGES` above): `message` (empty file / no tables), `format!("invalid TOML:
/// {headline}")` built before the call, `headline` (duplicate agent id / tool /
/// table), `format!("{place} sets both ...")` (the agent or `[defaults]`; and
/// a handoff table's pair of keys),
/// `NO_AGENTS` (twice), `if missing {..} else {..}` (prompt id), and
/// `headline` (empty / invalid Rust path), and `format!("{label} has no `input`")`
/// (a test's label: "test `name`", or "this test" without a name).
const INDIRECT_CALL_SITES: usize = 10;

/// A headline pattern: literal pieces between the variable parts.
fn pieces(pattern: &str) -> Vec<&str> {
    pattern.split("{}").collect()
}

fn matches(pattern: &str, text: &str) -> bool {
    let pieces = pieces(pattern);
    let (first, rest) = pieces.split_first().unwrap();
    let Some(mut text) = text.strip_prefix(first) else {
        return false;
    };
    if rest.is_empty() {
        return text.is_empty();
    }
    let (last, middle) = rest.split_last().unwrap();
    for piece in middle {
        match text.find(piece) {
            Some(at) => text = &text[at + piece.len()..],
            None => return false,
        }
    }
    text.len() >= last.len() && text.ends_with(last)
}

/// A Rust string literal's text starting at its opening quote, unescaped, and
/// with `format!` placeholders as `{}` when `format` is set.
fn literal(source: &str, format: bool) -> String {
    let mut out = String::new();
    let mut chars = source[1..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            }
            '{' if format && chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if format && chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' if format => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
                out.push_str("{}");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Headlines written as literals at `Diagnostic::error(` / `warning(` call
/// sites, and the number of call sites with another kind of headline.
fn written_headlines() -> (Vec<(String, String)>, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut literals = Vec::new();
    let mut indirect = Vec::new();
    for file in SOURCES {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        // Unit tests build diagnostics of their own.
        let text = text.split("#[cfg(test)]").next().unwrap();
        for call in ["Diagnostic::error(", "Diagnostic::warning("] {
            for (at, _) in text.match_indices(call) {
                let rest = text[at + call.len()..].trim_start();
                if rest.starts_with('"') {
                    literals.push((file.to_string(), literal(rest, false)));
                } else if let Some(args) = rest.strip_prefix("format!(")
                    && args.trim_start().starts_with('"')
                    && !literal(args.trim_start(), true).starts_with("{}")
                {
                    literals.push((file.to_string(), literal(args.trim_start(), true)));
                } else {
                    let line = text[..at].matches('\n').count() + 1;
                    let first = rest.split([',', '\n']).next().unwrap_or_default();
                    indirect.push(format!("{file}:{line}: {first}"));
                }
            }
        }
    }
    (literals, indirect)
}

/// The `# expect:` headlines of the catalog and warnings files.
fn expected_headlines() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut out = Vec::new();
    for dir in ["catalog", "warnings"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let expect = text
                .lines()
                .next()
                .and_then(|line| line.strip_prefix("# expect: "))
                .unwrap_or("empty workflow file")
                .to_owned();
            out.push((
                format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()),
                expect,
            ));
        }
    }
    out
}

#[test]
fn every_written_headline_is_in_the_table() {
    let (literals, indirect) = written_headlines();
    assert!(
        literals.len() > 40,
        "the scan found only {}",
        literals.len()
    );
    let missing: Vec<String> = literals
        .iter()
        .filter(|(_, headline)| !MESSAGES.iter().any(|(pattern, _)| pattern == headline))
        .map(|(file, headline)| format!("{file}: {headline}"))
        .collect();
    assert!(
        missing.is_empty(),
        "diagnostics not listed in MESSAGES (add them, and a catalog case):\n{}",
        missing.join("\n")
    );
    assert_eq!(
        indirect.len(),
        INDIRECT_CALL_SITES,
        "call sites with a computed headline changed: list what they produce in MESSAGES and update INDIRECT_CALL_SITES:\n{}",
        indirect.join("\n")
    );
}

#[test]
fn every_message_has_a_catalog_case() {
    let expected = expected_headlines();
    let mut uncovered = Vec::new();
    for (pattern, covered) in MESSAGES {
        if let Elsewhere(test) = covered {
            assert!(!test.is_empty(), "`{pattern}`: say what covers it");
            continue;
        }
        if !expected
            .iter()
            .any(|(_, headline)| matches(pattern, headline))
        {
            uncovered.push(*pattern);
        }
    }
    assert!(
        uncovered.is_empty(),
        "messages without a catalog case (add tests/catalog/<case>.toml with `# expect: ...`):\n{}",
        uncovered.join("\n")
    );
}

#[test]
fn every_catalog_case_is_a_listed_message() {
    for (file, headline) in expected_headlines() {
        assert!(
            MESSAGES
                .iter()
                .any(|(pattern, _)| matches(pattern, &headline)),
            "{file}: `{headline}` matches no entry of MESSAGES"
        );
    }
}

#[test]
fn an_unreadable_file_is_a_diagnostic() {
    let checked =
        respan_codegen::check_file(Path::new("/nonexistent/workflow.toml"), "workflow.toml");
    assert!(checked.has_errors());
    assert!(
        matches("cannot read `{}`: {}", &checked.diagnostics[0].message),
        "{}",
        checked.diagnostics[0].message
    );
    assert!(checked.render(false).contains("workflow.toml"));
}

#[test]
fn patterns_match_as_intended() {
    assert!(matches("unknown tool `{}`", "unknown tool `x`"));
    assert!(!matches("unknown tool `{}`", "unknown tool `x` again"));
    assert!(matches("empty `model`", "empty `model`"));
    assert!(!matches("empty `model`", "empty `model`s"));
    assert!(matches(
        "tool `{}` is listed twice",
        "tool `a` is listed twice"
    ));
}
