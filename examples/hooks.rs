//! Lifecycle hooks on the Respan guide's support scenario: each hook prints a
//! line as it fires (agent start and end, every model request and answer, the
//! handoff), with the usage so far.
//!
//! ```sh
//! cargo run --example hooks                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example hooks   # the real Respan gateway
//! ```

use std::process::ExitCode;
use std::time::Instant;

use respan::{
    Agent, AgentKey, Gateway, HookResult, InputItem, ModelResponse, OfflineExt, RunContext,
    RunHooks, Runner, ToolCall, async_trait,
};

respan::workflow!("workflows/support.toml");

/// Prints every hook, with the time since the run started.
struct Printer {
    started: Instant,
}

impl Printer {
    fn line(&self, hook: &str, text: String) {
        let ms = self.started.elapsed().as_secs_f64() * 1000.0;
        println!("[{ms:7.1} ms] {hook:<15} {text}");
    }
}

#[async_trait]
impl<K: AgentKey, C: Sync> RunHooks<K, C> for Printer {
    async fn on_agent_start(&self, _run: &RunContext<'_, C>, agent: &Agent<K, C>) -> HookResult {
        self.line("on_agent_start", agent.name().to_string());
        Ok(())
    }

    async fn on_llm_start(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        system: Option<&str>,
        input: &[InputItem],
    ) -> HookResult {
        self.line(
            "on_llm_start",
            format!(
                "{} (request {}, {} message(s) after the system message {:?})",
                agent.name(),
                run.turns() + 1,
                input.len(),
                system.unwrap_or_default()
            ),
        );
        Ok(())
    }

    async fn on_llm_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        response: &ModelResponse,
    ) -> HookResult {
        let calls = match &response.message {
            InputItem::Assistant { tool_calls, .. } => tool_calls
                .iter()
                .map(|c| c.function.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        };
        let answer = if calls.is_empty() {
            "text".to_string()
        } else {
            format!("calls {calls}")
        };
        self.line(
            "on_llm_end",
            format!(
                "{}: {answer} ({} tokens so far)",
                agent.name(),
                run.usage().total_tokens
            ),
        );
        Ok(())
    }

    async fn on_tool_start(
        &self,
        _run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
    ) -> HookResult {
        self.line(
            "on_tool_start",
            format!(
                "{} runs {} {}",
                agent.name(),
                call.function.name,
                call.function.arguments
            ),
        );
        Ok(())
    }

    async fn on_tool_end(
        &self,
        _run: &RunContext<'_, C>,
        _agent: &Agent<K, C>,
        call: &ToolCall,
        result: &str,
    ) -> HookResult {
        self.line("on_tool_end", format!("{} → {result}", call.function.name));
        Ok(())
    }

    async fn on_handoff(
        &self,
        _run: &RunContext<'_, C>,
        from: &Agent<K, C>,
        to: &Agent<K, C>,
    ) -> HookResult {
        self.line("on_handoff", format!("{} → {}", from.name(), to.name()));
        Ok(())
    }

    async fn on_agent_end(
        &self,
        _run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        output: &str,
    ) -> HookResult {
        self.line("on_agent_end", format!("{}: {output:?}", agent.name()));
        Ok(())
    }
}

async fn run() -> Result<(), respan::Error> {
    let gateway = Gateway::from_env_or_offline().await?;
    if let Some(notice) = gateway.offline_notice() {
        println!("{notice}");
    }
    // Every run of this workflow fires the printer's hooks.
    let workflow = support::Workflow::new(support::Vars::default()).with_runner(
        Runner::new().hooks(Printer {
            started: Instant::now(),
        }),
    );
    let result = workflow
        .run(&gateway, "I'm having trouble connecting to the API.")
        .await?;
    println!();
    println!("Handled by: {}", result.last_agent.name());
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
