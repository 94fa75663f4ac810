//! Step 5: the first handoff of an answer switches the current agent (the
//! others are answered with the SDK's error first); the conversation goes on
//! with the new agent, which starts at the next turn.

use super::classify::Actions;
use super::{Run, fire};
use crate::agent::AgentKey;
use crate::error::Error;
use crate::items::{InputItem, RunItem};
use crate::stream::RunEvent;

/// What the model is told for the handoffs after the first in one response (the SDK's words).
pub const MULTIPLE_HANDOFFS_MESSAGE: &str = "Multiple handoffs detected, ignoring this one.";

impl<K: AgentKey, C: Sync> Run<'_, K, C> {
    /// Hands off with the call at `(position, target)` of `actions`.
    pub(super) async fn hand_off(
        &mut self,
        actions: &Actions<K>,
        (position, target): (usize, usize),
    ) -> Result<(), Error> {
        let agent = self.agent();
        for &(ignored, _) in &actions.handoffs[1..] {
            let call = &actions.calls[ignored];
            self.so_far.history.push(InputItem::Tool {
                tool_call_id: call.id.clone(),
                content: MULTIPLE_HANDOFFS_MESSAGE.to_string(),
            });
            self.events.push(
                &mut self.so_far.new_items,
                RunItem::ToolOutput {
                    agent: agent.key().clone(),
                    call_id: call.id.clone(),
                    output: MULTIPLE_HANDOFFS_MESSAGE.to_string(),
                },
            );
        }
        let call = &actions.calls[position];
        self.events.push(
            &mut self.so_far.new_items,
            RunItem::HandoffCall {
                agent: agent.key().clone(),
                call: call.clone(),
            },
        );
        let output = self.prepared.agents[target].handoff_output.clone();
        self.so_far.history.push(InputItem::Tool {
            tool_call_id: call.id.clone(),
            content: output.clone(),
        });
        let next = self.agents.agent_at(target);
        tracing::debug!(from = agent.name(), to = next.name(), "handoff");
        self.trace.handoff(agent.name(), next.name());
        self.events.push(
            &mut self.so_far.new_items,
            RunItem::HandoffOutput {
                source: agent.key().clone(),
                target: next.key().clone(),
                call_id: call.id.clone(),
                output,
            },
        );
        {
            // The runner's hooks, then those of the agent handed off to (the SDK's order).
            let run = self.hook_context();
            fire!(self.hooks, next, on_handoff(&run, agent, next));
        }
        self.current = target;
        self.agent_started = false;
        self.trace.agent(next.name());
        self.events.emit(|| RunEvent::AgentUpdated {
            agent: next.key().clone(),
            name: next.name().to_string(),
        });
        Ok(())
    }
}
