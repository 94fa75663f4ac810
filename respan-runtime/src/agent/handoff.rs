//! A handoff to one target with its options (the Agents SDK's `handoff(...)`):
//! the tool's name and description, an input filter, a typed input given to
//! `on_handoff`, and whether it is offered at all.

use crate::items::arguments_json;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Agent, AgentKey};
use crate::input_filter::InputFilter;
use crate::schema::schema_for;

/// `on_handoff`, given the run's context and the call's JSON arguments; an
/// `Err` is the arguments' parse error.
pub(crate) type OnHandoffFn<C> = Arc<dyn Fn(&C, &str) -> Result<(), String> + Send + Sync>;

/// Whether a handoff is offered, decided per turn.
pub(crate) type EnabledFn<K, C> = Arc<dyn Fn(&C, &Agent<K, C>) -> bool + Send + Sync>;

/// A handoff to `target`, with options, for [`Agent::handoff_with`]
/// (`agent.handoff(key)` is `agent.handoff_with(Handoff::to(key))`).
///
/// ```
/// use respan_runtime::{Agent, Handoff, InputFilter};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Escalation { reason: String }
///
/// let triage = Agent::named("Triage Agent")
///     .handoff_with(
///         Handoff::to("Billing Agent".to_string())
///             .input::<Escalation>()
///             .on_handoff(|_: &(), escalation: Escalation| eprintln!("why: {}", escalation.reason))
///             .input_filter(InputFilter::RemoveAllTools),
///     )
///     .handoff_with(Handoff::to("Technical Agent".to_string()).enabled(false));
/// # let _ = triage;
/// ```
pub struct Handoff<K: AgentKey, C = ()> {
    pub(crate) target: K,
    pub(crate) options: HandoffOptions<K, C>,
}

/// Everything of a [`Handoff`] but its target.
pub(crate) struct HandoffOptions<K: AgentKey, C> {
    pub(crate) tool_name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) filter: Option<InputFilter>,
    pub(crate) schema: Option<Value>,
    pub(crate) on_handoff: Option<OnHandoffFn<C>>,
    pub(crate) enabled: Enabled<K, C>,
}

/// Whether a handoff is offered to the model.
pub(crate) enum Enabled<K: AgentKey, C> {
    Always,
    Never,
    When(EnabledFn<K, C>),
}

impl<K: AgentKey, C> Clone for Enabled<K, C> {
    fn clone(&self) -> Self {
        match self {
            Enabled::Always => Enabled::Always,
            Enabled::Never => Enabled::Never,
            Enabled::When(f) => Enabled::When(f.clone()),
        }
    }
}

impl<K: AgentKey, C> Default for HandoffOptions<K, C> {
    fn default() -> Self {
        Self {
            tool_name: None,
            description: None,
            filter: None,
            schema: None,
            on_handoff: None,
            enabled: Enabled::Always,
        }
    }
}

impl<K: AgentKey, C> Clone for HandoffOptions<K, C> {
    fn clone(&self) -> Self {
        Self {
            tool_name: self.tool_name.clone(),
            description: self.description.clone(),
            filter: self.filter.clone(),
            schema: self.schema.clone(),
            on_handoff: self.on_handoff.clone(),
            enabled: self.enabled.clone(),
        }
    }
}

impl<K: AgentKey, C> std::fmt::Debug for HandoffOptions<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandoffOptions")
            .field("tool_name", &self.tool_name)
            .field("description", &self.description)
            .field("filter", &self.filter)
            .field("schema", &self.schema)
            .field("on_handoff", &self.on_handoff.is_some())
            .field(
                "enabled",
                &match self.enabled {
                    Enabled::Always => "always",
                    Enabled::Never => "never",
                    Enabled::When(_) => "per turn",
                },
            )
            .finish()
    }
}

impl<K: AgentKey, C> HandoffOptions<K, C> {
    /// Whether any option is set (a plain handoff has none).
    pub(crate) fn is_plain(&self) -> bool {
        self.tool_name.is_none()
            && self.description.is_none()
            && self.filter.is_none()
            && self.schema.is_none()
            && self.on_handoff.is_none()
            && matches!(self.enabled, Enabled::Always)
    }
}

