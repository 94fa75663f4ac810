//! The one error type of the runtime.
//!
//! Every variant says what went wrong and what to do about it. None of them can
//! contain the API key: the key only ever lives in the gateway's configuration
//! (a [`secrecy::SecretString`] and a sensitive header value), never in a message.

use std::time::Duration;

/// Everything that can go wrong while configuring a gateway or running agents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `RESPAN_API_KEY` is not set (or is empty).
    #[error(
        "RESPAN_API_KEY is not set: export RESPAN_API_KEY=<your key> (create one at \
         https://platform.respan.ai), or run without a key on the offline gateway \
         (`respan run --offline`, or respan::OfflineGateway::start() with the `offline` feature)"
    )]
    MissingApiKey,

    /// The gateway configuration is invalid (bad URL, key or header value, ...).
    #[error("invalid gateway configuration: {0}")]
    Config(String),

    /// The gateway answered with an HTTP error status that is not retried (or no
    /// longer: `attempts` says how many requests were made).
    #[error("the gateway answered HTTP {status}: {message}{}{}", log_id_note(log_id), status_hint(*status))]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The gateway's own message, from whichever error shape it used.
        message: String,
        /// `X-Respan-Log-Id` of the failed request, to look it up on the Logs page.
        log_id: Option<String>,
        /// How many requests were sent (1 + retries).
        attempts: u32,
    },

    /// HTTP 429 after all retries (or with a `Retry-After` longer than the configured maximum).
    #[error(
        "rate limited by the gateway (HTTP 429) after {attempts} attempt(s): {message}{}{}; \
         wait and retry, lower the request rate, or raise Gateway::builder().max_retries(..)",
        retry_after.map(|d| format!(" (retry after {:.1} s)", d.as_secs_f64())).unwrap_or_default(),
        log_id_note(log_id)
    )]
    RateLimited {
        /// The gateway's message.
        message: String,
        /// How long the gateway asked to wait, when it said.
        retry_after: Option<Duration>,
        /// `X-Respan-Log-Id` of the failed request.
        log_id: Option<String>,
        /// How many requests were sent (1 + retries).
        attempts: u32,
    },

    /// No answer within the configured timeout.
    #[error(
        "the gateway did not answer within {:.1} s ({attempts} attempt(s)); check the gateway \
         is reachable, or raise Gateway::builder().timeout(..)",
        timeout.as_secs_f64()
    )]
    Timeout {
        /// The per-request timeout.
        timeout: Duration,
        /// How many requests were sent (1 + retries).
        attempts: u32,
    },

    /// The connection failed (refused, reset, DNS, TLS, ...).
    #[error(
        "could not reach the gateway at {url} ({attempts} attempt(s)): {message}; check \
         RESPAN_BASE_URL and your network"
    )]
    Connection {
        /// The URL requested (never contains the key).
        url: String,
        /// What the HTTP client reported.
        message: String,
        /// How many requests were sent (1 + retries).
        attempts: u32,
    },

    /// The gateway answered 2xx but the body is not a chat completion we can read.
    #[error(
        "the gateway's response could not be read: {0}; is RESPAN_BASE_URL an \
         OpenAI-compatible endpoint (…/chat/completions)?"
    )]
    MalformedResponse(String),

    /// A streamed answer ended before it was complete: the connection closed (or
    /// was reset) before the chunk with the `finish_reason`. Not retried: part of
    /// the answer may already have been shown.
    #[error(
        "the gateway's event stream ended before the answer was complete ({events} event(s) \
         received, no finish_reason){}; the connection was cut (a proxy or load balancer may \
         limit response time or size): retry the run",
        cause.as_ref().map(|c| format!(": {c}")).unwrap_or_default()
    )]
    StreamTruncated {
        /// The server-sent events received before the end.
        events: usize,
        /// What the HTTP client reported, when the connection failed rather than closed.
        cause: Option<String>,
    },

    /// A streamed answer stalled: no event within the gateway's timeout, which
    /// bounds each gap of a stream. Not retried.
    #[error(
        "the gateway's event stream stalled: no event for {:.1} s after {events} event(s); \
         retry the run, or raise Gateway::builder().timeout(..), which bounds each gap of a \
         streamed answer",
        gap.as_secs_f64()
    )]
    StreamStalled {
        /// The longest wait allowed between two events (the gateway's timeout).
        gap: Duration,
        /// The server-sent events received before the stall.
        events: usize,
    },

    /// The run needed more model turns than allowed.
    #[error(
        "Max turns ({max_turns}) exceeded: the agents kept calling tools or handing off; raise \
         max_turns (AgentSet::max_turns / Runner::max_turns) or check the instructions"
    )]
    MaxTurnsExceeded {
        /// The limit that was exceeded.
        max_turns: u32,
    },

    /// The gateway's response is larger than the gateway's limit
    /// (`Gateway::builder().max_response_bytes(..)`); it was not read further.
    #[error(
        "the gateway's response is larger than {limit} bytes and was not read further; check \
         RESPAN_BASE_URL points at a chat-completions endpoint, or raise \
         Gateway::builder().max_response_bytes(..) if answers this large are expected"
    )]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },

    /// A replayed run sent a request that no exchange left in the cassette holds
    /// ([`Gateway::replay`](crate::Gateway::replay)): the run has changed since
    /// the cassette was recorded.
    #[error(
        "the request does not match the cassette {cassette}: `{field}` differs from the \
         nearest recorded request (line {line}): recorded {recorded}, sent {sent}{}; record \
         the cassette again if the change is intended (RESPAN_RECORD={cassette})",
        if *already_replayed { " (an identical request was recorded, and has already been replayed)" } else { "" }
    )]
    ReplayMismatch {
        /// The cassette file.
        cassette: String,
        /// The line of the nearest recorded exchange.
        line: usize,
        /// The first field that differs, as a JSON path in the body
        /// (`messages[0].content`), or `header NAME` (with the path inside it for
        /// `X-Data-Respan-Params`, whose base64 JSON is decoded), or `request`
        /// (method and path).
        field: String,
        /// The recorded value, shortened (`(absent)` when the field was not there).
        recorded: String,
        /// The value sent, shortened (`(absent)` when the field is not there).
        sent: String,
        /// Whether an identical request is in the cassette but was served already.
        already_replayed: bool,
    },

    /// A replayed run sent a request after every exchange of the cassette had
    /// been served: it makes more requests than the recorded run did.
    #[error(
        "the run went past the end of the cassette {cassette}: all {exchanges} recorded \
         exchange(s) have been replayed and it sent another request; record the cassette \
         again if the run has changed (RESPAN_RECORD={cassette})"
    )]
    ReplayExhausted {
        /// The cassette file.
        cassette: String,
        /// How many exchanges it holds.
        exchanges: usize,
    },

    /// A cassette could not be read, or written, or a line of it is not an exchange.
    #[error("cassette {path}{}: {message}", line.map(|n| format!(":{n}")).unwrap_or_default())]
    Cassette {
        /// The cassette file.
        path: String,
        /// The line that is wrong, when one is.
        line: Option<usize>,
        /// What is wrong and what to do.
        message: String,
    },

    /// The model did something the agent does not allow (e.g. called a tool it was not given).
    #[error("model behaviour error: {0}")]
    ModelBehavior(String),

    /// An agent's instructions template failed to render.
    #[error("the instructions template of agent {agent:?} failed to render: {message}")]
    Template {
        /// The agent's display name.
        agent: String,
        /// What tera reported.
        message: String,
    },

    /// An agent's instructions function ([`Agent::instructions_fn`](crate::Agent::instructions_fn))
    /// panicked: the turn has no system message to send, so the run stops
    /// before its request.
    #[error("the instructions of agent {agent:?} could not be computed: {message}")]
    Instructions {
        /// The agent's display name.
        agent: String,
        /// What went wrong.
        message: String,
    },

    /// A lifecycle hook ([`RunHooks`](crate::RunHooks)) returned an error or
    /// panicked. As in the Agents SDK, a hook's error ends the run (a hook is
    /// where an application enforces its own rules, e.g. a budget); the items
    /// and usage so far are in the hook's [`RunContext`](crate::RunContext).
    #[error(
        "the run stopped: hook {hook} failed at agent {agent:?}: {message} \
         (a hook's error ends the run; return Ok(()) to let it go on)"
    )]
    Hook {
        /// Which hook: `on_agent_start`, `on_llm_end`, `on_tool_start`, ...
        hook: &'static str,
        /// The display name of the agent it fired for.
        agent: String,
        /// The hook's error (or "the hook panicked: ...").
        message: String,
    },

    /// The agent set is inconsistent (unknown entry or handoff target).
    #[error("invalid agent set: {0}")]
    AgentSet(String),

    /// A tool call needs a person's approval, but the run was started with a
    /// method that cannot stop for it ([`Runner::run`](crate::Runner::run) or a
    /// streamed run). The model request was made; nothing ran.
    #[error(
        "the run stopped: {calls} need(s) approval; run with Runner::run_resumable \
         (generated workflows: Workflow::run_resumable), which returns the RunState to \
         approve or reject them and resume"
    )]
    ApprovalRequired {
        /// The calls waiting, as `tool (call id)` in call order.
        calls: String,
    },

    /// A [`RunState`](crate::RunState) cannot be used: its JSON is not one this
    /// version reads, a decision names a call that is not pending, or it does
    /// not belong to the agents it is resumed with.
    #[error("invalid run state: {0}")]
    RunState(String),

    /// The final answer of an agent with structured output is not a value of
    /// its schema, even after recovery (fences stripped, scalars coerced). The
    /// model's text is in `source.raw`.
    #[error("the answer of agent {agent:?} is not its structured output: {source}")]
    InvalidOutput {
        /// The agent's display name.
        agent: String,
        /// What was wrong, with the raw text.
        source: crate::structured::StructuredError,
    },

    /// A [`Session`](crate::Session) store failed: its database could not be
    /// opened or read, or a stored item is not a conversation message. The
    /// message says which store, which file and what to do.
    #[error("session store: {0}")]
    Session(String),

    /// A step of a durable run (see [`crate::journal`]) failed, and this is the
    /// error its journal recorded: the run was replayed, so the original error
    /// value is gone and only its message is left.
    #[error("{0}")]
    Journaled(String),
}

