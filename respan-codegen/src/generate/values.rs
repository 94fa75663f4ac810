//! Tokens that build the runtime's setting values (`ModelSettings`, `RespanParams`,
//! `GatewayPrompt`) and JSON values, as struct literals over `Default`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use serde_json::{Map, Value};

use super::names::str_lit;
use crate::spec::{ModelSettingsSpec, PlacementSpec, PromptSpec, RespanSpec, ToolChoiceSpec};

fn some(value: TokenStream) -> TokenStream {
    quote! { ::core::option::Option::Some(#value) }
}

fn string(text: &str) -> TokenStream {
    let text = str_lit(text);
    quote! { ::std::string::String::from(#text) }
}

fn f32_lit(value: f64) -> Option<Literal> {
    let value = value as f32;
    value.is_finite().then(|| Literal::f32_suffixed(value))
}

/// `::respan::ModelSettings { .. }`, or `None` when nothing is set.
pub(crate) fn model_settings(spec: &ModelSettingsSpec) -> Option<TokenStream> {
    let mut fields = Vec::new();
    let mut float = |name: &str, value: &Option<crate::spec::Spanned<f64>>| {
        if let Some(lit) = value.as_ref().and_then(|v| f32_lit(v.value)) {
            let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            let value = some(quote! { #lit });
            fields.push(quote! { #name: #value });
        }
    };
    float("temperature", &spec.temperature);
    float("top_p", &spec.top_p);
    float("frequency_penalty", &spec.frequency_penalty);
    float("presence_penalty", &spec.presence_penalty);
    if let Some(max_tokens) = &spec.max_tokens {
        let value = some(Literal::u32_suffixed(max_tokens.value).into_token_stream());
        fields.push(quote! { max_tokens: #value });
    }
    if let Some(choice) = &spec.tool_choice {
        let choice = match &choice.value {
            ToolChoiceSpec::Auto => quote! { ::respan::ToolChoice::Auto },
            ToolChoiceSpec::Required => quote! { ::respan::ToolChoice::Required },
            ToolChoiceSpec::None => quote! { ::respan::ToolChoice::None },
            ToolChoiceSpec::Function(name) => {
                let name = string(name);
                quote! { ::respan::ToolChoice::Function(#name) }
            }
        };
        let value = some(choice);
        fields.push(quote! { tool_choice: #value });
    }
    if let Some(parallel) = &spec.parallel_tool_calls {
        let value = some(if parallel.value {
            quote! { true }
        } else {
            quote! { false }
        });
        fields.push(quote! { parallel_tool_calls: #value });
    }
    if let Some(seed) = &spec.seed {
        let value = some(i64_tokens(seed.value));
        fields.push(quote! { seed: #value });
    }
    if let Some(stop) = &spec.stop {
        let items = stop.value.iter().map(|s| string(s));
        let value = some(quote! { ::std::vec![#(#items),*] });
        fields.push(quote! { stop: #value });
    }
    if let Some(format) = &spec.response_format {
        let value = some(json(&format.value));
        fields.push(quote! { response_format: #value });
    }
    if !spec.extra_body.is_empty() {
        let value = json_map(&spec.extra_body);
        fields.push(quote! { extra_body: #value });
    }
    if !spec.extra_headers.is_empty() {
        let headers = spec.extra_headers.iter().map(|(name, value)| {
            let (name, value) = (string(&name.value), string(&value.value));
            quote! { (#name, #value) }
        });
        fields.push(quote! { extra_headers: ::std::vec![#(#headers),*] });
    }
    if fields.is_empty() {
        return None;
    }
    Some(quote! {
        ::respan::ModelSettings {
            #(#fields,)*
            ..::core::default::Default::default()
        }
    })
}

fn placement(placement: PlacementSpec) -> TokenStream {
    match placement {
        PlacementSpec::Body => quote! { ::respan::Placement::Body },
        PlacementSpec::RespanParams => quote! { ::respan::Placement::RespanParams },
        PlacementSpec::Header => quote! { ::respan::Placement::Header },
    }
}

/// `::respan::RespanParams { .. }`.
pub(crate) fn respan_params(spec: &RespanSpec) -> TokenStream {
    let mut fields = Vec::new();
    let mut opt_string = |name: &str, value: &Option<crate::spec::Spanned<String>>| {
        if let Some(value) = value {
            let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            let value = some(string(&value.value));
            fields.push(quote! { #name: #value });
        }
    };
    opt_string("customer_identifier", &spec.customer_identifier);
    opt_string("thread_identifier", &spec.thread_identifier);
    if !spec.metadata.is_empty() {
        let value = json_map(&spec.metadata);
        fields.push(quote! { metadata: #value });
    }
    if !spec.fallback_models.is_empty() {
        let models = spec.fallback_models.iter().map(|m| string(&m.value));
        fields.push(quote! { fallback_models: ::std::vec![#(#models),*] });
    }
    let mut opt_json = |name: &str, value: &Option<crate::spec::Spanned<Value>>| {
        if let Some(value) = value {
            let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            let value = some(json(&value.value));
            fields.push(quote! { #name: #value });
        }
    };
    opt_json("customer_params", &spec.customer_params);
    opt_json("cache_options", &spec.cache_options);
    if let Some(enabled) = &spec.cache_enabled {
        let value = some(if enabled.value {
            quote! { true }
        } else {
            quote! { false }
        });
        fields.push(quote! { cache_enabled: #value });
    }
    if let Some(ttl) = &spec.cache_ttl {
        let value = some(Literal::u64_suffixed(ttl.value).into_token_stream());
        fields.push(quote! { cache_ttl: #value });
    }
    if let Some(disable) = &spec.disable_log {
        let value = some(if disable.value {
            quote! { true }
        } else {
            quote! { false }
        });
        fields.push(quote! { disable_log: #value });
    }
    if !spec.extra.is_empty() {
        let value = json_map(&spec.extra);
        fields.push(quote! { extra: #value });
    }
    if let Some(where_) = &spec.placement {
        let value = placement(where_.value);
        fields.push(quote! { placement: #value });
    }
    quote! {
        ::respan::RespanParams {
            #(#fields,)*
            ..::core::default::Default::default()
        }
    }
}

/// `::respan::GatewayPrompt { .., ..::respan::GatewayPrompt::new("id") }`.
pub(crate) fn gateway_prompt(spec: &PromptSpec) -> TokenStream {
    let id = str_lit(&spec.prompt_id.value);
    let version = Literal::u32_suffixed(spec.schema_version.value);
    let mut fields = vec![quote! { schema_version: #version }];
    if !spec.variables.is_empty() {
        let value = json_map(&spec.variables);
        fields.push(quote! { variables: #value });
    }
    if let Some(version) = &spec.version {
        let value = some(json(&version.value));
        fields.push(quote! { version: #value });
    }
    if let Some(echo) = &spec.echo {
        let value = some(if echo.value {
            quote! { true }
        } else {
            quote! { false }
        });
        fields.push(quote! { echo: #value });
    }
    if let Some(patch) = &spec.patch {
        let value = some(json(&patch.value));
        fields.push(quote! { patch: #value });
    }
    let where_ = placement(spec.placement.value);
    fields.push(quote! { placement: #where_ });
    quote! {
        ::respan::GatewayPrompt {
            #(#fields,)*
            ..::respan::GatewayPrompt::new(#id)
        }
    }
}

/// A `serde_json::Value` built with `json!`.
pub(crate) fn json(value: &Value) -> TokenStream {
    let inner = json_tokens(value);
    quote! { ::respan::__private::serde_json::json!(#inner) }
}

/// A `serde_json::Map` (the runtime's open tables).
pub(crate) fn json_map(map: &Map<String, Value>) -> TokenStream {
    let inner = json_tokens(&Value::Object(map.clone()));
    quote! { ::respan::__private::json_object(::respan::__private::serde_json::json!(#inner)) }
}

/// The tokens `json!` takes for a value.
fn json_tokens(value: &Value) -> TokenStream {
    match value {
        Value::Null => quote! { null },
        Value::Bool(true) => quote! { true },
        Value::Bool(false) => quote! { false },
        Value::Number(number) => {
            // Suffixed: `json!` serializes the expression, and an unsuffixed integer
            // would be an `i32`.
            if let Some(n) = number.as_u64() {
                Literal::u64_suffixed(n).into_token_stream()
            } else if let Some(n) = number.as_i64() {
                i64_tokens(n)
            } else {
                match number.as_f64().filter(|f| f.is_finite()) {
                    Some(f) if f < 0.0 => {
                        let abs = Literal::f64_suffixed(-f);
                        quote! { -#abs }
                    }
                    Some(f) => Literal::f64_suffixed(f).into_token_stream(),
                    None => quote! { null },
                }
            }
        }
        Value::String(text) => str_lit(text).into_token_stream(),
        Value::Array(items) => {
            let items = items.iter().map(json_tokens);
            quote! { [#(#items),*] }
        }
        Value::Object(map) => {
            let entries = map.iter().map(|(key, value)| {
                let key = str_lit(key);
                let value = json_tokens(value);
                quote! { #key: #value }
            });
            quote! { { #(#entries),* } }
        }
    }
}

/// An `i64` expression (negative literals are a `-` and a literal in Rust).
fn i64_tokens(n: i64) -> TokenStream {
    if n == i64::MIN {
        quote! { ::core::primitive::i64::MIN }
    } else if n < 0 {
        let abs = Literal::i64_suffixed(-n);
        quote! { -#abs }
    } else {
        Literal::i64_suffixed(n).into_token_stream()
    }
}

trait IntoTokens {
    fn into_token_stream(self) -> TokenStream;
}

impl IntoTokens for Literal {
    fn into_token_stream(self) -> TokenStream {
        quote! { #self }
    }
}
