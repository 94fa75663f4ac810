//! Interop with Respan's own gateway software (`respan-gateway`, PyPI), run by
//! `scripts/interop.sh`: every test here is `#[ignore]`d and needs the servers
//! that script starts, named by three environment variables:
//!
//! - `RESPAN_INTEROP_URL`: respan-gateway's base URL (`http://127.0.0.1:P/api`).
//!   It routes models `echo*` and `fault-*` to the fault upstream, `unreachable*`
//!   to a closed port, and everything else to respan's offline gateway.
//! - `RESPAN_INTEROP_KEY`: the client key it requires (`client_keys`).
//! - `RESPAN_INTEROP_UPSTREAM`: the fault upstream's base URL
//!   (`scripts/interop_upstream.py`): `fault-NNN` answers HTTP NNN, any other
//!   model a completion whose text is the JSON of the request it received;
//!   `GET /requests` counts the requests per model.
//!
//! ```sh
//! bash scripts/interop.sh      # starts everything, then runs these
//! ```
//!
//! Each test names its own model, so the per-model counts of the upstream tell
//! how many requests respan-gateway sent for that test alone.

use std::io::{Read as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use respan::{
    Agent, AgentSet, Error, Gateway, GatewayPrompt, Placement, RespanParams, RetryPolicy, RunEvent,
    Sleeper,
};
use serde_json::{Value, json};

/// The key respan-gateway sends upstream (its provider key in the script's config).
const UPSTREAM_KEY: &str = "interop-upstream-key";

/// The only headers respan-gateway 0.3.0 sends upstream: its own, none of the client's
/// but the content type.
const FORWARDED_HEADERS: [&str; 5] = [
    "content-type",
    "authorization",
    "accept",
    "host",
    "content-length",
];

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: these tests run from `bash scripts/interop.sh`")
    })
}

/// Waits recorded instead of slept, so that retries cost no time.
fn recording_sleeper() -> (Sleeper, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = waits.clone();
    let sleeper = Sleeper::new(move |d| {
        seen.lock().unwrap().push(d);
        Box::pin(async {})
    });
    (sleeper, waits)
}

/// A gateway client of respan-gateway, with `retries` retries that do not wait.
fn through(retries: u32) -> (Gateway, Arc<Mutex<Vec<Duration>>>) {
    through_with(&env("RESPAN_INTEROP_KEY"), retries)
}

fn through_with(key: &str, retries: u32) -> (Gateway, Arc<Mutex<Vec<Duration>>>) {
    let (sleeper, waits) = recording_sleeper();
    let gateway = Gateway::builder()
        .base_url(env("RESPAN_INTEROP_URL"))
        .api_key(key)
        .timeout(Duration::from_secs(20))
        .retry_policy(RetryPolicy {
            max_retries: retries,
            ..RetryPolicy::default()
        })
        .sleeper(sleeper)
        .build()
        .expect("gateway");
    (gateway, waits)
}

fn agents(model: &str) -> AgentSet<String> {
    AgentSet::new("A".to_string()).agent(
        Agent::named("A")
            .instructions("You are a helpful assistant.")
            .model(model),
    )
}

/// A plain `GET` of the upstream (std only: the body is small JSON).
fn upstream_get(path: &str) -> Value {
    let base = env("RESPAN_INTEROP_UPSTREAM");
    let host = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host")
        .to_string();
    let mut stream = std::net::TcpStream::connect(&host).expect("connect to the upstream");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    let body = text.split_once("\r\n\r\n").expect("an HTTP response").1;
    serde_json::from_str(body).expect("JSON")
}

