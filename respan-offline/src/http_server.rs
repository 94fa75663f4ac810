//! The HTTP/1.1 server of the offline and fake gateways: hyper's, on tokio
//! (chunked or sized request bodies, keep-alive, SSE responses streamed with
//! pacing), with the fake gateway's faults (a stalled stream, a request never
//! answered, a connection closed without an answer) and a bound on request
//! bodies so a bad client cannot make it allocate without bound.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use serde_json::{Value, json};

use respan_runtime::BoxFuture;

/// The largest request body read (a chat request is far smaller): above it, 413.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A request as the server read it. Header names are lower-cased.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HttpRequest {
    pub(crate) method: String,
    /// The request target's path and query, e.g. `/api/chat/completions`.
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl HttpRequest {
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
    Hang,
    /// Close the connection without answering. Only the fake gateway scripts this.
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

/// A response body: sized, or streamed event by event.
type Body = UnsyncBoxBody<Bytes, Infallible>;

/// The service's error: hyper closes the connection without an answer.
#[derive(Debug)]
struct CloseConnection;

impl std::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed without an answer")
    }
}

impl std::error::Error for CloseConnection {}

/// Serves one connection (keep-alive: any number of requests) until the client
/// closes it or a response ends it.
async fn connection(stream: TcpStream, handler: Handler) {
    let service = service_fn(move |request| {
        let handler = handler.clone();
        async move { respond(request, &handler).await }
    });
    // An error here is the client's (a malformed request, answered 400 by hyper,
    // or a connection reset) or a scripted close: either way the connection ends.
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn respond(
    request: hyper::Request<Incoming>,
    handler: &Handler,
) -> Result<Response<Body>, CloseConnection> {
    let (parts, body) = request.into_parts();
    // The rest of the body is not read: the connection ends with the answer.
    let too_large = || {
        Ok(full(
            413,
            &[("connection".into(), "close".into())],
            format!("the request body is larger than {MAX_BODY} bytes").into_bytes(),
        ))
    };
    // A `content-length` above the limit is refused before reading.
    if hyper::body::Body::size_hint(&body).lower() > MAX_BODY as u64 {
        return too_large();
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => body.to_bytes().to_vec(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => return too_large(),
        // The client went away mid-body.
        Err(_) => return Err(CloseConnection),
    };
    let request = HttpRequest {
        method: parts.method.as_str().to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_string()),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), value)
            })
            .collect(),
        body,
    };
    match handler(request).await {
        HttpResponse::Full {
            status,
            headers,
            body,
        } => Ok(full(status, &headers, body)),
        HttpResponse::Sse {
            events,
            pace,
            stall,
        } => Ok(sse(events, pace, stall)),
        HttpResponse::Hang => std::future::pending().await,
        HttpResponse::Close => Err(CloseConnection),
    }
}

/// A sized response (hyper sets its `content-length`); an invalid status is
/// sent as 500, invalid header names or values are left out.
fn full(status: u16, headers: &[(String, String)], body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed_unsync());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// A `text/event-stream` response: `data: <event>` for each event, `pace` before
/// each one; then the connection closes, or (`stall`) stays open with the
/// stream unfinished.
fn sse(events: Vec<String>, pace: Duration, stall: bool) -> Response<Body> {
    let frames = futures_util::stream::iter(events).then(move |event| async move {
        if !pace.is_zero() {
            tokio::time::sleep(pace).await;
        }
        Ok::<_, Infallible>(Frame::data(Bytes::from(format!("data: {event}\n\n"))))
    });
    let body = if stall {
        StreamBody::new(frames.chain(futures_util::stream::pending())).boxed_unsync()
    } else {
        StreamBody::new(frames).boxed_unsync()
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        hyper::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    response
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

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A server answering each request with what it read.
    async fn echo() -> Server {
        let handler: Handler = Arc::new(|request: HttpRequest| {
            let answer = json!({"method": request.method, "path": request.path,
                "body": String::from_utf8_lossy(&request.body),
                "te": request.header("transfer-encoding")});
            Box::pin(async move { HttpResponse::json(200, &answer) })
        });
        Server::bind(SocketAddr::from(([127, 0, 0, 1], 0)), handler)
            .await
            .expect("bind")
    }

    /// Reads one sized response from `stream`: its head and its JSON body.
    async fn read_response(stream: &mut TcpStream) -> (String, Value) {
        let mut buffer = Vec::new();
        loop {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&buffer));
            buffer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buffer).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.trim().parse().ok())
                    .expect("content-length");
                if body.len() >= length {
                    return (head.to_string(), serde_json::from_str(body).expect("JSON"));
                }
            }
        }
    }

    #[tokio::test]
    async fn reads_chunked_bodies_and_keeps_the_connection_alive() {
        let server = echo().await;
        let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
        // A chunked body, split across writes and chunks (as a streaming client sends it).
        let chunked = "POST /api/chat/completions?x=1 HTTP/1.1\r\nhost: h\r\n\
                       transfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n\
                       7\r\n{\"messa\r\n";
        stream.write_all(chunked.as_bytes()).await.expect("write");
        tokio::time::sleep(Duration::from_millis(20)).await;
        stream
            .write_all(b"9\r\nges\": []}\r\n0\r\n\r\n")
            .await
            .expect("write");
        let (head, answer) = read_response(&mut stream).await;
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert_eq!(
            answer,
            json!({"method": "POST", "path": "/api/chat/completions?x=1",
                   "body": "{\"messages\": []}", "te": "chunked"})
        );
        // The same connection serves the next request (sized this time).
        stream
            .write_all(b"POST /b HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\n\r\nhi")
            .await
            .expect("write");
        let (_, answer) = read_response(&mut stream).await;
        assert_eq!(
            (answer["path"].as_str(), answer["body"].as_str()),
            (Some("/b"), Some("hi"))
        );
        assert_eq!(server.open_connections(), 1);
        drop(stream);
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while server.open_connections() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(server.open_connections(), 0);
    }

    #[tokio::test]
    async fn a_body_above_the_limit_gets_413_and_garbage_gets_400() {
        let server = echo().await;
        let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
        let head = format!(
            "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        let answer = read_to_end(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

        let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
        stream.write_all(b"NOT HTTP\r\n\r\n").await.expect("write");
        let answer = read_to_end(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }

    /// What the server sends until it closes the connection (bounded in time).
    async fn read_to_end(stream: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
            .await
            .expect("the server closes the connection")
            .expect("read");
        String::from_utf8_lossy(&answer).into_owned()
    }

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
