//! A scripted fake gateway for tests (yours too): it answers with queued
//! responses, in order, and records every request it receives.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), respan_runtime::Error> {
//! use respan_offline::testing::{FakeGateway, FakeResponse};
//! use respan_runtime::{Agent, AgentSet};
//!
//! let fake = FakeGateway::start().await?;
//! fake.push(FakeResponse::tool_calls([("transfer_to_billing_agent", "{}")]));
//! fake.push(FakeResponse::text("Your invoice is paid."));
//!
//! let agents = AgentSet::new("triage".to_string())
//!     .agent(Agent::new("triage".to_string(), "Triage Agent").handoff("billing".to_string()))
//!     .agent(Agent::new("billing".to_string(), "Billing Agent"));
//! let result = respan_runtime::run(&fake.gateway()?, &agents, "Was I charged twice?").await?;
//!
//! assert_eq!(result.last_agent, "billing");
//! assert_eq!(fake.requests().len(), 2);
//! assert_eq!(fake.requests()[1].body["messages"][2]["content"], r#"{"assistant": "Billing Agent"}"#);
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use respan_runtime::{
    BoxFuture, Error, Gateway, GatewayBuilder, RetryPolicy, Sleeper, decode_respan_header,
};

use crate::http_server::{HttpRequest, HttpResponse, Server, sse_events, wants_usage};

/// The key the fake gateway's [`Gateway`] sends (the Python goldens' key).
pub const FAKE_API_KEY: &str = "sk-test-key";

/// One scripted answer.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeResponse {
    kind: Kind,
    headers: Vec<(String, String)>,
    /// Pause before each streamed event.
    pace: Duration,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// A chat completion (sent as SSE when the request streams).
    Completion(Value),
    Raw {
        status: u16,
        body: Vec<u8>,
    },
    Hang,
    Close,
    /// SSE events as given (for truncated or broken streams); `true`: then stall.
    Sse(Vec<String>, bool),
}

impl FakeResponse {
    /// A completion answering `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Self::completion(json!({"role": "assistant", "content": text.into()}), "stop")
    }

    /// A completion calling tools `(name, arguments)`, with ids `call_0`, `call_1`, ...
    pub fn tool_calls<N: Into<String>, A: Into<String>>(
        calls: impl IntoIterator<Item = (N, A)>,
    ) -> Self {
        let calls: Vec<Value> = calls
            .into_iter()
            .enumerate()
            .map(|(i, (name, args))| {
                json!({"id": format!("call_{i}"), "type": "function",
                       "function": {"name": name.into(), "arguments": args.into()}})
            })
            .collect();
        Self::completion(
            json!({"role": "assistant", "content": null, "tool_calls": calls}),
            "tool_calls",
        )
    }

    fn completion(message: Value, finish: &str) -> Self {
        Self {
            kind: Kind::Completion(json!({
                "id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "gpt-4o",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
            })),
            headers: Vec::new(),
            pace: Duration::ZERO,
        }
    }

    /// Any JSON body with a status (e.g. `429` and `{"error": {...}}`).
    pub fn json(status: u16, body: Value) -> Self {
        Self::raw(status, body.to_string())
    }

    /// Any body with a status.
    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            kind: Kind::Raw {
                status,
                body: body.into(),
            },
            headers: vec![("content-type".into(), "application/json".into())],
            pace: Duration::ZERO,
        }
    }

    /// An error status with the OpenAI error shape `{"error": {"message", "type"}}`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            json!({"error": {"message": message, "type": "error"}}),
        )
    }

    /// Server-sent events exactly as given (each one `data: <event>`).
    pub fn sse<S: Into<String>>(events: impl IntoIterator<Item = S>) -> Self {
        Self {
            kind: Kind::Sse(events.into_iter().map(Into::into).collect(), false),
            headers: Vec::new(),
            pace: Duration::ZERO,
        }
    }

    /// For [`FakeResponse::sse`]: after the events, keep the stream open without
    /// ending it (a stalled stream).
    pub fn stall(mut self) -> Self {
        if let Kind::Sse(_, stall) = &mut self.kind {
            *stall = true;
        }
        self
    }

    /// When streamed, pauses `pace` before each event (a slow model), e.g. to
    /// drop a stream while its answer is still arriving.
    pub fn pace(mut self, pace: Duration) -> Self {
        self.pace = pace;
        self
    }

    /// Never answers (to test timeouts).
    pub fn hang() -> Self {
        Self {
            kind: Kind::Hang,
            headers: Vec::new(),
            pace: Duration::ZERO,
        }
    }

    /// Closes the connection without answering (a connection failure).
    pub fn close() -> Self {
        Self {
            kind: Kind::Close,
            headers: Vec::new(),
            pace: Duration::ZERO,
        }
    }

    /// Adds a response header (e.g. `retry-after`, `x-respan-log-id`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the completion's usage (default 10 prompt + 5 completion tokens).
    /// Streamed, it comes in a last chunk only when the request asks for it
    /// (`"stream_options": {"include_usage": true}`), as OpenAI does.
    pub fn usage(mut self, prompt_tokens: u64, completion_tokens: u64) -> Self {
        if let Kind::Completion(body) = &mut self.kind {
            body["usage"] = json!({"prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens});
        }
        self
    }

    /// The HTTP answer to a request; `streaming` (`"stream": true`) and
    /// `include_usage` (`stream_options.include_usage`) are the request's.
    fn into_http(self, streaming: bool, include_usage: bool) -> HttpResponse {
        match self.kind {
            Kind::Completion(body) if streaming => {
                let choice = &body["choices"][0];
                HttpResponse::Sse {
                    events: sse_events(
                        body["id"].as_str().unwrap_or("chatcmpl-x"),
                        body["model"].as_str().unwrap_or("gpt-4o"),
                        &choice["message"],
                        choice["finish_reason"].as_str().unwrap_or("stop"),
                        include_usage.then_some(&body["usage"]),
                    ),
                    pace: self.pace,
                    stall: false,
                }
            }
            Kind::Completion(body) => {
                let mut headers =
                    vec![("content-type".to_string(), "application/json".to_string())];
                headers.extend(self.headers);
                HttpResponse::Full {
                    status: 200,
                    headers,
                    body: body.to_string().into_bytes(),
                }
            }
            Kind::Raw { status, body } => HttpResponse::Full {
                status,
                headers: self.headers,
                body,
            },
            Kind::Sse(events, stall) => HttpResponse::Sse {
                events,
                pace: self.pace,
                stall,
            },
            Kind::Hang => HttpResponse::Hang,
            Kind::Close => HttpResponse::Close,
        }
    }
}

/// A request the fake gateway received.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// `POST`.
    pub method: String,
    /// E.g. `/api/chat/completions`.
    pub path: String,
    /// Headers, names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The JSON body (`Value::Null` if it was not JSON).
    pub body: Value,
    /// When it arrived.
    pub received_at: Instant,
}

