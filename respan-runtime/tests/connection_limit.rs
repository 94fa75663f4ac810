//! The gateway's connection limit (`GatewayBuilder::max_connections`): at most N
//! requests in flight, a streamed answer holding its slot until it ends or is
//! dropped, retries giving theirs back while they wait, and the timeout starting
//! only once a request has a slot. Against a local HTTP/1.1 server (127.0.0.1)
//! that counts the requests it is answering at once. Every wait is bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use respan_runtime::{Agent, AgentSet, Error, Gateway, RetryPolicy, RunEvent};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Every test's own bound.
const DEADLINE: Duration = Duration::from_secs(20);

/// How the server answers the request numbered `n` (from 0).
#[derive(Clone, Copy)]
enum Answer {
    /// A JSON completion after this delay.
    Json(Duration),
    /// After this delay, a 500 for the first request and a JSON completion for the others.
    FailFirst(Duration),
    /// A streamed answer: one text chunk, then the rest once `release` has a permit.
    Stream,
}

#[derive(Default)]
struct Counters {
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: AtomicUsize,
    /// The question of each request answered, in the order they were finished.
    finished: std::sync::Mutex<Vec<String>>,
}

struct Server {
    url: String,
    counters: Arc<Counters>,
    /// Lets streamed answers finish (one permit per stream).
    release: Arc<Semaphore>,
}

impl Server {
    async fn start(answer: Answer) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        let counters = Arc::new(Counters::default());
        let release = Arc::new(Semaphore::new(0));
        let (c, r) = (counters.clone(), release.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, answer, c.clone(), r.clone()));
            }
        });
        Server {
            url,
            counters,
            release,
        }
    }

    fn gateway(&self, max_connections: Option<usize>) -> Result<Gateway, Error> {
        let mut builder = Gateway::builder()
            .base_url(&self.url)
            .api_key("sk-test")
            .max_retries(0)
            .timeout(Duration::from_secs(10));
        if let Some(n) = max_connections {
            builder = builder.max_connections(n);
        }
        builder.build()
    }

    fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }

    fn max_in_flight(&self) -> usize {
        self.counters.max_in_flight.load(Ordering::SeqCst)
    }
}

/// Reads one request (head and `content-length` body) and returns its body;
/// `None` at the end of the connection.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<serde_json::Value> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().expect("content-length"));
            let total = end + 4 + length;
            while buf.len() < total {
                read_more(stream, buf).await?;
            }
            let body = serde_json::from_slice(&buf[end + 4..total]).expect("a JSON body");
            buf.drain(..total);
            return Some(body);
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

fn completion() -> String {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                     "finish_reason": "stop"}]})
    .to_string()
}

fn chunk(delta: serde_json::Value, finish: Option<&str>) -> String {
    let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1,
        "model": "gpt-4o", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    let event = format!("data: {chunk}\n\n");
    format!("{:x}\r\n{event}\r\n", event.len())
}

