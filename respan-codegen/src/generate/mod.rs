//! Rust code generation: a checked [`Spec`] becomes one Rust module per workflow.
//!
//! The generated code is thin: it builds the runtime's values (`::respan::Agent`,
//! `::respan::AgentSet`, ...) and adds types (the `Agent` enum, per-agent handoff
//! enums, the `Vars` struct of template variables). All behaviour lives in the
//! runtime. Generated code only names `::respan::...` paths, so it compiles in any
//! crate that depends on the `respan` facade.
//!
//! Three entry points:
//! - [`module`]: the tokens of `pub mod <name> { ... }` (used by `workflow!`),
//! - [`stub`]: a best-effort module for a spec that has errors, so that user code
//!   referring to it does not cascade into more errors while the real error is shown,
//! - [`file()`]: a pretty-printed file with the `@generated` header (used by build.rs).
//!
//! Nothing here panics, whatever the spec: names that are not valid Rust
//! identifiers are escaped (`r#type`) or skipped.

mod names;
mod values;

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote, quote_spanned};

use crate::spec::{AgentSpec, Spec, ToolSpec};
pub use names::{agent_variant, handoff_enum_name, module_name};
use names::{field_ident, ident, str_lit};

/// Options of the generator.
#[derive(Clone, Debug)]
pub struct Options {
    /// The path shown in the `@generated` header and in docs (e.g. `workflows/support.toml`).
    pub source_path: String,
    /// Extra tokens placed at the top of the generated module, e.g. an
    /// `include_bytes!` of the source file so that the compiler tracks it.
    pub prelude: TokenStream,
    /// Where the module is placed relative to the items the workflow's tools name:
    /// paths of tools (`lookup_invoice`, `rust = "tools::lookup"`) are resolved
    /// from the parent of the generated module (`super::`), unless they start with
    /// `crate::` or `::`.
    pub tools_in_parent: bool,
    /// The source text, to name lines in docs and errors (tool bindings).
    pub source: Option<String>,
    /// The span generated code that can fail to compile is given (the path
    /// literal of `workflow!`), so that rustc points at it.
    pub span: Option<proc_macro2::Span>,
}

impl Options {
    /// Options for a spec read from `source_path`.
    pub fn new(source_path: impl Into<String>) -> Self {
        Self {
            source_path: source_path.into(),
            prelude: TokenStream::new(),
            tools_in_parent: true,
            source: None,
            span: None,
        }
    }
}

/// The `pub mod <name> { ... }` of a spec that checked without errors.
///
/// Returns `None` when the workflow name is not a usable module name (the checker
/// reports that as an error, so this only happens for unchecked specs).
pub fn module(spec: &Spec, options: &Options) -> Option<TokenStream> {
    let name = module_name(&spec.workflow.name.value)?;
    let agents = usable_agents(spec);
    if agents.is_empty() {
        return None;
    }
    let body = Module {
        spec,
        agents: &agents,
        options,
    };
    let items = body.items(false);
    let doc = module_doc(spec, &options.source_path);
    Some(quote! {
        #(#[doc = #doc])*
        #[allow(clippy::all, clippy::pedantic, dead_code, unused_imports, unused_variables)]
        pub mod #name {
            #items
        }
    })
}

/// A stub module for a spec with errors: the same type names as [`module`]
/// (`Agent` with the agents that could be read, `Vars`, `Workflow`), with bodies
/// that are never run because the build fails with the diagnostics anyway.
///
/// `module_name` is used when the spec has no usable name (e.g. it did not parse).
pub fn stub(spec: Option<&Spec>, fallback_name: &str, options: &Options) -> Option<TokenStream> {
    let name = spec
        .and_then(|spec| module_name(&spec.workflow.name.value))
        .or_else(|| module_name(fallback_name))?;
    let prelude = &options.prelude;
    let items = match spec {
        Some(spec) => {
            let agents = usable_agents(spec);
            Module {
                spec,
                agents: &agents,
                options,
            }
            .items(true)
        }
        None => quote! {
            #prelude
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub enum Agent {}
            #[derive(Clone, Debug, Default)]
            pub struct Vars {}
            #[derive(Clone, Debug)]
            pub struct Workflow;
            impl Workflow {
                pub fn new(_vars: Vars) -> Self { Workflow }
                pub async fn run(
                    &self,
                    _gateway: &::respan::Gateway,
                    _input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::core::result::Result<::respan::RunResult<Agent>, ::respan::Error> {
                    ::core::unreachable!("respan: this workflow did not compile")
                }
            }
        },
    };
    Some(quote! {
        #[allow(clippy::all, dead_code, missing_docs, unused_imports, unused_variables, unreachable_code)]
        pub mod #name {
            #items
        }
    })
}

