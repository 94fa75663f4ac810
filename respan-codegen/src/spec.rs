//! The intermediate representation of a workflow: what a TOML file or a set of
//! `#[respan_agent]` attributes means, with the place every value came from.
//!
//! Every front end (TOML parser, proc-macro attribute parser) produces a [`Spec`];
//! the checker validates it; the code generator and the CLI consume it. Nothing
//! here knows about TOML or tokens.

use serde_json::{Map, Value};

/// A byte range in the source a value came from.
///
/// For TOML files this is a range in the file's text. Front ends without a text
/// (proc-macro attributes) assign synthetic ranges and map them back themselves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(range: std::ops::Range<usize>) -> Self {
        Self::new(range.start, range.end)
    }
}

/// A value with the span it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: impl Into<Span>) -> Self {
        Self {
            value,
            span: span.into(),
        }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A whole workflow: the `[workflow]` table, its agents in file order, its tools.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// The path the spec was read from, as shown in diagnostics (e.g. `workflows/support.toml`).
    pub path: String,
    pub workflow: WorkflowSpec,
    /// Agents in the order the file declares them (`[defaults]` already applied).
    pub agents: Vec<AgentSpec>,
    /// Tools in the order the file declares them.
    pub tools: Vec<ToolSpec>,
    /// `[vars]`: defaults of template variables, in the order the file declares them.
    pub vars: Vec<VarSpec>,
    /// `[[tests]]`: runs of the workflow and what each must show, in file order.
    pub tests: Vec<TestSpec>,
}

impl Spec {
    /// The agent with this id.
    pub fn agent(&self, id: &str) -> Option<&AgentSpec> {
        self.agents.iter().find(|agent| agent.id.value == id)
    }

    /// The tool with this name.
    pub fn tool(&self, name: &str) -> Option<&ToolSpec> {
        self.tools.iter().find(|tool| tool.name.value == name)
    }

    /// The entry agent, if `entry` names one.
    pub fn entry_agent(&self) -> Option<&AgentSpec> {
        self.agent(&self.workflow.entry.value)
    }

    /// The `[vars]` entry of this template variable (its default), if any.
    pub fn var(&self, name: &str) -> Option<&VarSpec> {
        self.vars.iter().find(|var| var.name.value == name)
    }
}

/// One entry of `[vars]`: a template variable's default value.
///
/// ```toml
/// [vars]
/// product = "Respan"
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct VarSpec {
    /// The variable's name (span: the key).
    pub name: Spanned<String>,
    /// Its default (span: the string value).
    pub default: Spanned<String>,
}

/// The `[workflow]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowSpec {
    /// Module name (snake_case); defaults to the file stem (span: the `[workflow]` header).
    pub name: Spanned<String>,
    /// Id of the starting agent.
    pub entry: Spanned<String>,
    pub description: Option<Spanned<String>>,
    /// Bound on model calls per run; `None` means the runtime default (10).
    pub max_turns: Option<Spanned<u32>>,
    /// Span of the `[workflow]` table header (or of the file start when absent).
    pub span: Span,
}

/// One `[agents.<id>]` table, with `[defaults]` applied field by field.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentSpec {
    /// The Rust-facing id (snake_case): `Agent::<CamelCase>` variant in generated code.
    pub id: Spanned<String>,
    /// Display name as the Agents SDK uses it (default derived from the id: `tech_support` -> `Tech Support`).
    pub name: Spanned<String>,
    pub instructions: Option<Template>,
    /// `instructions_fn = "path::to::fn"`: a Rust function computes the
    /// instructions before each model request, from the run's context and the
    /// agent (exclusive with `instructions`; span: the string value).
    pub instructions_fn: Option<Spanned<String>>,
    pub handoff_description: Option<Spanned<String>>,
    /// Ids of the agents this one may hand off to, in order.
    pub handoffs: Vec<Spanned<String>>,
    /// `[agents.<id>.handoff.<target>]`: options of some of those handoffs,
    /// in file order (each target must also be in `handoffs`).
    pub handoff_options: Vec<HandoffSpec>,
    /// Names of declared `[tools.<name>]` this agent may call, in order.
    pub tools: Vec<Spanned<String>>,
    pub model: Option<Spanned<String>>,
    pub model_settings: ModelSettingsSpec,
    pub respan: Option<RespanSpec>,
    pub prompt: Option<PromptSpec>,
    pub output: Option<OutputSpec>,
    /// What happens after the agent's tools ran; `None`: the runtime default
    /// (`run_llm_again`).
    pub tool_use_behavior: Option<Spanned<ToolUseBehaviorSpec>>,
    /// Span of the `[agents.<id>]` table header.
    pub span: Span,
}