impl Error {
    /// The same error with `secret` replaced by `[redacted]` in every text that
    /// came from the gateway. Secrets shorter than 8 characters are placeholders
    /// (the offline gateway's `offline`), not keys, and are left alone.
    pub(crate) fn redact(self, secret: &str) -> Self {
        if secret.len() < 8 {
            return self;
        }
        let clean = |text: String| {
            if text.contains(secret) {
                text.replace(secret, "[redacted]")
            } else {
                text
            }
        };
        match self {
            Error::Http {
                status,
                message,
                log_id,
                attempts,
            } => Error::Http {
                status,
                message: clean(message),
                log_id: log_id.map(clean),
                attempts,
            },
            Error::RateLimited {
                message,
                retry_after,
                log_id,
                attempts,
            } => Error::RateLimited {
                message: clean(message),
                retry_after,
                log_id: log_id.map(clean),
                attempts,
            },
            Error::Connection {
                url,
                message,
                attempts,
            } => Error::Connection {
                url: clean(url),
                message: clean(message),
                attempts,
            },
            Error::MalformedResponse(message) => Error::MalformedResponse(clean(message)),
            Error::StreamTruncated { events, cause } => Error::StreamTruncated {
                events,
                cause: cause.map(clean),
            },
            Error::ModelBehavior(message) => Error::ModelBehavior(clean(message)),
            Error::InvalidOutput { agent, source } => Error::InvalidOutput {
                agent,
                source: crate::structured::StructuredError {
                    raw: clean(source.raw),
                    reason: clean(source.reason),
                },
            },
            other => other,
        }
    }
}

