//! The offline gateway: a deterministic OpenAI-compatible server on loopback,
//! so examples, `respan run --offline`, tests and benchmarks need no key and no network.
//!
//! It answers from the request alone, like a (very literal) model would
//! ([`mod@decide`]): it hands off when the user's message matches a handoff's agent,
//! calls the offered function tools with arguments valid for their JSON Schemas
//! ([`schema_value`]) taking values from the message ([`hints`]), and then answers
//! ([`answer`]): text that says it is the offline gateway and quotes what the tools
//! returned, or a value of the requested structured-output schema. It streams the
//! same answers when asked (`"stream": true`).

mod answer;
mod conversation;
mod decide;
mod hints;
mod schema_value;
#[cfg(test)]
mod validate;
mod words;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use respan_runtime::{BoxFuture, Error, Gateway, GatewayBuilder, decode_respan_header};

use crate::http_server::{HttpRequest, HttpResponse, Server, sse_events, wants_usage};

use conversation::{Conversation, text_of};
use decide::{Reply, decide};

/// The embedded offline gateway. [`OfflineGateway::start`] gives a [`Gateway`] on a
/// fresh loopback port; [`OfflineGateway::bind`] runs it where you want (e.g. for
/// another process via `RESPAN_BASE_URL`). Dropping the last handle stops it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), respan_runtime::Error> {
/// use respan_offline::OfflineGateway;
/// use respan_runtime::{Agent, AgentSet};
/// let gateway = OfflineGateway::start().await?;
/// let agents = AgentSet::new("Assistant".to_string())
///     .agent(Agent::named("Assistant").instructions("You are a helpful assistant.").model("gpt-4o"));
/// let result = respan_runtime::run(&gateway, &agents, "Hello").await?;
/// assert!(result.final_output.contains("offline gateway"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OfflineGateway {
    server: Arc<Server>,
    base_url: String,
}

/// The API key the offline gateway's [`Gateway`] uses (any key is accepted).
pub const OFFLINE_API_KEY: &str = "offline";

impl OfflineGateway {
    /// Starts the offline gateway on `127.0.0.1:0` and returns a [`Gateway`]
    /// pointed at it (the server lives as long as that gateway and its clones).
    pub async fn start() -> Result<Gateway, Error> {
        Self::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await?
            .gateway()
    }

    /// Runs the offline gateway on `addr`; its base URL is `http://{addr}/api`.
    pub async fn bind(addr: SocketAddr) -> Result<Self, Error> {
        Self::bind_paced(addr, Duration::ZERO).await
    }

    /// Like [`OfflineGateway::bind`], pausing `pace` before each streamed chunk
    /// so that streaming is visible in a terminal.
    pub async fn bind_paced(addr: SocketAddr, pace: Duration) -> Result<Self, Error> {
        let counter = Arc::new(AtomicU64::new(0));
        let handler = Arc::new(move |request: HttpRequest| {
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            let response = handle(&request, n, pace);
            Box::pin(async move { response }) as BoxFuture<'static, HttpResponse>
        });
        let server = Server::bind(addr, handler).await.map_err(|e| {
            Error::Config(format!(
                "could not start the offline gateway on {addr}: {e}"
            ))
        })?;
        let base_url = format!("http://{}/api", server.addr());
        Ok(Self {
            server: Arc::new(server),
            base_url,
        })
    }

    /// `http://127.0.0.1:PORT/api`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// A [`Gateway`] pointed at this server (keeping it alive).
    pub fn gateway(&self) -> Result<Gateway, Error> {
        self.gateway_with(Gateway::builder())
    }

    /// A [`Gateway`] pointed at this server, from a builder with your settings.
    pub fn gateway_with(&self, builder: GatewayBuilder) -> Result<Gateway, Error> {
        // The gateway keeps this handle (and so the server) alive; `is_offline`
        // recognizes it.
        builder
            .base_url(&self.base_url)
            .api_key(OFFLINE_API_KEY)
            .keep_alive(Arc::new(self.clone()))
            .build()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for respan_runtime::Gateway {}
}

/// The offline gateway's methods on [`Gateway`]: bring the trait into scope
/// (`use respan::OfflineExt as _;`, or `respan_offline::OfflineExt`) to call
/// `Gateway::from_env_or_offline()`, `gateway.is_offline()` and
/// `gateway.offline_notice()`. Implemented for [`Gateway`] only.
///
/// ```no_run
/// use respan_offline::OfflineExt as _;
/// use respan_runtime::Gateway;
///
/// # async fn demo() -> Result<(), respan_runtime::Error> {
/// let gateway = Gateway::from_env_or_offline().await?;
/// if let Some(notice) = gateway.offline_notice() {
///     println!("{notice}");
/// }
/// # Ok(()) }
/// ```
pub trait OfflineExt: sealed::Sealed + Sized {
    /// [`Gateway::from_env`] when `RESPAN_API_KEY` is set, otherwise the offline
    /// gateway ([`OfflineExt::is_offline`] tells which).
    ///
    /// A development tool (the facade's `offline` feature, off by default): a
    /// program that should never answer from made-up text uses [`Gateway::from_env`].
    ///
    /// `RESPAN_RECORD=path` records the offline gateway's exchanges too, so
    /// `RESPAN_RECORD=tests/cassettes/support.jsonl cargo run --example support`
    /// records a cassette without a key.
    fn from_env_or_offline() -> impl Future<Output = Result<Self, Error>> + Send;

