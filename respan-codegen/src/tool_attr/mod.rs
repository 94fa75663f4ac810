//! `#[respan_tool]`: a Rust function becomes a function tool the model may call.
//!
//! The proc macro in `respan-macros` only hands its tokens to [`expand`]. The
//! work is in three steps, one module each:
//!
//! - `args`: the attribute's own arguments (`name`, `description`, `timeout_secs`),
//! - `signature`: what the function's signature means (an optional context
//!   `&Ctx`, then plain owned arguments or one `Args(x): Args<T>`; what it
//!   returns), with every mistake found at once, each at its token,
//! - `emit`: the generated code: the function unchanged (doc comments on its
//!   parameters removed: they become argument descriptions), and a companion
//!   `struct <fn_name> {}` implementing `::respan::ToolFn<C>`.
//!
//! The companion is a braced struct, which lives only in the type namespace, so
//! it shares the function's name without clashing with it (Rocket's routes do
//! the same): a workflow file's `[tools.get_weather]` and
//! `#[respan_agent(tools = [get_weather])]` reach the tool by the function's path.
//!
//! Return values are told apart by the last segment of the written return type:
//! `Result<T, E>` (or an alias such as `io::Result<T>`, whose last segment is
//! also `Result`) sends `Ok` as the tool output and `Err` (`E: Display`) as a
//! tool error the model sees; anything else is `T: Serialize`. A serialized
//! JSON *string* (from `String`, `&'static str`, `Cow<str>`...) is sent as its
//! text, anything else as JSON text: that is decided on the value at run time
//! (`::respan::__private::tool_output`), which needs no autoref specialization
//! and gives the same text whatever alias spells the type. A type alias of
//! `Result` under another name is treated as a plain value, so it must be
//! `Serialize` (the compiler says so).

mod args;
mod emit;
mod signature;

use proc_macro2::TokenStream;

/// Expands `#[respan_tool(args)] item`. Mistakes become `compile_error!`s (all
/// of them, each at its token), emitted beside the function so that its callers
/// still compile and only the real mistakes are shown.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = args::parse(args, &mut errors);
    let mut function = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                "`#[respan_tool]` goes on a function: `fn name(arg: Type) -> Output` (or `async fn`)",
            );
            let error = error.to_compile_error();
            return quote::quote! { #error #item };
        }
    };
    let tool = signature::read(&function, &mut errors);
    signature::strip_parameter_docs(&mut function);
    match (errors.into_result(), tool) {
        (Ok(()), Some(tool)) => emit::tool(&function, &tool, &options),
        (Err(errors), _) => quote::quote! { #function #errors },
        // `read` reports why it gave no tool; unreachable, but never panic.
        (Ok(()), None) => quote::quote! { #function },
    }
}

/// Every mistake found, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// An error at `tokens` with a message and a fix.
    pub(crate) fn at(
        &mut self,
        tokens: impl quote::ToTokens,
        message: impl std::fmt::Display,
        help: impl std::fmt::Display,
    ) {
        self.push(syn::Error::new_spanned(
            tokens,
            format!("{message}\n  = help: {help}"),
        ));
    }

    pub(crate) fn any(&self) -> bool {
        self.0.is_some()
    }

    fn into_result(self) -> Result<(), TokenStream> {
        match self.0 {
            Some(error) => Err(error.to_compile_error()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
