//! The Respan guide's "Respan parameters": a customer identifier and metadata sent
//! with every request of the agent (nested in `respan_params`, as the guide does).
//! The parameters are declared in `workflows/respan_params.toml`
//! (`[agents.tracked.respan]`).
//!
//! ```sh
//! cargo run --example respan_params                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example respan_params   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Gateway, OfflineExt};

respan::workflow!("workflows/respan_params.toml");

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
/// `tests/cassettes/respan_params.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(gateway: &Gateway) -> Result<(), respan::Error> {
    let workflow = respan_params::Workflow::new(respan_params::Vars {});
    let result = workflow.run(gateway, "Hello! Which customer am I?").await?;
    println!("{}", result.final_output);
    println!("(see the request on the Logs page under customer user_123)");
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
