//! What `workflow!` and build.rs emit for a checked source: the module, or a
//! stub and the rendered diagnostics.

use proc_macro2::TokenStream;

use super::{Options, module, stub};
use crate::spec::Spec;

/// What a front end emits for a checked source: the module (or, when the source
/// has errors, a stub), and the rendered errors to show.
#[derive(Debug)]
pub struct Expansion {
    /// `pub mod <name> { ... }`: the real module, or a stub when there are errors
    /// (empty when not even a stub can be named).
    pub tokens: TokenStream,
    /// Every error, rendered like rustc without colours and without the leading
    /// `error: ` (the compiler adds its own), e.g. "unknown handoff target `biling`
    /// --> workflows/support.toml:8:13 ...".
    pub errors: Vec<String>,
    /// Every warning (e.g. an agent no route reaches), rendered the same way.
    pub warnings: Vec<String>,
}

/// Generates the module of a checked source, or a stub and the errors.
///
/// `fallback_name` names the stub module when the source has no usable
/// workflow name (usually the file's stem).
pub fn expand(checked: &crate::Checked, fallback_name: &str, options: &Options) -> Expansion {
    let mut options = options.clone();
    if options.source.is_none() {
        options.source = Some(checked.source.clone());
    }
    let options = &options;
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| rendered_error(checked, d))
        .collect();
    let warnings: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| rendered_error(checked, d))
        .collect();
    if errors.is_empty()
        && let Some(spec) = &checked.spec
        && let Some(tokens) = module(spec, options)
    {
        return Expansion {
            tokens,
            errors,
            warnings,
        };
    }
    let mut errors = errors;
    if errors.is_empty() {
        // Unreachable for a spec the checker accepted; say so rather than panic.
        errors.push(format!(
            "respan could not generate code for `{}` (please report this)",
            checked.path
        ));
    }
    let spec = checked
        .spec
        .as_ref()
        .map(|spec| with_guessed_templates(spec, &checked.source));
    let tokens = stub(spec.as_ref(), fallback_name, options).unwrap_or_default();
    Expansion {
        tokens,
        errors,
        warnings,
    }
}

/// A diagnostic rendered for the compiler (no colour, no `error: ` or
/// `warning: ` prefix: the compiler adds its own).
pub fn rendered_error(checked: &crate::Checked, diagnostic: &crate::Diagnostic) -> String {
    let text = checked.render_one(diagnostic, false);
    let text = text.trim_end();
    text.strip_prefix("error: ")
        .or_else(|| text.strip_prefix("warning: "))
        .unwrap_or(text)
        .to_string()
}

/// For a stub: agents whose instructions did not parse (so the spec has none) get
/// them back from the TOML text, with the variables guessed from `{{ name`, so
/// that the stub's `Vars` has the fields the user's code sets.
fn with_guessed_templates(spec: &Spec, source: &str) -> Spec {
    let mut spec = spec.clone();
    if spec.agents.iter().all(|agent| agent.instructions.is_some()) {
        return spec;
    }
    let Ok(document) = source.parse::<toml::Table>() else {
        return spec;
    };
    let agents = document.get("agents").and_then(toml::Value::as_table);
    let defaults = document
        .get("defaults")
        .and_then(|d| d.get("instructions"))
        .and_then(toml::Value::as_str);
    for agent in spec
        .agents
        .iter_mut()
        .filter(|agent| agent.instructions.is_none())
    {
        let text = agents
            .and_then(|agents| agents.get(&agent.id.value))
            .and_then(|table| table.get("instructions"))
            .and_then(toml::Value::as_str)
            .or(defaults);
        if let Some(text) = text {
            agent.instructions = Some(crate::spec::Template {
                source: crate::spec::Spanned::new(text.to_string(), 0..0),
                variables: guessed_variables(text)
                    .into_iter()
                    .map(|name| crate::spec::Spanned::new(name, 0..0))
                    .collect(),
            });
        }
    }
    spec
}

/// `{{ name` occurrences of a template that did not parse.
fn guessed_variables(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in source.split("{{").skip(1) {
        let name: String = part
            .trim_start_matches([' ', '-'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}
