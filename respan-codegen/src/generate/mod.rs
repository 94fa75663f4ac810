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
mod workflow_tests;

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote, quote_spanned};

use crate::spec::{AgentSpec, Spec, ToolUseBehaviorSpec};
pub use names::{agent_variant, handoff_enum_name, module_name};
use names::{field_ident, ident, str_lit};

/// The arguments of `workflow!`: `"path.toml"` or `"path.toml", tests`
/// (parsed here, so the macro crate only forwards tokens).
pub struct WorkflowArgs {
    /// The workflow file's path, as written.
    pub path: syn::LitStr,
    /// Whether `tests` follows: emit the file's `[[tests]]` as `#[test]`s.
    pub tests: bool,
}

impl syn::parse::Parse for WorkflowArgs {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let path = input.parse()?;
        let mut tests = false;
        if input.parse::<Option<syn::Token![,]>>()?.is_some() && !input.is_empty() {
            let option: syn::Ident = input.parse()?;
            if option != "tests" {
                return Err(syn::Error::new(option.span(), "unknown option"));
            }
            tests = true;
            input.parse::<Option<syn::Token![,]>>()?;
        }
        Ok(WorkflowArgs { path, tests })
    }
}

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
    /// Whether to emit the file's `[[tests]]` as `#[cfg(test)]` `#[test]`
    /// functions run on the offline gateway (`workflow!("file.toml", tests)`,
    /// `Builder::emit_tests(true)`). Off by default.
    pub tests: bool,
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
            tests: false,
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
        #[allow(clippy::all, clippy::pedantic, dead_code, non_camel_case_types, private_bounds, private_interfaces, unused_imports, unused_variables)]
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
                pub fn with_runner(self, _runner: ::respan::Runner) -> Self { self }
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
        #[allow(clippy::all, dead_code, missing_docs, non_camel_case_types, private_bounds, private_interfaces, unused_imports, unused_variables, unreachable_code)]
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
        let bindings = if stub {
            TokenStream::new()
        } else {
            self.bindings()
        };
        let output = if stub {
            TokenStream::new()
        } else {
            self.output_enum()
        };
        let workflow = self.workflow(stub);
        let tests = if stub {
            TokenStream::new()
        } else {
            self.tests_module()
        };
        quote! {
            #prelude
            #agent_enum
            #handoff_enums
            #vars
            #output
            #bindings
            #workflow
            #tests
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
        let serialize_doc = format!(
            " As its id (`\"{}\"`), e.g. in a `RunState`'s JSON.",
            self.agents
                .first()
                .map(|a| a.id.value.as_str())
                .unwrap_or("id")
        );
        let unknown_agent = format!(
            "workflow `{workflow}` has no agent `{{id}}` (its agents are {}): resume a run with \
             the workflow that started it",
            self.agents
                .iter()
                .map(|a| format!("`{}`", a.id.value))
                .collect::<Vec<_>>()
                .join(", ")
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

            #[doc = #serialize_doc]
            impl ::respan::__private::serde::Serialize for Agent {
                fn serialize<S: ::respan::__private::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.id())
                }
            }

            /// From its id; another id is an error naming this workflow's agents.
            impl<'de> ::respan::__private::serde::Deserialize<'de> for Agent {
                fn deserialize<D: ::respan::__private::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::core::result::Result<Self, D::Error> {
                    let id = <::std::string::String as ::respan::__private::serde::Deserialize>::deserialize(deserializer)?;
                    Agent::from_id(&id).ok_or_else(|| {
                        <D::Error as ::respan::__private::serde::de::Error>::custom(::core::format_args!(
                            #unknown_agent,
                        ))
                    })
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
        crate::spec::template_variables(self.agents.iter().copied())
    }

    /// `struct Vars`, one `String` field per template variable; `Default` when
    /// `[vars]` gives every variable a default, `Vars::new(required..)` when it
    /// gives some.
    fn vars(&self) -> TokenStream {
        let vars = self.variables();
        if vars.is_empty() {
            return quote! {
                /// Template variables of the instructions: this workflow has none.
                #[derive(Clone, Debug, Default, PartialEq, Eq)]
                pub struct Vars {}
            };
        }
        let default_of = |name: &str| self.spec.var(name).map(|var| var.default.value.as_str());
        let fields = vars.iter().map(|(name, users)| {
            let field = field_ident(name);
            let users = users
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut doc = format!(" `{{{{ {name} }}}}`, used by the instructions of {users}");
            match default_of(name) {
                Some(default) => doc.push_str(&format!("; default {default:?} (`[vars]`).")),
                None => doc.push('.'),
            }
            quote! { #[doc = #doc] pub #field: ::std::string::String, }
        });
        let (defaulted, required): (Vec<_>, Vec<_>) = vars
            .iter()
            .partition(|(name, _)| default_of(name).is_some());
        let default_values = defaulted.iter().map(|(name, _)| {
            let field = field_ident(name);
            let value = str_lit(default_of(name).unwrap_or_default());
            quote! { #field: ::std::string::String::from(#value) }
        });
        let (doc, constructor) = if required.is_empty() {
            let first = field_ident(&vars[0].0).to_string();
            (
                format!(
                    " Template variables of the instructions, one field each. Every one has a\n default in the file's `[vars]`: `Vars::default()`, or\n `Vars {{ {first}: ..., ..Default::default() }}` to set some."
                ),
                quote! {
                    impl ::core::default::Default for Vars {
                        /// Every variable at its `[vars]` default.
                        fn default() -> Self {
                            Vars { #(#default_values,)* }
                        }
                    }
                },
            )
        } else if defaulted.is_empty() {
            (
                " Template variables of the instructions, one field each: every one must\n be given, so an instruction can never render with a variable missing.".to_owned(),
                TokenStream::new(),
            )
        } else {
            let params = required.iter().map(|(name, _)| {
                let field = field_ident(name);
                quote! { #field: impl ::core::convert::Into<::std::string::String> }
            });
            let sets = required.iter().map(|(name, _)| {
                let field = field_ident(name);
                quote! { #field: #field.into() }
            });
            let names = |list: &[&(String, Vec<String>)]| {
                list.iter()
                    .map(|(name, _)| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let new_doc = format!(
                " The variables without a default ({}), the others ({}) at their `[vars]` defaults.",
                names(&required),
                names(&defaulted)
            );
            (
                " Template variables of the instructions, one field each: those without a\n default in the file's `[vars]` must be given (`Vars::new` takes them), so\n an instruction can never render with a variable missing.".to_owned(),
                quote! {
                    impl Vars {
                        #[doc = #new_doc]
                        pub fn new(#(#params),*) -> Self {
                            Vars { #(#sets,)* #(#default_values,)* }
                        }
                    }
                },
            )
        };
        let doc: Vec<&str> = doc.split('\n').collect();
        quote! {
            #(#[doc = #doc])*
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub struct Vars {
                #(#fields)*
            }

            #constructor
        }
    }

    /// The Rust items the workflow file names, each as a type alias in a
    /// hidden `__bindings` module: the `#[respan_tool]` behind every
    /// `[tools.<name>]`, and every `[agents.<id>.output] rust = "Type"`.
    ///
    /// Each is reached through a module alias named after the TOML line that
    /// names it (`use super::super as support_toml_line_14;`), because rustc
    /// names that alias in its error: "cannot find type `lookup_invoice` in
    /// module `support_toml_line_14`" (or "expected type, found function
    /// `support_toml_line_14::lookup_invoice`" for a function that is not
    /// `#[respan_tool]`) points at the file and line to fix.
    fn bindings(&self) -> TokenStream {
        let bindings = self.bound_items();
        if bindings.is_empty() {
            return TokenStream::new();
        }
        let span = self.span();
        let mut aliases: Vec<proc_macro2::Ident> = Vec::new();
        for binding in &bindings {
            if let Some(alias) = &binding.module_alias
                && !aliases.contains(alias)
            {
                aliases.push(alias.clone());
            }
        }
        let aliases = aliases.iter().map(|alias| {
            quote_spanned! {span=>
                #[allow(unused_imports)]
                use super::super as #alias;
            }
        });
        let items = bindings.iter().map(|binding| {
            let name = &binding.name;
            let target = &binding.target;
            let doc = &binding.doc;
            quote_spanned! {span=>
                #[doc = #doc]
                pub(super) type #name = #target;
            }
        });
        quote! {
            /// The Rust items the workflow file names (tools, output types).
            #[doc(hidden)]
            mod __bindings {
                #(#aliases)*
                #(#items)*
            }
        }
    }

    /// The span generated code that names the user's items gets.
    fn span(&self) -> proc_macro2::Span {
        self.options
            .span
            .unwrap_or_else(proc_macro2::Span::call_site)
    }

    /// Every tool and output type the file names, in file order.
    fn bound_items(&self) -> Vec<Binding> {
        let mut out = Vec::new();
        for (index, tool) in self.spec.tools.iter().enumerate() {
            let written = tool.rust.as_ref().unwrap_or(&tool.name);
            let what = format!("`[tools.{}]`", tool.name.value);
            if let Some(binding) = self.binding(
                tool_alias(&tool.name.value, index),
                written,
                &what,
                "the `#[respan_tool]` function",
            ) {
                out.push(binding);
            }
        }
        for agent in self.agents {
            if let Some(rust) = agent.output.as_ref().and_then(|o| o.rust.as_ref())
                && let Some(variant) = agent_variant(&agent.id.value)
            {
                let name = proc_macro2::Ident::new(
                    &format!("{variant}Output"),
                    proc_macro2::Span::call_site(),
                );
                let what = format!("`[agents.{}.output]`", agent.id.value);
                if let Some(binding) = self.binding(name, rust, &what, "the type") {
                    out.push(binding);
                }
            }
        }
        out
    }

    fn binding(
        &self,
        name: proc_macro2::Ident,
        written: &crate::spec::Spanned<String>,
        what: &str,
        kind: &str,
    ) -> Option<Binding> {
        let mut path: syn::Path = syn::parse_str(&written.value).ok()?;
        set_span(&mut path, self.span());
        let absolute = path.leading_colon.is_some()
            || path.segments.first().is_some_and(|s| s.ident == "crate");
        let doc = format!(
            " {what} of `{}`{}: {kind} `{}`.",
            self.options.source_path,
            self.line(written.span)
                .map(|line| format!(" (line {line})"))
                .unwrap_or_default(),
            written.value,
        );
        let (module_alias, target) = if absolute || !self.options.tools_in_parent {
            (None, quote! { #path })
        } else {
            let alias = self.location_alias(written.span);
            (Some(alias.clone()), quote! { #alias::#path })
        };
        Some(Binding {
            name,
            module_alias,
            target,
            doc,
        })
    }

    /// `__bindings::<name>` of a tool, if it could be bound.
    fn tool_type(&self, name: &str) -> Option<TokenStream> {
        let index = self.spec.tools.iter().position(|t| t.name.value == name)?;
        let tool = &self.spec.tools[index];
        let written = tool.rust.as_ref().unwrap_or(&tool.name);
        syn::parse_str::<syn::Path>(&written.value).ok()?;
        let alias = tool_alias(name, index);
        Some(quote! { __bindings::#alias })
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

    /// Whether any agent declares a structured output (then runs return [`Output`]).
    fn has_outputs(&self) -> bool {
        self.agents.iter().any(|agent| agent.output.is_some())
    }

    /// The type of an agent's final output: its `rust` type, a JSON value for
    /// a `schema`, or the text.
    fn output_type(&self, agent: &AgentSpec) -> OutputKind {
        match &agent.output {
            Some(output) if output.rust.is_some() => match agent_variant(&agent.id.value) {
                Some(variant) => {
                    let alias = proc_macro2::Ident::new(
                        &format!("{variant}Output"),
                        proc_macro2::Span::call_site(),
                    );
                    OutputKind::Rust(quote! { __bindings::#alias })
                }
                None => OutputKind::Text,
            },
            Some(output) if output.schema.is_some() => OutputKind::Json,
            _ => OutputKind::Text,
        }
    }

    /// `enum Output { Triage(String), Billing(Invoice), ... }`, when an agent
    /// declares a structured output.
    fn output_enum(&self) -> TokenStream {
        if !self.has_outputs() {
            return TokenStream::new();
        }
        let mut variants = Vec::new();
        let mut types = Vec::new();
        let mut docs = Vec::new();
        let mut display = Vec::new();
        let mut rust_types = Vec::new();
        for agent in self.agents {
            let Some(variant) = agent_variant(&agent.id.value) else {
                continue;
            };
            let (ty, doc, shown) = match self.output_type(agent) {
                OutputKind::Rust(ty) => {
                    rust_types.push(ty.clone());
                    (
                        ty,
                        format!(" The answer of `{}`, its `output` type.", agent.id.value),
                        quote! { ::core::write!(f, "{:?}", output) },
                    )
                }
                OutputKind::Json => (
                    quote! { ::respan::__private::serde_json::Value },
                    format!(
                        " The answer of `{}`, a value of its `output.schema`.",
                        agent.id.value
                    ),
                    quote! { ::core::fmt::Display::fmt(output, f) },
                ),
                OutputKind::Text => (
                    quote! { ::std::string::String },
                    format!(" The text answer of `{}`.", agent.id.value),
                    quote! { f.write_str(output) },
                ),
            };
            display.push(quote! { Output::#variant(output) => #shown, });
            variants.push(variant);
            types.push(ty);
            docs.push(doc);
        }
        let bounds = if rust_types.is_empty() {
            TokenStream::new()
        } else {
            quote! { where #(for<'x> #rust_types: ::core::fmt::Debug,)* }
        };
        let clone_bounds = if rust_types.is_empty() {
            TokenStream::new()
        } else {
            quote! { where #(for<'x> #rust_types: ::core::clone::Clone,)* }
        };
        let (v1, v2) = (&variants, &variants);
        quote! {
            /// The final output of a run, by the agent that gave it: one `match`
            /// covers every agent with its output type.
            pub enum Output {
                #( #[doc = #docs] #variants(#types), )*
            }

            impl Output {
                /// The agent that gave this output.
                pub fn agent(&self) -> Agent {
                    match self { #(Output::#v1(_) => Agent::#v1,)* }
                }
            }

            /// Text as is, JSON values as JSON, Rust types with `Debug`.
            impl ::core::fmt::Display for Output #bounds {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    match self { #(#display)* }
                }
            }

            impl ::core::fmt::Debug for Output #bounds {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    match self {
                        #(Output::#v2(output) => f.debug_tuple(::core::stringify!(#v2)).field(output).finish(),)*
                    }
                }
            }

            impl ::core::clone::Clone for Output #clone_bounds {
                fn clone(&self) -> Self {
                    match self { #(Output::#variants(output) => Output::#variants(::core::clone::Clone::clone(output)),)* }
                }
            }
        }
    }

    /// The conversion of a run's text result into [`Output`], by its last agent.
    fn output_conversion(&self) -> TokenStream {
        let arms = self.agents.iter().filter_map(|agent| {
            let variant = agent_variant(&agent.id.value)?;
            let value = match self.output_type(agent) {
                OutputKind::Rust(ty) => quote! { Output::#variant(result.output::<#ty>()?) },
                OutputKind::Json => quote! {
                    Output::#variant(result.output::<::respan::__private::serde_json::Value>()?)
                },
                OutputKind::Text => {
                    return Some(quote! {
                        Agent::#variant => ::core::result::Result::Ok(result.map_output(Output::#variant)),
                    });
                }
            };
            Some(quote! {
                Agent::#variant => {
                    let output = #value;
                    result.try_map_output(|_| ::core::result::Result::Ok(output))
                }
            })
        });
        quote! {
            match result.last_agent {
                #(#arms)*
            }
        }
    }

    fn workflow(&self, stub: bool) -> TokenStream {
        let vars = self.variables();
        let workflow = &self.spec.workflow.name.value;
        let doc = format!(
            " The `{workflow}` workflow: its agents, built once by [`Workflow::new`] (or [`Workflow::with_context`] when its tools read a context), run with [`Workflow::run`] (or [`Workflow::run_with`])."
        );
        let tools: Vec<TokenStream> = if stub {
            Vec::new()
        } else {
            self.spec
                .tools
                .iter()
                .filter_map(|tool| self.tool_type(&tool.name.value))
                .collect()
        };
        let new_bounds = if tools.is_empty() {
            TokenStream::new()
        } else {
            // `for<'x>`: a bound that names no generic parameter is an error
            // when it does not hold (a tool taking `&AppState` is not a
            // `ToolFn<()>`); under a binder it only makes `new` uncallable, and
            // the caller's error names the tool.
            quote! { where #(for<'x> #tools: ::respan::ToolFn<()>,)* }
        };
        let context_bounds = if tools.is_empty() {
            TokenStream::new()
        } else {
            quote! { where #(#tools: ::respan::ToolFn<C>,)* }
        };
        let build = if stub {
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
                    .context::<C>()
                    .workflow_name(#workflow)
                    #max_turns
                    #(.agent(#agents))*;
                Workflow { agents, runner: ::respan::Runner::new() }
            }
        };
        let typed = !stub && self.has_outputs();
        let result_type = if typed {
            quote! { ::respan::RunResult<Agent, Output> }
        } else {
            quote! { ::respan::RunResult<Agent> }
        };
        // Typed workflows turn every result's text into an `Output`, in one function.
        let typed_output = if typed {
            let conversion = self.output_conversion();
            quote! {
                /// The result's final output as an [`Output`], by the agent that answered.
                fn typed_output(
                    result: ::respan::RunResult<Agent>,
                ) -> ::core::result::Result<::respan::RunResult<Agent, Output>, ::respan::Error> {
                    #conversion
                }
            }
        } else {
            TokenStream::new()
        };
        // The same bodies run plainly or in a session: only the runner differs.
        let plain = quote! { self.runner };
        let in_session = quote! { self.runner.clone().session(session) };
        let run_with_body = |runner: &TokenStream| {
            let run = quote! { #runner.run_with(gateway, &self.agents, input, context).await };
            if typed {
                quote! { #run.and_then(typed_output) }
            } else {
                run
            }
        };
        let (outcome_type, resumable_with_body, resume_with_body) = if typed {
            (
                quote! { ::respan::RunOutcome<Agent, Output> },
                quote! {
                    self.runner
                        .run_resumable_with(gateway, &self.agents, input, context)
                        .await?
                        .map_completed(typed_output)
                },
                quote! {
                    self.runner
                        .resume_with(gateway, &self.agents, state, context)
                        .await?
                        .map_completed(typed_output)
                },
            )
        } else {
            (
                quote! { ::respan::RunOutcome<Agent> },
                quote! {
                    self.runner
                        .run_resumable_with(gateway, &self.agents, input, context)
                        .await
                },
                quote! {
                    self.runner
                        .resume_with(gateway, &self.agents, state, context)
                        .await
                },
            )
        };
        let output_doc = if typed {
            " The final output is an [`Output`]: the variant of the agent that answered, with its output type."
        } else {
            " `last_agent` says which agent answered."
        };
        let stream_type = if typed {
            quote! { ::respan::RunStream<'a, Agent, Output> }
        } else {
            quote! { ::respan::RunStream<'a, Agent> }
        };
        let streamed_doc = if typed {
            quote! {
                ///
                /// The result in `RunEvent::Completed` (and from
                /// `into_result()`) carries an [`Output`], as [`Workflow::run`]'s does;
                /// an answer that is not its agent's output type is the stream's
                /// last item, an error.
            }
        } else {
            TokenStream::new()
        };
        let streamed_body = |runner: &TokenStream| {
            let run = quote! { #runner.run_streamed_with(gateway, &self.agents, input, context) };
            if typed {
                quote! { #run.map_completed(typed_output) }
            } else {
                run
            }
        };
        let (run_with_plain, run_with_in_session) =
            (run_with_body(&plain), run_with_body(&in_session));
        let (streamed_plain, streamed_in_session) =
            (streamed_body(&plain), streamed_body(&in_session));
        quote! {
            #[doc = #doc]
            ///
            /// `C` is the run's context, the state the workflow's tools read
            /// (`()` when none does).
            #[derive(Clone, Debug)]
            pub struct Workflow<C = ()> {
                agents: ::respan::AgentSet<Agent, C>,
                /// The settings every run starts from ([`Workflow::with_runner`]).
                runner: ::respan::Runner,
            }

            #typed_output

            impl Workflow<()> {
                /// Builds the agents: tool definitions and instructions are prepared
                /// here, once, not per request. A workflow whose tools read a context
                /// is built with [`Workflow::with_context`] instead.
                pub fn new(vars: Vars) -> Self #new_bounds {
                    Self::with_context(vars)
                }

                /// Runs the workflow from its entry agent until an agent answers
                /// without a tool call.
                #[doc = #output_doc]
                pub async fn run(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::core::result::Result<#result_type, ::respan::Error> {
                    self.run_with(gateway, input, &()).await
                }

                /// Runs the workflow with streaming: the stream yields the run's
                /// events (text deltas, tool calls, handoffs) as the gateway sends them,
                /// ending with the result.
                #streamed_doc
                pub fn run_streamed<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> #stream_type {
                    self.run_streamed_with(gateway, input, &())
                }

                /// Runs the workflow in a session: the conversation so far is loaded
                /// before the run and its new messages are appended after it, so the
                /// next run continues it (see `respan::Runner::session`). The run
                /// starts at the entry agent.
                #[doc = #output_doc]
                pub async fn run_in_session(
                    &self,
                    gateway: &::respan::Gateway,
                    session: &dyn ::respan::Session,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::core::result::Result<#result_type, ::respan::Error> {
                    self.run_with_in_session(gateway, session, input, &()).await
                }

                /// Runs the workflow in a session with streaming; the new messages
                /// are appended when the run completes.
                #streamed_doc
                pub fn run_streamed_in_session<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    session: &'a dyn ::respan::Session,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> #stream_type {
                    self.run_streamed_with_in_session(gateway, session, input, &())
                }

                /// Runs the workflow like [`Workflow::run`], but a tool call that
                /// needs approval stops it: `RunOutcome::Interrupted` carries the
                /// `RunState` to approve or reject, then [`Workflow::resume`].
                pub async fn run_resumable(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                ) -> ::core::result::Result<#outcome_type, ::respan::Error> {
                    self.run_resumable_with(gateway, input, &()).await
                }

                /// Continues a run stopped for approval (here, or from the
                /// state's JSON in another process).
                pub async fn resume(
                    &self,
                    gateway: &::respan::Gateway,
                    state: ::respan::RunState<Agent>,
                ) -> ::core::result::Result<#outcome_type, ::respan::Error> {
                    self.resume_with(gateway, state, &()).await
                }
            }

            impl<C: ::core::marker::Send + ::core::marker::Sync + 'static> Workflow<C> {
                /// Builds the agents for runs whose context is `C`, the state the
                /// tools read (`Workflow::<AppState>::with_context(vars)`, then
                /// `run_with(.., &state)`); a tool that reads another context does
                /// not compile.
                pub fn with_context(vars: Vars) -> Self #context_bounds {
                    #build
                }

                /// Every run of this workflow from now on starts from `runner`'s
                /// settings: a trace context for its spans (`Runner::trace`), a
                /// different bound on model requests (`Runner::max_turns`), e.g.
                /// `Workflow::new(vars).with_runner(respan::Runner::new().trace(context))`.
                pub fn with_runner(mut self, runner: ::respan::Runner) -> Self {
                    self.runner = runner;
                    self
                }

                /// Runs the workflow with a context its tools read, from its entry
                /// agent until an agent answers without a tool call.
                #[doc = #output_doc]
                pub async fn run_with(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &C,
                ) -> ::core::result::Result<#result_type, ::respan::Error> {
                    #run_with_plain
                }

                /// Runs the workflow with a context and streaming.
                #streamed_doc
                pub fn run_streamed_with<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &'a C,
                ) -> #stream_type {
                    #streamed_plain
                }

                /// Runs the workflow with a context in a session (see
                /// [`Workflow::run_in_session`]).
                #[doc = #output_doc]
                pub async fn run_with_in_session(
                    &self,
                    gateway: &::respan::Gateway,
                    session: &dyn ::respan::Session,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &C,
                ) -> ::core::result::Result<#result_type, ::respan::Error> {
                    #run_with_in_session
                }

                /// Runs the workflow with a context and streaming in a session.
                #streamed_doc
                pub fn run_streamed_with_in_session<'a>(
                    &'a self,
                    gateway: &'a ::respan::Gateway,
                    session: &'a dyn ::respan::Session,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &'a C,
                ) -> #stream_type {
                    #streamed_in_session
                }

                /// [`Workflow::run_resumable`] with a context.
                pub async fn run_resumable_with(
                    &self,
                    gateway: &::respan::Gateway,
                    input: impl ::core::convert::Into<::respan::Input>,
                    context: &C,
                ) -> ::core::result::Result<#outcome_type, ::respan::Error> {
                    #resumable_with_body
                }

                /// [`Workflow::resume`] with a context.
                pub async fn resume_with(
                    &self,
                    gateway: &::respan::Gateway,
                    state: ::respan::RunState<Agent>,
                    context: &C,
                ) -> ::core::result::Result<#outcome_type, ::respan::Error> {
                    #resume_with_body
                }

                /// Changes one agent before running, e.g. switches its model:
                /// `Workflow::new(vars).with_agent(Agent::Billing, |agent| agent.model("gpt-4o"))`.
                pub fn with_agent(
                    mut self,
                    key: Agent,
                    change: impl ::core::ops::FnOnce(::respan::Agent<Agent, C>) -> ::respan::Agent<Agent, C>,
                ) -> Self {
                    self.agents.update(&key, change);
                    self
                }

                /// The runtime agents, e.g. to inspect one.
                pub fn agents(&self) -> &::respan::AgentSet<Agent, C> {
                    &self.agents
                }

                /// The runtime agents, to change one at run time (its model, its
                /// prompt placement, ...) before running.
                pub fn agents_mut(&mut self) -> &mut ::respan::AgentSet<Agent, C> {
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
        let tools = agent
            .tools
            .iter()
            .filter_map(|name| self.tool_value(&name.value));
        let output = match self.output_type(agent) {
            OutputKind::Rust(ty) => quote! { .output::<#ty>() },
            _ => TokenStream::new(),
        };
        quote! {
            ::respan::Agent::new(Agent::#variant, #name)
                #calls
                .context::<C>()
                #(.tool(#tools))*
                #output
        }
    }

    /// `<__bindings::lookup as ::respan::ToolFn<C>>::tool().name("lookup")...`:
    /// the tool as the file declares it.
    fn tool_value(&self, name: &str) -> Option<TokenStream> {
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

/// A Rust item the workflow file names, bound in `__bindings`.
struct Binding {
    /// `lookup_invoice` (a tool) or `BillingOutput` (an output type).
    name: proc_macro2::Ident,
    /// The `support_toml_line_14` module alias the target goes through.
    module_alias: Option<proc_macro2::Ident>,
    /// `support_toml_line_14::lookup_invoice`.
    target: TokenStream,
    doc: String,
}

/// What an agent's final output is.
enum OutputKind {
    /// `[agents.<id>.output] rust = "Type"`: this type.
    Rust(TokenStream),
    /// `[agents.<id>.output] schema = {...}`: a JSON value.
    Json,
    /// No output: the text.
    Text,
}

/// The name of a tool's binding: the tool's name as an identifier.
fn tool_alias(name: &str, index: usize) -> proc_macro2::Ident {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    ident(&format!("tool_{cleaned}")).unwrap_or_else(|| {
        proc_macro2::Ident::new(&format!("tool_{index}"), proc_macro2::Span::call_site())
    })
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

#[cfg(test)]
mod tests;
