//! `struct Vars`: the template variables of the instructions, as typed
//! fields, so an instruction cannot render with one missing.

use proc_macro2::TokenStream;
use quote::quote;

use super::Module;
use super::names::{field_ident, str_lit};

impl Module<'_> {
    /// The template variables, in first-use order, with the agents using each.
    pub(super) fn variables(&self) -> Vec<(String, Vec<String>)> {
        crate::spec::template_variables(self.agents.iter().copied())
    }

    /// `struct Vars`, one `String` field per template variable; `Default` when
    /// `[vars]` gives every variable a default, `Vars::new(required..)` when it
    /// gives some.
    pub(super) fn vars(&self) -> TokenStream {
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
}
