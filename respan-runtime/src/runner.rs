//! The run loop, with the Python Agents SDK's semantics: ask the current agent's
//! model; run the tools it calls; follow a handoff; stop at an answer without tool calls.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::{FutureExt as _, future::join_all};
use reqwest::header::HeaderMap;
use tokio::sync::mpsc::UnboundedSender;
use tracing::Instrument as _;

use crate::agent::{AgentKey, AgentSet, ToolUseBehavior};
use crate::approval::{self, Resolved, interrupted_calls};
use crate::error::{Error, gateway_message};
use crate::gateway::Gateway;
use crate::history::HistoryJson;
use crate::items::{FunctionCall, Input, InputItem, ModelResponse, RunItem, ToolCall};
use crate::journal::{Journal, NoJournal};
use crate::result::{RunOutcome, RunResult};
use crate::state::{RunState, ToolApproval};
use crate::stream::{Progress, RunEvent, RunStream};
use crate::tool::Tool;
use crate::trace::{self, RunTrace, TraceContext};
use crate::usage::{Usage, UsageByAgent};
use crate::wire::{ChatRequest, Messages, StreamOptions, content_text};

/// What the model is told when a tool fails or its arguments are not JSON (the SDK's words).
pub const TOOL_ERROR_MESSAGE: &str = "An error occurred while running the tool. Please try again.";
/// What the model is told for the handoffs after the first in one response (the SDK's words).
pub const MULTIPLE_HANDOFFS_MESSAGE: &str = "Multiple handoffs detected, ignoring this one.";

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
#[derive(Clone, Debug, Default)]
pub struct Runner {
    max_turns: Option<u32>,
    trace: Option<Arc<TraceContext>>,
}

impl Runner {
    /// A runner with the agent set's settings.
    pub fn new() -> Self {
        Self::default()
    }

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

