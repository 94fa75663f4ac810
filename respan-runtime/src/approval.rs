//! Which tool calls of an answer run now, which wait for a person's approval,
//! and which were rejected (the Agents SDK's `needs_approval` and interruptions).
//!
//! As in the SDK, the calls of one answer that need no approval run at once;
//! those that do wait, and the run stops before their results, handoffs or
//! `tool_use_behavior` are looked at. Once every call is decided and has run,
//! the answer's results go to the model in call order, exactly as if the run
//! had never stopped.

use crate::items::arguments_json;
use serde_json::Value;

use crate::agent::{Agent, AgentKey};
use crate::error::Error;
use crate::items::{InputItem, ToolCall};
use crate::state::{Decision, Outputs, ToolApproval};

/// The calls of the answer being decided: the current agent's function tool
/// calls, each with the index of its tool.
pub(crate) type ToolCalls<'a> = [(&'a ToolCall, usize)];

/// How the tool calls of an answer stand after [`plan`] and running the calls it chose.
pub(crate) enum Resolved<K> {
    /// Every call has its result, in call order.
    Done(Vec<String>),
    /// Some calls wait for a decision: the run stops with these.
    Waiting {
        approvals: Vec<ToolApproval<K>>,
        outputs: Outputs,
    },
}

/// Decides what happens to each call without a result: a rejected call gets its
/// message, a call that needs approval and has no decision waits (and is added
/// to `approvals`), the others are returned, to run now (approved ones too).
pub(crate) fn plan<K: AgentKey, C>(
    agent: &Agent<K, C>,
    calls: &ToolCalls<'_>,
    approvals: &mut Vec<ToolApproval<K>>,
    outputs: &mut Outputs,
    context: &C,
) -> Vec<usize> {
    let mut run_now = Vec::new();
    for (position, (call, tool)) in calls.iter().enumerate() {
        if outputs.iter().any(|(id, _)| *id == call.id) {
            continue;
        }
        match approvals.iter().find(|a| a.call_id == call.id) {
            Some(approval) => match &approval.decision {
                Some(Decision::Approved) => run_now.push(position),
                Some(Decision::Rejected { message }) => {
                    outputs.push((call.id.clone(), message.clone()))
                }
                None => {}
            },
            None if needs_approval(agent, *tool, call, context) => {
                approvals.push(ToolApproval {
                    agent: agent.key().clone(),
                    agent_name: agent.name().to_string(),
                    tool: call.function.name.clone(),
                    call_id: call.id.clone(),
                    arguments: call.function.arguments.clone(),
                    decision: None,
                });
            }
            None => run_now.push(position),
        }
    }
    run_now
}

/// Whether the call waits for approval. Arguments that are not JSON never do:
/// the tool does not run, the model is told (as for any call).
fn needs_approval<K: AgentKey, C>(
    agent: &Agent<K, C>,
    tool: usize,
    call: &ToolCall,
    context: &C,
) -> bool {
    let arguments = serde_json::from_str::<Value>(arguments_json(&call.function.arguments));
    arguments.is_ok_and(|arguments| agent.tools()[tool].needs_approval(context, &arguments))
}

/// Where the calls stand once the planned ones ran: every result in call order,
/// or the approvals still waiting.
pub(crate) fn resolve<K>(
    calls: &ToolCalls<'_>,
    approvals: Vec<ToolApproval<K>>,
    outputs: Outputs,
) -> Resolved<K> {
    let results: Option<Vec<String>> = calls
        .iter()
        .map(|(call, _)| {
            outputs
                .iter()
                .find(|(id, _)| *id == call.id)
                .map(|(_, output)| output.clone())
        })
        .collect();
    match results {
        Some(results) => Resolved::Done(results),
        None => Resolved::Waiting { approvals, outputs },
    }
}

/// The calls of the answer a resumed state stopped at: its history's last message.
pub(crate) fn interrupted_calls(history: &[InputItem]) -> Result<Vec<ToolCall>, Error> {
    match history.last() {
        Some(InputItem::Assistant { tool_calls, .. }) if !tool_calls.is_empty() => {
            Ok(tool_calls.clone())
        }
        _ => Err(Error::RunState(
            "its history does not end with the answer whose calls wait for approval; \
             resume a state exactly as Runner::run_resumable returned it (or its JSON)"
                .to_string(),
        )),
    }
}
