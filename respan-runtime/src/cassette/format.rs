//! The cassette file: one exchange per line (JSON lines), read back with the
//! line number of anything wrong.
//!
//! ```text
//! {"v":1,"request":{"method":"POST","path":"/chat/completions","body":{...}},
//!  "response":{"status":200,"headers":{"content-type":"application/json"},"body":{...}},
//!  "ms":{"headers":3,"total":4}}
//! ```
//!
//! A streamed response has `chunks` (each as it arrived, with its time since the
//! request was sent, as `text`, or `base64` when not UTF-8) instead of `body`,
//! and how they `end`ed: `"complete"` (the server ended the body),
//! `"stopped_reading"` (the run had what it needed, e.g. at `data: [DONE]`, or
//! failed or was cancelled) or `{"error": "..."}` (the connection failed). A
//! body that is not JSON is `text`.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;

/// The format version written in every line (`"v"`).
pub(crate) const VERSION: u32 = 1;

/// One request and the response it got.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exchange {
    pub(crate) v: u32,
    pub(crate) request: Request,
    pub(crate) response: Response,
    pub(crate) ms: Timing,
}

/// What was sent: never `Authorization` (only Respan's own headers are kept).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// Relative to the gateway's base URL (`/chat/completions`).
    pub(crate) path: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) headers: BTreeMap<String, String>,
    /// The JSON body (a string when it was not JSON).
    pub(crate) body: Value,
}

/// What came back.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Response {
    pub(crate) status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) headers: BTreeMap<String, String>,
    /// A whole body that is JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) body: Option<Value>,
    /// A whole body that is not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) text: Option<String>,
    /// A streamed body (or one not read to its end), as it arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) chunks: Option<Vec<Chunk>>,
    /// How the chunks ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end: Option<End>,
}

/// A piece of a body, `ms` after the request was sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Chunk {
    pub(crate) ms: u64,
    /// The bytes, when they are UTF-8 (server-sent events are).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) text: Option<String>,
    /// The bytes in base64 otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) base64: Option<String>,
}

/// How a recorded body ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum End {
    /// The server ended it.
    Complete,
    /// The run stopped reading it: a streamed answer at `[DONE]` (the run has
    /// what it needs), or a run that failed or was cancelled.
    StoppedReading,
    /// The connection failed, with what the HTTP client said.
    Error(String),
}

/// Milliseconds from sending the request to its response's headers and to its last byte.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Timing {
    pub(crate) headers: u64,
    pub(crate) total: u64,
}

impl Chunk {
    pub(crate) fn new(ms: u64, bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => Chunk {
                ms,
                text: Some(text.to_string()),
                base64: None,
            },
            Err(_) => Chunk {
                ms,
                text: None,
                base64: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
            },
        }
    }

    fn bytes(&self) -> Result<bytes::Bytes, String> {
        match (&self.text, &self.base64) {
            (Some(text), None) => Ok(bytes::Bytes::from(text.clone())),
            (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map(bytes::Bytes::from)
                .map_err(|e| format!("a chunk's `base64` is not base64: {e}")),
            _ => Err("a chunk needs exactly one of `text` and `base64`".to_string()),
        }
    }
}

/// A response's body as the replay serves it.
pub(crate) enum Body {
    Whole(bytes::Bytes),
    Chunks(Vec<bytes::Bytes>, End),
}

impl Response {
    /// What the replay could not serve.
    fn check(&self) -> Result<(), String> {
        http::StatusCode::from_u16(self.status)
            .map_err(|_| format!("{} is not an HTTP status", self.status))?;
        for (name, value) in &self.headers {
            http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("{name:?} is not a header name"))?;
            http::HeaderValue::from_str(value)
                .map_err(|_| format!("the value of header {name} is not a header value"))?;
        }
        self.replay_body().map(|_| ())
    }

    /// The body to serve, or what is wrong with the recorded one.
    pub(crate) fn replay_body(&self) -> Result<Body, String> {
        match (&self.body, &self.text, &self.chunks) {
            (Some(json), None, None) => Ok(Body::Whole(bytes::Bytes::from(json.to_string()))),
            (None, Some(text), None) => Ok(Body::Whole(bytes::Bytes::from(text.clone()))),
            (None, None, Some(chunks)) => Ok(Body::Chunks(
                chunks.iter().map(Chunk::bytes).collect::<Result<_, _>>()?,
                self.end.clone().unwrap_or(End::Complete),
            )),
            _ => Err("a response needs exactly one of `body`, `text` and `chunks`".to_string()),
        }
    }
}

/// Reads every exchange of the cassette at `path`, checking each line.
pub(crate) fn load(path: &Path) -> Result<Vec<(usize, Exchange)>, Error> {
    let shown = path.display().to_string();
    let error = |line: Option<usize>, message: String| Error::Cassette {
        path: shown.clone(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "; record one with RESPAN_RECORD=<file> (or `respan run --record <file>`)"
        } else {
            ""
        };
        error(None, format!("cannot read it: {e}{hint}"))
    })?;
    let lines: Vec<&str> = text.split('\n').collect();
    let mut exchanges = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cut_short = index + 1 == lines.len();
        let exchange: Exchange = serde_json::from_str(line).map_err(|e| {
            if cut_short && e.is_eof() {
                error(
                    Some(number),
                    "the last line is cut short (was the recording interrupted?): delete the \
                     line or record the cassette again"
                        .to_string(),
                )
            } else {
                error(
                    Some(number),
                    format!("not a recorded exchange: {e}; record the cassette again"),
                )
            }
        })?;
        if exchange.v != VERSION {
            return Err(error(
                Some(number),
                format!(
                    "format version {} is not the version this respan reads ({VERSION}); \
                     record the cassette again",
                    exchange.v
                ),
            ));
        }
        exchange
            .response
            .check()
            .map_err(|message| error(Some(number), message))?;
        exchanges.push((number, exchange));
    }
    if exchanges.is_empty() {
        return Err(error(
            None,
            "it holds no exchange; record one with RESPAN_RECORD=<file>".to_string(),
        ));
    }
    Ok(exchanges)
}
