//! The offline gateway: a deterministic OpenAI-compatible server on loopback,
//! so examples, `respan run --offline`, tests and benchmarks need no key and no network.
//!
//! It answers from the request alone, like a (very literal) model would:
//! - the last message is the user's and it shares words with a handoff target's
//!   name or handoff description → it calls that `transfer_to_...` tool;
//! - the user's message names offered function tools → it calls them, with
//!   arguments guessed from their JSON Schema;
//! - otherwise → a text answer saying it is the offline gateway, with the model
//!   requested, the current agent, and the Respan params and prompt it received.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::gateway::{Gateway, GatewayBuilder};
use crate::http_server::{HttpRequest, HttpResponse, Server, sse_events};
use crate::respan::decode_respan_header;

/// The embedded offline gateway. [`OfflineGateway::start`] gives a [`Gateway`] on a
/// fresh loopback port; [`OfflineGateway::bind`] runs it where you want (e.g. for
/// another process via `RESPAN_BASE_URL`). Dropping the last handle stops it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), respan_runtime::Error> {
/// use respan_runtime::{Agent, AgentSet, OfflineGateway};
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
            Box::pin(async move { response }) as crate::retry::BoxFuture<'static, HttpResponse>
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
        Gateway::with_guard(
            builder.base_url(&self.base_url).api_key(OFFLINE_API_KEY),
            self.server.clone(),
            true,
        )
    }
}

impl Gateway {
    /// [`Gateway::from_env`] when `RESPAN_API_KEY` is set, otherwise the offline
    /// gateway ([`Gateway::is_offline`] tells which).
    pub async fn from_env_or_offline() -> Result<Gateway, Error> {
        match Gateway::from_env() {
            Err(Error::MissingApiKey) => OfflineGateway::start().await,
            other => other,
        }
    }
}

/// What the offline model decided.
enum Reply {
    Text(String),
    Calls(Vec<(String, String)>),
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
    let agent = request.header(crate::agent::OFFLINE_AGENT_HEADER);
    let reply = decide(&body, messages, model, header.as_ref(), agent);

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
            events: sse_events(&id, model, &message, finish, &usage),
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

fn decide(
    body: &Value,
    messages: &[Value],
    model: &str,
    header: Option<&Value>,
    agent: Option<&str>,
) -> Reply {
    let last = messages.last();
    let last_role = last.and_then(|m| m.get("role")).and_then(Value::as_str);
    let tools: Vec<&Value> = body
        .get("tools")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(|t| t.get("function")).collect())
        .unwrap_or_default();

    if last_role == Some("user") {
        let text = last.map(text_of).unwrap_or_default();
        if let Some(handoff) = pick_handoff(&text, &tools) {
            return Reply::Calls(vec![(handoff, "{}".to_string())]);
        }
        let lower = text.to_lowercase();
        let calls: Vec<(String, String)> = tools
            .iter()
            .filter_map(|t| t.get("name").and_then(Value::as_str).map(|n| (n, *t)))
            .filter(|(name, _)| !name.starts_with("transfer_to_"))
            .filter(|(name, _)| {
                let name = name.to_lowercase();
                lower.contains(&name) || lower.contains(&name.replace('_', " "))
            })
            .map(|(name, tool)| (name.to_string(), guess_arguments(&text, tool)))
            .collect();
        if !calls.is_empty() {
            return Reply::Calls(calls);
        }
    }
    Reply::Text(text_answer(body, messages, model, header, agent))
}

/// Words that say nothing about which agent should answer.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "agent",
    "an",
    "and",
    "any",
    "are",
    "can",
    "for",
    "from",
    "handle",
    "handles",
    "have",
    "having",
    "help",
    "how",
    "i",
    "i'm",
    "im",
    "in",
    "is",
    "it",
    "me",
    "my",
    "of",
    "on",
    "or",
    "please",
    "question",
    "questions",
    "request",
    "requests",
    "support",
    "the",
    "this",
    "to",
    "what",
    "with",
    "you",
    "your",
];

