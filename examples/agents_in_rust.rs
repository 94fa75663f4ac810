//! The support scenario with its agents declared in Rust: `#[respan_agent]` on
//! structs. Handoffs are types and tools are `#[respan_tool]` functions, so a
//! typo is a compiler error; the struct's fields are the instructions' template
//! variables.
//!
//! ```sh
//! cargo run --example agents_in_rust                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example agents_in_rust   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{AgentDef, AgentSetExt, Gateway, OfflineExt, RunItem, respan_agent, respan_tool};

/// Checks the status of the Respan API in a region.
#[respan_tool]
async fn api_status(
    /// The region, e.g. "eu" or "us".
    region: String,
) -> String {
    format!("The Respan API is operational in region {region:?}; no incident open.")
}

#[respan_agent(
    name = "Triage Agent",
    instructions = "Route to the appropriate agent based on the question.",
    handoffs = [Billing, Technical],
)]
struct Triage;

#[respan_agent(
    name = "Billing Agent",
    handoff_description = "Billing and payment questions",
    instructions = "Handle billing and payment questions."
)]
struct Billing;

#[respan_agent(
    name = "Technical Agent",
    handoff_description = "Technical support and API problems",
    model = "claude-sonnet-4-5-20250929",
    model_settings(temperature = 0.2),
    instructions = "Handle technical support questions for {{ product }}. Check the API status first.",
    tools = [api_status],
)]
struct Technical {
    product: String,
}

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
/// `tests/cassettes/agents_in_rust.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(gateway: &Gateway) -> Result<(), respan::Error> {
    // The set starts with Triage; every struct adds its agent.
    let agents = Triage.agent_set().with(&Billing).with(&Technical {
        product: "Respan".into(),
    });
    let result = respan::run(
        gateway,
        &agents,
        "I'm having trouble connecting to the API.",
    )
    .await?;

    for item in &result.new_items {
        match item {
            RunItem::HandoffOutput { source, target, .. } => {
                println!("Handoff: {source} -> {target}")
            }
            RunItem::ToolCall { call, .. } => {
                println!("Tool: {} {}", call.function.name, call.function.arguments)
            }
            _ => {}
        }
    }
    // Keys are the structs' ids: compare with `<Struct as AgentDef>::ID`.
    let team = match result.last_agent {
        Technical::ID => "technical support",
        Billing::ID => "billing",
        _ => "triage",
    };
    println!("Handled by: {} ({team})", result.last_agent_name);
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