impl RecordedRequest {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The decoded `X-Data-Respan-Params` header.
    pub fn respan_header(&self) -> Option<Value> {
        self.header("x-data-respan-params")
            .and_then(decode_respan_header)
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<FakeResponse>,
    requests: Vec<RecordedRequest>,
}

/// The scripted fake gateway, on `127.0.0.1`. See the [module docs](self).
#[derive(Clone)]
pub struct FakeGateway {
    server: Arc<Server>,
    state: Arc<Mutex<State>>,
    base_url: String,
}

impl std::fmt::Debug for FakeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGateway")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not hide the requests from the others.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeGateway {
    /// Starts a fake gateway on a fresh loopback port.
    pub async fn start() -> Result<Self, Error> {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let handler = Arc::new(move |request: HttpRequest| {
            let streaming;
            let include_usage;
            let next = {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                streaming = body.get("stream").and_then(Value::as_bool) == Some(true);
                include_usage = wants_usage(&body);
                let mut state = lock(&shared);
                state.requests.push(RecordedRequest {
                    method: request.method,
                    path: request.path,
                    headers: request.headers,
                    body,
                    received_at: Instant::now(),
                });
                state.queue.pop_front()
            };
            let response = match next {
                Some(response) => response.into_http(streaming, include_usage),
                None => HttpResponse::json(
                    400,
                    &json!({"error": {"message": "fake gateway: no scripted response left",
                                      "type": "fake_gateway"}}),
                ),
            };
            Box::pin(async move { response }) as BoxFuture<'static, HttpResponse>
        });
        let server = Server::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), handler)
            .await
            .map_err(|e| Error::Config(format!("could not start the fake gateway: {e}")))?;
        let base_url = format!("http://{}/api", server.addr());
        Ok(Self {
            server: Arc::new(server),
            state,
            base_url,
        })
    }

    /// `http://127.0.0.1:PORT/api`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A gateway pointed at the fake, with key [`FAKE_API_KEY`], a 5 s timeout,
    /// and retries that do not really sleep.
    pub fn gateway(&self) -> Result<Gateway, Error> {
        self.gateway_with(
            Gateway::builder()
                .timeout(Duration::from_secs(5))
                .sleeper(Sleeper::new(|_| Box::pin(async {}))),
        )
    }

    /// A gateway pointed at the fake, from your builder (your timeout, retries, sleeper).
    pub fn gateway_with(&self, builder: GatewayBuilder) -> Result<Gateway, Error> {
        builder
            .base_url(&self.base_url)
            .api_key(FAKE_API_KEY)
            .keep_alive(self.server.clone())
            .build()
    }

    /// Queues a response.
    pub fn push(&self, response: FakeResponse) -> &Self {
        lock(&self.state).queue.push_back(response);
        self
    }

    /// Queues a text completion.
    pub fn push_text(&self, text: impl Into<String>) -> &Self {
        self.push(FakeResponse::text(text))
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// The JSON bodies of every request received so far.
    pub fn bodies(&self) -> Vec<Value> {
        lock(&self.state)
            .requests
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    /// Connections open now: a request being answered, or a kept-alive
    /// connection waiting for the next one. A streamed answer's connection
    /// closes when it ends, or when the client drops it.
    pub fn open_connections(&self) -> usize {
        self.server.open_connections()
    }

    /// Responses still queued.
    pub fn pending(&self) -> usize {
        lock(&self.state).queue.len()
    }
}

/// A [`Sleeper`] that records the delays asked for and returns at once.
#[derive(Clone, Debug, Default)]
pub struct RecordingSleeper {
    delays: Arc<Mutex<Vec<Duration>>>,
}

impl RecordingSleeper {
    /// A sleeper that records.
    pub fn new() -> Self {
        Self::default()
    }

    /// The sleeper to give to [`GatewayBuilder::sleeper`].
    pub fn sleeper(&self) -> Sleeper {
        let delays = self.delays.clone();
        Sleeper::new(move |delay| {
            delays.lock().unwrap_or_else(|p| p.into_inner()).push(delay);
            Box::pin(async {})
        })
    }

    /// The delays asked for so far.
    pub fn delays(&self) -> Vec<Duration> {
        self.delays
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A retry policy with tiny delays, for tests that do sleep.
pub fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}