fn keywords(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| w.len() >= 3 && !STOPWORDS.contains(&w.as_str()))
        .collect()
}

fn similar(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long || (short.len() >= 4 && long.starts_with(short))
}

/// The handoff whose target's name or description shares most words with the message.
fn pick_handoff(text: &str, tools: &[&Value]) -> Option<String> {
    let said = keywords(text);
    let mut best: Option<(usize, String)> = None;
    for tool in tools {
        let Some(name) = tool.get("name").and_then(Value::as_str) else {
            continue;
        };
        let Some(target) = name.strip_prefix("transfer_to_") else {
            continue;
        };
        let description = tool
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        // Drop the SDK's boilerplate ("Handoff to the X agent to handle the request.").
        let description = description
            .split_once("to handle the request.")
            .map_or(description, |(_, rest)| rest);
        let known = keywords(&format!("{} {description}", target.replace('_', " ")));
        let score = said
            .iter()
            .filter(|w| known.iter().any(|k| similar(w, k)))
            .count();
        if score > 0 && best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, name.to_string()));
        }
    }
    best.map(|(_, name)| name)
}

/// Arguments from the schema: strings get the message's last capitalized word
/// (the likeliest place or name), numbers its first number.
fn guess_arguments(text: &str, tool: &Value) -> String {
    let mut args = Map::new();
    let properties = tool
        .get("parameters")
        .and_then(|p| p.get("properties"))
        .and_then(Value::as_object);
    let tokens: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '.' && c != '-')
        .filter(|t| !t.is_empty())
        .collect();
    let proper = tokens
        .iter()
        .skip(1)
        .rev()
        .find(|t| t.chars().next().is_some_and(char::is_uppercase))
        .map(|t| t.trim_end_matches('.').to_string());
    let number = tokens.iter().find_map(|t| t.parse::<f64>().ok());
    for (name, schema) in properties.into_iter().flatten() {
        let value = match schema.get("type").and_then(Value::as_str) {
            Some("string") => {
                Value::from(proper.clone().unwrap_or_else(|| text.trim().to_string()))
            }
            Some("integer") => Value::from(number.unwrap_or(0.0) as i64),
            Some("number") => json!(number.unwrap_or(0.0)),
            Some("boolean") => Value::from(false),
            Some("array") => json!([]),
            Some("object") => json!({}),
            _ => Value::Null,
        };
        args.insert(name.clone(), value);
    }
    Value::Object(args).to_string()
}