async fn serve(mut stream: TcpStream, answer: Answer, c: Arc<Counters>, release: Arc<Semaphore>) {
    let mut buf = Vec::new();
    while let Some(body) = read_request(&mut stream, &mut buf).await {
        let question = body["messages"][1]["content"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let n = c.requests.fetch_add(1, Ordering::SeqCst);
        let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        c.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let json = |status: &str, body: String| {
            format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let written = match answer {
            Answer::Json(delay) => {
                tokio::time::sleep(delay).await;
                stream
                    .write_all(json("200 OK", completion()).as_bytes())
                    .await
            }
            Answer::FailFirst(delay) => {
                tokio::time::sleep(delay).await;
                let response = if n == 0 {
                    json(
                        "500 Internal Server Error",
                        r#"{"error":{"message":"boom"}}"#.into(),
                    )
                } else {
                    json("200 OK", completion())
                };
                stream.write_all(response.as_bytes()).await
            }
            Answer::Stream => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                let first = chunk(json!({"role": "assistant", "content": "Hel"}), None);
                let _ = stream.write_all(format!("{head}{first}").as_bytes()).await;
                // Held open until the test lets this stream finish.
                release.acquire().await.expect("release").forget();
                let rest = format!(
                    "{}{}{:x}\r\ndata: [DONE]\n\n\r\n0\r\n\r\n",
                    chunk(json!({"content": "lo"}), None),
                    chunk(json!({}), Some("stop")),
                    "data: [DONE]\n\n".len()
                );
                stream.write_all(rest.as_bytes()).await
            }
        };
        c.in_flight.fetch_sub(1, Ordering::SeqCst);
        c.finished.lock().expect("finished").push(question);
        if written.is_err() {
            return;
        }
    }
}

fn agents() -> AgentSet {
    AgentSet::new("Assistant".to_string())
        .agent(Agent::named("Assistant").instructions("You are a helpful assistant."))
}

/// Runs `n` plain runs at once on `gateway`; returns how many succeeded.
async fn concurrent_runs(gateway: &Gateway, n: usize) -> usize {
    let agents = Arc::new(agents());
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (gateway, agents) = (gateway.clone(), agents.clone());
            tokio::spawn(async move { respan_runtime::run(&gateway, &agents, "Hi").await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let result = task.await.expect("task");
        if result.is_ok() {
            ok += 1;
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_runs_share_four_connections_and_all_succeed() {
    tokio::time::timeout(DEADLINE, async {
        let server = Server::start(Answer::Json(Duration::from_millis(40))).await;
        let gateway = server.gateway(Some(4)).expect("gateway");
        assert_eq!(gateway.max_connections(), Some(4));
        assert_eq!(concurrent_runs(&gateway, 20).await, 20);
        assert_eq!(server.requests(), 20);
        // Never more than 4 at once, and the limit was reached (the runs queued).
        assert_eq!(server.max_in_flight(), 4);
        // Waiting requests reuse the freed connections rather than open new ones.
        assert!(server.counters.connections.load(Ordering::SeqCst) <= 4);
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_limit_the_same_runs_all_go_at_once() {
    // The control of the test above: the server does see more than 4 when nothing limits.
    tokio::time::timeout(DEADLINE, async {
        let server = Server::start(Answer::Json(Duration::from_millis(40))).await;
        let gateway = server.gateway(Some(usize::MAX)).expect("gateway");
        assert_eq!(gateway.max_connections(), None);
        assert_eq!(concurrent_runs(&gateway, 20).await, 20);
        assert!(server.max_in_flight() > 4, "{}", server.max_in_flight());
        // The default (1000, as openai-python) does not hold 20 runs back either.
        let server = Server::start(Answer::Json(Duration::from_millis(40))).await;
        let gateway = server.gateway(None).expect("gateway");
        assert_eq!(
            gateway.max_connections(),
            Some(respan_runtime::DEFAULT_MAX_CONNECTIONS)
        );
        assert_eq!(concurrent_runs(&gateway, 20).await, 20);
        assert!(server.max_in_flight() > 4, "{}", server.max_in_flight());
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_starts_when_a_request_has_its_connection() {
    tokio::time::timeout(DEADLINE, async {
        // One connection, answers in 150 ms, timeout 400 ms: three queued runs wait
        // 450 ms in all, longer than the timeout, yet none of them times out.
        let server = Server::start(Answer::Json(Duration::from_millis(150))).await;
        let gateway = Gateway::builder()
            .base_url(&server.url)
            .api_key("sk-test")
            .max_retries(0)
            .timeout(Duration::from_millis(400))
            .max_connections(1)
            .build()
            .expect("gateway");
        assert_eq!(concurrent_runs(&gateway, 3).await, 3);
        assert_eq!(server.max_in_flight(), 1);
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_gives_its_connection_back_while_it_waits() {
    tokio::time::timeout(DEADLINE, async {
        // One connection. Run A's first request fails (500) and A waits 2 s to
        // retry; run B, queued behind it, is answered during that wait (holding
        // the slot through the wait, B would take more than 2 s).
        let server = Server::start(Answer::FailFirst(Duration::from_millis(20))).await;
        let gateway = Gateway::builder()
            .base_url(&server.url)
            .api_key("sk-test")
            .retry_policy(RetryPolicy {
                max_retries: 1,
                initial_delay: Duration::from_secs(2),
                jitter: 0.0,
                ..RetryPolicy::default()
            })
            .max_connections(1)
            .build()
            .expect("gateway");
        let agents = agents();
        let a = respan_runtime::run(&gateway, &agents, "A");
        let b = async {
            // Starts after A has sent its first request.
            while server.requests() == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let started = std::time::Instant::now();
            let result = respan_runtime::run(&gateway, &agents, "B").await;
            (result, started.elapsed())
        };
        let (a, (b, b_took)) = tokio::join!(a, b);
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        assert!(b_took < Duration::from_secs(1), "B took {b_took:?}");
        // B's request was answered before A's retry was sent.
        assert_eq!(
            *server.counters.finished.lock().expect("finished"),
            ["A", "B", "A"]
        );
        assert_eq!(server.max_in_flight(), 1);
    })
    .await
    .expect("bounded");
}

/// A whole streamed run.
async fn streamed_run(gateway: Gateway) -> Result<(), Error> {
    let agents = agents();
    let mut stream = respan_runtime::run_streamed(&gateway, &agents, "Hi");
    while let Some(event) = stream.next_event().await {
        event?;
    }
    Ok(())
}

/// Polls until `done` or 2 s.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_holds_its_connection_until_its_stream_ends() {
    tokio::time::timeout(DEADLINE, async {
        let server = Server::start(Answer::Stream).await;
        let gateway = server.gateway(Some(1)).expect("gateway");
        let agents = agents();
        let mut stream = respan_runtime::run_streamed(&gateway, &agents, "Hi");
        loop {
            match stream.next_event().await.expect("an event").expect("ok") {
                RunEvent::TextDelta { .. } => break,
                _ => continue,
            }
        }
        // A second run waits: its request is not sent while the stream is open.
        let waiting = tokio::spawn(streamed_run(gateway.clone()));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(server.requests(), 1);
        // The stream ends; the waiting run goes (its own stream is released too).
        server.release.add_permits(2);
        while let Some(event) = stream.next_event().await {
            event.expect("event");
        }
        assert!(eventually(|| server.requests() == 2).await);
        waiting.await.expect("task").expect("the waiting run");
        assert_eq!(server.max_in_flight(), 1);
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_dropped_early_gives_its_connection_back() {
    tokio::time::timeout(DEADLINE, async {
        let server = Server::start(Answer::Stream).await;
        let gateway = server.gateway(Some(1)).expect("gateway");
        let agents = agents();
        let mut stream = respan_runtime::run_streamed(&gateway, &agents, "Hi");
        loop {
            if let RunEvent::TextDelta { .. } =
                stream.next_event().await.expect("event").expect("ok")
            {
                break;
            }
        }
        drop(stream);
        // The dropped stream's slot is free: the next run is sent at once.
        let next = tokio::spawn(streamed_run(gateway.clone()));
        assert!(eventually(|| server.requests() == 2).await);
        server.release.add_permits(2);
        next.await.expect("task").expect("the next run");
    })
    .await
    .expect("bounded");
}

#[test]
fn zero_connections_is_a_configuration_error() {
    let error = Gateway::builder()
        .base_url("http://127.0.0.1:9/v1")
        .api_key("sk-test")
        .max_connections(0)
        .build()
        .expect_err("0 is refused");
    let Error::Config(message) = &error else {
        panic!("not a configuration error: {error:?}");
    };
    assert!(message.contains("max_connections(0)"), "{message}");
    assert!(message.contains("at least 1"), "{message}");
}
