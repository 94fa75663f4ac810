//! STUB (the lead replaces it): the signatures of agents as tools and of
//! handoff options, so that generated code and the CLI compile against them.
//! Nothing here has its effect at run time yet.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::agent::{Agent, AgentKey};
use crate::items::InputItem;

/// An agent run as a function tool of another agent (the Agents SDK's
/// `Agent.as_tool`).
#[derive(Clone, Debug)]
pub struct AgentTool<K> {
    target: K,
    name: Option<String>,
    description: String,
    max_turns: Option<u32>,
    timeout: Option<Duration>,
}

impl<K: AgentKey> AgentTool<K> {
    /// The agent `target` run as the tool.
    pub fn new(target: K) -> Self {
        Self {
            target,
            name: None,
            description: String::new(),
            max_turns: None,
            timeout: None,
        }
    }

    /// The name the model calls.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// What the model is told the tool does.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// The most model calls one run of the tool may make.
    pub fn max_turns(mut self, n: u32) -> Self {
        self.max_turns = Some(n);
        self
    }

    /// How long one call may take.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// The agent run as the tool.
    pub fn target(&self) -> &K {
        &self.target
    }
}

type FilterFn = Arc<dyn Fn(&[InputItem]) -> Vec<InputItem> + Send + Sync>;

/// What the next agent sees of the conversation after a handoff.
#[derive(Clone)]
pub enum InputFilter {
    /// Tool calls and their results are removed.
    RemoveAllTools,
    /// The history so far is nested in one message.
    NestHistory,
    /// A function of the history.
    Custom(FilterFn),
}

impl InputFilter {
    /// A filter computed by a function.
    pub fn custom(f: impl Fn(&[InputItem]) -> Vec<InputItem> + Send + Sync + 'static) -> Self {
        Self::Custom(Arc::new(f))
    }
}

impl std::fmt::Debug for InputFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RemoveAllTools => f.write_str("RemoveAllTools"),
            Self::NestHistory => f.write_str("NestHistory"),
            Self::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

type OnHandoff<C> = Arc<dyn Fn(&C, &str) + Send + Sync>;
type EnabledFn<K, C> = Arc<dyn Fn(&C, &Agent<K, C>) -> bool + Send + Sync>;

/// A handoff to an agent, with its options.
pub struct Handoff<K: AgentKey, C = ()> {
    pub(crate) target: K,
    tool_name: Option<String>,
    description: Option<String>,
    input_filter: Option<InputFilter>,
    input_schema: Option<serde_json::Value>,
    on_handoff: Option<OnHandoff<C>>,
    enabled: bool,
    enabled_fn: Option<EnabledFn<K, C>>,
    _context: PhantomData<fn(&C)>,
}

impl<K: AgentKey, C> Handoff<K, C> {
    /// A handoff to `target`.
    pub fn to(target: K) -> Self {
        Self {
            target,
            tool_name: None,
            description: None,
            input_filter: None,
            input_schema: None,
            on_handoff: None,
            enabled: true,
            enabled_fn: None,
            _context: PhantomData,
        }
    }

    /// The handoff tool's name.
    pub fn tool_name(mut self, name: impl Into<String>) -> Self {
        self.tool_name = Some(name.into());
        self
    }

    /// The handoff tool's description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// What the next agent sees of the conversation.
    pub fn input_filter(mut self, filter: InputFilter) -> Self {
        self.input_filter = Some(filter);
        self
    }

    /// The handoff tool's parameters.
    pub fn input_schema(mut self, schema: serde_json::Value) -> Self {
        self.input_schema = Some(schema);
        self
    }

    /// The handoff tool's parameters, from `T`.
    pub fn input<T: schemars::JsonSchema + serde::de::DeserializeOwned>(mut self) -> Self {
        self.input_schema = Some(crate::schema::schema_for::<T>());
        self
    }

    /// Called with the context and the parsed arguments when the handoff happens.
    pub fn on_handoff<T, F>(mut self, f: F) -> Self
    where
        T: serde::de::DeserializeOwned + Send + 'static,
        F: Fn(&C, T) + Send + Sync + 'static,
    {
        self.on_handoff = Some(Arc::new(move |context: &C, arguments: &str| {
            if let Ok(value) = serde_json::from_str::<T>(arguments) {
                f(context, value);
            }
        }));
        self
    }

    /// Whether the handoff is offered.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Whether the handoff is offered, decided per turn.
    pub fn enabled_fn<F>(mut self, f: F) -> Self
    where
        F: Fn(&C, &Agent<K, C>) -> bool + Send + Sync + 'static,
    {
        self.enabled_fn = Some(Arc::new(f));
        self
    }

    /// The agent handed to.
    pub fn target(&self) -> &K {
        &self.target
    }
}

impl<K: AgentKey, C> From<K> for Handoff<K, C> {
    fn from(target: K) -> Self {
        Self::to(target)
    }
}
