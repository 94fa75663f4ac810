//! Streamed runs: events as they happen, without spawning a task (the run may
//! borrow the gateway and the agents).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::error::Error;
use crate::items::RunItem;
use crate::result::{RunOutcome, RunResult};
use crate::retry::BoxFuture;
use crate::state::RunState;

/// Something that happened during a streamed run, in the order of the Agents
/// SDK's stream events ([`RunEvent::sdk_name`] gives the SDK's name of each).
///
/// `O` is the type of the final output in [`RunEvent::Completed`]: the text
/// (`String`) from the runner; a generated workflow with structured outputs
/// streams its `Output` enum (see [`RunStream::map_completed`]).
///
/// New kinds of events come with new features, so matches need a `_` arm.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RunEvent<K, O = String> {
    /// The current agent changed (also sent first, for the entry agent).
    /// SDK: `agent_updated_stream_event`.
    AgentUpdated {
        /// Its key.
        agent: K,
        /// Its display name.
        name: String,
    },
    /// A piece of the model's text answer, as the gateway sent it.
    /// SDK: `raw_response_event` (`response.output_text.delta`).
    TextDelta {
        /// The agent answering.
        agent: K,
        /// The text.
        delta: String,
    },
    /// A piece of a tool (or handoff) call, as the gateway sent it: one event per
    /// streamed fragment, the first one usually with the call's id and name and
    /// empty arguments. `call_id` and `name` are what is known of the call so far
    /// (its fragments are assembled by `index`); concatenating the
    /// `arguments_delta`s of one index gives the call's arguments.
    /// SDK: `raw_response_event` (`response.function_call_arguments.delta`).
    ToolCallDelta {
        /// The agent whose model calls the tool.
        agent: K,
        /// The call's position in the response (`tool_calls[index]`).
        index: usize,
        /// The call's id, once the gateway has sent it (empty before).
        call_id: String,
        /// The tool's name (`transfer_to_...` for a handoff), once sent (empty before).
        name: String,
        /// The fragment of the JSON arguments in this chunk (may be empty).
        arguments_delta: String,
    },
    /// An item was produced: a message, tool call or result, handoff request or
    /// handoff. SDK: `run_item_stream_event`, named as [`RunEvent::sdk_name`] says.
    Item(RunItem<K>),
    /// An event of the run of an agent used as a tool ([`AgentTool`](crate::AgentTool)),
    /// inside the call `call_id` of the calling agent: the inner agent's
    /// `AgentUpdated` and its items (messages, tool calls and results,
    /// handoffs); a run nested deeper is nested again. Its model requests are
    /// not streamed (as the SDK's `as_tool` without `on_stream`), so there are
    /// no deltas inside. The SDK streams these only to an `on_stream` callback.
    Nested {
        /// The id of the call of the agent tool.
        call_id: String,
        /// The inner run's event.
        event: Box<RunEvent<K, O>>,
    },
    /// The run finished; the last event. The SDK has no such event (its stream
    /// ends, and the result is on the stream object).
    Completed(Box<RunResult<K, O>>),
}

impl<K, O> RunEvent<K, O> {
    /// The Agents SDK's name of this event: its `type` (`agent_updated_stream_event`,
    /// `raw_response_event`), or for run items its `name` (`message_output_created`,
    /// `tool_called`, `tool_output`, `handoff_requested`, `handoff_occured`, spelled
    /// as the SDK does). [`RunEvent::Completed`], which the SDK does not have, is
    /// `run_completed`.
    ///
    /// ```
    /// use respan_runtime::{RunEvent, RunItem};
    /// let event: RunEvent<&str> = RunEvent::Item(RunItem::HandoffOutput {
    ///     source: "triage",
    ///     target: "technical",
    ///     call_id: "call_0".into(),
    ///     output: r#"{"assistant": "Technical Agent"}"#.into(),
    /// });
    /// assert_eq!(event.sdk_name(), "handoff_occured");
    /// ```
    pub fn sdk_name(&self) -> &'static str {
        match self {
            RunEvent::AgentUpdated { .. } => "agent_updated_stream_event",
            RunEvent::TextDelta { .. } | RunEvent::ToolCallDelta { .. } => "raw_response_event",
            RunEvent::Item(item) => match item {
                RunItem::Message { .. } => "message_output_created",
                RunItem::ToolCall { .. } => "tool_called",
                RunItem::ToolOutput { .. } => "tool_output",
                RunItem::HandoffCall { .. } => "handoff_requested",
                RunItem::HandoffOutput { .. } => "handoff_occured",
            },
            RunEvent::Nested { event, .. } => event.sdk_name(),
            RunEvent::Completed(_) => "run_completed",
        }
    }
}

