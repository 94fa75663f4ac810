//! The runner: how runs are started (plain, with a context, resumable,
//! journaled, streamed) and with what settings (`max_turns`, a trace context,
//! hooks). Each run itself is a [`Run`](crate::run) going through the steps.

use std::sync::Arc;

use crate::agent::hooks::{NoHooks, RunHooks, SharedHooks};
use crate::agent::{AgentKey, AgentSet};
use crate::error::Error;
use crate::gateway::Gateway;
use crate::items::Input;
use crate::journal::{Journal, NoJournal};
use crate::result::{RunOutcome, RunResult};
use crate::run::{Run, Setup, Start};
use crate::state::RunState;
use crate::stream::RunStream;
use crate::trace::TraceContext;

/// Runs agent sets. `Runner::new()` uses the set's `max_turns`; `.max_turns(n)` overrides it.
///
/// ```no_run
/// # async fn demo() -> Result<(), respan_runtime::Error> {
/// use respan_runtime::{Agent, AgentSet, Gateway, Runner};
/// let gateway = Gateway::from_env()?;
/// let agents = AgentSet::new("Assistant".to_string())
///     .agent(Agent::named("Assistant").instructions("You are a helpful assistant.").model("gpt-4o"));
/// let result = Runner::new().max_turns(3).run(&gateway, &agents, "Hello").await?;
/// println!("{}", result.final_output);
/// # Ok(()) }
/// ```
///
/// `H` is the runner's [hooks](crate::hooks) ([`NoHooks`] until [`Runner::hooks`]).
pub struct Runner<H = NoHooks> {
    max_turns: Option<u32>,
    trace: Option<Arc<TraceContext>>,
    hooks: Arc<H>,
}

impl<H> Clone for Runner<H> {
    fn clone(&self) -> Self {
        Self {
            max_turns: self.max_turns,
            trace: self.trace.clone(),
            hooks: self.hooks.clone(),
        }
    }
}

impl<H> std::fmt::Debug for Runner<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("max_turns", &self.max_turns)
            .field("trace", &self.trace)
            .field("hooks", &std::any::type_name::<H>())
            .finish()
    }
}

impl Default for Runner {
    fn default() -> Self {
        Self {
            max_turns: None,
            trace: None,
            hooks: Arc::new(NoHooks),
        }
    }
}

impl Runner {
    /// A runner with the agent set's settings.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<H> Runner<H> {
    /// Overrides the set's bound on model requests per run.
    pub fn max_turns(mut self, n: u32) -> Self {
        self.max_turns = Some(n);
        self
    }

    /// What every span of the runs carries (trace group, session, customer,
    /// metadata); see [`TraceContext`].
    pub fn trace(mut self, context: TraceContext) -> Self {
        self.trace = Some(Arc::new(context));
        self
    }

    /// Hooks that fire at every step of this runner's runs (the SDK's
    /// `RunHooks`; see [`RunHooks`] for the order and what an error does).
    /// They replace any set before.
    ///
    /// ```no_run
    /// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
    /// use respan_runtime::{Agent, AgentKey, HookResult, RunContext, RunHooks, Runner, async_trait};
    ///
    /// struct Announce;
    /// #[async_trait]
    /// impl<K: AgentKey, C: Sync> RunHooks<K, C> for Announce {
    ///     async fn on_agent_start(&self, _run: &RunContext<'_, C>, agent: &Agent<K, C>) -> HookResult {
    ///         eprintln!("→ {}", agent.name());
    ///         Ok(())
    ///     }
    /// }
    /// let result = Runner::new().hooks(Announce).run(&gateway, &agents, "Hello").await?;
    /// # let _ = result; Ok(()) }
    /// ```
    pub fn hooks<H2>(self, hooks: H2) -> Runner<H2> {
        Runner {
            max_turns: self.max_turns,
            trace: self.trace,
            hooks: Arc::new(hooks),
        }
    }

    /// The runner's hooks.
    pub fn hooks_value(&self) -> &H {
        &self.hooks
    }

    /// The same runner with its hooks behind a trait object, for agents keyed
    /// by `K` with context `C`: one type whatever the hooks are (what a
    /// generated workflow can keep, [`SharedHooks`]).
    pub fn shared_hooks<K: AgentKey, C: Sync>(self) -> Runner<SharedHooks<K, C>>
    where
        H: RunHooks<K, C> + 'static,
    {
        let hooks: SharedHooks<K, C> = self.hooks;
        Runner {
            max_turns: self.max_turns,
            trace: self.trace,
            hooks: Arc::new(hooks),
        }
    }

