//! The Respan guide's "switch models": the same agent on three providers' models,
//! through the same gateway and key. The agent comes from
//! `workflows/switch_models.toml`; its model is switched at run time.
//!
//! ```sh
//! cargo run --example switch_models                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example switch_models   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Gateway, OfflineExt};

respan::workflow!("workflows/switch_models.toml");

use switch_models::{Agent, Vars, Workflow};

const MODELS: [&str; 3] = ["gpt-4o", "claude-sonnet-4-5-20250929", "gemini-2.5-flash"];

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
/// `tests/cassettes/switch_models.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(gateway: &Gateway) -> Result<(), respan::Error> {
    let workflow = Workflow::new(Vars {});
    for model in MODELS {
        let workflow = workflow
            .clone()
            .with_agent(Agent::Assistant, |agent| agent.model(model));
        let result = workflow
            .run(gateway, "In one sentence: who are you?")
            .await?;
        println!("{model}: {}", result.final_output);
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