impl AgentSpec {
    /// The options of the handoff to `target`, if the file gives any.
    pub fn handoff_options(&self, target: &str) -> Option<&HandoffSpec> {
        self.handoff_options
            .iter()
            .find(|options| options.target.value == target)
    }
}

/// `[agents.<id>.handoff.<target>]`: how one handoff is offered and what it
/// does (the Agents SDK's `handoff(...)` options).
///
/// ```toml
/// [agents.triage.handoff.billing]
/// input_filter = "remove_all_tools"
/// input_type = "crate::Escalation"
/// on_handoff = "crate::on_escalate"
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HandoffSpec {
    /// The agent handed to (span: the table key).
    pub target: Spanned<String>,
    /// `tool_name`: the handoff tool's name instead of `transfer_to_<name>`.
    pub tool_name: Option<Spanned<String>>,
    /// `description`: the handoff tool's description instead of the default.
    pub description: Option<Spanned<String>>,
    /// `input_filter` (a named filter) or `input_filter_fn` (a Rust function).
    pub input_filter: Option<Spanned<InputFilterSpec>>,
    /// `input_schema` or `input_type`: the arguments the model gives the handoff.
    pub input: Option<HandoffInputSpec>,
    /// `on_handoff = "path"`: a Rust function called with the context and the
    /// handoff (with its input) when it happens (span: the string value).
    pub on_handoff: Option<Spanned<String>>,
    /// `is_enabled = false` or `is_enabled_fn = "path"`.
    pub enabled: Option<EnabledSpec>,
    /// Span of the table.
    pub span: Span,
}

impl HandoffSpec {
    /// The options only compiled code can have, as `(key, path)`: the CLI
    /// refuses to run them.
    pub fn rust_only(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let Some(filter) = &self.input_filter
            && let InputFilterSpec::Rust(path) = &filter.value
        {
            out.push(("input_filter_fn", path.as_str()));
        }
        if let Some(HandoffInputSpec::Rust(path)) = &self.input {
            out.push(("input_type", path.value.as_str()));
        }
        if let Some(function) = &self.on_handoff {
            out.push(("on_handoff", function.value.as_str()));
        }
        if let Some(EnabledSpec::Rust(path)) = &self.enabled {
            out.push(("is_enabled_fn", path.value.as_str()));
        }
        out
    }
}

/// What the next agent sees of the conversation after a handoff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputFilterSpec {
    /// `input_filter = "remove_all_tools"`: tool calls and results removed.
    RemoveAllTools,
    /// `input_filter = "nest_history"`: the history nested in one message.
    NestHistory,
    /// `input_filter_fn = "path"`: a Rust function
    /// `fn(&[respan::InputItem]) -> Vec<respan::InputItem>`.
    Rust(String),
}

/// The typed input of a handoff.
#[derive(Clone, Debug, PartialEq)]
pub enum HandoffInputSpec {
    /// `input_schema = { type = "object", ... }` (span: the table).
    Schema(Spanned<Value>),
    /// `input_type = "path::Type"`: a Rust type (`DeserializeOwned + JsonSchema`).
    Rust(Spanned<String>),
}

