//! A tool call that needs approval, asked on the terminal: `y` runs it;
//! anything else rejects it, with a message for the model (Enter: the SDK's).
//! Without a terminal to ask on, the run fails and says so.

use std::io::Write as _;

use respan_runtime::{Error, REJECTION_MESSAGE, RunState};

use super::Session;
use super::terminal::{lock, say};

/// Asks about every pending call of `state` and records the answers.
pub(crate) async fn decide(
    session: &Session<'_>,
    mut state: RunState<String>,
) -> Result<RunState<String>, Error> {
    let undecided = |state: &RunState<String>| {
        let calls: Vec<String> = state
            .pending()
            .map(|call| format!("`{}` ({})", call.tool, call.call_id))
            .collect();
        Error::ApprovalRequired {
            calls: calls.join(", "),
        }
    };
    if !session.can_ask {
        return Err(undecided(&state));
    }
    let style = session.style();
    let pending: Vec<_> = state.pending().cloned().collect();
    lock(&session.terminal).finish();
    for call in pending {
        say(&style.tool(&format!(
            "⏸ {} wants to run {} {}",
            call.agent_name, call.tool, call.arguments
        )));
        let Some(answer) = session.ask("  approve? [y/N] ").await else {
            return Err(undecided(&state));
        };
        if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            state.approve(&call.call_id)?;
        } else {
            let prompt = format!("  message for the model (Enter: \"{REJECTION_MESSAGE}\"): ");
            let Some(message) = session.ask(&prompt).await else {
                return Err(undecided(&state));
            };
            state.reject(&call.call_id, message.trim())?;
        }
    }
    Ok(state)
}

impl Session<'_> {
    /// One line from stdin after `prompt` (on stderr); `None` when stdin
    /// ended (or failed): nobody is left to answer.
    pub(crate) async fn ask(&self, prompt: &str) -> Option<String> {
        {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{prompt}");
            let _ = stderr.flush();
        }
        let mut lines = self.lines.lock().await;
        match lines.next_line().await {
            Ok(Some(line)) => {
                if self.echo {
                    say(&line);
                }
                Some(line)
            }
            Ok(None) | Err(_) => {
                say("");
                None
            }
        }
    }
}
