//! What a run returns.

use crate::error::Error;
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

    /// The final output parsed as JSON into `T`, for agents with a JSON
    /// `response_format` (structured output).
    ///
    /// ```
    /// # fn demo(result: respan_runtime::RunResult<String>) -> Result<(), respan_runtime::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Answer { city: String, sunny: bool }
    /// let answer: Answer = result.parse_output()?;
    /// # let _ = (answer.city, answer.sunny); Ok(()) }
    /// ```
    pub fn parse_output<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.final_output).map_err(|e| {
            Error::ModelBehavior(format!(
                "the final output is not the JSON expected ({e}); set a JSON response_format \
                 on the agent: {}",
                crate::error::truncate(&self.final_output, 200)
            ))
        })
    }

    /// Consumes the result into the conversation (no copy).
    pub fn into_input_list(self) -> Vec<InputItem> {
        self.history
    }
}
