//! Agents and the set of agents a run can move between.

mod compose;
pub mod hooks;
mod instructions;

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::output::OutputType;
use crate::respan::{GatewayPrompt, RESPAN_PARAMS_HEADER, RespanParams, encode_header, place};
use crate::settings::ModelSettings;
use crate::text::error_chain;
use crate::tool::{Tool, definition};
use crate::wire::FixedFields;
pub use compose::{AgentTool, Handoff, InputFilter};
use hooks::RunHooks;
pub(crate) use instructions::{InstructionsFn, compute as compute_instructions};

/// What identifies an agent in a set: a `String` for hand-written code, the
/// generated `Agent` enum for compiled workflows.
pub trait AgentKey: Clone + Eq + Hash + Debug + Send + Sync + 'static {}
impl<T: Clone + Eq + Hash + Debug + Send + Sync + 'static> AgentKey for T {}

/// One agent: instructions, handoffs, tools, model and gateway settings.
///
/// Built by value; nothing here can fail (a template error is kept and returned
/// by the run as [`Error::Template`]).
///
/// ```
/// use respan_runtime::Agent;
/// let technical = Agent::named("Technical Agent")
///     .instructions("Handle technical support questions.")
///     .handoff_description("Technical support and API problems")
///     .model("claude-sonnet-4-5-20250929");
/// assert_eq!(technical.name(), "Technical Agent");
/// ```
///
/// `C` is the run's context type (default `()`), which tools may read.
pub struct Agent<K: AgentKey = String, C = ()> {
    key: K,
    name: String,
    instructions: Result<Option<String>, String>,
    /// Computed per turn instead of `instructions` when set.
    dynamic_instructions: Option<InstructionsFn<K, C>>,
    hooks: Option<Arc<dyn RunHooks<K, C>>>,
    /// Why the agent cannot run, found while it was built (reported by the run).
    unusable: Option<String>,
    handoff_description: Option<String>,
    handoffs: Vec<K>,
    tools: Vec<Arc<dyn Tool<C>>>,
    tool_use_behavior: ToolUseBehavior,
    output: Option<OutputType>,
    model: Option<String>,
    model_settings: ModelSettings,
    respan: Option<RespanParams>,
    prompt: Option<GatewayPrompt>,
}

impl<K: AgentKey, C> Clone for Agent<K, C> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            name: self.name.clone(),
            instructions: self.instructions.clone(),
            dynamic_instructions: self.dynamic_instructions.clone(),
            hooks: self.hooks.clone(),
            unusable: self.unusable.clone(),
            handoff_description: self.handoff_description.clone(),
            handoffs: self.handoffs.clone(),
            tools: self.tools.clone(),
            tool_use_behavior: self.tool_use_behavior.clone(),
            output: self.output.clone(),
            model: self.model.clone(),
            model_settings: self.model_settings.clone(),
            respan: self.respan.clone(),
            prompt: self.prompt.clone(),
        }
    }
}

/// What happens after the agent's function tools ran (the Agents SDK's
/// `tool_use_behavior`). A handoff in the same answer wins over either stop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ToolUseBehavior {
    /// The tools' results go back to the model, which answers (the default).
    #[default]
    RunLlmAgain,
    /// The first tool's result is the final output; the model is not asked again.
    StopOnFirstTool,
    /// When one of these tools is called, its result is the final output.
    StopAtTools(Vec<String>),
}

impl Agent<String> {
    /// An agent whose key is its name (for hand-written code with string keys).
    pub fn named(name: impl Into<String>) -> Self {
        let name = name.into();
        Self::new(name.clone(), name)
    }
}

