//! Streamed runs: events as they happen, without spawning a task (the run may
//! borrow the gateway and the agents).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt as _};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::error::Error;
use crate::items::RunItem;
use crate::result::RunResult;
use crate::retry::BoxFuture;

/// Something that happened during a streamed run, in the order of the Agents
/// SDK's stream events.
#[derive(Clone, Debug, PartialEq)]
pub enum RunEvent<K> {
    /// The current agent changed (also sent first, for the entry agent).
    AgentUpdated {
        /// Its key.
        agent: K,
        /// Its display name.
        name: String,
    },
    /// A piece of the model's text answer, as the gateway sent it.
    TextDelta {
        /// The agent answering.
        agent: K,
        /// The text.
        delta: String,
    },
    /// An item was produced: a message, tool call or result, handoff request or handoff.
    Item(RunItem<K>),
    /// The run finished; the last event.
    Completed(Box<RunResult<K>>),
}

/// The stream of a run's events (see [`crate::Runner::run_streamed`]). The last
/// item is [`RunEvent::Completed`] or an error.
///
/// ```no_run
/// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
/// use futures_util::StreamExt;
/// use respan_runtime::RunEvent;
/// let mut events = respan_runtime::run_streamed(&gateway, &agents, "Hello");
/// while let Some(event) = events.next().await {
///     match event? {
///         RunEvent::TextDelta { delta, .. } => print!("{delta}"),
///         RunEvent::AgentUpdated { name, .. } => eprintln!("[{name}]"),
///         RunEvent::Completed(result) => println!("\nlast agent: {}", result.last_agent_name),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub struct RunStream<'a, K> {
    driver: Option<BoxFuture<'a, Result<RunResult<K>, Error>>>,
    events: UnboundedReceiver<RunEvent<K>>,
    outcome: Option<Result<RunResult<K>, Error>>,
}

impl<'a, K> RunStream<'a, K> {
    pub(crate) fn new(
        driver: BoxFuture<'a, Result<RunResult<K>, Error>>,
        events: UnboundedReceiver<RunEvent<K>>,
    ) -> Self {
        Self {
            driver: Some(driver),
            events,
            outcome: None,
        }
    }

    /// Drives the run to the end, dropping the events, and returns its result.
    pub async fn into_result(mut self) -> Result<RunResult<K>, Error> {
        while let Some(event) = self.next().await {
            if let RunEvent::Completed(result) = event? {
                return Ok(*result);
            }
        }
        Err(Error::MalformedResponse(
            "the run ended without a result".to_string(),
        ))
    }
}

// No field is structurally pinned (the driver is already boxed), so moving is fine.
impl<K> Unpin for RunStream<'_, K> {}

impl<K> Stream for RunStream<'_, K> {
    type Item = Result<RunEvent<K>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            // Events already produced go first, so they arrive before the result.
            if let Poll::Ready(Some(event)) = this.events.poll_recv(cx) {
                return Poll::Ready(Some(Ok(event)));
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
                    return Poll::Ready(this.outcome.take().map(|outcome| {
                        outcome.map(|result| RunEvent::Completed(Box::new(result)))
                    }));
                }
            }
        }
    }
}

impl<K> std::fmt::Debug for RunStream<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunStream")
            .field("running", &self.driver.is_some())
            .finish_non_exhaustive()
    }
}
