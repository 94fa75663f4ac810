//! The arguments of `#[respan_tool(...)]`: all optional.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, Meta, Token};

use super::Errors;

const KEYS: &[&str] = &["name", "description", "timeout_secs", "needs_approval"];

/// What the attribute's arguments set.
#[derive(Default)]
pub(crate) struct Options {
    /// `name = "..."`: the name the model calls the tool by (default: the function's).
    pub name: Option<syn::LitStr>,
    /// `description = "..."`: overrides the doc comment.
    pub description: Option<syn::LitStr>,
    /// `timeout_secs = N`: how long one call may take (default: the runtime's 60 s).
    pub timeout_secs: Option<Lit>,
    /// `needs_approval` (or `needs_approval = true`): every call waits for a
    /// person's approval; `needs_approval = false` is the default, said aloud.
    pub needs_approval: Option<syn::LitBool>,
}

pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options::default();
    if args.is_empty() {
        return options;
    }
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(pairs) => pairs,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format!(
                    "{error}\n  = help: arguments are `key = value` or `needs_approval`: `#[respan_tool(name = \"lookup\", description = \"...\", timeout_secs = 30, needs_approval)]`"
                ),
            ));
            return options;
        }
    };
    for meta in metas {
        let pair = match meta {
            Meta::NameValue(pair) => pair,
            Meta::Path(path) if path.is_ident("needs_approval") => {
                options.needs_approval = Some(syn::LitBool::new(true, path_span(&path)));
                continue;
            }
            Meta::Path(path) => {
                let key = path
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                if KEYS.contains(&key.as_str()) {
                    errors.at(
                        &path,
                        format!("`{key}` needs a value"),
                        format!("write `{key} = ...`"),
                    );
                } else {
                    unknown_key(&path, &key, errors);
                }
                continue;
            }
            Meta::List(list) => {
                errors.at(
                    &list,
                    "`#[respan_tool]` arguments are `key = value` or `needs_approval`",
                    "write e.g. `timeout_secs = 30`",
                );
                continue;
            }
        };
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
            ("needs_approval", Some(Lit::Bool(needs))) => options.needs_approval = Some(needs),
            ("needs_approval", _) => errors.at(
                &pair.value,
                "`needs_approval` must be `true` or `false`",
                "write `needs_approval` (or `needs_approval = false`)",
            ),
            ("name" | "description", _) => errors.at(
                &pair.value,
                format!("`{key}` must be a string literal"),
                format!("write `{key} = \"...\"`"),
            ),
            _ => unknown_key(&pair.path, &key, errors),
        }
    }
    options
}

fn unknown_key(path: &syn::Path, key: &str, errors: &mut Errors) {
    let help = match crate::suggest::did_you_mean(key, KEYS.iter().copied()) {
        Some(known) => format!("did you mean `{known}`?"),
        None => format!("the arguments are {}", crate::diagnostic::or_list(KEYS)),
    };
    errors.at(
        path,
        format!("unknown `#[respan_tool]` argument `{key}`"),
        help,
    );
}

fn path_span(path: &syn::Path) -> proc_macro2::Span {
    path.segments
        .first()
        .map(|segment| segment.ident.span())
        .unwrap_or_else(proc_macro2::Span::call_site)
}

/// The names OpenAI accepts for a function: `^[a-zA-Z0-9_-]{1,64}$`.
fn is_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
