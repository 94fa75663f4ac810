//! The stand-in module for a workflow with errors: the same type names as the
//! real one, so the user's code that names them does not add errors to the one
//! that matters.

use proc_macro2::TokenStream;
use quote::quote;

use super::names::module_name;
use super::{Module, Options, usable_agents};
use crate::spec::Spec;

/// A stub module for a spec with errors: the same type names as [`module`](super::module)
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
                pub fn with_runner<H>(self, _runner: ::respan::Runner<H>) -> Self { self }
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