impl<K: AgentKey> Agent<K> {
    /// An agent with a key (how handoffs refer to it) and a display name (what the
    /// model sees, e.g. in `transfer_to_<name>`). Its runs have no context; see
    /// [`Agent::context`] for tools that read one.
    pub fn new(key: K, name: impl Into<String>) -> Self {
        Self {
            key,
            name: name.into(),
            instructions: Ok(None),
            dynamic_instructions: None,
            hooks: None,
            unusable: None,
            handoff_description: None,
            handoffs: Vec::new(),
            tools: Vec::new(),
            tool_use_behavior: ToolUseBehavior::default(),
            output: None,
            model: None,
            model_settings: ModelSettings::default(),
            respan: None,
            prompt: None,
        }
    }

    /// The same agent for runs whose context is `C` (what tools that take
    /// `&C` need; see [`Runner::run_with`](crate::Runner::run_with)). The tools it
    /// already has do not read a context, so they keep working.
    ///
    /// ```
    /// use respan_runtime::Agent;
    /// struct Shop;
    /// let clerk: Agent<String, Shop> = Agent::named("Clerk").context::<Shop>();
    /// # let _ = clerk;
    /// ```
    ///
    /// An [`instructions_fn`](Agent::instructions_fn) set before keeps
    /// receiving `&()` and the agent as it was here. [`Agent::hooks`] must be
    /// set after this call (they are typed by the context): hooks set before
    /// make the run fail with [`Error::AgentSet`] saying so.
    pub fn context<C: 'static>(self) -> Agent<K, C> {
        let dynamic_instructions = self
            .dynamic_instructions
            .clone()
            .map(|f| instructions::contextless(f, self.clone()));
        let unusable = self.unusable.or_else(|| {
            self.hooks.is_some().then(|| {
                format!(
                    "agent {:?} was given hooks before .context::<C>(); call .context() \
                     first, then .hooks(..) with hooks for that context",
                    self.name
                )
            })
        });
        Agent {
            key: self.key,
            name: self.name,
            instructions: self.instructions,
            dynamic_instructions,
            hooks: None,
            unusable,
            handoff_description: self.handoff_description,
            handoffs: self.handoffs,
            tools: self
                .tools
                .into_iter()
                .map(|tool| Arc::new(crate::tool::Contextless::new(tool)) as Arc<dyn Tool<C>>)
                .collect(),
            tool_use_behavior: self.tool_use_behavior,
            output: self.output,
            model: self.model,
            model_settings: self.model_settings,
            respan: self.respan,
            prompt: self.prompt,
        }
    }
}

impl<K: AgentKey, C> Agent<K, C> {
    /// Static instructions (the system message).
    pub fn instructions(mut self, text: impl Into<String>) -> Self {
        self.instructions = Ok(Some(text.into()));
        self.dynamic_instructions = None;
        self
    }

    /// Instructions computed before each model request of this agent, from the
    /// run's context and the agent (the Agents SDK's callable `instructions`).
    /// Replaces static instructions. A function that panics stops the run with
    /// [`Error::Instructions`].
    ///
    /// ```
    /// use respan_runtime::Agent;
    ///
    /// struct Shop { name: String }
    /// fn clerk(shop: &Shop, agent: &Agent<String, Shop>) -> String {
    ///     format!("You are {}, the clerk of {}.", agent.name(), shop.name)
    /// }
    /// let agent = Agent::named("Clerk").context::<Shop>().instructions_fn(clerk);
    /// assert!(agent.has_dynamic_instructions());
    /// ```
    pub fn instructions_fn<F>(mut self, f: F) -> Self
    where
        C: 'static,
        F: Fn(&C, &Agent<K, C>) -> String + Send + Sync + 'static,
    {
        self.instructions = Ok(None);
        self.dynamic_instructions = Some(instructions::from_sync(f));
        self
    }

    /// [`Agent::instructions_fn`] with an async function (e.g. one that reads
    /// the instructions from a store):
    ///
    /// ```
    /// use respan_runtime::Agent;
    /// let agent: Agent = Agent::named("Assistant").instructions_async(|_ctx, agent| {
    ///     Box::pin(async move { format!("You are {}.", agent.name()) })
    /// });
    /// assert!(agent.has_dynamic_instructions());
    /// ```
    pub fn instructions_async<F>(mut self, f: F) -> Self
    where
        F: for<'a> Fn(&'a C, &'a Agent<K, C>) -> crate::retry::BoxFuture<'a, String>
            + Send
            + Sync
            + 'static,
    {
        self.instructions = Ok(None);
        self.dynamic_instructions = Some(instructions::boxed(f));
        self
    }

