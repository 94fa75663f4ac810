//! The semantic checks of a [`Spec`] (DESIGN §3 "Details settled", §4): the same
//! for every front end, so `respan check`, build.rs and the macros agree.

use std::collections::{HashMap, HashSet, VecDeque};

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::diagnostic::{Diagnostic, NO_AGENTS, Severity, or_list, out_of_range};
use crate::format;
use crate::identifier::{fixed_identifier, identifier_problem, is_identifier};
use crate::spec::{
    AgentSpec, EnabledSpec, HandoffInputSpec, InputFilterSpec, Span, Spanned, Spec, ToolChoiceSpec,
    ToolUseBehaviorSpec, handoff_tool_name,
};
use crate::suggest::did_you_mean;

/// OpenAI rejects function (tool) names longer than this.
const MAX_TOOL_NAME: usize = 64;

/// Every semantic check of a spec, in no particular order (callers sort).
/// Warnings (unreachable agents, unused tools) are only computed when the spec has
/// no errors, since a broken route would make them noise.
///
/// ```
/// let spec = respan_codegen::parse::parse("support.toml", r#"
/// [workflow]
/// entry = "triage"
/// [agents.triage]
/// handoffs = ["biling"]
/// [agents.billing]
/// "#).spec.unwrap();
/// let diagnostics = respan_codegen::check_spec(&spec);
/// assert_eq!(diagnostics[0].message, "unknown handoff target `biling`");
/// assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `billing`?"));
/// ```
pub fn check_spec(spec: &Spec) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    workflow(spec, &mut out);
    ids(spec, &mut out);
    for agent in &spec.agents {
        handoffs(spec, agent, &mut out);
        handoff_options(agent, &mut out);
        agent_tools(spec, agent, &mut out);
        tool_use_behavior(agent, &mut out);
        settings(agent, &mut out);
        prompt_and_output(agent, &mut out);
        agent_values(agent, &mut out);
    }
    tools(spec, &mut out);
    agent_tool_cycles(spec, &mut out);
    vars(spec, &mut out);
    crate::workflow_tests::check(spec, &mut out);
    if !out.iter().any(|d| d.severity == Severity::Error) {
        unreachable_agents(spec, &mut out);
        unused_tools(spec, &mut out);
        unused_vars(spec, &mut out);
        crate::workflow_tests::warnings(spec, &mut out);
    }
    out
}

fn workflow(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let workflow = &spec.workflow;
    if let Some(problem) = identifier_problem(&workflow.name.value) {
        let mut d = Diagnostic::error(
            format!("invalid workflow name `{}`", workflow.name.value),
            workflow.name.span,
            format!("{problem}: the workflow becomes a Rust module of this name"),
        );
        if workflow.name.span == workflow.span {
            d = d.with_note("without `name`, the workflow is named after its file");
        }
        if let Some(fixed) = fixed_identifier(&workflow.name.value) {
            d = d.with_help(format!("use `name = \"{fixed}\"` in `[workflow]`"));
        }
        out.push(d);
    }
    if let Some(max_turns) = &workflow.max_turns
        && max_turns.value == 0
    {
        out.push(out_of_range("max_turns", "at least 1", "0", max_turns.span));
    }
    if spec.agents.is_empty() {
        out.push(
            Diagnostic::error(NO_AGENTS, workflow.span, "no `[agents.<id>]` table").with_help(
                format!(
                    "declare the entry agent: `[agents.{}]` with `instructions = \"...\"`",
                    if is_identifier(&workflow.entry.value) {
                        workflow.entry.value.as_str()
                    } else {
                        "assistant"
                    }
                ),
            ),
        );
    }
    let entry = &workflow.entry;
    if entry.value.is_empty() && workflow.span == Span::new(0, 0) {
        // No `[workflow]` table at all (a front end without text also lands here).
        let mut d = Diagnostic::error(
            "missing `[workflow]` table",
            workflow.span,
            "expected `[workflow]` with an `entry`",
        );
        if let Some(first) = spec.agents.first() {
            d = d.with_help(format!(
                "start the file with `[workflow]` and `entry = \"{}\"`",
                first.id.value
            ));
        }
        out.push(d);
    } else if entry.value.is_empty() {
        let mut d = Diagnostic::error(
            "missing `entry` in `[workflow]`",
            workflow.span,
            "the workflow needs a starting agent",
        );
        if let Some(first) = spec.agents.first() {
            d = d.with_help(format!("add `entry = \"{}\"`", first.id.value));
        }
        out.push(d);
    } else if spec.agent(&entry.value).is_none() && !spec.agents.is_empty() {
        out.push(unknown_agent(
            spec,
            "unknown entry agent",
            entry,
            "no agent with this id",
        ));
    }
}

