//! Instructions templates (tera 2 syntax): syntax errors, unknown filters, and the
//! variables a template reads from its context.
//!
//! Spans here are byte ranges *inside the template text*; the TOML front end maps
//! them into the file (see `parse::strings`).

use crate::diagnostic::Diagnostic;
use crate::spec::Span;
use crate::suggest::did_you_mean;

/// The filters tera 2.4 registers by default (used for "did you mean").
const BUILTIN_FILTERS: &[&str] = &[
    "safe",
    "default",
    "upper",
    "lower",
    "wordcount",
    "escape",
    "escape_html",
    "escape_xml",
    "newlines_to_br",
    "pluralize",
    "trim",
    "trim_start",
    "trim_end",
    "replace",
    "capitalize",
    "title",
    "truncate",
    "indent",
    "str",
    "int",
    "float",
    "length",
    "reverse",
    "split",
    "abs",
    "round",
    "first",
    "last",
    "nth",
    "join",
    "sort",
    "unique",
    "get",
    "values",
    "keys",
    "pairs",
    "group_by",
];
const BUILTIN_TESTS: &[&str] = &[
    "string",
    "number",
    "map",
    "bool",
    "array",
    "integer",
    "float",
    "none",
    "iterable",
    "defined",
    "undefined",
    "odd",
    "even",
    "divisible_by",
    "starting_with",
    "ending_with",
    "containing",
];
const BUILTIN_FUNCTIONS: &[&str] = &["range", "throw"];

/// Whether instructions must go through the template engine (anything tera
/// would interpret); plain text is sent exactly as written. Generated code and
/// the CLI decide alike, so both send the same system message.
///
/// ```
/// use respan_codegen::template::needs_rendering;
/// assert!(needs_rendering("Help with {{ product }}."));
/// assert!(!needs_rendering("Route the question."));
/// ```
pub fn needs_rendering(source: &str) -> bool {
    source.contains("{{") || source.contains("{%") || source.contains("{#")
}

/// The variables a template reads from its context, in first-use order, each with
/// the span (relative to `source`) of its first use. Loop variables and `{% set %}`
/// variables are not inputs and are left out.
///
/// On failure, every problem found (a syntax error, or each unknown filter, test or
/// function) as a diagnostic whose span is relative to `source`.
///
/// ```
/// use respan_codegen::template::variables;
/// let vars = variables("Help {{ user }} with {{ product | upper }}.").unwrap();
/// let names: Vec<&str> = vars.iter().map(|(name, _)| name.as_str()).collect();
/// assert_eq!(names, ["user", "product"]);
/// assert_eq!(vars[0].1.start, 8);
///
/// let errors = variables("{{ product | uper }}").unwrap_err();
/// assert_eq!(errors[0].message, "unknown filter `uper`");
/// assert_eq!(errors[0].help.as_deref(), Some("did you mean `upper`?"));
/// ```
pub fn variables(source: &str) -> Result<Vec<(String, Span)>, Vec<Diagnostic>> {
    // The checker must never panic on any input, including a template engine bug.
    std::panic::catch_unwind(|| variables_unguarded(source)).unwrap_or_else(|_| {
        Err(vec![Diagnostic::error(
            "invalid template",
            Span::new(0, source.len()),
            "the template engine could not parse this template",
        )])
    })
}

fn variables_unguarded(source: &str) -> Result<Vec<(String, Span)>, Vec<Diagnostic>> {
    let mut tera = tera::Tera::new();
    if let Err(error) = tera.add_raw_template("instructions", source) {
        return Err(errors_of(source, &error));
    }
    let names = match tera.get_template_variables("instructions") {
        Ok(names) => names,
        Err(error) => return Err(errors_of(source, &error)),
    };
    let mut found: Vec<(String, Span)> = names
        .into_iter()
        .map(|name| {
            let span = first_use(source, name).unwrap_or(Span::new(0, source.len()));
            (name.to_owned(), span)
        })
        .collect();
    found.sort_by(|a, b| (a.1.start, &a.0).cmp(&(b.1.start, &b.0)));
    Ok(found)
}

/// Turns a tera error into diagnostics with spans relative to the template.
fn errors_of(source: &str, error: &tera::Error) -> Vec<Diagnostic> {
    match error.kind() {
        tera::ErrorKind::SyntaxError(report) => {
            let range = report.span().range.clone();
            let span = clamp(source, range.start, range.end.max(range.start));
            let message = report.message().trim_end_matches('.');
            vec![
                Diagnostic::error("template syntax error", span, lower_first(message))
                    .with_note("instructions are tera templates: `{{ variable }}`, `{% if ... %}`"),
            ]
        }
        tera::ErrorKind::Msg(text) => {
            let unknown = unknown_references(source, text);
            if unknown.is_empty() {
                vec![template_error(source, text)]
            } else {
                unknown
            }
        }
        _ => vec![template_error(source, &error.to_string())],
    }
}

fn template_error(source: &str, text: &str) -> Diagnostic {
    let first_line = text.lines().next().unwrap_or_default();
    let first_line = first_line.strip_prefix("error: ").unwrap_or(first_line);
    Diagnostic::error(
        "invalid template",
        Span::new(0, source.len()),
        lower_first(first_line),
    )
}

