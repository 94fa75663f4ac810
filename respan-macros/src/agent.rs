//! `#[respan_agent(...)]` on a struct.
//!
//! The arguments become a one-agent [`Spec`] (plus placeholder agents and tools
//! for the handoff targets and tools, which are Rust paths resolved by rustc), run
//! through the same checker as TOML files, and its diagnostics are mapped back to
//! the tokens they came from. Then the struct gets an `impl ::respan::AgentDef`.

use heck::ToSnakeCase;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use respan_codegen::spec::{
    self, AgentSpec, ModelSettingsSpec, PlacementSpec, PromptSpec, RespanSpec, Spanned, Template,
    ToolChoiceSpec, ToolSpec, WorkflowSpec,
};
use respan_codegen::suggest::did_you_mean;
use respan_codegen::{Diagnostic, Spec};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, ExprLit, Fields, Ident, ItemStruct, Lit, LitStr, Path};

const KEYS: &[&str] = &[
    "id",
    "name",
    "instructions",
    "model",
    "model_settings",
    "handoff_description",
    "handoffs",
    "tools",
    "respan",
    "prompt",
];
const MODEL_SETTINGS_KEYS: &[&str] = &[
    "temperature",
    "top_p",
    "max_tokens",
    "frequency_penalty",
    "presence_penalty",
    "tool_choice",
    "parallel_tool_calls",
    "seed",
    "stop",
];
const RESPAN_KEYS: &[&str] = &[
    "customer_identifier",
    "thread_identifier",
    "fallback_models",
    "cache_enabled",
    "cache_ttl",
    "disable_log",
    "placement",
    "metadata",
];
const PROMPT_KEYS: &[&str] = &[
    "prompt_id",
    "schema_version",
    "placement",
    "echo",
    "variables",
];

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let item: ItemStruct = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[respan_agent]` goes on a struct: its fields are the template variables of the instructions",
            )
            .to_compile_error();
            return quote! { #error #item };
        }
    };
    let mut reader = Reader::default();
    let parsed = syn::meta::parser(|meta| reader.top(meta)).parse2(args);
    if let Err(error) = parsed {
        reader.errors.push(error);
    }
    let agent = reader.finish(&item);
    let errors = agent.errors.iter().map(syn::Error::to_compile_error);
    let ident = &item.ident;
    let (impl_generics, type_generics, where_clause) = item.generics.split_for_impl();
    let id = &agent.id;
    let name = &agent.name;
    let body = if agent.errors.is_empty() {
        agent.body
    } else {
        quote! { ::core::unreachable!("respan: this agent did not compile") }
    };
    quote! {
        #item
        #(#errors)*
        impl #impl_generics ::respan::AgentDef for #ident #type_generics #where_clause {
            const ID: &'static str = #id;
            const NAME: &'static str = #name;
            fn to_agent(&self) -> ::respan::Agent<&'static str> {
                #body
            }
        }
    }
}

/// What the attribute says, with the token spans of every value.
#[derive(Default)]
struct Reader {
    id: Option<LitStr>,
    name: Option<LitStr>,
    instructions: Option<LitStr>,
    model: Option<LitStr>,
    handoff_description: Option<LitStr>,
    handoffs: Vec<Path>,
    tools: Vec<Path>,
    settings: ModelSettingsSpec,
    respan: Option<RespanSpec>,
    prompt: Option<(Option<Spanned<String>>, PromptSpec)>,
    errors: Vec<syn::Error>,
    /// The synthetic "source" of the spec: every value's text, each at its own
    /// range, so a diagnostic's span says which token to report at.
    source: String,
    spans: Vec<(spec::Span, Span)>,
}

struct Agent {
    id: String,
    name: String,
    body: TokenStream,
    errors: Vec<syn::Error>,
}

fn unknown_key(meta: &ParseNestedMeta, place: &str, known: &[&str]) -> syn::Error {
    let key = meta.path.to_token_stream().to_string();
    let mut message = format!("unknown key `{key}` in {place}");
    if let Some(suggestion) = did_you_mean(&key, known.iter().copied()) {
        message.push_str(&format!("\n= help: did you mean `{suggestion}`?"));
    } else {
        message.push_str(&format!("\n= note: expected one of {}", known.join(", ")));
    }
    syn::Error::new_spanned(&meta.path, message)
}

impl Reader {
    /// Records a value's text at a fresh range of the synthetic source.
    fn at<T>(&mut self, value: T, text: &str, span: Span) -> Spanned<T> {
        let start = self.source.len();
        self.source.push_str(text);
        let end = self.source.len();
        self.source.push('\n');
        let range = spec::Span::new(start, end.max(start + 1));
        self.spans.push((range, span));
        Spanned::new(value, range)
    }

    fn string(&mut self, meta: &ParseNestedMeta) -> syn::Result<LitStr> {
        meta.value()?.parse::<LitStr>()
    }

    fn top(&mut self, meta: ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "id" => self.id = Some(self.string(&meta)?),
            "name" => self.name = Some(self.string(&meta)?),
            "instructions" => self.instructions = Some(self.string(&meta)?),
            "model" => self.model = Some(self.string(&meta)?),
            "handoff_description" => self.handoff_description = Some(self.string(&meta)?),
            "handoffs" => self.handoffs = paths(&meta)?,
            "tools" => self.tools = paths(&meta)?,
            "model_settings" => meta.parse_nested_meta(|inner| self.model_setting(inner))?,
            "respan" => {
                self.respan.get_or_insert_with(RespanSpec::default);
                meta.parse_nested_meta(|inner| self.respan_param(inner))?;
            }
            "prompt" => {
                let span = meta
                    .path
                    .get_ident()
                    .map(Ident::span)
                    .unwrap_or_else(Span::call_site);
                let placeholder = self.at(String::new(), "prompt", span);
                self.prompt = Some((
                    None,
                    PromptSpec {
                        prompt_id: placeholder.clone(),
                        schema_version: Spanned::new(2, placeholder.span),
                        variables: Default::default(),
                        version: None,
                        echo: None,
                        patch: None,
                        placement: Spanned::new(PlacementSpec::Body, placeholder.span),
                        span: placeholder.span,
                    },
                ));
                meta.parse_nested_meta(|inner| self.prompt_field(inner))?;
            }
            _ => return Err(unknown_key(&meta, "`#[respan_agent]`", KEYS)),
        }
        Ok(())
    }

    fn float(&mut self, meta: &ParseNestedMeta) -> syn::Result<Spanned<f64>> {
        let expr: Expr = meta.value()?.parse()?;
        let (value, text) = match number(&expr) {
            Some(value) => (value, expr.to_token_stream().to_string()),
            None => return Err(syn::Error::new_spanned(&expr, "expected a number")),
        };
        Ok(self.at(value, &text, span_of(&expr)))
    }

    fn integer<T: TryFrom<i128>>(
        &mut self,
        meta: &ParseNestedMeta,
        what: &str,
    ) -> syn::Result<Spanned<T>> {
        let expr: Expr = meta.value()?.parse()?;
        let value = integer(&expr).and_then(|v| T::try_from(v).ok());
        match value {
            Some(value) => {
                let text = expr.to_token_stream().to_string();
                Ok(self.at(value, &text, span_of(&expr)))
            }
            None => Err(syn::Error::new_spanned(&expr, format!("expected {what}"))),
        }
    }

    fn boolean(&mut self, meta: &ParseNestedMeta) -> syn::Result<Spanned<bool>> {
        let lit: syn::LitBool = meta.value()?.parse()?;
        let text = lit.value.to_string();
        Ok(self.at(lit.value, &text, lit.span()))
    }

    fn text(&mut self, meta: &ParseNestedMeta) -> syn::Result<Spanned<String>> {
        let lit = self.string(meta)?;
        let value = lit.value();
        Ok(self.at(value.clone(), &value, lit.span()))
    }

    fn strings(&mut self, meta: &ParseNestedMeta) -> syn::Result<Vec<Spanned<String>>> {
        let array: syn::ExprArray = meta.value()?.parse()?;
        let mut out = Vec::new();
        for element in &array.elems {
            match element {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) => {
                    let value = lit.value();
                    out.push(self.at(value.clone(), &value, lit.span()));
                }
                other => return Err(syn::Error::new_spanned(other, "expected a string")),
            }
        }
        Ok(out)
    }

    fn placement(&mut self, meta: &ParseNestedMeta) -> syn::Result<Spanned<PlacementSpec>> {
        let lit = self.string(meta)?;
        let placement = match lit.value().as_str() {
            "body" => PlacementSpec::Body,
            "respan_params" => PlacementSpec::RespanParams,
            "header" => PlacementSpec::Header,
            other => {
                let mut message = format!("unknown placement `{other}`");
                if let Some(s) = did_you_mean(other, ["body", "respan_params", "header"]) {
                    message.push_str(&format!("\n= help: did you mean `{s}`?"));
                }
                message.push_str("\n= note: expected one of `body`, `respan_params`, `header`");
                return Err(syn::Error::new(lit.span(), message));
            }
        };
        Ok(self.at(placement, &lit.value(), lit.span()))
    }

    fn map(
        &mut self,
        meta: &ParseNestedMeta,
    ) -> syn::Result<serde_json::Map<String, serde_json::Value>> {
        let mut map = serde_json::Map::new();
        meta.parse_nested_meta(|inner| {
            let key = inner.path.to_token_stream().to_string();
            let lit: Lit = inner.value()?.parse()?;
            let value = match &lit {
                Lit::Str(s) => serde_json::Value::from(s.value()),
                Lit::Bool(b) => serde_json::Value::from(b.value),
                Lit::Int(i) => serde_json::Value::from(i.base10_parse::<i64>()?),
                Lit::Float(f) => serde_json::Value::from(f.base10_parse::<f64>()?),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "expected a string, number or bool",
                    ));
                }
            };
            map.insert(key, value);
            Ok(())
        })?;
        Ok(map)
    }

    fn model_setting(&mut self, meta: ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "temperature" => self.settings.temperature = Some(self.float(&meta)?),
            "top_p" => self.settings.top_p = Some(self.float(&meta)?),
            "frequency_penalty" => self.settings.frequency_penalty = Some(self.float(&meta)?),
            "presence_penalty" => self.settings.presence_penalty = Some(self.float(&meta)?),
            "max_tokens" => self.settings.max_tokens = Some(self.integer(&meta, "a whole number")?),
            "seed" => self.settings.seed = Some(self.integer(&meta, "an integer")?),
            "parallel_tool_calls" => self.settings.parallel_tool_calls = Some(self.boolean(&meta)?),
            "stop" => {
                let stop = self.strings(&meta)?;
                let span = stop.first().map(|s| s.span).unwrap_or_default();
                self.settings.stop = Some(Spanned::new(
                    stop.into_iter().map(|s| s.value).collect(),
                    span,
                ));
            }
            "tool_choice" => {
                let choice = self.text(&meta)?;
                let value = match choice.value.as_str() {
                    "auto" => ToolChoiceSpec::Auto,
                    "required" => ToolChoiceSpec::Required,
                    "none" => ToolChoiceSpec::None,
                    other => ToolChoiceSpec::Function(other.to_string()),
                };
                self.settings.tool_choice = Some(Spanned::new(value, choice.span));
            }
            _ => return Err(unknown_key(&meta, "`model_settings`", MODEL_SETTINGS_KEYS)),
        }
        Ok(())
    }

    fn respan_param(&mut self, meta: ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        // Parse first (it borrows `self`), then store in the respan table.
        match key.as_str() {
            "customer_identifier" => {
                let value = self.text(&meta)?;
                self.respan_table().customer_identifier = Some(value);
            }
            "thread_identifier" => {
                let value = self.text(&meta)?;
                self.respan_table().thread_identifier = Some(value);
            }
            "fallback_models" => {
                let value = self.strings(&meta)?;
                self.respan_table().fallback_models = value;
            }
            "cache_enabled" => {
                let value = self.boolean(&meta)?;
                self.respan_table().cache_enabled = Some(value);
            }
            "disable_log" => {
                let value = self.boolean(&meta)?;
                self.respan_table().disable_log = Some(value);
            }
            "cache_ttl" => {
                let value = self.integer(&meta, "a number of seconds")?;
                self.respan_table().cache_ttl = Some(value);
            }
            "placement" => {
                let value = self.placement(&meta)?;
                self.respan_table().placement = Some(value);
            }
            "metadata" => {
                let value = self.map(&meta)?;
                self.respan_table().metadata = value;
            }
            _ => return Err(unknown_key(&meta, "`respan`", RESPAN_KEYS)),
        }
        Ok(())
    }

    fn respan_table(&mut self) -> &mut RespanSpec {
        self.respan.get_or_insert_with(RespanSpec::default)
    }

    fn prompt_field(&mut self, meta: ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "prompt_id" => {
                let id = self.text(&meta)?;
                if let Some((seen, prompt)) = &mut self.prompt {
                    *seen = Some(id.clone());
                    prompt.prompt_id = id;
                }
            }
            "schema_version" => {
                let version = self.integer(&meta, "1 or 2")?;
                if let Some((_, prompt)) = &mut self.prompt {
                    prompt.schema_version = version;
                }
            }
            "placement" => {
                let placement = self.placement(&meta)?;
                if let Some((_, prompt)) = &mut self.prompt {
                    prompt.placement = placement;
                }
            }
            "echo" => {
                let echo = self.boolean(&meta)?;
                if let Some((_, prompt)) = &mut self.prompt {
                    prompt.echo = Some(echo);
                }
            }
            "variables" => {
                let variables = self.map(&meta)?;
                if let Some((_, prompt)) = &mut self.prompt {
                    prompt.variables = variables;
                }
            }
            _ => return Err(unknown_key(&meta, "`prompt`", PROMPT_KEYS)),
        }
        Ok(())
    }

    /// Builds the spec, checks it, and generates the body of `to_agent`.
    fn finish(mut self, item: &ItemStruct) -> Agent {
        let struct_name = item.ident.to_string();
        let id = match &self.id {
            Some(lit) => lit.value(),
            None => struct_name.to_snake_case(),
        };
        let name = self
            .name
            .as_ref()
            .map(LitStr::value)
            .unwrap_or_else(|| spec::default_display_name(&id));
        let mut errors = std::mem::take(&mut self.errors);

        let item_span = item.ident.span();
        let id_span = self.id.as_ref().map(LitStr::span).unwrap_or(item_span);
        let id_spanned = self.at(id.clone(), &id, id_span);
        let name_span = self.name.as_ref().map(LitStr::span).unwrap_or(item_span);
        let name_spanned = self.at(name.clone(), &name, name_span);

        // Fields are the template variables.
        let fields: Vec<String> = match &item.fields {
            Fields::Named(named) => named
                .named
                .iter()
                .filter_map(|f| f.ident.as_ref().map(|i| i.unraw().to_string()))
                .collect(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(_) => {
                errors.push(syn::Error::new_spanned(
                    &item.fields,
                    "`#[respan_agent]` needs named fields (the template variables) or none",
                ));
                Vec::new()
            }
        };
        let instructions = self.instructions.clone().and_then(|lit| {
            let text = lit.value();
            let source = self.at(text.clone(), &text, lit.span());
            match respan_codegen::template::variables(&text) {
                Ok(variables) => {
                    for (variable, _) in &variables {
                        if !fields.contains(variable) {
                            errors.push(missing_field(&lit, &struct_name, variable, &fields));
                        }
                    }
                    let variables = variables
                        .into_iter()
                        .map(|(v, span)| {
                            let start = source.span.start + span.start;
                            Spanned::new(v, start..source.span.start + span.end)
                        })
                        .collect();
                    Some(Template { source, variables })
                }
                Err(diagnostics) => {
                    for d in diagnostics {
                        errors.push(diagnostic_error(&d, lit.span()));
                    }
                    None
                }
            }
        });
        let handoff_description = self.handoff_description.clone().map(|lit| {
            let text = lit.value();
            self.at(text.clone(), &text, lit.span())
        });
        let model = self.model.clone().map(|lit| {
            let text = lit.value();
            self.at(text.clone(), &text, lit.span())
        });
        let handoff_paths = std::mem::take(&mut self.handoffs);
        let handoffs: Vec<Spanned<String>> = handoff_paths
            .iter()
            .map(|path| {
                let target = last_segment(path).to_snake_case();
                self.at(target.clone(), &target, span_of(path))
            })
            .collect();
        let tool_paths = std::mem::take(&mut self.tools);
        let tools: Vec<Spanned<String>> = tool_paths
            .iter()
            .map(|path| {
                let tool = last_segment(path);
                self.at(tool.clone(), &tool, span_of(path))
            })
            .collect();
        let prompt = match self.prompt.take() {
            Some((Some(_), prompt)) => Some(prompt),
            Some((None, prompt)) => {
                let span = self.token_span(prompt.span).unwrap_or(item_span);
                errors.push(syn::Error::new(span, "`prompt` needs a `prompt_id`"));
                None
            }
            None => None,
        };

        let agent = AgentSpec {
            id: id_spanned.clone(),
            name: name_spanned,
            instructions,
            handoff_description,
            handoffs: handoffs.clone(),
            tools: tools.clone(),
            model,
            model_settings: std::mem::take(&mut self.settings),
            respan: self.respan.take(),
            prompt,
            output: None,
            tool_use_behavior: None,
            span: id_spanned.span,
        };
        // The handoff targets and tools are Rust items rustc resolves; for the
        // checker they are placeholders, so only this agent's own mistakes show.
        let mut agents = vec![agent.clone()];
        for target in &handoffs {
            if target.value != id && !agents.iter().any(|a| a.id.value == target.value) {
                agents.push(placeholder_agent(target));
            }
        }
        let spec = Spec {
            path: format!("#[respan_agent] {struct_name}"),
            workflow: WorkflowSpec {
                name: Spanned::new(id.clone(), id_spanned.span),
                entry: id_spanned.clone(),
                description: None,
                max_turns: None,
                span: id_spanned.span,
            },
            agents,
            tools: tools
                .iter()
                .map(|tool| ToolSpec {
                    name: tool.clone(),
                    description: None,
                    timeout_secs: None,
                    parameters: None,
                    rust: None,
                    command: None,
                    span: tool.span,
                })
                .collect(),
        };
        for diagnostic in respan_codegen::check_spec(&spec) {
            if !diagnostic.is_error() {
                continue;
            }
            let span = self.token_span(diagnostic.span).unwrap_or(item_span);
            errors.push(diagnostic_error(&diagnostic, span));
        }

        // Handoff targets are types: `<Billing as AgentDef>::ID`, spanned at the
        // path so a missing or misspelt one is a rustc error right there.
        let handoff_keys: Vec<TokenStream> = handoff_paths
            .iter()
            .map(|path| {
                let span = span_of(path);
                quote_spanned! {span=> <#path as ::respan::AgentDef>::ID }
            })
            .collect();
        let tool_bindings = tool_paths.iter().map(|path| {
            let span = span_of(path);
            quote_spanned! {span=> let _ = #path; }
        });
        let calls = respan_codegen::generate::agent_calls(
            &agent,
            |variable| {
                let field = field_member(variable);
                quote! { &self.#field }
            },
            &handoff_keys,
        );
        let body = quote! {
            #(#tool_bindings)*
            ::respan::Agent::new(
                <Self as ::respan::AgentDef>::ID,
                <Self as ::respan::AgentDef>::NAME,
            )
            #calls
        };
        Agent {
            id,
            name,
            body,
            errors,
        }
    }

    /// The token a spec span came from.
    fn token_span(&self, span: spec::Span) -> Option<Span> {
        self.spans
            .iter()
            .find(|(range, _)| {
                range.start <= span.start && span.start < range.end.max(range.start + 1)
            })
            .or_else(|| {
                self.spans
                    .iter()
                    .find(|(range, _)| range.start == span.start)
            })
            .map(|(_, token)| *token)
    }
}

fn placeholder_agent(target: &Spanned<String>) -> AgentSpec {
    AgentSpec {
        id: target.clone(),
        name: Spanned::new(spec::default_display_name(&target.value), target.span),
        instructions: None,
        handoff_description: None,
        handoffs: Vec::new(),
        tools: Vec::new(),
        model: None,
        model_settings: ModelSettingsSpec::default(),
        respan: None,
        prompt: None,
        output: None,
        tool_use_behavior: None,
        span: target.span,
    }
}

/// A checker diagnostic as a compile error at a token: the headline, then the
/// help and notes the TOML path shows under its snippet.
fn diagnostic_error(diagnostic: &Diagnostic, span: Span) -> syn::Error {
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
    syn::Error::new(span, message)
}

fn missing_field(lit: &LitStr, struct_name: &str, variable: &str, fields: &[String]) -> syn::Error {
    let mut message = format!("template variable `{variable}` is not a field of `{struct_name}`");
    match did_you_mean(variable, fields.iter().map(String::as_str)) {
        Some(field) => message.push_str(&format!("\n= help: did you mean `{field}`?")),
        None => message.push_str(&format!(
            "\n= help: add a field `{variable}: String` to `{struct_name}`: its fields are the template variables"
        )),
    }
    syn::Error::new(lit.span(), message)
}

fn paths(meta: &ParseNestedMeta) -> syn::Result<Vec<Path>> {
    let array: syn::ExprArray = meta.value()?.parse()?;
    array
        .elems
        .iter()
        .map(|element| match element {
            Expr::Path(path) if path.qself.is_none() => Ok(path.path.clone()),
            other => Err(syn::Error::new_spanned(
                other,
                "expected a path, e.g. `Billing`",
            )),
        })
        .collect()
}

fn last_segment(path: &Path) -> String {
    path.segments
        .last()
        .map(|segment| segment.ident.unraw().to_string())
        .unwrap_or_default()
}

fn span_of(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map(|token| token.span())
        .unwrap_or_else(Span::call_site)
}

/// `self.<field>` for a template variable (which is a field: checked before).
fn field_member(variable: &str) -> TokenStream {
    match syn::parse_str::<Ident>(variable) {
        Ok(ident) => ident.into_token_stream(),
        Err(_) => syn::parse_str::<Ident>(&format!("r#{variable}"))
            .map(|ident| ident.into_token_stream())
            .unwrap_or_else(|_| quote! { __respan_invalid_field }),
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
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => number(expr).map(|n| -n),
        _ => None,
    }
}

fn integer(expr: &Expr) -> Option<i128> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse().ok(),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => integer(expr).map(|n| -n),
        _ => None,
    }
}

trait Unraw {
    fn unraw(&self) -> Ident;
}

impl Unraw for Ident {
    fn unraw(&self) -> Ident {
        syn::ext::IdentExt::unraw(self)
    }
}