/// How many chat requests reached the upstream for `model`.
fn upstream_count(model: &str) -> u64 {
    upstream_get("/requests")
        .get(model)
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// What reaches the upstream
// ---------------------------------------------------------------------------

/// The request the echo upstream received: `{"path", "headers", "body"}`.
async fn echoed(gateway: &Gateway, agents: &AgentSet<String>) -> Value {
    let result = respan::run(gateway, agents, "Which customer am I?")
        .await
        .expect("run");
    serde_json::from_str(&result.final_output).expect("the echo upstream's JSON")
}

fn params_agent(model: &str, placement: Placement) -> AgentSet<String> {
    AgentSet::new("A".to_string()).agent(
        Agent::named("A")
            .instructions("You are a helpful assistant.")
            .model(model)
            .respan(
                RespanParams::new()
                    .customer_identifier("user_123")
                    .metadata("env", "production")
                    .thread_identifier("thread_9")
                    .placement(placement),
            )
            .prompt(
                GatewayPrompt::new("prompt_42")
                    .variable("task", "answer concisely")
                    .placement(placement),
            ),
    )
}

/// Respan params and the prompt, in the body (top level and nested in
/// `respan_params`), reach the upstream as sent: the body the upstream gets
/// through respan-gateway equals (as JSON) the one it gets from respan
/// directly. The client key stays at respan-gateway: the upstream sees the
/// provider key of its config.
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn body_params_and_prompt_reach_the_upstream_as_sent() {
    let client_key = env("RESPAN_INTEROP_KEY");
    let (via_gateway, _) = through(0);
    let direct = Gateway::builder()
        .base_url(env("RESPAN_INTEROP_UPSTREAM"))
        .api_key(UPSTREAM_KEY)
        .max_retries(0)
        .build()
        .expect("gateway");
    for (placement, params, prompt) in [
        (Placement::Body, "/customer_identifier", "/prompt"),
        (
            Placement::RespanParams,
            "/respan_params/customer_identifier",
            "/respan_params/prompt",
        ),
    ] {
        let model = format!("echo-{placement:?}");
        let agents = params_agent(&model, placement);
        let sent = echoed(&direct, &agents).await;
        let got = echoed(&via_gateway, &agents).await;
        assert_eq!(
            got["body"], sent["body"],
            "{placement:?}: the body changed on its way through respan-gateway"
        );
        let body = &got["body"];
        assert_eq!(body.pointer(params), Some(&json!("user_123")), "{body}");
        assert_eq!(
            body.pointer(&params.replace("customer_identifier", "metadata")),
            Some(&json!({"env": "production"})),
            "{body}"
        );
        assert_eq!(
            body.pointer(prompt),
            Some(&json!({"prompt_id": "prompt_42", "schema_version": 2,
                         "variables": {"task": "answer concisely"}})),
            "{body}"
        );
        let headers = &got["headers"];
        assert_eq!(
            headers["authorization"],
            json!(format!("Bearer {UPSTREAM_KEY}")),
            "{headers}"
        );
        assert!(
            !got.to_string().contains(&client_key),
            "the client key reached the upstream: {got}"
        );
        assert_eq!(upstream_count(&model), 2, "one request each way");
    }
}

/// respan-gateway does not forward the `X-Data-Respan-Params` header (nor any
/// other header of the client's but `Content-Type`): params and a prompt
/// placed there do not reach the upstream. Sent directly, the upstream gets
/// the header; through respan-gateway, neither the header nor its content.
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn the_respan_params_header_is_not_forwarded() {
    let (via_gateway, _) = through(0);
    let direct = Gateway::builder()
        .base_url(env("RESPAN_INTEROP_UPSTREAM"))
        .api_key(UPSTREAM_KEY)
        .max_retries(0)
        .build()
        .expect("gateway");
    let model = "echo-header";
    let agents = params_agent(model, Placement::Header);
    let sent = echoed(&direct, &agents).await;
    assert!(
        sent["headers"]["x-data-respan-params"].is_string(),
        "sent directly, the header arrives: {sent}"
    );
    let got = echoed(&via_gateway, &agents).await;
    assert_eq!(got["body"], sent["body"], "the body is forwarded unchanged");
    let names: Vec<&str> = got["headers"]
        .as_object()
        .expect("headers")
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        !names.contains(&"x-data-respan-params"),
        "respan-gateway now forwards the header: update TESTING.md ({names:?})"
    );
    for name in &names {
        assert!(
            FORWARDED_HEADERS.contains(name),
            "respan-gateway forwarded the client's header {name:?}: update TESTING.md"
        );
    }
    for field in ["customer_identifier", "prompt", "respan_params"] {
        assert!(got["body"].get(field).is_none(), "{got}");
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// An upstream 429 is passed through with its `Retry-After` (1 s): without
/// retries, `Error::RateLimited` with the upstream's message; with one retry,
/// respan waits the 1 s it was told and tries again. respan-gateway itself
/// does not retry (one upstream request per respan request).
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn upstream_429_is_rate_limited_with_its_retry_after() {
    let model = "fault-429-once";
    let (gateway, waits) = through(0);
    let error = respan::run(&gateway, &agents(model), "hi")
        .await
        .unwrap_err();
    match &error {
        Error::RateLimited {
            message,
            retry_after,
            attempts,
            ..
        } => {
            assert!(message.contains("upstream fault 429"), "{error}");
            assert_eq!(*retry_after, Some(Duration::from_secs(1)), "{error}");
            assert_eq!(*attempts, 1);
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(waits.lock().unwrap().is_empty());
    assert_eq!(upstream_count(model), 1);

    let model = "fault-429-retried";
    let (gateway, waits) = through(1);
    let error = respan::run(&gateway, &agents(model), "hi")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { attempts: 2, .. }),
        "{error:?}"
    );
    assert_eq!(*waits.lock().unwrap(), vec![Duration::from_secs(1)]);
    assert_eq!(upstream_count(model), 2);
}

/// Upstream 5xx pass through as `Error::Http` with the status and the
/// upstream's message, retried by respan (not by respan-gateway); an upstream
/// 400 is not retried.
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn upstream_5xx_and_400_pass_through_as_http_errors() {
    for (status, retries, attempts) in [(500, 0, 1), (502, 0, 1), (503, 2, 3), (400, 2, 1)] {
        let model = format!("fault-{status}-r{retries}");
        let (gateway, waits) = through(retries);
        let error = respan::run(&gateway, &agents(&model), "hi")
            .await
            .unwrap_err();
        match &error {
            Error::Http {
                status: got,
                message,
                attempts: n,
                ..
            } => {
                assert_eq!(*got, status, "{error}");
                assert!(
                    message.contains(&format!("upstream fault {status}")),
                    "{error}"
                );
                assert_eq!(*n, attempts, "{error}");
            }
            other => panic!("{model}: expected Http {status}, got {other:?}"),
        }
        assert_eq!(waits.lock().unwrap().len() as u32, attempts - 1);
        assert_eq!(upstream_count(&model), u64::from(attempts), "{model}");
    }
}

/// An unreachable upstream (a closed port) is respan-gateway's own 502, which
/// respan reports as `Error::Http { status: 502 }` and retries like any 5xx.
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn unreachable_upstream_is_http_502() {
    let (gateway, waits) = through(1);
    let error = respan::run(&gateway, &agents("unreachable"), "hi")
        .await
        .unwrap_err();
    match &error {
        Error::Http {
            status: 502,
            message,
            attempts: 2,
            ..
        } => assert!(message.contains("could not be reached"), "{error}"),
        other => panic!("expected Http 502 after 2 attempts, got {other:?}"),
    }
    assert_eq!(waits.lock().unwrap().len(), 1);
}

/// A body respan-gateway cannot read (a JSON array, sent with
/// `Gateway::chat_completion_raw`) is its own 400, not retried, and never
/// reaches the upstream.
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn bad_body_is_http_400() {
    let (gateway, waits) = through(2);
    let error = gateway
        .chat_completion_raw(&json!([{"model": "echo-bad-body"}]))
        .await
        .unwrap_err();
    match &error {
        Error::Http {
            status: 400,
            message,
            attempts: 1,
            ..
        } => assert!(message.contains("not a JSON object"), "{error}"),
        other => panic!("expected Http 400, got {other:?}"),
    }
    assert!(waits.lock().unwrap().is_empty());
    assert_eq!(upstream_count("echo-bad-body"), 0);
}

/// A key respan-gateway does not know is its own 401, not retried.
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn wrong_client_key_is_http_401() {
    let (gateway, _) = through_with("not-the-client-key", 2);
    let error = respan::run(&gateway, &agents("echo-wrong-key"), "hi")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Http {
                status: 401,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(upstream_count("echo-wrong-key"), 0);
}

// ---------------------------------------------------------------------------
// Streaming
// ---------------------------------------------------------------------------

/// A streamed run through respan-gateway to the offline gateway: the text
/// arrives in several deltas whose concatenation is the final output.
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn streamed_run_through_respan_gateway() {
    let (gateway, _) = through(0);
    let agents = agents("gpt-4o");
    let mut events = respan::run_streamed(&gateway, &agents, "Hello through respan-gateway");
    let mut deltas = Vec::new();
    let mut result = None;
    while let Some(event) = tokio::time::timeout(Duration::from_secs(30), events.next_event())
        .await
        .expect("an event within 30 s")
    {
        match event.expect("event") {
            RunEvent::TextDelta { delta, .. } => deltas.push(delta),
            RunEvent::Completed(done) => result = Some(done),
            _ => {}
        }
    }
    let result = result.expect("a Completed event");
    assert!(deltas.len() > 3, "streamed in pieces: {deltas:?}");
    assert_eq!(deltas.concat(), result.final_output);
    assert!(
        result.final_output.contains("respan offline gateway"),
        "{}",
        result.final_output
    );
}

/// A streamed request that the upstream refuses is the same typed error as
/// an unstreamed one.
#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn streamed_upstream_503_is_http_503() {
    let model = "fault-503-stream";
    let (gateway, _) = through(0);
    let agents = agents(model);
    let error = respan::run_streamed(&gateway, &agents, "hi")
        .into_result()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Http {
                status: 503,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(upstream_count(model), 1);
}
