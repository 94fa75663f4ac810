//! The one-agent spec of an attribute, checked by the same checker as TOML files.
//!
//! The agent's handoff targets and tools are Rust items rustc resolves; for the
//! checker they are placeholders, so only this agent's own mistakes show. What
//! only the struct can say (its fields are the template variables) is checked
//! here, before the checker runs.

use heck::ToSnakeCase;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Fields, ItemStruct, LitStr, Path};

use super::args::{AgentToolArgs, Args, HandoffArgs, path_text};
use super::errors::{self, Errors};
use super::spans::SourceMap;
use crate::diagnostic::Diagnostic;
use crate::spec::{
    self, AgentSpec, EnabledSpec, HandoffInputSpec, HandoffSpec, InputFilterSpec,
    ModelSettingsSpec, Spanned, Template, ToolSpec, WorkflowSpec,
};
use crate::suggest::did_you_mean;
use crate::{Spec, check_spec};

/// The agent an attribute declares, as the spec the checker saw.
pub(crate) struct Checked {
    pub(crate) id: String,
    pub(crate) name: String,
    /// `handoffs` and `handoff_options` in the order of the arguments'
    /// `handoffs` and `handoff(..)`s.
    pub(crate) agent: AgentSpec,
    /// The `agent_tool(..)`s as `[tools.<name>] agent = ".."` tables, in order.
    pub(crate) agent_tools: Vec<ToolSpec>,
}

/// Builds the agent's spec from the arguments and the struct, and checks it.
pub(crate) fn check(
    args: &Args,
    item: &ItemStruct,
    source: &mut SourceMap,
    errors: &mut Errors,
) -> Checked {
    let struct_name = item.ident.to_string();
    let id = match &args.id {
        Some(lit) => source.text(lit.value(), lit),
        None => source.text(struct_name.to_snake_case(), &item.ident),
    };
    let name = match &args.name {
        Some(lit) => source.text(lit.value(), lit),
        None => source.text(spec::default_display_name(&id), &item.ident),
    };
    let fields = fields(item, errors);
    let instructions = args
        .instructions
        .as_ref()
        .and_then(|lit| template(lit, &struct_name, &fields, source, errors));
    let handoffs: Vec<Spanned<String>> = args
        .handoffs
        .iter()
        .map(|path| source.text(agent_id(path, &id.value), path))
        .collect();
    let handoff_options: Vec<HandoffSpec> = args
        .handoff_options
        .iter()
        .map(|handoff| handoff_spec(handoff, &id.value, source))
        .collect();
    let mut tools: Vec<Spanned<String>> = args
        .tools
        .iter()
        .map(|path| source.text(last_segment(path), path))
        .collect();
    let mut tool_specs: Vec<ToolSpec> = tools.iter().map(placeholder_tool).collect();
    // Agent tools come after the function tools, in declaration order.
    let agent_tools: Vec<ToolSpec> = args
        .agent_tools
        .iter()
        .map(|tool| agent_tool_spec(tool, &id.value, source))
        .collect();
    for (tool, written) in agent_tools.iter().zip(&args.agent_tools) {
        // Without `name`, the tool's name is the target's display name in
        // function style, which only that struct knows: the checker gets the
        // name the target has when it keeps the default, unless that is taken
        // (the runtime refuses two tools of one name before any request).
        let taken = tools.iter().any(|name| name.value == tool.name.value);
        if written.name.is_none() && taken {
            continue;
        }
        tools.push(tool.name.clone());
        if !tool_specs
            .iter()
            .any(|spec| spec.name.value == tool.name.value)
        {
            tool_specs.push(tool.clone());
        }
    }
    let agent = AgentSpec {
        id: id.clone(),
        name: name.clone(),
        instructions,
        instructions_fn: args.instructions_fn.as_ref().map(|path| {
            let text = path.to_token_stream().to_string().replace(' ', "");
            source.text(text, path)
        }),
        handoff_description: args.handoff_description.clone(),
        handoffs: handoffs.clone(),
        handoff_options: handoff_options.clone(),
        tools: tools.clone(),
        model: args.model.clone(),
        model_settings: args.model_settings.clone(),
        respan: args.respan.clone(),
        prompt: args.prompt.clone(),
        // `output = Type` is a Rust type: rustc checks it, the attribute emits it.
        output: None,
        tool_use_behavior: args.tool_use_behavior.clone(),
        span: id.span,
    };

    // The agents handed to or run as tools are Rust items rustc resolves:
    // placeholders for the checker, so only this agent's own mistakes show.
    let mut agents = vec![agent.clone()];
    let targets = handoffs
        .iter()
        .chain(agent_tools.iter().filter_map(|tool| tool.agent.as_ref()));
    for target in targets {
        if !agents.iter().any(|a| a.id.value == target.value) {
            agents.push(placeholder_agent(target));
        }
    }
    // The workflow around the agent is made up: what the checker says about it
    // (e.g. "missing `entry`" for an empty id) is not the user's to fix.
    let workflow = source.record((), 0, &item.ident).span;
    let spec = Spec {
        path: format!("#[respan_agent] {struct_name}"),
        workflow: WorkflowSpec {
            name: Spanned::new("respan_agent".to_owned(), workflow),
            entry: Spanned::new(id.value.clone(), workflow),
            description: None,
            max_turns: None,
            span: workflow,
        },
        agents,
        tools: tool_specs,
        vars: Vec::new(),
        tests: Vec::new(),
    };
    duplicate_handoff_options(args, &handoff_options, errors);
    for diagnostic in check_spec(&spec) {
        if diagnostic.is_error() && diagnostic.span != workflow {
            let diagnostic = in_attribute_words(diagnostic, args, &agent, &agent_tools);
            let error = match source.tokens(diagnostic.span) {
                Some(tokens) => errors::error(tokens, &diagnostic),
                None => errors::error(&item.ident, &diagnostic),
            };
            errors.push(error);
        }
    }
    Checked {
        id: id.value,
        name: name.value,
        agent,
        agent_tools,
    }
}

