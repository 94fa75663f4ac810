//! The Respan guide's "Respan parameters": a customer identifier and metadata sent
//! with every request of the agent (nested in `respan_params`, as the guide does).
//!
//! ```sh
//! cargo run --example respan_params                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example respan_params   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Agent, AgentSet, Gateway, RespanParams};

async fn run() -> Result<(), respan::Error> {
    let gateway = Gateway::from_env_or_offline().await?;
    if gateway.is_offline() {
        println!(
            "No RESPAN_API_KEY: using respan's offline gateway at {} \
             (export RESPAN_API_KEY=<your key> to use the real Respan gateway).",
            gateway.base_url()
        );
    }

    let agents = AgentSet::new("Tracked Agent".to_string()).agent(
        Agent::named("Tracked Agent").respan(
            RespanParams::new()
                .customer_identifier("user_123")
                .metadata("env", "production"),
        ),
    );
    let result = respan::run(&gateway, &agents, "Hello! Which customer am I?").await?;
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