pub(crate) fn unknown_agent(
    spec: &Spec,
    what: &str,
    id: &Spanned<String>,
    label: &str,
) -> Diagnostic {
    let mut d = Diagnostic::error(format!("{what} `{}`", id.value), id.span, label);
    if spec.tool(&id.value).is_some() {
        // A tool where an agent belongs.
        let fix = if what.contains("handoff") {
            format!("`{}` is a tool, not an agent: list it in `tools`", id.value)
        } else {
            format!(
                "`{}` is a tool, not an agent: `entry` names the agent that starts the run",
                id.value
            )
        };
        d = d.with_help(fix);
        if !spec.agents.is_empty() {
            d = d.with_note(format!("the agents are {}", agent_ids(spec)));
        }
    } else if let Some(named) = spec.agents.iter().find(|a| a.name.value == id.value) {
        // A display name where an id belongs: the ids are the table keys.
        d = d.with_help(format!(
            "use the agent's id `{}`: `{}` is its display name",
            named.id.value, id.value
        ));
    } else if let Some(suggestion) =
        did_you_mean(&id.value, spec.agents.iter().map(|a| a.id.value.as_str()))
    {
        d = d.with_help(format!("did you mean `{suggestion}`?"));
    } else {
        d = d.with_note(format!("the agents are {}", agent_ids(spec)));
    }
    d
}

