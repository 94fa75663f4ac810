//! What a run returns.

use crate::items::{InputItem, ModelResponse, RunItem};
use crate::usage::{Usage, UsageByAgent};

/// The outcome of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult<K> {
    /// The last agent's text answer.
    pub final_output: String,
    /// The agent that gave the final answer.
    pub last_agent: K,
    /// Its display name.
    pub last_agent_name: String,
    /// Everything the run produced, in order (messages, tool calls and results, handoffs).
    pub new_items: Vec<RunItem<K>>,
    /// Every model response, in order.
    pub raw_responses: Vec<ModelResponse>,
    /// Requests and tokens of the whole run.
    pub usage: Usage,
    /// Requests and tokens per agent, in the order the agents first ran.
    pub usage_by_agent: UsageByAgent<K>,
    /// The input followed by every message the run added.
    pub(crate) history: Vec<InputItem>,
}

impl<K> RunResult<K> {
    /// The conversation so far (the input, then every message of the run), to
    /// continue it: push a new [`InputItem::user`] and run again.
    ///
    /// These are chat-completions messages, not the Responses-API items the
    /// Python SDK returns: they are what goes on the wire.
    pub fn to_input_list(&self) -> Vec<InputItem> {
        self.history.clone()
    }

    /// Consumes the result into the conversation (no copy).
    pub fn into_input_list(self) -> Vec<InputItem> {
        self.history
    }
}