/// Whether a handoff is offered.
#[derive(Clone, Debug, PartialEq)]
pub enum EnabledSpec {
    /// `is_enabled = true | false`.
    Fixed(Spanned<bool>),
    /// `is_enabled_fn = "path"`: `fn(&C, &respan::Agent<Agent, C>) -> bool`.
    Rust(Spanned<String>),
}

/// An instructions template (tera syntax) and the variables it uses.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// The template text exactly as written (span: the TOML string value).
    pub source: Spanned<String>,
    /// Variables the template reads from the context, in first-use order, deduplicated.
    /// Each becomes a typed field of the generated `Vars` struct.
    pub variables: Vec<Spanned<String>>,
}

impl Template {
    /// Whether the template has no variables (so it can be sent as static text).
    pub fn is_static(&self) -> bool {
        self.variables.is_empty()
    }
}

/// `[agents.<id>.model_settings]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelSettingsSpec {
    pub temperature: Option<Spanned<f64>>,
    pub top_p: Option<Spanned<f64>>,
    pub max_tokens: Option<Spanned<u32>>,
    pub frequency_penalty: Option<Spanned<f64>>,
    pub presence_penalty: Option<Spanned<f64>>,
    pub tool_choice: Option<Spanned<ToolChoiceSpec>>,
    pub parallel_tool_calls: Option<Spanned<bool>>,
    pub seed: Option<Spanned<i64>>,
    pub stop: Option<Spanned<Vec<String>>>,
    /// `response_format` as JSON (e.g. `{ type = "json_object" }`).
    pub response_format: Option<Spanned<Value>>,
    /// Free JSON merged into the top level of the request body.
    pub extra_body: Map<String, Value>,
    /// HTTP headers sent with every request of this agent, in file order.
    pub extra_headers: Vec<(Spanned<String>, Spanned<String>)>,
}

/// `tool_choice`: `"auto"`, `"required"`, `"none"` or the name of one of the agent's tools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolChoiceSpec {
    Auto,
    Required,
    None,
    Function(String),
}

/// Where Respan parameters or a gateway prompt travel in the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlacementSpec {
    /// Top level of the JSON body (the guide's `extra_body.prompt`).
    #[default]
    Body,
    /// Nested in the body's `respan_params` object.
    RespanParams,
    /// The `X-Data-Respan-Params` header, base64 JSON.
    Header,
}

/// `[agents.<id>.respan]`: the gateway's own parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RespanSpec {
    pub customer_identifier: Option<Spanned<String>>,
    /// Metadata key/value pairs (the gateway returns the values as strings).
    pub metadata: Map<String, Value>,
    pub thread_identifier: Option<Spanned<String>>,
    pub fallback_models: Vec<Spanned<String>>,
    pub customer_params: Option<Spanned<Value>>,
    pub cache_enabled: Option<Spanned<bool>>,
    pub cache_ttl: Option<Spanned<u64>>,
    pub cache_options: Option<Spanned<Value>>,
    pub disable_log: Option<Spanned<bool>>,
    /// `[agents.<id>.respan.extra]`: any other gateway field, passed through unchanged.
    pub extra: Map<String, Value>,
    /// `placement = "body" | "respan_params" | "header"`; `None`: the runtime default
    /// (nested in `respan_params`, as the guide shows).
    pub placement: Option<Spanned<PlacementSpec>>,
    pub span: Span,
}

/// `[agents.<id>.prompt]`: a prompt managed on the gateway.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptSpec {
    pub prompt_id: Spanned<String>,
    /// 1 or 2; 2 by default (the gateway's prompt config wins, request messages are appended).
    pub schema_version: Spanned<u32>,
    pub variables: Map<String, Value>,
    pub version: Option<Spanned<Value>>,
    pub echo: Option<Spanned<bool>>,
    pub patch: Option<Spanned<Value>>,
    pub placement: Spanned<PlacementSpec>,
    pub span: Span,
}

