//! The seam for durable execution: the two steps of a run with effects outside
//! the process, a model request and a tool call, go through a [`Journal`].
//!
//! A durable engine (the `respan-restate` crate, on Restate) records each step's
//! result the first time it runs and gives the recorded result back when the run
//! is replayed after a crash, so a paid request or a tool's side effect that
//! completed is not repeated. Everything between the steps (building requests,
//! following handoffs) is deterministic given the steps' results, so replaying
//! the run with recorded results reaches the same state.
//!
//! A plain run uses [`NoJournal`]: each step simply runs.

use crate::error::Error;
use crate::items::{ModelResponse, ToolCall};
use crate::retry::BoxFuture;

/// Wraps the steps of a run that have effects outside the process.
///
/// Each method gets the step as a future that has not started: run it (and
/// record its result), or drop it and return the result recorded earlier. The
/// default methods run the step as is.
///
/// ```no_run
/// use respan_runtime::journal::Journal;
/// use respan_runtime::{BoxFuture, Error, ModelResponse, ToolCall};
///
/// /// Logs every step (a journal that records nothing).
/// struct Log;
///
/// impl Journal for Log {
///     fn model_request<'a>(
///         &'a self,
///         agent: &'a str,
///         request: BoxFuture<'a, Result<ModelResponse, Error>>,
///     ) -> BoxFuture<'a, Result<ModelResponse, Error>> {
///         Box::pin(async move {
///             eprintln!("asking the model of {agent}");
///             request.await
///         })
///     }
///
///     fn tool_call<'a>(&'a self, call: &'a ToolCall, run: BoxFuture<'a, String>) -> BoxFuture<'a, String> {
///         Box::pin(async move {
///             eprintln!("running {}", call.function.name);
///             run.await
///         })
///     }
/// }
/// ```
pub trait Journal: Send + Sync {
    /// One model request of `agent` (its display name). An error is the run's
    /// error, already stripped of the API key.
    fn model_request<'a>(
        &'a self,
        agent: &'a str,
        request: BoxFuture<'a, Result<ModelResponse, Error>>,
    ) -> BoxFuture<'a, Result<ModelResponse, Error>> {
        let _ = agent;
        request
    }

    /// One tool call; its result is what the model is told (a failure is a
    /// message too, never an error).
    fn tool_call<'a>(
        &'a self,
        call: &'a ToolCall,
        run: BoxFuture<'a, String>,
    ) -> BoxFuture<'a, String> {
        let _ = call;
        run
    }
}

/// The journal of a plain run: every step runs, nothing is recorded.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoJournal;

impl Journal for NoJournal {}
