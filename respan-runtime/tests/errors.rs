//! Error shapes, retries and their delays, timeouts, connection failures,
//! malformed responses, and key redaction.

mod common;

use std::time::{Duration, Instant};

use respan_offline::testing::{FakeGateway, FakeResponse, RecordingSleeper, fast_retries};
use respan_runtime::{Agent, AgentSet, Error, Gateway, RetryPolicy};
use serde_json::json;

const SECRET: &str = "sk-SECRET-0123456789abcdef";

fn agents() -> AgentSet {
    AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("x").model("gpt-4o"))
}

/// A fake gateway and a gateway on it whose retry sleeps are recorded, not slept.
async fn setup(max_retries: u32) -> (FakeGateway, Gateway, RecordingSleeper) {
    let fake = FakeGateway::start().await.expect("fake");
    let sleeper = RecordingSleeper::new();
    let gateway = fake
        .gateway_with(
            Gateway::builder()
                .max_retries(max_retries)
                .sleeper(sleeper.sleeper()),
        )
        .expect("gateway");
    (fake, gateway, sleeper)
}

#[tokio::test]
async fn the_three_error_shapes_and_the_log_id() {
    let cases = [
        (
            json!({"error": {"message": "Invalid API key", "type": "auth_error"}}),
            401,
            "Invalid API key (auth_error)",
        ),
        (
            json!({"detail": "Model not found: gpt-9"}),
            404,
            "Model not found: gpt-9",
        ),
        (
            json!({"error": "Insufficient credits"}),
            402,
            "Insufficient credits",
        ),
    ];
    for (body, status, message) in cases {
        let (fake, gateway, sleeper) = setup(3).await;
        fake.push(FakeResponse::json(status, body).header("x-respan-log-id", "log-42"));
        let error = respan_runtime::run(&gateway, &agents(), "hi")
            .await
            .expect_err("error");
        match &error {
            Error::Http {
                status: s,
                message: m,
                log_id,
                attempts,
            } => {
                assert_eq!(*s, status);
                assert_eq!(m, message);
                assert_eq!(log_id.as_deref(), Some("log-42"));
                assert_eq!(*attempts, 1, "4xx are not retried");
            }
            other => panic!("expected Http, got {other:?}"),
        }
        let text = error.to_string();
        assert!(text.contains(message) && text.contains("log-42"), "{text}");
        assert_eq!(fake.requests().len(), 1);
        assert!(sleeper.delays().is_empty());
    }
}

#[tokio::test]
async fn status_messages_say_what_to_do() {
    let (fake, gateway, _) = setup(0).await;
    fake.push(FakeResponse::error(401, "bad key"));
    let error = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect_err("401");
    assert!(error.to_string().contains("RESPAN_API_KEY"), "{error}");
}

#[tokio::test]
async fn retry_after_header_is_honoured() {
    let (fake, gateway, sleeper) = setup(3).await;
    fake.push(FakeResponse::error(429, "slow down").header("retry-after", "2"));
    fake.push_text("finally");
    let result = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "finally");
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(sleeper.delays(), [Duration::from_secs(2)]);
    // The retried request is the same request.
    let requests = fake.requests();
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn retry_after_in_a_429_body_is_honoured() {
    let (fake, gateway, sleeper) = setup(3).await;
    fake.push(FakeResponse::json(
        429,
        json!({"error": {"message": "rate limited"}, "retry_after": 1.5}),
    ));
    fake.push_text("ok");
    respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect("run");
    assert_eq!(sleeper.delays(), [Duration::from_millis(1500)]);
}

