//! Approvals on Restate: a run stopped for approval waits on one awakeable per
//! pending call, resolved through Restate's API with the decision.

use respan_runtime::{AgentKey, Decision, RunState};
use restate_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The workflow state key under which a run lists the calls it waits for.
pub(crate) const PENDING_STATE: &str = "pending_approvals";

/// A tool call waiting for a person's decision, as the `pending` handler lists it.
///
/// Decide by resolving its awakeable with a [`Decision`] as JSON:
///
/// ```sh
/// curl localhost:8080/restate/awakeables/<awakeable_id>/resolve --json '{"decision": "approved"}'
/// curl localhost:8080/restate/awakeables/<awakeable_id>/resolve \
///     --json '{"decision": "rejected", "message": "Refunds above 100 USD need a manager."}'
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingApproval {
    /// The awakeable to resolve: `POST /restate/awakeables/<id>/resolve` on the ingress.
    pub awakeable_id: String,
    /// The display name of the agent whose model called the tool.
    pub agent: String,
    /// The tool's name.
    pub tool: String,
    /// The call's id.
    pub call_id: String,
    /// The call's JSON arguments, as the model sent them.
    pub arguments: String,
}

/// Waits for a decision on every pending call of `state` and records it there.
/// The awakeables and their results are in the journal: a replay waits for
/// nothing that was decided before.
pub(crate) async fn decide<K: AgentKey>(
    ctx: &WorkflowContext<'_>,
    state: &mut RunState<K>,
) -> HandlerResult<()> {
    let mut pending = Vec::new();
    let mut waits = Vec::new();
    for approval in state.pending() {
        // Raw bytes: a payload that is not a decision fails the run with a clear message.
        let (awakeable_id, decision) = ctx.awakeable::<Vec<u8>>();
        pending.push(PendingApproval {
            awakeable_id,
            agent: approval.agent_name.clone(),
            tool: approval.tool.clone(),
            call_id: approval.call_id.clone(),
            arguments: approval.arguments.clone(),
        });
        waits.push((approval.call_id.clone(), decision));
    }
    ctx.set(PENDING_STATE, Json(pending));
    for (call_id, decision) in waits {
        let payload = decision.await?;
        let decision: Decision = serde_json::from_slice(&payload).map_err(|error| {
            TerminalError::new(format!(
                "the decision on tool call {call_id} is not {{\"decision\": \"approved\"}} or \
                 {{\"decision\": \"rejected\", \"message\": \"...\"}}: {error} (in {:?})",
                String::from_utf8_lossy(&payload)
            ))
        })?;
        match decision {
            Decision::Approved => state.approve(&call_id),
            Decision::Rejected { message } => state.reject(&call_id, message),
        }
        .map_err(|error| TerminalError::new(error.to_string()))?;
    }
    ctx.clear(PENDING_STATE);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decisions_an_awakeable_is_resolved_with() {
        let approved: Decision = serde_json::from_str(r#"{"decision": "approved"}"#).unwrap();
        assert_eq!(approved, Decision::Approved);
        let rejected: Decision =
            serde_json::from_str(r#"{"decision": "rejected", "message": "Ask a manager."}"#)
                .unwrap();
        assert_eq!(
            rejected,
            Decision::Rejected {
                message: "Ask a manager.".into()
            }
        );
        assert!(serde_json::from_str::<Decision>(r#"{"decision": "yes"}"#).is_err());
    }
}
