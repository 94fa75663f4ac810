//! Agents as tools: a manager agent calls a researcher agent and a writer
//! agent as tools (the Agents SDK's `Agent.as_tool`) and keeps the
//! conversation; each tool's agent runs on the call's `input` to its own final
//! output. The agents and tools are declared in `workflows/manager.toml`
//! (`respan run workflows/manager.toml "..."` runs the same file). Prints every tool call as it is made, what each inner agent said
//! (its events arrive nested in the call), the final answer, and the usage of
//! each agent, inner ones included.
//!
//! ```sh
//! cargo run --example manager                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example manager   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Gateway, OfflineExt, RunEvent, RunItem};

// The agents live in `workflows/manager.toml`: the `[tools.research]` and
// `[tools.write]` tables make the researcher and the writer tools of the manager.
respan::workflow!("workflows/manager.toml");

use manager::{Agent, Vars, Workflow};

async fn run() -> Result<(), respan::Error> {
    let gateway = Gateway::from_env_or_offline().await?;
    if let Some(notice) = gateway.offline_notice() {
        println!("{notice}");
    }
    let workflow = Workflow::new(Vars {});
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Write about Rust's async model: research it, then write.".to_string());
    let mut stream = workflow.run_streamed(&gateway, question);
    while let Some(event) = stream.next_event().await {
        match event? {
            RunEvent::Item(RunItem::ToolCall { agent, call }) => {
                println!(
                    "{agent} calls {} {}",
                    call.function.name, call.function.arguments
                );
            }
            RunEvent::Nested { call_id, event } => {
                if let RunEvent::Item(RunItem::Message { agent, content }) = *event {
                    println!("  [{call_id}] {agent}: {content}");
                }
            }
            RunEvent::Completed(result) => {
                // `last_agent` is the file's `Agent` enum: the manager keeps the conversation.
                assert_eq!(result.last_agent, Agent::Manager);
                println!(
                    "\nFinal answer ({}):\n{}\n",
                    result.last_agent.name(),
                    result.final_output
                );
                println!("Usage per agent:");
                for (agent, usage) in result.usage_by_agent.iter() {
                    println!(
                        "  {:<10} {} request(s), {} tokens",
                        agent.name(),
                        usage.requests,
                        usage.total_tokens
                    );
                }
                println!(
                    "  {:<10} {} request(s), {} tokens",
                    "total", result.usage.requests, result.usage.total_tokens
                );
            }
            _ => {}
        }
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
