//! Runs in a session: the history loaded before, the new items appended after,
//! one run at a time per conversation.

use crate::agent::hooks::{NoHooks, RunHooks};
use crate::agent::{AgentKey, AgentSet};
use crate::error::Error;
use crate::gateway::Gateway;
use crate::items::{Input, InputItem};
use crate::result::{RunOutcome, RunResult};
use crate::runner::Runner;
use crate::session::{Session, cut_at_safe_start};
use crate::state::{RunState, SessionMark};
use crate::stream::{RunStream, recast};

impl<H> Runner<H> {
    /// This runner's runs, in `session`: each loads the conversation so far
    /// before it starts and appends its input and the messages it added when
    /// it ends, so the next run continues the conversation (the SDK's
    /// `Runner.run(..., session=session)`).
    ///
    /// - A run starts from the set's entry agent, as the SDK starts from the
    ///   agent it is given: the entry agent reads the whole history (including
    ///   earlier handoffs) and routes again.
    /// - Concurrent runs on one session run one after the other (see
    ///   [`Session::run_lock`]): the second sees the first's items.
    /// - Only a run that completes appends; a failed or cancelled run leaves
    ///   the session as it was (the SDK saves after each turn instead; here a
    ///   session never holds a half run, e.g. a tool call without its result).
    /// - A tool that needs approval fails the run with
    ///   [`Error::ApprovalRequired`], as [`Runner::run`] does, and appends
    ///   nothing; [`SessionRunner::run_resumable`] stops it for approval
    ///   instead, and [`SessionRunner::resume`] appends it once it completes.
    ///
    /// ```no_run
    /// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
    /// use respan_runtime::{MemorySession, Runner};
    /// let session = MemorySession::new("user-42");
    /// let runner = Runner::new().session(&session).limit(50);
    /// runner.run(&gateway, &agents, "What city is the Golden Gate Bridge in?").await?;
    /// let answer = runner.run(&gateway, &agents, "What state is it in?").await?;
    /// println!("{}", answer.final_output);
    /// # Ok(()) }
    /// ```
    pub fn session(self, session: &dyn Session) -> SessionRunner<'_, H> {
        SessionRunner {
            runner: self,
            session,
            limit: None,
        }
    }
}

/// A [`Runner`] whose runs continue a [`Session`]'s conversation (see
/// [`Runner::session`]). Same methods as the runner.
pub struct SessionRunner<'s, H = NoHooks> {
    runner: Runner<H>,
    session: &'s dyn Session,
    limit: Option<usize>,
}

impl<H> Clone for SessionRunner<'_, H> {
    fn clone(&self) -> Self {
        Self {
            runner: self.runner.clone(),
            session: self.session,
            limit: self.limit,
        }
    }
}

impl<H> std::fmt::Debug for SessionRunner<'_, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRunner")
            .field("runner", &self.runner)
            .field("session_id", &self.session.session_id())
            .field("limit", &self.limit)
            .finish()
    }
}

impl<'s, H> SessionRunner<'s, H> {
    /// Loads at most the latest `n` items of the session (the SDK's
    /// `SessionSettings(limit=n)`), to keep a long conversation within the
    /// model's context window; overrides the session's own [`Session::limit`].
    /// When the limit cuts between a tool call and its results, the results
    /// are left out too: the history never starts with an orphan tool result.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Runs `agents` on `input` (the new message or messages) after the session's history.
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

