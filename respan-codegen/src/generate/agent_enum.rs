//! `enum Agent`: one variant per agent, with its id, name and handoffs, and
//! serde as its id (a `RunState`'s JSON names agents by id).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Module;
use super::names::{agent_variant, str_lit};

impl Module<'_> {
    pub(super) fn agent_enum(&self) -> TokenStream {
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
}