/// The pretty-printed file for a spec that checked without errors: the
/// `@generated` header, then the module. `None` as for [`module`].
pub fn file(spec: &Spec, options: &Options) -> Option<String> {
    let tokens = module(spec, options)?;
    Some(pretty(&options.source_path, tokens))
}

/// Pretty-prints module tokens as a file with the `@generated` header.
pub fn pretty(source_path: &str, tokens: TokenStream) -> String {
    let body = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // Unreachable for tokens this module generates; keep the tokens rather than panic.
        Err(_) => tokens.to_string(),
    };
    format!("// @generated by respan from {source_path} — do not edit\n\n{body}")
}

/// What a front end emits for a checked source: the module (or, when the source
/// has errors, a stub), and the rendered errors to show.
#[derive(Debug)]
pub struct Expansion {
    /// `pub mod <name> { ... }`: the real module, or a stub when there are errors
    /// (empty when not even a stub can be named).
    pub tokens: TokenStream,
    /// Every error, rendered like rustc without colours and without the leading
    /// `error: ` (the compiler adds its own), e.g. "unknown handoff target `biling`
    /// --> workflows/support.toml:8:13 ...".
    pub errors: Vec<String>,
    /// Every warning (e.g. an agent no route reaches), rendered the same way.
    pub warnings: Vec<String>,
}

/// Generates the module of a checked source, or a stub and the errors.
///
/// `fallback_name` names the stub module when the source has no usable
/// workflow name (usually the file's stem).
pub fn expand(checked: &crate::Checked, fallback_name: &str, options: &Options) -> Expansion {
    let mut options = options.clone();
    if options.source.is_none() {
        options.source = Some(checked.source.clone());
    }
    let options = &options;
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| rendered_error(checked, d))
        .collect();
    let warnings: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| rendered_error(checked, d))
        .collect();
    if errors.is_empty()
        && let Some(spec) = &checked.spec
        && let Some(tokens) = module(spec, options)
    {
        return Expansion {
            tokens,
            errors,
            warnings,
        };
    }
    let mut errors = errors;
    if errors.is_empty() {
        // Unreachable for a spec the checker accepted; say so rather than panic.
        errors.push(format!(
            "respan could not generate code for `{}` (please report this)",
            checked.path
        ));
    }
    let spec = checked
        .spec
        .as_ref()
        .map(|spec| with_guessed_templates(spec, &checked.source));
    let tokens = stub(spec.as_ref(), fallback_name, options).unwrap_or_default();
    Expansion {
        tokens,
        errors,
        warnings,
    }
}

/// A diagnostic rendered for the compiler (no colour, no `error: ` or
/// `warning: ` prefix: the compiler adds its own).
pub fn rendered_error(checked: &crate::Checked, diagnostic: &crate::Diagnostic) -> String {
    let text = checked.render_one(diagnostic, false);
    let text = text.trim_end();
    text.strip_prefix("error: ")
        .or_else(|| text.strip_prefix("warning: "))
        .unwrap_or(text)
        .to_string()
}

