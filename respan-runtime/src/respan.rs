//! The Respan gateway's own parameters and its managed prompts, and where they travel.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

/// Where Respan parameters or a gateway prompt travel in the request. Each field
/// is sent in exactly one place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Placement {
    /// At the top level of the JSON body (the guide's `extra_body.prompt`,
    /// `extra_body.customer_identifier`, ...).
    Body,
    /// Nested in the body's `respan_params` object.
    #[default]
    RespanParams,
    /// In the `X-Data-Respan-Params` header, as base64 of the JSON object, for
    /// clients that cannot change the body.
    Header,
}

/// The gateway's parameters ([Respan parameters](https://docs.respan.ai)).
/// Unset (`None`/empty) fields are not sent; [`RespanParams::extra`] takes any other
/// documented field. The gateway returns `metadata` values as strings.
///
/// ```
/// use respan_runtime::RespanParams;
/// let params = RespanParams::new()
///     .customer_identifier("user_123")
///     .metadata("env", "production");
/// assert_eq!(params.metadata["env"], "production");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RespanParams {
    /// Your end user, for per-customer analytics and limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_identifier: Option<String>,
    /// Free key/values attached to the log.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// Groups requests into a conversation thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_identifier: Option<String>,
    /// Models to try, in order, when the requested one fails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fallback_models: Vec<String>,
    /// Customer details (`customer_params`: name, email, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_params: Option<Value>,
    /// Whether the gateway may answer from its cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_enabled: Option<bool>,
    /// Cache lifetime in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<u64>,
    /// Cache options (`cache_options`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_options: Option<Value>,
    /// Do not log the request's content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_log: Option<bool>,
    /// Any other documented field, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// Where these parameters travel (default: nested in `respan_params`).
    #[serde(skip)]
    pub placement: Placement,
}

impl RespanParams {
    /// Empty parameters, nested in `respan_params`.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `customer_identifier`.
    pub fn customer_identifier(mut self, id: impl Into<String>) -> Self {
        self.customer_identifier = Some(id.into());
        self
    }
    /// Adds one `metadata` entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
    /// Sets `thread_identifier`.
    pub fn thread_identifier(mut self, id: impl Into<String>) -> Self {
        self.thread_identifier = Some(id.into());
        self
    }
    /// Sets `fallback_models`.
    pub fn fallback_models(mut self, models: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.fallback_models = models.into_iter().map(Into::into).collect();
        self
    }
    /// Adds any other field.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
    /// Sets where the parameters travel.
    pub fn placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

/// A prompt managed on the gateway. With `schema_version` 2 (the default) the
/// prompt's configuration wins and the request's messages are appended after its own.
///
/// ```
/// use respan_runtime::{GatewayPrompt, Placement};
/// let prompt = GatewayPrompt::new("YOUR_PROMPT_ID")
///     .variable("task", "answer questions concisely")
///     .placement(Placement::Header);
/// assert_eq!(prompt.schema_version, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GatewayPrompt {
    /// The prompt's id on the platform.
    pub prompt_id: String,
    /// 1 or 2 (default 2: use it for all new integrations).
    pub schema_version: u32,
    /// The prompt's template variables.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub variables: Map<String, Value>,
    /// A pinned version (default: the deployed one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Value>,
    /// Ask the gateway to echo the rendered prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub echo: Option<bool>,
    /// Overrides of the prompt's configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<Value>,
    /// Where the prompt travels (default: top level of the body, the guide's `extra_body.prompt`).
    #[serde(skip)]
    pub placement: Placement,
}

