//! A small HTTP/1.1 server on tokio for the offline and fake gateways: enough for
//! an OpenAI-compatible client (content-length bodies, keep-alive, SSE), with
//! hard limits so a bad client cannot make it allocate without bound.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use serde_json::{Value, json};

use crate::retry::BoxFuture;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A request as the server read it. Header names are lower-cased.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HttpRequest {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl HttpRequest {
    #[cfg_attr(not(feature = "offline"), allow(dead_code))]
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server sends back.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum HttpResponse {
    /// A complete response with a `content-length`.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// `text/event-stream`: each string is sent as one `data:` event, then the connection closes.
    Sse {
        events: Vec<String>,
        /// Pause before each event (to show streaming; zero in tests).
        pace: Duration,
        /// Keep the connection open after the events, without ending the stream.
        stall: bool,
    },
    /// Never answer (until the client gives up). Only the fake gateway scripts this.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    Hang,
    /// Close the connection without answering. Only the fake gateway scripts this.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    Close,
}

impl HttpResponse {
    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Self {
        HttpResponse::Full {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }
}

pub(crate) type Handler =
    Arc<dyn Fn(HttpRequest) -> BoxFuture<'static, HttpResponse> + Send + Sync>;

/// A running server; dropping it stops accepting and closes the connections.
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    open: Arc<AtomicUsize>,
    _stop: watch::Sender<()>,
}

impl Server {
    pub(crate) async fn bind(addr: SocketAddr, handler: Handler) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(());
        let open = Arc::new(AtomicUsize::new(0));
        tokio::spawn(accept_loop(listener, handler, stopped, open.clone()));
        Ok(Self {
            addr,
            open,
            _stop: stop,
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections being served now.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// Counts a connection as open until dropped (however its task ends).
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn accept_loop(
    listener: TcpListener,
    handler: Handler,
    mut stopped: watch::Receiver<()>,
    open: Arc<AtomicUsize>,
) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let mut stopped = stopped.clone();
                let open = Open::new(&open);
                tokio::spawn(async move {
                    let _open = open;
                    tokio::select! {
                        _ = stopped.changed() => {}
                        _ = connection(stream, handler) => {}
                    }
                });
            }
        }
    }
}

async fn connection(mut stream: TcpStream, handler: Handler) {
    let mut buffer = Vec::new();
    loop {
        let request = match read_request(&mut stream, &mut buffer).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(status) => {
                let _ = write_full(&mut stream, status, &[], b"bad request").await;
                return;
            }
        };
        match handler(request).await {
            HttpResponse::Full {
                status,
                headers,
                body,
            } => {
                if write_full(&mut stream, status, &headers, &body)
                    .await
                    .is_err()
                {
                    return;
                }
            }
            HttpResponse::Sse {
                events,
                pace,
                stall,
            } => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                            cache-control: no-cache\r\nconnection: close\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for event in events {
                    if !pace.is_zero() {
                        tokio::time::sleep(pace).await;
                    }
                    let frame = format!("data: {event}\n\n");
                    if stream.write_all(frame.as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = stream.flush().await;
                }
                if stall {
                    std::future::pending::<()>().await;
                }
                let _ = stream.shutdown().await;
                return;
            }
            HttpResponse::Hang => {
                std::future::pending::<()>().await;
            }
            HttpResponse::Close => return,
        }
    }
}

