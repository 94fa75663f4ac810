//! The fault matrix (issue 9, item 2): one test per fault, each run both
//! ways, `respan_runtime::run` and `run_streamed` (read with
//! `RunStream::next_event`), asserting the exact outcome: how many requests
//! the gateway saw, the error and its fields, or what the model was told next.
//! TESTING.md ("Faults") lists every cell, with the cells other files cover.
//!
//! Retries never really sleep: a [`RecordingSleeper`] records the delays. The
//! only real waits are the short timeouts of the timeout and stall cells.
//!
//! Faults the fake gateway cannot script (a body cut short of its
//! `content-length`, a TCP reset, a stream that ends in the middle of an
//! event) are served by [`RawServer`] below, a few lines of raw TCP on
//! 127.0.0.1.

mod common;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::get_weather;
use respan_offline::testing::{FakeGateway, FakeResponse, RecordingSleeper};
use respan_runtime::{
    Agent, AgentSet, Error, Gateway, GatewayBuilder, RunEvent, RunItem, RunResult,
    TOOL_ERROR_MESSAGE,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// `respan_runtime::run`.
    Plain,
    /// `respan_runtime::run_streamed`, read with `next_event`.
    Streamed,
}

const MODES: [Mode; 2] = [Mode::Plain, Mode::Streamed];

/// The agent of every cell: one tool, `get_weather`.
fn agents() -> AgentSet {
    AgentSet::new("W".to_string()).agent(Agent::named("W").instructions("x").tool(get_weather()))
}

/// What a run ended with and, streamed, the events before its end.
struct Outcome {
    result: Result<RunResult<String>, Error>,
    events: Vec<RunEvent<String>>,
}

impl Outcome {
    fn ok(self, mode: Mode) -> RunResult<String> {
        match self.result {
            Ok(result) => result,
            Err(error) => panic!("{mode:?}: expected a result, got {error:?}"),
        }
    }

    fn err(self, mode: Mode) -> Error {
        match self.result {
            Ok(result) => panic!(
                "{mode:?}: expected an error, got the answer {:?}",
                result.final_output
            ),
            Err(error) => error,
        }
    }