/// `tool_use_behavior`: `"run_llm_again"`, `"stop_on_first_tool"` or
/// `{ stop_at_tools = ["<tool>", ...] }` (the Agents SDK's setting).
#[derive(Clone, Debug, PartialEq)]
pub enum ToolUseBehaviorSpec {
    /// The tools' results go back to the model (the default).
    RunLlmAgain,
    /// The first tool's result is the final output.
    StopOnFirstTool,
    /// A call of one of these tools (of the agent's own) ends the run with its result.
    StopAtTools(Vec<Spanned<String>>),
}

/// `[agents.<id>.output]`: structured output.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputSpec {
    /// JSON Schema of the final output.
    pub schema: Option<Spanned<Value>>,
    /// Path of a Rust type (`JsonSchema + Deserialize`) when compiled.
    pub rust: Option<Spanned<String>>,
    pub span: Span,
}

/// A `[tools.<name>]` table: a function tool agents may call.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolSpec {
    pub name: Spanned<String>,
    /// What the model is told the tool does; `None`: the Rust function's doc
    /// comment (a compiled workflow), required for a `command` tool (the CLI).
    pub description: Option<Spanned<String>>,
    /// How long one call may take, in seconds; `None`: the runtime default (60).
    pub timeout_secs: Option<Spanned<f64>>,
    /// Whether every call waits for a person's approval (`needs_approval`);
    /// `None`: it does not.
    pub needs_approval: Option<Spanned<bool>>,
    /// JSON Schema of the arguments (optional when a Rust function supplies it).
    pub parameters: Option<Spanned<Value>>,
    /// `agent = "<id>"`: the tool runs this agent (the Agents SDK's
    /// `Agent.as_tool`), with one `input` string as its parameters (span: the
    /// string value).
    pub agent: Option<Spanned<String>>,
    /// Agent tools: the most model calls one run of the agent may make;
    /// `None`: the workflow's `max_turns`.
    pub max_turns: Option<Spanned<u32>>,
    /// Path of the Rust function; default: the function named like the tool, in scope.
    pub rust: Option<Spanned<String>>,
    /// How the CLI runs it: JSON arguments on stdin, stdout is the result. A
    /// compiled workflow ignores it by design: it runs the Rust function.
    pub command: Option<Spanned<Vec<String>>>,
    /// Span of the `[tools.<name>]` table header.
    pub span: Span,
}

impl ToolSpec {
    /// Whether the tool runs an agent (`agent = "<id>"`) rather than a function.
    pub fn is_agent_tool(&self) -> bool {
        self.agent.is_some()
    }
}

/// One `[[tests]]` table: a run of the workflow (its input, variables and
/// first agent) and what the run must show.
///
/// ```toml
/// [[tests]]
/// name = "routes_invoices_to_billing"
/// input = "My invoice is wrong"
/// last_agent = "billing"
/// handoffs = ["billing"]
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TestSpec {
    /// The test's name, a snake_case identifier (the `#[test] fn` when compiled);
    /// empty when missing (the checker reports it; span: the table).
    pub name: Spanned<String>,
    /// The user's messages, in order (`input = "..."` is one); `None` when
    /// missing (a value of the wrong type, already reported, reads as one
    /// empty message).
    pub input: Option<Spanned<Vec<String>>>,
    /// Template variable values for this run (others take their `[vars]` default).
    pub vars: Vec<(Spanned<String>, Spanned<String>)>,
    /// The agent the run starts with; `None`: the workflow's `entry`.
    pub agent: Option<Spanned<String>>,
    /// What the run must show, in file order, each spanned at its value.
    pub expectations: Vec<Spanned<ExpectationSpec>>,
    /// Span of the `[[tests]]` table header (or of the inline table).
    pub span: Span,
}

