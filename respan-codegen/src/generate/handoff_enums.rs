//! `enum TriageHandoff`: per agent, the agents it may hand off to, as a
//! type a `match` must cover.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Module;
use super::names::{agent_variant, handoff_enum_name};

impl Module<'_> {
    /// `enum TriageHandoff { Billing, Technical }` for every agent with handoffs.
    ///
    /// A handoff with an input (`input_type`, or JSON for an `input_schema`)
    /// carries it: `TriageHandoff::Billing(Escalation)`. Such an enum is what
    /// an `on_handoff` function receives; it derives nothing (the input types
    /// need only be `Deserialize + JsonSchema`) and has no `ALL` nor `TryFrom<Agent>`.
    pub(super) fn handoff_enums(&self, stub: bool) -> TokenStream {
        let mut out = TokenStream::new();
        for agent in self.agents {
            let Some(enum_name) = handoff_enum_name(&agent.id.value) else {
                continue;
            };
            let mut seen = std::collections::HashSet::new();
            let listed: Vec<_> = agent
                .handoffs
                .iter()
                .filter(|target| self.is_agent(&target.value))
                .filter_map(|target| Some((agent_variant(&target.value)?, target)))
                .filter(|(variant, _)| seen.insert(variant.to_string()))
                .collect();
            if listed.is_empty() {
                continue;
            }
            let inputs: Vec<Option<TokenStream>> = listed
                .iter()
                .map(|(_, target)| self.handoff_input_type(agent, &target.value, stub))
                .collect();
            let targets: Vec<_> = listed.iter().map(|(variant, _)| variant.clone()).collect();
            if inputs.iter().any(Option::is_some) {
                let doc = format!(
                    " The agents `{}` may hand off to, with the input the model gave the handoff.",
                    agent.id.value
                );
                let variants = targets.iter().zip(&inputs).map(|(variant, input)| {
                    let variant_doc = format!(" A handoff to [`Agent::{variant}`].");
                    match input {
                        Some(ty) => quote! { #[doc = #variant_doc] #variant(#ty), },
                        None => quote! { #[doc = #variant_doc] #variant, },
                    }
                });
                let arms: Vec<_> = targets
                    .iter()
                    .zip(&inputs)
                    .map(|(variant, input)| match input {
                        Some(_) => quote! { #enum_name::#variant(..) => Agent::#variant, },
                        None => quote! { #enum_name::#variant => Agent::#variant, },
                    })
                    .collect();
                out.extend(quote! {
                    #[doc = #doc]
                    pub enum #enum_name {
                        #(#variants)*
                    }

                    impl #enum_name {
                        /// The agent handed to.
                        pub fn agent(&self) -> Agent {
                            match self { #(#arms)* }
                        }
                    }

                    impl ::core::convert::From<#enum_name> for Agent {
                        fn from(target: #enum_name) -> Agent {
                            target.agent()
                        }
                    }
                });
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
