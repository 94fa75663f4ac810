//! A fast fake chat-completions gateway for the benchmarks, in its own process
//! so its CPU time is not the client's. Multi-threaded (hyper on tokio), with a
//! fixed latency per request, JSON or server-sent events.
//!
//! ```sh
//! fakegw [--latency-ms 0|1|50] [--threads N] [--port P]
//! ```
//!
//! It prints its base URL on the first line of stdout. It answers any
//! `POST .../chat/completions` from the request alone (the script below), and
//! `GET /stats` with its counters and its own CPU time (so a benchmark can show
//! it was never the bottleneck); `POST /reset` zeroes the counters.
//!
//! The script, which every benchmark scenario follows:
//! - no `tools` in the request → a text answer ([`ANSWER_WORDS`] words);
//! - last message from the user → a call of `transfer_to_technical_agent` if offered
//!   (arguments `{}`), else of the first tool (`get_weather`: `{"city":"Tokyo"}`);
//! - last message a tool result, `fetch_page` offered and fewer than [`LOOP_CALLS`]
//!   tool results so far → another `fetch_page` call (the long tool loop);
//! - otherwise → the text answer.
//!
//! `"stream": true` gets the same answer as chunks (one per word of text), with
//! a usage chunk when `stream_options.include_usage` asks for it, then `[DONE]`.
//!
//! A request with `x-bench-stamp-ms: N` (the streaming benchmark) gets its first
//! text chunk N ms after the chunks before it, and that chunk's text is a stamp,
//! `@<CLOCK_MONOTONIC ns> `, taken as the chunk goes to the socket: the client,
//! on the same machine, measures from the first byte of that chunk to its event.

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::json;

/// Tool results after which the long tool loop gets its answer (50 requests in all).
const LOOP_CALLS: usize = 49;
/// Words of the text answer (one streamed chunk each).
const ANSWER_WORDS: usize = 64;

static REQUESTS: AtomicU64 = AtomicU64::new(0);
static BYTES_IN: AtomicU64 = AtomicU64::new(0);
static FIRST_REQUEST_UNIX_NS: AtomicU64 = AtomicU64::new(0);
/// Connections accepted, and chat requests being answered now and at most at
/// once (how many connections a client really opened and used).
static CONNECTIONS: AtomicU64 = AtomicU64::new(0);
static IN_FLIGHT: AtomicU64 = AtomicU64::new(0);
static MAX_IN_FLIGHT: AtomicU64 = AtomicU64::new(0);

/// Counts a chat request in flight until its response (headers) is returned.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        let now = IN_FLIGHT.fetch_add(1, Ordering::Relaxed) + 1;
        MAX_IN_FLIGHT.fetch_max(now, Ordering::Relaxed);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Deserialize)]
struct ChatRequest<'a> {
    #[serde(borrow)]
    messages: Vec<Message<'a>>,
    #[serde(default, borrow)]
    tools: Vec<ToolDef<'a>>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    role: Cow<'a, str>,
}

#[derive(Deserialize)]
struct ToolDef<'a> {
    #[serde(borrow)]
    function: FunctionDef<'a>,
}

#[derive(Deserialize)]
struct FunctionDef<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// What the script answers: a call (name, arguments, id) or the text.
enum Answer {
    Call {
        name: String,
        arguments: String,
        id: String,
    },
    Text,
}

