//! Reading the arguments of `#[respan_agent(...)]`, every mistake collected.
//!
//! Hand-rolled over [`syn::meta`] rather than darling: the values land directly
//! in the spec types the checker reads ([`ModelSettingsSpec`], ...), each recorded
//! in the [`SourceMap`] as it is read, and the messages are the TOML front end's
//! ("wrong type for `temperature`: expected a number, found a string"). darling
//! would need a second set of structs mirroring the spec, a conversion, and its
//! own wording.
//!
//! Each argument list is a [`Table`]: its keys, each with how its value is read.
//! The same table dispatches the keys and suggests "did you mean ...?", so a new
//! key is one line in a table (plus the field it fills).
//!
//! Recovery: a key that cannot be read pushes its error, its value is skipped up
//! to the next `,`, and the next key is read. Values are parsed from their own
//! token streams, so a broken one never leaves the list's parser in a bad state.

use heck::ToUpperCamelCase;
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;
use serde_json::{Map, Value};
use syn::meta::ParseNestedMeta;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprLit, Lit, LitStr, Path, Token, UnOp};

use super::errors::{self, Errors};
use super::spans::SourceMap;
use crate::diagnostic::{Diagnostic, or_list, out_of_range};
use crate::format::{INPUT_FILTERS, PLACEMENTS, TOOL_USE_BEHAVIORS};
use crate::spec::{
    InputFilterSpec, ModelSettingsSpec, PlacementSpec, PromptSpec, RespanSpec, Span, Spanned,
    ToolChoiceSpec, ToolUseBehaviorSpec,
};
use crate::suggest::did_you_mean;

/// What the attribute says. Values the struct can default (`id`, `name`) or that
/// need the struct to check (`instructions`) stay tokens; the rest are spec values.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) id: Option<LitStr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) instructions: Option<LitStr>,
    /// `instructions = path::to::fn`: rustc checks its signature.
    pub(crate) instructions_fn: Option<Path>,
    pub(crate) model: Option<Spanned<String>>,
    pub(crate) handoff_description: Option<Spanned<String>>,
    /// Agent structs: rustc resolves them.
    pub(crate) handoffs: Vec<Path>,
    /// Functions: rustc resolves them.
    pub(crate) tools: Vec<Path>,
    pub(crate) model_settings: ModelSettingsSpec,
    pub(crate) respan: Option<RespanSpec>,
    pub(crate) prompt: Option<PromptSpec>,
    /// `output = Type`: rustc checks it is `JsonSchema + Deserialize`.
    pub(crate) output: Option<syn::Type>,
    /// `tool_use_behavior`; `stop_at_tools` names are the last segments of
    /// [`Args::stop_at_tools`], whose tools' names rustc gives.
    pub(crate) tool_use_behavior: Option<Spanned<ToolUseBehaviorSpec>>,
    pub(crate) stop_at_tools: Vec<Path>,
    /// `agent_tool(Researcher, ..)`, in declaration order.
    pub(crate) agent_tools: Vec<AgentToolArgs>,
    /// `handoff(Billing, ..)`, in declaration order.
    pub(crate) handoff_options: Vec<HandoffArgs>,
}

/// `agent_tool(Researcher, name = .., description = .., max_turns = .., timeout_secs = ..)`:
/// the keys of a `[tools.<name>] agent = ".."` table.
pub(crate) struct AgentToolArgs {
    /// The agent struct the tool runs: rustc resolves it.
    pub(crate) agent: Path,
    /// The tool's name; `None`: the runtime's default (the agent's display
    /// name in function style), which only the target struct knows.
    pub(crate) name: Option<Spanned<String>>,
    pub(crate) description: Option<Spanned<String>>,
    pub(crate) max_turns: Option<Spanned<u32>>,
    pub(crate) timeout_secs: Option<Spanned<f64>>,
}

/// `handoff(Billing, ..)`: the keys of an `[agents.<id>.handoff.<target>]`
/// table, the Rust ones as Rust (paths and a type rustc checks).
pub(crate) struct HandoffArgs {
    /// The agent struct handed to (it must be in `handoffs`).
    pub(crate) target: Path,
    pub(crate) tool_name: Option<Spanned<String>>,
    pub(crate) description: Option<Spanned<String>>,
    /// `input_filter = "remove_all_tools" | "nest_history"`.
    pub(crate) input_filter: Option<Spanned<InputFilterSpec>>,
    /// `input_filter_fn = path`: `fn(&[InputItem]) -> Vec<InputItem>`.
    pub(crate) input_filter_fn: Option<Path>,
    /// `input_type = Type`: `Deserialize + JsonSchema`.
    pub(crate) input_type: Option<syn::Type>,
    /// `on_handoff = path`: `fn(&Ctx, T)` with `input_type = T`, else `fn(&Ctx)`.
    pub(crate) on_handoff: Option<Path>,
    pub(crate) is_enabled: Option<Spanned<bool>>,
    /// `is_enabled_fn = path`: `fn(&Ctx, &Agent<&'static str, Ctx>) -> bool`.
    pub(crate) is_enabled_fn: Option<Path>,
}