    /// What a run of `agents` is given by this runner (no journal, no events).
    fn setup<'r, K: AgentKey, C: Sync>(
        &'r self,
        gateway: &'r Gateway,
        agents: &'r AgentSet<K, C>,
        context: &'r C,
    ) -> Setup<'r, K, C>
    where
        H: RunHooks<K, C>,
    {
        Setup {
            gateway,
            agents,
            context,
            journal: &NoJournal,
            hooks: &*self.hooks,
            max_turns: self.max_turns.unwrap_or(agents.max_turns_value()),
            trace: self.trace.as_deref(),
            events: None,
            entry: None,
            nested_in: Vec::new(),
        }
    }

    /// Runs `agents` from their entry agent on `input` (a message or a conversation).
    pub async fn run<K: AgentKey>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K>,
        input: impl Into<Input>,
    ) -> Result<RunResult<K>, Error>
    where
        H: RunHooks<K>,
    {
        self.run_with(gateway, agents, input, &()).await
    }

    /// Runs `agents` with a context: every tool call gets `&context` (the
    /// application's state). Tools that take a context of another type do not
    /// compile into a set of this context.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), respan_runtime::Error> {
    /// use respan_runtime::{Agent, AgentSet, FunctionTool, Gateway, Runner};
    ///
    /// struct Shop { name: String }
    /// let tool = FunctionTool::with_context(
    ///     "shop_name",
    ///     "The shop's name.",
    ///     serde_json::json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
    ///     |shop: &Shop, _args| std::future::ready(Ok(shop.name.clone())),
    /// );
    /// let agents = AgentSet::new("Clerk".to_string())
    ///     .context::<Shop>()
    ///     .agent(Agent::named("Clerk").context::<Shop>().tool(tool));
    /// let shop = Shop { name: "Corner Shop".into() };
    /// let gateway = Gateway::from_env()?;
    /// let result = Runner::new().run_with(&gateway, &agents, "Where am I?", &shop).await?;
    /// # let _ = result; Ok(()) }
    /// ```
    pub async fn run_with<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        input: impl Into<Input>,
        context: &C,
    ) -> Result<RunResult<K>, Error>
    where
        H: RunHooks<K, C>,
    {
        self.run_resumable_with(gateway, agents, input, context)
            .await?
            .into_result()
    }

    /// Runs `agents` on `input` like [`Runner::run`], but a tool call that needs
    /// approval ([`FunctionTool::needs_approval`](crate::FunctionTool::needs_approval))
    /// stops the run: the outcome is then [`RunOutcome::Interrupted`] with the
    /// [`RunState`] to decide and [`Runner::resume`]. The other calls of the
    /// same answer have run; nothing else is sent until the run resumes.
    /// ([`Runner::run`] fails with [`Error::ApprovalRequired`] there instead.)
    pub async fn run_resumable<K: AgentKey>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K>,
        input: impl Into<Input>,
    ) -> Result<RunOutcome<K>, Error>
    where
        H: RunHooks<K>,
    {
        self.run_resumable_with(gateway, agents, input, &()).await
    }

    /// [`Runner::run_resumable`] with a context (see [`Runner::run_with`]).
    pub async fn run_resumable_with<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        input: impl Into<Input>,
        context: &C,
    ) -> Result<RunOutcome<K>, Error>
    where
        H: RunHooks<K, C>,
    {
        self.run_journaled(gateway, agents, input, context, &NoJournal)
            .await
    }

    /// Continues a run stopped for approval, with the same agents (in this
    /// process or another, from [`RunState::from_json`]): approved calls run,
    /// rejected ones give the model their message, and the run goes on exactly
    /// as if it had not stopped; its requests are the same. Calls still
    /// undecided stop it again at once (nothing is sent). The turns made before
    /// count toward `max_turns`.
    ///
    /// A state whose agent or pending tools are not in `agents` is
    /// [`Error::RunState`].
    pub async fn resume<K: AgentKey>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K>,
        state: RunState<K>,
    ) -> Result<RunOutcome<K>, Error>
    where
        H: RunHooks<K>,
    {
        self.resume_with(gateway, agents, state, &()).await
    }

    /// [`Runner::resume`] with a context (see [`Runner::run_with`]).
    pub async fn resume_with<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        state: RunState<K>,
        context: &C,
    ) -> Result<RunOutcome<K>, Error>
    where
        H: RunHooks<K, C>,
    {
        self.resume_journaled(gateway, agents, state, context, &NoJournal)
            .await
    }

    /// [`Runner::run_resumable_with`] with every model request and tool call
    /// going through `journal` (see [`crate::journal`]): how a durable engine
    /// records them, so a run replayed after a crash does not repeat them.
    pub async fn run_journaled<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        input: impl Into<Input>,
        context: &C,
        journal: &dyn Journal,
    ) -> Result<RunOutcome<K>, Error>
    where
        H: RunHooks<K, C>,
    {
        let setup = Setup {
            journal,
            ..self.setup(gateway, agents, context)
        };
        Run::drive(setup, Start::Input(input.into())).await
    }

    /// [`Runner::resume_with`] through `journal` (see [`Runner::run_journaled`]).
    pub async fn resume_journaled<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        state: RunState<K>,
        context: &C,
        journal: &dyn Journal,
    ) -> Result<RunOutcome<K>, Error>
    where
        H: RunHooks<K, C>,
    {
        let setup = Setup {
            journal,
            ..self.setup(gateway, agents, context)
        };
        Run::drive(setup, Start::Resume(state)).await
    }

    /// Runs with streaming: the gateway streams each answer (`"stream": true`) and
    /// the returned stream yields [`RunEvent`](crate::RunEvent)s as they happen, in the Agents SDK's
    /// order, ending with [`RunEvent::Completed`](crate::RunEvent::Completed) (or an error).
    ///
    /// - Requests also ask for usage (`"stream_options": {"include_usage": true}`,
    ///   unlike the SDK; see [`GatewayBuilder::stream_usage`](crate::GatewayBuilder::stream_usage)),
    ///   so the result's `usage` and `usage_by_agent` are those of a run that does not stream.
    /// - Nothing runs until the stream is polled, and dropping it cancels the run:
    ///   the in-flight request's connection is closed and running tools are dropped.
    /// - A stream cut before the answer is complete is [`Error::StreamTruncated`];
    ///   one with no event within the gateway's timeout is [`Error::StreamStalled`].
    ///   Neither is retried (part of the answer may have been shown).
    ///
    /// ```no_run
    /// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
    /// use respan_runtime::{RunEvent, RunItem, Runner};
    /// let mut events = Runner::new().max_turns(5).run_streamed(&gateway, &agents, "Hello");
    /// while let Some(event) = events.next_event().await {
    ///     match event? {
    ///         RunEvent::TextDelta { delta, .. } => print!("{delta}"),
    ///         RunEvent::Item(RunItem::HandoffOutput { target, .. }) => println!("→ {target}"),
    ///         RunEvent::Completed(result) => println!("\n{} tokens", result.usage.total_tokens),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn run_streamed<'a, K: AgentKey>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K>,
        input: impl Into<Input>,
    ) -> RunStream<'a, K>
    where
        H: RunHooks<K> + 'a,
    {
        self.run_streamed_with(gateway, agents, input, &())
    }

    /// Runs with streaming and a context (see [`Runner::run_with`]).
    pub fn run_streamed_with<'a, K: AgentKey, C: Sync>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K, C>,
        input: impl Into<Input>,
        context: &'a C,
    ) -> RunStream<'a, K>
    where
        H: RunHooks<K, C> + 'a,
    {
        let runner = self.clone();
        let start = Start::Input(input.into());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        RunStream::new(
            Box::pin(async move {
                let mut setup = runner.setup(gateway, agents, context);
                setup.events = Some(tx);
                // This stream cannot stop for approval: an interruption is an error.
                let outcome = Run::drive(setup, start).await?;
                outcome.into_result().map(RunOutcome::Completed)
            }),
            rx,
        )
    }

    /// [`Runner::run_resumable`] with streaming: the events of
    /// [`Runner::run_streamed`]; a run stopped for approval ends the stream
    /// without [`RunEvent::Completed`](crate::RunEvent::Completed), and [`RunStream::take_interruption`]
    /// gives its state ([`RunStream::into_outcome`] gives either).
    pub fn run_streamed_resumable<'a, K: AgentKey>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K>,
        input: impl Into<Input>,
    ) -> RunStream<'a, K>
    where
        H: RunHooks<K> + 'a,
    {
        self.streamed(gateway, agents, Start::Input(input.into()), &())
    }

    /// [`Runner::resume`] with streaming (see [`Runner::run_streamed_resumable`]).
    pub fn resume_streamed<'a, K: AgentKey>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K>,
        state: RunState<K>,
    ) -> RunStream<'a, K>
    where
        H: RunHooks<K> + 'a,
    {
        self.streamed(gateway, agents, Start::Resume(state), &())
    }

    /// A run with streaming that may stop for approval.
    fn streamed<'a, K: AgentKey, C: Sync>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K, C>,
        start: Start<K>,
        context: &'a C,
    ) -> RunStream<'a, K>
    where
        H: RunHooks<K, C> + 'a,
    {
        let runner = self.clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        RunStream::new(
            Box::pin(async move {
                let mut setup = runner.setup(gateway, agents, context);
                setup.events = Some(tx);
                Run::drive(setup, start).await
            }),
            rx,
        )
    }
}

/// Runs `agents` with the default [`Runner`].
pub async fn run<K: AgentKey>(
    gateway: &Gateway,
    agents: &AgentSet<K>,
    input: impl Into<Input>,
) -> Result<RunResult<K>, Error> {
    Runner::new().run(gateway, agents, input).await
}

/// Streams a run of `agents` with the default [`Runner`].
pub fn run_streamed<'a, K: AgentKey>(
    gateway: &'a Gateway,
    agents: &'a AgentSet<K>,
    input: impl Into<Input>,
) -> RunStream<'a, K> {
    Runner::new().run_streamed(gateway, agents, input)
}
