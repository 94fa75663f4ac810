//! Diagnostics as compile errors, collected rather than returned at the first.
//!
//! Like serde_derive's `Ctxt`: each reader pushes its error and the parsing goes
//! on with the next key, so one compile shows every mistake of an attribute. The
//! errors are combined with [`syn::Error::combine`] and emitted as one
//! `compile_error!` each, at the tokens they are about.

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::diagnostic::Diagnostic;

/// The errors found so far.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// One `compile_error!` per error, in the order they were found.
    pub(crate) fn to_compile_error(&self) -> TokenStream {
        self.0
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }

    /// The messages, in order (for tests).
    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.0
            .clone()
            .into_iter()
            .flatten()
            .map(|error| error.to_string())
            .collect()
    }
}

/// A diagnostic as a compile error at `tokens`.
pub(crate) fn error(tokens: &impl ToTokens, diagnostic: &Diagnostic) -> syn::Error {
    syn::Error::new_spanned(tokens, message(diagnostic))
}

/// The headline, then the help and notes a TOML file shows under its snippet.
/// rustc prints the message above the snippet, so they go in the message.
fn message(diagnostic: &Diagnostic) -> String {
    let mut message = diagnostic.message.clone();
    // The label annotates the snippet in TOML files; here it is a note, unless it
    // only repeats the headline.
    if !diagnostic.label.is_empty() && !diagnostic.message.contains(&diagnostic.label) {
        message.push_str(&format!("\n= note: {}", diagnostic.label));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\n= help: {help}"));
    }
    for note in &diagnostic.notes {
        message.push_str(&format!("\n= note: {note}"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Span;
    use quote::quote;

    #[test]
    fn errors_are_combined_in_order() {
        let mut errors = Errors::default();
        assert!(errors.is_empty());
        assert!(errors.to_compile_error().is_empty());
        let tokens = quote!(x);
        errors.push(syn::Error::new_spanned(&tokens, "first"));
        errors.push(syn::Error::new_spanned(&tokens, "second"));
        assert_eq!(errors.messages(), ["first", "second"]);
        let emitted = errors.to_compile_error().to_string();
        assert_eq!(emitted.matches("compile_error").count(), 2, "{emitted}");
    }

    #[test]
    fn the_label_is_a_note_unless_the_headline_says_it() {
        let d = Diagnostic::error("template syntax error", Span::default(), "found `}`")
            .with_note("instructions are tera templates");
        assert_eq!(
            message(&d),
            "template syntax error\n= note: found `}`\n= note: instructions are tera templates"
        );
        let d = Diagnostic::error(
            "unknown key `x` in `prompt`",
            Span::default(),
            "unknown key",
        )
        .with_help("did you mean `echo`?");
        assert_eq!(
            message(&d),
            "unknown key `x` in `prompt`\n= help: did you mean `echo`?"
        );
    }
}
