//! Diagnostics for people (rustc-style, via annotate-snippets, which rustc uses)
//! and for tools (JSON).

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, Severity};
use crate::spec::Span;

/// Line starts of a text, to turn byte offsets into 1-based lines and char columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `source`.
    pub fn new(source: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    /// 1-based line and 1-based column (counted in chars) of a byte offset.
    ///
    /// ```
    /// let source = "a = 1\nbé = 2\n";
    /// let index = respan_codegen::render::LineIndex::new(source);
    /// assert_eq!(index.location(source, 0), (1, 1));
    /// assert_eq!(index.location(source, 9), (2, 3)); // after `bé`: columns count chars
    /// ```
    pub fn location(&self, source: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(source.len());
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line];
        let column = source
            .get(start..offset)
            .map_or(offset - start, |text| text.chars().count());
        (line + 1, column + 1)
    }
}

/// A span adjusted to char boundaries inside `source`.
fn clamp(source: &str, span: Span) -> std::ops::Range<usize> {
    let mut start = span.start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// One diagnostic, rustc-style. `color` adds ANSI styles; without it the text is
/// plain (what snapshots and non-terminals get).
pub fn render_diagnostic(path: &str, source: &str, diagnostic: &Diagnostic, color: bool) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level.primary_title(diagnostic.message.as_str());
    let mut group = if source.is_empty() {
        title.element(Origin::path(path).line(1).char_column(1))
    } else {
        let primary = clamp(source, diagnostic.span);
        let mut snippet = Snippet::source(source).path(path).fold(true).annotation(
            AnnotationKind::Primary
                .span(primary)
                .label(label(&diagnostic.label)),
        );
        for (span, text) in &diagnostic.related {
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(clamp(source, *span))
                    .label(label(text)),
            );
        }
        title.element(snippet)
    };
    for note in &diagnostic.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    let mut report = vec![group];
    if let Some(help) = &diagnostic.help {
        report.push(Group::with_title(
            Level::HELP.secondary_title(help.as_str()),
        ));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&report)
}

fn label(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// The JSON form of a diagnostic: severity, message, file, 1-based line and
/// column (chars) of the start and end, label, help, notes and related spans.
pub fn diagnostic_json(
    path: &str,
    source: &str,
    index: &LineIndex,
    diagnostic: &Diagnostic,
) -> Value {
    let place = |span: Span| {
        let range = clamp(source, span);
        let (line, column) = index.location(source, range.start);
        let (end_line, end_column) = index.location(source, range.end);
        (line, column, end_line, end_column)
    };
    let (line, column, end_line, end_column) = place(diagnostic.span);
    json!({
        "severity": match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "message": diagnostic.message,
        "file": path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "label": diagnostic.label,
        "help": diagnostic.help,
        "notes": diagnostic.notes,
        "related": diagnostic.related.iter().map(|(span, label)| {
            let (line, column, end_line, end_column) = place(*span);
            json!({
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "label": label,
            })
        }).collect::<Vec<_>>(),
    })
}