fn log_id_note(log_id: &Option<String>) -> String {
    match log_id {
        Some(id) => format!(" [X-Respan-Log-Id: {id}]"),
        None => String::new(),
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (check RESPAN_API_KEY: it is missing, wrong or lacks access)",
        404 => " (check RESPAN_BASE_URL, e.g. https://api.respan.ai/api, and the model name)",
        400 | 422 => " (the gateway rejected the request: check the model settings and parameters)",
        402 => " (add credits or a provider key on the Respan platform)",
        s if s >= 500 => " (a gateway or provider failure: retry later)",
        _ => "",
    }
}

impl Error {
    /// The HTTP status, for errors that came with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The gateway's `X-Respan-Log-Id` of the failed request, when it sent one.
    pub fn log_id(&self) -> Option<&str> {
        match self {
            Error::Http { log_id, .. } | Error::RateLimited { log_id, .. } => log_id.as_deref(),
            _ => None,
        }
    }

    /// How many HTTP requests were sent before giving up, for transport errors.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Http { attempts, .. }
            | Error::RateLimited { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Connection { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }
}

/// Extracts the gateway's message from an error body. The Respan gateway (and the
/// providers behind it) use three shapes: `{"error": {"message": ...}}`,
/// `{"detail": ...}` and `{"error": "text"}`; anything else is shown raw (truncated).
pub(crate) fn gateway_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match value.get("error") {
            Some(serde_json::Value::Object(obj)) => {
                if let Some(message) = obj.get("message") {
                    let mut out = text(message);
                    if let Some(serde_json::Value::String(kind)) =
                        obj.get("type").or_else(|| obj.get("code"))
                    {
                        out.push_str(&format!(" ({kind})"));
                    }
                    return out;
                }
                return text(&serde_json::Value::Object(obj.clone()));
            }
            Some(serde_json::Value::String(s)) => return s.clone(),
            _ => {}
        }
        if let Some(detail) = value.get("detail") {
            return text(detail);
        }
        if let Some(message) = value.get("message") {
            return text(message);
        }
    }
    let raw = String::from_utf8_lossy(body);
    let raw = raw.trim();
    if raw.is_empty() {
        return "(empty body)".to_string();
    }
    truncate(raw, 500)
}