impl AgentToolArgs {
    fn new(agent: Path) -> Self {
        Self {
            agent,
            name: None,
            description: None,
            max_turns: None,
            timeout_secs: None,
        }
    }
}

impl HandoffArgs {
    fn new(target: Path) -> Self {
        Self {
            target,
            tool_name: None,
            description: None,
            input_filter: None,
            input_filter_fn: None,
            input_type: None,
            on_handoff: None,
            is_enabled: None,
            is_enabled_fn: None,
        }
    }

    /// `handoff(Billing, ..)`, for messages.
    fn place(&self) -> String {
        format!("`handoff({}, ..)`", path_text(&self.target))
    }
}

/// Reads the arguments; what cannot be read is in `errors`, the rest in the result.
pub(crate) fn parse(tokens: TokenStream, source: &mut SourceMap, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let mut reader = Reader { source, errors };
    let mut seen = Vec::new();
    // Lists whose keys are easily written at the top by mistake.
    let nested = [
        MODEL_SETTINGS.keys(),
        RESPAN.keys(),
        PROMPT.keys(),
        HANDOFF.keys(),
        AGENT_TOOL.keys(),
    ];
    let parsed =
        syn::meta::parser(|meta| reader.entry(meta, &AGENT, &mut args, &mut seen, &nested))
            .parse2(tokens);
    if let Err(error) = parsed {
        reader.errors.push(error);
    }
    args
}

/// How one key's value is read into its list's target.
type Read<T> = fn(&mut Reader<'_>, &ParseNestedMeta<'_>, &mut T) -> syn::Result<()>;

/// The keys of one argument list.
pub(crate) struct Table<T: 'static> {
    /// The list's key (`model_settings`), or the attribute for the top level.
    name: &'static str,
    keys: &'static [(&'static str, Read<T>)],
    /// The keys that may be given more than once (each adds one more).
    repeatable: &'static [&'static str],
}

impl<T> Table<T> {
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.keys.iter().map(|(name, _)| *name).collect()
    }

    /// The list's name and its keys, without how they are read.
    fn keys(&self) -> (&'static str, Vec<&'static str>) {
        (self.name, self.names())
    }
}

/// `#[respan_agent(...)]`.
pub(crate) const AGENT: Table<Args> = Table {
    name: "#[respan_agent]",
    keys: &[
        ("id", |r, m, a| set(&mut a.id, r.lit_str(m))),
        ("name", |r, m, a| set(&mut a.name, r.lit_str(m))),
        ("instructions", |r, m, a| r.instructions(m, a)),
        ("model", |r, m, a| set(&mut a.model, r.text(m))),
        ("model_settings", |r, m, a| {
            r.list(m, &MODEL_SETTINGS, &mut a.model_settings)
        }),
        ("handoff_description", |r, m, a| {
            set(&mut a.handoff_description, r.text(m))
        }),
        ("handoffs", |r, m, a| {
            assign(&mut a.handoffs, r.paths(m, |s| s.to_upper_camel_case()))
        }),
        ("tools", |r, m, a| {
            assign(&mut a.tools, r.paths(m, str::to_owned))
        }),
        ("respan", |r, m, a| {
            let span = r.mark(m);
            let respan = a.respan.insert(RespanSpec {
                span,
                ..RespanSpec::default()
            });
            r.list(m, &RESPAN, respan)
        }),
        ("prompt", |r, m, a| {
            let prompt = a.prompt.insert(empty_prompt(r.mark(m)));
            r.list(m, &PROMPT, prompt)
        }),
        ("output", |r, m, a| set(&mut a.output, r.output_type(m))),
        ("tool_use_behavior", |r, m, a| r.tool_use_behavior(m, a)),
        ("agent_tool", |r, m, a| {
            // A handoff's keys, but `tool_name` (an agent tool's is `name`).
            let (list, mut keys) = HANDOFF.keys();
            keys.retain(|key| *key != "tool_name");
            let nested = [(list, keys)];
            if let Some(tool) =
                r.targeted(m, &AGENT_TOOL, "Researcher", AgentToolArgs::new, &nested)?
            {
                a.agent_tools.push(tool);
            }
            Ok(())
        }),
        ("handoff", |r, m, a| {
            // An agent tool's keys, but `name` (a handoff's is `tool_name`).
            let (list, mut keys) = AGENT_TOOL.keys();
            keys.retain(|key| *key != "name");
            let nested = [(list, keys)];
            if let Some(handoff) = r.targeted(m, &HANDOFF, "Billing", HandoffArgs::new, &nested)? {
                a.handoff_options.push(handoff);
            }
            Ok(())
        }),
    ],
    repeatable: &["agent_tool", "handoff"],
};

/// `agent_tool(Agent, ...)`: an agent as a tool.
pub(crate) const AGENT_TOOL: Table<AgentToolArgs> = Table {
    name: "agent_tool",
    keys: &[
        ("name", |r, m, t| set(&mut t.name, r.text(m))),
        ("description", |r, m, t| set(&mut t.description, r.text(m))),
        ("max_turns", |r, m, t| {
            set(&mut t.max_turns, r.integer(m, 0, "at least 1"))
        }),
        ("timeout_secs", |r, m, t| {
            set(&mut t.timeout_secs, r.float(m))
        }),
    ],
    repeatable: &[],
};

