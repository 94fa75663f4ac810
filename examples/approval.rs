//! A refund that waits for a person's yes. `[tools.refund] needs_approval = true`
//! (examples/refunds.toml) stops the run before the refund runs: the run's
//! `RunState` goes to JSON and back (as if stored while a person decides, then
//! loaded by another process), the decision is asked on stdin (or given with
//! `--yes` / `--no`), and the run resumes where it stopped.
//!
//! ```sh
//! cargo run --example approval             # asks: approve the refund? [y/N]
//! cargo run --example approval -- --yes    # approves without asking
//! cargo run --example approval -- --no     # rejects; the model is told why
//! ```

use std::process::ExitCode;

use respan::{Gateway, OfflineExt, RunOutcome, RunState, respan_tool};

/// Refunds an order in full.
#[respan_tool]
fn refund(
    /// The order number, e.g. "A-1001".
    order_id: String,
) -> String {
    format!("Order {order_id} was refunded in full.")
}

respan::workflow!("examples/refunds.toml");

/// How the refund is decided.
#[derive(Clone, Copy)]
enum Decide {
    Ask,
    Yes,
    No,
}

/// Whether the call is approved: from the flag, or asked on stdin.
async fn approved(decide: Decide) -> Result<bool, String> {
    match decide {
        Decide::Yes => Ok(true),
        Decide::No => Ok(false),
        Decide::Ask => {
            print!("Approve the refund? [y/N] ");
            std::io::Write::flush(&mut std::io::stdout()).map_err(|e| e.to_string())?;
            // Reading stdin blocks: off the async runtime's threads.
            let line = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map(|n| (n, line))
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot read the answer: {e}"))?;
            match line {
                (0, _) => Err("no answer on stdin: pass --yes or --no".to_string()),
                (_, answer) => {
                    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                        println!("{}", answer.trim()); // what a terminal would have echoed
                    }
                    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
                }
            }
        }
    }
}

async fn run(decide: Decide) -> Result<(), String> {
    let gateway = Gateway::from_env_or_offline()
        .await
        .map_err(|e| e.to_string())?;
    if let Some(notice) = gateway.offline_notice() {
        println!("{notice}");
    }
    let workflow = refunds::Workflow::new(refunds::Vars {});
    let mut outcome = workflow
        .run_resumable(
            &gateway,
            "My order \"A-1001\" arrived broken, please refund it.",
        )
        .await
        .map_err(|e| e.to_string())?;
    loop {
        let state = match outcome {
            RunOutcome::Completed(result) => {
                println!("{}", result.final_output);
                return Ok(());
            }
            RunOutcome::Interrupted(state) => state,
        };
        // The run is stopped: store it (a database row, a queue message) ...
        let saved = state.to_json().map_err(|e| e.to_string())?;
        println!("(run stopped; its state is {} bytes of JSON)", saved.len());
        // ... and, when the person answers, load it, maybe in another process.
        let mut state: RunState<refunds::Agent> =
            RunState::from_json(&saved).map_err(|e| e.to_string())?;
        let pending: Vec<_> = state.pending().cloned().collect();
        for call in pending {
            println!(
                "{} wants to run {} {}",
                call.agent.name(),
                call.tool,
                call.arguments
            );
            if approved(decide).await? {
                state.approve(&call.call_id).map_err(|e| e.to_string())?;
            } else {
                let message = "A person declined this refund: the order is not refunded.";
                state
                    .reject(&call.call_id, message)
                    .map_err(|e| e.to_string())?;
            }
        }
        outcome = workflow
            .resume(&gateway, state)
            .await
            .map_err(|e| e.to_string())?;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let decide = match std::env::args().nth(1).as_deref() {
        None => Decide::Ask,
        Some("--yes") => Decide::Yes,
        Some("--no") => Decide::No,
        Some(other) => {
            eprintln!("error: unknown argument `{other}`; use --yes, --no, or nothing to be asked");
            return ExitCode::from(2);
        }
    };
    match run(decide).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
