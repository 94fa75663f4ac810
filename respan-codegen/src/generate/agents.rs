//! The runtime agents: each `[agents.<id>]` as a `::respan::Agent::new(..)`
//! builder chain, its tools included. `#[respan_agent]` shares [`agent_calls`].

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote};

use super::Module;
use super::names::{agent_variant, field_ident, str_lit};
use super::output::OutputKind;
use super::values;
use crate::spec::{AgentSpec, ToolUseBehaviorSpec};

impl Module<'_> {
    /// `::respan::Agent::new(Agent::Triage, "Triage Agent").instructions(..)...`
    pub(super) fn agent_value(&self, agent: &AgentSpec) -> TokenStream {
        let Some(variant) = agent_variant(&agent.id.value) else {
            return TokenStream::new();
        };
        let name = str_lit(&agent.name.value);
        let mut seen = std::collections::HashSet::new();
        let targets: Vec<_> = agent
            .handoffs
            .iter()
            .filter(|target| self.is_agent(&target.value))
            .filter_map(|target| agent_variant(&target.value))
            .filter(|variant| seen.insert(variant.to_string()))
            .map(|variant| quote! { Agent::#variant })
            .collect();
        // Handoffs with options may read the runs' context: they are added
        // once the agent has it, all of them (in the order of `handoffs`).
        let handoffs = self.handoff_calls(agent);
        let targets = if handoffs.is_empty() {
            targets
        } else {
            Vec::new()
        };
        let calls = agent_calls(agent, |var| field_ident(var).into_token_stream(), &targets);
        let tools = agent
            .tools
            .iter()
            .filter_map(|name| self.tool_call(&name.value));
        let output = match self.output_type(agent) {
            OutputKind::Rust(ty) => quote! { .output::<#ty>() },
            _ => TokenStream::new(),
        };
        if let Some(instructions) = self.instructions_binding(agent) {
            // The function decides how the agent gets its context `C`.
            return quote! {
                __bindings::#instructions::<C>(::respan::Agent::new(Agent::#variant, #name) #calls)
                    #handoffs
                    #(#tools)*
                    #output
            };
        }
        quote! {
            ::respan::Agent::new(Agent::#variant, #name)
                #calls
                .context::<C>()
                #handoffs
                #(#tools)*
                #output
        }
    }

    /// `<__bindings::lookup as ::respan::ToolFn<C>>::tool().name("lookup")...`:
    /// the tool as the file declares it.
    pub(super) fn tool_value(&self, name: &str) -> Option<TokenStream> {
        let ty = self.tool_type(name)?;
        let tool = self.spec.tool(name)?;
        let name_lit = str_lit(name);
        let description = tool.description.as_ref().map(|description| {
            let description = str_lit(&description.value);
            quote! { .description(#description) }
        });
        let timeout = tool.timeout_secs.as_ref().map(|secs| {
            let secs = Literal::f64_unsuffixed(secs.value);
            quote! { .timeout(::core::time::Duration::from_secs_f64(#secs)) }
        });
        // Also `false`: the file's word wins over the function's attribute.
        let needs_approval = tool.needs_approval.as_ref().map(|needs| {
            let needs = needs.value;
            quote! { .needs_approval(#needs) }
        });
        let declared = tool.parameters.as_ref().map(|parameters| {
            let schema = values::json(&parameters.value);
            let origin = format!(
                "{}{}",
                self.options.source_path,
                self.line(parameters.span)
                    .map(|line| format!(":{line}"))
                    .unwrap_or_default()
            );
            quote! { .declared_parameters(#schema, #origin) }
        });
        Some(quote! {
            <#ty as ::respan::ToolFn<C>>::tool()
                .name(#name_lit)
                #description
                #timeout
                #needs_approval
                #declared
        })
    }
}

/// The builder calls that configure a runtime agent as `agent` says
/// (`.instructions(..).handoffs(..).model(..)...`), after `::respan::Agent::new(..)`.
///
/// `variable` gives the expression of a template variable's value (a local in
/// generated workflows, `&self.field` for `#[respan_agent]`); `handoffs` are the
/// key expressions of the handoff targets.
pub fn agent_calls(
    agent: &AgentSpec,
    variable: impl Fn(&str) -> TokenStream,
    handoffs: &[TokenStream],
) -> TokenStream {
    let mut calls = TokenStream::new();
    if let Some(template) = &agent.instructions {
        let source = str_lit(&template.source.value);
        if crate::template::needs_rendering(&template.source.value) {
            let entries = template.variables.iter().map(|var| {
                let key = str_lit(&var.value);
                let value = variable(&var.value);
                quote! { #key: #value }
            });
            calls.extend(quote! {
                .instructions_template(#source, &::respan::__private::serde_json::json!({ #(#entries),* }))
            });
        } else {
            calls.extend(quote! { .instructions(#source) });
        }
    }
    if let Some(description) = &agent.handoff_description {
        let description = str_lit(&description.value);
        calls.extend(quote! { .handoff_description(#description) });
    }
    if !handoffs.is_empty() {
        calls.extend(quote! { .handoffs([#(#handoffs),*]) });
    }
    if let Some(model) = &agent.model {
        let model = str_lit(&model.value);
        calls.extend(quote! { .model(#model) });
    }
    // `[agents.<id>.output] schema`: structured output, as the Agents SDK sends
    // an `output_type` (the strict `json_schema` response format). A `rust`
    // type is the generated workflow's (it resolves the path).
    if let Some(schema) = agent
        .output
        .as_ref()
        .filter(|output| output.rust.is_none())
        .and_then(|output| output.schema.as_ref())
    {
        let schema = values::json(&schema.value);
        calls.extend(quote! {
            .output_type_value(::respan::OutputType::from_schema(#schema))
        });
    }
    if let Some(behavior) = &agent.tool_use_behavior {
        let behavior = match &behavior.value {
            ToolUseBehaviorSpec::RunLlmAgain => quote! { ::respan::ToolUseBehavior::RunLlmAgain },
            ToolUseBehaviorSpec::StopOnFirstTool => {
                quote! { ::respan::ToolUseBehavior::StopOnFirstTool }
            }
            ToolUseBehaviorSpec::StopAtTools(tools) => {
                let tools = tools.iter().map(|tool| str_lit(&tool.value));
                quote! {
                    ::respan::ToolUseBehavior::StopAtTools(::std::vec![#(::std::string::String::from(#tools)),*])
                }
            }
        };
        calls.extend(quote! { .tool_use_behavior(#behavior) });
    }
    let settings = &agent.model_settings;
    if let Some(settings) = values::model_settings(settings) {
        calls.extend(quote! { .model_settings(#settings) });
    }
    if let Some(respan) = &agent.respan {
        let params = values::respan_params(respan);
        calls.extend(quote! { .respan(#params) });
    }
    if let Some(prompt) = &agent.prompt {
        let prompt = values::gateway_prompt(prompt);
        calls.extend(quote! { .prompt(#prompt) });
    }
    calls
}