/// "`triage`, `billing`": the agent ids, for notes.
fn agent_ids(spec: &Spec) -> String {
    spec.agents
        .iter()
        .map(|a| format!("`{}`", a.id.value))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ids(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, &AgentSpec> = HashMap::new();
    let mut camel: HashMap<String, &AgentSpec> = HashMap::new();
    let mut snake: HashMap<String, &AgentSpec> = HashMap::new();
    for agent in &spec.agents {
        let id = agent.id.value.as_str();
        if let Some(problem) = identifier_problem(id) {
            let mut d = Diagnostic::error(
                format!("invalid agent id `{id}`"),
                agent.id.span,
                problem,
            )
            .with_note(
                "agent ids are snake_case Rust identifiers: each becomes an `Agent` enum variant",
            );
            if let Some(fixed) = fixed_identifier(id) {
                d = d.with_help(format!("rename it, e.g. `{fixed}`"));
            }
            out.push(d);
            continue;
        }
        if let Some(first) = seen.insert(id, agent) {
            out.push(
                Diagnostic::error(
                    format!("duplicate agent id `{id}`"),
                    agent.id.span,
                    "defined again here",
                )
                .with_related(first.id.span, "first defined here"),
            );
            continue;
        }
        for (converted, map, kind) in [
            (id.to_upper_camel_case(), &mut camel, "CamelCase"),
            (id.to_snake_case(), &mut snake, "snake_case"),
        ] {
            if let Some(first) = map.get(&converted) {
                out.push(
                    Diagnostic::error(
                        format!(
                            "agent ids `{}` and `{id}` collide: both are `{converted}` in {kind}",
                            first.id.value
                        ),
                        agent.id.span,
                        format!("becomes `{converted}`"),
                    )
                    .with_related(first.id.span, format!("also becomes `{converted}`"))
                    .with_help("rename one of them"),
                );
                break;
            }
            map.insert(converted, agent);
        }
    }
    let mut tool_names: HashMap<&str, Span> = HashMap::new();
    for tool in &spec.tools {
        let name = tool.name.value.as_str();
        if let Some(problem) = identifier_problem(name) {
            let mut d = Diagnostic::error(
                format!("invalid tool name `{name}`"),
                tool.name.span,
                problem,
            );
            if !tool.is_agent_tool() {
                d = d.with_note("a tool binds to the Rust function of the same name");
            }
            if let Some(fixed) = fixed_identifier(name) {
                d = d.with_help(format!("rename it, e.g. `{fixed}`"));
            }
            out.push(d);
        } else if name.len() > MAX_TOOL_NAME {
            out.push(Diagnostic::error(
                format!("tool name `{name}` is too long"),
                tool.name.span,
                format!(
                    "{} characters; the API accepts at most {MAX_TOOL_NAME}",
                    name.len()
                ),
            ));
        }
        if let Some(first) = tool_names.insert(name, tool.name.span) {
            out.push(
                Diagnostic::error(
                    format!("duplicate tool `{name}`"),
                    tool.name.span,
                    "defined again here",
                )
                .with_related(first, "first defined here"),
            );
        }
    }
}

fn handoffs(spec: &Spec, agent: &AgentSpec, out: &mut Vec<Diagnostic>) {
    let mut listed: HashMap<&str, Span> = HashMap::new();
    let mut tool_names: HashMap<String, (&Spanned<String>, &AgentSpec)> = HashMap::new();
    for target in &agent.handoffs {
        let id = target.value.as_str();
        if id == agent.id.value {
            out.push(
                Diagnostic::error(
                    format!("agent `{id}` hands off to itself"),
                    target.span,
                    "an agent cannot hand off to itself",
                )
                .with_help(format!("remove `{id}` from its `handoffs`")),
            );
            continue;
        }
        if let Some(first) = listed.insert(id, target.span) {
            out.push(
                Diagnostic::error(
                    format!("handoff target `{id}` is listed twice"),
                    target.span,
                    "listed again here",
                )
                .with_related(first, "first listed here")
                .with_help("remove the second one"),
            );
            continue;
        }
        let Some(target_agent) = spec.agent(id) else {
            out.push(unknown_agent(
                spec,
                "unknown handoff target",
                target,
                "no agent with this id",
            ));
            continue;
        };
        let overridden = agent
            .handoff_options(id)
            .and_then(|options| options.tool_name.as_ref());
        let tool_name = offered_handoff_name(agent, target_agent);
        if let Some(name) = overridden {
            if let Some(problem) = tool_name_problem(&name.value) {
                out.push(
                    Diagnostic::error(
                        format!("invalid handoff `tool_name` `{}`", name.value),
                        name.span,
                        problem,
                    )
                    .with_help("a tool name is 1 to 64 letters, digits, `_` or `-`"),
                );
            }
        } else if tool_name.len() > MAX_TOOL_NAME {
            out.push(Diagnostic::error(
                format!("handoff tool name `{tool_name}` is too long"),
                target_agent.name.span,
                format!(
                    "the handoff to this agent is offered as a {}-character tool name; the API accepts at most {MAX_TOOL_NAME}",
                    tool_name.len()
                ),
            ).with_help("use a shorter display `name`"));
        }
        if let Some(tool) = agent.tools.iter().find(|t| t.value == tool_name) {
            let offered = overridden.map_or(target.span, |name| name.span);
            out.push(
                Diagnostic::error(
                    format!(
                        "tool `{tool_name}` of agent `{}` has the name of its handoff to `{id}`",
                        agent.id.value
                    ),
                    tool.span,
                    "this tool's name",
                )
                .with_related(offered, format!("the handoff to `{id}` is offered as `{tool_name}`"))
                .with_help("rename the tool: the model could not tell the two apart")
                .with_note("the handoff tool is `transfer_to_` + the display name with every character outside [A-Za-z0-9_] turned into `_`, lower-cased"),
            );
        }
        if let Some((first, first_agent)) = tool_names.get(&tool_name) {
            out.push(
                Diagnostic::error(
                    format!(
                        "handoff targets `{}` and `{id}` of agent `{}` have the same tool name `{tool_name}`",
                        first.value, agent.id.value
                    ),
                    target.span,
                    format!("`{}` also becomes `{tool_name}`", target_agent.name.value),
                )
                .with_related(first.span, format!("`{}` becomes `{tool_name}`", first_agent.name.value))
                .with_help("give one of the agents a different display `name`")
                .with_note("the handoff tool is `transfer_to_` + the display name with every character outside [A-Za-z0-9_] turned into `_`, lower-cased"),
            );
            continue;
        }
        tool_names.insert(tool_name, (target, target_agent));
    }
}

fn agent_tools(spec: &Spec, agent: &AgentSpec, out: &mut Vec<Diagnostic>) {
    let mut listed: HashMap<&str, Span> = HashMap::new();
    for tool in &agent.tools {
        let name = tool.value.as_str();
        if let Some(first) = listed.insert(name, tool.span) {
            out.push(
                Diagnostic::error(
                    format!("tool `{name}` is listed twice"),
                    tool.span,
                    "listed again here",
                )
                .with_related(first, "first listed here"),
            );
            continue;
        }
        if spec.tool(name).is_none() {
            let mut d = Diagnostic::error(
                format!("unknown tool `{name}`"),
                tool.span,
                "no `[tools.<name>]` table declares it",
            );
            if spec.agent(name).is_some() {
                d = d.with_help(format!(
                    "`{name}` is an agent, not a tool: list it in `handoffs`"
                ));
            } else if let Some(suggestion) =
                did_you_mean(name, spec.tools.iter().map(|t| t.name.value.as_str()))
            {
                d = d.with_help(format!("did you mean `{suggestion}`?"));
            } else {
                d = d.with_help(format!("declare it: `[tools.{name}]` with a `description`"));
            }
            out.push(d);
        }
    }
    if let Some(choice) = &agent.model_settings.tool_choice
        && let ToolChoiceSpec::Function(name) = &choice.value
    {
        let handoff_names: Vec<String> = agent
            .handoffs
            .iter()
            .filter_map(|t| spec.agent(&t.value))
            .map(|a| offered_handoff_name(agent, a))
            .collect();
        let known = agent.tools.iter().any(|t| &t.value == name) || handoff_names.contains(name);
        if !known {
            let candidates: Vec<&str> = agent
                .tools
                .iter()
                .map(|t| t.value.as_str())
                .chain(handoff_names.iter().map(String::as_str))
                .chain(["auto", "required", "none"])
                .collect();
            let mut d = Diagnostic::error(
                format!(
                    "`tool_choice` names `{name}`, which agent `{}` does not have",
                    agent.id.value
                ),
                choice.span,
                "not one of this agent's tools",
            );
            if let Some(suggestion) = did_you_mean(name, candidates.iter().copied()) {
                d = d.with_help(format!("did you mean `{suggestion}`?"));
            } else {
                d = d.with_note(format!(
                    "`tool_choice` is `auto`, `required`, `none` or one of the agent's tools ({})",
                    if agent.tools.is_empty() {
                        "it has none".to_owned()
                    } else {
                        or_list(
                            &agent
                                .tools
                                .iter()
                                .map(|t| t.value.as_str())
                                .collect::<Vec<_>>(),
                        )
                    }
                ));
            }
            out.push(d);
        }
    }
}

fn settings(agent: &AgentSpec, out: &mut Vec<Diagnostic>) {
    let s = &agent.model_settings;
    // The ranges the format states (and the JSON Schema shows editors).
    let ranges = [
        ("temperature", &s.temperature),
        ("top_p", &s.top_p),
        ("frequency_penalty", &s.frequency_penalty),
        ("presence_penalty", &s.presence_penalty),
    ]
    .map(|(key, value)| {
        let (min, max) = format::number_range(&format::MODEL_SETTINGS, key)
            .expect("the format gives every sampling setting a range");
        (key, value, min, max, format!("between {min} and {max}"))
    });
    for (key, value, min, max, text) in ranges {
        if let Some(value) = value
            && !(min..=max).contains(&value.value)
        {
            out.push(out_of_range(
                key,
                &text,
                &value.value.to_string(),
                value.span,
            ));
        }
    }
    if let Some(max_tokens) = &s.max_tokens
        && max_tokens.value == 0
    {
        out.push(out_of_range(
            "max_tokens",
            "at least 1",
            "0",
            max_tokens.span,
        ));
    }
    let mut headers: HashMap<String, Span> = HashMap::new();
    for (name, _) in &s.extra_headers {
        let valid = !name.value.is_empty()
            && name
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid {
            out.push(Diagnostic::error(
                format!("invalid HTTP header name `{}`", name.value),
                name.span,
                "header names are letters, digits and `-` (no spaces)",
            ));
        }
        if let Some(first) = headers.insert(name.value.to_ascii_lowercase(), name.span)
            && first != name.span
        {
            out.push(
                Diagnostic::error(
                    format!("header `{}` is set twice", name.value),
                    name.span,
                    "set again here",
                )
                .with_related(first, "first set here")
                .with_note("HTTP header names are case-insensitive"),
            );
        }
    }
}

fn prompt_and_output(agent: &AgentSpec, out: &mut Vec<Diagnostic>) {
    if let Some(prompt) = &agent.prompt {
        if prompt.prompt_id.value.is_empty() {
            let missing = prompt.prompt_id.span == prompt.span;
            out.push(
                Diagnostic::error(
                    if missing {
                        "prompt without `prompt_id`"
                    } else {
                        "empty `prompt_id`"
                    },
                    prompt.prompt_id.span,
                    if missing {
                        "missing `prompt_id`"
                    } else {
                        "the prompt id cannot be empty"
                    },
                )
                .with_help(
                    "add `prompt_id = \"...\"`, the id of the prompt on the Respan platform",
                ),
            );
        }
        if !(1..=2).contains(&prompt.schema_version.value) {
            out.push(out_of_range(
                "schema_version",
                "1 or 2",
                &prompt.schema_version.value.to_string(),
                prompt.schema_version.span,
            ));
        }
    }
    if let Some(output) = &agent.output
        && let (Some(schema), Some(rust)) = (&output.schema, &output.rust)
    {
        out.push(
            Diagnostic::error(
                "`output` has both `schema` and `rust`",
                rust.span,
                "the Rust type gives the schema",
            )
            .with_related(schema.span, "and so does this")
            .with_help("keep `rust = \"...\"` (its schema comes from `JsonSchema`), or remove it for an untyped `schema`"),
        );
    }
    if let Some(output) = &agent.output
        && output.schema.is_none()
        && output.rust.is_none()
    {
        out.push(
            Diagnostic::error(
                "`output` needs `schema` or `rust`",
                output.span,
                "neither is set",
            )
            .with_help("add `schema = { type = \"object\", ... }` or `rust = \"path::to::Type\"`"),
        );
    }
}

/// Values that type-check but cannot work: empty names, schemas that are not
/// object schemas, header values HTTP cannot carry, Rust paths that do not parse.
fn agent_values(agent: &AgentSpec, out: &mut Vec<Diagnostic>) {
    if agent.name.value.trim().is_empty() {
        out.push(
            Diagnostic::error(
                format!("empty `name` for agent `{}`", agent.id.value),
                agent.name.span,
                "the display name cannot be empty",
            )
            .with_help(format!(
                "write a display name, or remove `name` to use `{}`",
                crate::spec::default_display_name(&agent.id.value)
            ))
            .with_note(
                "the display name is shown in traces and names the handoff tool to this agent",
            ),
        );
    }
    if let Some(model) = &agent.model
        && model.value.trim().is_empty()
    {
        out.push(
            Diagnostic::error("empty `model`", model.span, "no model named")
                .with_help("name a model the gateway serves, e.g. `model = \"gpt-4o\"`, or remove `model` to use the run's default model"),
        );
    }
    if let Some(respan) = &agent.respan {
        for model in &respan.fallback_models {
            if model.value.trim().is_empty() {
                out.push(
                    Diagnostic::error(
                        "empty model name in `fallback_models`",
                        model.span,
                        "no model named",
                    )
                    .with_help("name a model the gateway serves, e.g. `\"gpt-4o-mini\"`, or remove this entry"),
                );
            }
        }
    }
    for (name, value) in &agent.model_settings.extra_headers {
        if value
            .value
            .bytes()
            .any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
        {
            out.push(
                Diagnostic::error(
                    format!("invalid value for HTTP header `{}`", name.value),
                    value.span,
                    "contains a control character (a newline?)",
                )
                .with_help("header values are one line of text: remove the line breaks and control characters"),
            );
        }
    }
    if let Some(Spanned {
        value: ToolUseBehaviorSpec::StopAtTools(names),
        span,
    }) = &agent.tool_use_behavior
        && names.is_empty()
    {
        out.push(
            Diagnostic::error("empty `stop_at_tools`", *span, "names no tool")
                .with_help("name the tools whose output ends the run, or use `tool_use_behavior = \"run_llm_again\"` (the default)"),
        );
    }
    if let Some(output) = &agent.output {
        if let Some(schema) = &output.schema
            && let Some(problem) = object_schema_problem(&schema.value)
        {
            out.push(
                Diagnostic::error(
                    format!("`output.schema` of agent `{}` must be an object schema", agent.id.value),
                    schema.span,
                    problem,
                )
                .with_help("structured output is a JSON object: `schema = { type = \"object\", properties = { answer = { type = \"string\" } } }`"),
            );
        }
        if let Some(rust) = &output.rust {
            rust_path("rust", rust, "a type, e.g. `crate::Ticket`", out);
        }
    }
    if let Some(function) = &agent.instructions_fn {
        rust_path(
            "instructions_fn",
            function,
            "a function `fn(&Ctx, &respan::Agent<Agent, Ctx>) -> String`, e.g. `crate::prompts::billing`",
            out,
        );
    }
}

/// Why a JSON Schema is not an object schema (`type = "object"`, `properties` a
/// table), if it is not.
pub(crate) fn object_schema_problem(schema: &serde_json::Value) -> Option<String> {
    match schema.get("type") {
        None => return Some("no `type`: expected `type = \"object\"`".to_owned()),
        Some(kind) if kind != "object" => return Some(format!("`type` is {kind}")),
        Some(_) => {}
    }
    match schema.get("properties") {
        Some(properties) if !properties.is_object() => {
            Some("`properties` must be a table of property schemas".to_owned())
        }
        _ => None,
    }
}

/// `rust = "..."` (or `instructions_fn = "..."`, the `key`) must be a Rust
/// path (`crate::tools::lookup`).
fn rust_path(key: &str, rust: &Spanned<String>, what: &str, out: &mut Vec<Diagnostic>) {
    if syn::parse_str::<syn::Path>(&rust.value).is_ok() {
        return;
    }
    let headline = if rust.value.trim().is_empty() {
        format!("empty `{key}` path")
    } else {
        format!("invalid Rust path `{}`", rust.value)
    };
    out.push(
        Diagnostic::error(headline, rust.span, format!("expected the path of {what}")).with_help(
            format!("write a Rust path such as `crate::module::name`, or remove `{key}`"),
        ),
    );
}

/// `[vars]` names must be names a template can use: `{{ name }}`.
fn vars(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for var in &spec.vars {
        let name = var.name.value.as_str();
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            let mut d = Diagnostic::error(
                format!("invalid template variable name `{name}`"),
                var.name.span,
                "no template can use this name",
            )
            .with_note("template variables are identifiers: letters, digits and `_`, not starting with a digit");
            if let Some(fixed) = fixed_identifier(name) {
                d = d.with_help(format!("rename it, e.g. `{fixed}`"));
            }
            out.push(d);
        }
    }
}

