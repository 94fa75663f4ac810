//! One `[agents.<id>]` of a checked file as a runtime [`Agent`] keyed by its id,
//! with the builder calls respan-codegen's `generate::agent_calls` writes for a
//! compiled workflow: instructions (a template rendered with the variables, or
//! static text), handoff description and targets, model, structured output,
//! tool use behavior, model settings, Respan parameters and prompt.

use std::collections::BTreeMap;
use std::sync::Arc;

use respan_codegen::spec::{AgentSpec, EnabledSpec, HandoffInputSpec, InputFilterSpec, ToolSpec};
use respan_codegen::template::needs_rendering;
use respan_runtime::{Agent, AgentTool, Handoff, InputFilter, OutputType, Tool};
use serde_json::{Map, Value};

use crate::values;

/// The runtime agent of `spec`, without tools (see [`with_tools`]).
///
/// `vars` holds the value of every template variable its instructions use
/// ([`crate::vars::resolve`]); a missing one renders as the template engine
/// reports it, at the first run ([`respan_runtime::Error::Template`]).
/// `handoffs` are the ids of its targets that are part of the run.
///
/// A `rust` output type is left out: it exists only in compiled code, which
/// [`crate::load`] reports before building anything.
pub fn agent(spec: &AgentSpec, vars: &BTreeMap<String, String>) -> Agent<String> {
    let mut agent = Agent::new(spec.id.value.clone(), spec.name.value.clone());
    if let Some(template) = &spec.instructions {
        let source = template.source.value.clone();
        agent = if needs_rendering(&source) {
            let values: Map<String, Value> = template
                .variables
                .iter()
                .filter_map(|var| {
                    let value = vars.get(&var.value)?;
                    Some((var.value.clone(), Value::from(value.as_str())))
                })
                .collect();
            agent.instructions_template(source, &Value::Object(values))
        } else {
            agent.instructions(source)
        };
    }
    if let Some(description) = &spec.handoff_description {
        agent = agent.handoff_description(description.value.clone());
    }
    let mut targets: Vec<String> = Vec::new();
    for target in &spec.handoffs {
        if !targets.contains(&target.value) {
            targets.push(target.value.clone());
        }
    }
    for target in targets {
        agent = match spec.handoff_options(&target) {
            Some(options) => agent.handoff_with(handoff(target, options)),
            None => agent.handoff(target),
        };
    }
    if let Some(model) = &spec.model {
        agent = agent.model(model.value.clone());
    }
    if let Some(schema) = spec
        .output
        .as_ref()
        .filter(|output| output.rust.is_none())
        .and_then(|output| output.schema.as_ref())
    {
        agent = agent.output_type_value(OutputType::from_schema(schema.value.clone()));
    }
    if let Some(behavior) = &spec.tool_use_behavior {
        agent = agent.tool_use_behavior(values::tool_use_behavior(&behavior.value));
    }
    if let Some(settings) = values::model_settings(&spec.model_settings) {
        agent = agent.model_settings(settings);
    }
    if let Some(respan) = &spec.respan {
        agent = agent.respan(values::respan_params(respan));
    }
    if let Some(prompt) = &spec.prompt {
        agent = agent.prompt(values::gateway_prompt(prompt));
    }
    agent
}

/// The handoff to `target` with the options the file gives it that need no
/// Rust (the others are refused before: see [`crate::load`]).
fn handoff(target: String, options: &respan_codegen::spec::HandoffSpec) -> Handoff<String> {
    let mut handoff = Handoff::to(target);
    if let Some(name) = &options.tool_name {
        handoff = handoff.tool_name(name.value.clone());
    }
    if let Some(description) = &options.description {
        handoff = handoff.description(description.value.clone());
    }
    if let Some(filter) = &options.input_filter {
        match &filter.value {
            InputFilterSpec::RemoveAllTools => {
                handoff = handoff.input_filter(InputFilter::RemoveAllTools);
            }
            InputFilterSpec::NestHistory => {
                handoff = handoff.input_filter(InputFilter::NestHistory);
            }
            InputFilterSpec::Rust(_) => {}
        }
    }
    if let Some(HandoffInputSpec::Schema(schema)) = &options.input {
        handoff = handoff.input_schema(schema.value.clone());
    }
    if let Some(EnabledSpec::Fixed(enabled)) = &options.enabled {
        handoff = handoff.enabled(enabled.value);
    }
    handoff
}