/// Reads one request; `Ok(None)` at a clean end of the connection.
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Result<Option<HttpRequest>, u16> {
    let head_end = loop {
        if let Some(pos) = find(buffer, b"\r\n\r\n") {
            break pos;
        }
        if buffer.len() > MAX_HEAD {
            return Err(431);
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_string();
    let path = request_line.next().unwrap_or_default().to_string();
    if method.is_empty() || path.is_empty() {
        return Err(400);
    }
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && !v.eq_ignore_ascii_case("identity"))
    {
        return Err(411);
    }
    let length = match headers.iter().find(|(n, _)| n == "content-length") {
        Some((_, v)) => v.parse::<usize>().map_err(|_| 400u16)?,
        None => 0,
    };
    if length > MAX_BODY {
        return Err(413);
    }
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    Ok(Some(HttpRequest {
        method,
        path,
        headers,
        body,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn write_full(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    stream.write_all(&out).await?;
    stream.flush().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Whether a request asks for a streamed answer's usage
/// (`"stream_options": {"include_usage": true}`).
pub(crate) fn wants_usage(body: &Value) -> bool {
    body.pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The chunks of a streamed answer, as a model sends them: the role, the text in
/// several deltas (word by word, long words in pieces), each tool call's id and
/// name then its arguments in several fragments, the finish reason, the usage
/// (when given: OpenAI sends it only when the request asks, see [`wants_usage`])
/// and `[DONE]`.
pub(crate) fn sse_events(
    id: &str,
    model: &str,
    message: &Value,
    finish: &str,
    usage: Option<&Value>,
) -> Vec<String> {
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string()
    };
    let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    let text = message.get("content").and_then(Value::as_str).unwrap_or("");
    for piece in text
        .split_inclusive(' ')
        .flat_map(|w| pieces(w, TEXT_PIECE))
    {
        events.push(chunk(json!({"content": piece}), None));
    }
    let calls = message.get("tool_calls").and_then(Value::as_array);
    for (i, call) in calls.into_iter().flatten().enumerate() {
        events.push(chunk(
            json!({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                   "function": {"name": call["function"]["name"], "arguments": ""}}]}),
            None,
        ));
        let arguments = call["function"]["arguments"].as_str().unwrap_or("");
        for piece in pieces(arguments, ARGUMENTS_PIECE) {
            events.push(chunk(
                json!({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}),
                None,
            ));
        }
    }
    events.push(chunk(json!({}), Some(finish)));
    if let Some(usage) = usage {
        events.push(
            json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [], "usage": usage})
            .to_string(),
        );
    }
    events.push("[DONE]".to_string());
    events
}

/// The longest text delta (in characters).
const TEXT_PIECE: usize = 16;
/// The longest fragment of a tool call's arguments (in characters).
const ARGUMENTS_PIECE: usize = 8;

/// `text` in pieces of at most `max` characters.
fn pieces(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deltas(events: &[String]) -> Vec<Value> {
        events
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(e).ok())
            .filter_map(|e| e["choices"].get(0).map(|c| c["delta"].clone()))
            .collect()
    }

    #[test]
    fn the_usage_chunk_comes_only_when_asked() {
        let message = json!({"role": "assistant", "content": "Hi"});
        let usage = json!({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3});
        let with = sse_events("c", "m", &message, "stop", Some(&usage));
        let usage_chunk: Value = serde_json::from_str(&with[with.len() - 2]).unwrap();
        assert_eq!(usage_chunk["choices"], json!([]));
        assert_eq!(usage_chunk["usage"], usage);
        let without = sse_events("c", "m", &message, "stop", None);
        assert_eq!(without.len(), with.len() - 1);
        assert!(without.iter().all(|e| !e.contains("\"usage\"")));
        assert!(wants_usage(
            &json!({"stream_options": {"include_usage": true}})
        ));
        assert!(!wants_usage(
            &json!({"stream_options": {"include_usage": false}})
        ));
        assert!(!wants_usage(&json!({"stream": true})));
    }

    #[test]
    fn pieces_split_on_char_boundaries() {
        assert_eq!(pieces("ééééé", 2).collect::<Vec<_>>(), ["éé", "éé", "é"]);
        assert_eq!(pieces("", 2).count(), 0);
    }

    #[test]
    fn text_streams_in_several_deltas() {
        let message =
            json!({"role": "assistant", "content": "Check your API key: a-very-long-word-indeed."});
        let events = sse_events("c", "m", &message, "stop", Some(&json!({})));
        let text: Vec<String> = deltas(&events)
            .iter()
            .filter_map(|d| d["content"].as_str().map(str::to_string))
            .collect();
        assert_eq!(
            text,
            [
                "",
                "Check ",
                "your ",
                "API ",
                "key: ",
                "a-very-long-word",
                "-indeed."
            ]
        );
        assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
        let finish: Value = serde_json::from_str(&events[events.len() - 3]).unwrap();
        assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    }

    #[test]
    fn tool_calls_stream_their_name_first_then_argument_fragments() {
        let message = json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_0_0", "type": "function", "function": {"name": "f", "arguments": r#"{"city":"Paris"}"#}},
            {"id": "call_0_1", "type": "function", "function": {"name": "g", "arguments": "{}"}}]});
        let events = sse_events("c", "m", &message, "tool_calls", Some(&json!({})));
        let calls: Vec<Value> = deltas(&events)
            .iter()
            .filter_map(|d| d.get("tool_calls").map(|c| c[0].clone()))
            .collect();
        assert_eq!(
            calls,
            [
                json!({"index": 0, "id": "call_0_0", "type": "function", "function": {"name": "f", "arguments": ""}}),
                json!({"index": 0, "function": {"arguments": "{\"city\":"}}),
                json!({"index": 0, "function": {"arguments": "\"Paris\"}"}}),
                json!({"index": 1, "id": "call_0_1", "type": "function", "function": {"name": "g", "arguments": ""}}),
                json!({"index": 1, "function": {"arguments": "{}"}}),
            ]
        );
        let finish: Value = serde_json::from_str(&events[events.len() - 3]).unwrap();
        assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    }
}