    /// Hooks that fire for this agent only, after the runner's (the SDK's
    /// `AgentHooks`; see [`RunHooks`] for the order): `on_agent_start` when it
    /// starts, `on_handoff` when a run hands off to it, and so on.
    pub fn hooks(mut self, hooks: impl RunHooks<K, C> + 'static) -> Self
    where
        C: Sync,
    {
        self.hooks = Some(Arc::new(hooks));
        self
    }

    /// Instructions from a [tera](https://keats.github.io/tera/) template, rendered
    /// once, here, with `vars` (any `Serialize` struct or map).
    ///
    /// ```
    /// use respan_runtime::Agent;
    /// let agent = Agent::named("Technical Agent").instructions_template(
    ///     "Handle technical support questions for {{ product }}.",
    ///     &serde_json::json!({"product": "Respan"}),
    /// );
    /// assert_eq!(
    ///     agent.instructions_text(),
    ///     Some("Handle technical support questions for Respan.")
    /// );
    /// ```
    pub fn instructions_template(
        mut self,
        source: impl Into<String>,
        vars: &impl serde::Serialize,
    ) -> Self {
        let source = source.into();
        self.instructions = tera::Context::from_serialize(vars)
            .and_then(|ctx| tera::Tera::one_off(&source, &ctx, false))
            .map(Some)
            .map_err(|e| error_chain(&e));
        self
    }

    /// How other agents' models see this agent when offered a handoff to it.
    pub fn handoff_description(mut self, text: impl Into<String>) -> Self {
        self.handoff_description = Some(text.into());
        self
    }

    /// Adds a handoff target (by key; it must be in the same [`AgentSet`]),
    /// or a [`Handoff`] with options (STUB: the options are not used yet).
    pub fn handoff(mut self, target: impl Into<Handoff<K, C>>) -> Self {
        self.handoffs.push(target.into().target);
        self
    }

    /// Adds an agent of the same set as a function tool (STUB: not offered yet).
    pub fn agent_tool(self, tool: AgentTool<K>) -> Self {
        let _ = tool;
        self
    }

    /// Adds several handoff targets, in order.
    pub fn handoffs(mut self, targets: impl IntoIterator<Item = K>) -> Self {
        self.handoffs.extend(targets);
        self
    }

    /// Adds a function tool: a [`FunctionTool`](crate::FunctionTool), or
    /// `lookup_invoice::tool()` for a `#[respan_tool] fn lookup_invoice`.
    pub fn tool(mut self, tool: impl Tool<C> + 'static) -> Self {
        self.tools.push(Arc::new(tool));
        self
    }

    /// Adds a shared function tool.
    pub fn tool_arc(mut self, tool: Arc<dyn Tool<C>>) -> Self {
        self.tools.push(tool);
        self
    }

    /// What happens after the agent's tools ran (default: the model is asked again).
    ///
    /// ```
    /// use respan_runtime::{Agent, ToolUseBehavior};
    /// let agent: Agent = Agent::named("Lookup").tool_use_behavior(ToolUseBehavior::StopOnFirstTool);
    /// assert_eq!(agent.tool_use(), &ToolUseBehavior::StopOnFirstTool);
    /// ```
    pub fn tool_use_behavior(mut self, behavior: ToolUseBehavior) -> Self {
        self.tool_use_behavior = behavior;
        self
    }

    /// Structured output of a Rust type: the strict JSON Schema of `T` is sent as
    /// the response format, and a run this agent ends checks that its answer is a
    /// `T` ([`RunResult::output`](crate::RunResult::output) gives it).
    ///
    /// ```
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Invoice { id: String, amount_cents: u64 }
    ///
    /// let agent: respan_runtime::Agent = respan_runtime::Agent::named("Billing Agent").output::<Invoice>();
    /// assert!(agent.output_type().is_some());
    /// ```
    pub fn output<T: schemars::JsonSchema + serde::de::DeserializeOwned>(mut self) -> Self {
        self.output = Some(OutputType::of::<T>());
        self
    }

    /// Structured output given as an [`OutputType`] (e.g. a bare JSON Schema).
    pub fn output_type_value(mut self, output: OutputType) -> Self {
        self.output = Some(output);
        self
    }

    /// The model (default: the gateway's default model).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Model settings.
    pub fn model_settings(mut self, settings: ModelSettings) -> Self {
        self.model_settings = settings;
        self
    }

    /// Respan gateway parameters.
    pub fn respan(mut self, params: RespanParams) -> Self {
        self.respan = Some(params);
        self
    }

    /// A prompt managed on the gateway.
    pub fn prompt(mut self, prompt: GatewayPrompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// The key.
    pub fn key(&self) -> &K {
        &self.key
    }
    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The rendered instructions (`None` if unset or the template failed).
    pub fn instructions_text(&self) -> Option<&str> {
        self.instructions.as_ref().ok().and_then(|i| i.as_deref())
    }
    /// Whether the instructions are computed per turn ([`Agent::instructions_fn`]).
    pub fn has_dynamic_instructions(&self) -> bool {
        self.dynamic_instructions.is_some()
    }
    pub(crate) fn dynamic_instructions(&self) -> Option<&InstructionsFn<K, C>> {
        self.dynamic_instructions.as_ref()
    }
    /// The agent's own hooks ([`Agent::hooks`]).
    pub fn agent_hooks(&self) -> Option<&Arc<dyn RunHooks<K, C>>> {
        self.hooks.as_ref()
    }
    /// The handoff description.
    pub fn handoff_description_text(&self) -> Option<&str> {
        self.handoff_description.as_deref()
    }
    /// The handoff targets.
    pub fn handoff_targets(&self) -> &[K] {
        &self.handoffs
    }
    /// The function tools.
    pub fn tools(&self) -> &[Arc<dyn Tool<C>>] {
        &self.tools
    }
    /// What happens after the agent's tools ran.
    pub fn tool_use(&self) -> &ToolUseBehavior {
        &self.tool_use_behavior
    }
    /// The structured output, if the agent has one.
    pub fn output_type(&self) -> Option<&OutputType> {
        self.output.as_ref()
    }
    /// The model, if set.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_deref()
    }
    /// The model settings.
    pub fn settings(&self) -> &ModelSettings {
        &self.model_settings
    }
    /// The Respan parameters.
    pub fn respan_params(&self) -> Option<&RespanParams> {
        self.respan.as_ref()
    }
    /// The gateway prompt.
    pub fn gateway_prompt(&self) -> Option<&GatewayPrompt> {
        self.prompt.as_ref()
    }
    /// The name of the tool that hands off to this agent.
    pub fn handoff_tool_name(&self) -> String {
        handoff_tool_name(&self.name)
    }
}

impl<K: AgentKey, C> Debug for Agent<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("key", &self.key)
            .field("name", &self.name)
            .field("instructions", &self.instructions)
            .field("dynamic_instructions", &self.dynamic_instructions.is_some())
            .field("hooks", &self.hooks.is_some())
            .field("handoff_description", &self.handoff_description)
            .field("handoffs", &self.handoffs)
            .field(
                "tools",
                &self.tools.iter().map(|t| t.name()).collect::<Vec<_>>(),
            )
            .field("tool_use_behavior", &self.tool_use_behavior)
            .field("output", &self.output)
            .field("model", &self.model)
            .field("model_settings", &self.model_settings)
            .field("respan", &self.respan)
            .field("prompt", &self.prompt)
            .finish()
    }
}

