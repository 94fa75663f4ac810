//! The chat-completions wire format we send and read (async-openai BYOT types).

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::items::ToolCall;
use crate::usage::Usage;

/// A request body: model, messages, optional stream flag, and the agent's
/// pre-built fields (tools, settings, Respan fields), serialized in one pass.
#[derive(Serialize)]
pub(crate) struct ChatRequest<'a> {
    pub(crate) model: &'a str,
    pub(crate) messages: Messages<'a>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) stream: bool,
    /// `{"include_usage": true}` on streamed requests (see `GatewayBuilder::stream_usage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stream_options: Option<StreamOptions>,
    #[serde(flatten)]
    pub(crate) fixed: &'a FixedFields,
}

/// An agent's fixed body fields (tools, settings, Respan fields, extra_body),
/// each value serialized once, when the agent set is prepared.
#[derive(Debug)]
pub(crate) struct FixedFields(Vec<(String, Box<RawValue>)>);

impl FixedFields {
    pub(crate) fn new(fields: &Map<String, Value>) -> Self {
        let fields = fields
            .iter()
            .map(|(key, value)| {
                // A Value has string keys only: serializing it cannot fail.
                let json = serde_json::value::to_raw_value(value)
                    .expect("a serde_json::Value always serializes");
                (key.clone(), json)
            })
            .collect();
        Self(fields)
    }
}

impl Serialize for FixedFields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `stream_options` of a streamed request.
#[derive(Serialize)]
pub(crate) struct StreamOptions {
    pub(crate) include_usage: bool,
}

/// The system message followed by the conversation, without copying either:
/// the conversation's messages are already JSON (see `History`).
pub(crate) struct Messages<'a> {
    pub(crate) system: Option<&'a str>,
    pub(crate) history: &'a [Box<RawValue>],
}

#[derive(Serialize)]
struct SystemMessage<'a> {
    role: &'static str,
    content: &'a str,
}

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let len = self.history.len() + usize::from(self.system.is_some());
        let mut seq = serializer.serialize_seq(Some(len))?;
        if let Some(content) = self.system {
            seq.serialize_element(&SystemMessage {
                role: "system",
                content,
            })?;
        }
        for item in self.history {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChatCompletion {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) model: Option<String>,
    pub(crate) choices: Vec<Choice>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    pub(crate) message: WireMessage,
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireMessage {
    #[serde(default)]
    pub(crate) content: Option<Value>,
    #[serde(default)]
    pub(crate) tool_calls: Option<Vec<ToolCall>>,
    #[serde(default)]
    pub(crate) refusal: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub(crate) prompt_tokens: u64,
    #[serde(default)]
    pub(crate) completion_tokens: u64,
    #[serde(default)]
    pub(crate) total_tokens: u64,
}

impl WireUsage {
    pub(crate) fn to_usage(self) -> Usage {
        Usage {
            requests: 1,
            input_tokens: self.prompt_tokens,
            output_tokens: self.completion_tokens,
            total_tokens: if self.total_tokens == 0 {
                self.prompt_tokens + self.completion_tokens
            } else {
                self.total_tokens
            },
        }
    }
}

/// Message content as text: a string, or the text parts of a content array.
pub(crate) fn content_text(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let text: String = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            Some(text)
        }
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChatChunk {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
    /// Some gateways report a failure inside the stream.
    #[serde(default)]
    pub(crate) error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChunkChoice {
    #[serde(default)]
    pub(crate) delta: Delta,
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Delta {
    #[serde(default)]
    pub(crate) content: Option<String>,
    #[serde(default)]
    pub(crate) tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ToolCallDelta {
    #[serde(default)]
    pub(crate) index: usize,
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) function: Option<FunctionDelta>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FunctionDelta {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) arguments: Option<String>,
}
