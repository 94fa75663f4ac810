//! `workflow!("path.toml")` and `workflow!("path.toml", tests)`.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use respan_codegen::generate::{self, Options};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let generate::WorkflowArgs { path: lit, tests } = match syn::parse2(input) {
        Ok(args) => args,
        Err(_) => {
            return quote! {
                ::core::compile_error! {
                    "expected the path of a workflow file, and optionally `tests`: `respan::workflow!(\"workflows/support.toml\")` or `respan::workflow!(\"workflows/support.toml\", tests)`"
                }
            };
        }
    };
    let written = lit.value();
    let span = lit.span();
    let stem = Path::new(&written)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("workflow")
        .to_string();

    let path = match resolve(&written, span) {
        Ok(path) => path,
        Err(message) => return failure(span, &[message], &stem, TokenStream::new()),
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let message = format!("couldn't read workflow file `{written}`: {error}");
            return failure(span, &[message], &stem, TokenStream::new());
        }
    };
    // Tracking: the expansion depends on the file, so editing it rebuilds the crate
    // (`proc_macro::tracked_path` is unstable; this is what askama does).
    let tracked = match path.to_str() {
        Some(absolute) => quote! {
            const _: &[u8] = ::core::include_bytes!(#absolute);
        },
        None => TokenStream::new(),
    };
    let checked = respan_codegen::check_bytes(&written, &bytes);
    let mut options = Options::new(written.clone());
    options.prelude = tracked;
    options.span = Some(span);
    options.tests = tests;
    let expansion = generate::expand(&checked, &stem, &options);
    if expansion.errors.is_empty() {
        let warnings = warnings(span, &expansion.warnings);
        let tokens = expansion.tokens;
        quote! { #tokens #warnings }
    } else {
        failure(span, &expansion.errors, &stem, expansion.tokens)
    }
}

/// The path of the file: relative to `CARGO_MANIFEST_DIR` (like sqlx, askama),
/// else next to the source file invoking the macro (like `include_str!`).
fn resolve(written: &str, span: Span) -> Result<PathBuf, String> {
    let path = Path::new(written);
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    if let Some(dir) = &manifest_dir {
        let candidate = dir.join(path);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    if let Some(dir) = invoking_file_dir(span) {
        let candidate = dir.join(path);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "workflow file `{written}` not found\n  = note: the path is relative to the package root (CARGO_MANIFEST_DIR), or to the directory of the file invoking `workflow!`"
    ))
}

/// The directory of the source file the path literal is written in, when it is a
/// real file (the literal's span, not the call site: `respan::workflow!` is a
/// `macro_rules!` in the facade, so the call site of this macro is there).
fn invoking_file_dir(span: Span) -> Option<PathBuf> {
    // `Span::local_file` is stable since Rust 1.88; outside a proc macro
    // (unit tests) there is no span to ask.
    if !proc_macro::is_available() {
        return None;
    }
    let file = span.unwrap().local_file()?;
    let file = if file.is_absolute() {
        file
    } else {
        std::env::current_dir().ok()?.join(file)
    };
    file.parent().map(Path::to_path_buf)
}

/// `compile_error!`s at the path literal, then the stub module so that code using
/// the workflow does not add errors of its own.
fn failure(span: Span, errors: &[String], stem: &str, stub: TokenStream) -> TokenStream {
    let errors = errors.iter().map(|message| {
        quote_spanned! {span=> ::core::compile_error! { #message } }
    });
    let stub = if stub.is_empty() {
        generate::stub(None, stem, &Options::new(stem)).unwrap_or_default()
    } else {
        stub
    };
    quote! {
        #(#errors)*
        #stub
    }
}

/// The checker's warnings (e.g. an agent no route reaches), shown by rustc.
///
/// Proc macros cannot emit warnings on stable Rust; using a `#[deprecated]` item
/// is the usual way round: rustc prints "use of deprecated ...: <our message>"
/// at the path literal, and `#[allow(deprecated)]` silences it.
fn warnings(span: Span, warnings: &[String]) -> TokenStream {
    let items = warnings.iter().map(|message| {
        let note = format!("respan workflow warning\n{message}");
        quote_spanned! {span=>
            const _: () = {
                #[deprecated(note = #note)]
                #[allow(non_camel_case_types)]
                struct workflow_warning;
                let _ = workflow_warning;
            };
        }
    });
    quote! { #(#items)* }
}