impl GatewayPrompt {
    /// A prompt with `schema_version` 2, sent at the top level of the body.
    pub fn new(prompt_id: impl Into<String>) -> Self {
        Self {
            prompt_id: prompt_id.into(),
            schema_version: 2,
            variables: Map::new(),
            version: None,
            echo: None,
            patch: None,
            placement: Placement::Body,
        }
    }
    /// Adds a template variable.
    pub fn variable(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.variables.insert(key.into(), value.into());
        self
    }
    /// Sets the schema version.
    pub fn schema_version(mut self, version: u32) -> Self {
        self.schema_version = version;
        self
    }
    /// Pins a version of the prompt.
    pub fn version(mut self, version: impl Into<Value>) -> Self {
        self.version = Some(version.into());
        self
    }
    /// Asks the gateway to echo the rendered prompt.
    pub fn echo(mut self, echo: bool) -> Self {
        self.echo = Some(echo);
        self
    }
    /// Overrides parts of the prompt's configuration.
    pub fn patch(mut self, patch: impl Into<Value>) -> Self {
        self.patch = Some(patch.into());
        self
    }
    /// Sets where the prompt travels.
    pub fn placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }
}

/// The header that carries base64 JSON Respan parameters.
pub const RESPAN_PARAMS_HEADER: &str = "X-Data-Respan-Params";

/// Writes params and prompt into the body; returns the header's object, if any.
pub(crate) fn place(
    params: Option<&RespanParams>,
    prompt: Option<&GatewayPrompt>,
    body: &mut Map<String, Value>,
) -> Map<String, Value> {
    let mut header = Map::new();
    let mut put = |placement: Placement, fields: Map<String, Value>| match placement {
        Placement::Body => merge(body, fields),
        Placement::RespanParams => {
            let nested = body
                .entry("respan_params")
                .or_insert_with(|| Value::Object(Map::new()));
            if !nested.is_object() {
                *nested = Value::Object(Map::new());
            }
            if let Value::Object(nested) = nested {
                merge(nested, fields);
            }
        }
        Placement::Header => merge(&mut header, fields),
    };
    if let Some(params) = params {
        put(params.placement, params.to_map());
    }
    if let Some(prompt) = prompt
        && let Ok(value) = serde_json::to_value(prompt)
    {
        let mut fields = Map::new();
        fields.insert("prompt".into(), value);
        put(prompt.placement, fields);
    }
    header
}

/// Shallow-merges `from` into `into`, merging nested objects one level down.
fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(more)) => existing.extend(more),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// The `X-Data-Respan-Params` value: base64 of the JSON object.
pub(crate) fn encode_header(fields: &Map<String, Value>) -> String {
    let json = Value::Object(fields.clone()).to_string();
    base64::engine::general_purpose::STANDARD.encode(json)
}

/// Decodes an `X-Data-Respan-Params` value (for tests and the offline gateway).
pub fn decode_respan_header(value: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn three_placements() {
        let params = RespanParams::new()
            .customer_identifier("u")
            .metadata("env", "prod");
        let prompt = GatewayPrompt::new("abc").variable("x", "y");

        let mut body = Map::new();
        let header = place(Some(&params), Some(&prompt), &mut body);
        assert!(header.is_empty());
        assert_eq!(
            Value::Object(body),
            json!({"respan_params": {"customer_identifier": "u", "metadata": {"env": "prod"}},
                   "prompt": {"prompt_id": "abc", "schema_version": 2, "variables": {"x": "y"}}})
        );

        let mut body = Map::new();
        let header = place(
            Some(&params.clone().placement(Placement::Body)),
            Some(&prompt.clone().placement(Placement::RespanParams)),
            &mut body,
        );
        assert!(header.is_empty());
        assert_eq!(body["customer_identifier"], "u");
        assert_eq!(body["respan_params"]["prompt"]["prompt_id"], "abc");

        let mut body = Map::new();
        let header = place(
            Some(&params.placement(Placement::Header)),
            Some(&prompt.placement(Placement::Header)),
            &mut body,
        );
        assert!(body.is_empty());
        let decoded = decode_respan_header(&encode_header(&header));
        assert_eq!(
            decoded,
            Some(
                json!({"customer_identifier": "u", "metadata": {"env": "prod"},
                "prompt": {"prompt_id": "abc", "schema_version": 2, "variables": {"x": "y"}}})
            )
        );
    }
}
