//! `enum Output`: a run's final output by the agent that gave it, each with
//! its declared type (a Rust type, a JSON value, or the text).

use proc_macro2::TokenStream;
use quote::quote;

use super::Module;
use super::names::agent_variant;
use crate::spec::AgentSpec;

impl Module<'_> {
    /// Whether any agent declares a structured output (then runs return [`Output`]).
    pub(super) fn has_outputs(&self) -> bool {
        self.agents.iter().any(|agent| agent.output.is_some())
    }

    /// The type of an agent's final output: its `rust` type, a JSON value for
    /// a `schema`, or the text.
    pub(super) fn output_type(&self, agent: &AgentSpec) -> OutputKind {
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
    pub(super) fn output_enum(&self) -> TokenStream {
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
    pub(super) fn output_conversion(&self) -> TokenStream {
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
}

/// What an agent's final output is.
pub(super) enum OutputKind {
    /// `[agents.<id>.output] rust = "Type"`: this type.
    Rust(TokenStream),
    /// `[agents.<id>.output] schema = {...}`: a JSON value.
    Json,
    /// No output: the text.
    Text,
}
