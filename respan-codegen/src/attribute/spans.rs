//! The synthetic source of an attribute's spec, and the way back to its tokens.
//!
//! The checker reports diagnostics at byte ranges of a source text. An attribute
//! has no text, so every value read gets a range of its own, as if the values
//! were written one after another, and a diagnostic's range leads back to the
//! tokens the value was written as. Only the ranges matter, so no text is kept;
//! a template gets its real length, so the range of one of its variables falls
//! inside it.

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::spec::{Span, Spanned};

/// The ranges handed out so far, each with the tokens of its value.
#[derive(Default)]
pub(crate) struct SourceMap {
    /// Where the next range starts.
    end: usize,
    values: Vec<(Span, TokenStream)>,
}

impl SourceMap {
    /// Gives `value` a fresh range `len` bytes long (at least one, so no two
    /// values share a start), leading back to `tokens`.
    pub(crate) fn record<T>(&mut self, value: T, len: usize, tokens: &impl ToTokens) -> Spanned<T> {
        let span = Span::new(self.end, self.end + len.max(1));
        // A gap, so that a range's end is never the next one's start.
        self.end = span.end + 1;
        self.values.push((span, tokens.to_token_stream()));
        Spanned::new(value, span)
    }

    /// A string value, at its own length (template variables fall inside).
    pub(crate) fn text(&mut self, text: String, tokens: &impl ToTokens) -> Spanned<String> {
        let len = text.len();
        self.record(text, len, tokens)
    }

    /// The tokens of the value whose range holds the start of `span`.
    pub(crate) fn tokens(&self, span: Span) -> Option<&TokenStream> {
        self.values
            .iter()
            .find(|(range, _)| range.start <= span.start && span.start < range.end)
            .map(|(_, tokens)| tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn every_value_gets_its_own_range_and_leads_back_to_its_tokens() {
        let mut map = SourceMap::default();
        let first = map.record(2.5, 3, &quote!(2.5));
        let empty = map.text(String::new(), &quote!(""));
        let template = map.text("Help {{ user }}.".into(), &quote!("Help {{ user }}."));
        assert_eq!(first.span, Span::new(0, 3));
        assert_eq!(empty.span, Span::new(4, 5));
        assert_eq!(template.span, Span::new(6, 22));
        // A variable's range inside the template leads to the template.
        let variable = Span::new(template.span.start + 8, template.span.start + 12);
        assert_eq!(
            map.tokens(variable).unwrap().to_string(),
            "\"Help {{ user }}.\""
        );
        assert_eq!(map.tokens(empty.span).unwrap().to_string(), "\"\"");
        assert!(map.tokens(Span::new(3, 3)).is_none());
        assert!(map.tokens(Span::new(100, 101)).is_none());
    }
}
