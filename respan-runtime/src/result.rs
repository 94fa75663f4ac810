//! What a run returns.

use crate::error::Error;
use crate::items::{InputItem, ModelResponse, RunItem};
use crate::state::{RunState, ToolApproval};
use crate::usage::{Usage, UsageByAgent};

/// The outcome of a run.
///
/// `O` is the final output's type: the text (`String`) from the runner; a
/// generated workflow with structured outputs maps it to its `Output` enum.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult<K, O = String> {
    /// The last agent's answer (or, with [`ToolUseBehavior`](crate::ToolUseBehavior)
    /// stops, the tool's result).
    pub final_output: O,
    /// The structured output, when the last agent declares one: the value the
    /// model meant (recovered from fences or prose, scalars coerced to the
    /// schema) and checked against it.
    pub output_value: Option<serde_json::Value>,
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

impl<K, O> RunResult<K, O> {
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

    /// The same result with its final output changed (e.g. to a typed value).
    pub fn map_output<P>(self, f: impl FnOnce(O) -> P) -> RunResult<K, P> {
        self.try_map_output(|output| Ok::<_, std::convert::Infallible>(f(output)))
            .unwrap_or_else(|never| match never {})
    }

    /// The same result with its final output changed by a function that may fail.
    pub fn try_map_output<P, E>(
        self,
        f: impl FnOnce(O) -> Result<P, E>,
    ) -> Result<RunResult<K, P>, E> {
        Ok(RunResult {
            final_output: f(self.final_output)?,
            output_value: self.output_value,
            last_agent: self.last_agent,
            last_agent_name: self.last_agent_name,
            new_items: self.new_items,
            raw_responses: self.raw_responses,
            usage: self.usage,
            usage_by_agent: self.usage_by_agent,
            history: self.history,
        })
    }
}

impl<K> RunResult<K> {
    /// The final output as a `T`: the structured output the last agent gave
    /// (see [`Agent::output`](crate::Agent::output)), or, for an agent without
    /// one, the text recovered as a value of `T`'s schema.
    ///
    /// ```
    /// # fn demo(result: respan_runtime::RunResult<String>) -> Result<(), respan_runtime::Error> {
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Answer { city: String, sunny: bool }
    /// let answer: Answer = result.output()?;
    /// # let _ = (answer.city, answer.sunny); Ok(()) }
    /// ```
    pub fn output<T: schemars::JsonSchema + serde::de::DeserializeOwned>(
        &self,
    ) -> Result<T, Error> {
        let invalid = |source| Error::InvalidOutput {
            agent: self.last_agent_name.clone(),
            source,
        };
        let value = match &self.output_value {
            Some(value) => value.clone(),
            None => crate::OutputType::of::<T>()
                .recover(&self.final_output)
                .map_err(invalid)?,
        };
        T::deserialize(&value).map_err(|e| {
            invalid(crate::StructuredError {
                raw: self.final_output.clone(),
                reason: e.to_string(),
            })
        })
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
}

/// How a run that may stop for approval ended: completed, or interrupted with
/// calls waiting for a person's decision (see [`RunState`]).
///
/// `O` is the final output's type, as in [`RunResult`].
#[derive(Clone, Debug, PartialEq)]
pub enum RunOutcome<K, O = String> {
    /// The run finished.
    Completed(RunResult<K, O>),
    /// The run stopped: decide the pending calls of the state, then resume it
    /// ([`Runner::resume`](crate::Runner::resume)).
    Interrupted(RunState<K>),
}

impl<K, O> RunOutcome<K, O> {
    /// The calls of the interrupted answer that need approval (the SDK's
    /// `interruptions`; [`RunState::pending`] gives those still undecided);
    /// empty when the run completed.
    pub fn interruptions(&self) -> &[ToolApproval<K>] {
        match self {
            RunOutcome::Completed(_) => &[],
            RunOutcome::Interrupted(state) => state.approvals(),
        }
    }

    /// The result, or [`Error::ApprovalRequired`] when the run was interrupted.
    pub fn into_result(self) -> Result<RunResult<K, O>, Error> {
        match self {
            RunOutcome::Completed(result) => Ok(result),
            RunOutcome::Interrupted(state) => Err(Error::ApprovalRequired {
                calls: crate::state::describe_calls(state.pending()),
            }),
        }
    }

    /// The same outcome with a completed run's result changed by `f` (e.g. the
    /// text output into a generated workflow's typed one); an interrupted run
    /// is unchanged.
    pub fn map_completed<P>(
        self,
        f: impl FnOnce(RunResult<K, O>) -> Result<RunResult<K, P>, Error>,
    ) -> Result<RunOutcome<K, P>, Error> {
        Ok(match self {
            RunOutcome::Completed(result) => RunOutcome::Completed(f(result)?),
            RunOutcome::Interrupted(state) => RunOutcome::Interrupted(state),
        })
    }
}