    /// Runs `agents` from their entry agent on `input` (a message or a conversation).
    pub async fn run<K: AgentKey>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K>,
        input: impl Into<Input>,
    ) -> Result<RunResult<K>, Error> {
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
    ) -> Result<RunResult<K>, Error> {
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
    ) -> Result<RunOutcome<K>, Error> {
        self.run_resumable_with(gateway, agents, input, &()).await
    }

    /// [`Runner::run_resumable`] with a context (see [`Runner::run_with`]).
    pub async fn run_resumable_with<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        input: impl Into<Input>,
        context: &C,
    ) -> Result<RunOutcome<K>, Error> {
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
    ) -> Result<RunOutcome<K>, Error> {
        self.resume_with(gateway, agents, state, &()).await
    }

    /// [`Runner::resume`] with a context (see [`Runner::run_with`]).
    pub async fn resume_with<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        state: RunState<K>,
        context: &C,
    ) -> Result<RunOutcome<K>, Error> {
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
    ) -> Result<RunOutcome<K>, Error> {
        self.unstreamed(
            gateway,
            agents,
            Start::Input(input.into()),
            context,
            journal,
        )
        .await
    }

    /// [`Runner::resume_with`] through `journal` (see [`Runner::run_journaled`]).
    pub async fn resume_journaled<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        state: RunState<K>,
        context: &C,
        journal: &dyn Journal,
    ) -> Result<RunOutcome<K>, Error> {
        self.unstreamed(gateway, agents, Start::Resume(state), context, journal)
            .await
    }

    /// Runs with streaming: the gateway streams each answer (`"stream": true`) and
    /// the returned stream yields [`RunEvent`]s as they happen, in the Agents SDK's
    /// order, ending with [`RunEvent::Completed`] (or an error).
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
    ) -> RunStream<'a, K> {
        self.run_streamed_with(gateway, agents, input, &())
    }

    /// Runs with streaming and a context (see [`Runner::run_with`]).
    pub fn run_streamed_with<'a, K: AgentKey, C: Sync>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K, C>,
        input: impl Into<Input>,
        context: &'a C,
    ) -> RunStream<'a, K> {
        let max_turns = self.max_turns.unwrap_or(agents.max_turns_value());
        let input = input.into();
        let trace = self.trace.clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        RunStream::new(
            Box::pin(async move {
                let start = Start::Input(input);
                let trace = trace.as_deref();
                let outcome = drive(
                    gateway,
                    agents,
                    start,
                    max_turns,
                    Some(tx),
                    context,
                    &NoJournal,
                    trace,
                );
                // This stream cannot stop for approval: an interruption is an error.
                outcome.await?.into_result().map(RunOutcome::Completed)
            }),
            rx,
        )
    }

    /// [`Runner::run_resumable`] with streaming: the events of
    /// [`Runner::run_streamed`]; a run stopped for approval ends the stream
    /// without [`RunEvent::Completed`], and [`RunStream::take_interruption`]
    /// gives its state ([`RunStream::into_outcome`] gives either).
    pub fn run_streamed_resumable<'a, K: AgentKey>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K>,
        input: impl Into<Input>,
    ) -> RunStream<'a, K> {
        self.streamed(gateway, agents, Start::Input(input.into()), &())
    }

    /// [`Runner::resume`] with streaming (see [`Runner::run_streamed_resumable`]).
    pub fn resume_streamed<'a, K: AgentKey>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K>,
        state: RunState<K>,
    ) -> RunStream<'a, K> {
        self.streamed(gateway, agents, Start::Resume(state), &())
    }

    /// A run that does not stream, from its start, through `journal`.
    async fn unstreamed<K: AgentKey, C: Sync>(
        &self,
        gateway: &Gateway,
        agents: &AgentSet<K, C>,
        start: Start<K>,
        context: &C,
        journal: &dyn Journal,
    ) -> Result<RunOutcome<K>, Error> {
        let max_turns = self.max_turns.unwrap_or(agents.max_turns_value());
        let trace = self.trace.as_deref();
        drive(
            gateway, agents, start, max_turns, None, context, journal, trace,
        )
        .await
    }

    fn streamed<'a, K: AgentKey, C: Sync>(
        &self,
        gateway: &'a Gateway,
        agents: &'a AgentSet<K, C>,
        start: Start<K>,
        context: &'a C,
    ) -> RunStream<'a, K> {
        let max_turns = self.max_turns.unwrap_or(agents.max_turns_value());
        let trace = self.trace.clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        RunStream::new(
            Box::pin(async move {
                let trace = trace.as_deref();
                drive(
                    gateway,
                    agents,
                    start,
                    max_turns,
                    Some(tx),
                    context,
                    &NoJournal,
                    trace,
                )
                .await
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

fn emit<K>(events: &Option<UnboundedSender<Progress<K>>>, event: impl FnOnce() -> Progress<K>) {
    if let Some(tx) = events {
        // The receiver may be gone (the caller dropped the stream); the run still completes.
        let _ = tx.send(event());
    }
}

fn push_item<K: Clone>(
    items: &mut Vec<RunItem<K>>,
    events: &Option<UnboundedSender<Progress<K>>>,
    item: RunItem<K>,
) {
    emit(events, || RunEvent::Item(item.clone()));
    items.push(item);
}

/// Where a run starts: its input, or a state stopped for approval.
enum Start<K> {
    Input(Input),
    Resume(RunState<K>),
}

/// A run, in its trace's spans.
// The run's inputs, passed through unchanged to its turns.
#[allow(clippy::too_many_arguments)]
async fn drive<K: AgentKey, C: Sync>(
    gateway: &Gateway,
    agents: &AgentSet<K, C>,
    start: Start<K>,
    max_turns: u32,
    events: Option<UnboundedSender<Progress<K>>>,
    context: &C,
    journal: &dyn Journal,
    trace_context: Option<&TraceContext>,
) -> Result<RunOutcome<K>, Error> {
    let workflow = match agents.workflow_name_value() {
        Some(name) => name,
        None => agents.get(agents.entry()).map_or("run", |a| a.name()),
    };
    let mut trace = RunTrace::start(workflow, trace_context);
    let outcome = turns(
        gateway, agents, start, max_turns, events, context, journal, &mut trace,
    )
    .await;
    trace.finish(&outcome);
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn turns<K: AgentKey, C: Sync>(
    gateway: &Gateway,
    agents: &AgentSet<K, C>,
    start: Start<K>,
    max_turns: u32,
    events: Option<UnboundedSender<Progress<K>>>,
    context: &C,
    journal: &dyn Journal,
    trace: &mut RunTrace<'_>,
) -> Result<RunOutcome<K>, Error> {
    let prepared = agents.prepared()?;
    // `decided`: the approvals and outputs of an interrupted answer, to finish first.
    let (mut current, mut run, mut decided) = match start {
        Start::Input(input) => (prepared.entry, RunSoFar::new(input.into_items()), None),
        Start::Resume(state) => {
            let (key, run, approvals, outputs) = state.into_parts();
            let current = agents.index_of(&key).ok_or_else(|| {
                Error::RunState(format!(
                    "its current agent {key:?} is not in the agents it is resumed with; \
                     resume it with the workflow that started the run"
                ))
            })?;
            (current, run, Some((approvals, outputs)))
        }
    };
    trace.input(&run.history);
    trace.agent(agents.agent_at(current).name());
    // Each history message's JSON, serialized for the first request that sends it.
    let mut history_json = HistoryJson::default();
    emit(&events, || RunEvent::AgentUpdated {
        agent: agents.agent_at(current).key().clone(),
        name: agents.agent_at(current).name().to_string(),
    });

    loop {
        let agent = agents.agent_at(current);
        let parts = &prepared.agents[current];
        let resumed = decided.is_some();
        let (calls, (approvals, outputs)) = match decided.take() {
            Some(decided) => (interrupted_calls(&run.history)?, decided),
            None => {
                if run.turns >= max_turns {
                    return Err(Error::MaxTurnsExceeded { max_turns });
                }
                let body = ChatRequest {
                    model: parts.model.as_deref().unwrap_or(gateway.default_model()),
                    messages: Messages {
                        system: parts.system.as_deref(),
                        history: history_json.of(&run.history),
                    },
                    stream: events.is_some(),
                    // An agent's own `extra_body.stream_options` is sent instead (it is in `fixed`).
                    stream_options: (events.is_some()
                        && gateway.stream_usage()
                        && !parts.fixed.contains_key("stream_options"))
                    .then_some(StreamOptions {
                        include_usage: true,
                    }),
                    fixed: &parts.fixed_json,
                };
                let headers = &parts.headers;
                let generation = trace.generation(agent.name(), &body, &parts.fixed);
                let request = async {
                    match &events {
                        None => complete(gateway, &body, headers).await,
                        Some(tx) => {
                            complete_streamed(gateway, &body, headers, agent.key(), tx).await
                        }
                    }
                    .map_err(|error| gateway.redact(error))
                }
                .instrument(generation.clone());
                let response = journal.model_request(agent.name(), Box::pin(request)).await;
                trace.generation_done(generation, &response);
                let response = response?;
                run.turns += 1;
                run.usage.add(&response.usage);
                run.usage_by_agent.add(agent.key(), &response.usage);
                let (content, calls) = match &response.message {
                    InputItem::Assistant {
                        content,
                        tool_calls,
                    } => (content.clone(), tool_calls.clone()),
                    _ => (None, Vec::new()),
                };
                run.history.push(response.message.clone());
                run.raw_responses.push(response);

                if let Some(text) = content
                    .as_ref()
                    .filter(|t| !t.is_empty() || calls.is_empty())
                {
                    push_item(
                        &mut run.new_items,
                        &events,
                        RunItem::Message {
                            agent: agent.key().clone(),
                            content: text.clone(),
                        },
                    );
                }
                if calls.is_empty() {
                    let final_output = content.unwrap_or_default();
                    return finished(agent, final_output, run).map(RunOutcome::Completed);
                }
                (calls, (Vec::new(), Vec::new()))
            }
        };

        // Every call must name a tool or handoff of this agent, before anything runs.
        let mut tool_calls = Vec::new();
        let mut handoff_calls = Vec::new();
        for call in &calls {
            if let Some(&target) = parts.handoffs.get(&call.function.name) {
                handoff_calls.push((call, target));
            } else if let Some(&tool) = parts.tools.get(&call.function.name) {
                tool_calls.push((call, tool));
            } else if resumed {
                return Err(Error::RunState(format!(
                    "its answer calls {:?}, which is not a tool of agent {} in the agents it is \
                     resumed with; resume it with the workflow that started the run",
                    call.function.name,
                    agent.name()
                )));
            } else {
                return Err(Error::ModelBehavior(format!(
                    "Tool {} not found in agent {}",
                    call.function.name,
                    agent.name()
                )));
            }
        }

        if !resumed {
            for (call, _) in &tool_calls {
                push_item(
                    &mut run.new_items,
                    &events,
                    RunItem::ToolCall {
                        agent: agent.key().clone(),
                        call: (*call).clone(),
                    },
                );
            }
        }
        // Tools run unless they wait for approval; then the run stops here.
        let resolved = resolve_tools(
            agent,
            &tool_calls,
            approvals,
            outputs,
            context,
            journal,
            trace,
        );
        let outputs = match resolved.await {
            Resolved::Done(outputs) => outputs,
            Resolved::Waiting { approvals, outputs } => {
                let key = agent.key().clone();
                return Ok(RunOutcome::Interrupted(RunState::new(
                    key, run, approvals, outputs,
                )));
            }
        };
        // What `tool_use_behavior` makes final (a handoff in the same answer wins).
        let stop_output = match agent.tool_use() {
            ToolUseBehavior::RunLlmAgain => None,
            ToolUseBehavior::StopOnFirstTool => outputs.first().cloned(),
            ToolUseBehavior::StopAtTools(names) => tool_calls
                .iter()
                .zip(&outputs)
                .find(|((call, _), _)| names.contains(&call.function.name))
                .map(|(_, output)| output.clone()),
        };
        for ((call, _), output) in tool_calls.iter().zip(outputs) {
            run.history.push(InputItem::Tool {
                tool_call_id: call.id.clone(),
                content: output.clone(),
            });
            push_item(
                &mut run.new_items,
                &events,
                RunItem::ToolOutput {
                    agent: agent.key().clone(),
                    call_id: call.id.clone(),
                    output,
                },
            );
        }

        if let Some(((first, target), ignored)) = handoff_calls.split_first() {
            // As the SDK: the first handoff wins; the others are answered first, with an error.
            for (call, _) in ignored {
                run.history.push(InputItem::Tool {
                    tool_call_id: call.id.clone(),
                    content: MULTIPLE_HANDOFFS_MESSAGE.to_string(),
                });
                push_item(
                    &mut run.new_items,
                    &events,
                    RunItem::ToolOutput {
                        agent: agent.key().clone(),
                        call_id: call.id.clone(),
                        output: MULTIPLE_HANDOFFS_MESSAGE.to_string(),
                    },
                );
            }
            push_item(
                &mut run.new_items,
                &events,
                RunItem::HandoffCall {
                    agent: agent.key().clone(),
                    call: (*first).clone(),
                },
            );
            let output = prepared.agents[*target].handoff_output.clone();
            run.history.push(InputItem::Tool {
                tool_call_id: first.id.clone(),
                content: output.clone(),
            });
            let next = agents.agent_at(*target);
            tracing::debug!(from = agent.name(), to = next.name(), "handoff");
            trace.handoff(agent.name(), next.name());
            push_item(
                &mut run.new_items,
                &events,
                RunItem::HandoffOutput {
                    source: agent.key().clone(),
                    target: next.key().clone(),
                    call_id: first.id.clone(),
                    output,
                },
            );
            current = *target;
            trace.agent(next.name());
            emit(&events, || RunEvent::AgentUpdated {
                agent: next.key().clone(),
                name: next.name().to_string(),
            });
        } else if let Some(final_output) = stop_output {
            // A tool's result that ends the run is the agent's final output: with a
            // structured output it must be a value of its schema too.
            return finished(agent, final_output, run).map(RunOutcome::Completed);
        }
    }
}

/// What a run has produced so far.
#[derive(Debug)]
pub(crate) struct RunSoFar<K> {
    /// Model requests made.
    pub(crate) turns: u32,
    /// The input followed by every message of the run.
    pub(crate) history: Vec<InputItem>,
    pub(crate) new_items: Vec<RunItem<K>>,
    pub(crate) raw_responses: Vec<ModelResponse>,
    pub(crate) usage: Usage,
    pub(crate) usage_by_agent: UsageByAgent<K>,
}

impl<K> RunSoFar<K> {
    fn new(history: Vec<InputItem>) -> Self {
        Self {
            turns: 0,
            history,
            new_items: Vec::new(),
            raw_responses: Vec::new(),
            usage: Usage::default(),
            usage_by_agent: UsageByAgent::default(),
        }
    }
}

/// The result of a run `agent` ends with `final_output` (its answer, or a tool's
/// result that stops the run): with a structured output, it must be a value of it.
fn finished<K: AgentKey, C>(
    agent: &crate::agent::Agent<K, C>,
    final_output: String,
    progress: RunSoFar<K>,
) -> Result<RunResult<K>, Error> {
    let output_value = match agent.output_type() {
        Some(output) => {
            Some(
                output
                    .recover(&final_output)
                    .map_err(|source| Error::InvalidOutput {
                        agent: agent.name().to_string(),
                        source,
                    })?,
            )
        }
        None => None,
    };
    Ok(RunResult {
        final_output,
        output_value,
        last_agent: agent.key().clone(),
        last_agent_name: agent.name().to_string(),
        new_items: progress.new_items,
        raw_responses: progress.raw_responses,
        usage: progress.usage,
        usage_by_agent: progress.usage_by_agent,
        history: progress.history,
    })
}

/// Runs the calls of an answer that may run now (approved, or needing no
/// approval), concurrently; results keep call order.
async fn resolve_tools<K: AgentKey, C: Sync>(
    agent: &crate::agent::Agent<K, C>,
    calls: &approval::ToolCalls<'_>,
    mut approvals: Vec<ToolApproval<K>>,
    mut outputs: approval::Outputs,
    context: &C,
    journal: &dyn Journal,
    trace: &RunTrace<'_>,
) -> Resolved<K> {
    let run_now = approval::plan(agent, calls, &mut approvals, &mut outputs, context);
    let spans: Vec<_> = run_now
        .iter()
        .map(|&position| trace.tool(&calls[position].0.function, &calls[position].0.id))
        .collect();
    let results = join_all(run_now.iter().zip(&spans).map(|(&position, span)| {
        let (call, tool) = calls[position];
        let run = run_tool(agent.tools()[tool].as_ref(), &call.function, context)
            .instrument(span.clone());
        journal.tool_call(call, Box::pin(run))
    }))
    .await;
    for ((position, output), span) in run_now.into_iter().zip(results).zip(spans) {
        trace.tool_done(&span, &output);
        outputs.push((calls[position].0.id.clone(), output));
    }
    approval::resolve(calls, approvals, outputs)
}

/// Runs one tool; failures become the message the model sees, never a run error.
async fn run_tool<C>(tool: &dyn Tool<C>, call: &FunctionCall, context: &C) -> String {
    // An empty argument string means "no arguments", as in the SDK.
    let arguments = if call.arguments.trim().is_empty() {
        "{}"
    } else {
        call.arguments.as_str()
    };
    if serde_json::from_str::<serde::de::IgnoredAny>(arguments).is_err() {
        tracing::warn!(tool = tool.name(), "the model sent invalid JSON arguments");
        trace::tool_outcome("invalid_arguments");
        return TOOL_ERROR_MESSAGE.to_string();
    }
    let timeout = tool.timeout();
    let call = AssertUnwindSafe(async { tool.call(context, arguments).await }).catch_unwind();
    match tokio::time::timeout(timeout, call).await {
        Err(_elapsed) => {
            tracing::warn!(tool = tool.name(), ?timeout, "tool timed out");
            trace::tool_outcome("timeout");
            format!(
                "{TOOL_ERROR_MESSAGE} Error: the tool did not finish within {} s",
                timeout.as_secs_f64()
            )
        }
        Ok(Ok(Ok(output))) => {
            trace::tool_outcome("ok");
            output
        }
        Ok(Ok(Err(error))) => {
            tracing::warn!(tool = tool.name(), %error, "tool failed");
            trace::tool_outcome("error");
            format!("{TOOL_ERROR_MESSAGE} Error: {error}")
        }
        Ok(Err(_panic)) => {
            tracing::error!(tool = tool.name(), "tool panicked");
            trace::tool_outcome("panic");
            format!("{TOOL_ERROR_MESSAGE} Error: the tool panicked")
        }
    }
}

async fn complete(
    gateway: &Gateway,
    body: &ChatRequest<'_>,
    headers: &HeaderMap,
) -> Result<ModelResponse, Error> {
    let completion = gateway.complete(body, headers).await?;
    let usage = completion.usage.unwrap_or_default().to_usage();
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(Error::MalformedResponse(
            "the response has no choices".to_string(),
        ));
    };
    let tool_calls = choice.message.tool_calls.unwrap_or_default();
    let content = content_text(choice.message.content.as_ref()).or(choice.message.refusal);
    Ok(ModelResponse {
        id: completion.id,
        model: completion.model,
        message: InputItem::Assistant {
            content,
            tool_calls,
        },
        finish_reason: choice.finish_reason,
        usage: Usage {
            requests: 1,
            ..usage
        },
    })
}

/// Reads a streamed answer into the same response a non-streamed request
/// gives, forwarding text and tool-call deltas as they arrive.
async fn complete_streamed<K: AgentKey>(
    gateway: &Gateway,
    body: &ChatRequest<'_>,
    headers: &HeaderMap,
    agent: &K,
    events: &UnboundedSender<Progress<K>>,
) -> Result<ModelResponse, Error> {
    /// More parallel calls than this in one response is not a model, it is garbage.
    const MAX_CALLS: usize = 128;
    let mut stream = gateway.complete_stream(body, headers).await?;
    let mut id = None;
    let mut model = None;
    let mut content: Option<String> = None;
    let mut calls: Vec<ToolCall> = Vec::new();
    let mut finish_reason = None;
    let mut usage = Usage::default();
    // The gateway's timeout bounds each gap between events (a stall is an error).
    while let Some(chunk) = stream.next().await? {
        if let Some(error) = &chunk.error {
            return Err(Error::MalformedResponse(format!(
                "the gateway sent an error in the stream: {}",
                gateway_message(serde_json::json!({"error": error}).to_string().as_bytes())
            )));
        }
        id = id.or(chunk.id);
        model = model.or(chunk.model);
        // With `include_usage`, the last chunk has no choices and the usage.
        if let Some(u) = chunk.usage {
            usage = u.to_usage();
        }
        let Some(choice) = chunk.choices.into_iter().next() else {
            continue;
        };
        if let Some(delta) = choice.delta.content
            && !delta.is_empty()
        {
            let _ = events.send(RunEvent::TextDelta {
                agent: agent.clone(),
                delta: delta.clone(),
            });
            content.get_or_insert_with(String::new).push_str(&delta);
        }
        for part in choice.delta.tool_calls.unwrap_or_default() {
            if part.index >= MAX_CALLS {
                return Err(Error::MalformedResponse(format!(
                    "tool call index {} in the stream",
                    part.index
                )));
            }
            while calls.len() <= part.index {
                calls.push(ToolCall {
                    id: String::new(),
                    kind: "function".to_string(),
                    function: FunctionCall {
                        name: String::new(),
                        arguments: String::new(),
                    },
                });
            }
            let call = &mut calls[part.index];
            if let Some(id) = part.id {
                call.id = id;
            }
            let mut arguments_delta = String::new();
            if let Some(function) = part.function {
                if let Some(name) = function.name {
                    call.function.name.push_str(&name);
                }
                if let Some(arguments) = function.arguments {
                    call.function.arguments.push_str(&arguments);
                    arguments_delta = arguments;
                }
            }
            let _ = events.send(RunEvent::ToolCallDelta {
                agent: agent.clone(),
                index: part.index,
                call_id: call.id.clone(),
                name: call.function.name.clone(),
                arguments_delta,
            });
        }
        if choice.finish_reason.is_some() {
            finish_reason = choice.finish_reason;
        }
    }
    if finish_reason.is_none() {
        // Ended by `[DONE]` the stream is complete, just not an answer; ended by
        // the connection closing, it was cut.
        if stream.saw_done() {
            return Err(Error::MalformedResponse(format!(
                "the event stream ended with [DONE] after {} event(s) without a finish_reason \
                 (no chunk said how the answer ended)",
                stream.received()
            )));
        }
        return Err(Error::StreamTruncated {
            events: stream.received(),
            cause: None,
        });
    }
    if !stream.saw_done() {
        // Complete, but the server closed the stream without `[DONE]`: a usage
        // chunk, if one was coming, may be missing.
        tracing::warn!(
            events = stream.received(),
            "the gateway closed the event stream without [DONE]"
        );
    }
    Ok(ModelResponse {
        id,
        model,
        message: InputItem::Assistant {
            content,
            tool_calls: calls,
        },
        finish_reason,
        usage: Usage {
            requests: 1,
            ..usage
        },
    })
}
