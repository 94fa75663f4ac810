//! The Respan guide's "Prompts": a prompt managed on the platform, sent in each of
//! the three ways the gateway accepts: `extra_body.prompt` (top level of the body),
//! nested in `respan_params` (with other Respan params), and the base64
//! `X-Data-Respan-Params` header.
//!
//! ```sh
//! cargo run --example prompts                                              # offline gateway
//! RESPAN_API_KEY=... RESPAN_PROMPT_ID=<your prompt id> cargo run --example prompts
//! ```

use std::process::ExitCode;

use respan::{Agent, AgentSet, Gateway, GatewayPrompt, Placement, RespanParams};

async fn run() -> Result<(), respan::Error> {
    let gateway = Gateway::from_env_or_offline().await?;
    if gateway.is_offline() {
        println!(
            "No RESPAN_API_KEY: using respan's offline gateway at {} \
             (export RESPAN_API_KEY=<your key> to use the real Respan gateway).",
            gateway.base_url()
        );
    }
    let prompt_id = std::env::var("RESPAN_PROMPT_ID").unwrap_or_else(|_| "YOUR_PROMPT_ID".into());

    let placements = [
        ("extra_body.prompt", Placement::Body),
        ("respan_params.prompt", Placement::RespanParams),
        ("X-Data-Respan-Params header", Placement::Header),
    ];
    let mut failed = false;
    for (label, placement) in placements {
        // schema_version 2: the prompt's messages come first, ours are appended.
        let prompt = GatewayPrompt::new(&prompt_id)
            .variable("task", "answer questions concisely")
            .placement(placement);
        let mut agent = Agent::named("Prompt Agent")
            .instructions("You are a helpful assistant.")
            .prompt(prompt);
        if placement == Placement::RespanParams {
            // The nested form is the one to use alongside other Respan params.
            agent = agent.respan(RespanParams::new().customer_identifier("user_123"));
        }
        let agents = AgentSet::new("Prompt Agent".to_string()).agent(agent);
        match respan::run(&gateway, &agents, "What can you do?").await {
            Ok(result) => println!("{label}: {}", result.final_output),
            Err(error) => {
                failed = true;
                println!("{label}: error: {error}");
            }
        }
    }
    if failed && !gateway.is_offline() {
        println!("(set RESPAN_PROMPT_ID to the id of a prompt on your Respan platform)");
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