#[tokio::test]
async fn retry_after_ms_is_honoured() {
    let (fake, gateway, sleeper) = setup(3).await;
    fake.push(FakeResponse::error(503, "busy").header("retry-after-ms", "250"));
    fake.push_text("ok");
    respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect("run");
    assert_eq!(sleeper.delays(), [Duration::from_millis(250)]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_maximum_is_not_waited_for() {
    let (fake, gateway, sleeper) = setup(3).await;
    fake.push(FakeResponse::error(429, "come back tomorrow").header("retry-after", "86400"));
    let error = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect_err("429");
    match error {
        Error::RateLimited {
            retry_after,
            attempts,
            ..
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(86400)));
            assert_eq!(attempts, 1);
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn server_errors_back_off_exponentially_with_jitter() {
    let (fake, gateway, sleeper) = setup(3).await;
    for _ in 0..10 {
        fake.push(FakeResponse::error(500, "boom"));
    }
    let error = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(error.attempts(), Some(4), "default: 3 retries");
    assert_eq!(fake.requests().len(), 4);
    let delays = sleeper.delays();
    assert_eq!(delays.len(), 3);
    for (i, delay) in delays.iter().enumerate() {
        let full = Duration::from_millis(500) * 2u32.pow(i as u32);
        assert!(
            *delay <= full && *delay >= full.mul_f64(0.75),
            "retry {i}: {delay:?}"
        );
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [400u16, 401, 403, 404, 422] {
        let (fake, gateway, sleeper) = setup(3).await;
        fake.push(FakeResponse::error(status, "no"));
        fake.push_text("should not be reached");
        let error = respan_runtime::run(&gateway, &agents(), "hi")
            .await
            .expect_err("4xx");
        assert_eq!(error.status(), Some(status));
        assert_eq!(fake.requests().len(), 1, "{status}");
        assert!(sleeper.delays().is_empty());
    }
}

#[tokio::test]
async fn retries_can_be_disabled() {
    let (fake, gateway, _) = setup(0).await;
    fake.push(FakeResponse::error(503, "busy"));
    let error = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect_err("503");
    assert_eq!(error.attempts(), Some(1));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_hanging_gateway_times_out_and_is_retried() {
    let fake = FakeGateway::start().await.expect("fake");
    fake.push(FakeResponse::hang());
    fake.push(FakeResponse::hang());
    let gateway = fake
        .gateway_with(
            Gateway::builder()
                .timeout(Duration::from_millis(150))
                .retry_policy(fast_retries(1)),
        )
        .expect("gateway");
    let started = Instant::now();
    let error = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect_err("timeout");
    assert!(
        matches!(error, Error::Timeout { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(error.to_string().contains("timeout"), "{error}");
}

#[tokio::test]
async fn a_timeout_then_success() {
    let fake = FakeGateway::start().await.expect("fake");
    fake.push(FakeResponse::hang());
    fake.push_text("second try");
    let gateway = fake
        .gateway_with(
            Gateway::builder()
                .timeout(Duration::from_millis(150))
                .retry_policy(fast_retries(2)),
        )
        .expect("gateway");
    let result = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "second try");
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let (fake, gateway, sleeper) = setup(3).await;
    fake.push(FakeResponse::close());
    fake.push_text("after reconnecting");
    let result = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "after reconnecting");
    assert_eq!(sleeper.delays().len(), 1);
}

#[tokio::test]
async fn nothing_listening_is_a_connection_error() {
    // Bind then free a port, so nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let sleeper = RecordingSleeper::new();
    let gateway = Gateway::builder()
        .base_url(format!("http://127.0.0.1:{port}/api"))
        .api_key(SECRET)
        .max_retries(2)
        .sleeper(sleeper.sleeper())
        .build()
        .expect("gateway");
    let error = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect_err("refused");
    match &error {
        Error::Connection { url, attempts, .. } => {
            assert_eq!(
                url,
                &format!("http://127.0.0.1:{port}/api/chat/completions")
            );
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected Connection, got {other:?}"),
    }
    assert_eq!(sleeper.delays().len(), 2);
    assert!(error.to_string().contains("RESPAN_BASE_URL"), "{error}");
    assert!(!format!("{error} {error:?}").contains(SECRET));
}

#[tokio::test]
async fn malformed_responses_are_errors() {
    let bodies = [
        FakeResponse::raw(200, "this is not json"),
        FakeResponse::json(200, json!({"id": "x", "choices": []})),
        FakeResponse::json(
            200,
            json!({"choices": [{"message": {"content": 42}}], "usage": "lots"}),
        ),
        FakeResponse::raw(200, r#"{"choices": [{"message": {"content": "cut"#),
    ];
    for body in bodies {
        let (fake, gateway, _) = setup(0).await;
        fake.push(body);
        let error = respan_runtime::run(&gateway, &agents(), "hi")
            .await
            .expect_err("malformed");
        assert!(matches!(error, Error::MalformedResponse(_)), "{error:?}");
        assert!(error.to_string().contains("OpenAI-compatible"), "{error}");
    }
}

#[tokio::test]
async fn content_as_parts_is_read() {
    let (fake, gateway, _) = setup(0).await;
    fake.push(FakeResponse::json(
        200,
        json!({"choices": [{"message": {"role": "assistant",
        "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "parts"}]},
        "finish_reason": "stop"}]}),
    ));
    let result = respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "Hello parts");
    assert_eq!(result.usage.requests, 1);
}

#[tokio::test]
async fn the_key_is_never_shown() {
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = Gateway::builder()
        .base_url(fake.base_url())
        .api_key(SECRET)
        .max_retries(0)
        .build()
        .expect("gateway");
    let builder = Gateway::builder().api_key(SECRET);
    assert!(!format!("{gateway:?}").contains(SECRET));
    assert!(!format!("{builder:?}").contains(SECRET));
    assert!(format!("{gateway:?}").contains("redacted"));

    // It is sent, as a bearer token...
    fake.push_text("ok");
    respan_runtime::run(&gateway, &agents(), "hi")
        .await
        .expect("run");
    let expected = format!("Bearer {SECRET}");
    assert_eq!(
        fake.requests()[0].header("authorization"),
        Some(expected.as_str())
    );

    // ...but no error shows it.
    let mut errors = Vec::new();
    for response in [
        FakeResponse::error(401, "Invalid API key"),
        FakeResponse::error(429, "slow"),
        FakeResponse::error(500, "boom"),
        FakeResponse::raw(200, "garbage"),
    ] {
        fake.push(response);
        errors.push(
            respan_runtime::run(&gateway, &agents(), "hi")
                .await
                .expect_err("error"),
        );
    }
    let timeout_gateway = Gateway::builder()
        .base_url(fake.base_url())
        .api_key(SECRET)
        .timeout(Duration::from_millis(50))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("gateway");
    fake.push(FakeResponse::hang());
    errors.push(
        respan_runtime::run(&timeout_gateway, &agents(), "hi")
            .await
            .expect_err("timeout"),
    );
    // A key that is not a valid header value is refused without quoting it.
    let bad = format!("{SECRET}\n");
    errors.push(Gateway::new(fake.base_url(), bad).expect_err("bad key"));
    errors.push(Gateway::new("ftp://example.com", SECRET).expect_err("bad url"));
    assert_eq!(errors.len(), 7);
    for error in errors {
        let shown = format!("{error} | {error:?}");
        assert!(!shown.contains(SECRET), "key leaked: {shown}");
        assert!(!shown.contains("0123456789abcdef"), "key leaked: {shown}");
    }
}

#[tokio::test]
async fn bad_configuration_is_reported() {
    assert!(matches!(
        Gateway::new("https://api.respan.ai/api", "  "),
        Err(Error::MissingApiKey)
    ));
    assert!(matches!(
        Gateway::builder().build(),
        Err(Error::MissingApiKey)
    ));
    assert!(matches!(
        Gateway::new("not a url", "k"),
        Err(Error::Config(_))
    ));
    let gateway = Gateway::new("https://api.respan.ai/api/", "k").expect("gateway");
    assert_eq!(gateway.base_url(), "https://api.respan.ai/api");
    assert_eq!(gateway.timeout(), Duration::from_secs(60));
    assert_eq!(gateway.retry_policy().max_retries, 3);
    assert!(
        Gateway::builder()
            .api_key("k")
            .default_header("bad header", "v")
            .build()
            .is_err()
    );
    let missing = Error::MissingApiKey.to_string();
    assert!(
        missing.contains("RESPAN_API_KEY") && missing.contains("offline"),
        "{missing}"
    );
}
