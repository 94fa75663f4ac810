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

use super::args::Args;
use super::errors::{self, Errors};
use super::spans::SourceMap;
use crate::spec::{self, AgentSpec, ModelSettingsSpec, Spanned, Template, ToolSpec, WorkflowSpec};
use crate::suggest::did_you_mean;
use crate::{Spec, check_spec};

/// The agent an attribute declares, as the spec the checker saw.
pub(crate) struct Checked {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) agent: AgentSpec,
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
        .map(|path| source.text(last_segment(path).to_snake_case(), path))
        .collect();
    let tools: Vec<Spanned<String>> = args
        .tools
        .iter()
        .map(|path| source.text(last_segment(path), path))
        .collect();
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
        handoff_options: Vec::new(),
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

    let mut agents = vec![agent.clone()];
    for target in &handoffs {
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
        tools: tools.iter().map(placeholder_tool).collect(),
        vars: Vec::new(),
        tests: Vec::new(),
    };
    for diagnostic in check_spec(&spec) {
        if diagnostic.is_error() && diagnostic.span != workflow {
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
    }
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
