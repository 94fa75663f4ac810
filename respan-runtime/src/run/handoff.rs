//! Step 5: the first handoff of an answer switches the current agent (the
//! others are answered with the SDK's error first); the conversation goes on
//! with the new agent, which starts at the next turn. The handoff's options
//! apply here: `on_handoff` gets its typed input, and its input filter
//! decides what the new agent sees of the conversation.

use super::classify::Actions;
use super::{Run, fire};
use crate::agent::AgentKey;
use crate::error::Error;
use crate::history::HistoryJson;
use crate::items::{InputItem, RunItem};
use crate::stream::RunEvent;
use crate::text::panic_message;
use std::panic::AssertUnwindSafe;

/// What the model is told for the handoffs after the first in one response (the SDK's words).
pub const MULTIPLE_HANDOFFS_MESSAGE: &str = "Multiple handoffs detected, ignoring this one.";

impl<K: AgentKey, C: Sync> Run<'_, K, C> {
    /// Hands off with the call at `position` of `actions`, the agent's
    /// handoff at `handoff` (its position in the agent's handoffs).
    pub(super) async fn hand_off(
        &mut self,
        actions: &Actions<K>,
        (position, handoff): (usize, usize),
    ) -> Result<(), Error> {
        let agent = self.agent();
        let target = self.prepared.agents[self.current].handoff_targets[handoff];
        let options = agent.handoff_options(handoff);
        for &(ignored, _) in &actions.handoffs[1..] {
            let call = &actions.calls[ignored];
            self.so_far.push(InputItem::Tool {
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
        if let Some(on_handoff) = &options.on_handoff {
            let arguments = &call.function.arguments;
            let called =
                std::panic::catch_unwind(AssertUnwindSafe(|| on_handoff(self.context, arguments)));
            match called {
                Ok(Ok(())) => {}
                // The SDK's error for arguments that are not the input type.
                Ok(Err(why)) => {
                    return Err(Error::ModelBehavior(format!(
                        "Invalid JSON when parsing {arguments} for the input of handoff {}; {why}",
                        call.function.name
                    )));
                }
                Err(panic) => {
                    return Err(Error::Hook {
                        hook: "on_handoff",
                        agent: agent.name().to_string(),
                        message: format!(
                            "the handoff's on_handoff panicked: {}",
                            panic_message(&*panic)
                        ),
                    });
                }
            }
        }
        let output = self.prepared.agents[target].handoff_output.clone();
        self.so_far.push(InputItem::Tool {
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
        if let Some(filter) = &options.filter {
            let seen = self.so_far.model_history();
            // The handoff's turn starts at the answer that called it.
            let turn = seen
                .iter()
                .rposition(|item| matches!(item, InputItem::Assistant { .. }))
                .unwrap_or(seen.len());
            let filtered = filter.apply(seen, self.so_far.view_input, turn);
            self.so_far.replace_view(filtered);
            // The model is sent other messages now: their JSON is made anew.
            self.history_json = HistoryJson::default();
        }
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
