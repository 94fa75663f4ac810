//! Streaming: the support workflow's answer printed as the gateway sends it,
//! with a line for each handoff (`→ Technical Agent`) and tool call
//! (`⚙ lookup_invoice {"id":"42"}`), and the token usage of each agent at the end.
//!
//! The agents live in `workflows/support.toml`, compiled by `respan::workflow!`.
//! Dropping the stream (e.g. on Ctrl-C) cancels the run and its request.
//!
//! ```sh
//! cargo run --example streaming                                  # offline gateway, no key needed
//! cargo run --example streaming -- "I have a billing question."  # another question
//! RESPAN_API_KEY=... cargo run --example streaming               # the real Respan gateway
//! ```

use std::io::Write as _;
use std::process::ExitCode;

use respan::{Gateway, OfflineExt, RunEvent, RunItem};

respan::workflow!("workflows/support.toml");

use support::{Vars, Workflow};

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // RESPAN_TRACING=1 exports the run's trace (see the README's "Tracing").
    let _tracing = respan::tracing::init_from_env()?;
    let gateway = Gateway::from_env_or_offline().await?;
    if let Some(notice) = gateway.offline_notice() {
        eprintln!("{notice}");
    }
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "I'm having trouble connecting to the API.".to_string());
    scenario(&gateway, question).await
}

/// The scenario on any gateway: `tests/cassettes.rs` replays it from
/// `tests/cassettes/streaming.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(
    gateway: &Gateway,
    question: String,
) -> Result<(), Box<dyn std::error::Error>> {
    let workflow = Workflow::new(Vars {
        product: "Respan".into(),
    });

    let mut out = std::io::stdout();
    // Whether the cursor is after streamed text (a line must end before the next one).
    let mut in_text = false;
    let mut events = workflow.run_streamed(gateway, question);
    while let Some(event) = events.next_event().await {
        match event? {
            RunEvent::TextDelta { delta, .. } => {
                write!(out, "{delta}")?;
                out.flush()?;
                in_text = !delta.ends_with('\n');
            }
            RunEvent::Item(RunItem::HandoffOutput { target, .. }) => {
                end_line(&mut out, &mut in_text)?;
                writeln!(out, "→ {}", target.name())?;
            }
            RunEvent::Item(RunItem::ToolCall { call, .. }) => {
                end_line(&mut out, &mut in_text)?;
                writeln!(out, "⚙ {} {}", call.function.name, call.function.arguments)?;
            }
            RunEvent::Completed(result) => {
                end_line(&mut out, &mut in_text)?;
                writeln!(out)?;
                for (agent, usage) in result.usage_by_agent.iter() {
                    writeln!(
                        out,
                        "{}: {} request(s), {} input + {} output = {} tokens",
                        agent.name(),
                        usage.requests,
                        usage.input_tokens,
                        usage.output_tokens,
                        usage.total_tokens
                    )?;
                }
            }
            // Agent changes, tool-call fragments, tool results, handoff requests.
            _ => {}
        }
    }
    Ok(())
}

/// Ends the line of streamed text, if one is open.
fn end_line(out: &mut impl std::io::Write, in_text: &mut bool) -> std::io::Result<()> {
    if std::mem::take(in_text) {
        writeln!(out)?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