/// `tool_use_behavior = { stop_at_tools = [..] }` names the agent's own tools.
fn tool_use_behavior(agent: &AgentSpec, out: &mut Vec<Diagnostic>) {
    let Some(behavior) = &agent.tool_use_behavior else {
        return;
    };
    let ToolUseBehaviorSpec::StopAtTools(names) = &behavior.value else {
        return;
    };
    for name in names {
        if agent.tools.iter().any(|tool| tool.value == name.value) {
            continue;
        }
        let mut d = Diagnostic::error(
            format!(
                "`stop_at_tools` names `{}`, which agent `{}` does not have",
                name.value, agent.id.value
            ),
            name.span,
            "not one of this agent's tools",
        );
        d = match did_you_mean(&name.value, agent.tools.iter().map(|t| t.value.as_str())) {
            Some(known) => d.with_help(format!("did you mean `{known}`?")),
            None if agent.tools.is_empty() => {
                d.with_help(format!("agent `{}` has no `tools`", agent.id.value))
            }
            None => d.with_help(format!(
                "the agent's tools are {}",
                agent
                    .tools
                    .iter()
                    .map(|t| format!("`{}`", t.value))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        out.push(d);
    }
}

fn tools(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for tool in &spec.tools {
        if let Some(agent) = &tool.agent
            && spec.agent(&agent.value).is_none()
        {
            let mut d = Diagnostic::error(
                format!("unknown agent `{}`", agent.value),
                agent.span,
                format!("tool `{}` runs no agent of this file", tool.name.value),
            );
            if let Some(named) = spec.agents.iter().find(|a| a.name.value == agent.value) {
                d = d.with_help(format!(
                    "use the agent's id `{}`: `{}` is its display name",
                    named.id.value, agent.value
                ));
            } else if let Some(suggestion) = did_you_mean(
                &agent.value,
                spec.agents.iter().map(|a| a.id.value.as_str()),
            ) {
                d = d.with_help(format!("did you mean `{suggestion}`?"));
            } else if !spec.agents.is_empty() {
                d = d.with_note(format!("the agents are {}", agent_ids(spec)));
            }
            out.push(d);
        }
        if let Some(max_turns) = &tool.max_turns {
            if max_turns.value == 0 {
                out.push(out_of_range("max_turns", "at least 1", "0", max_turns.span));
            }
            if tool.agent.is_none() {
                out.push(
                    Diagnostic::error(
                        format!("`max_turns` on function tool `{}`", tool.name.value),
                        max_turns.span,
                        "only an agent tool makes model calls",
                    )
                    .with_help(
                        "remove `max_turns`, or make the tool run an agent: `agent = \"<id>\"`",
                    ),
                );
            }
        }
        if let Some(timeout) = &tool.timeout_secs
            && !(timeout.value > 0.0
                && timeout.value.is_finite()
                && timeout.value <= format::MAX_TOOL_TIMEOUT_SECS)
        {
            out.push(out_of_range(
                "timeout_secs",
                &format!(
                    "a positive number of seconds (at most {})",
                    format::MAX_TOOL_TIMEOUT_SECS
                ),
                &timeout.value.to_string(),
                timeout.span,
            ));
        }
        if tool.description.is_none()
            && let Some(command) = &tool.command
        {
            out.push(
                Diagnostic::error(
                    format!("tool `{}` runs a `command` but has no `description`", tool.name.value),
                    command.span,
                    "the CLI has no doc comment to read",
                )
                .with_help("add `description = \"...\"`: the model reads it to decide when to call the tool")
                .with_note("a tool bound to a `#[respan_tool]` function may leave it out: the function's doc comment is used"),
            );
        }
        if let Some(command) = &tool.command
            && command
                .value
                .first()
                .is_none_or(|program| program.is_empty())
        {
            out.push(Diagnostic::error(
                format!("empty `command` for tool `{}`", tool.name.value),
                command.span,
                "expected a program and its arguments",
            ));
        }
        if let Some(parameters) = &tool.parameters
            && let Some(problem) = object_schema_problem(&parameters.value)
        {
            out.push(
                Diagnostic::error(
                    format!(
                        "tool `{}` parameters must be an object schema",
                        tool.name.value
                    ),
                    parameters.span,
                    problem,
                )
                .with_help("function tools take `type = \"object\"` with `properties`"),
            );
        }
        if let Some(description) = &tool.description
            && description.value.trim().is_empty()
        {
            out.push(
                Diagnostic::error(
                    format!("empty `description` for tool `{}`", tool.name.value),
                    description.span,
                    "the model reads this to decide when to call the tool",
                )
                .with_help("say what the tool does and when to use it"),
            );
        }
        if let Some(rust) = &tool.rust {
            rust_path(
                "rust",
                rust,
                "a `#[respan_tool]` function, e.g. `crate::tools::lookup`",
                out,
            );
        }
    }
}

fn unreachable_agents(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let Some(entry) = spec.entry_agent() else {
        return;
    };
    let mut reached: HashSet<&str> = HashSet::from([entry.id.value.as_str()]);
    let mut queue = VecDeque::from([entry]);
    while let Some(agent) = queue.pop_front() {
        for target in agent.handoffs.iter().chain(agent_tool_targets(spec, agent)) {
            if let Some(next) = spec.agent(&target.value)
                && reached.insert(next.id.value.as_str())
            {
                queue.push_back(next);
            }
        }
    }
    for agent in &spec.agents {
        if !reached.contains(agent.id.value.as_str()) {
            out.push(
                Diagnostic::warning(
                    format!("agent `{}` is unreachable", agent.id.value),
                    agent.id.span,
                    format!(
                        "no handoff or agent tool route from `{}` reaches this agent",
                        entry.id.value
                    ),
                )
                .with_help(format!(
                    "add `{}` to the `handoffs` of an agent reachable from the entry, or remove it",
                    agent.id.value
                )),
            );
        }
    }
}

fn unused_tools(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for tool in &spec.tools {
        let used = spec
            .agents
            .iter()
            .any(|agent| agent.tools.iter().any(|t| t.value == tool.name.value));
        if !used {
            out.push(
                Diagnostic::warning(
                    format!("tool `{}` is never used", tool.name.value),
                    tool.name.span,
                    "no agent lists it in `tools`",
                )
                .with_help(format!(
                    "add `tools = [\"{}\"]` to an agent, or remove it",
                    tool.name.value
                )),
            );
        }
    }
}

/// A `[vars]` default no agent's instructions read (a typo, or a leftover).
fn unused_vars(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let used = crate::spec::template_variables(&spec.agents);
    for var in &spec.vars {
        let name = var.name.value.as_str();
        if used.iter().any(|(used, _)| used == name) {
            continue;
        }
        let mut d = Diagnostic::warning(
            format!("template variable `{name}` is never used"),
            var.name.span,
            format!("no agent's `instructions` use `{{{{ {name} }}}}`"),
        );
        let unset = used
            .iter()
            .map(|(used, _)| used.as_str())
            .filter(|used| spec.var(used).is_none());
        d = match did_you_mean(name, unset) {
            Some(known) => d.with_help(format!(
                "did you mean `{known}`? Its instructions use `{{{{ {known} }}}}`"
            )),
            None => d.with_help(format!(
                "use it in an agent's `instructions` as `{{{{ {name} }}}}`, or remove it"
            )),
        };
        out.push(d);
    }
}

/// The handoff tool name `agent` offers for a handoff to `target`: its
/// `tool_name` option, or `transfer_to_<name>`.
pub(crate) fn offered_handoff_name(agent: &AgentSpec, target: &AgentSpec) -> String {
    agent
        .handoff_options(&target.id.value)
        .and_then(|options| options.tool_name.as_ref())
        .map_or_else(
            || handoff_tool_name(&target.name.value),
            |name| name.value.clone(),
        )
}

/// Why a tool name would be rejected by the API (`^[a-zA-Z0-9_-]{1,64}$`).
fn tool_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("a tool name cannot be empty".to_owned())
    } else if name.len() > MAX_TOOL_NAME {
        Some(format!(
            "{} characters; the API accepts at most {MAX_TOOL_NAME}",
            name.len()
        ))
    } else {
        name.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
            .map(|c| format!("`{c}` is not allowed in a tool name"))
    }
}

/// The `agent = ...` values of the agent tools `agent` lists.
fn agent_tool_targets<'s>(
    spec: &'s Spec,
    agent: &'s AgentSpec,
) -> impl Iterator<Item = &'s Spanned<String>> + 's {
    agent
        .tools
        .iter()
        .filter_map(|name| spec.tool(&name.value)?.agent.as_ref())
}

