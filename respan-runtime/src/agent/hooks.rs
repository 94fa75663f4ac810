//! Lifecycle hooks: the application's code, run as a run moves through its
//! steps (the Agents SDK's `RunHooks` and `AgentHooks`, one trait for both).
//!
//! A hook is given the run's [`RunContext`] (the application's context, the
//! usage so far) and the agent it fires for. Hooks of the runner
//! ([`Runner::hooks`](crate::Runner::hooks)) fire for every agent; hooks of an
//! agent ([`Agent::hooks`](crate::Agent::hooks)) for that agent only, after the
//! runner's. `on_handoff` fires on the runner's hooks and on the hooks of the
//! agent the run hands off *to* (as the SDK's `AgentHooks.on_handoff`).
//!
//! The order of one run, the same whether it streams or not, and for a run
//! stopped for approval and resumed (the resumed part goes on where the first
//! part stopped; the agent does not start again):
//!
//! ```text
//! on_agent_start(triage)
//! on_llm_start(triage)  on_llm_end(triage)
//! on_handoff(triage → billing)
//! on_agent_start(billing)
//! on_llm_start(billing)  on_llm_end(billing)
//! on_tool_start(billing, lookup)  on_tool_end(billing, lookup, result)
//! on_llm_start(billing)  on_llm_end(billing)
//! on_agent_end(billing, final output)
//! ```
//!
//! Several tool calls of one answer run concurrently, each between its own
//! `on_tool_start` and `on_tool_end`.
//!
//! **A hook that fails ends the run**, as in the SDK: its `Err` (or its panic,
//! which is caught) becomes [`Error::Hook`](crate::Error::Hook) naming the
//! hook and the agent, and nothing more is sent. A hook is where an application
//! enforces a rule of its own (a budget, a policy), so going on after it failed
//! would silently drop that rule. A hook that only observes should log its own
//! errors and return `Ok(())`.
//!
//! ```
//! use respan_runtime::{Agent, AgentKey, HookResult, RunContext, RunHooks, ToolCall, async_trait};
//!
//! /// Prints each tool call as it starts.
//! struct Log;
//!
//! #[async_trait]
//! impl<K: AgentKey, C: Sync> RunHooks<K, C> for Log {
//!     async fn on_tool_start(
//!         &self,
//!         _run: &RunContext<'_, C>,
//!         agent: &Agent<K, C>,
//!         call: &ToolCall,
//!     ) -> HookResult {
//!         println!("{} calls {}", agent.name(), call.function.name);
//!         Ok(())
//!     }
//! }
//! let runner = respan_runtime::Runner::new().hooks(Log);
//! # let _ = runner;
//! ```

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt as _;

use crate::agent::{Agent, AgentKey};
use crate::error::Error;
use crate::items::{InputItem, ModelResponse, ToolCall};
use crate::retry::BoxFuture;
use crate::text::panic_message;
use crate::usage::Usage;

/// `#[async_trait]`, to implement [`RunHooks`] with `async fn`s.
pub use async_trait::async_trait;

/// A hook's error: any error (`?` converts), or a message (`Err("over budget".into())`).
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

/// What a hook returns: `Ok(())` lets the run go on; an error ends it.
pub type HookResult = Result<(), HookError>;

/// What a hook sees of the run (the SDK's `RunContextWrapper`).
#[derive(Debug)]
pub struct RunContext<'a, C> {
    context: &'a C,
    usage: &'a Usage,
    turns: u32,
}

impl<'a, C> RunContext<'a, C> {
    pub(crate) fn new(context: &'a C, usage: &'a Usage, turns: u32) -> Self {
        Self {
            context,
            usage,
            turns,
        }
    }

    /// The application's context the run was started with
    /// ([`Runner::run_with`](crate::Runner::run_with); `()` without one).
    pub fn context(&self) -> &'a C {
        self.context
    }

    /// Tokens used by the run's model requests so far.
    pub fn usage(&self) -> &'a Usage {
        self.usage
    }

    /// Model requests made so far (what `max_turns` bounds).
    pub fn turns(&self) -> u32 {
        self.turns
    }
}

/// Code of the application's that runs at each step of a run (see the
/// [module](self) for the order and what a failing hook does). Every method
/// has a default that does nothing; implement the ones you need with
/// [`#[async_trait]`](macro@async_trait).
#[async_trait]
pub trait RunHooks<K: AgentKey, C: Sync = ()>: Send + Sync {
    /// An agent starts: the run's first agent, or one handed off to.
    async fn on_agent_start(&self, run: &RunContext<'_, C>, agent: &Agent<K, C>) -> HookResult {
        let _ = (run, agent);
        Ok(())
    }