/// The SDK's handoff tool name: `transfer_to_` + the name with every character
/// outside `[A-Za-z0-9_]` replaced by `_`, lower-cased.
pub fn handoff_tool_name(agent_name: &str) -> String {
    let snake: String = agent_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("transfer_to_{snake}")
}

/// The SDK's handoff tool description (the trailing space is the SDK's too).
pub fn handoff_tool_description(agent_name: &str, handoff_description: Option<&str>) -> String {
    format!(
        "Handoff to the {agent_name} agent to handle the request. {}",
        handoff_description.unwrap_or("")
    )
}

/// The agents of a workflow, keyed; handoffs refer to keys (cycles are fine).
///
/// Request parts that do not change between requests (tool definitions, settings,
/// placed Respan parameters, headers) are built once, on the first run.
///
/// ```
/// use respan_runtime::{Agent, AgentSet};
/// let agents = AgentSet::new("triage".to_string())
///     .agent(Agent::new("triage".to_string(), "Triage Agent").handoff("billing".to_string()))
///     .agent(Agent::new("billing".to_string(), "Billing Agent"))
///     .max_turns(5);
/// assert_eq!(agents.get(&"billing".to_string()).map(|a| a.name()), Some("Billing Agent"));
/// ```
pub struct AgentSet<K: AgentKey = String, C = ()> {
    entry: K,
    agents: Vec<Agent<K, C>>,
    max_turns: u32,
    workflow_name: Option<String>,
    prepared: OnceLock<Result<Arc<Prepared>, PrepareError>>,
}

