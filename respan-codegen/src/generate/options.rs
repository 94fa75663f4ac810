//! What a front end hands the generator: the arguments of `workflow!` and the
//! [`Options`] every entry point takes.

use proc_macro2::TokenStream;

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
