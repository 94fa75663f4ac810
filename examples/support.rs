//! The Respan guide's multi-agent handoff: a triage agent routes the question to
//! the billing or the technical agent, all through the gateway.
//!
//! ```sh
//! cargo run --example support                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example support   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Agent, AgentSet, Gateway, RunItem};

async fn run() -> Result<(), respan::Error> {
    let gateway = Gateway::from_env_or_offline().await?;
    if gateway.is_offline() {
        println!(
            "No RESPAN_API_KEY: using respan's offline gateway at {} \
             (export RESPAN_API_KEY=<your key> to use the real Respan gateway).",
            gateway.base_url()
        );
    }

    let agents = AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent")
                .instructions("Route to the appropriate agent based on the question.")
                .handoffs(["Billing Agent".to_string(), "Technical Agent".to_string()]),
        )
        .agent(
            Agent::named("Billing Agent")
                .instructions("Handle billing and payment questions.")
                .handoff_description("Billing and payment questions"),
        )
        .agent(
            Agent::named("Technical Agent")
                .instructions("Handle technical support questions.")
                .handoff_description("Technical support and API problems"),
        );

    let result = respan::run(
        &gateway,
        &agents,
        "I'm having trouble connecting to the API.",
    )
    .await?;

    for item in &result.new_items {
        if let RunItem::HandoffOutput { source, target, .. } = item {
            println!("Handoff: {source} -> {target}");
        }
    }
    println!("Handled by: {}", result.last_agent_name);
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