impl<K: AgentKey, C> Clone for AgentSet<K, C> {
    fn clone(&self) -> Self {
        Self {
            entry: self.entry.clone(),
            agents: self.agents.clone(),
            max_turns: self.max_turns,
            workflow_name: self.workflow_name.clone(),
            prepared: self.prepared.clone(),
        }
    }
}

impl<K: AgentKey, C> Debug for AgentSet<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSet")
            .field("entry", &self.entry)
            .field("agents", &self.agents)
            .field("max_turns", &self.max_turns)
            .field("workflow_name", &self.workflow_name)
            .finish()
    }
}

/// The default bound on model requests per run.
pub const DEFAULT_MAX_TURNS: u32 = 10;

impl<K: AgentKey> AgentSet<K> {
    /// An empty set whose runs start at `entry`, without a context (see
    /// [`AgentSet::context`]).
    pub fn new(entry: K) -> Self {
        Self {
            entry,
            agents: Vec::new(),
            max_turns: DEFAULT_MAX_TURNS,
            workflow_name: None,
            prepared: OnceLock::new(),
        }
    }

    /// The same set for runs whose context is `C`, so that agents whose tools
    /// take `&C` can join it ([`Agent::context`] converts each agent).
    ///
    /// ```
    /// use respan_runtime::{Agent, AgentSet};
    /// struct Shop;
    /// let agents: AgentSet<String, Shop> = AgentSet::new("Clerk".to_string())
    ///     .context::<Shop>()
    ///     .agent(Agent::named("Clerk").context::<Shop>());
    /// # let _ = agents;
    /// ```
    pub fn context<C: 'static>(self) -> AgentSet<K, C> {
        AgentSet {
            entry: self.entry,
            agents: self.agents.into_iter().map(Agent::context).collect(),
            max_turns: self.max_turns,
            workflow_name: self.workflow_name,
            prepared: OnceLock::new(),
        }
    }
}

impl<K: AgentKey, C> AgentSet<K, C> {
    /// Adds an agent (replacing one with the same key).
    pub fn agent(mut self, agent: Agent<K, C>) -> Self {
        self.insert(agent);
        self
    }

    /// Adds an agent in place (replacing one with the same key), e.g. through a
    /// generated workflow's `agents_mut()`.
    pub fn insert(&mut self, agent: Agent<K, C>) {
        match self.agents.iter_mut().find(|a| a.key == agent.key) {
            Some(existing) => *existing = agent,
            None => self.agents.push(agent),
        }
        // Tool definitions and instructions are rebuilt at the next run.
        self.prepared = OnceLock::new();
    }