/// For a stub: agents whose instructions did not parse (so the spec has none) get
/// them back from the TOML text, with the variables guessed from `{{ name`, so
/// that the stub's `Vars` has the fields the user's code sets.
fn with_guessed_templates(spec: &Spec, source: &str) -> Spec {
    let mut spec = spec.clone();
    if spec.agents.iter().all(|agent| agent.instructions.is_some()) {
        return spec;
    }
    let Ok(document) = source.parse::<toml::Table>() else {
        return spec;
    };
    let agents = document.get("agents").and_then(toml::Value::as_table);
    let defaults = document
        .get("defaults")
        .and_then(|d| d.get("instructions"))
        .and_then(toml::Value::as_str);
    for agent in spec
        .agents
        .iter_mut()
        .filter(|agent| agent.instructions.is_none())
    {
        let text = agents
            .and_then(|agents| agents.get(&agent.id.value))
            .and_then(|table| table.get("instructions"))
            .and_then(toml::Value::as_str)
            .or(defaults);
        if let Some(text) = text {
            agent.instructions = Some(crate::spec::Template {
                source: crate::spec::Spanned::new(text.to_string(), 0..0),
                variables: guessed_variables(text)
                    .into_iter()
                    .map(|name| crate::spec::Spanned::new(name, 0..0))
                    .collect(),
            });
        }
    }
    spec
}