/// `handoff(Agent, ...)`: the options of one handoff.
pub(crate) const HANDOFF: Table<HandoffArgs> = Table {
    name: "handoff",
    keys: &[
        ("tool_name", |r, m, h| set(&mut h.tool_name, r.text(m))),
        ("description", |r, m, h| set(&mut h.description, r.text(m))),
        ("input_filter", |r, m, h| {
            let other = h.input_filter_fn.is_some();
            exclusive(m, h, other, "input_filter_fn", FILTER_CHOICE)?;
            set(&mut h.input_filter, r.input_filter(m))
        }),
        ("input_filter_fn", |r, m, h| {
            let other = h.input_filter.is_some();
            exclusive(m, h, other, "input_filter", FILTER_CHOICE)?;
            set(&mut h.input_filter_fn, r.function(m))
        }),
        ("input_schema", |_, m, _| Err(input_schema_refused(m))),
        ("input_type", |r, m, h| {
            let expected = "a type with `Deserialize + JsonSchema`, e.g. `input_type = Escalation`";
            set(&mut h.input_type, r.type_value(m, expected))
        }),
        ("on_handoff", |r, m, h| {
            set(&mut h.on_handoff, r.function(m))
        }),
        ("is_enabled", |r, m, h| {
            let other = h.is_enabled_fn.is_some();
            exclusive(m, h, other, "is_enabled_fn", ENABLED_CHOICE)?;
            set(&mut h.is_enabled, r.boolean(m))
        }),
        ("is_enabled_fn", |r, m, h| {
            let other = h.is_enabled.is_some();
            exclusive(m, h, other, "is_enabled", ENABLED_CHOICE)?;
            set(&mut h.is_enabled_fn, r.function(m))
        }),
    ],
    repeatable: &[],
};

const FILTER_CHOICE: &str =
    "a named filter (`remove_all_tools`, `nest_history`) or a Rust function";
const ENABLED_CHOICE: &str = "`is_enabled = true | false` or a Rust function deciding per turn";

/// A key of an exclusive pair whose `other` is set already: both is an error
/// at the second, as in a TOML file.
fn exclusive(
    meta: &ParseNestedMeta<'_>,
    handoff: &HandoffArgs,
    other_set: bool,
    other: &str,
    choice: &str,
) -> syn::Result<()> {
    if !other_set {
        return Ok(());
    }
    let key = key(meta);
    let diagnostic = Diagnostic::error(
        format!("{} sets both `{other}` and `{key}`", handoff.place()),
        Span::default(),
        format!("`{key}` gives what `{other}` gives, another way"),
    )
    .with_help(format!("keep one: {choice}"));
    Err(errors::error(&meta.path, &diagnostic))
}

/// `input_schema` is a TOML key only: a JSON Schema in an attribute is unreadable.
fn input_schema_refused(meta: &ParseNestedMeta<'_>) -> syn::Error {
    let diagnostic = Diagnostic::error(
        "`input_schema` is not accepted in `#[respan_agent]`",
        Span::default(),
        "a JSON Schema written in an attribute is unreadable",
    )
    .with_help(
        "give the input a Rust type: `input_type = Escalation`, a `serde::Deserialize + schemars::JsonSchema` struct",
    );
    errors::error(&meta.path, &diagnostic)
}

/// `model_settings(...)`.
pub(crate) const MODEL_SETTINGS: Table<ModelSettingsSpec> = Table {
    name: "model_settings",
    keys: &[
        ("temperature", |r, m, s| set(&mut s.temperature, r.float(m))),
        ("top_p", |r, m, s| set(&mut s.top_p, r.float(m))),
        ("max_tokens", |r, m, s| {
            set(&mut s.max_tokens, r.integer(m, 0, "at least 1"))
        }),
        ("frequency_penalty", |r, m, s| {
            set(&mut s.frequency_penalty, r.float(m))
        }),
        ("presence_penalty", |r, m, s| {
            set(&mut s.presence_penalty, r.float(m))
        }),
        ("tool_choice", |r, m, s| {
            set(&mut s.tool_choice, r.tool_choice(m))
        }),
        ("parallel_tool_calls", |r, m, s| {
            set(&mut s.parallel_tool_calls, r.boolean(m))
        }),
        ("seed", |r, m, s| {
            set(&mut s.seed, r.integer(m, i64::MIN, "a 64-bit integer"))
        }),
        ("stop", |r, m, s| set(&mut s.stop, r.stop(m))),
    ],
    repeatable: &[],
};

