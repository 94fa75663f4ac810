//! Diagnostics: what the checker reports, rendered like rustc or as JSON.

use crate::spec::Span;

/// How bad a diagnostic is: errors fail `respan check` and the build, warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about a workflow source, at a span of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The headline, e.g. "unknown handoff target `biling`".
    pub message: String,
    /// Where in the source; the label is shown under the snippet.
    pub span: Span,
    pub label: String,
    /// A fix, e.g. "did you mean `billing`?".
    pub help: Option<String>,
    /// Further context, e.g. where the other duplicate is.
    pub notes: Vec<String>,
    /// Other places worth showing in the snippet, each with its own label
    /// (e.g. "first defined here" for a duplicate).
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            span,
            label: label.into(),
            help: None,
            notes: Vec::new(),
            related: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(message, span, label)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Adds a secondary place to the snippet, with its label.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The headline when no agent is declared: the parser says it for an empty
/// `[agents]`, the checker for none at all, and `Checked` drops the checker's
/// when the parser has said it.
pub(crate) const NO_AGENTS: &str = "workflow has no agents";

/// "`key` must be RANGE, found VALUE": shared by the parser, the checker and the attribute.
pub(crate) fn out_of_range(key: &str, range_text: &str, found: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        format!("`{key}` out of range: must be {range_text}, found {found}"),
        span,
        format!("must be {range_text}"),
    )
}

/// "`a`, `b` or `c`": the alternatives a diagnostic offers.
pub(crate) fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!(
            "{} or `{last}`",
            init.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
