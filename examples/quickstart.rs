//! The Respan guide's quickstart: one agent, one question, through the gateway.
//!
//! ```sh
//! cargo run --example quickstart                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example quickstart   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Agent, AgentSet, Gateway};

async fn run() -> Result<(), respan::Error> {
    let gateway = Gateway::from_env_or_offline().await?;
    if gateway.is_offline() {
        println!(
            "No RESPAN_API_KEY: using respan's offline gateway at {} \
             (export RESPAN_API_KEY=<your key> to use the real Respan gateway).",
            gateway.base_url()
        );
    }

    let agents = AgentSet::new("Assistant".to_string())
        .agent(Agent::named("Assistant").instructions("You are a helpful assistant. Be concise."));
    let result = respan::run(
        &gateway,
        &agents,
        "What are the benefits of using an API gateway?",
    )
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
