//! One run, as the Agents SDK's steps. A [`Run`] holds what the run needs
//! (gateway, agents, context, journal, hooks, trace, events) and what it has
//! produced so far; its methods are the steps:
//!
//! 1. [`prepare_turn`](Run::prepare_turn): the current agent starts (hooks)
//!    and its instructions for this turn are computed ([`turn`]);
//! 2. [`ask_model`](Run::ask_model): one model request, through the journal,
//!    streamed or not ([`turn`], [`answer`]);
//! 3. [`classify`](Run::classify): the answer is a final output, or tool calls
//!    and handoffs, every one of which must be the agent's ([`classify`]);
//! 4. [`run_tools`](Run::run_tools): the calls that may run now run
//!    concurrently, or the run stops for approval ([`tools`]);
//! 5. [`hand_off`](Run::hand_off): the first handoff switches the agent ([`handoff`]);
//! 6. [`finish`](Run::finish): the final output becomes the result ([`finish`]).
//!
//! Plain, streamed, resumed and journaled runs all go through these steps: a
//! resumed run starts at step 4 with the calls it stopped at.

mod answer;
mod classify;
mod finish;
mod handoff;
mod nested;
mod tools;
mod turn;

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::agent::hooks::RunHooks;
use crate::agent::{Agent, AgentKey, AgentSet, Prepared};
use crate::error::Error;
use crate::gateway::Gateway;
use crate::history::HistoryJson;
use crate::items::{Input, RunItem};
use crate::journal::Journal;
use crate::result::RunOutcome;
use crate::so_far::RunSoFar;
use crate::state::{Outputs, RunState, ToolApproval};
use crate::stream::{Progress, RunEvent};
use crate::trace::{RunTrace, TraceContext};

pub use handoff::MULTIPLE_HANDOFFS_MESSAGE;
pub use tools::TOOL_ERROR_MESSAGE;

use classify::NextStep;
use tools::ToolsDone;

/// Where a run starts: its input, or a state stopped for approval.
pub(crate) enum Start<K> {
    Input(Input),
    Resume(RunState<K>),
}

/// What a run is given (by the [`Runner`](crate::Runner)), besides where it starts.
pub(crate) struct Setup<'r, K: AgentKey, C> {
    pub(crate) gateway: &'r Gateway,
    pub(crate) agents: &'r AgentSet<K, C>,
    pub(crate) context: &'r C,
    pub(crate) journal: &'r dyn Journal,
    pub(crate) hooks: &'r dyn RunHooks<K, C>,
    pub(crate) max_turns: u32,
    pub(crate) trace: Option<&'r TraceContext>,
    /// Where a streamed run sends its events (`None`: it does not stream).
    pub(crate) events: Option<UnboundedSender<Progress<K>>>,
    /// The agent the run starts with (`None`: the set's entry agent).
    pub(crate) entry: Option<usize>,
    /// The calls of agent tools this run is nested in, outermost first (its
    /// events are streamed inside [`RunEvent::Nested`]).
    pub(crate) nested_in: Vec<String>,
}

/// The events of a streamed run (nothing for one that does not stream).
pub(crate) struct Events<K> {
    tx: Option<UnboundedSender<Progress<K>>>,
    /// The agent tool calls the run is nested in, outermost first.
    nested_in: Vec<String>,
}

impl<K: Clone> Events<K> {
    /// Where the model's answer is streamed to, delta by delta: a streamed
    /// run's own requests stream; a nested run (an agent as a tool) asks
    /// without streaming, as the SDK's `as_tool` does, and its items and
    /// agent changes are streamed inside [`RunEvent::Nested`].
    pub(crate) fn sender(&self) -> Option<&UnboundedSender<Progress<K>>> {
        self.tx.as_ref().filter(|_| self.nested_in.is_empty())
    }

    pub(crate) fn emit(&self, event: impl FnOnce() -> Progress<K>) {
        if let Some(tx) = &self.tx {
            let event =
                self.nested_in
                    .iter()
                    .rev()
                    .fold(event(), |event, call_id| RunEvent::Nested {
                        call_id: call_id.clone(),
                        event: Box::new(event),
                    });
            // The receiver may be gone (the caller dropped the stream); the run still completes.
            let _ = tx.send(event);
        }
    }

    /// The events of a run nested in the agent tool call `call_id`.
    pub(crate) fn nested(
        &self,
        call_id: &str,
    ) -> (Option<UnboundedSender<Progress<K>>>, Vec<String>) {
        let mut nested_in = self.nested_in.clone();
        nested_in.push(call_id.to_string());
        (self.tx.clone(), nested_in)
    }

    /// Adds `item` to the run's items, and streams it.
    pub(crate) fn push(&self, items: &mut Vec<RunItem<K>>, item: RunItem<K>) {
        self.emit(|| RunEvent::Item(item.clone()));
        items.push(item);
    }
}

/// The runner's hooks (when they do anything) and each agent's.
pub(crate) struct Hooks<'r, K: AgentKey, C> {
    runner: Option<&'r dyn RunHooks<K, C>>,
}

// Not derived: a derive would ask `K: Copy, C: Copy`.
impl<K: AgentKey, C> Clone for Hooks<'_, K, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: AgentKey, C> Copy for Hooks<'_, K, C> {}

impl<'r, K: AgentKey, C> Hooks<'r, K, C> {
    /// The hooks that fire for `agent`: the runner's, then the agent's own.
    pub(crate) fn of<'a>(
        &self,
        agent: &'a Agent<K, C>,
    ) -> impl Iterator<Item = &'a dyn RunHooks<K, C>>
    where
        'r: 'a,
    {
        let own = agent.agent_hooks().map(|hooks| &**hooks);
        self.runner.into_iter().chain(own)
    }
}