impl<K: AgentKey> HandoffOptions<K, ()> {
    /// The same options for runs whose context is `C2`: functions of `&()`
    /// keep reading `&()` (and `agent`, the agent as it was).
    pub(crate) fn contextless<C2: 'static>(self, agent: &Agent<K, ()>) -> HandoffOptions<K, C2> {
        let on_handoff = self
            .on_handoff
            .map(|f| Arc::new(move |_: &C2, arguments: &str| f(&(), arguments)) as OnHandoffFn<C2>);
        let enabled = match self.enabled {
            Enabled::Always => Enabled::Always,
            Enabled::Never => Enabled::Never,
            Enabled::When(f) => {
                let agent = agent.clone();
                Enabled::When(Arc::new(move |_: &C2, _: &Agent<K, C2>| f(&(), &agent)))
            }
        };
        HandoffOptions {
            tool_name: self.tool_name,
            description: self.description,
            filter: self.filter,
            schema: self.schema,
            on_handoff,
            enabled,
        }
    }
}

impl<K: AgentKey, C> From<K> for Handoff<K, C> {
    fn from(target: K) -> Self {
        Handoff::to(target)
    }
}

impl<K: AgentKey, C> Handoff<K, C> {
    /// A handoff to the agent keyed `target` (it must be in the same set).
    pub fn to(target: K) -> Self {
        Self {
            target,
            options: HandoffOptions::default(),
        }
    }

    /// The tool's name (the SDK's `tool_name_override`; default
    /// `transfer_to_<target name>`).
    pub fn tool_name(mut self, name: impl Into<String>) -> Self {
        self.options.tool_name = Some(name.into());
        self
    }

    /// The tool's description (the SDK's `tool_description_override`; default
    /// "Handoff to the <name> agent to handle the request. <handoff description>").
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.options.description = Some(text.into());
        self
    }

    /// What the target agent sees of the conversation (default: all of it).
    pub fn input_filter(mut self, filter: InputFilter) -> Self {
        self.options.filter = Some(filter);
        self
    }

    /// The handoff tool's parameters: the model must give a value of this
    /// JSON Schema (an object schema, sent as it is, with `strict: true`) when
    /// it hands off (the SDK's `input_type`). The value is in the call's
    /// arguments, which the target agent sees, and [`Handoff::on_handoff`] gets.
    pub fn input_schema(mut self, schema: Value) -> Self {
        self.options.schema = Some(schema);
        self
    }

    /// [`Handoff::input_schema`] from a Rust type (its strict schema).
    pub fn input<T: schemars::JsonSchema + DeserializeOwned>(self) -> Self {
        self.input_schema(schema_for::<T>())
    }

    /// Called with the run's context and the call's arguments as a `T` when the
    /// model hands off, before the target agent starts (the SDK's `on_handoff`).
    /// Arguments that are not a `T` end the run with
    /// [`Error::ModelBehavior`](crate::Error::ModelBehavior), as in the SDK; a
    /// panic ends it with [`Error::Hook`](crate::Error::Hook). Use
    /// `serde_json::Value` for any JSON, or `()`-like types to ignore it.
    pub fn on_handoff<T, F>(mut self, f: F) -> Self
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(&C, T) + Send + Sync + 'static,
    {
        self.options.on_handoff = Some(Arc::new(move |context: &C, arguments: &str| {
            let input =
                serde_json::from_str::<T>(arguments_json(arguments)).map_err(|e| e.to_string())?;
            f(context, input);
            Ok(())
        }));
        self
    }

    /// Whether the handoff is offered (the SDK's `is_enabled`; default: it is).
    /// A disabled handoff is not in the request's tools, and a call to it is an
    /// unknown tool.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.options.enabled = if enabled {
            Enabled::Always
        } else {
            Enabled::Never
        };
        self
    }

    /// Whether the handoff is offered, decided before each request of the
    /// agent from the run's context and the agent.
    pub fn enabled_fn<F>(mut self, f: F) -> Self
    where
        F: Fn(&C, &Agent<K, C>) -> bool + Send + Sync + 'static,
    {
        self.options.enabled = Enabled::When(Arc::new(f));
        self
    }

    /// The target's key.
    pub fn target(&self) -> &K {
        &self.target
    }
}

impl<K: AgentKey, C> std::fmt::Debug for Handoff<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handoff")
            .field("target", &self.target)
            .field("options", &self.options)
            .finish()
    }
}