fn decide(request: &ChatRequest<'_>) -> Answer {
    let names: Vec<&str> = request
        .tools
        .iter()
        .map(|t| t.function.name.as_ref())
        .collect();
    let last = request.messages.last().map(|m| m.role.as_ref());
    let results = request.messages.iter().filter(|m| m.role == "tool").count();
    let name = if names.is_empty() {
        None
    } else if last == Some("user") {
        Some(
            names
                .iter()
                .find(|n| **n == "transfer_to_technical_agent")
                .unwrap_or(&names[0]),
        )
    } else if last == Some("tool") && names.contains(&"fetch_page") && results < LOOP_CALLS {
        Some(&"fetch_page")
    } else {
        None
    };
    match name {
        None => Answer::Text,
        Some(&name) => Answer::Call {
            arguments: match name {
                "get_weather" => r#"{"city":"Tokyo"}"#.to_string(),
                "fetch_page" => format!(r#"{{"page":{}}}"#, results + 1),
                _ => "{}".to_string(),
            },
            name: name.to_string(),
            id: format!("call_{}", results + 1),
        },
    }
}

fn answer_words() -> Vec<String> {
    const SENTENCE: [&str; 16] = [
        "Check", "that", "your", "API", "key", "is", "set,", "that", "the", "base", "URL", "ends",
        "in", "/api,", "and", "retry.",
    ];
    (0..ANSWER_WORDS)
        .map(|i| format!("{} ", SENTENCE[i % SENTENCE.len()]))
        .collect()
}

fn usage(body_len: usize) -> serde_json::Value {
    let prompt = body_len as u64 / 4;
    json!({"prompt_tokens": prompt, "completion_tokens": 80, "total_tokens": prompt + 80})
}

fn completion(answer: &Answer, body_len: usize) -> Bytes {
    let (message, finish) = match answer {
        Answer::Call {
            name,
            arguments,
            id,
        } => (
            json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]}),
            "tool_calls",
        ),
        Answer::Text => (
            json!({"role": "assistant", "content": answer_words().concat()}),
            "stop",
        ),
    };
    let body = json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1767225600, "model": "gpt-4o",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage(body_len),
    });
    Bytes::from(serde_json::to_vec(&body).expect("json"))
}

fn chunk(choices: serde_json::Value) -> Bytes {
    let chunk = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1767225600,
        "model": "gpt-4o", "choices": choices,
    });
    Bytes::from(format!("data: {chunk}\n\n"))
}

fn events(answer: &Answer, body_len: usize, include_usage: bool) -> Vec<Bytes> {
    let mut events = Vec::new();
    let finish = match answer {
        Answer::Call {
            name,
            arguments,
            id,
        } => {
            events.push(chunk(
                json!([{"index": 0, "delta": {"role": "assistant", "content": null,
                "tool_calls": [{"index": 0, "id": id, "type": "function",
                    "function": {"name": name, "arguments": ""}}]}, "finish_reason": null}]),
            ));
            events.push(chunk(json!([{"index": 0, "delta": {
                "tool_calls": [{"index": 0, "function": {"arguments": arguments}}]}, "finish_reason": null}])));
            "tool_calls"
        }
        Answer::Text => {
            events.push(chunk(
                json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
            ));
            for word in answer_words() {
                events.push(chunk(
                    json!([{"index": 0, "delta": {"content": word}, "finish_reason": null}]),
                ));
            }
            "stop"
        }
    };
    events.push(chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": finish}]),
    ));
    if include_usage {
        let last = json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk",
            "created": 1767225600, "model": "gpt-4o", "choices": [], "usage": usage(body_len)});
        events.push(Bytes::from(format!("data: {last}\n\n")));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    events
}

type Body = BoxBody<Bytes, Infallible>;

fn full(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body).boxed())
        .expect("response")
}

fn stats() -> Bytes {
    Bytes::from(
        json!({
            "requests": REQUESTS.load(Ordering::Relaxed),
            "bytes_in": BYTES_IN.load(Ordering::Relaxed),
            "cpu_ns": respan_bench::process_cpu_ns(),
            "first_request_unix_ns": FIRST_REQUEST_UNIX_NS.load(Ordering::Relaxed),
            "connections": CONNECTIONS.load(Ordering::Relaxed),
            "max_in_flight": MAX_IN_FLIGHT.load(Ordering::Relaxed),
            "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
        })
        .to_string(),
    )
}