    /// Changes the agent with this key in place; `false` when there is none.
    ///
    /// ```
    /// use respan_runtime::{Agent, AgentSet};
    ///
    /// let mut agents = AgentSet::new("a").agent(Agent::new("a", "Assistant").model("gpt-4o"));
    /// assert!(agents.update(&"a", |agent| agent.model("gemini-2.5-flash")));
    /// assert_eq!(agents.get(&"a").and_then(|a| a.model_name()), Some("gemini-2.5-flash"));
    /// ```
    pub fn update(&mut self, key: &K, change: impl FnOnce(Agent<K, C>) -> Agent<K, C>) -> bool {
        let Some(existing) = self.agents.iter_mut().find(|a| &a.key == key) else {
            return false;
        };
        *existing = change(existing.clone());
        self.prepared = OnceLock::new();
        true
    }

    /// The bound on model requests per run (default 10).
    pub fn max_turns(mut self, n: u32) -> Self {
        self.max_turns = n;
        self
    }

    /// The workflow's name, which traces show (`traceloop.workflow.name` on
    /// every span of a run); generated workflows set the file's `[workflow] name`.
    /// Without one, runs are named after the entry agent.
    pub fn workflow_name(mut self, name: impl Into<String>) -> Self {
        self.workflow_name = Some(name.into());
        self
    }

    /// The workflow's name, if one was given ([`AgentSet::workflow_name`]).
    pub fn workflow_name_value(&self) -> Option<&str> {
        self.workflow_name.as_deref()
    }

    /// An agent by key.
    pub fn get(&self, key: &K) -> Option<&Agent<K, C>> {
        self.agents.iter().find(|a| &a.key == key)
    }

    /// The same set, with runs starting at `entry` (e.g. to test one agent).
    ///
    /// ```
    /// use respan_runtime::{Agent, AgentSet};
    /// let agents = AgentSet::new("triage")
    ///     .agent(Agent::new("triage", "Triage Agent"))
    ///     .agent(Agent::new("billing", "Billing Agent"))
    ///     .with_entry("billing");
    /// assert_eq!(agents.entry(), &"billing");
    /// ```
    pub fn with_entry(mut self, entry: K) -> Self {
        self.entry = entry;
        self.prepared = OnceLock::new();
        self
    }

    /// The entry agent's key.
    pub fn entry(&self) -> &K {
        &self.entry
    }

    /// The bound on model requests per run.
    pub fn max_turns_value(&self) -> u32 {
        self.max_turns
    }

    /// All agents, in the order they were added.
    pub fn agents(&self) -> impl Iterator<Item = &Agent<K, C>> {
        self.agents.iter()
    }

    pub(crate) fn agent_at(&self, index: usize) -> &Agent<K, C> {
        &self.agents[index]
    }

    /// Checks the set and builds the static request parts, once.
    pub(crate) fn prepared(&self) -> Result<Arc<Prepared>, Error> {
        self.prepared
            .get_or_init(|| self.prepare().map(Arc::new))
            .clone()
            .map_err(PrepareError::into_error)
    }

    pub(crate) fn index_of(&self, key: &K) -> Option<usize> {
        self.agents.iter().position(|a| &a.key == key)
    }

    fn prepare(&self) -> Result<Prepared, PrepareError> {
        let entry = self.index_of(&self.entry).ok_or_else(|| {
            PrepareError::AgentSet(format!(
                "the entry agent {:?} is not in the set; add it with AgentSet::agent",
                self.entry
            ))
        })?;
        let mut agents = Vec::with_capacity(self.agents.len());
        for agent in &self.agents {
            agents.push(self.prepare_agent(agent)?);
        }
        Ok(Prepared { entry, agents })
    }