/// `respan(...)`: the gateway's own parameters.
pub(crate) const RESPAN: Table<RespanSpec> = Table {
    name: "respan",
    keys: &[
        ("customer_identifier", |r, m, p| {
            set(&mut p.customer_identifier, r.text(m))
        }),
        ("thread_identifier", |r, m, p| {
            set(&mut p.thread_identifier, r.text(m))
        }),
        ("fallback_models", |r, m, p| {
            assign(&mut p.fallback_models, r.strings(m))
        }),
        ("cache_enabled", |r, m, p| {
            set(&mut p.cache_enabled, r.boolean(m))
        }),
        ("cache_ttl", |r, m, p| {
            set(
                &mut p.cache_ttl,
                r.integer(m, 0, "a non-negative number of seconds"),
            )
        }),
        ("disable_log", |r, m, p| {
            set(&mut p.disable_log, r.boolean(m))
        }),
        ("placement", |r, m, p| set(&mut p.placement, r.placement(m))),
        ("metadata", |r, m, p| assign(&mut p.metadata, r.map(m))),
    ],
    repeatable: &[],
};

/// `prompt(...)`: a prompt managed on the gateway.
pub(crate) const PROMPT: Table<PromptSpec> = Table {
    name: "prompt",
    keys: &[
        ("prompt_id", |r, m, p| assign(&mut p.prompt_id, r.text(m))),
        ("schema_version", |r, m, p| {
            assign(&mut p.schema_version, r.integer(m, 1, "1 or 2"))
        }),
        ("placement", |r, m, p| {
            assign(&mut p.placement, r.placement(m))
        }),
        ("echo", |r, m, p| set(&mut p.echo, r.boolean(m))),
        ("variables", |r, m, p| assign(&mut p.variables, r.map(m))),
    ],
    repeatable: &[],
};

/// A prompt whose id is missing until `prompt_id` is read: if it stays missing,
/// the checker says so at `span` (as for a TOML file).
fn empty_prompt(span: Span) -> PromptSpec {
    PromptSpec {
        prompt_id: Spanned::new(String::new(), span),
        schema_version: Spanned::new(2, span),
        variables: Map::new(),
        version: None,
        echo: None,
        patch: None,
        placement: Spanned::new(PlacementSpec::Body, span),
        span,
    }
}

fn set<T>(slot: &mut Option<T>, value: syn::Result<T>) -> syn::Result<()> {
    *slot = Some(value?);
    Ok(())
}

fn assign<T>(slot: &mut T, value: syn::Result<T>) -> syn::Result<()> {
    *slot = value?;
    Ok(())
}

/// Reads values, recording each in the source map; errors of a list's entries go
/// straight to `errors`.
pub(crate) struct Reader<'a> {
    source: &'a mut SourceMap,
    errors: &'a mut Errors,
}