/// Fires a hook for an agent (the runner's, then the agent's own); its error
/// or panic ends the run with [`Error::Hook`].
macro_rules! fire {
    ($hooks:expr, $agent:expr, $hook:ident($($arg:expr),* $(,)?)) => {
        for hooks in $hooks.of($agent) {
            $crate::agent::hooks::guard(stringify!($hook), $agent.name(), hooks.$hook($($arg),*)).await?;
        }
    };
}
pub(crate) use fire;

/// One run: what it was given and what it has produced so far.
pub(crate) struct Run<'r, K: AgentKey, C> {
    gateway: &'r Gateway,
    agents: &'r AgentSet<K, C>,
    prepared: Arc<Prepared>,
    context: &'r C,
    journal: &'r dyn Journal,
    hooks: Hooks<'r, K, C>,
    events: Events<K>,
    trace: RunTrace<'r>,
    max_turns: u32,
    /// The current agent's index in `agents`.
    current: usize,
    /// Whether `on_agent_start` has fired for the current agent.
    agent_started: bool,
    so_far: RunSoFar<K>,
    /// Each history message's JSON, serialized for the first request that sends it.
    history_json: HistoryJson,
    /// The positions of the current agent's handoffs not offered this turn.
    disabled: Vec<usize>,
}

/// The approvals and outputs of an interrupted answer, to finish first.
type Decided<K> = (Vec<ToolApproval<K>>, Outputs);

impl<'r, K: AgentKey, C: Sync> Run<'r, K, C> {
    /// Runs from `start` to its outcome, in its trace's spans.
    pub(crate) async fn drive(
        setup: Setup<'r, K, C>,
        start: Start<K>,
    ) -> Result<RunOutcome<K>, Error> {
        let agents = setup.agents;
        let workflow = match (setup.entry, agents.workflow_name_value()) {
            // A nested run (an agent as a tool) is named after its agent.
            (Some(entry), _) if entry < agents.agents().count() => agents.agent_at(entry).name(),
            (_, Some(name)) => name,
            _ => agents.get(agents.entry()).map_or("run", |a| a.name()),
        };
        let mut trace = RunTrace::start(workflow, setup.trace);
        let outcome = match agents.prepared() {
            Ok(prepared) => {
                let mut run = Run {
                    gateway: setup.gateway,
                    agents,
                    current: setup.entry.unwrap_or(prepared.entry),
                    prepared,
                    context: setup.context,
                    journal: setup.journal,
                    hooks: Hooks {
                        runner: setup.hooks.is_active().then_some(setup.hooks),
                    },
                    events: Events {
                        tx: setup.events,
                        nested_in: setup.nested_in,
                    },
                    trace,
                    max_turns: setup.max_turns,
                    agent_started: false,
                    so_far: RunSoFar::default(),
                    history_json: HistoryJson::default(),
                    disabled: Vec::new(),
                };
                let outcome = run.steps(start).await;
                trace = run.trace;
                outcome
            }
            Err(error) => Err(error),
        };
        trace.finish(&outcome);
        outcome
    }

    /// The current agent.
    fn agent(&self) -> &'r Agent<K, C> {
        self.agents.agent_at(self.current)
    }

    /// The loop: turn after turn until a final output, an interruption or an error.
    async fn steps(&mut self, start: Start<K>) -> Result<RunOutcome<K>, Error> {
        let mut decided = self.begin(start)?;
        loop {
            let (step, resumed) = match decided.take() {
                Some(decided) => (self.resumed_calls(decided)?, true),
                None => {
                    let turn = self.prepare_turn().await?;
                    let response = self.ask_model(turn).await?;
                    (self.classify(response)?, false)
                }
            };
            let mut actions = match step {
                NextStep::FinalOutput(output) => return self.finish(output).await,
                NextStep::Act(actions) => actions,
            };
            if !resumed {
                self.record_tool_calls(&actions);
            }
            let stop_output = match self.run_tools(&mut actions).await? {
                ToolsDone::Interrupted(state) => return Ok(RunOutcome::Interrupted(state)),
                ToolsDone::Ran { stop_output } => stop_output,
            };
            if let Some(handoff) = actions.first_handoff() {
                self.hand_off(&actions, handoff).await?;
            } else if let Some(output) = stop_output {
                // A tool's result that ends the run is the agent's final output.
                return self.finish(output).await;
            }
        }
    }

    /// Sets the run up at its start: the input, or the state it resumes
    /// (whose current agent has already started).
    fn begin(&mut self, start: Start<K>) -> Result<Option<Decided<K>>, Error> {
        let decided = match start {
            Start::Input(input) => {
                self.so_far = RunSoFar::new(input.into_items());
                None
            }
            Start::Resume(state) => {
                let (key, so_far, approvals, outputs) = state.into_parts();
                self.current = self.agents.index_of(&key).ok_or_else(|| {
                    Error::RunState(format!(
                        "its current agent {key:?} is not in the agents it is resumed with; \
                         resume it with the workflow that started the run"
                    ))
                })?;
                self.so_far = so_far;
                self.agent_started = true;
                Some((approvals, outputs))
            }
        };
        self.trace.input(&self.so_far.history);
        let agent = self.agent();
        self.trace.agent(agent.name());
        self.events.emit(|| RunEvent::AgentUpdated {
            agent: agent.key().clone(),
            name: agent.name().to_string(),
        });
        Ok(decided)
    }
}
