//! Step 4: the answer's function tool calls. Those that may run now (approved,
//! or needing no approval) run concurrently, each between its
//! `on_tool_start` and `on_tool_end` hooks and in its tool span; results keep
//! call order and join the history. When a call waits for approval the run
//! stops here, with its state.

use crate::items::arguments_json;
use std::panic::AssertUnwindSafe;

use futures_util::{FutureExt as _, future::join_all};
use tracing::Instrument as _;

use super::classify::Actions;
use super::nested::Nest;
use super::{Run, fire};
use crate::agent::{AgentKey, ToolUseBehavior};
use crate::approval::{self, Resolved};
use crate::error::Error;
use crate::items::{FunctionCall, InputItem, RunItem, ToolCall};
use crate::state::RunState;
use crate::tool::Tool;
use crate::trace;

/// What the model is told when a tool fails or its arguments are not JSON (the SDK's words).
pub const TOOL_ERROR_MESSAGE: &str = "An error occurred while running the tool. Please try again.";

/// How step 4 ended.
pub(crate) enum ToolsDone<K> {
    /// Every call has its result; `stop_output` is the one `tool_use_behavior`
    /// makes final, if any.
    Ran { stop_output: Option<String> },
    /// A call waits for a person's decision: the run stops with this state.
    Interrupted(RunState<K>),
}

impl<K: AgentKey, C: Sync> Run<'_, K, C> {
    pub(super) async fn run_tools(
        &mut self,
        actions: &mut Actions<K>,
    ) -> Result<ToolsDone<K>, Error> {
        let agent = self.agent();
        let (mut approvals, mut outputs) = std::mem::take(&mut actions.decided);
        let calls = actions.tool_calls();
        let run_now = approval::plan(agent, &calls, &mut approvals, &mut outputs, self.context);
        let spans: Vec<_> = run_now
            .iter()
            .map(|&position| {
                self.trace
                    .tool(&calls[position].0.function, &calls[position].0.id)
            })
            .collect();
        // Agent tools need no approval; those a resumed answer ran are done.
        let agent_calls: Vec<_> = actions
            .agents
            .iter()
            .map(|&(position, tool, target)| (&actions.calls[position], tool, target))
            .filter(|(call, ..)| !outputs.iter().any(|(id, _)| *id == call.id))
            .collect();
        let agent_spans: Vec<_> = agent_calls
            .iter()
            .map(|(call, ..)| self.trace.tool(&call.function, &call.id))
            .collect();
        let (results, agent_results) = {
            let run = self.hook_context();
            let (hooks, journal, context) = (&self.hooks, self.journal, self.context);
            let functions = join_all(run_now.iter().zip(&spans).map(|(&position, span)| {
                let (call, tool) = calls[position];
                let run = &run;
                async move {
                    fire!(hooks, agent, on_tool_start(run, agent, call));
                    let execution = run_tool(agent.tools()[tool].as_ref(), &call.function, context)
                        .instrument(span.clone());
                    let output = journal.tool_call(call, Box::pin(execution)).await;
                    fire!(hooks, agent, on_tool_end(run, agent, call, &output));
                    Ok::<_, Error>(output)
                }
            }));
            let nest = Nest {
                gateway: self.gateway,
                agents: self.agents,
                context,
                trace: self.trace.context(),
                events: &self.events,
            };
            let usage = std::sync::Mutex::new(Vec::new());
            let nested = join_all(agent_calls.iter().zip(&agent_spans).enumerate().map(
                |(i, (&(call, tool, target), span))| {
                    let (run, nest, usage) = (&run, &nest, &usage);
                    async move {
                        fire!(hooks, agent, on_tool_start(run, agent, call));
                        let execution = async {
                            let done = nest.run(call, &agent.agent_tools()[tool], target).await;
                            if let Some(by_agent) = done.usage {
                                usage.lock().expect("not poisoned").push((i, by_agent));
                            }
                            done.output
                        }
                        .instrument(span.clone());
                        let output = journal.tool_call(call, Box::pin(execution)).await;
                        fire!(hooks, agent, on_tool_end(run, agent, call, &output));
                        Ok::<_, Error>(output)
                    }
                },
            ));
            let (functions, nested) = futures_util::future::join(functions, nested).await;
            // The agent tools' requests count in this run's usage, per agent,
            // in call order (not the order the calls ended: the same every run).
            let mut usage = usage.into_inner().expect("not poisoned");
            usage.sort_by_key(|(i, _)| *i);
            for (_, by_agent) in usage {
                for (key, used) in by_agent.iter() {
                    self.so_far.usage.add(used);
                    self.so_far.usage_by_agent.add(key, used);
                }
            }
            (functions, nested)
        };
        for ((position, output), span) in run_now.into_iter().zip(results).zip(spans) {
            let output = output?;
            self.trace.tool_done(&span, &output);
            outputs.push((calls[position].0.id.clone(), output));
        }
        for (((call, ..), output), span) in agent_calls.iter().zip(agent_results).zip(agent_spans) {
            let output = output?;
            self.trace.tool_done(&span, &output);
            outputs.push((call.id.clone(), output));
        }
        // Every call's result, in call order (function tools and agent tools).
        let calls = if actions.agents.is_empty() {
            calls
        } else {
            let mut all_calls = calls;
            all_calls.extend(
                actions
                    .agents
                    .iter()
                    .map(|&(position, tool, _)| (&actions.calls[position], tool)),
            );
            let order = |call: &ToolCall| actions.calls.iter().position(|c| c.id == call.id);
            all_calls.sort_by_key(|(call, _)| order(call));
            all_calls
        };
        let outputs = match approval::resolve(&calls, approvals, outputs) {
            Resolved::Done(outputs) => outputs,
            Resolved::Waiting { approvals, outputs } => {
                let so_far = std::mem::take(&mut self.so_far);
                let state = RunState::new(agent.key().clone(), so_far, approvals, outputs);
                return Ok(ToolsDone::Interrupted(state));
            }
        };
        // What `tool_use_behavior` makes final (a handoff in the same answer wins).
        let stop_output = match agent.tool_use() {
            ToolUseBehavior::RunLlmAgain => None,
            ToolUseBehavior::StopOnFirstTool => outputs.first().cloned(),
            ToolUseBehavior::StopAtTools(names) => calls
                .iter()
                .zip(&outputs)
                .find(|((call, _), _)| names.contains(&call.function.name))
                .map(|(_, output)| output.clone()),
        };
        for ((call, _), output) in calls.iter().zip(outputs) {
            self.so_far.push(InputItem::Tool {
                tool_call_id: call.id.clone(),
                content: output.clone(),
            });
            self.events.push(
                &mut self.so_far.new_items,
                RunItem::ToolOutput {
                    agent: agent.key().clone(),
                    call_id: call.id.clone(),
                    output,
                },
            );
        }
        Ok(ToolsDone::Ran { stop_output })
    }
}

