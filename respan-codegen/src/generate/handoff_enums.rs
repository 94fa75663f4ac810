//! `enum TriageHandoff`: per agent, the agents it may hand off to, as a
//! type a `match` must cover.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Module;
use super::names::{agent_variant, handoff_enum_name};

impl Module<'_> {
    /// `enum TriageHandoff { Billing, Technical }` for every agent with handoffs.
    pub(super) fn handoff_enums(&self) -> TokenStream {
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
}
