//! The result of checking one workflow source: its spec (when one could be
//! built) and every diagnostic, with rendering helpers.

use std::path::Path;

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, Severity};
use crate::render::{LineIndex, diagnostic_json, render_diagnostic};
use crate::spec::{Span, Spec};

/// A workflow source after parsing and checking.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Display path used in diagnostics, e.g. `workflows/support.toml`.
    pub path: String,
    /// The text (lossy if it was not UTF-8).
    pub source: String,
    /// Some when no error prevents building it (it may still have errors: see
    /// [`Checked::has_errors`]).
    pub spec: Option<Spec>,
    /// All of them, sorted by position (errors before warnings at the same place).
    pub diagnostics: Vec<Diagnostic>,
    index: LineIndex,
}

impl Checked {
    fn new(
        path: &str,
        source: String,
        spec: Option<Spec>,
        mut diagnostics: Vec<Diagnostic>,
    ) -> Self {
        diagnostics.sort_by(|a, b| {
            (a.span.start, std::cmp::Reverse(a.severity), a.span.end).cmp(&(
                b.span.start,
                std::cmp::Reverse(b.severity),
                b.span.end,
            ))
        });
        // `[defaults]` values are checked once per agent that inherits them.
        diagnostics.dedup();
        Self {
            path: path.to_owned(),
            index: LineIndex::new(&source),
            source,
            spec,
            diagnostics,
        }
    }

    /// Whether any diagnostic is an error (the file must not be compiled or run).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Number of errors and of warnings.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (errors, self.diagnostics.len() - errors)
    }

    /// The spec, only if the file has no errors.
    pub fn valid_spec(&self) -> Option<&Spec> {
        self.spec.as_ref().filter(|_| !self.has_errors())
    }

    /// 1-based line and column (in chars) of the start of `span`.
    pub fn location(&self, span: Span) -> (usize, usize) {
        self.index.location(&self.source, span.start)
    }

    /// Every diagnostic, rustc-style, separated by blank lines.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            out.push_str(&self.render_one(diagnostic, color));
            out.push_str("\n\n");
        }
        out
    }

    /// One diagnostic, rustc-style:
    ///
    /// ```text
    /// error: unknown handoff target `biling`
    ///  --> workflows/support.toml:8:13
    ///   |
    /// 8 | handoffs = ["biling", "technical"]
    ///   |             ^^^^^^^^ no agent with this id
    ///   |
    /// help: did you mean `billing`?
    /// ```
    pub fn render_one(&self, diagnostic: &Diagnostic, color: bool) -> String {
        render_diagnostic(&self.path, &self.source, diagnostic, color)
    }

    /// The JSON form: `{"file", "errors", "warnings", "diagnostics": [{"severity",
    /// "message", "file", "line", "column", "end_line", "end_column", "label",
    /// "help", "notes", "related"}]}`.
    pub fn to_json(&self) -> Value {
        let (errors, warnings) = self.counts();
        json!({
            "file": self.path,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": self
                .diagnostics
                .iter()
                .map(|d| diagnostic_json(&self.path, &self.source, &self.index, d))
                .collect::<Vec<_>>(),
        })
    }
}

/// Parses and checks a workflow's text. `display_path` is what diagnostics show
/// (and its stem is the default workflow name).
///
/// ```
/// let checked = respan_codegen::check_source("workflows/support.toml", r#"
/// [workflow]
/// entry = "triage"
///
/// [agents.triage]
/// handoffs = ["biling"]
///
/// [agents.billing]
/// "#);
/// assert!(checked.has_errors());
/// let text = checked.render(false);
/// assert!(text.contains("error: unknown handoff target `biling`"));
/// assert!(text.contains("--> workflows/support.toml:6:13"));
/// assert!(text.contains("help: did you mean `billing`?"));
/// ```
pub fn check_source(display_path: &str, source: &str) -> Checked {
    let parsed = crate::parse::parse(display_path, source);
    let mut diagnostics = parsed.diagnostics;
    if let Some(spec) = &parsed.spec {
        let parse_errors = diagnostics.iter().any(Diagnostic::is_error);
        diagnostics.extend(
            crate::check::check_spec(spec)
                .into_iter()
                // Warnings are only worth reading on an otherwise valid file.
                .filter(|d| !parse_errors || d.severity == Severity::Error)
                .filter(|d| !(parsed.agents_declared && d.message == crate::diagnostic::NO_AGENTS)),
        );
    }
    Checked::new(display_path, source.to_owned(), parsed.spec, diagnostics)
}

/// Like [`check_source`] for raw bytes: empty files and files that are not UTF-8
/// are diagnostics, not panics.
///
/// ```
/// let checked = respan_codegen::check_bytes("bad.toml", b"[workflow]\nentry = \"\xff\"\n");
/// assert_eq!(checked.diagnostics[0].message, "file is not valid UTF-8");
/// assert_eq!(checked.location(checked.diagnostics[0].span), (2, 10));
/// ```
pub fn check_bytes(display_path: &str, bytes: &[u8]) -> Checked {
    match std::str::from_utf8(bytes) {
        Ok(source) => check_source(display_path, source),
        Err(error) => {
            let start = error.valid_up_to();
            let source = String::from_utf8_lossy(bytes).into_owned();
            // The lossy text is identical up to the first bad byte, where U+FFFD starts.
            let end = source[start..]
                .chars()
                .next()
                .map_or(start, |c| start + c.len_utf8());
            let diagnostic = Diagnostic::error(
                "file is not valid UTF-8",
                Span::new(start, end),
                "invalid UTF-8 here",
            )
            .with_help("workflow files are TOML, which must be UTF-8: re-save the file as UTF-8");
            Checked::new(display_path, source, None, vec![diagnostic])
        }
    }
}

/// Reads and checks a file; an I/O error is a diagnostic, not a panic.
pub fn check_file(path: &Path, display_path: &str) -> Checked {
    match std::fs::read(path) {
        Ok(bytes) => check_bytes(display_path, &bytes),
        Err(error) => Checked::new(
            display_path,
            String::new(),
            None,
            vec![Diagnostic::error(
                format!("cannot read `{display_path}`: {error}"),
                Span::new(0, 0),
                "",
            )],
        ),
    }
}
