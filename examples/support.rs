//! The Respan guide's multi-agent handoff: a triage agent routes the question to
//! the billing or the technical agent, all through the gateway.
//!
//! The agents live in `workflows/support.toml`; `respan::workflow!` turns the file
//! into the typed `support` module at compile time. A typo in a handoff target is
//! a compile error naming the file's line, and `last_agent` is an enum: adding an
//! agent to the file makes the `match` below fail to compile until it is handled.
//!
//! ```sh
//! cargo run --example support                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example support   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Gateway, OfflineExt, RunItem};

respan::workflow!("workflows/support.toml");

use support::{Agent, Vars, Workflow};

async fn run() -> Result<(), respan::Error> {
    // RESPAN_TRACING=1 exports the run's trace (see the README's "Tracing").
    let _tracing = respan::tracing::init_from_env()?;
    let gateway = Gateway::from_env_or_offline().await?;
    if let Some(notice) = gateway.offline_notice() {
        println!("{notice}");
    }
    scenario(&gateway).await
}

/// The scenario on any gateway: `tests/cassettes.rs` replays it from
/// `tests/cassettes/support.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(gateway: &Gateway) -> Result<(), respan::Error> {
    // `Vars` has one field per template variable of the instructions; the file's
    // `[vars]` gives `product` a default, so `Vars::default()` works too.
    let workflow = Workflow::new(Vars {
        product: "Respan".into(),
    });
    let result = workflow
        .run(gateway, "I'm having trouble connecting to the API.")
        .await?;

    for item in &result.new_items {
        if let RunItem::HandoffOutput { source, target, .. } = item {
            println!("Handoff: {source} -> {target}");
        }
    }
    let team = match result.last_agent {
        Agent::Triage => "triage",
        Agent::Billing => "billing",
        Agent::Technical => "technical support",
    };
    println!("Handled by: {} ({team})", result.last_agent.name());
    println!("{}", result.final_output);
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