    /// Runs with a context (see [`Runner::run_with`]) after the session's history.
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
        let _turn = self.session.run_lock().lock_owned().await;
        let (items, loaded) = self.history(input.into()).await?;
        let result = self
            .runner
            .run_with(gateway, agents, items, context)
            .await?;
        self.save(&result, loaded).await?;
        Ok(result)
    }

    /// Runs with streaming (see [`Runner::run_streamed`]) after the session's
    /// history; the new items are appended when the run completes, before
    /// [`RunEvent::Completed`](crate::RunEvent::Completed) is yielded. A stream dropped before then
    /// appends nothing.
    pub fn run_streamed<'a, K: AgentKey>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K>,
        input: impl Into<Input>,
    ) -> RunStream<'a, K>
    where
        's: 'a,
        H: RunHooks<K> + 'a,
    {
        self.run_streamed_with(gateway, agents, input, &())
    }

    /// Runs with streaming and a context after the session's history.
    pub fn run_streamed_with<'a, K: AgentKey, C: Sync>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K, C>,
        input: impl Into<Input>,
        context: &'a C,
    ) -> RunStream<'a, K>
    where
        's: 'a,
        H: RunHooks<K, C> + 'a,
    {
        let this = self.clone();
        let input = input.into();
        let (events, receiver) = tokio::sync::mpsc::unbounded_channel();
        RunStream::new(
            Box::pin(async move {
                let _turn = this.session.run_lock().lock_owned().await;
                let (items, loaded) = this.history(input).await?;
                let mut run = this
                    .runner
                    .run_streamed_with(gateway, agents, items, context);
                while let Some(event) = run.next_event().await {
                    match recast(event?) {
                        Ok(event) => {
                            // The caller may have stopped listening; the run still completes.
                            let _ = events.send(event);
                        }
                        Err(result) => {
                            this.save(&result, loaded).await?;
                            return Ok(RunOutcome::Completed(*result));
                        }
                    }
                }
                Err(Error::MalformedResponse(
                    "the run ended without a result".to_string(),
                ))
            }),
            receiver,
        )
    }

    /// Runs like [`SessionRunner::run`], but a tool call that needs approval
    /// stops the run ([`Runner::run_resumable`]): `RunOutcome::Interrupted`
    /// carries a [`RunState`] that remembers this session. Nothing is appended
    /// until the run completes, here or in [`SessionRunner::resume`]; the
    /// session is not locked while the calls wait for a decision, so other
    /// runs may continue the conversation meanwhile (the resumed run's items
    /// are appended after theirs).
    ///
    /// ```no_run
    /// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
    /// use respan_runtime::{MemorySession, RunOutcome, Runner};
    /// let session = MemorySession::new("user-42");
    /// let runner = Runner::new().session(&session);
    /// let mut outcome = runner.run_resumable(&gateway, &agents, "Refund order 42").await?;
    /// while let RunOutcome::Interrupted(mut state) = outcome {
    ///     state.approve_all(); // or ask someone, per call
    ///     outcome = runner.resume(&gateway, &agents, state).await?;
    /// }
    /// # Ok(()) }
    /// ```
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

    /// [`SessionRunner::run_resumable`] with a context (see [`Runner::run_with`]).
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
        let _turn = self.session.run_lock().lock_owned().await;
        let (items, loaded) = self.history(input.into()).await?;
        let outcome = self
            .runner
            .run_resumable_with(gateway, agents, items, context)
            .await?;
        self.settle(outcome, loaded).await
    }

    /// Continues a run that [`SessionRunner::run_resumable`] stopped for
    /// approval (here, or from the state's JSON in another process), in the
    /// same session; when it completes, its input and messages are appended.
    /// A state from another session, or from a run outside any session, is
    /// an [`Error::RunState`].
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

    /// [`SessionRunner::resume`] with a context (see [`Runner::run_with`]).
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
        let id = self.session.session_id();
        let loaded = match &state.session {
            Some(mark) if mark.id == id => mark.loaded,
            Some(mark) => {
                return Err(Error::RunState(format!(
                    "this run was started in session {:?}, not {id:?}: resume it with a \
                     runner of that session",
                    mark.id
                )));
            }
            None => {
                return Err(Error::RunState(
                    "this run was not started in a session: resume it with Runner::resume \
                     (or start it with a session runner's run_resumable)"
                        .to_string(),
                ));
            }
        };
        let _turn = self.session.run_lock().lock_owned().await;
        let outcome = self
            .runner
            .resume_with(gateway, agents, state, context)
            .await?;
        self.settle(outcome, loaded).await
    }

    /// A completed run is appended; an interrupted one remembers the session.
    async fn settle<K>(
        &self,
        outcome: RunOutcome<K>,
        loaded: usize,
    ) -> Result<RunOutcome<K>, Error> {
        match outcome {
            RunOutcome::Completed(result) => {
                self.save(&result, loaded).await?;
                Ok(RunOutcome::Completed(result))
            }
            RunOutcome::Interrupted(mut state) => {
                state.session = Some(SessionMark {
                    id: self.session.session_id().to_string(),
                    loaded,
                });
                Ok(RunOutcome::Interrupted(state))
            }
        }
    }

    /// The session's history (cut by the limit at a safe start), then the
    /// input; and how many items came from the session.
    async fn history(&self, input: Input) -> Result<(Vec<InputItem>, usize), Error> {
        let limit = self.limit.or_else(|| self.session.limit());
        let mut items = self.session.get_items(limit).await?;
        cut_at_safe_start(&mut items);
        let loaded = items.len();
        items.extend(input.into_items());
        Ok((items, loaded))
    }

    /// Appends what the run added after the loaded history: its input and
    /// every message of the run, across handoffs.
    async fn save<K>(&self, result: &RunResult<K>, loaded: usize) -> Result<(), Error> {
        self.session.add_items(&result.history[loaded..]).await
    }
}