    fn prepare_agent(&self, agent: &Agent<K, C>) -> Result<PreparedAgent, PrepareError> {
        if let Some(why) = &agent.unusable {
            return Err(PrepareError::AgentSet(why.clone()));
        }
        // A template that failed to render fails the run before any request.
        if let Err(message) = &agent.instructions {
            return Err(PrepareError::Template {
                agent: agent.name.clone(),
                message: message.clone(),
            });
        }

        let mut tool_defs = Vec::new();
        let mut handoffs = HashMap::new();
        let mut tools = HashMap::new();
        for (i, tool) in agent.tools.iter().enumerate() {
            if tools.contains_key(tool.name()) {
                return Err(PrepareError::AgentSet(format!(
                    "agent {:?} has two tools named {:?}",
                    agent.name,
                    tool.name()
                )));
            }
            tool.validate().map_err(|message| {
                PrepareError::AgentSet(format!("agent {:?}: {message}", agent.name))
            })?;
            tool_defs.push(definition(
                tool.name(),
                tool.description(),
                tool.parameters(),
                tool.strict(),
            ));
            tools.insert(tool.name().to_string(), i);
        }
        if let ToolUseBehavior::StopAtTools(names) = &agent.tool_use_behavior
            && let Some(unknown) = names.iter().find(|name| !tools.contains_key(name.as_str()))
        {
            return Err(PrepareError::AgentSet(format!(
                "agent {:?} stops at tool {unknown:?}, which it does not have; \
                 add the tool to the agent or remove it from stop_at_tools",
                agent.name
            )));
        }
        for (position, target) in agent.handoffs.iter().enumerate() {
            // The checker's rules (respan check), stated again for sets built in Rust.
            if target == &agent.key {
                return Err(PrepareError::AgentSet(format!(
                    "agent {:?} hands off to itself; remove it from its own handoffs",
                    agent.name
                )));
            }
            if agent.handoffs[..position].contains(target) {
                return Err(PrepareError::AgentSet(format!(
                    "agent {:?} lists the handoff target {target:?} twice; remove one",
                    agent.name
                )));
            }
            let index = self.index_of(target).ok_or_else(|| {
                PrepareError::AgentSet(format!(
                    "agent {:?} hands off to {target:?}, which is not in the set",
                    agent.name
                ))
            })?;
            let target = &self.agents[index];
            let name = target.handoff_tool_name();
            if handoffs.contains_key(&name) {
                return Err(PrepareError::AgentSet(format!(
                    "agent {:?} hands off to two agents whose tool name is {name:?}; \
                     rename one of them",
                    agent.name
                )));
            }
            if tools.contains_key(&name) {
                return Err(PrepareError::AgentSet(format!(
                    "agent {:?} has a tool and a handoff both named {name:?}",
                    agent.name
                )));
            }
            tool_defs.push(definition(
                &name,
                &handoff_tool_description(&target.name, target.handoff_description.as_deref()),
                serde_json::json!({
                    "type": "object",
                    "properties": {},
                    "required": [],
                    "additionalProperties": false
                }),
                true,
            ));
            handoffs.insert(name, index);
        }

        if let Some(crate::settings::ToolChoice::Function(name)) = &agent.model_settings.tool_choice
            && !tools.contains_key(name)
            && !handoffs.contains_key(name)
        {
            return Err(PrepareError::AgentSet(format!(
                "agent {:?} forces tool_choice {name:?}, which is not one of its tools",
                agent.name
            )));
        }

        let mut fixed = Map::new();
        if !tool_defs.is_empty() {
            fixed.insert("tools".into(), Value::Array(tool_defs));
        }
        // Structured output is the SDK's `output_type`: a strict json_schema response
        // format, unless the settings name a response_format of their own.
        if let Some(output) = &agent.output
            && agent.model_settings.response_format.is_none()
        {
            fixed.insert("response_format".into(), output.response_format());
        }
        agent.model_settings.write_into(&mut fixed);
        let header = place(agent.respan.as_ref(), agent.prompt.as_ref(), &mut fixed);
        for (key, value) in &agent.model_settings.extra_body {
            if matches!(key.as_str(), "model" | "messages" | "stream") {
                continue;
            }
            match (fixed.get_mut(key), value) {
                (Some(Value::Object(existing)), Value::Object(more)) => {
                    existing.extend(more.clone())
                }
                _ => {
                    fixed.insert(key.clone(), value.clone());
                }
            }
        }

        let mut headers = HeaderMap::new();
        for (name, value) in &agent.model_settings.extra_headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
                PrepareError::Config(format!("agent {:?}: header name {name:?}: {e}", agent.name))
            })?;
            let value = HeaderValue::from_str(value).map_err(|e| {
                PrepareError::Config(format!("agent {:?}: header {name}: {e}", agent.name))
            })?;
            headers.insert(name, value);
        }
        if !header.is_empty() {
            let value = HeaderValue::from_str(&encode_header(&header))
                .map_err(|e| PrepareError::Config(e.to_string()))?;
            headers.insert(HeaderName::from_static("x-data-respan-params"), value);
        }
        debug_assert_eq!(
            RESPAN_PARAMS_HEADER.to_ascii_lowercase(),
            "x-data-respan-params"
        );

        Ok(PreparedAgent {
            model: agent.model.clone(),
            fixed_json: FixedFields::new(&fixed),
            fixed,
            headers,
            handoffs,
            tools,
            handoff_output: format!("{{\"assistant\": {}}}", Value::from(agent.name.as_str())),
        })
    }
}

