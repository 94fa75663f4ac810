//! The Respan guide's "Prompts": a prompt managed on the platform, sent in each of
//! the three ways the gateway accepts: `extra_body.prompt` (top level of the body),
//! nested in `respan_params` (with other Respan params), and the base64
//! `X-Data-Respan-Params` header.
//!
//! The agent and its prompt come from `workflows/prompts.toml`
//! (`[agents.prompt_agent.prompt]`); the example changes the prompt's id and
//! placement at run time.
//!
//! ```sh
//! cargo run --example prompts                                              # offline gateway
//! RESPAN_API_KEY=... RESPAN_PROMPT_ID=<your prompt id> cargo run --example prompts
//! ```

use std::process::ExitCode;

use respan::{Gateway, OfflineExt, Placement, RespanParams};

respan::workflow!("workflows/prompts.toml");

use prompts::{Agent, Vars, Workflow};

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
/// `tests/cassettes/prompts.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(gateway: &Gateway) -> Result<(), respan::Error> {
    let prompt_id = std::env::var("RESPAN_PROMPT_ID").ok();

    let placements = [
        ("extra_body.prompt", Placement::Body),
        ("respan_params.prompt", Placement::RespanParams),
        ("X-Data-Respan-Params header", Placement::Header),
    ];
    let workflow = Workflow::new(Vars {});
    let mut failed = false;
    for (label, placement) in placements {
        let workflow = workflow.clone().with_agent(Agent::PromptAgent, |agent| {
            // schema_version 2 (from the file): the prompt's messages come first,
            // ours are appended.
            let Some(mut prompt) = agent.gateway_prompt().cloned() else {
                return agent;
            };
            if let Some(id) = &prompt_id {
                prompt.prompt_id = id.clone();
            }
            prompt.placement = placement;
            let agent = agent.prompt(prompt);
            if placement == Placement::RespanParams {
                // The nested form is the one to use alongside other Respan params.
                agent.respan(RespanParams::new().customer_identifier("user_123"))
            } else {
                agent
            }
        });
        match workflow.run(gateway, "What can you do?").await {
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
