//! Step 4 for an agent used as a tool: the agent runs on the call's `input`
//! to its final output, in a run of its own nested in the call (same
//! gateway, agents and context; its own `max_turns`; no run hooks, as in the
//! SDK, but the agents' own hooks). Its output is the call's result; a run
//! that fails is told to the model as a tool error, never a run error.

use crate::items::arguments_json;
use serde::Deserialize;

use super::{Events, Run, Setup, Start};
use crate::agent::hooks::NoHooks;
use crate::agent::{AgentKey, AgentSet, AgentTool};
use crate::gateway::Gateway;
use crate::items::{Input, ToolCall};
use crate::journal::NoJournal;
use crate::result::RunOutcome;
use crate::retry::BoxFuture;
use crate::run::TOOL_ERROR_MESSAGE;
use crate::trace::{self, TraceContext};
use crate::usage::UsageByAgent;

/// The arguments of an agent tool (the SDK's `AgentAsToolInput`).
#[derive(Deserialize)]
struct AgentToolInput {
    input: String,
}

/// What a nested run is given by the run it is nested in.
pub(super) struct Nest<'a, K: AgentKey, C> {
    pub(super) gateway: &'a Gateway,
    pub(super) agents: &'a AgentSet<K, C>,
    pub(super) context: &'a C,
    pub(super) trace: Option<&'a TraceContext>,
    pub(super) events: &'a Events<K>,
}

/// What one agent tool call produced: the tool's result, and the usage of
/// its run (none when it failed).
pub(super) struct AgentToolOutput<K> {
    pub(super) output: String,
    pub(super) usage: Option<UsageByAgent<K>>,
}

impl<'a, K: AgentKey, C: Sync> Nest<'a, K, C> {
    /// Runs the agent at `target` (the agent tool `tool`) for `call`.
    pub(super) fn run(
        &self,
        call: &'a ToolCall,
        tool: &'a AgentTool<K>,
        target: usize,
    ) -> BoxFuture<'a, AgentToolOutput<K>> {
        let (events, nested_in) = self.events.nested(&call.id);
        let setup = Setup {
            gateway: self.gateway,
            agents: self.agents,
            context: self.context,
            journal: &NoJournal,
            hooks: &NoHooks,
            max_turns: tool.max_turns.unwrap_or(self.agents.max_turns_value()),
            trace: self.trace,
            events,
            entry: Some(target),
            nested_in,
        };
        let name = self.agents.agent_at(target).name();
        Box::pin(async move {
            let failed = |why: String| AgentToolOutput {
                output: format!("{TOOL_ERROR_MESSAGE} Error: {why}"),
                usage: None,
            };
            let input = match serde_json::from_str::<AgentToolInput>(arguments_json(
                &call.function.arguments,
            )) {
                Ok(arguments) => arguments.input,
                Err(_) => {
                    tracing::warn!(tool = %call.function.name, "the model sent invalid arguments to an agent tool");
                    trace::tool_outcome("invalid_arguments");
                    return AgentToolOutput {
                        output: TOOL_ERROR_MESSAGE.to_string(),
                        usage: None,
                    };
                }
            };
            let run = Run::drive(setup, Start::Input(Input::from(input)));
            let outcome = match tool.timeout {
                Some(limit) => match tokio::time::timeout(limit, run).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        trace::tool_outcome("timeout");
                        return failed(format!(
                            "agent {name} did not finish within {} s",
                            limit.as_secs_f64()
                        ));
                    }
                },
                None => run.await,
            };
            match outcome {
                Ok(RunOutcome::Completed(result)) => {
                    trace::tool_outcome("ok");
                    // A structured output goes back as its JSON.
                    let output = match &result.output_value {
                        Some(value) => value.to_string(),
                        None => result.final_output,
                    };
                    AgentToolOutput {
                        output,
                        usage: Some(result.usage_by_agent),
                    }
                }
                Ok(RunOutcome::Interrupted(_)) => {
                    trace::tool_outcome("error");
                    failed(format!(
                        "agent {name} stopped to wait for an approval, which the run of an \
                         agent used as a tool cannot ask for"
                    ))
                }
                Err(error) => {
                    tracing::warn!(agent = name, %error, "an agent tool's run failed");
                    trace::tool_outcome("error");
                    failed(format!("agent {name} failed: {error}"))
                }
            }
        })
    }
}
