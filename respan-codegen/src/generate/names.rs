//! Rust names for workflow ids, built without ever panicking on bad input.

use heck::ToUpperCamelCase;
use proc_macro2::{Ident, Literal, Span};

/// An identifier if `name` is one (keywords become raw identifiers: `r#type`);
/// `None` for anything else (`self`, `9lives`, `a-b`, ...).
pub(crate) fn ident(name: &str) -> Option<Ident> {
    if let Ok(ident) = syn::parse_str::<Ident>(name) {
        return Some(ident);
    }
    // Keywords that can be raw identifiers (not `self`, `super`, `crate`, `Self`, `_`).
    let raw = format!("r#{name}");
    syn::parse_str::<Ident>(&raw).ok()
}

/// A struct field for a template variable: the variable itself, raw when it is a
/// keyword (`r#type`), or with a trailing `_` when not even that works (`self_`).
pub(crate) fn field_ident(name: &str) -> Ident {
    ident(name)
        .or_else(|| ident(&format!("{name}_")))
        .unwrap_or_else(|| Ident::new("invalid_variable_", Span::call_site()))
}

/// The module name of a workflow (`support`), if it is a usable identifier.
pub fn module_name(name: &str) -> Option<Ident> {
    syn::parse_str::<Ident>(name).ok()
}

/// The `Agent` variant of an agent id: `tech_support` -> `TechSupport`.
pub fn agent_variant(id: &str) -> Option<Ident> {
    let camel = id.to_upper_camel_case();
    if camel.is_empty() {
        return None;
    }
    syn::parse_str::<Ident>(&camel).ok()
}

/// The handoff enum of an agent id: `triage` -> `TriageHandoff`.
pub fn handoff_enum_name(id: &str) -> Option<Ident> {
    let variant = agent_variant(id)?;
    syn::parse_str::<Ident>(&format!("{variant}Handoff")).ok()
}

/// A string literal.
pub(crate) fn str_lit(text: &str) -> Literal {
    Literal::string(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(agent_variant("tech_support").unwrap(), "TechSupport");
        assert_eq!(agent_variant("triage").unwrap(), "Triage");
        assert!(agent_variant("9lives").is_none());
        assert!(agent_variant("").is_none());
        assert!(agent_variant("a-b").is_some_and(|v| v == "AB"));
        assert_eq!(handoff_enum_name("triage").unwrap(), "TriageHandoff");
        assert_eq!(field_ident("type").to_string(), "r#type");
        assert_eq!(field_ident("self").to_string(), "self_");
        assert_eq!(field_ident("product").to_string(), "product");
        assert!(module_name("support").is_some());
        assert!(module_name("fn").is_none());
        assert!(module_name("a b").is_none());
    }
}
