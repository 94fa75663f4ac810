//! A run stopped for approval: everything needed to continue it, in this
//! process or another (through JSON), and the decisions taken meanwhile.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::items::{InputItem, ModelResponse, RunItem};
use crate::so_far::RunSoFar;
use crate::usage::{Usage, UsageByAgent};

/// Results of calls that already ran (or were rejected): `(call id, output)`.
pub(crate) type Outputs = Vec<(String, String)>;

/// What the model is told when a call is rejected without a message (the SDK's words).
pub const REJECTION_MESSAGE: &str = "Tool execution was not approved.";

/// A tool call waiting for (or given) a person's decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolApproval<K> {
    /// The agent whose model called the tool.
    pub agent: K,
    /// Its display name.
    pub agent_name: String,
    /// The tool's name.
    pub tool: String,
    /// The call's id: what [`RunState::approve`] and [`RunState::reject`] take.
    pub call_id: String,
    /// The call's JSON arguments, as the model sent them.
    pub arguments: String,
    /// The decision, once taken.
    pub decision: Option<Decision>,
}

/// A person's decision on a [`ToolApproval`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// The tool runs when the run resumes.
    Approved,
    /// The tool does not run; the model sees `message` as its result.
    Rejected {
        /// What the model is told.
        message: String,
    },
}

/// The version of the [`RunState`] JSON this crate writes; it reads this one
/// and every older one.
pub const RUN_STATE_VERSION: u32 = 1;

/// The `version` field: deserializing a version this crate does not know fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
struct FormatVersion(u32);

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = u32::deserialize(deserializer)?;
        if version == 0 || version > RUN_STATE_VERSION {
            return Err(serde::de::Error::custom(format_args!(
                "this RunState is version {version}, and this respan reads versions 1 to \
                 {RUN_STATE_VERSION}: resume it with the respan version that wrote it (or a newer one)"
            )));
        }
        Ok(FormatVersion(version))
    }
}

/// A run stopped because tool calls need a person's approval: the conversation,
/// the items and usage so far, the current agent (by key), the turns made, and
/// the calls of the interrupted answer with their decisions.
///
/// Decide every pending call with [`RunState::approve`] or [`RunState::reject`],
/// then continue with [`Runner::resume`](crate::Runner::resume). It serializes
/// to JSON ([`RunState::to_json`], with a `version`) so that the run can be
/// resumed by another process, with the same agents.
///
/// ```no_run
/// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
/// use respan_runtime::{RunOutcome, RunState, Runner};
/// let runner = Runner::new();
/// let mut outcome = runner.run_resumable(&gateway, &agents, "Refund order 42").await?;
/// let result = loop {
///     match outcome {
///         RunOutcome::Completed(result) => break result,
///         RunOutcome::Interrupted(state) => {
///             let saved = state.to_json()?; // store it; later, maybe elsewhere:
///             let mut state: RunState = RunState::from_json(&saved)?;
///             for call in state.pending() {
///                 println!("{} wants to run {}({})", call.agent_name, call.tool, call.arguments);
///             }
///             let ids: Vec<String> = state.pending().map(|call| call.call_id.clone()).collect();
///             for id in ids {
///                 state.approve(&id)?;
///             }
///             outcome = runner.resume(&gateway, &agents, state).await?;
///         }
///     }
/// };
/// println!("{}", result.final_output);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState<K = String> {
    version: FormatVersion,
    /// The agent whose answer was interrupted.
    pub(crate) current_agent: K,
    /// Model requests made so far (they count toward `max_turns` when resumed).
    pub(crate) turns: u32,
    /// The conversation, ending with the answer whose calls are being decided.
    pub(crate) history: Vec<InputItem>,
    /// What the model is sent instead, after a handoff's input filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model_view: Option<Box<ModelView>>,
    pub(crate) new_items: Vec<RunItem<K>>,
    pub(crate) raw_responses: Vec<ModelResponse>,
    pub(crate) usage: Usage,
    pub(crate) usage_by_agent: UsageByAgent<K>,
    /// The calls of the interrupted answer that need approval, in call order.
    pub(crate) approvals: Vec<ToolApproval<K>>,
    /// Results of the answer's other calls, which already ran: `(call id, output)`.
    pub(crate) outputs: Outputs,
    /// The session the run continues, when it was started in one
    /// ([`SessionRunner::run_resumable`](crate::SessionRunner::run_resumable)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<SessionMark>,
}

/// The conversation as the model is sent it after a filtered handoff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModelView {
    pub(crate) items: Vec<InputItem>,
    /// How many of the first items a filter wrote.
    pub(crate) input: usize,
}

/// Which session a resumable run continues, and how many items of its
/// history came from that session (the rest is appended when it completes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionMark {
    pub(crate) id: String,
    pub(crate) loaded: usize,
}