/// The request parts of every agent, built once per set.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) entry: usize,
    pub(crate) agents: Vec<PreparedAgent>,
}

#[derive(Debug)]
pub(crate) struct PreparedAgent {
    pub(crate) model: Option<String>,
    /// Body fields other than model/messages/stream: tools, settings, Respan fields, extra_body.
    pub(crate) fixed: Map<String, Value>,
    /// `fixed`, serialized once (what each request sends).
    pub(crate) fixed_json: FixedFields,
    pub(crate) headers: HeaderMap,
    /// Handoff tool name → index of the target agent.
    pub(crate) handoffs: HashMap<String, usize>,
    /// Function tool name → index in the agent's tools.
    pub(crate) tools: HashMap<String, usize>,
    /// The tool result of a handoff *to* this agent.
    pub(crate) handoff_output: String,
}

/// Preparation errors are cached with the set, so they must be `Clone`.
#[derive(Clone, Debug)]
enum PrepareError {
    Template { agent: String, message: String },
    AgentSet(String),
    Config(String),
}

impl PrepareError {
    fn into_error(self) -> Error {
        match self {
            PrepareError::Template { agent, message } => Error::Template { agent, message },
            PrepareError::AgentSet(m) => Error::AgentSet(m),
            PrepareError::Config(m) => Error::Config(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_handoff_names() {
        assert_eq!(
            handoff_tool_name("Technical Agent"),
            "transfer_to_technical_agent"
        );
        assert_eq!(handoff_tool_name("Q&A-bot 2"), "transfer_to_q_a_bot_2");
        assert_eq!(
            handoff_tool_description("Billing Agent", None),
            "Handoff to the Billing Agent agent to handle the request. "
        );
    }

    #[test]
    fn template_error_is_kept_for_the_run() {
        let set: AgentSet = AgentSet::new("a".to_string()).agent(
            Agent::new("a".to_string(), "A")
                .instructions_template("{{ missing }}", &serde_json::json!({})),
        );
        assert!(matches!(set.prepared(), Err(Error::Template { .. })));
    }

    #[test]
    fn unknown_targets_are_errors() {
        let set: AgentSet = AgentSet::new("a".to_string())
            .agent(Agent::new("a".to_string(), "A").handoff("b".to_string()));
        let err = set
            .prepared()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not in the set"), "{err}");
        let set: AgentSet = AgentSet::new("x".to_string());
        assert!(matches!(set.prepared(), Err(Error::AgentSet(_))));
    }
}
