//! Proc macros of respan: [`workflow!`](macro@workflow),
//! [`#[respan_agent]`](macro@respan_agent) and [`#[respan_tool]`](macro@respan_tool).
//!
//! Thin on purpose: parsing, checking and code generation live in
//! `respan-codegen`, shared with `build.rs` and the `respan` CLI, so that every
//! front door reports the same diagnostics. Use these through the `respan`
//! facade (`respan::workflow!`, `#[respan::respan_agent]`), not directly.

use proc_macro::TokenStream;

mod workflow;

/// Compiles a TOML workflow file into a typed module. See `respan::workflow!`.
#[proc_macro]
pub fn workflow(input: TokenStream) -> TokenStream {
    workflow::expand(input.into()).into()
}

/// Declares an agent on a struct. See `respan::respan_agent`.
#[proc_macro_attribute]
pub fn respan_agent(args: TokenStream, item: TokenStream) -> TokenStream {
    respan_codegen::attribute::expand_agent(args.into(), item.into()).into()
}

/// Makes a function a tool the model may call. See `respan::respan_tool`.
#[proc_macro_attribute]
pub fn respan_tool(args: TokenStream, item: TokenStream) -> TokenStream {
    respan_codegen::tool_attr::expand(args.into(), item.into()).into()
}