/// An `[tools.<name>] agent = "<id>"` as the runtime's agent tool.
pub fn agent_tool(tool: &ToolSpec) -> AgentTool<String> {
    let target = tool
        .agent
        .as_ref()
        .map_or_else(String::new, |a| a.value.clone());
    let mut agent_tool = AgentTool::new(target).name(tool.name.value.clone());
    if let Some(description) = &tool.description {
        agent_tool = agent_tool.description(description.value.clone());
    }
    if let Some(max_turns) = &tool.max_turns {
        agent_tool = agent_tool.max_turns(max_turns.value);
    }
    if let Some(secs) = &tool.timeout_secs {
        agent_tool = agent_tool.timeout(std::time::Duration::from_secs_f64(secs.value));
    }
    agent_tool
}

/// A tool of an agent: a function (a command) or another agent.
pub enum AnyTool {
    /// A function tool.
    Function(Arc<dyn Tool<()>>),
    /// An agent of the run, as a tool.
    Agent(AgentTool<String>),
}

/// The agent with its tools, in the order its `tools` lists them.
pub fn with_tools(
    mut agent: Agent<String>,
    tools: impl IntoIterator<Item = AnyTool>,
) -> Agent<String> {
    for tool in tools {
        agent = match tool {
            AnyTool::Function(tool) => agent.tool_arc(tool),
            AnyTool::Agent(tool) => agent.agent_tool(tool),
        };
    }
    agent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(source: &str) -> respan_codegen::Spec {
        let checked = respan_codegen::check_source("w.toml", source);
        assert!(!checked.has_errors(), "{}", checked.render(false));
        checked.spec.unwrap()
    }

    #[test]
    fn every_field_reaches_the_runtime_agent() {
        let spec = spec(
            r#"
[workflow]
entry = "a"
[agents.a]
name = "Agent A"
instructions = "Help {{ user }}."
handoff_description = "Does things"
handoffs = ["b"]
model = "gemini-2.5-flash"
tool_use_behavior = "stop_on_first_tool"
model_settings = { temperature = 0.5, seed = -1 }
respan = { customer_identifier = "u1" }
prompt = { prompt_id = "p1", placement = "header" }
output = { schema = { type = "object", properties = { x = { type = "string" } } } }
[agents.b]
instructions = "Plain {text}."
"#,
        );
        let vars = BTreeMap::from([("user".to_string(), "Ada".to_string())]);
        let a = agent(spec.agent("a").unwrap(), &vars);
        assert_eq!(a.key(), "a");
        assert_eq!(a.name(), "Agent A");
        assert_eq!(a.instructions_text(), Some("Help Ada."));
        assert_eq!(a.handoff_description_text(), Some("Does things"));
        assert_eq!(a.handoff_targets(), ["b".to_string()]);
        assert_eq!(a.model_name(), Some("gemini-2.5-flash"));
        assert_eq!(
            a.tool_use(),
            &respan_runtime::ToolUseBehavior::StopOnFirstTool
        );
        assert_eq!(a.settings().temperature, Some(0.5));
        assert_eq!(a.settings().seed, Some(-1));
        assert_eq!(
            a.respan_params().unwrap().customer_identifier.as_deref(),
            Some("u1")
        );
        let prompt = a.gateway_prompt().unwrap();
        assert_eq!(
            (prompt.prompt_id.as_str(), prompt.placement),
            ("p1", respan_runtime::Placement::Header)
        );
        assert_eq!(
            a.output_type().unwrap().schema()["required"],
            serde_json::json!(["x"])
        );
        let b = agent(spec.agent("b").unwrap(), &vars);
        // Text without template syntax is sent as written.
        assert_eq!(b.instructions_text(), Some("Plain {text}."));
        assert_eq!(b.name(), "B");
    }
}