/// Runs one tool; failures become the message the model sees, never a run error.
async fn run_tool<C>(tool: &dyn Tool<C>, call: &FunctionCall, context: &C) -> String {
    let arguments = arguments_json(&call.arguments);
    if serde_json::from_str::<serde::de::IgnoredAny>(arguments).is_err() {
        tracing::warn!(tool = tool.name(), "the model sent invalid JSON arguments");
        trace::tool_outcome("invalid_arguments");
        return TOOL_ERROR_MESSAGE.to_string();
    }
    let timeout = tool.timeout();
    let call = AssertUnwindSafe(async { tool.call(context, arguments).await }).catch_unwind();
    match tokio::time::timeout(timeout, call).await {
        Err(_elapsed) => {
            tracing::warn!(tool = tool.name(), ?timeout, "tool timed out");
            trace::tool_outcome("timeout");
            format!(
                "{TOOL_ERROR_MESSAGE} Error: the tool did not finish within {} s",
                timeout.as_secs_f64()
            )
        }
        Ok(Ok(Ok(output))) => {
            trace::tool_outcome("ok");
            output
        }
        Ok(Ok(Err(error))) => {
            tracing::warn!(tool = tool.name(), %error, "tool failed");
            trace::tool_outcome("error");
            format!("{TOOL_ERROR_MESSAGE} Error: {error}")
        }
        Ok(Err(_panic)) => {
            tracing::error!(tool = tool.name(), "tool panicked");
            trace::tool_outcome("panic");
            format!("{TOOL_ERROR_MESSAGE} Error: the tool panicked")
        }
    }
}
