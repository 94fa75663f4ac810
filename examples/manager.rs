//! Agents as tools: a manager agent calls a researcher agent and a writer
//! agent as tools (the Agents SDK's `Agent.as_tool`) and keeps the
//! conversation; each tool's agent runs on the call's `input` to its own final
//! output. Prints every tool call as it is made, what each inner agent said
//! (its events arrive nested in the call), the final answer, and the usage of
//! each agent, inner ones included.
//!
//! ```sh
//! cargo run --example manager                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example manager   # the real Respan gateway
//! ```

use std::process::ExitCode;

use respan::{Agent, AgentSet, AgentTool, Gateway, OfflineExt, RunEvent, RunItem, Runner};

fn agents() -> AgentSet {
    AgentSet::new("Manager".to_string())
        .agent(
            Agent::named("Manager")
                .instructions(
                    "You write short articles. Use research to gather facts, then write \
                     to turn them into a paragraph, then answer with the paragraph.",
                )
                .model("gpt-4o")
                .agent_tool(
                    AgentTool::new("Researcher".to_string())
                        .name("research")
                        .description("Research a topic and list the facts."),
                )
                .agent_tool(
                    AgentTool::new("Writer".to_string())
                        .name("write")
                        .description("Write one paragraph from notes."),
                ),
        )
        .agent(
            Agent::named("Researcher")
                .instructions("List the key facts about the topic, one per line.")
                .model("gpt-4o-mini"),
        )
        .agent(
            Agent::named("Writer")
                .instructions("Write one clear paragraph from the notes you are given.")
                .model("gpt-4o-mini"),
        )
}

async fn run() -> Result<(), respan::Error> {
    let gateway = Gateway::from_env_or_offline().await?;
    if let Some(notice) = gateway.offline_notice() {
        println!("{notice}");
    }
    let agents = agents();
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Write about Rust's async model: research it, then write.".to_string());
    let mut stream = Runner::new().run_streamed(&gateway, &agents, question);
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
                println!(
                    "\nFinal answer ({}):\n{}\n",
                    result.last_agent, result.final_output
                );
                println!("Usage per agent:");
                for (agent, usage) in result.usage_by_agent.iter() {
                    println!(
                        "  {agent:<10} {} request(s), {} tokens",
                        usage.requests, usage.total_tokens
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