/// The events the run sends while it runs: every kind but the result, which is
/// the run's own output.
pub(crate) type Progress<K> = RunEvent<K, Infallible>;

/// The same event with another output type, or the run's result: the one
/// variant that carries an output.
pub(crate) fn recast<K, O, P>(
    event: RunEvent<K, O>,
) -> Result<RunEvent<K, P>, Box<RunResult<K, O>>> {
    Ok(match event {
        RunEvent::AgentUpdated { agent, name } => RunEvent::AgentUpdated { agent, name },
        RunEvent::TextDelta { agent, delta } => RunEvent::TextDelta { agent, delta },
        RunEvent::ToolCallDelta {
            agent,
            index,
            call_id,
            name,
            arguments_delta,
        } => RunEvent::ToolCallDelta {
            agent,
            index,
            call_id,
            name,
            arguments_delta,
        },
        RunEvent::Item(item) => RunEvent::Item(item),
        RunEvent::Nested { call_id, event } => RunEvent::Nested {
            call_id,
            event: Box::new(recast(*event)?),
        },
        RunEvent::Completed(result) => return Err(result),
    })
}

/// A progress event as an event of a stream with any output type.
fn widen<K, O>(event: Progress<K>) -> RunEvent<K, O> {
    match recast(event) {
        Ok(event) => event,
        Err(result) => match result.final_output {},
    }
}

/// The stream of a run's events (see [`crate::Runner::run_streamed`]). The last
/// item is [`RunEvent::Completed`] or an error.
///
/// The run is a future this stream polls, not a task: it advances only while
/// the stream is polled, and dropping the stream cancels it, with its
/// in-flight request (the connection is closed) and its running tools.
///
/// ```no_run
/// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
/// use futures_util::StreamExt;
/// use respan_runtime::{RunEvent, RunItem};
/// let mut events = respan_runtime::run_streamed(&gateway, &agents, "Hello");
/// while let Some(event) = events.next().await {
///     match event? {
///         RunEvent::TextDelta { delta, .. } => print!("{delta}"),
///         RunEvent::AgentUpdated { name, .. } => eprintln!("[{name}]"),
///         RunEvent::Item(RunItem::ToolCall { call, .. }) => {
///             eprintln!("⚙ {} {}", call.function.name, call.function.arguments)
///         }
///         RunEvent::Completed(result) => println!("\nlast agent: {}", result.last_agent_name),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub struct RunStream<'a, K, O = String> {
    driver: Option<BoxFuture<'a, Result<RunOutcome<K, O>, Error>>>,
    events: UnboundedReceiver<Progress<K>>,
    outcome: Option<Result<RunOutcome<K, O>, Error>>,
    /// The state of a run stopped for approval, once the stream has ended.
    interrupted: Option<RunState<K>>,
}

impl<'a, K> RunStream<'a, K> {
    pub(crate) fn new(
        driver: BoxFuture<'a, Result<RunOutcome<K>, Error>>,
        events: UnboundedReceiver<Progress<K>>,
    ) -> Self {
        Self {
            driver: Some(driver),
            events,
            outcome: None,
            interrupted: None,
        }
    }
}

impl<'a, K, O> RunStream<'a, K, O> {
    /// The next event (`None` after the last one): what `StreamExt::next` of
    /// `futures` gives, without that trait.
    ///
    /// ```no_run
    /// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
    /// let mut events = respan_runtime::run_streamed(&gateway, &agents, "Hello");
    /// while let Some(event) = events.next_event().await {
    ///     if let respan_runtime::RunEvent::TextDelta { delta, .. } = event? {
    ///         print!("{delta}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next_event(&mut self) -> Option<Result<RunEvent<K, O>, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Drives the run to the end, dropping the events, and returns its result
    /// ([`Error::ApprovalRequired`] if it stopped for approval).
    pub async fn into_result(self) -> Result<RunResult<K, O>, Error> {
        self.into_outcome().await?.into_result()
    }