    /// An agent produced the run's final output (its answer, or the result of
    /// a tool that stops the run). Not called for a run that stops for
    /// approval or fails.
    async fn on_agent_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        output: &str,
    ) -> HookResult {
        let _ = (run, agent, output);
        Ok(())
    }

    /// A model request is about to be sent: the system message (the agent's
    /// instructions for this turn) and the conversation it follows.
    async fn on_llm_start(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        system: Option<&str>,
        input: &[InputItem],
    ) -> HookResult {
        let _ = (run, agent, system, input);
        Ok(())
    }

    /// The model answered (after retries; a request that failed is the run's
    /// error, with no `on_llm_end`).
    async fn on_llm_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        response: &ModelResponse,
    ) -> HookResult {
        let _ = (run, agent, response);
        Ok(())
    }

    /// A function tool is about to run for this call.
    async fn on_tool_start(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
    ) -> HookResult {
        let _ = (run, agent, call);
        Ok(())
    }

    /// A function tool ran: `result` is what the model is told (a failure's
    /// message included).
    async fn on_tool_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
        result: &str,
    ) -> HookResult {
        let _ = (run, agent, call, result);
        Ok(())
    }

    /// The run hands off from one agent to another (before the new agent starts).
    async fn on_handoff(
        &self,
        run: &RunContext<'_, C>,
        from: &Agent<K, C>,
        to: &Agent<K, C>,
    ) -> HookResult {
        let _ = (run, from, to);
        Ok(())
    }

    /// Whether any hook does something: `false` only for [`NoHooks`], whose
    /// runs then skip the calls altogether.
    #[doc(hidden)]
    fn is_active(&self) -> bool {
        true
    }
}

/// No hooks: what a [`Runner`](crate::Runner) has until [`Runner::hooks`](crate::Runner::hooks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoHooks;

impl<K: AgentKey, C: Sync> RunHooks<K, C> for NoHooks {
    fn is_active(&self) -> bool {
        false
    }
}

/// Hooks shared between runners or agents.
#[async_trait]
impl<K: AgentKey, C: Sync, H: RunHooks<K, C> + ?Sized> RunHooks<K, C> for Arc<H> {
    async fn on_agent_start(&self, run: &RunContext<'_, C>, agent: &Agent<K, C>) -> HookResult {
        (**self).on_agent_start(run, agent).await
    }
    async fn on_agent_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        output: &str,
    ) -> HookResult {
        (**self).on_agent_end(run, agent, output).await
    }
    async fn on_llm_start(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        system: Option<&str>,
        input: &[InputItem],
    ) -> HookResult {
        (**self).on_llm_start(run, agent, system, input).await
    }
    async fn on_llm_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        response: &ModelResponse,
    ) -> HookResult {
        (**self).on_llm_end(run, agent, response).await
    }
    async fn on_tool_start(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
    ) -> HookResult {
        (**self).on_tool_start(run, agent, call).await
    }
    async fn on_tool_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
        result: &str,
    ) -> HookResult {
        (**self).on_tool_end(run, agent, call, result).await
    }
    async fn on_handoff(
        &self,
        run: &RunContext<'_, C>,
        from: &Agent<K, C>,
        to: &Agent<K, C>,
    ) -> HookResult {
        (**self).on_handoff(run, from, to).await
    }
    fn is_active(&self) -> bool {
        (**self).is_active()
    }
}

/// Hooks that may be absent: what a generated workflow keeps
/// ([`Runner::shared_hooks`](crate::Runner::shared_hooks)).
pub type SharedHooks<K, C> = Option<Arc<dyn RunHooks<K, C>>>;

#[async_trait]
impl<K: AgentKey, C: Sync> RunHooks<K, C> for Option<Arc<dyn RunHooks<K, C>>> {
    async fn on_agent_start(&self, run: &RunContext<'_, C>, agent: &Agent<K, C>) -> HookResult {
        match self {
            Some(hooks) => hooks.on_agent_start(run, agent).await,
            None => Ok(()),
        }
    }
    async fn on_agent_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        output: &str,
    ) -> HookResult {
        match self {
            Some(hooks) => hooks.on_agent_end(run, agent, output).await,
            None => Ok(()),
        }
    }
    async fn on_llm_start(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        system: Option<&str>,
        input: &[InputItem],
    ) -> HookResult {
        match self {
            Some(hooks) => hooks.on_llm_start(run, agent, system, input).await,
            None => Ok(()),
        }
    }
    async fn on_llm_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        response: &ModelResponse,
    ) -> HookResult {
        match self {
            Some(hooks) => hooks.on_llm_end(run, agent, response).await,
            None => Ok(()),
        }
    }
    async fn on_tool_start(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
    ) -> HookResult {
        match self {
            Some(hooks) => hooks.on_tool_start(run, agent, call).await,
            None => Ok(()),
        }
    }
    async fn on_tool_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
        result: &str,
    ) -> HookResult {
        match self {
            Some(hooks) => hooks.on_tool_end(run, agent, call, result).await,
            None => Ok(()),
        }
    }
    async fn on_handoff(
        &self,
        run: &RunContext<'_, C>,
        from: &Agent<K, C>,
        to: &Agent<K, C>,
    ) -> HookResult {
        match self {
            Some(hooks) => hooks.on_handoff(run, from, to).await,
            None => Ok(()),
        }
    }
    fn is_active(&self) -> bool {
        self.as_ref().is_some_and(|hooks| hooks.is_active())
    }
}

/// Awaits one hook: its error or panic becomes [`Error::Hook`].
pub(crate) async fn guard(
    hook: &'static str,
    agent: &str,
    call: BoxFuture<'_, HookResult>,
) -> Result<(), Error> {
    let failed = |message: String| Error::Hook {
        hook,
        agent: agent.to_string(),
        message,
    };
    match AssertUnwindSafe(call).catch_unwind().await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(failed(error.to_string())),
        Err(panic) => Err(failed(format!(
            "the hook panicked: {}",
            panic_message(&*panic)
        ))),
    }
}
