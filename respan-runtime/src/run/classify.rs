//! Step 3: what the model's answer asks for. Text without tool calls is the
//! final output; otherwise every call must name a function tool or a handoff
//! of the current agent, before anything runs (an unknown name is
//! [`Error::ModelBehavior`], as in the SDK).

use super::turn::parts_of;
use super::{Decided, Run};
use crate::agent::AgentKey;
use crate::approval::interrupted_calls;
use crate::error::Error;
use crate::items::{ModelResponse, RunItem, ToolCall};

/// What the run does after an answer.
pub(crate) enum NextStep<K> {
    /// The answer is the agent's final output.
    FinalOutput(String),
    /// The answer calls tools and/or handoffs.
    Act(Actions<K>),
}

/// The calls of one answer, sorted into function tools and handoffs.
pub(crate) struct Actions<K> {
    pub(crate) calls: Vec<ToolCall>,
    /// `(call position, tool index in the agent's tools)`, in call order.
    pub(crate) tools: Vec<(usize, usize)>,
    /// `(call position, handoff position in the agent's handoffs)`, in call order.
    pub(crate) handoffs: Vec<(usize, usize)>,
    /// `(call position, agent tool index, its agent's index)`, in call order.
    pub(crate) agents: Vec<(usize, usize, usize)>,
    /// Approvals and results already decided (a resumed answer's).
    pub(crate) decided: Decided<K>,
}

impl<K> Actions<K> {
    /// The handoff that wins (the first, as in the SDK).
    pub(crate) fn first_handoff(&self) -> Option<(usize, usize)> {
        self.handoffs.first().copied()
    }

    /// The function tool calls, each with its tool's index.
    pub(crate) fn tool_calls(&self) -> Vec<(&ToolCall, usize)> {
        self.tools
            .iter()
            .map(|&(position, tool)| (&self.calls[position], tool))
            .collect()
    }
}

impl<K: AgentKey, C: Sync> Run<'_, K, C> {
    /// Step 3 for a new answer: it joins the history (and its text the items),
    /// then its calls are sorted.
    pub(super) fn classify(&mut self, response: ModelResponse) -> Result<NextStep<K>, Error> {
        let agent = self.agent();
        let (content, calls) = parts_of(&response.message);
        self.so_far.push(response.message.clone());
        self.so_far.raw_responses.push(response);
        if let Some(text) = content
            .as_ref()
            .filter(|t| !t.is_empty() || calls.is_empty())
        {
            self.events.push(
                &mut self.so_far.new_items,
                RunItem::Message {
                    agent: agent.key().clone(),
                    content: text.clone(),
                },
            );
        }
        if calls.is_empty() {
            return Ok(NextStep::FinalOutput(content.unwrap_or_default()));
        }
        self.sort_calls(calls, (Vec::new(), Vec::new()), false)
            .map(NextStep::Act)
    }

    /// Step 3 for a resumed run: the calls of the answer it stopped at, with
    /// the decisions made since.
    pub(super) fn resumed_calls(&self, decided: Decided<K>) -> Result<NextStep<K>, Error> {
        let calls = interrupted_calls(&self.so_far.history)?;
        self.sort_calls(calls, decided, true).map(NextStep::Act)
    }

    fn sort_calls(
        &self,
        calls: Vec<ToolCall>,
        decided: Decided<K>,
        resumed: bool,
    ) -> Result<Actions<K>, Error> {
        let agent = self.agent();
        let parts = &self.prepared.agents[self.current];
        let mut tools = Vec::new();
        let mut handoffs = Vec::new();
        let mut agents = Vec::new();
        for (position, call) in calls.iter().enumerate() {
            let name = &call.function.name;
            if let Some(&handoff) = parts.handoffs.get(name)
                && !self.disabled.contains(&handoff)
            {
                handoffs.push((position, handoff));
            } else if let Some(&tool) = parts.tools.get(name) {
                tools.push((position, tool));
            } else if let Some(&(tool, target)) = parts.agent_tools.get(name) {
                agents.push((position, tool, target));
            } else if resumed {
                return Err(Error::RunState(format!(
                    "its answer calls {:?}, which is not a tool of agent {} in the agents it is \
                     resumed with; resume it with the workflow that started the run",
                    call.function.name,
                    agent.name()
                )));
            } else {
                return Err(Error::ModelBehavior(format!(
                    "Tool {} not found in agent {}",
                    call.function.name,
                    agent.name()
                )));
            }
        }
        Ok(Actions {
            calls,
            tools,
            handoffs,
            agents,
            decided,
        })
    }

    /// The answer's function tool calls join the items (once: a resumed
    /// answer's are there already).
    pub(super) fn record_tool_calls(&mut self, actions: &Actions<K>) {
        let agent = self.agent();
        let agent_calls = actions.agents.iter().map(|&(position, ..)| position);
        let mut positions: Vec<usize> = actions
            .tools
            .iter()
            .map(|&(p, _)| p)
            .chain(agent_calls)
            .collect();
        positions.sort_unstable();
        for call in positions.into_iter().map(|p| &actions.calls[p]) {
            self.events.push(
                &mut self.so_far.new_items,
                RunItem::ToolCall {
                    agent: agent.key().clone(),
                    call: call.clone(),
                },
            );
        }
    }
}
