//! The Respan guide's quickstart: one agent, one question, through the gateway.
//! The agent is declared in `workflows/quickstart.toml` and compiled into the
//! typed `quickstart` module by `respan::workflow!`.
//!
//! ```sh
//! cargo run --example quickstart                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example quickstart   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Gateway, OfflineExt};

respan::workflow!("workflows/quickstart.toml");

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
/// `tests/cassettes/quickstart.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(gateway: &Gateway) -> Result<(), respan::Error> {
    let workflow = quickstart::Workflow::new(quickstart::Vars {});
    let result = workflow
        .run(gateway, "What are the benefits of using an API gateway?")
        .await?;
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
