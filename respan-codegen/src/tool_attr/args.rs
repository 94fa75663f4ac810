//! The arguments of `#[respan_tool(...)]`: all optional.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, MetaNameValue, Token};

use super::Errors;

const KEYS: &[&str] = &["name", "description", "timeout_secs"];

/// What the attribute's arguments set.
#[derive(Default)]
pub(crate) struct Options {
    /// `name = "..."`: the name the model calls the tool by (default: the function's).
    pub name: Option<syn::LitStr>,
    /// `description = "..."`: overrides the doc comment.
    pub description: Option<syn::LitStr>,
    /// `timeout_secs = N`: how long one call may take (default: the runtime's 60 s).
    pub timeout_secs: Option<Lit>,
}

pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options::default();
    if args.is_empty() {
        return options;
    }
    let pairs = match Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args) {
        Ok(pairs) => pairs,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format!(
                    "{error}\n  = help: arguments are `key = value`: `#[respan_tool(name = \"lookup\", description = \"...\", timeout_secs = 30)]`"
                ),
            ));
            return options;
        }
    };
    for pair in pairs {
        let key = pair
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let literal = match &pair.value {
            Expr::Lit(ExprLit { lit, .. }) => Some(lit.clone()),
            _ => None,
        };
        match (key.as_str(), literal) {
            ("name", Some(Lit::Str(name))) => {
                if !is_tool_name(&name.value()) {
                    errors.at(
                        &name,
                        format!("`{}` is not a valid tool name", name.value()),
                        "tool names use only `a-z`, `A-Z`, `0-9`, `_` and `-` (at most 64)",
                    );
                }
                options.name = Some(name);
            }
            ("description", Some(Lit::Str(description))) => options.description = Some(description),
            ("timeout_secs", Some(Lit::Int(n))) if n.base10_parse::<u64>().is_ok_and(|n| n > 0) => {
                options.timeout_secs = Some(Lit::Int(n))
            }
            ("timeout_secs", Some(Lit::Float(n)))
                if n.base10_parse::<f64>()
                    .is_ok_and(|n| n > 0.0 && n.is_finite()) =>
            {
                options.timeout_secs = Some(Lit::Float(n))
            }
            ("timeout_secs", _) => errors.at(
                &pair.value,
                "`timeout_secs` must be a positive number of seconds",
                "write e.g. `timeout_secs = 30` (or `2.5`)",
            ),
            ("name" | "description", _) => errors.at(
                &pair.value,
                format!("`{key}` must be a string literal"),
                format!("write `{key} = \"...\"`"),
            ),
            _ => {
                let help = match crate::suggest::did_you_mean(&key, KEYS.iter().copied()) {
                    Some(known) => format!("did you mean `{known}`?"),
                    None => format!("the arguments are {}", crate::parse::list(KEYS)),
                };
                errors.at(
                    &pair.path,
                    format!("unknown `#[respan_tool]` argument `{key}`"),
                    help,
                );
            }
        }
    }
    options
}

/// The names OpenAI accepts for a function: `^[a-zA-Z0-9_-]{1,64}$`.
fn is_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