/// The id the checker gives an agent struct: its name in snake_case (the
/// default id), `own` for `Self`.
fn agent_id(path: &Path, own: &str) -> String {
    if path.is_ident("Self") {
        own.to_owned()
    } else {
        last_segment(path).to_snake_case()
    }
}

/// `handoff(Billing, ..)` as an `[agents.<id>.handoff.billing]` table.
fn handoff_spec(handoff: &HandoffArgs, own: &str, source: &mut SourceMap) -> HandoffSpec {
    let target = source.text(agent_id(&handoff.target, own), &handoff.target);
    let mut path = |path: &Path| source.text(path_text(path), path);
    let input_filter = match &handoff.input_filter_fn {
        Some(function) => {
            let written = path(function);
            Some(Spanned::new(
                InputFilterSpec::Rust(written.value),
                written.span,
            ))
        }
        None => handoff.input_filter.clone(),
    };
    let input = handoff.input_type.as_ref().map(|ty| {
        let text = ty.to_token_stream().to_string().replace(' ', "");
        HandoffInputSpec::Rust(source.text(text, ty))
    });
    let mut path = |path: &Path| source.text(path_text(path), path);
    let on_handoff = handoff.on_handoff.as_ref().map(&mut path);
    let enabled = match (&handoff.is_enabled_fn, &handoff.is_enabled) {
        (Some(function), _) => Some(EnabledSpec::Rust(path(function))),
        (None, Some(enabled)) => Some(EnabledSpec::Fixed(enabled.clone())),
        (None, None) => None,
    };
    HandoffSpec {
        span: target.span,
        target,
        tool_name: handoff.tool_name.clone(),
        description: handoff.description.clone(),
        input_filter,
        input,
        on_handoff,
        enabled,
    }
}

/// `agent_tool(Researcher, ..)` as a `[tools.<name>] agent = "researcher"` table.
fn agent_tool_spec(tool: &AgentToolArgs, own: &str, source: &mut SourceMap) -> ToolSpec {
    let agent = source.text(agent_id(&tool.agent, own), &tool.agent);
    // The default name when the target keeps its default display name.
    let name = tool
        .name
        .clone()
        .unwrap_or_else(|| Spanned::new(agent.value.clone(), agent.span));
    ToolSpec {
        span: name.span,
        name,
        description: tool.description.clone(),
        timeout_secs: tool.timeout_secs.clone(),
        needs_approval: None,
        parameters: None,
        agent: Some(agent),
        max_turns: tool.max_turns.clone(),
        rust: None,
        command: None,
    }
}

/// Two `handoff(..)`s for one target (a TOML file cannot say that twice).
fn duplicate_handoff_options(args: &Args, specs: &[HandoffSpec], errors: &mut Errors) {
    for (i, spec) in specs.iter().enumerate() {
        if let Some(first) = specs[..i]
            .iter()
            .position(|s| s.target.value == spec.target.value)
        {
            let written = &args.handoff_options[i].target;
            let message = format!(
                "options of the handoff to `{}` given twice\n= note: first given as `handoff({}, ..)`\n= help: merge them into one `handoff(..)`",
                path_text(written),
                path_text(&args.handoff_options[first].target),
            );
            errors.push(syn::Error::new_spanned(written, message));
        }
    }
}

