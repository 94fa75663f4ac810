//! Model settings: sampling parameters and free-form additions to the request.

use serde_json::{Map, Value};

/// How the model may use tools (`tool_choice`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model decides (`"auto"`).
    Auto,
    /// The model must call a tool (`"required"`).
    Required,
    /// The model must not call tools (`"none"`).
    None,
    /// The model must call this function.
    Function(String),
}

impl ToolChoice {
    fn to_json(&self) -> Value {
        match self {
            ToolChoice::Auto => Value::from("auto"),
            ToolChoice::Required => Value::from("required"),
            ToolChoice::None => Value::from("none"),
            ToolChoice::Function(name) => {
                serde_json::json!({"type": "function", "function": {"name": name}})
            }
        }
    }
}

/// Per-agent model settings. Unset fields are not sent, as the Agents SDK does.
///
/// `extra_body` is merged into the top level of the JSON body (after the other
/// settings, so it can override them; `model`, `messages` and `stream` are the
/// runner's and cannot be overridden). `extra_headers` are sent as HTTP headers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelSettings {
    /// Sampling temperature, 0..=2.
    pub temperature: Option<f32>,
    /// Nucleus sampling, 0..=1.
    pub top_p: Option<f32>,
    /// Maximum tokens of the answer.
    pub max_tokens: Option<u32>,
    /// -2..=2.
    pub frequency_penalty: Option<f32>,
    /// -2..=2.
    pub presence_penalty: Option<f32>,
    /// How the model may use tools.
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools in one response.
    pub parallel_tool_calls: Option<bool>,
    /// Sampling seed.
    pub seed: Option<i64>,
    /// Stop sequences.
    pub stop: Option<Vec<String>>,
    /// `response_format`, e.g. `{"type": "json_schema", ...}`.
    pub response_format: Option<Value>,
    /// Free JSON merged into the top level of the request body.
    pub extra_body: Map<String, Value>,
    /// HTTP headers sent with every request of the agent.
    pub extra_headers: Vec<(String, String)>,
}

/// An `f32` as the JSON number a person wrote (0.2, not 0.20000000298023224).
pub(crate) fn f32_json(value: f32) -> Value {
    value
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

impl ModelSettings {
    /// Writes the set fields into a request body.
    pub(crate) fn write_into(&self, body: &mut Map<String, Value>) {
        let floats = [
            ("temperature", self.temperature),
            ("top_p", self.top_p),
            ("frequency_penalty", self.frequency_penalty),
            ("presence_penalty", self.presence_penalty),
        ];
        for (key, value) in floats {
            if let Some(v) = value {
                body.insert(key.to_string(), f32_json(v));
            }
        }
        if let Some(v) = self.max_tokens {
            body.insert("max_tokens".into(), v.into());
        }
        if let Some(v) = &self.tool_choice {
            body.insert("tool_choice".into(), v.to_json());
        }
        if let Some(v) = self.parallel_tool_calls {
            body.insert("parallel_tool_calls".into(), v.into());
        }
        if let Some(v) = self.seed {
            body.insert("seed".into(), v.into());
        }
        if let Some(v) = &self.stop {
            body.insert("stop".into(), v.clone().into());
        }
        if let Some(v) = &self.response_format {
            body.insert("response_format".into(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_set_fields() {
        let s = ModelSettings {
            temperature: Some(0.2),
            top_p: Some(0.9),
            max_tokens: Some(100),
            tool_choice: Some(ToolChoice::Function("f".into())),
            ..Default::default()
        };
        let mut body = Map::new();
        s.write_into(&mut body);
        assert_eq!(
            Value::Object(body),
            serde_json::json!({"temperature": 0.2, "top_p": 0.9, "max_tokens": 100,
                "tool_choice": {"type": "function", "function": {"name": "f"}}})
        );
    }
}