impl<K> RunState<K> {
    /// A run stopped after `so_far`, at the answer whose calls are `approvals`
    /// (and `outputs`, the results of its calls that ran).
    pub(crate) fn new(
        current_agent: K,
        so_far: RunSoFar<K>,
        approvals: Vec<ToolApproval<K>>,
        outputs: Outputs,
    ) -> Self {
        Self {
            version: FormatVersion(RUN_STATE_VERSION),
            current_agent,
            turns: so_far.turns,
            model_view: so_far.view.map(|items| {
                Box::new(ModelView {
                    items,
                    input: so_far.view_input,
                })
            }),
            history: so_far.history,
            new_items: so_far.new_items,
            raw_responses: so_far.raw_responses,
            usage: so_far.usage,
            usage_by_agent: so_far.usage_by_agent,
            approvals,
            outputs,
            session: None,
        }
    }

    /// The run so far, the approvals and the outputs of the interrupted answer.
    pub(crate) fn into_parts(self) -> (K, RunSoFar<K>, Vec<ToolApproval<K>>, Outputs) {
        let view_input = match &self.model_view {
            Some(view) => view.input,
            // Not saved: the input is taken to end at the first answer (exact
            // for runs not continuing a conversation that has answers).
            None => self
                .history
                .iter()
                .position(|item| matches!(item, InputItem::Assistant { .. }))
                .unwrap_or(self.history.len()),
        };
        let so_far = RunSoFar {
            turns: self.turns,
            view: self.model_view.map(|view| view.items),
            view_input,
            history: self.history,
            new_items: self.new_items,
            raw_responses: self.raw_responses,
            usage: self.usage,
            usage_by_agent: self.usage_by_agent,
        };
        (self.current_agent, so_far, self.approvals, self.outputs)
    }

    /// Every call of the interrupted answer that needs approval, decided or not.
    pub fn approvals(&self) -> &[ToolApproval<K>] {
        &self.approvals
    }

    /// The calls still waiting for a decision (the SDK's `interruptions`).
    pub fn pending(&self) -> impl Iterator<Item = &ToolApproval<K>> {
        self.approvals.iter().filter(|a| a.decision.is_none())
    }

    /// Approves a pending call: it runs when the run resumes. Approving a call
    /// again is fine; an id that is not one of [`RunState::approvals`] is
    /// [`Error::RunState`].
    pub fn approve(&mut self, call_id: &str) -> Result<(), Error> {
        self.decide(call_id, Decision::Approved)
    }

    /// Rejects a pending call: it does not run, and the model sees `message` as
    /// its result ([`REJECTION_MESSAGE`] when empty). An unknown id is
    /// [`Error::RunState`].
    pub fn reject(&mut self, call_id: &str, message: impl Into<String>) -> Result<(), Error> {
        let message = message.into();
        let message = if message.trim().is_empty() {
            REJECTION_MESSAGE.to_string()
        } else {
            message
        };
        self.decide(call_id, Decision::Rejected { message })
    }

    /// Approves every call still pending.
    pub fn approve_all(&mut self) {
        for approval in self.approvals.iter_mut().filter(|a| a.decision.is_none()) {
            approval.decision = Some(Decision::Approved);
        }
    }

    fn decide(&mut self, call_id: &str, decision: Decision) -> Result<(), Error> {
        match self.approvals.iter_mut().find(|a| a.call_id == call_id) {
            Some(approval) => {
                approval.decision = Some(decision);
                Ok(())
            }
            None => Err(Error::RunState(format!(
                "no call {call_id:?} waits for approval in this run; the pending calls are {}",
                describe_calls(self.approvals.iter())
            ))),
        }
    }

    /// The agent whose answer is being decided.
    pub fn current_agent(&self) -> &K {
        &self.current_agent
    }

    /// Model requests made so far.
    pub fn turns(&self) -> u32 {
        self.turns
    }

    /// Requests and tokens so far.
    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    /// Everything the run produced so far, in order.
    pub fn new_items(&self) -> &[RunItem<K>] {
        &self.new_items
    }

    /// The conversation so far (the input, then every message of the run,
    /// ending with the answer whose calls wait).
    pub fn history(&self) -> &[InputItem] {
        &self.history
    }

    /// The state as JSON, to store and resume later ([`RunState::from_json`]).
    pub fn to_json(&self) -> Result<String, Error>
    where
        K: Serialize,
    {
        serde_json::to_string(self)
            .map_err(|e| Error::RunState(format!("it does not serialize to JSON: {e}")))
    }

    /// A state from [`RunState::to_json`]'s JSON. A newer `version` than this
    /// crate writes, an agent key that does not deserialize (a generated
    /// workflow without that agent) or a malformed document is [`Error::RunState`].
    pub fn from_json(json: &str) -> Result<Self, Error>
    where
        K: serde::de::DeserializeOwned,
    {
        serde_json::from_str(json)
            .map_err(|e| Error::RunState(format!("the JSON is not a RunState: {e}")))
    }
}

/// `refund (call_1), lookup (call_2)`, or `none`.
pub(crate) fn describe_calls<'a, K: 'a>(
    approvals: impl Iterator<Item = &'a ToolApproval<K>>,
) -> String {
    let calls: Vec<String> = approvals
        .map(|a| format!("`{}` ({})", a.tool, a.call_id))
        .collect();
    if calls.is_empty() {
        "none".to_string()
    } else {
        calls.join(", ")
    }
}