impl TestSpec {
    /// The id of the agent the run starts with.
    pub fn start<'a>(&'a self, spec: &'a Spec) -> &'a str {
        self.agent
            .as_ref()
            .map_or(spec.workflow.entry.value.as_str(), |agent| &agent.value)
    }
}

/// One expectation of a `[[tests]]` table.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpectationSpec {
    /// `last_agent = "<id>"`: the agent that gave the final answer.
    LastAgent(String),
    /// `handoffs = ["<id>", ...]`: the agents handed to, in order (exactly these).
    Handoffs(Vec<Spanned<String>>),
    /// `tools_called = ["<tool>", ...]`: the function tools called, in order
    /// (exactly these; handoffs are not tools).
    ToolsCalled(Vec<Spanned<String>>),
    /// `output_contains = "..."`: the final output contains this text.
    OutputContains(String),
    /// `output_matches = "<regex>"`: the final output matches this regular
    /// expression (the `regex` crate's syntax).
    OutputMatches(String),
    /// A leaf of `output = { field = value, ... }`: the structured output's
    /// value at this JSON pointer (e.g. `/severity`) equals `value`.
    OutputField {
        /// RFC 6901 pointer into the structured output.
        pointer: String,
        /// The value it must have (compared as JSON).
        value: Value,
    },
    /// `max_requests = N`: the run made at most N model requests.
    MaxRequests(u32),
}

impl ExpectationSpec {
    /// The key the expectation is written with.
    pub fn key(&self) -> &'static str {
        match self {
            ExpectationSpec::LastAgent(_) => "last_agent",
            ExpectationSpec::Handoffs(_) => "handoffs",
            ExpectationSpec::ToolsCalled(_) => "tools_called",
            ExpectationSpec::OutputContains(_) => "output_contains",
            ExpectationSpec::OutputMatches(_) => "output_matches",
            ExpectationSpec::OutputField { .. } => "output",
            ExpectationSpec::MaxRequests(_) => "max_requests",
        }
    }
}

/// The template variables `agents`' instructions use, in first-use order, each
/// with the ids of the agents using it (the fields of the generated `Vars`).
pub fn template_variables<'a>(
    agents: impl IntoIterator<Item = &'a AgentSpec>,
) -> Vec<(String, Vec<String>)> {
    let mut vars: Vec<(String, Vec<String>)> = Vec::new();
    for agent in agents {
        let Some(template) = &agent.instructions else {
            continue;
        };
        for var in &template.variables {
            match vars.iter_mut().find(|(name, _)| *name == var.value) {
                Some((_, users)) => {
                    if !users.contains(&agent.id.value) {
                        users.push(agent.id.value.clone());
                    }
                }
                None => vars.push((var.value.clone(), vec![agent.id.value.clone()])),
            }
        }
    }
    vars
}

/// The handoff tool name the runtime offers for an agent display name, as the
/// Agents SDK does: every character outside `[A-Za-z0-9_]` becomes `_`, lower-cased,
/// prefixed with `transfer_to_`.
pub fn handoff_tool_name(display_name: &str) -> String {
    let mut out = String::with_capacity("transfer_to_".len() + display_name.len());
    out.push_str("transfer_to_");
    out.extend(display_name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c.to_ascii_lowercase()
        } else {
            '_'
        }
    }));
    out
}

/// The default display name for an agent id: `tech_support` -> `Tech Support`.
pub fn default_display_name(id: &str) -> String {
    id.split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handoff_names_follow_the_agents_sdk() {
        assert_eq!(
            handoff_tool_name("Technical Agent"),
            "transfer_to_technical_agent"
        );
        assert_eq!(
            handoff_tool_name("Billing-Bot 2"),
            "transfer_to_billing_bot_2"
        );
    }

    #[test]
    fn default_names_are_title_case_words() {
        assert_eq!(default_display_name("tech_support"), "Tech Support");
        assert_eq!(default_display_name("triage"), "Triage");
    }
}