/// The checker's fixes for a workflow file, where they name its syntax, in
/// the attribute's: `handoff(..)` and `agent_tool(..)` rather than tables.
fn in_attribute_words(
    mut diagnostic: Diagnostic,
    args: &Args,
    agent: &AgentSpec,
    agent_tools: &[ToolSpec],
) -> Diagnostic {
    // At a `handoff(Target)` path: options for a target `handoffs` does not list.
    let at_handoff = agent
        .handoff_options
        .iter()
        .position(|options| options.target.span == diagnostic.span);
    if let Some(i) = at_handoff.filter(|_| diagnostic.message.starts_with("handoff options for")) {
        let target = path_text(&args.handoff_options[i].target);
        let listed: Vec<String> = args.handoffs.iter().map(path_text).collect();
        diagnostic.help = Some(
            match did_you_mean(&target, listed.iter().map(String::as_str)) {
                Some(listed) => format!("did you mean `{listed}`?"),
                None => format!(
                    "add it to the agent's handoffs: `handoffs = [{}]`",
                    listed
                        .iter()
                        .map(String::as_str)
                        .chain([target.as_str()])
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        );
        diagnostic.notes =
            vec!["`handoff(Agent, ..)` sets options of a handoff `handoffs` lists".to_owned()];
    }
    // At an `agent_tool(Target)` path: the agent is its own tool.
    let at_agent_tool = agent_tools.iter().position(|tool| {
        tool.agent
            .as_ref()
            .is_some_and(|target| target.span == diagnostic.span)
    });
    if let Some(i) = at_agent_tool.filter(|_| diagnostic.message.ends_with("is its own tool")) {
        diagnostic.help = Some(format!(
            "remove `agent_tool({}, ..)`, or make it run another agent",
            path_text(&args.agent_tools[i].agent)
        ));
    }
    diagnostic
}

/// The struct's named fields: the template variables.
fn fields(item: &ItemStruct, errors: &mut Errors) -> Vec<String> {
    match &item.fields {
        Fields::Named(named) => named
            .named
            .iter()
            .filter_map(|field| field.ident.as_ref().map(|i| i.unraw().to_string()))
            .collect(),
        Fields::Unit => Vec::new(),
        Fields::Unnamed(_) => {
            errors.push(syn::Error::new_spanned(
                &item.fields,
                "`#[respan_agent]` needs named fields (the template variables) or none",
            ));
            Vec::new()
        }
    }
}

/// The instructions as a template whose variables are all fields of the struct.
fn template(
    lit: &LitStr,
    struct_name: &str,
    fields: &[String],
    source: &mut SourceMap,
    errors: &mut Errors,
) -> Option<Template> {
    let text = source.text(lit.value(), lit);
    let variables = match crate::template::variables(&text) {
        Ok(variables) => variables,
        Err(diagnostics) => {
            for diagnostic in diagnostics {
                errors.push(errors::error(lit, &diagnostic));
            }
            return None;
        }
    };
    for (variable, _) in &variables {
        if !fields.contains(variable) {
            errors.push(missing_field(lit, struct_name, variable, fields));
        }
    }
    let start = text.span.start;
    let variables = variables
        .into_iter()
        .map(|(variable, span)| Spanned::new(variable, start + span.start..start + span.end))
        .collect();
    Some(Template {
        source: text,
        variables,
    })
}

fn missing_field(lit: &LitStr, struct_name: &str, variable: &str, fields: &[String]) -> syn::Error {
    let mut message = format!("template variable `{variable}` is not a field of `{struct_name}`");
    match did_you_mean(variable, fields.iter().map(String::as_str)) {
        Some(field) => message.push_str(&format!("\n= help: did you mean `{field}`?")),
        None => message.push_str(&format!(
            "\n= help: add a field `{variable}: String` to `{struct_name}`: its fields are the template variables"
        )),
    }
    syn::Error::new_spanned(lit, message)
}

fn placeholder_agent(target: &Spanned<String>) -> AgentSpec {
    AgentSpec {
        id: target.clone(),
        name: Spanned::new(spec::default_display_name(&target.value), target.span),
        instructions: None,
        instructions_fn: None,
        handoff_description: None,
        handoffs: Vec::new(),
        handoff_options: Vec::new(),
        tools: Vec::new(),
        model: None,
        model_settings: ModelSettingsSpec::default(),
        respan: None,
        prompt: None,
        output: None,
        tool_use_behavior: None,
        span: target.span,
    }
}

fn placeholder_tool(name: &Spanned<String>) -> ToolSpec {
    ToolSpec {
        name: name.clone(),
        description: None,
        timeout_secs: None,
        needs_approval: None,
        parameters: None,
        agent: None,
        max_turns: None,
        rust: None,
        command: None,
        span: name.span,
    }
}

fn last_segment(path: &Path) -> String {
    match path.segments.last() {
        Some(segment) => segment.ident.unraw().to_string(),
        None => path.to_token_stream().to_string(),
    }
}