    fn text_deltas(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|e| match e {
                RunEvent::TextDelta { delta, .. } => Some(delta.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Runs `agents` on `gateway` in `mode`. Streamed, the result or the error
/// must be the stream's last item.
async fn drive(mode: Mode, gateway: &Gateway, agents: &AgentSet) -> Outcome {
    match mode {
        Mode::Plain => Outcome {
            result: respan_runtime::run(gateway, agents, "hi").await,
            events: Vec::new(),
        },
        Mode::Streamed => {
            let mut stream = respan_runtime::run_streamed(gateway, agents, "hi");
            let mut events = Vec::new();
            let mut end = None;
            while let Some(item) = stream.next_event().await {
                assert!(end.is_none(), "an item after the stream's end: {item:?}");
                match item {
                    Ok(RunEvent::Completed(result)) => end = Some(Ok(*result)),
                    Ok(event) => events.push(event),
                    Err(error) => end = Some(Err(error)),
                }
            }
            Outcome {
                result: end.expect("the stream ended without a result or an error"),
                events,
            }
        }
    }
}

/// A fake gateway, a gateway on it with `max_retries`, and the retry delays.
struct Setup {
    fake: FakeGateway,
    gateway: Gateway,
    sleeper: RecordingSleeper,
}

async fn setup(max_retries: u32) -> Setup {
    setup_with(Gateway::builder().max_retries(max_retries)).await
}

async fn setup_with(builder: GatewayBuilder) -> Setup {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let sleeper = RecordingSleeper::new();
    let gateway = fake
        .gateway_with(builder.sleeper(sleeper.sleeper()))
        .expect("gateway");
    Setup {
        fake,
        gateway,
        sleeper,
    }
}

const SECOND: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------- rate limits

/// A 429 fault, twice: once followed by an answer (one retry, after the
/// server's wait), once three times with `max_retries(2)` (the error).
async fn rate_limit_cell(
    fault: impl Fn() -> FakeResponse,
    message: &str,
    wait_ok: impl Fn(Duration) -> bool,
) {
    for mode in MODES {
        let s = setup(2).await;
        s.fake.push(fault()).push_text("after waiting");
        let result = drive(mode, &s.gateway, &agents()).await.ok(mode);
        assert_eq!(result.final_output, "after waiting", "{mode:?}");
        assert_eq!(s.fake.requests().len(), 2, "{mode:?}");
        let delays = s.sleeper.delays();
        assert!(
            delays.len() == 1 && wait_ok(delays[0]),
            "{mode:?}: {delays:?}"
        );
        // The retried request is the same request.
        let bodies = s.fake.bodies();
        assert_eq!(bodies[0], bodies[1], "{mode:?}");

        let s = setup(2).await;
        for _ in 0..3 {
            s.fake.push(fault());
        }
        s.fake.push_text("never asked for");
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        match &error {
            Error::RateLimited {
                message: m,
                retry_after: Some(wait),
                log_id: None,
                attempts: 3,
            } => {
                assert_eq!(m, message, "{mode:?}");
                assert!(wait_ok(*wait), "{mode:?}: {wait:?}");
            }
            other => panic!("{mode:?}: expected RateLimited after 3 attempts, got {other:?}"),
        }
        assert_eq!(error.status(), Some(429));
        assert_eq!(s.fake.requests().len(), 3, "{mode:?}");
        assert_eq!(s.fake.pending(), 1, "{mode:?}");
        let delays = s.sleeper.delays();
        assert!(
            delays.len() == 2 && delays.iter().all(|d| wait_ok(*d)),
            "{mode:?}: {delays:?}"
        );
    }
}

#[tokio::test]
async fn rate_limited_with_retry_after_in_seconds() {
    rate_limit_cell(
        || FakeResponse::error(429, "slow down").header("retry-after", "7"),
        "slow down (error)",
        |d| d == 7 * SECOND,
    )
    .await;
}

#[tokio::test]
async fn rate_limited_with_retry_after_as_an_http_date() {
    // In the past: retry at once.
    rate_limit_cell(
        || {
            FakeResponse::error(429, "slow down")
                .header("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")
        },
        "slow down (error)",
        |d| d == Duration::ZERO,
    )
    .await;
    // 30 s ahead (whole seconds, read a little later): between 28 and 30 s.
    let at = http_date(SystemTime::now() + 30 * SECOND);
    rate_limit_cell(
        || FakeResponse::error(429, "slow down").header("retry-after", at.clone()),
        "slow down (error)",
        |d| d > 28 * SECOND && d <= 30 * SECOND,
    )
    .await;
    // Beyond `max_retry_after` (120 s): not waited for, the error at once.
    for mode in MODES {
        let s = setup(2).await;
        s.fake.push(
            FakeResponse::error(429, "tomorrow")
                .header("retry-after", http_date(SystemTime::now() + 3600 * SECOND)),
        );
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        assert!(
            matches!(error, Error::RateLimited { retry_after: Some(wait), attempts: 1, .. }
                if wait > 3598 * SECOND && wait <= 3600 * SECOND),
            "{mode:?}: {error:?}"
        );
        assert_eq!(s.fake.requests().len(), 1, "{mode:?}");
        assert!(s.sleeper.delays().is_empty(), "{mode:?}");
    }
}

#[tokio::test]
async fn rate_limited_with_retry_after_in_respans_body_form() {
    rate_limit_cell(
        || {
            FakeResponse::json(
                429,
                json!({"error": {"message": "rate limited", "type": "rate_limit"}, "retry_after": 30}),
            )
        },
        "rate limited (rate_limit)",
        |d| d == 30 * SECOND,
    )
    .await;
}

#[test]
fn http_dates_are_formatted_as_imf_fixdate() {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
    assert_eq!(http_date(at), "Tue, 29 Feb 2000 00:00:00 GMT");
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the `Retry-After` date form.
fn http_date(at: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // The civil date of a day number (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// ------------------------------------------------------------- server errors

#[tokio::test]
async fn server_errors_500_502_503_are_retried_then_typed() {
    for status in [500u16, 502, 503] {
        for mode in MODES {
            let s = setup(2).await;
            s.fake
                .push(FakeResponse::error(status, "boom"))
                .push_text("second try");
            let result = drive(mode, &s.gateway, &agents()).await.ok(mode);
            assert_eq!(result.final_output, "second try", "{status} {mode:?}");
            assert_eq!(s.fake.requests().len(), 2, "{status} {mode:?}");
            assert_eq!(s.sleeper.delays().len(), 1, "{status} {mode:?}");

            let s = setup(2).await;
            for _ in 0..3 {
                s.fake
                    .push(FakeResponse::error(status, "boom").header("x-respan-log-id", "log-7"));
            }
            s.fake.push_text("never asked for");
            let error = drive(mode, &s.gateway, &agents()).await.err(mode);
            match &error {
                Error::Http {
                    status: s,
                    message,
                    log_id,
                    attempts: 3,
                } if *s == status => {
                    assert_eq!(message, "boom (error)");
                    assert_eq!(log_id.as_deref(), Some("log-7"));
                }
                other => panic!("{status} {mode:?}: {other:?}"),
            }
            assert_eq!(s.fake.requests().len(), 3, "{status} {mode:?}");
            assert_eq!(s.fake.pending(), 1);
            // Exponential backoff (0.5 s, 1 s) minus up to 25 % jitter.
            let delays = s.sleeper.delays();
            assert_eq!(delays.len(), 2, "{status} {mode:?}");
            for (delay, full) in delays.iter().zip([500u64, 1000]) {
                let full = Duration::from_millis(full);
                assert!(*delay <= full && *delay >= full.mul_f64(0.75), "{delays:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_424_is_not_retried() {
    for mode in MODES {
        let s = setup(2).await;
        s.fake
            .push(FakeResponse::error(424, "upstream failed"))
            .push_text("never asked for");
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        assert!(
            matches!(&error, Error::Http { status: 424, message, log_id: None, attempts: 1 }
                if message == "upstream failed (error)"),
            "{mode:?}: {error:?}"
        );
        assert_eq!(s.fake.requests().len(), 1, "{mode:?}");
        assert!(s.sleeper.delays().is_empty());
    }
}

// ------------------------------------------------------- timeouts, connections

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let timeout = Duration::from_millis(100);
    for mode in MODES {
        let s = setup_with(Gateway::builder().timeout(timeout).max_retries(1)).await;
        s.fake.push(FakeResponse::hang()).push_text("second try");
        let result = drive(mode, &s.gateway, &agents()).await.ok(mode);
        assert_eq!(result.final_output, "second try", "{mode:?}");
        assert_eq!(s.fake.requests().len(), 2, "{mode:?}");

        let s = setup_with(Gateway::builder().timeout(timeout).max_retries(1)).await;
        s.fake
            .push(FakeResponse::hang())
            .push(FakeResponse::hang())
            .push_text("never asked for");
        let started = Instant::now();
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        let elapsed = started.elapsed();
        assert!(
            matches!(error, Error::Timeout { timeout: t, attempts: 2 } if t == timeout),
            "{mode:?}: {error:?}"
        );
        assert_eq!(s.fake.requests().len(), 2, "{mode:?}");
        assert_eq!(s.sleeper.delays().len(), 1, "{mode:?}");
        assert!(
            elapsed >= 2 * timeout && elapsed < 2 * SECOND,
            "{mode:?}: {elapsed:?}"
        );
    }
}

#[tokio::test]
async fn a_connection_closed_before_the_answer_is_retried_then_typed() {
    for mode in MODES {
        let s = setup(2).await;
        for _ in 0..3 {
            s.fake.push(FakeResponse::close());
        }
        s.fake.push_text("never asked for");
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        let url = format!("{}/chat/completions", s.fake.base_url());
        assert!(
            matches!(&error, Error::Connection { url: u, attempts: 3, .. } if *u == url),
            "{mode:?}: {error:?}"
        );
        assert_eq!(s.fake.requests().len(), 3, "{mode:?}");
        assert_eq!(s.sleeper.delays().len(), 2, "{mode:?}");
    }
}

/// A completion's JSON, as a full HTTP response that closes the connection.
fn http_json(body: &Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn completion(text: &str) -> Value {
    json!({"id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "gpt-4o",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
}

/// The head of a JSON answer announcing 1 000 bytes, and the first 40 of them.
fn cut_json() -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\
                    connection: close\r\n\r\n"
        .to_vec();
    out.extend_from_slice(&completion("cut").to_string().as_bytes()[..40]);
    out
}

#[tokio::test]
async fn a_connection_closed_or_reset_mid_body_is_retried_then_typed() {
    for reset in [false, true] {
        let end = |bytes: Vec<u8>| {
            if reset {
                Reply::Reset(bytes, None)
            } else {
                Reply::Fin(bytes)
            }
        };
        // Cut, then an answer.
        let server = RawServer::start(vec![
            end(cut_json()),
            Reply::Fin(http_json(&completion("whole"))),
        ])
        .await;
        let sleeper = RecordingSleeper::new();
        let gateway = server.gateway(2, &sleeper);
        let result = drive(Mode::Plain, &gateway, &agents())
            .await
            .ok(Mode::Plain);
        assert_eq!(result.final_output, "whole", "reset: {reset}");
        assert_eq!(server.requests(), 2);
        assert_eq!(sleeper.delays().len(), 1);

        // Cut three times.
        let server =
            RawServer::start(vec![end(cut_json()), end(cut_json()), end(cut_json())]).await;
        let gateway = server.gateway(2, &sleeper);
        let error = drive(Mode::Plain, &gateway, &agents())
            .await
            .err(Mode::Plain);
        let url = format!("{}/chat/completions", server.base_url());
        assert!(
            matches!(&error, Error::Connection { url: u, message, attempts: 3 }
                if *u == url && message.starts_with("reading the response body failed: ")),
            "reset: {reset}: {error:?}"
        );
        assert_eq!(server.requests(), 3);
    }
}

/// The head of an event stream (no length: it ends when the connection closes).
const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                        cache-control: no-cache\r\nconnection: close\r\n\r\n";

fn chunk(delta: Value, finish: Option<&str>) -> String {
    json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    .to_string()
}

/// An event stream: one text event, then `tail` (raw SSE bytes).
fn sse_then(tail: &str) -> Vec<u8> {
    let first = chunk(json!({"role": "assistant", "content": "Hel"}), None);
    format!("{SSE_HEAD}data: {first}\n\n{tail}").into_bytes()
}

#[tokio::test]
async fn a_stream_that_stops_mid_event_is_truncated_not_an_answer() {
    // The connection closes in the middle of the event with the finish_reason:
    // the partial event is dropped, the stream is short of its end.
    let last = chunk(json!({"content": "lo"}), Some("stop"));
    let server = RawServer::start(vec![Reply::Fin(sse_then(&format!(
        "data: {}",
        &last[..last.len() / 2]
    )))])
    .await;
    let sleeper = RecordingSleeper::new();
    let outcome = drive(Mode::Streamed, &server.gateway(2, &sleeper), &agents()).await;
    assert_eq!(outcome.text_deltas(), ["Hel"], "what arrived was shown");
    let error = outcome.err(Mode::Streamed);
    assert!(
        matches!(
            error,
            Error::StreamTruncated {
                events: 1,
                cause: None
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.requests(), 1, "not retried: part was shown");

    // The event is complete (its blank line sent) but its JSON is cut.
    let server = RawServer::start(vec![Reply::Fin(sse_then(&format!(
        "data: {}\n\n",
        &last[..last.len() / 2]
    )))])
    .await;
    let error = drive(Mode::Streamed, &server.gateway(2, &sleeper), &agents())
        .await
        .err(Mode::Streamed);
    assert!(
        matches!(&error, Error::MalformedResponse(m)
            if m.starts_with("event 2 of the stream is not a chat-completion chunk (EOF while parsing")),
        "{error:?}"
    );
    assert_eq!(server.requests(), 1);

    // The server stops sending in the middle of an event and keeps the
    // connection open: a stall, after the gateway's timeout.
    let server = RawServer::start(vec![Reply::Hold(sse_then(&format!(
        "data: {}",
        &last[..last.len() / 2]
    )))])
    .await;
    let gap = Duration::from_millis(150);
    let gateway = Gateway::builder()
        .base_url(server.base_url())
        .api_key("sk-test-key")
        .timeout(gap)
        .max_retries(2)
        .sleeper(sleeper.sleeper())
        .build()
        .expect("gateway");
    let started = Instant::now();
    let error = drive(Mode::Streamed, &gateway, &agents())
        .await
        .err(Mode::Streamed);
    assert!(
        matches!(error, Error::StreamStalled { gap: g, events: 1 } if g == gap),
        "{error:?}"
    );
    assert!(started.elapsed() < 2 * SECOND, "{:?}", started.elapsed());
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_stream_reset_mid_answer_is_truncated_with_its_cause() {
    // The server resets the connection once the client has shown the first delta.
    let shown = Arc::new(Notify::new());
    let server = RawServer::start(vec![Reply::Reset(sse_then(""), Some(shown.clone()))]).await;
    let sleeper = RecordingSleeper::new();
    let gateway = server.gateway(2, &sleeper);
    let agents = agents();
    let mut stream = respan_runtime::run_streamed(&gateway, &agents, "hi");
    let mut deltas = Vec::new();
    let error = loop {
        match stream.next_event().await {
            Some(Ok(RunEvent::TextDelta { delta, .. })) => {
                deltas.push(delta);
                shown.notify_one();
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => break error,
            None => panic!("the stream ended without the error"),
        }
    };
    assert!(
        stream.next_event().await.is_none(),
        "the error is the last item"
    );
    assert_eq!(deltas, ["Hel"]);
    assert!(
        matches!(&error, Error::StreamTruncated { events: 1, cause: Some(cause) }
            if cause.contains("reset")),
        "{error:?}"
    );
    assert_eq!(server.requests(), 1, "not retried: part was shown");
    assert!(sleeper.delays().is_empty());
}

// ------------------------------------------------------------ broken answers

#[tokio::test]
async fn malformed_json_is_not_retried() {
    for mode in MODES {
        let s = setup(2).await;
        match mode {
            Mode::Plain => s.fake.push(FakeResponse::raw(200, "{not json")),
            Mode::Streamed => s.fake.push(FakeResponse::sse(["{not json"])),
        };
        s.fake.push_text("never asked for");
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        let Error::MalformedResponse(message) = &error else {
            panic!("{mode:?}: {error:?}")
        };
        match mode {
            Mode::Plain => assert!(message.ends_with("(body: {not json)"), "{message}"),
            Mode::Streamed => assert!(
                message.starts_with("event 1 of the stream is not a chat-completion chunk (")
                    && message.ends_with("): {not json"),
                "{message}"
            ),
        }
        assert_eq!(s.fake.requests().len(), 1, "{mode:?}");
        assert!(s.sleeper.delays().is_empty());
    }
}

#[tokio::test]
async fn an_answer_without_choices() {
    // Not streamed: no `choices` field is a decoding error.
    let s = setup(2).await;
    s.fake.push(FakeResponse::json(
        200,
        json!({"id": "chatcmpl-x", "object": "chat.completion", "model": "gpt-4o"}),
    ));
    let error = drive(Mode::Plain, &s.gateway, &agents())
        .await
        .err(Mode::Plain);
    assert!(
        matches!(&error, Error::MalformedResponse(m) if m.starts_with("missing field `choices`")),
        "{error:?}"
    );
    assert_eq!(s.fake.requests().len(), 1);

    // Streamed: chunks without choices are skipped (the usage chunk has none);
    // a stream of only those, ended by [DONE], has no finish_reason.
    let s = setup(2).await;
    s.fake.push(FakeResponse::sse([
        json!({"id": "c", "object": "chat.completion.chunk", "model": "gpt-4o"}).to_string(),
        "[DONE]".to_string(),
    ]));
    let error = drive(Mode::Streamed, &s.gateway, &agents())
        .await
        .err(Mode::Streamed);
    // Complete (ended by [DONE]) but not an answer: malformed, not truncated.
    assert!(
        matches!(&error, Error::MalformedResponse(m)
            if m.starts_with("the event stream ended with [DONE] after 2 event(s) without a finish_reason")),
        "{error:?}"
    );
    assert_eq!(s.fake.requests().len(), 1);
}

/// A completion whose only choice is `message` with `finish`.
fn completion_with(message: Value, finish: &str) -> FakeResponse {
    FakeResponse::json(
        200,
        json!({"id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "gpt-4o",
               "choices": [{"index": 0, "message": message, "finish_reason": finish}]}),
    )
}

#[tokio::test]
async fn unknown_finish_reasons_are_accepted_and_kept() {
    for finish in ["banana", "length", "content_filter"] {
        for mode in MODES {
            let s = setup(2).await;
            match mode {
                Mode::Plain => s.fake.push(completion_with(
                    json!({"role": "assistant", "content": "Hello"}),
                    finish,
                )),
                Mode::Streamed => s.fake.push(FakeResponse::sse([
                    chunk(json!({"role": "assistant", "content": "Hello"}), None),
                    chunk(json!({}), Some(finish)),
                    "[DONE]".to_string(),
                ])),
            };
            let result = drive(mode, &s.gateway, &agents()).await.ok(mode);
            assert_eq!(result.final_output, "Hello", "{finish} {mode:?}");
            assert_eq!(
                result.raw_responses[0].finish_reason.as_deref(),
                Some(finish)
            );
            assert_eq!(s.fake.requests().len(), 1);
        }
    }
    // Tool calls are run whatever the finish_reason says.
    for mode in MODES {
        let s = setup(2).await;
        let call = json!({"id": "call_0", "type": "function",
                          "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}});
        match mode {
            Mode::Plain => s.fake.push(completion_with(
                json!({"role": "assistant", "content": null, "tool_calls": [call]}),
                "banana",
            )),
            Mode::Streamed => s.fake.push(FakeResponse::sse([
                chunk(
                    json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_0",
                    "type": "function", "function": {"name": "get_weather",
                    "arguments": "{\"city\": \"Paris\"}"}}]}),
                    None,
                ),
                chunk(json!({}), Some("banana")),
            ])),
        };
        s.fake.push_text("sunny");
        let result = drive(mode, &s.gateway, &agents()).await.ok(mode);
        assert_eq!(result.final_output, "sunny");
        let second = &s.fake.bodies()[1];
        assert_eq!(
            second["messages"][3],
            json!({"role": "tool", "tool_call_id": "call_0", "content": "Sunny in Paris"}),
            "{mode:?}"
        );
    }
}

// ---------------------------------------------------------------- model faults

#[tokio::test]
async fn malformed_tool_arguments_are_told_to_the_model() {
    for (arguments, told) in [
        // Not JSON: the SDK's message, the tool is not called.
        (r#"{"city": "#, TOOL_ERROR_MESSAGE.to_string()),
        // JSON, not the tool's arguments: the tool's own error.
        (
            r#"{"town": "Paris"}"#,
            format!("{TOOL_ERROR_MESSAGE} Error: city must be a string"),
        ),
    ] {
        for mode in MODES {
            let s = setup(2).await;
            s.fake
                .push(FakeResponse::tool_calls([("get_weather", arguments)]))
                .push_text("recovered");
            let result = drive(mode, &s.gateway, &agents()).await.ok(mode);
            assert_eq!(result.final_output, "recovered", "{mode:?}");
            let bodies = s.fake.bodies();
            assert_eq!(bodies.len(), 2, "{mode:?}");
            let messages = &bodies[1]["messages"];
            assert_eq!(
                messages[2]["tool_calls"][0]["function"],
                json!({"name": "get_weather", "arguments": arguments}),
                "the call goes back as the model sent it"
            );
            assert_eq!(
                messages[3],
                json!({"role": "tool", "tool_call_id": "call_0", "content": told}),
                "{mode:?}"
            );
            let outputs: Vec<&str> = result
                .new_items
                .iter()
                .filter_map(|i| match i {
                    RunItem::ToolOutput { output, .. } => Some(output.as_str()),
                    _ => None,
                })
                .collect();
            assert_eq!(outputs, [told.as_str()], "{mode:?}");
        }
    }
}

#[tokio::test]
async fn a_call_to_an_unknown_tool_is_a_model_behavior_error() {
    for mode in MODES {
        let s = setup(2).await;
        s.fake
            .push(FakeResponse::tool_calls([("no_such_tool", "{}")]))
            .push_text("never asked for");
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        assert!(
            matches!(&error, Error::ModelBehavior(m) if m == "Tool no_such_tool not found in agent W"),
            "{mode:?}: {error:?}"
        );
        assert_eq!(s.fake.requests().len(), 1, "{mode:?}");
        assert_eq!(s.fake.pending(), 1);
    }
}

// ------------------------------------------------------------------ big bodies

/// 4 MB: there is no response-size limit yet (see TESTING.md), so this shows
/// only that a big answer is read whole, in linear time, and that a big
/// broken one gives a short error.
const BIG: usize = 4 << 20;
/// One streamed event is parsed in quadratic time (eventsource-stream 0.2.3
/// rescans its buffer for a line end on every network read): 1 MB in one
/// event takes 4 s in a debug build, 4 MB a minute. Streamed, the 4 MB come
/// in 64 KB events, and one event is at most this big.
const BIG_EVENT: usize = 256 << 10;

#[tokio::test]
async fn a_big_answer_is_read_and_a_big_broken_one_gives_a_short_error() {
    let text = "x".repeat(BIG);
    for mode in MODES {
        let s = setup(2).await;
        match mode {
            Mode::Plain => s.fake.push(FakeResponse::text(text.clone())),
            Mode::Streamed => {
                let mut events: Vec<String> = text
                    .as_bytes()
                    .chunks(64 << 10)
                    .map(|piece| {
                        let piece = std::str::from_utf8(piece).expect("ascii");
                        chunk(json!({"role": "assistant", "content": piece}), None)
                    })
                    .collect();
                events.push(chunk(json!({}), Some("stop")));
                s.fake.push(FakeResponse::sse(events))
            }
        };
        let started = Instant::now();
        let outcome = drive(mode, &s.gateway, &agents()).await;
        let elapsed = started.elapsed();
        if mode == Mode::Streamed {
            assert_eq!(outcome.text_deltas().len(), 64);
        }
        let result = outcome.ok(mode);
        assert_eq!(result.final_output.len(), BIG, "{mode:?}");
        assert!(elapsed < 10 * SECOND, "{mode:?}: {elapsed:?}");

        let s = setup(2).await;
        match mode {
            Mode::Plain => s
                .fake
                .push(FakeResponse::raw(200, format!("{{\"choices\": \"{text}"))),
            Mode::Streamed => s.fake.push(FakeResponse::sse([format!(
                "{{\"choices\": \"{}",
                &text[..BIG_EVENT]
            )])),
        };
        let started = Instant::now();
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        assert!(
            started.elapsed() < 10 * SECOND,
            "{mode:?}: {:?}",
            started.elapsed()
        );
        assert!(matches!(error, Error::MalformedResponse(_)), "{mode:?}");
        let shown = error.to_string();
        assert!(shown.len() < 1024, "{mode:?}: {} bytes", shown.len());
        assert_eq!(s.fake.requests().len(), 1);
    }
}

// ------------------------------------------------------------------ raw server

/// How [`RawServer`] answers one request: these bytes, then...
enum Reply {
    /// ...a clean close (FIN).
    Fin(Vec<u8>),
    /// ...a reset (RST, `SO_LINGER` 0), once notified if a `Notify` is given.
    Reset(Vec<u8>, Option<Arc<Notify>>),
    /// ...nothing: the connection stays open until the server is dropped.
    Hold(Vec<u8>),
}

/// A raw TCP server on 127.0.0.1 that answers each connection's request
/// with the next scripted bytes, for the faults the fake gateway cannot
/// script. One request per connection. Dropping it stops it.
struct RawServer {
    addr: std::net::SocketAddr,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawServer {
    async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(AtomicUsize::new(0));
        let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
        let count = requests.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                if !read_request(&mut stream).await {
                    continue;
                }
                count.fetch_add(1, Ordering::SeqCst);
                let reply = replies.lock().expect("replies").pop_front();
                match reply {
                    None => {}
                    Some(Reply::Fin(bytes)) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.shutdown().await;
                    }
                    Some(Reply::Reset(bytes, notify)) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.flush().await;
                        if let Some(notify) = notify {
                            notify.notified().await;
                        }
                        let _ = stream.set_zero_linger();
                        drop(stream);
                    }
                    Some(Reply::Hold(bytes)) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.flush().await;
                        held.push(stream);
                    }
                }
            }
        });
        Self {
            addr,
            requests,
            task,
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn gateway(&self, max_retries: u32, sleeper: &RecordingSleeper) -> Gateway {
        Gateway::builder()
            .base_url(self.base_url())
            .api_key("sk-test-key")
            .timeout(5 * SECOND)
            .max_retries(max_retries)
            .sleeper(sleeper.sleeper())
            .build()
            .expect("gateway")
    }
}

/// Reads one request (head and `content-length` body); false if the client left.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return true;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A 50 MB answer is beyond the default limit (16 MiB; streamed, one event is
/// at most 512 KiB): the run fails with `ResponseTooLarge`, not retried, without
/// reading it all; a configured limit applies to a plain body and to the sum of
/// a streamed one's events.
#[tokio::test]
async fn an_answer_above_the_size_limit_is_a_typed_error() {
    let huge = "x".repeat(50 << 20);
    for mode in MODES {
        let s = setup(2).await;
        match mode {
            Mode::Plain => s.fake.push(FakeResponse::text(huge.clone())),
            Mode::Streamed => s.fake.push(FakeResponse::sse([chunk(
                json!({"role": "assistant", "content": huge.clone()}),
                Some("stop"),
            )])),
        };
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        // Streamed, the one 50 MB event is cut at 512 KiB (an event never ends).
        let expected = match mode {
            Mode::Plain => respan_runtime::DEFAULT_MAX_RESPONSE_BYTES,
            Mode::Streamed => 512 * 1024,
        };
        assert!(
            matches!(error, Error::ResponseTooLarge { limit } if limit == expected),
            "{mode:?}: {error}"
        );
        assert_eq!(s.fake.requests().len(), 1, "{mode:?}: not retried");
        assert!(error.to_string().contains("max_response_bytes"), "{error}");
    }
    for mode in MODES {
        let s = setup_with(
            Gateway::builder()
                .max_retries(2)
                .max_response_bytes(64 << 10),
        )
        .await;
        let text = "y".repeat(100 << 10);
        match mode {
            Mode::Plain => s.fake.push(FakeResponse::text(text)),
            Mode::Streamed => {
                let events: Vec<String> = text
                    .as_bytes()
                    .chunks(8 << 10)
                    .map(|piece| {
                        let piece = std::str::from_utf8(piece).expect("ascii");
                        chunk(json!({"role": "assistant", "content": piece}), None)
                    })
                    .collect();
                s.fake.push(FakeResponse::sse(events))
            }
        };
        let error = drive(mode, &s.gateway, &agents()).await.err(mode);
        assert!(
            matches!(error, Error::ResponseTooLarge { limit: 65536 }),
            "{mode:?}: {error}"
        );
    }
}