    /// Whether this gateway is the embedded offline gateway (one of
    /// [`OfflineGateway`]'s). For what to tell the user only: the runtime sends
    /// every gateway the same requests.
    fn is_offline(&self) -> bool;

    /// For programs that fall back to the offline gateway: one line telling the
    /// user so and how to use the real gateway; `None` for any other gateway.
    fn offline_notice(&self) -> Option<String>;
}

impl OfflineExt for Gateway {
    async fn from_env_or_offline() -> Result<Gateway, Error> {
        match Gateway::from_env() {
            Err(Error::MissingApiKey) => {
                OfflineGateway::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .await?
                    .gateway_with(Gateway::builder().cassette_from_env())
            }
            other => other,
        }
    }

    fn is_offline(&self) -> bool {
        self.kept_alive()
            .is_some_and(|kept| (**kept).is::<OfflineGateway>())
    }

    fn offline_notice(&self) -> Option<String> {
        self.is_offline().then(|| {
            format!(
                "No RESPAN_API_KEY: using respan's offline gateway at {} \
                 (export RESPAN_API_KEY=<your key> to use the real Respan gateway).",
                self.base_url()
            )
        })
    }
}

fn handle(request: &HttpRequest, n: u64, pace: Duration) -> HttpResponse {
    if request.method != "POST"
        || !request
            .path
            .trim_end_matches('/')
            .ends_with("/chat/completions")
    {
        return HttpResponse::json(
            404,
            &json!({"error": {"message": format!(
                "the offline gateway serves POST …/chat/completions, not {} {}",
                request.method, request.path), "type": "not_found"}}),
        );
    }
    let body: Value = match serde_json::from_slice(&request.body) {
        Ok(body @ Value::Object(_)) => body,
        _ => {
            return HttpResponse::json(
                400,
                &json!({"error": {"message": "the body is not a JSON object", "type": "invalid_request_error"}}),
            );
        }
    };
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return HttpResponse::json(
            400,
            &json!({"error": {"message": "`messages` is required", "type": "invalid_request_error"}}),
        );
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    let header = request
        .header("x-data-respan-params")
        .and_then(decode_respan_header);
    let reply = decide(&Conversation {
        body: &body,
        messages,
        model,
        header: header.as_ref(),
    });

    let turn = messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .count();
    let prompt_tokens: u64 = messages.iter().map(|m| words(&text_of(m)) as u64).sum();
    let (message, finish, completion_tokens) = match &reply {
        Reply::Text(text) => (
            json!({"role": "assistant", "content": text}),
            "stop",
            words(text) as u64,
        ),
        Reply::Calls(calls) => {
            let calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, (name, args))| {
                    json!({"id": format!("call_{turn}_{i}"), "type": "function",
                           "function": {"name": name, "arguments": args}})
                })
                .collect();
            let tokens = calls.len() as u64 * 5;
            (
                json!({"role": "assistant", "content": null, "tool_calls": calls}),
                "tool_calls",
                tokens,
            )
        }
    };
    let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                       "total_tokens": prompt_tokens + completion_tokens});
    let id = format!("chatcmpl-offline-{n}");
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        return HttpResponse::Sse {
            events: sse_events(
                &id,
                model,
                &message,
                finish,
                wants_usage(&body).then_some(&usage),
            ),
            pace,
            stall: false,
        };
    }
    HttpResponse::json(
        200,
        &json!({"id": id, "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage}),
    )
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: &Value) -> HttpResponse {
        let request = HttpRequest {
            method: "POST".into(),
            path: "/api/chat/completions".into(),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        };
        handle(&request, 1, Duration::ZERO)
    }

    #[test]
    fn odd_requests_get_an_answer_not_a_panic() {
        let odd_tool =
            json!({"type": "function", "function": {"name": "f", "parameters": {"$ref": "#/x"}}});
        let bodies = [
            json!({"messages": [1, "two", null, {"role": 3}]}),
            json!({"messages": [{"role": "user", "content": {"nested": true}}], "tools": [odd_tool]}),
            json!({"messages": [{"role": "tool", "tool_call_id": 5, "content": [1]}], "tools": 7,
                   "response_format": {"type": "json_schema", "json_schema": {"schema": false}}}),
            json!({"messages": [], "stream": true, "tool_choice": {"function": 1},
                   "response_format": {"type": "json_schema", "json_schema": 3}}),
            json!({"messages": [{"role": "user", "content": "x"}], "stream": true, "tools": [odd_tool],
                   "tool_choice": "required", "parallel_tool_calls": "no"}),
        ];
        for body in &bodies {
            match post(body) {
                HttpResponse::Full { status, .. } => assert_eq!(status, 200, "{body}"),
                HttpResponse::Sse { events, .. } => {
                    assert_eq!(events.last().map(String::as_str), Some("[DONE]"))
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