/// `{{ name` occurrences of a template that did not parse.
fn guessed_variables(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in source.split("{{").skip(1) {
        let name: String = part
            .trim_start_matches([' ', '-'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

/// Gives every identifier of a path this span.
fn set_span(path: &mut syn::Path, span: proc_macro2::Span) {
    for segment in &mut path.segments {
        segment.ident.set_span(span);
    }
}

/// The agents whose ids make distinct, valid variants (all of them, for a checked spec).
fn usable_agents(spec: &Spec) -> Vec<&AgentSpec> {
    let mut seen = std::collections::HashSet::new();
    spec.agents
        .iter()
        .filter(|agent| match agent_variant(&agent.id.value) {
            Some(variant) => seen.insert(variant.to_string()),
            None => false,
        })
        .collect()
}

/// One `#[doc]` per line, so that the pretty-printed file shows `///` comments.
fn module_doc(spec: &Spec, path: &str) -> Vec<String> {
    let mut doc = vec![format!(
        " The `{}` workflow, generated from `{path}`.",
        spec.workflow.name.value
    )];
    if let Some(description) = &spec.workflow.description {
        doc.push(String::new());
        doc.extend(description.value.lines().map(|line| format!(" {line}")));
    }
    doc
}

struct Module<'a> {
    spec: &'a Spec,
    agents: &'a [&'a AgentSpec],
    options: &'a Options,
}

impl Module<'_> {
    fn is_agent(&self, id: &str) -> bool {
        self.agents.iter().any(|agent| agent.id.value == id)
    }

    fn items(&self, stub: bool) -> TokenStream {
        let prelude = &self.options.prelude;
        let agent_enum = self.agent_enum();
        let handoff_enums = self.handoff_enums();
        let vars = self.vars();
        let tools = if stub {
            TokenStream::new()
        } else {
            self.tool_bindings()
        };
        let workflow = self.workflow(stub);
        quote! {
            #prelude
            #agent_enum
            #handoff_enums
            #vars
            #tools
            #workflow
        }
    }

    fn agent_enum(&self) -> TokenStream {
        let count = Literal::usize_unsuffixed(self.agents.len());
        let variants: Vec<_> = self
            .agents
            .iter()
            .filter_map(|a| agent_variant(&a.id.value))
            .collect();
        let docs = self.agents.iter().map(|agent| {
            let mut doc = format!(" `{}`: {}", agent.id.value, agent.name.value);
            if let Some(description) = &agent.handoff_description {
                doc.push_str(" — ");
                doc.push_str(&description.value);
            }
            doc
        });
        let ids = self.agents.iter().map(|a| str_lit(&a.id.value));
        let names = self.agents.iter().map(|a| str_lit(&a.name.value));
        let handoffs = self.agents.iter().map(|agent| {
            let targets = agent
                .handoffs
                .iter()
                .filter(|target| self.is_agent(&target.value))
                .filter_map(|target| agent_variant(&target.value));
            quote! { &[#(Agent::#targets),*] }
        });
        let entry = self
            .spec
            .entry_agent()
            .and_then(|agent| agent_variant(&agent.id.value))
            .or_else(|| variants.first().cloned());
        let entry_const = entry.map(|entry| {
            quote! {
                /// The agent a run starts with (`entry` in the workflow file).
                pub const ENTRY: Agent = Agent::#entry;
            }
        });
        let (v1, v2, v3) = (&variants, &variants, &variants);
        let workflow = &self.spec.workflow.name.value;
        let enum_doc = format!(
            " Every agent of the `{workflow}` workflow; `RunResult::last_agent` is one of these."
        );
        quote! {
            #[doc = #enum_doc]
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum Agent {
                #( #[doc = #docs] #variants, )*
            }

            impl Agent {
                /// Every agent, in the order the workflow declares them.
                pub const ALL: [Agent; #count] = [#(Agent::#v1),*];

                #entry_const

                /// The agent's id in the workflow file (`[agents.<id>]`).
                pub const fn id(self) -> &'static str {
                    match self { #(Agent::#v2 => #ids,)* }
                }

                /// The agent with this id, if the workflow has one.
                pub fn from_id(id: &str) -> ::core::option::Option<Agent> {
                    Agent::ALL.into_iter().find(|agent| agent.id() == id)
                }

                /// The agent's display name (`name`), as the model sees it.
                pub const fn name(self) -> &'static str {
                    match self { #(Agent::#v3 => #names,)* }
                }

                /// The agents this one may hand off to (`handoffs`).
                pub const fn handoffs(self) -> &'static [Agent] {
                    match self { #(Agent::#variants => #handoffs,)* }
                }
            }

            impl ::core::fmt::Display for Agent {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(self.name())
                }
            }
        }
    }

    /// `enum TriageHandoff { Billing, Technical }` for every agent with handoffs.
    fn handoff_enums(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for agent in self.agents {
            let Some(enum_name) = handoff_enum_name(&agent.id.value) else {
                continue;
            };
            let mut seen = std::collections::HashSet::new();
            let targets: Vec<_> = agent
                .handoffs
                .iter()
                .filter(|target| self.is_agent(&target.value))
                .filter_map(|target| agent_variant(&target.value))
                .filter(|variant| seen.insert(variant.to_string()))
                .collect();
            if targets.is_empty() {
                continue;
            }
            let count = Literal::usize_unsuffixed(targets.len());
            let doc = format!(" The agents `{}` may hand off to.", agent.id.value);
            let (t1, t2, t3) = (&targets, &targets, &targets);
            let variant_docs = targets
                .iter()
                .map(|variant| format!(" A handoff to [`Agent::{variant}`]."));
            out.extend(quote! {
                #[doc = #doc]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
                pub enum #enum_name {
                    #( #[doc = #variant_docs] #targets, )*
                }

                impl #enum_name {
                    /// Every target, in the order of `handoffs`.
                    pub const ALL: [#enum_name; #count] = [#(#enum_name::#t1),*];
                }

                impl ::core::convert::From<#enum_name> for Agent {
                    fn from(target: #enum_name) -> Agent {
                        match target { #(#enum_name::#t2 => Agent::#t2,)* }
                    }
                }

                impl ::core::convert::TryFrom<Agent> for #enum_name {
                    type Error = Agent;
                    fn try_from(agent: Agent) -> ::core::result::Result<Self, Agent> {
                        match agent {
                            #(Agent::#t3 => ::core::result::Result::Ok(#enum_name::#t3),)*
                            #[allow(unreachable_patterns)]
                            other => ::core::result::Result::Err(other),
                        }
                    }
                }
            });
        }
        out
    }

    /// The template variables, in first-use order, with the agents using each.
    fn variables(&self) -> Vec<(String, Vec<String>)> {
        let mut vars: Vec<(String, Vec<String>)> = Vec::new();
        for agent in self.agents {
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

    fn vars(&self) -> TokenStream {
        let vars = self.variables();
        if vars.is_empty() {
            return quote! {
                /// Template variables of the instructions: this workflow has none.
                #[derive(Clone, Debug, Default, PartialEq, Eq)]
                pub struct Vars {}
            };
        }
        let fields = vars.iter().map(|(name, users)| {
            let field = field_ident(name);
            let users = users
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let doc = format!(" `{{{{ {name} }}}}`, used by the instructions of {users}.");
            quote! { #[doc = #doc] pub #field: ::std::string::String, }
        });
        quote! {
            /// Template variables of the instructions, one field each: every one must
            /// be given, so an instruction can never render with a variable missing.
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub struct Vars {
                #(#fields)*
            }
        }
    }

    /// For every declared tool, a binding to the Rust function that implements it,
    /// so that a missing function is a compile error.
    ///
    /// The function is reached through a module alias named after the TOML
    /// declaration (`use super::super as support_toml_line_14;`), because rustc
    /// names that alias in its error: "cannot find value `lookup_invoice` in module
    /// `support_toml_line_14`" points at the file and line to fix.
    fn tool_bindings(&self) -> TokenStream {
        let mut aliases: Vec<proc_macro2::Ident> = Vec::new();
        let mut bindings = Vec::new();
        for tool in &self.spec.tools {
            let Some((alias, binding)) = self.tool_binding(tool) else {
                continue;
            };
            if let Some(alias) = alias
                && !aliases.contains(&alias)
            {
                aliases.push(alias);
            }
            bindings.push(binding);
        }
        if bindings.is_empty() {
            return TokenStream::new();
        }
        let span = self
            .options
            .span
            .unwrap_or_else(proc_macro2::Span::call_site);
        let aliases = aliases.iter().map(|alias| {
            quote_spanned! {span=>
                #[allow(unused_imports)]
                use super::super as #alias;
            }
        });
        quote! {
            /// The Rust functions behind the workflow's `[tools.<name>]`.
            #[doc(hidden)]
            pub mod __tools {
                #(#aliases)*
                #(#bindings)*
            }
        }
    }

    fn tool_binding(&self, tool: &ToolSpec) -> Option<(Option<proc_macro2::Ident>, TokenStream)> {
        let written = tool.rust.as_ref().unwrap_or(&tool.name);
        let mut path: syn::Path = syn::parse_str(&written.value).ok()?;
        let span = self
            .options
            .span
            .unwrap_or_else(proc_macro2::Span::call_site);
        set_span(&mut path, span);
        let absolute = path.leading_colon.is_some()
            || path.segments.first().is_some_and(|s| s.ident == "crate");
        let doc = format!(
            " `[tools.{}]` of `{}`{}: the function `{}`.",
            tool.name.value,
            self.options.source_path,
            self.line(tool.span)
                .map(|line| format!(" (line {line})"))
                .unwrap_or_default(),
            written.value,
        );
        let (alias, full) = if absolute || !self.options.tools_in_parent {
            (None, quote! { #path })
        } else {
            let alias = self.location_alias(tool.span);
            (Some(alias.clone()), quote! { #alias::#path })
        };
        let binding = quote_spanned! {span=>
            #[doc = #doc]
            const _: () = {
                let _ = #full;
            };
        };
        Some((alias, binding))
    }

    /// 1-based line of a span, when the source text is known.
    fn line(&self, span: crate::spec::Span) -> Option<usize> {
        let source = self.options.source.as_deref()?;
        let before = source.get(..span.start.min(source.len()))?;
        Some(before.matches('\n').count() + 1)
    }

    /// `support_toml_line_14`: an identifier naming a place in the workflow file.
    fn location_alias(&self, span: crate::spec::Span) -> proc_macro2::Ident {
        let file = std::path::Path::new(&self.options.source_path)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut name: String = file
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert_str(0, "workflow_");
        }
        if let Some(line) = self.line(span) {
            name.push_str(&format!("_line_{line}"));
        }
        ident(&name).unwrap_or_else(|| {
            proc_macro2::Ident::new("workflow_file", proc_macro2::Span::call_site())
        })
    }

    fn workflow(&self, stub: bool) -> TokenStream {
        let vars = self.variables();
        let workflow = &self.spec.workflow.name.value;
        let doc = format!(
            " The `{workflow}` workflow: its agents, built once by [`Workflow::new`], run with [`Workflow::run`]."
        );
        let new_body = if stub {
            quote! { ::core::unreachable!("respan: this workflow did not compile") }
        } else {
            let entry = self
                .spec
                .entry_agent()
                .and_then(|agent| agent_variant(&agent.id.value))
                .map(|entry| quote! { Agent::#entry })
                .unwrap_or_else(|| quote! { Agent::ENTRY });
            let destructure = if vars.is_empty() {
                quote! { let _ = vars; }
            } else {
                let fields = vars.iter().map(|(name, _)| field_ident(name));
                quote! { let Vars { #(#fields),* } = &vars; }
            };
            let max_turns = self.spec.workflow.max_turns.as_ref().map(|n| {
                let n = Literal::u32_unsuffixed(n.value);
                quote! { .max_turns(#n) }
            });
            let agents = self.agents.iter().map(|agent| self.agent_value(agent));
            quote! {
                #destructure
                let agents = ::respan::AgentSet::new(#entry)
                    #max_turns
                    #(.agent(#agents))*;
                Workflow { agents }
            }
        };
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug)]
            pub struct Workflow {
                agents: ::respan::AgentSet<Agent>,
            }

            impl Workflow {
                /// Builds the agents: tool definitions and instructions are prepared
                /// here, once, not per request.
                pub fn new(vars: Vars) -> Self {
                    #new_body
                }

                /// Runs the workflow from its entry agent until an agent answers
                /// without a tool call; `last_agent` says which one did.
                pub async fn run(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::core::result::Result<::respan::RunResult<Agent>, ::respan::Error> {
                    ::respan::Runner::new().run(gateway, &self.agents, input).await
                }

                /// Runs the workflow with streaming: the stream yields the run's
                /// events (text deltas, tool calls, handoffs) as the gateway sends them,
                /// ending with the result.
                pub fn run_streamed<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::respan::RunStream<'a, Agent> {
                    ::respan::Runner::new().run_streamed(gateway, &self.agents, input)
                }

                /// Changes one agent before running, e.g. switches its model:
                /// `Workflow::new(vars).with_agent(Agent::Billing, |agent| agent.model("gpt-4o"))`.
                pub fn with_agent(
                    mut self,
                    key: Agent,
                    change: impl ::core::ops::FnOnce(::respan::Agent<Agent>) -> ::respan::Agent<Agent>,
                ) -> Self {
                    if let ::core::option::Option::Some(agent) = self.agents.get(&key) {
                        let agent = change(::core::clone::Clone::clone(agent));
                        self.agents = self.agents.agent(agent);
                    }
                    self
                }

                /// The runtime agents, e.g. to inspect one.
                pub fn agents(&self) -> &::respan::AgentSet<Agent> {
                    &self.agents
                }

                /// The runtime agents, to change one at run time (its model, its
                /// prompt placement, ...) before running.
                pub fn agents_mut(&mut self) -> &mut ::respan::AgentSet<Agent> {
                    &mut self.agents
                }
            }
        }
    }

    /// `::respan::Agent::new(Agent::Triage, "Triage Agent").instructions(..)...`
    fn agent_value(&self, agent: &AgentSpec) -> TokenStream {
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
        let calls = agent_calls(agent, |var| field_ident(var).into_token_stream(), &targets);
        quote! { ::respan::Agent::new(Agent::#variant, #name) #calls }
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
        if values::needs_rendering(&template.source.value) {
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
    // `[agents.<id>.output] schema`: structured output, as the Agents SDK sends an
    // `output_type` (a strict JSON schema response format), unless
    // `response_format` is set explicitly. `RunResult::parse_output` reads it.
    let mut settings = agent.model_settings.clone();
    if settings.response_format.is_none()
        && let Some(schema) = agent
            .output
            .as_ref()
            .and_then(|output| output.schema.as_ref())
    {
        let format = serde_json::json!({
            "type": "json_schema",
            "json_schema": {
                "name": format!("{}_output", agent.id.value),
                "schema": schema.value,
                "strict": true,
            },
        });
        settings.response_format = Some(crate::spec::Spanned::new(format, schema.span));
    }
    if let Some(settings) = values::model_settings(&settings) {
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

#[cfg(test)]
mod tests;
