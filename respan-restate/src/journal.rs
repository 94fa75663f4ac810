//! The runtime's [`Journal`] on Restate: every model request and tool call is a
//! `ctx.run` step, recorded in the invocation's journal.

use respan_runtime::journal::Journal;
use respan_runtime::{BoxFuture, Error, ModelResponse, ToolCall};
use restate_sdk::prelude::*;

/// Records the steps of one run in the journal of the Restate invocation
/// running it. On a replay (the service was restarted, or the invocation moved
/// to another instance), a step that completed returns its recorded result
/// without running: the request is not sent again, the tool does not run again.
pub(crate) struct RestateJournal<'a, 'ctx> {
    ctx: &'a WorkflowContext<'ctx>,
    /// Tool calls the model asked for together are journaled one after another:
    /// a replay must meet the steps in the order they were recorded, and the
    /// lock is taken in the runner's call order (tokio's mutex is fair).
    steps: tokio::sync::Mutex<()>,
}

impl<'a, 'ctx> RestateJournal<'a, 'ctx> {
    pub(crate) fn new(ctx: &'a WorkflowContext<'ctx>) -> Self {
        Self {
            ctx,
            steps: tokio::sync::Mutex::new(()),
        }
    }
}

impl Journal for RestateJournal<'_, '_> {
    fn model_request<'b>(
        &'b self,
        agent: &'b str,
        request: BoxFuture<'b, Result<ModelResponse, Error>>,
    ) -> BoxFuture<'b, Result<ModelResponse, Error>> {
        Box::pin(async move {
            let _step = self.steps.lock().await;
            let ctx: &WorkflowContext<'b> = self.ctx;
            // The gateway has already retried what its retry policy retries: a
            // failure is recorded as final (terminal), as a plain run ends with it.
            let recorded = ctx
                .run(move || async move {
                    match request.await {
                        Ok(response) => Ok(Json(response)),
                        Err(error) => Err(TerminalError::new(error.to_string()).into()),
                    }
                })
                .name(format!("model request: {agent}"))
                .await;
            match recorded {
                Ok(Json(response)) => Ok(response),
                Err(failure) => Err(Error::Journaled(failure.message().to_string())),
            }
        })
    }

    fn tool_call<'b>(
        &'b self,
        call: &'b ToolCall,
        run: BoxFuture<'b, String>,
    ) -> BoxFuture<'b, String> {
        Box::pin(async move {
            let _step = self.steps.lock().await;
            let ctx: &WorkflowContext<'b> = self.ctx;
            // A tool's failure is already the message the model sees: the step never fails.
            let recorded = ctx
                .run(move || async move { Ok(run.await) })
                .name(format!("tool: {} ({})", call.function.name, call.id))
                .await;
            recorded.unwrap_or_else(|failure| failure.message().to_string())
        })
    }
}
