//! What a streamed run looks like: the answer's text on stdout as it arrives;
//! on stderr, `→ <agent>` at each handoff, `⚙ <tool> <args>` at each tool call,
//! a command tool's failure (dimmed), the usage at the end, and a spinner while
//! waiting for the model, only when stderr is a terminal (plain text when it is
//! not: no escape codes in pipes).

use std::io::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use respan_cli::command::CommandFailure;
use respan_runtime::{RunEvent, RunItem, Usage, UsageByAgent};

/// A line on stderr; a closed stderr is not worth a panic.
pub(crate) fn say(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Colors for stderr, or none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    color: bool,
}

impl Style {
    pub(crate) fn new(color: bool) -> Self {
        Self { color }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    pub(crate) fn agent(self, text: &str) -> String {
        self.paint("36", text)
    }

    pub(crate) fn tool(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub(crate) fn error(self, text: &str) -> String {
        self.paint("1;31", text)
    }
}

/// The terminal of one `respan run` (or chat), shared with the command tools'
/// failure hook.
pub(crate) type Shared = Arc<Mutex<Terminal>>;

/// Locks the terminal (a panic elsewhere does not stop the output).
pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, Terminal> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The output of runs, in order.
pub(crate) struct Terminal {
    style: Style,
    /// Whether the answer's text goes to stdout (not with `--json`).
    text: bool,
    /// Whether a spinner may be shown (stderr is a terminal).
    spinner_allowed: bool,
    spinner: Option<ProgressBar>,
    /// Whether stdout's last line is unfinished (the answer is streaming).
    mid_line: bool,
    /// Agent updates seen in this run (the first is the starting agent: no line).
    agents_seen: usize,
}

/// The longest tool arguments shown in a `⚙` line.
const ARGUMENTS_SHOWN: usize = 200;

impl Terminal {
    pub(crate) fn new(style: Style, text: bool, spinner_allowed: bool) -> Self {
        Self {
            style,
            text,
            spinner_allowed,
            spinner: None,
            mid_line: false,
            agents_seen: 0,
        }
    }

    pub(crate) fn style(&self) -> Style {
        self.style
    }

    /// A run starts with `agent`: the spinner until its first token.
    pub(crate) fn start(&mut self, agent: &str) {
        self.agents_seen = 0;
        self.waiting(&format!("{agent} is thinking…"));
    }

    /// Shows the spinner (on a terminal, at the start of a line) with `message`.
    fn waiting(&mut self, message: &str) {
        if !self.spinner_allowed || self.spinner.is_some() || self.mid_line {
            return;
        }
        let spinner = ProgressBar::new_spinner();
        spinner.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.set_message(self.style.dim(message));
        spinner.enable_steady_tick(Duration::from_millis(80));
        self.spinner = Some(spinner);
    }

    /// Removes the spinner, leaving nothing on the screen.
    fn stop_spinner(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }

    /// Ends stdout's unfinished line, so stderr's next line starts on its own.
    fn end_line(&mut self) {
        if self.mid_line {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout);
            let _ = stdout.flush();
            self.mid_line = false;
        }
    }

    /// A line on stderr, between the spinner and the text.
    pub(crate) fn line(&mut self, text: &str) {
        self.stop_spinner();
        self.end_line();
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// An event of the run (not the final result: see [`Terminal::finish`]).
    pub(crate) fn event(&mut self, event: &RunEvent<String>) {
        match event {
            RunEvent::AgentUpdated { name, .. } => {
                self.agents_seen += 1;
                if self.agents_seen > 1 {
                    let line = self.style.agent(&format!("→ {name}"));
                    self.line(&line);
                    self.waiting(&format!("{name} is thinking…"));
                }
            }
            RunEvent::TextDelta { delta, .. } if self.text && !delta.is_empty() => {
                self.stop_spinner();
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(delta.as_bytes());
                let _ = stdout.flush();
                self.mid_line = !delta.ends_with('\n');
            }
            RunEvent::Item(RunItem::ToolCall { call, .. }) => {
                let arguments = compact(&call.function.arguments);
                let line = self
                    .style
                    .tool(&format!("⚙ {} {arguments}", call.function.name));
                self.line(&line);
                self.waiting(&format!("running {}…", call.function.name));
            }
            RunEvent::Item(RunItem::Message { .. }) => self.end_line(),
            // Text with `--json`, other items, tool-call deltas (shown whole,
            // as the call) and events this version does not know.
            _ => {}
        }
    }

    /// A command tool failed: what it said on stderr, dimmed.
    pub(crate) fn command_failed(&mut self, failure: &CommandFailure) {
        let mut text = format!("⚙ {} failed: {}", failure.tool, failure.reason);
        for line in failure.stderr.trim_end().lines() {
            text.push_str("\n  │ ");
            text.push_str(line);
        }
        let text = self.style.dim(&text);
        self.line(&text);
    }

    /// The run ended (with a result or not): no spinner, the text's line ended.
    pub(crate) fn finish(&mut self) {
        self.stop_spinner();
        self.end_line();
    }

    /// The usage: in total, then per agent (`names` gives an agent's display name).
    pub(crate) fn usage(
        &mut self,
        total: &Usage,
        by_agent: &UsageByAgent<String>,
        names: impl Fn(&str) -> String,
    ) {
        let mut text = match by_agent.iter().next() {
            Some((agent, _)) if by_agent.len() == 1 => {
                format!("usage ({}): {}", names(agent), usage_text(total))
            }
            _ => format!("usage: {}", usage_text(total)),
        };
        if by_agent.len() > 1 {
            let rows: Vec<(String, &Usage)> = by_agent
                .iter()
                .map(|(agent, usage)| (names(agent), usage))
                .collect();
            let width = rows.iter().map(|(name, _)| name.chars().count()).max();
            for (name, usage) in &rows {
                let pad = width.unwrap_or(0) - name.chars().count();
                text.push_str(&format!(
                    "\n  {name}{}  {}",
                    " ".repeat(pad),
                    usage_text(usage)
                ));
            }
        }
        let text = self.style.dim(&text);
        self.line(&text);
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.finish();
    }
}

/// "2 requests · 87 tokens (70 in, 17 out)".
fn usage_text(usage: &Usage) -> String {
    format!(
        "{} request{} · {} tokens ({} in, {} out)",
        usage.requests,
        if usage.requests == 1 { "" } else { "s" },
        usage.total_tokens,
        usage.input_tokens,
        usage.output_tokens
    )
}

/// Tool arguments on one line: compact JSON when they are JSON, cut when long.
fn compact(arguments: &str) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(value) => value.to_string(),
        Err(_) => arguments.split_whitespace().collect::<Vec<_>>().join(" "),
    };
    if text.chars().count() <= ARGUMENTS_SHOWN {
        return text;
    }
    let cut: String = text.chars().take(ARGUMENTS_SHOWN).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_one_compact_line() {
        assert_eq!(compact("{\n  \"id\": \"42\"\n}"), r#"{"id":"42"}"#);
        assert_eq!(compact("not\njson"), "not json");
        let long = format!("\"{}\"", "x".repeat(300));
        assert_eq!(compact(&long).chars().count(), ARGUMENTS_SHOWN + 1);
    }

    #[test]
    fn usage_reads_like_a_sentence() {
        let usage = Usage {
            requests: 1,
            input_tokens: 70,
            output_tokens: 17,
            total_tokens: 87,
        };
        assert_eq!(usage_text(&usage), "1 request · 87 tokens (70 in, 17 out)");
    }

    #[test]
    fn plain_style_has_no_escape_codes() {
        assert_eq!(Style::new(false).dim("x"), "x");
        assert_eq!(Style::new(true).dim("x"), "\x1b[2mx\x1b[0m");
    }
}