async fn handle(
    request: Request<Incoming>,
    latency: Duration,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_string();
    match (request.method(), path.as_str()) {
        (&Method::GET, "/stats") => return Ok(full(StatusCode::OK, "application/json", stats())),
        (&Method::POST, "/reset") => {
            REQUESTS.store(0, Ordering::Relaxed);
            BYTES_IN.store(0, Ordering::Relaxed);
            FIRST_REQUEST_UNIX_NS.store(0, Ordering::Relaxed);
            CONNECTIONS.store(0, Ordering::Relaxed);
            MAX_IN_FLIGHT.store(0, Ordering::Relaxed);
            return Ok(full(StatusCode::OK, "application/json", stats()));
        }
        (&Method::POST, p) if p.ends_with("/chat/completions") => {}
        _ => {
            return Ok(full(
                StatusCode::NOT_FOUND,
                "application/json",
                Bytes::from_static(br#"{"error":{"message":"not found"}}"#),
            ));
        }
    }
    let stamp_after = request
        .headers()
        .get("x-bench-stamp-ms")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .map(Duration::from_millis);
    if REQUESTS.fetch_add(1, Ordering::Relaxed) == 0 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        FIRST_REQUEST_UNIX_NS.store(now.as_nanos() as u64, Ordering::Relaxed);
    }
    let _in_flight = InFlight::enter();
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return Ok(full(StatusCode::BAD_REQUEST, "text/plain", Bytes::new())),
    };
    BYTES_IN.fetch_add(body.len() as u64, Ordering::Relaxed);
    let parsed: ChatRequest<'_> = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(e) => {
            let message = json!({"error": {"message": format!("bad request body: {e}")}});
            return Ok(full(
                StatusCode::BAD_REQUEST,
                "application/json",
                Bytes::from(message.to_string()),
            ));
        }
    };
    let answer = decide(&parsed);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if parsed.stream {
        let include_usage = parsed.stream_options.is_some_and(|o| o.include_usage);
        let mut frames = events(&answer, body.len(), include_usage);
        let body = match (stamp_after, &answer) {
            (Some(delay), Answer::Text) => {
                // [role chunk] · delay · [stamp, in place of the first word] · [the rest]
                let rest = frames.split_off(2);
                let head = frames.swap_remove(0);
                let stamp = futures_util::stream::once(async move {
                    tokio::time::sleep(delay).await;
                    let text = format!("@{} ", respan_bench::monotonic_ns());
                    Ok::<_, Infallible>(Frame::data(chunk(
                        json!([{"index": 0, "delta": {"content": text}, "finish_reason": null}]),
                    )))
                });
                use futures_util::StreamExt as _;
                let stream = futures_util::stream::iter([Ok(Frame::data(head))])
                    .chain(stamp)
                    .chain(futures_util::stream::iter(
                        rest.into_iter().map(|b| Ok(Frame::data(b))),
                    ));
                http_body_util::BodyExt::boxed(StreamBody::new(stream))
            }
            _ => {
                let frames = frames
                    .into_iter()
                    .map(|b| Ok::<_, Infallible>(Frame::data(b)));
                StreamBody::new(futures_util::stream::iter(frames)).boxed()
            }
        };
        return Ok(Response::builder()
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-cache")
            .body(body)
            .expect("response"));
    }
    Ok(full(
        StatusCode::OK,
        "application/json",
        completion(&answer, body.len()),
    ))
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let at = args.iter().position(|a| a == name)?;
    let value = args.get(at + 1)?;
    match value.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            eprintln!("fakegw: {name} {value:?} is not a valid value");
            std::process::exit(2);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("fakegw [--latency-ms MS] [--threads N] [--port P]");
        return;
    }
    let latency = Duration::from_secs_f64(arg::<f64>(&args, "--latency-ms").unwrap_or(0.0) / 1e3);
    let threads = arg::<usize>(&args, "--threads")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let port = arg::<u16>(&args, "--port").unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("reuseaddr");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .expect("bind");
        // A deep backlog: 10 000 clients connect at once.
        let listener = socket.listen(65_535).expect("listen");
        let address = listener.local_addr().expect("address");
        println!("http://{address}");
        use std::io::Write as _;
        std::io::stdout().flush().expect("stdout");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors: wait for some to close.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |r| handle(r, latency));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
