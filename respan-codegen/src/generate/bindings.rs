//! `mod __bindings`: the Rust items a workflow file names (tools, output
//! types), each bound where rustc's error for a wrong one names the TOML line.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::Module;
use super::names::{agent_variant, ident};
use crate::spec::AgentSpec;

impl Module<'_> {
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
    ///
    /// An agent's `instructions_fn` is a plain function, so it is bound by a
    /// call rather than an alias: see [`Module::instructions_fns`].
    pub(super) fn bindings(&self) -> TokenStream {
        let bindings = self.bound_items();
        let functions = self.instructions_bindings();
        let mut checkers = Vec::new();
        let instructions = self.instructions_fns(&functions, &mut checkers);
        let handoff_functions = self.handoff_functions(&mut checkers);
        if bindings.is_empty() && functions.is_empty() && handoff_functions.is_empty() {
            return TokenStream::new();
        }
        let span = self.span();
        let mut aliases: Vec<proc_macro2::Ident> = Vec::new();
        for binding in bindings
            .iter()
            .chain(functions.iter().map(|(_, b)| b))
            .chain(self.handoff_bindings().iter())
        {
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
                #instructions
                #handoff_functions
            }
        }
    }

    /// `__bindings::billing_instructions`: the function giving `agent` its
    /// `instructions_fn`, when it has one that could be bound.
    pub(super) fn instructions_binding(&self, agent: &AgentSpec) -> Option<proc_macro2::Ident> {
        let function = agent.instructions_fn.as_ref()?;
        syn::parse_str::<syn::Path>(&function.value).ok()?;
        ident(&format!("{}_instructions", agent.id.value))
    }

    /// Every agent's `instructions_fn`, as the agent's binding function and
    /// the binding of the path it names.
    fn instructions_bindings(&self) -> Vec<(&AgentSpec, Binding)> {
        self.agents
            .iter()
            .filter_map(|agent| {
                let name = self.instructions_binding(agent)?;
                let function = agent.instructions_fn.as_ref()?;
                let what = format!("`instructions_fn` of `[agents.{}]`", agent.id.value);
                let binding = self.binding(name, function, &what, "the function")?;
                Some((*agent, binding))
            })
            .collect()
    }

    /// For each agent with an `instructions_fn`: `billing_instructions::<C>(agent)`,
    /// which passes the function to a checker named after its TOML line,
    /// `support_toml_line_14`. The checker's bounds are the signature
    /// (`fn(&Ctx, &respan::Agent<Agent, Ctx>) -> String`), so rustc's error for
    /// a function that does not fit says "required by a bound in
    /// `support_toml_line_14`": the file and line to fix. Which context the
    /// function reads is only known once it is inferred, so the runtime side
    /// (`respan::__private::instructions_fn`) matches it with the runs' `C`.
    fn instructions_fns(
        &self,
        functions: &[(&AgentSpec, Binding)],
        checkers: &mut Vec<proc_macro2::Ident>,
    ) -> TokenStream {
        let span = self.span();
        let mut out = TokenStream::new();
        for (agent, binding) in functions {
            let Some(function) = agent.instructions_fn.as_ref() else {
                continue;
            };
            let name = &binding.name;
            let checker = self.location_alias(function.span);
            let target = &binding.target;
            let doc = &binding.doc;
            let origin = format!(
                "`{}` (`instructions_fn` of `[agents.{}]`, {}{})",
                function.value,
                agent.id.value,
                self.options.source_path,
                self.line(function.span)
                    .map(|line| format!(":{line}"))
                    .unwrap_or_default()
            );
            out.extend(quote_spanned! {span=>
                #[doc = #doc]
                pub(super) fn #name<C: ::core::marker::Send + ::core::marker::Sync + 'static>(
                    agent: ::respan::Agent<super::Agent>,
                ) -> ::respan::Agent<super::Agent, C> {
                    #checker::<C, _, _>(agent, #target, #origin)
                }
            });
            if checkers.contains(&checker) {
                continue;
            }
            out.extend(quote_spanned! {span=>
                /// The signature an `instructions_fn` at this line of the file must have.
                fn #checker<C, X, F>(
                    agent: ::respan::Agent<super::Agent>,
                    function: F,
                    origin: &'static str,
                ) -> ::respan::Agent<super::Agent, C>
                where
                    C: ::core::marker::Send + ::core::marker::Sync + 'static,
                    X: 'static,
                    F: ::core::ops::Fn(&X, &::respan::Agent<super::Agent, X>) -> ::std::string::String
                        + ::core::marker::Send
                        + ::core::marker::Sync
                        + 'static,
                {
                    ::respan::__private::instructions_fn(agent, function, origin)
                }
            });
            checkers.push(checker);
        }
        out
    }

    /// The span generated code that names the user's items gets.
    pub(super) fn span(&self) -> proc_macro2::Span {
        self.options
            .span
            .unwrap_or_else(proc_macro2::Span::call_site)
    }

    /// Every tool and output type the file names, in file order.
    fn bound_items(&self) -> Vec<Binding> {
        let mut out = Vec::new();
        for (index, tool) in self.spec.tools.iter().enumerate() {
            if tool.is_agent_tool() {
                // The agent is the tool: nothing of Rust to bind.
                continue;
            }
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
        out.extend(self.input_type_bindings());
        out
    }

    /// The `input_type` of every handoff, as `TriageBillingInput`.
    fn input_type_bindings(&self) -> Vec<Binding> {
        let mut out = Vec::new();
        for agent in self.agents {
            for options in &agent.handoff_options {
                let Some(crate::spec::HandoffInputSpec::Rust(path)) = &options.input else {
                    continue;
                };
                let Some(name) = self.handoff_names(agent, options).input_type else {
                    continue;
                };
                let what = format!(
                    "`input_type` of `[agents.{}.handoff.{}]`",
                    agent.id.value, options.target.value
                );
                if let Some(binding) = self.binding(name, path, &what, "the type") {
                    out.push(binding);
                }
            }
        }
        out
    }

    /// The functions handoff options name, as bindings (for their module aliases).
    fn handoff_bindings(&self) -> Vec<Binding> {
        let mut out = Vec::new();
        for agent in self.agents {
            for options in &agent.handoff_options {
                let names = self.handoff_names(agent, options);
                let filter = options
                    .input_filter
                    .as_ref()
                    .and_then(|filter| match &filter.value {
                        crate::spec::InputFilterSpec::Rust(path) => {
                            Some(crate::spec::Spanned::new(path.clone(), filter.span))
                        }
                        _ => None,
                    });
                let enabled = match &options.enabled {
                    Some(crate::spec::EnabledSpec::Rust(path)) => Some(path.clone()),
                    _ => None,
                };
                for (name, written) in [
                    (names.input_filter, filter),
                    (names.on_handoff, options.on_handoff.clone()),
                    (names.enabled, enabled),
                ] {
                    if let (Some(name), Some(written)) = (name, written)
                        && let Some(binding) = self.binding(name, &written, "", "")
                    {
                        out.push(binding);
                    }
                }
            }
        }
        out
    }

    pub(super) fn binding(
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
    pub(super) fn tool_type(&self, name: &str) -> Option<TokenStream> {
        let index = self.spec.tools.iter().position(|t| t.name.value == name)?;
        let tool = &self.spec.tools[index];
        if tool.is_agent_tool() {
            return None;
        }
        let written = tool.rust.as_ref().unwrap_or(&tool.name);
        syn::parse_str::<syn::Path>(&written.value).ok()?;
        let alias = tool_alias(name, index);
        Some(quote! { __bindings::#alias })
    }

    /// 1-based line of a span, when the source text is known.
    pub(super) fn line(&self, span: crate::spec::Span) -> Option<usize> {
        let source = self.options.source.as_deref()?;
        let before = source.get(..span.start.min(source.len()))?;
        Some(before.matches('\n').count() + 1)
    }

    /// `support_toml_line_14`: an identifier naming a place in the workflow file.
    pub(super) fn location_alias(&self, span: crate::spec::Span) -> proc_macro2::Ident {
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
}

/// A Rust item the workflow file names, bound in `__bindings`.
pub(super) struct Binding {
    /// `lookup_invoice` (a tool) or `BillingOutput` (an output type).
    name: proc_macro2::Ident,
    /// The `support_toml_line_14` module alias the target goes through.
    module_alias: Option<proc_macro2::Ident>,
    /// `support_toml_line_14::lookup_invoice`.
    pub(super) target: TokenStream,
    pub(super) doc: String,
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

/// Gives every identifier of a path this span.
fn set_span(path: &mut syn::Path, span: proc_macro2::Span) {
    for segment in &mut path.segments {
        segment.ident.set_span(span);
    }
}
