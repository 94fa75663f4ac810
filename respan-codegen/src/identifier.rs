//! Which names may be agent ids (and test names): snake_case Rust identifiers
//! that are not keywords, since each becomes an enum variant or a function.
//! The parser asks too (to word a fix), so this sits below both it and the checker.

use heck::ToSnakeCase;

/// Rust's strict and reserved keywords (2024 edition), which ids may not be.
const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// Whether `name` is a snake_case Rust identifier an id may be.
pub(crate) fn is_identifier(name: &str) -> bool {
    identifier_problem(name).is_none()
}

/// Why `name` cannot be a snake_case Rust identifier, if it cannot.
pub(crate) fn identifier_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("an identifier cannot be empty");
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return Some("identifiers cannot start with a digit");
    }
    if RUST_KEYWORDS.contains(&name) {
        return Some("this is a Rust keyword");
    }
    if name.chars().all(|c| c == '_') {
        return Some("an identifier needs a letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Some("expected a snake_case identifier (a-z, 0-9, _)");
    }
    None
}

/// A valid identifier close to `name`, if there is an obvious one.
pub(crate) fn fixed_identifier(name: &str) -> Option<String> {
    let mut fixed = name.to_snake_case();
    if fixed.starts_with(|c: char| c.is_ascii_digit()) || RUST_KEYWORDS.contains(&fixed.as_str()) {
        fixed = format!(
            "{}_{fixed}",
            if name.starts_with(|c: char| c.is_ascii_digit()) {
                "agent"
            } else {
                "my"
            }
        );
        if RUST_KEYWORDS.contains(&name) {
            fixed = format!("{name}_agent");
        }
    }
    (fixed != name && identifier_problem(&fixed).is_none()).then_some(fixed)
}
