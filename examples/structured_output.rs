//! Structured output: agents that answer with typed values instead of text.
//! `workflows/ticket.toml` gives billing the Rust type `Refund`
//! (`[agents.billing.output] rust = "Refund"`) and technical a JSON Schema; the
//! generated `ticket::Output` enum has one variant per agent with its type, so
//! one `match` covers every agent. The strict JSON Schema is sent as the
//! `json_schema` response format, and the answer is checked against it
//! (recovered from code fences or quoted numbers when a model ignores the format).
//!
//! ```sh
//! cargo run --example structured_output                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example structured_output   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Gateway, OfflineExt};

/// Billing's answer. Doc comments become the schema's descriptions.
#[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
struct Refund {
    /// Whether the customer gets money back.
    approved: bool,
    /// How much, in cents (0 when not approved).
    amount_cents: u64,
    /// Why, in one sentence for the customer.
    reason: String,
}

respan::workflow!("workflows/ticket.toml");

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
/// `tests/cassettes/structured_output.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(gateway: &Gateway) -> Result<(), respan::Error> {
    let workflow = ticket::Workflow::new(ticket::Vars {});
    let run = workflow
        .run(
            gateway,
            "I was charged twice for my subscription, can I get a refund?",
        )
        .await?;

    // One arm per agent, each with its own type: a new agent does not compile
    // until it is handled here.
    match &run.final_output {
        ticket::Output::Billing(refund) if refund.approved => {
            println!("Refund of {} cents: {}", refund.amount_cents, refund.reason)
        }
        ticket::Output::Billing(refund) => println!("No refund: {}", refund.reason),
        ticket::Output::Technical(diagnosis) => {
            println!("[{}] {}", diagnosis["severity"], diagnosis["summary"])
        }
        ticket::Output::Triage(text) => println!("{text}"),
    }
    println!(
        "Answered by {} with {:?}",
        run.last_agent.name(),
        run.final_output
    );
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