/// `retry_after` (seconds) from a 429 body, top level or inside `error`.
pub(crate) fn body_retry_after(body: &[u8]) -> Option<Duration> {
    let value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let field = value
        .get("retry_after")
        .or_else(|| value.get("error").and_then(|e| e.get("retry_after")))?;
    let secs = match field {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    Duration::try_from_secs_f64(secs).ok()
}

pub(crate) use crate::text::truncate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_error_shapes() {
        assert_eq!(
            gateway_message(br#"{"error":{"message":"bad key","type":"auth_error"}}"#),
            "bad key (auth_error)"
        );
        assert_eq!(gateway_message(br#"{"detail":"Not found"}"#), "Not found");
        assert_eq!(
            gateway_message(br#"{"detail":[{"msg":"x"}]}"#),
            r#"[{"msg":"x"}]"#
        );
        assert_eq!(gateway_message(br#"{"error":"quota"}"#), "quota");
        assert_eq!(gateway_message(b"<html>502</html>"), "<html>502</html>");
        assert_eq!(gateway_message(b""), "(empty body)");
    }

    #[test]
    fn retry_after_in_body() {
        assert_eq!(
            body_retry_after(br#"{"retry_after": 1.5}"#),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            body_retry_after(br#"{"error": {"retry_after": "2"}}"#),
            Some(Duration::from_secs(2))
        );
        assert_eq!(body_retry_after(br#"{"retry_after": -1}"#), None);
        assert_eq!(body_retry_after(b"nope"), None);
    }

    #[test]
    fn redaction_cuts_the_key_out_of_gateway_texts() {
        let key = "sk-0123456789";
        let error = Error::Http {
            status: 401,
            message: format!("bad key {key}"),
            log_id: Some(key.to_string()),
            attempts: 1,
        }
        .redact(key);
        let text = error.to_string();
        assert!(!text.contains(key), "{text}");
        assert!(text.contains("bad key [redacted]"), "{text}");
        let short = Error::MalformedResponse("offline".into()).redact("offline");
        assert_eq!(
            short.to_string().matches("offline").count(),
            1,
            "placeholders stay"
        );
    }

    #[test]
    fn truncates_on_char_boundary() {
        assert_eq!(truncate("ééé", 3), "é…");
    }
}