/// `[agents.<id>.handoff.<target>]`: each for a target of `handoffs`, with
/// values of the right shape.
fn handoff_options(agent: &AgentSpec, out: &mut Vec<Diagnostic>) {
    for options in &agent.handoff_options {
        let target = &options.target;
        if !agent.handoffs.iter().any(|t| t.value == target.value) {
            let mut d = Diagnostic::error(
                format!(
                    "handoff options for `{}`, which agent `{}` does not hand off to",
                    target.value, agent.id.value
                ),
                target.span,
                "not in this agent's `handoffs`",
            );
            d = match did_you_mean(
                &target.value,
                agent.handoffs.iter().map(|t| t.value.as_str()),
            ) {
                Some(listed) => d.with_help(format!("did you mean `{listed}`?")),
                None => d.with_help(format!(
                    "add it to the agent's handoffs: `handoffs = [{}]`",
                    agent
                        .handoffs
                        .iter()
                        .map(|t| format!("\"{}\"", t.value))
                        .chain([format!("\"{}\"", target.value)])
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            out.push(d.with_note(
                "a `[agents.<id>.handoff.<target>]` table sets options of a handoff `handoffs` lists",
            ));
        }
        if let Some(HandoffInputSpec::Schema(schema)) = &options.input
            && let Some(problem) = object_schema_problem(&schema.value)
        {
            out.push(
                Diagnostic::error(
                    format!(
                        "handoff `input_schema` for `{}` must be an object schema",
                        target.value
                    ),
                    schema.span,
                    problem,
                )
                .with_help(
                    "the handoff is a tool: its input is `type = \"object\"` with `properties`",
                ),
            );
        }
        if let Some(description) = &options.description
            && description.value.trim().is_empty()
        {
            out.push(
                Diagnostic::error(
                    format!("empty handoff `description` for `{}`", target.value),
                    description.span,
                    "the model reads this to decide when to hand off",
                )
                .with_help("say what the target agent handles, or remove `description`"),
            );
        }
        if let Some(filter) = &options.input_filter
            && let InputFilterSpec::Rust(path) = &filter.value
        {
            rust_path(
                "input_filter_fn",
                &Spanned::new(path.clone(), filter.span),
                "a function `fn(&[respan::InputItem]) -> Vec<respan::InputItem>`, e.g. `crate::filters::last_message`",
                out,
            );
        }
        if let Some(HandoffInputSpec::Rust(path)) = &options.input {
            rust_path(
                "input_type",
                path,
                "a type (`serde::Deserialize + schemars::JsonSchema`), e.g. `crate::Escalation`",
                out,
            );
        }
        if let Some(function) = &options.on_handoff {
            rust_path(
                "on_handoff",
                function,
                "a function `fn(&Ctx, <Agent>Handoff)`, e.g. `crate::on_escalate`",
                out,
            );
        }
        if let Some(EnabledSpec::Rust(path)) = &options.enabled {
            rust_path(
                "is_enabled_fn",
                path,
                "a function `fn(&Ctx, &respan::Agent<Agent, Ctx>) -> bool`, e.g. `crate::billing_open`",
                out,
            );
        }
    }
}

/// An agent that is its own tool, directly or through other agent tools,
/// would run itself without end: reported once per cycle, at the `agent = ...`
/// value that closes it.
fn agent_tool_cycles(spec: &Spec, out: &mut Vec<Diagnostic>) {
    // edges[i]: (j, tool name, the `agent` value) for each agent tool of agent i.
    let index = |id: &str| spec.agents.iter().position(|a| a.id.value == id);
    let edges: Vec<Vec<(usize, &str, &Spanned<String>)>> = spec
        .agents
        .iter()
        .map(|agent| {
            agent
                .tools
                .iter()
                .filter_map(|name| {
                    let tool = spec.tool(&name.value)?;
                    let target = tool.agent.as_ref()?;
                    Some((index(&target.value)?, tool.name.value.as_str(), target))
                })
                .collect()
        })
        .collect();
    let mut reported: HashSet<Vec<usize>> = HashSet::new();
    for start in 0..spec.agents.len() {
        // Breadth first: the shortest way back to `start`.
        let mut previous: HashMap<usize, (usize, usize)> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(at) = queue.pop_front() {
            for (edge, &(next, _, _)) in edges[at].iter().enumerate() {
                if next == start {
                    closing = Some((at, edge));
                    break 'search;
                }
                if let std::collections::hash_map::Entry::Vacant(slot) = previous.entry(next) {
                    slot.insert((at, edge));
                    queue.push_back(next);
                }
            }
        }
        let Some((last, last_edge)) = closing else {
            continue;
        };
        // The path start -> ... -> last, then last -> start.
        let mut path = vec![(last, last_edge)];
        let mut at = last;
        while at != start {
            let (from, edge) = previous[&at];
            path.push((from, edge));
            at = from;
        }
        path.reverse();
        let mut members: Vec<usize> = path.iter().map(|(from, _)| *from).collect();
        members.sort_unstable();
        if !reported.insert(members) {
            continue;
        }
        let agent = &spec.agents[start].id.value;
        let (_, tool, value) = edges[last][last_edge];
        if path.len() == 1 {
            out.push(
                Diagnostic::error(
                    format!("agent `{agent}` is its own tool"),
                    value.span,
                    format!("tool `{tool}` of agent `{agent}` runs `{agent}`"),
                )
                .with_help(format!(
                    "remove `{tool}` from the `tools` of `{agent}`, or make it run another agent"
                ))
                .with_note("an agent tool runs the agent to answer the call: an agent calling itself would never finish"),
            );
            continue;
        }
        let mut route = format!("`{agent}`");
        for &(from, edge) in &path {
            let (to, tool, _) = edges[from][edge];
            route.push_str(&format!(
                " -> `{}` (tool `{tool}`)",
                spec.agents[to].id.value
            ));
        }
        let mut d = Diagnostic::error(
            format!("agent tools form a cycle: {route}"),
            value.span,
            format!("tool `{tool}` runs `{agent}` again"),
        );
        for &(from, edge) in &path[..path.len() - 1] {
            let (_, tool, value) = edges[from][edge];
            d = d.with_related(
                value.span,
                format!("tool `{tool}` of `{}`", spec.agents[from].id.value),
            );
        }
        out.push(
            d.with_help(
                "break the cycle: one of these agents must not (indirectly) run itself as a tool",
            )
            .with_note(
                "an agent tool runs the agent to answer the call: a cycle would never finish",
            ),
        );
    }
}