impl Reader<'_> {
    /// One `key = value` or `key(...)` of a list. Never fails: a mistake is
    /// pushed and its value skipped. `nested` names the lists whose keys may be
    /// written here by mistake.
    fn entry<T>(
        &mut self,
        meta: ParseNestedMeta<'_>,
        table: &Table<T>,
        target: &mut T,
        seen: &mut Vec<&'static str>,
        nested: &[(&str, Vec<&'static str>)],
    ) -> syn::Result<()> {
        let name = key(&meta);
        let result = match table.keys.iter().find(|(key, _)| *key == name) {
            Some((key, _)) if seen.contains(key) && !table.repeatable.contains(key) => {
                Err(syn::Error::new_spanned(
                    &meta.path,
                    format!("duplicate key `{key}` in `{}`", table.name),
                ))
            }
            Some((key, read)) => {
                seen.push(*key);
                read(self, &meta, target)
            }
            None => Err(unknown_key(&meta.path, &name, table, nested)),
        };
        if let Err(error) = result {
            self.errors.push(error);
            skip_value(meta.input)?;
        }
        Ok(())
    }

    /// A range for the key itself, for what a nested list is missing.
    fn mark(&mut self, meta: &ParseNestedMeta<'_>) -> Span {
        self.source.record((), 0, &meta.path).span
    }

    /// A nested list, `key(a = .., b = ..)`, read with its own table.
    fn list<T>(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        table: &Table<T>,
        target: &mut T,
    ) -> syn::Result<()> {
        let tokens = self.group(meta)?;
        let mut seen = Vec::new();
        let parsed = syn::meta::parser(|inner| self.entry(inner, table, target, &mut seen, &[]))
            .parse2(tokens);
        if let Err(error) = parsed {
            self.errors.push(error);
        }
        Ok(())
    }

    /// The tokens inside `key(...)`.
    fn group(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<TokenStream> {
        if meta.input.peek(syn::token::Paren) {
            let group: Group = meta.input.parse()?;
            if group.delimiter() == Delimiter::Parenthesis {
                return Ok(group.stream());
            }
        }
        let key = key(meta);
        Err(syn::Error::new_spanned(
            &meta.path,
            format!("`{key}` takes a list: `{key}(key = value, ...)`"),
        ))
    }

    fn lit_str(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
        match value(meta)? {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => Ok(lit),
            other => Err(wrong_type(meta, "a string", &other)),
        }
    }

    /// `instructions = "..."` (a template) or `instructions = path::to::fn`
    /// (a function computing them per turn).
    fn instructions(&mut self, meta: &ParseNestedMeta<'_>, args: &mut Args) -> syn::Result<()> {
        match value(meta)? {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => args.instructions = Some(lit),
            Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
                args.instructions_fn = Some(path.path);
            }
            other => {
                return Err(wrong_type(
                    meta,
                    "a string (a template) or the path of a function",
                    &other,
                ));
            }
        }
        Ok(())
    }

    fn text(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<String>> {
        let lit = self.lit_str(meta)?;
        Ok(self.source.text(lit.value(), &lit))
    }

    /// A number: integers are fine where floats are expected (`temperature = 1`).
    fn float(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<f64>> {
        let expr = value(meta)?;
        match number(&expr) {
            Some(value) => Ok(self.source.record(value, 1, &expr)),
            None => Err(wrong_type(meta, "a number", &expr)),
        }
    }

    /// An integer of type `N` and at least `min`; `range` says so in the message.
    fn integer<N>(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        min: N,
        range: &str,
    ) -> syn::Result<Spanned<N>>
    where
        N: TryFrom<i128> + Into<i128>,
    {
        let expr = value(meta)?;
        let Some(value) = integer(&expr) else {
            return Err(wrong_type(meta, "an integer", &expr));
        };
        match N::try_from(value) {
            Ok(n) if value >= min.into() => Ok(self.source.record(n, 1, &expr)),
            _ => {
                let found = expr.to_token_stream().to_string().replace(' ', "");
                let diagnostic = out_of_range(&key(meta), range, &found, Span::default());
                Err(errors::error(&expr, &diagnostic))
            }
        }
    }

    fn boolean(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<bool>> {
        match value(meta)? {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(lit),
                ..
            }) => Ok(self.source.record(lit.value, 1, &lit)),
            other => Err(wrong_type(meta, "a boolean", &other)),
        }
    }

    /// `["a", "b"]`, each element checked (the others are still read).
    fn strings(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Spanned<String>>> {
        let array = match value(meta)? {
            Expr::Array(array) => array,
            other => return Err(wrong_type(meta, "an array of strings", &other)),
        };
        let mut out = Vec::with_capacity(array.elems.len());
        for element in &array.elems {
            match element {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) => out.push(self.source.text(lit.value(), lit)),
                other => self.errors.push(wrong_element(meta, "a string", other)),
            }
        }
        Ok(out)
    }

    /// `stop`: one string or an array of them, as in a TOML file.
    fn stop(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<Vec<String>>> {
        let expr = value(meta)?;
        let stops = match &expr {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => vec![lit.value()],
            Expr::Array(array) => {
                let mut stops = Vec::with_capacity(array.elems.len());
                for element in &array.elems {
                    match element {
                        Expr::Lit(ExprLit {
                            lit: Lit::Str(lit), ..
                        }) => stops.push(lit.value()),
                        other => self.errors.push(wrong_element(meta, "a string", other)),
                    }
                }
                stops
            }
            other => return Err(wrong_type(meta, "a string or an array of strings", other)),
        };
        Ok(self.source.record(stops, 1, &expr))
    }

    /// `[Billing, crate::Technical]`: Rust paths. `fix` turns a string written
    /// instead into the path the help suggests.
    fn paths(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        fix: fn(&str) -> String,
    ) -> syn::Result<Vec<Path>> {
        let array = match value(meta)? {
            Expr::Array(array) => array,
            other => return Err(wrong_type(meta, "an array of paths", &other)),
        };
        let mut out = Vec::with_capacity(array.elems.len());
        for element in &array.elems {
            match element {
                Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
                    out.push(path.path.clone());
                }
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) => {
                    let diagnostic = wrong_element_diagnostic(meta, "a path", element)
                        .with_help(format!("write the path itself: `{}`", fix(&lit.value())));
                    self.errors.push(errors::error(element, &diagnostic));
                }
                other => self.errors.push(wrong_element(meta, "a path", other)),
            }
        }
        Ok(out)
    }

    /// `output = Invoice`: a type (rustc checks its traits).
    fn output_type(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<syn::Type> {
        self.type_value(
            meta,
            "expected a type with `JsonSchema + Deserialize`, e.g. `output = Invoice`",
        )
    }

    /// `key = Type`: a type (rustc checks its traits); `expected` is the
    /// message for anything else.
    fn type_value(&mut self, meta: &ParseNestedMeta<'_>, expected: &str) -> syn::Result<syn::Type> {
        if !meta.input.peek(Token![=]) {
            let key = key(meta);
            let message = format!("`{key}` needs a type: {expected}");
            return Err(syn::Error::new_spanned(&meta.path, message));
        }
        let input = meta.value()?;
        let tokens = rest_of_value(input)?;
        if let Ok(lit) = syn::parse2::<LitStr>(tokens.clone()) {
            let diagnostic = Diagnostic::error(
                format!(
                    "wrong type for `{}`: expected a type, found a string",
                    key(meta)
                ),
                Span::default(),
                "expected a type",
            )
            .with_help(format!("write the type itself: `{}`", lit.value()));
            return Err(errors::error(&lit, &diagnostic));
        }
        syn::parse2::<syn::Type>(tokens.clone())
            .map_err(|_| syn::Error::new_spanned(tokens, expected))
    }

    /// `key = path::to::function` (rustc checks its signature).
    fn function(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
        match value(meta)? {
            Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => Ok(path.path),
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => {
                let found = Expr::Lit(ExprLit {
                    attrs: Vec::new(),
                    lit: Lit::Str(lit.clone()),
                });
                let diagnostic = wrong_type_diagnostic(meta, "the path of a function", &found)
                    .with_help(format!("write the path itself: `{}`", lit.value()));
                Err(errors::error(&lit, &diagnostic))
            }
            other => Err(wrong_type(meta, "the path of a function", &other)),
        }
    }

    /// `input_filter = "remove_all_tools" | "nest_history"`, as in a TOML file.
    fn input_filter(
        &mut self,
        meta: &ParseNestedMeta<'_>,
    ) -> syn::Result<Spanned<InputFilterSpec>> {
        let lit = self.lit_str(meta)?;
        let filter = match lit.value().as_str() {
            "remove_all_tools" => InputFilterSpec::RemoveAllTools,
            "nest_history" => InputFilterSpec::NestHistory,
            other => {
                let diagnostic = Diagnostic::error(
                    format!("unknown input filter `{other}`"),
                    Span::default(),
                    format!("expected {}", or_list(INPUT_FILTERS)),
                );
                let diagnostic = match did_you_mean(other, INPUT_FILTERS.iter().copied()) {
                    Some(suggestion) => {
                        diagnostic.with_help(format!("did you mean `{suggestion}`?"))
                    }
                    None => diagnostic.with_help(format!(
                        "a filter of your own is a Rust function: `input_filter_fn = {}`",
                        if other.contains("::") {
                            other
                        } else {
                            "crate::filters::my_filter"
                        }
                    )),
                };
                return Err(errors::error(&lit, &diagnostic));
            }
        };
        Ok(self.source.record(filter, 1, &lit))
    }

    /// `key(Agent, option = .., ...)`: a list whose first entry is the agent
    /// struct it is about, then `table`'s keys. `None` when there is no
    /// agent to read (the options are still read, for their mistakes).
    fn targeted<T>(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        table: &Table<T>,
        example: &str,
        new: fn(Path) -> T,
        nested: &[(&str, Vec<&'static str>)],
    ) -> syn::Result<Option<T>> {
        let name = key(meta);
        let usage = format!("`{name}({example}, option = value, ...)`");
        let group = match meta.input.peek(syn::token::Paren) {
            true => Some(meta.input.parse::<Group>()?),
            false => None,
        };
        let Some(group) = group.filter(|g| g.delimiter() == Delimiter::Parenthesis) else {
            let message = format!("`{name}` takes the agent struct and its options: {usage}");
            return Err(syn::Error::new_spanned(&meta.path, message));
        };
        // The agent: the tokens up to the first `,`.
        let mut tokens = group.stream().into_iter();
        let first: TokenStream = tokens
            .by_ref()
            .take_while(|token| !matches!(token, TokenTree::Punct(p) if p.as_char() == ','))
            .collect();
        let rest: TokenStream = tokens.collect();
        let target = if first.is_empty() {
            let message = format!("`{name}` needs the agent struct first: {usage}");
            self.errors.push(syn::Error::new(group.span(), message));
            None
        } else if let Ok(lit) = syn::parse2::<LitStr>(first.clone()) {
            let diagnostic = Diagnostic::error(
                format!(
                    "wrong type in `{name}`: expected the path of an agent struct, found a string"
                ),
                Span::default(),
                "expected a path",
            )
            .with_help(format!(
                "write the path itself: `{}`",
                lit.value().to_upper_camel_case()
            ));
            self.errors.push(errors::error(&lit, &diagnostic));
            None
        } else {
            match syn::parse2::<Path>(first.clone()) {
                Ok(path) => Some(path),
                Err(_) => {
                    let message =
                        format!("`{name}` starts with the agent struct it is about: {usage}");
                    self.errors.push(syn::Error::new_spanned(&first, message));
                    // `name(key = .., ...)` without the agent: read the keys anyway.
                    let parsed = syn::meta::parser(|inner| {
                        let mut scratch = new(syn::parse_quote!(__respan_missing_agent));
                        self.entry(inner, table, &mut scratch, &mut Vec::new(), nested)
                    })
                    .parse2(first);
                    if let Err(error) = parsed {
                        self.errors.push(error);
                    }
                    None
                }
            }
        };
        let mut value = new(target
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(__respan_missing_agent)));
        let mut seen = Vec::new();
        let parsed =
            syn::meta::parser(|inner| self.entry(inner, table, &mut value, &mut seen, nested))
                .parse2(rest);
        if let Err(error) = parsed {
            self.errors.push(error);
        }
        Ok(target.map(|_| value))
    }

    /// `tool_use_behavior = "stop_on_first_tool"` or
    /// `tool_use_behavior(stop_at_tools = [lookup_invoice])`.
    fn tool_use_behavior(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        args: &mut Args,
    ) -> syn::Result<()> {
        if meta.input.peek(syn::token::Paren) {
            let tokens = self.group(meta)?;
            let mut tools = None;
            let parsed = syn::meta::parser(|inner| {
                if key(&inner) != "stop_at_tools" {
                    let message = format!(
                        "unknown key `{}` in `tool_use_behavior(...)`\n= help: write `tool_use_behavior(stop_at_tools = [tool, ...])`",
                        key(&inner)
                    );
                    self.errors.push(syn::Error::new_spanned(&inner.path, message));
                    return skip_value(inner.input);
                }
                match self.paths(&inner, str::to_owned) {
                    Ok(paths) => tools = Some(paths),
                    Err(error) => {
                        self.errors.push(error);
                        skip_value(inner.input)?;
                    }
                }
                Ok(())
            })
            .parse2(tokens);
            if let Err(error) = parsed {
                self.errors.push(error);
            }
            let tools = tools.unwrap_or_default();
            let names = tools
                .iter()
                .map(|path| {
                    let name = path
                        .segments
                        .last()
                        .map(|segment| syn::ext::IdentExt::unraw(&segment.ident).to_string())
                        .unwrap_or_default();
                    self.source.text(name, path)
                })
                .collect();
            args.stop_at_tools = tools;
            args.tool_use_behavior = Some(self.source.record(
                ToolUseBehaviorSpec::StopAtTools(names),
                1,
                &meta.path,
            ));
            return Ok(());
        }
        let lit = self.lit_str(meta)?;
        let behavior = match lit.value().as_str() {
            "run_llm_again" => ToolUseBehaviorSpec::RunLlmAgain,
            "stop_on_first_tool" => ToolUseBehaviorSpec::StopOnFirstTool,
            other => {
                let mut message = format!("unknown tool_use_behavior `{other}`");
                if let Some(s) = did_you_mean(other, TOOL_USE_BEHAVIORS.iter().copied()) {
                    message.push_str(&format!("\n= help: did you mean `{s}`?"));
                }
                message.push_str(&format!(
                    "\n= note: expected one of {}, or `tool_use_behavior(stop_at_tools = [tool, ...])`",
                    or_list(TOOL_USE_BEHAVIORS)
                ));
                return Err(syn::Error::new_spanned(&lit, message));
            }
        };
        args.tool_use_behavior = Some(self.source.record(behavior, 1, &lit));
        Ok(())
    }

    fn tool_choice(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<ToolChoiceSpec>> {
        let lit = self.lit_str(meta)?;
        let choice = match lit.value().as_str() {
            "auto" => ToolChoiceSpec::Auto,
            "required" => ToolChoiceSpec::Required,
            "none" => ToolChoiceSpec::None,
            tool => ToolChoiceSpec::Function(tool.to_owned()),
        };
        Ok(self.source.record(choice, lit.value().len(), &lit))
    }

    fn placement(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<PlacementSpec>> {
        let lit = self.lit_str(meta)?;
        let placement = match lit.value().as_str() {
            "body" => PlacementSpec::Body,
            "respan_params" => PlacementSpec::RespanParams,
            "header" => PlacementSpec::Header,
            other => {
                let mut message = format!("unknown placement `{other}`");
                if let Some(s) = did_you_mean(other, PLACEMENTS.iter().copied()) {
                    message.push_str(&format!("\n= help: did you mean `{s}`?"));
                }
                message.push_str(&format!(
                    "\n= note: expected one of {}",
                    or_list(PLACEMENTS)
                ));
                return Err(syn::Error::new_spanned(&lit, message));
            }
        };
        Ok(self.source.record(placement, 1, &lit))
    }

    /// `metadata(env = "production", tier = 2)`: free keys, literal values.
    fn map(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<Map<String, Value>> {
        let tokens = self.group(meta)?;
        let mut map = Map::new();
        let parsed = syn::meta::parser(|inner| {
            let read = value(&inner).and_then(|expr| {
                json(&expr).ok_or_else(|| wrong_type(&inner, "a string, number or boolean", &expr))
            });
            match read {
                Ok(value) => {
                    map.insert(inner.path.to_token_stream().to_string(), value);
                }
                Err(error) => {
                    self.errors.push(error);
                    skip_value(inner.input)?;
                }
            }
            Ok(())
        })
        .parse2(tokens);
        if let Err(error) = parsed {
            self.errors.push(error);
        }
        Ok(map)
    }
}

/// A path as written, without spaces: `crate::support::Billing`.
pub(crate) fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// The key of an entry, as written.
fn key(meta: &ParseNestedMeta<'_>) -> String {
    match meta.path.get_ident() {
        Some(ident) => ident.to_string(),
        None => meta.path.to_token_stream().to_string().replace(' ', ""),
    }
}

/// The expression after `key =`, parsed from its own tokens (up to the next `,`).
fn value(meta: &ParseNestedMeta<'_>) -> syn::Result<Expr> {
    if !meta.input.peek(Token![=]) {
        let key = key(meta);
        let message = format!("`{key}` needs a value: `{key} = ...`");
        return Err(syn::Error::new_spanned(&meta.path, message));
    }
    let input = meta.value()?;
    let tokens = rest_of_value(input)?;
    if tokens.is_empty() {
        return Err(input.error(format!("expected a value after `{} =`", key(meta))));
    }
    syn::parse2(tokens)
}

fn rest_of_value(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let mut tokens = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        tokens.extend([input.parse::<TokenTree>()?]);
    }
    Ok(tokens)
}

/// Skips what is left of a value after a mistake, up to the `,` that ends it.
fn skip_value(input: ParseStream<'_>) -> syn::Result<()> {
    rest_of_value(input).map(drop)
}

fn unknown_key<T>(
    path: &Path,
    name: &str,
    table: &Table<T>,
    nested: &[(&str, Vec<&'static str>)],
) -> syn::Error {
    let known = table.names();
    let mut diagnostic = Diagnostic::error(
        format!("unknown key `{name}` in `{}`", table.name),
        Span::default(),
        "unknown key",
    );
    // A key of a nested list written at the top (as the TOML front end says), else
    // the closest key of this list, else the closest of a nested list.
    let belongs = nested
        .iter()
        .find(|(_, keys)| keys.contains(&name))
        .map(|(list, _)| format!("`{name}` belongs in `{list}(...)`"));
    let misspelt = || {
        nested.iter().find_map(|(list, keys)| {
            let key = did_you_mean(name, keys.iter().copied())?;
            Some(format!("did you mean `{key}`? It belongs in `{list}(...)`"))
        })
    };
    let help = belongs
        .or_else(|| {
            did_you_mean(name, known.iter().copied()).map(|key| format!("did you mean `{key}`?"))
        })
        .or_else(misspelt);
    diagnostic = match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic.with_note(format!("expected one of {}", or_list(&known))),
    };
    errors::error(path, &diagnostic)
}

/// "wrong type for `key`: expected .., found ..", as for a TOML file.
fn wrong_type(meta: &ParseNestedMeta<'_>, expected: &str, found: &Expr) -> syn::Error {
    errors::error(found, &wrong_type_diagnostic(meta, expected, found))
}

fn wrong_type_diagnostic(meta: &ParseNestedMeta<'_>, expected: &str, found: &Expr) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(
        format!(
            "wrong type for `{}`: expected {expected}, found {}",
            key(meta),
            describe(found)
        ),
        Span::default(),
        format!("expected {expected}"),
    );
    // `max_tokens = "500"`: the value is right, the quotes are not.
    if let Expr::Lit(ExprLit {
        lit: Lit::Str(lit), ..
    }) = found
    {
        let text = lit.value();
        let unquoted_fits = match expected {
            "a number" => text.parse::<f64>().is_ok(),
            "an integer" => text.parse::<i128>().is_ok(),
            "a boolean" => text.parse::<bool>().is_ok(),
            _ => false,
        };
        if unquoted_fits {
            diagnostic = diagnostic.with_help(format!("remove the quotes: `{text}`"));
        }
    }
    diagnostic
}

fn wrong_element(meta: &ParseNestedMeta<'_>, expected: &str, found: &Expr) -> syn::Error {
    errors::error(found, &wrong_element_diagnostic(meta, expected, found))
}

fn wrong_element_diagnostic(
    meta: &ParseNestedMeta<'_>,
    expected: &str,
    found: &Expr,
) -> Diagnostic {
    Diagnostic::error(
        format!(
            "wrong type in `{}`: expected {expected}, found {}",
            key(meta),
            describe(found)
        ),
        Span::default(),
        format!("expected {expected}"),
    )
}

/// What a value is, in the words of the TOML front end's messages.
fn describe(expr: &Expr) -> &'static str {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Str(_) => "a string",
            Lit::Int(_) => "an integer",
            Lit::Float(_) => "a float",
            Lit::Bool(_) => "a boolean",
            _ => "a literal",
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => describe(&unary.expr),
        Expr::Array(_) => "an array",
        Expr::Path(_) => "a path",
        _ => "an expression",
    }
}

fn number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse().ok(),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => number(&unary.expr).map(|n| -n),
        _ => None,
    }
}

fn integer(expr: &Expr) -> Option<i128> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse().ok(),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => integer(&unary.expr).map(|n| -n),
        _ => None,
    }
}

/// A literal as JSON (metadata and prompt variables).
fn json(expr: &Expr) -> Option<Value> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Str(s) => Some(Value::from(s.value())),
            Lit::Bool(b) => Some(Value::from(b.value)),
            Lit::Int(_) => integer(expr)
                .and_then(|i| i64::try_from(i).ok())
                .map(Value::from),
            Lit::Float(_) => number(expr).map(Value::from),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match json(&unary.expr)? {
            Value::Number(n) if n.is_i64() => n.as_i64().map(|n| Value::from(-n)),
            Value::Number(n) => n.as_f64().map(|n| Value::from(-n)),
            _ => None,
        },
        _ => None,
    }
}