fn text_of(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

fn quote(text: &str, max: usize) -> String {
    format!("“{}”", crate::error::truncate(text.trim(), max))
}

/// Fields the Respan gateway reads at the top level of the body.
const RESPAN_FIELDS: &[&str] = &[
    "customer_identifier",
    "metadata",
    "thread_identifier",
    "fallback_models",
    "customer_params",
    "cache_enabled",
    "cache_ttl",
    "cache_options",
    "disable_log",
];

fn text_answer(
    body: &Value,
    messages: &[Value],
    model: &str,
    header: Option<&Value>,
    agent: Option<&str>,
) -> String {
    let agent = match agent {
        Some(name) => format!("agent {name}"),
        None => current_agent(messages),
    };
    let mut out = format!("[respan offline gateway · model {model} · {agent}] ");

    let last = messages.last();
    match last.and_then(|m| m.get("role")).and_then(Value::as_str) {
        Some("tool") => {
            let results: Vec<String> = messages
                .iter()
                .rev()
                .take_while(|m| m.get("role").and_then(Value::as_str) == Some("tool"))
                .map(text_of)
                .filter(|t| {
                    serde_json::from_str::<Value>(t)
                        .ok()
                        .and_then(|v| v.get("assistant").cloned())
                        .is_none()
                })
                .collect();
            let question = messages
                .iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
                .map(text_of)
                .unwrap_or_default();
            if results.is_empty() {
                out.push_str(&format!(
                    "I took over the conversation. About {}: a real model would answer here.",
                    quote(&question, 120)
                ));
            } else {
                let mut results = results;
                results.reverse();
                out.push_str(&format!(
                    "The tools answered: {}.",
                    results
                        .iter()
                        .map(|r| quote(r, 120))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        _ => {
            let said = last.map(text_of).unwrap_or_default();
            out.push_str(&format!(
                "You said {}; a real model would answer here.",
                quote(&said, 120)
            ));
        }
    }

    let mut received = Vec::new();
    let top: Vec<String> = RESPAN_FIELDS
        .iter()
        .filter_map(|k| body.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    if !top.is_empty() {
        received.push(format!("Respan params in the body: {}", top.join(", ")));
    }
    // Nested params and the header's JSON are read the same way; their prompt is shown below.
    let places = [
        ("respan_params", body.get("respan_params")),
        ("the X-Data-Respan-Params header", header),
    ];
    for (place, params) in places {
        let Some(params) = params.and_then(Value::as_object) else {
            continue;
        };
        let fields: Vec<String> = params
            .iter()
            .filter(|(k, _)| *k != "prompt")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !fields.is_empty() {
            received.push(format!("Respan params in {place}: {}", fields.join(", ")));
        }
    }
    let prompts = [
        ("the body", body.get("prompt")),
        (
            "respan_params",
            body.get("respan_params").and_then(|p| p.get("prompt")),
        ),
        (
            "the X-Data-Respan-Params header",
            header.and_then(|h| h.get("prompt")),
        ),
    ];
    for (place, prompt) in prompts {
        if let Some(prompt) = prompt {
            received.push(format!("prompt in {place}: {prompt}"));
        }
    }
    if !received.is_empty() {
        out.push_str(&format!(" Received {}.", received.join("; ")));
    }
    out.push_str(" Set RESPAN_API_KEY to use the real gateway.");
    out
}

/// Without the runtime's agent header (another client): the target of the last handoff (its tool result is
/// `{"assistant": "<name>"}`), else described by its instructions.
fn current_agent(messages: &[Value]) -> String {
    let handed_to = messages.iter().rev().find_map(|m| {
        if m.get("role").and_then(Value::as_str) != Some("tool") {
            return None;
        }
        let v: Value = serde_json::from_str(&text_of(m)).ok()?;
        v.get("assistant")?.as_str().map(str::to_string)
    });
    if let Some(name) = handed_to {
        return format!("agent {name}");
    }
    match messages
        .first()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("system"))
    {
        Some(system) => format!("agent instructed {}", quote(&text_of(system), 60)),
        None => "an agent without instructions".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoff(name: &str, description: &str) -> Value {
        json!({"name": name, "description": format!(
            "Handoff to the X agent to handle the request. {description}")})
    }

    #[test]
    fn routes_by_words_of_the_target() {
        let billing = handoff("transfer_to_billing_agent", "Billing and payment questions");
        let technical = handoff(
            "transfer_to_technical_agent",
            "Technical support and API problems",
        );
        let tools = [&billing, &technical];
        assert_eq!(
            pick_handoff("I'm having trouble connecting to the API.", &tools).as_deref(),
            Some("transfer_to_technical_agent")
        );
        assert_eq!(
            pick_handoff("Why was I billed twice? My payment failed.", &tools).as_deref(),
            Some("transfer_to_billing_agent")
        );
        assert_eq!(pick_handoff("Hello there", &tools), None);
    }

    #[test]
    fn guesses_arguments_from_the_schema() {
        let tool = json!({"parameters": {"properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}});
        assert_eq!(
            serde_json::from_str::<Value>(&guess_arguments(
                "Call get_weather for Paris in 3 days",
                &tool
            ))
            .ok(),
            Some(json!({"city": "Paris", "days": 3}))
        );
    }
}
