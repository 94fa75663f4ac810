//! Finding the JSON a model wrapped in Markdown or prose: the contents of code
//! fences (```` ```json ```` or bare ```` ``` ````), and the top-level `{...}` /
//! `[...]` spans of a text that parse as JSON.
//!
//! Conservative: nothing is repaired (no trailing commas dropped, no quotes
//! added, no unclosed brackets closed). A span that does not parse is searched
//! inside for one that does, within a budget of bytes scanned, so adversarial
//! text (`[[[[...`) costs a bounded multiple of its length.

use serde_json::Value;

/// Deepest nesting `serde_json` parses (its recursion limit is 128 levels, exclusive).
const MAX_NESTING: usize = 127;

/// The contents of the Markdown code fences in `text`, in order. A fence is a
/// run of three or more backticks with an optional language tag. Its content
/// starts on the next line and ends at the next line starting with the same run
/// (else at the next run anywhere), or starts right after the tag
/// (```` ```json {"a": 1}``` ````) and ends at the next run. An unclosed fence
/// runs to the end of the text.
pub(super) fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("```") {
        let open = from + found;
        let ticks = text[open..].bytes().take_while(|&b| b == b'`').count();
        let fence = &text[open..open + ticks];
        let after_fence = open + ticks;
        // The language tag (`json`, `JSON`, `jsonc`, ...) ends at a space or where JSON starts.
        let tag = text[after_fence..]
            .find(|c: char| c.is_whitespace() || matches!(c, '{' | '[' | '`' | '"'))
            .unwrap_or(text.len() - after_fence);
        let body = after_fence + tag;
        let line_end = text[body..].find('\n').map_or(text.len(), |i| body + i);
        let inline = !text[body..line_end].trim().is_empty();
        let close = if inline {
            text[body..].find(fence).map(|i| body + i)
        } else {
            closing_line(text, line_end, fence)
                .or_else(|| text[body..].find(fence).map(|i| body + i))
        };
        match close {
            Some(close) => {
                blocks.push(&text[body..close]);
                let after_close = &text[close..];
                from = close + after_close.bytes().take_while(|&b| b == b'`').count();
            }
            None => {
                blocks.push(&text[body..]);
                break;
            }
        }
    }
    blocks
}

/// The offset of the first `fence` starting a line (after indentation) at or after `from`.
fn closing_line(text: &str, from: usize, fence: &str) -> Option<usize> {
    let mut line_start = from;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        let line = &text[line_start..line_end];
        let indent = line.len() - line.trim_start().len();
        if line[indent..].starts_with(fence) {
            return Some(line_start + indent);
        }
        line_start = line_end + 1;
    }
    None
}

/// What a search of a text for JSON found.
pub(super) struct Found {
    /// The values of the top-level spans that parse, in order.
    pub(super) values: Vec<Value>,
    /// Whether the budget ran out before the end of the text.
    pub(super) gave_up: bool,
    /// Whether a `{` or `[` never closes (an answer cut short, or a stray bracket).
    pub(super) unclosed: bool,
}

/// The JSON values of the top-level `{...}` / `[...]` spans of `text`.
///
/// `budget` is the number of bytes the search may scan (spent across calls).
pub(super) fn embedded_values(text: &str, budget: &mut usize) -> Found {
    let bytes = text.as_bytes();
    let mut values = Vec::new();
    let mut unclosed = false;
    let mut stack = Vec::new();
    let mut from = 0;
    while let Some(offset) = bytes[from..].iter().position(|&b| b == b'{' || b == b'[') {
        let start = from + offset;
        match span(bytes, start, &mut stack, budget) {
            Span::Closed { end, nesting } if nesting > MAX_NESTING => {
                // JSON-shaped but deeper than can be parsed: skip it whole, so
                // its inner spans are not taken for the answer.
                from = end;
            }
            Span::Closed { end, .. } => match serde_json::from_str(&text[start..end]) {
                Ok(value) => {
                    values.push(value);
                    from = end;
                }
                Err(_) => {
                    // Prose in brackets (`[see {"a": 1}]`): look inside.
                    *budget = budget.saturating_sub(end - start);
                    from = start + 1;
                }
            },
            Span::Mismatched => from = start + 1,
            Span::Unclosed => {
                // Its inner spans may still hold the JSON (after a stray bracket).
                unclosed = true;
                from = start + 1;
            }
            Span::OutOfBudget => {
                return Found {
                    values,
                    gave_up: true,
                    unclosed,
                };
            }
        }
    }
    Found {
        values,
        gave_up: false,
        unclosed,
    }
}

enum Span {
    /// Balanced, ending before `end`, nesting `nesting` levels deep.
    Closed {
        end: usize,
        nesting: usize,
    },
    /// A closing bracket that does not match.
    Mismatched,
    /// The text ends first.
    Unclosed,
    OutOfBudget,
}

/// The balanced span starting at the bracket at `start`, aware of JSON strings
/// and their escapes (a `}` in `"a}"` closes nothing).
fn span(bytes: &[u8], start: usize, stack: &mut Vec<u8>, budget: &mut usize) -> Span {
    stack.clear();
    let mut nesting = 0;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &byte) in bytes[start..].iter().enumerate() {
        let Some(left) = budget.checked_sub(1) else {
            return Span::OutOfBudget;
        };
        *budget = left;
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                stack.push(if byte == b'{' { b'}' } else { b']' });
                nesting = nesting.max(stack.len());
            }
            b'}' | b']' => {
                if stack.pop() != Some(byte) {
                    return Span::Mismatched;
                }
                if stack.is_empty() {
                    return Span::Closed {
                        end: start + i + 1,
                        nesting,
                    };
                }
            }
            _ => {}
        }
    }
    Span::Unclosed
}