    /// Drives the run to the end, dropping the events, and returns how it
    /// ended: completed, or (for [`Runner::run_streamed_resumable`](crate::Runner::run_streamed_resumable)
    /// and [`Runner::resume_streamed`](crate::Runner::resume_streamed)) stopped for approval.
    pub async fn into_outcome(mut self) -> Result<RunOutcome<K, O>, Error> {
        while let Some(event) = self.next_event().await {
            if let RunEvent::Completed(result) = event? {
                return Ok(RunOutcome::Completed(*result));
            }
        }
        match self.interrupted.take() {
            Some(state) => Ok(RunOutcome::Interrupted(state)),
            None => Err(Error::MalformedResponse(
                "the run ended without a result".to_string(),
            )),
        }
    }

    /// After the stream ended without [`RunEvent::Completed`]: the state of
    /// the run, stopped for approval (only runs started with
    /// [`Runner::run_streamed_resumable`](crate::Runner::run_streamed_resumable) or
    /// [`Runner::resume_streamed`](crate::Runner::resume_streamed) stop; others
    /// end with [`Error::ApprovalRequired`]). Decide its calls, then resume it.
    pub fn take_interruption(&mut self) -> Option<RunState<K>> {
        self.interrupted.take()
    }

    /// The same stream, its final result changed by `f` (e.g. the text output
    /// into a typed one): [`RunEvent::Completed`] and [`RunStream::into_result`]
    /// give what `f` returns, and an error of `f` is the stream's last item
    /// instead. The other events are unchanged. Generated workflows with
    /// structured outputs stream their `Output` enum this way.
    ///
    /// ```no_run
    /// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Answer { city: String }
    /// let answer = respan_runtime::run_streamed(&gateway, &agents, "Where?")
    ///     .map_completed(|result| {
    ///         let answer: Answer = result.output()?;
    ///         Ok(result.map_output(|_| answer))
    ///     })
    ///     .into_result()
    ///     .await?;
    /// println!("{}", answer.final_output.city);
    /// # Ok(()) }
    /// ```
    pub fn map_completed<P>(
        self,
        f: impl FnOnce(RunResult<K, O>) -> Result<RunResult<K, P>, Error> + Send + 'a,
    ) -> RunStream<'a, K, P>
    where
        K: 'a,
        O: 'a,
    {
        let RunStream {
            driver,
            events,
            outcome,
            interrupted,
        } = self;
        let (driver, outcome) = match (driver, outcome) {
            (Some(driver), _) => {
                let mapped: BoxFuture<'a, Result<RunOutcome<K, P>, Error>> =
                    Box::pin(async move { driver.await?.map_completed(f) });
                (Some(mapped), None)
            }
            (None, outcome) => (
                None,
                outcome.map(|outcome| outcome.and_then(|outcome| outcome.map_completed(f))),
            ),
        };
        RunStream {
            driver,
            events,
            outcome,
            interrupted,
        }
    }
}

// No field is structurally pinned (the driver is already boxed), so moving is fine.
impl<K, O> Unpin for RunStream<'_, K, O> {}

impl<K, O> Stream for RunStream<'_, K, O> {
    type Item = Result<RunEvent<K, O>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            // Events already produced go first, so they arrive before the result.
            if let Poll::Ready(Some(event)) = this.events.poll_recv(cx) {
                return Poll::Ready(Some(Ok(widen(event))));
            }
            match this.driver.as_mut() {
                Some(driver) => match driver.as_mut().poll(cx) {
                    Poll::Ready(outcome) => {
                        // Dropping the driver drops the sender: the loop drains what is left.
                        this.driver = None;
                        this.outcome = Some(outcome);
                    }
                    Poll::Pending => return Poll::Pending,
                },
                None => {
                    return Poll::Ready(match this.outcome.take() {
                        Some(Ok(RunOutcome::Completed(result))) => {
                            Some(Ok(RunEvent::Completed(Box::new(result))))
                        }
                        Some(Ok(RunOutcome::Interrupted(state))) => {
                            // The stream ends; the state waits for `take_interruption`.
                            this.interrupted = Some(state);
                            None
                        }
                        Some(Err(error)) => Some(Err(error)),
                        None => None,
                    });
                }
            }
        }
    }
}

impl<K, O> std::fmt::Debug for RunStream<'_, K, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunStream")
            .field("running", &self.driver.is_some())
            .finish_non_exhaustive()
    }
}