/// Parses tera's "Unknown filter `x`" reports (`error: ...` then ` --> name:line:col`).
fn unknown_references(source: &str, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("error: Unknown ") else {
            continue;
        };
        let Some((kind, name)) = rest.split_once(' ') else {
            continue;
        };
        let name = name.trim_matches('`');
        let location = lines
            .next()
            .and_then(|l| l.trim_start().strip_prefix("--> "))
            .and_then(|l| {
                let mut parts = l.rsplitn(3, ':');
                let column: usize = parts.next()?.parse().ok()?;
                let line: usize = parts.next()?.parse().ok()?;
                Some((line, column))
            });
        let start = location
            .and_then(|(line, column)| offset_of(source, line, column))
            .unwrap_or(0);
        // tera points at the name; fall back to searching for it from there.
        let start = source[start..]
            .find(name)
            .map(|i| start + i)
            .filter(|&i| i == start)
            .unwrap_or(start);
        let span = clamp(source, start, start + name.len());
        let candidates = match kind {
            "filter" => BUILTIN_FILTERS,
            "test" => BUILTIN_TESTS,
            "function" => BUILTIN_FUNCTIONS,
            _ => &[],
        };
        let mut diagnostic = Diagnostic::error(
            format!("unknown {kind} `{name}`"),
            span,
            format!("no {kind} named `{name}`"),
        );
        if let Some(suggestion) = did_you_mean(name, candidates.iter().copied()) {
            diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
        } else if !candidates.is_empty() {
            let known: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            diagnostic = diagnostic.with_note(format!("the {kind}s are {}", known.join(", ")));
        }
        out.push(diagnostic);
    }
    out
}

/// Byte offset of a 1-based line and 1-based (char) column.
fn offset_of(source: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        source.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let text = &source[line_start..];
    let within = text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i);
    Some(line_start + within)
}

/// A span inside `source`, on char boundaries.
fn clamp(source: &str, start: usize, end: usize) -> Span {
    let mut start = start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Keep acronyms and code as written: only lower "Found ..." style words.
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// The span of the first use of `name` as a context variable: an identifier inside
/// `{{ }}` or `{% %}` that is not an attribute (`.name`), a keyword argument
/// (`name=`) or inside a string literal.
fn first_use(source: &str, name: &str) -> Option<Span> {
    let bytes = source.as_bytes();
    let mut i = 0;
    while let Some(open) = source[i..].find('{').map(|p| p + i) {
        let close = match bytes.get(open + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => {
                i = source[open..]
                    .find("#}")
                    .map_or(source.len(), |p| open + p + 2);
                continue;
            }
            _ => {
                i = open + 1;
                continue;
            }
        };
        let body_start = open + 2;
        let body_end = source[body_start..]
            .find(close)
            .map_or(source.len(), |p| body_start + p);
        if let Some(found) = find_identifier(source, body_start, body_end, name) {
            return Some(found);
        }
        i = (body_end + 2).min(source.len());
        if i <= open {
            break;
        }
    }
    None
}

fn find_identifier(source: &str, start: usize, end: usize, name: &str) -> Option<Span> {
    let bytes = source.as_bytes();
    let mut i = start;
    let mut previous_significant = b' ';
    while i < end {
        let c = bytes[i];
        if c == b'"' || c == b'\'' || c == b'`' {
            i = source[i + 1..end]
                .find(c as char)
                .map_or(end, |p| i + 1 + p + 1);
            previous_significant = c;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let word_start = i;
            while i < end && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let after = source[i..end].trim_start();
            let is_kwarg = after.starts_with('=') && !after.starts_with("==");
            if &source[word_start..i] == name && previous_significant != b'.' && !is_kwarg {
                return Some(Span::new(word_start, i));
            }
            previous_significant = b'a';
            continue;
        }
        if !c.is_ascii_whitespace() {
            previous_significant = c;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(source: &str) -> Vec<String> {
        variables(source)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn loop_and_set_variables_are_not_inputs() {
        assert_eq!(
            names(
                "{% set x = 1 %}{{ x }} {% for i in items %}{{ i }}{{ loop.index }}{% endfor %}{{ y }}"
            ),
            ["items", "y"]
        );
    }

    #[test]
    fn order_is_first_use_and_attributes_are_skipped() {
        assert_eq!(
            names("{{ user.product }} {{ b | default(value=product) }} {{ \"a\" ~ a }}"),
            ["user", "b", "product", "a"]
        );
        let vars = variables("x {{ user.name }}").unwrap();
        assert_eq!(vars[0].1, Span::new(5, 9));
    }

    #[test]
    fn syntax_errors_point_into_the_template() {
        let errors = variables("line one\n{{ a }").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "template syntax error");
        assert_eq!(
            &"line one\n{{ a }"[errors[0].span.start..errors[0].span.end],
            "}"
        );
    }

    #[test]
    fn every_unknown_filter_is_reported() {
        let source = "{{ a | nosuch }}\nline2 {{ b | uper }}";
        let errors = variables(source).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(&source[errors[1].span.start..errors[1].span.end], "uper");
        assert_eq!(errors[1].help.as_deref(), Some("did you mean `upper`?"));
    }

    #[test]
    fn static_text_has_no_variables() {
        assert!(names("Be concise. {# a comment {{ x }} #}").is_empty());
    }
}
