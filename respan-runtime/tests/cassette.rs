//! Record and replay (`GatewayBuilder::record`, `Gateway::replay`): runs replayed
//! from a cassette equal the recorded runs, plain and streamed, concurrent and
//! retried; a changed request fails naming its first differing field; the key is
//! never written; bad cassettes are clear errors with their line.

mod common;

use respan_offline::OfflineGateway;
use std::path::{Path, PathBuf};

use common::*;
use futures_util::StreamExt as _;
use respan_offline::testing::{FAKE_API_KEY, FakeGateway, FakeResponse, fast_retries};
use respan_runtime::{
    Agent, AgentSet, Error, Gateway, Placement, RespanParams, RunEvent, RunResult, Runner,
};
use serde_json::{Value, json};

/// A fresh cassette path in the test's temporary directory.
fn cassette(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cassettes");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.jsonl"));
    let _ = std::fs::remove_file(&path);
    path
}

async fn recording_offline(path: &Path) -> Gateway {
    OfflineGateway::bind("127.0.0.1:0".parse().unwrap())
        .await
        .expect("offline gateway")
        .gateway_with(Gateway::builder().record(path))
        .expect("recording gateway")
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("cassette")
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON exchange per line"))
        .collect()
}

async fn streamed(
    gateway: &Gateway,
    agents: &AgentSet,
    input: &str,
) -> Result<Vec<RunEvent<String>>, Error> {
    let mut stream = Runner::new().run_streamed(gateway, agents, input);
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event?);
    }
    Ok(events)
}

const QUESTION: &str = "I'm having trouble connecting to the API.";

#[tokio::test]
async fn a_recorded_run_replays_identically_plain_and_streamed() {
    let path = cassette("support");
    let agents = support_agents();
    let recorder = recording_offline(&path).await;
    let live: RunResult<String> = respan_runtime::run(&recorder, &agents, QUESTION)
        .await
        .unwrap();
    let live_events = streamed(&recorder, &agents, QUESTION).await.unwrap();
    assert_eq!(live.last_agent, "Technical Agent");
    drop(recorder);

    let recorded = lines(&path);
    assert_eq!(
        recorded.len(),
        4,
        "two requests per run: triage, then the technical agent"
    );
    let first = &recorded[0];
    assert_eq!(first["v"], 1);
    assert_eq!(first["request"]["method"], "POST");
    assert_eq!(first["request"]["path"], "/chat/completions");
    assert_eq!(first["request"]["body"]["messages"][1]["content"], QUESTION);
    assert_eq!(first["response"]["status"], 200);
    assert!(first["response"]["body"]["choices"].is_array(), "{first}");
    let streamed_line = &recorded[2];
    assert_eq!(streamed_line["request"]["body"]["stream"], true);
    let chunks = streamed_line["response"]["chunks"]
        .as_array()
        .expect("chunks");
    assert!(
        chunks.len() > 1
            && chunks
                .iter()
                .all(|c| c["ms"].is_u64() && c["text"].is_string())
    );
    assert!(
        streamed_line["response"]["end"].is_string(),
        "{streamed_line}"
    );

    let replay = Gateway::replay(&path).unwrap();
    assert_eq!(replay.replay_remaining(), Some(4));
    let replayed = respan_runtime::run(&replay, &agents, QUESTION)
        .await
        .unwrap();
    assert_eq!(
        replayed, live,
        "the whole result: output, items, raw responses, usage"
    );
    let replayed_events = streamed(&replay, &agents, QUESTION).await.unwrap();
    assert_eq!(
        replayed_events, live_events,
        "the same events, deltas included"
    );
    assert_eq!(replay.replay_remaining(), Some(0));
}

#[tokio::test]
async fn changed_instructions_fail_naming_messages_0_content() {
    let path = cassette("changed");
    let agents = support_agents();
    let recorder = recording_offline(&path).await;
    respan_runtime::run(&recorder, &agents, QUESTION)
        .await
        .unwrap();
    drop(recorder);

    let mut changed = support_agents();
    changed.update(&"Triage Agent".to_string(), |agent| {
        agent.instructions("Route every question to billing.")
    });
    let replay = Gateway::replay(&path).unwrap();
    let error = respan_runtime::run(&replay, &changed, QUESTION)
        .await
        .unwrap_err();
    let Error::ReplayMismatch {
        field,
        recorded,
        sent,
        line,
        cassette,
        already_replayed,
    } = &error
    else {
        panic!("expected a mismatch, got {error:?}");
    };
    assert_eq!(field, "messages[0].content");
    assert_eq!(
        recorded,
        "\"Route to the appropriate agent based on the question.\""
    );
    assert_eq!(sent, "\"Route every question to billing.\"");
    assert_eq!(
        *line, 1,
        "the nearest recorded request is the triage agent's"
    );
    assert_eq!(cassette, &path.display().to_string());
    assert!(!already_replayed);
    let message = error.to_string();
    assert!(
        message.contains("`messages[0].content`") && message.contains("RESPAN_RECORD="),
        "{message}"
    );
    assert_eq!(replay.replay_remaining(), Some(2), "nothing was served");

    // A different question differs further down: the user's message.
    let error = respan_runtime::run(&replay, &agents, "Was I charged twice?")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::ReplayMismatch { field, .. } if field == "messages[1].content"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_run_past_the_end_of_the_cassette_says_so() {
    let path = cassette("exhausted");
    let agents = support_agents();
    let recorder = recording_offline(&path).await;
    respan_runtime::run(&recorder, &agents, QUESTION)
        .await
        .unwrap();
    drop(recorder);

    let replay = Gateway::replay(&path).unwrap();
    respan_runtime::run(&replay, &agents, QUESTION)
        .await
        .unwrap();
    let error = respan_runtime::run(&replay, &agents, QUESTION)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::ReplayExhausted { exchanges: 2, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("past the end of the cassette"),
        "{error}"
    );
}

#[tokio::test]
async fn concurrent_runs_record_whole_lines_and_replay_in_any_order() {
    let path = cassette("concurrent");
    let agents = support_agents();
    // Two gateways, two open files: like two processes recording at once.
    let (a, b) = (
        recording_offline(&path).await,
        recording_offline(&path).await,
    );
    let questions: Vec<String> = (0..24)
        .map(|i| match i % 2 {
            0 => format!("Billing question {i}: was my invoice paid twice?"),
            _ => format!("Technical question {i}: the API times out."),
        })
        .collect();
    let runs = questions.iter().enumerate().map(|(i, q)| {
        let gateway = if i % 2 == 0 { &a } else { &b };
        respan_runtime::run(gateway, &agents, q.as_str())
    });
    let live: Vec<RunResult<String>> = futures_util::future::try_join_all(runs).await.unwrap();
    drop((a, b));
    assert_eq!(
        lines(&path).len(),
        48,
        "every exchange, each on a whole line"
    );

    let replay = Gateway::replay(&path).unwrap();
    // In reverse order, all at once: matched by content, not position.
    let runs = questions
        .iter()
        .rev()
        .map(|q| respan_runtime::run(&replay, &agents, q.as_str()));
    let mut replayed: Vec<RunResult<String>> =
        futures_util::future::try_join_all(runs).await.unwrap();
    replayed.reverse();
    assert_eq!(replayed, live);
    assert_eq!(replay.replay_remaining(), Some(0));
}

#[tokio::test]
async fn retries_and_errors_replay_as_recorded() {
    let path = cassette("retries");
    let fake = FakeGateway::start().await.unwrap();
    fake.push(FakeResponse::error(429, "slow down").header("retry-after", "0"));
    fake.push(FakeResponse::text("Hello after a retry.").header("x-respan-log-id", "log-1"));
    fake.push(FakeResponse::error(500, "the provider failed").header("x-respan-log-id", "log-2"));
    let builder = || Gateway::builder().retry_policy(fast_retries(1));
    let recorder = fake.gateway_with(builder().record(&path)).unwrap();
    let agents = AgentSet::new("a".to_string()).agent(Agent::new("a".to_string(), "Assistant"));
    let live = respan_runtime::run(&recorder, &agents, "hello")
        .await
        .unwrap();
    let live_error = Runner::new()
        .run(&recorder, &agents, "fail")
        .await
        .map(|_: RunResult<String>| ())
        .unwrap_err();
    drop(recorder);
    assert_eq!(
        fake.requests().len(),
        4,
        "429, 200, 500, 500 (out of script)"
    );
    let recorded = lines(&path);
    assert_eq!(recorded.len(), 4);
    assert_eq!(recorded[0]["response"]["status"], 429);
    assert_eq!(recorded[0]["response"]["headers"]["retry-after"], "0");
    assert_eq!(
        recorded[1]["response"]["headers"]["x-respan-log-id"],
        "log-1"
    );

    let replay = Gateway::builder()
        .retry_policy(fast_retries(1))
        .replay(&path)
        .build()
        .unwrap();
    let replayed = respan_runtime::run(&replay, &agents, "hello")
        .await
        .unwrap();
    assert_eq!(replayed, live);
    let replayed_error = Runner::new()
        .run(&replay, &agents, "fail")
        .await
        .map(|_: RunResult<String>| ())
        .unwrap_err();
    assert_eq!(replayed_error.to_string(), live_error.to_string());
    assert_eq!(replayed_error.status(), Some(400));
    assert_eq!(replay.replay_remaining(), Some(0));
}

#[tokio::test]
async fn a_cut_stream_replays_cut() {
    let path = cassette("cut");
    let fake = FakeGateway::start().await.unwrap();
    fake.push(FakeResponse::sse([
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
    ]));
    let agents = AgentSet::new("a".to_string()).agent(Agent::new("a".to_string(), "Assistant"));
    let recorder = fake
        .gateway_with(Gateway::builder().max_retries(0).record(&path))
        .unwrap();
    let live = streamed(&recorder, &agents, "hi").await.unwrap_err();
    drop(recorder);
    assert!(matches!(live, Error::StreamTruncated { .. }), "{live:?}");
    let replay = Gateway::replay(&path).unwrap();
    let replayed = streamed(&replay, &agents, "hi").await.unwrap_err();
    assert_eq!(replayed.to_string(), live.to_string());
}

#[tokio::test]
async fn the_key_is_never_written() {
    let path = cassette("secret");
    let fake = FakeGateway::start().await.unwrap();
    // A gateway that echoes the key in a header and in its error body.
    fake.push(
        FakeResponse::error(401, &format!("invalid key Bearer {FAKE_API_KEY}"))
            .header("x-echo-authorization", format!("Bearer {FAKE_API_KEY}")),
    );
    fake.push(FakeResponse::text(format!("your key is {FAKE_API_KEY}")));
    let recorder = fake
        .gateway_with(Gateway::builder().max_retries(0).record(&path))
        .unwrap();
    let agents = AgentSet::new("a".to_string()).agent(
        Agent::new("a".to_string(), "Assistant").respan(
            RespanParams::new()
                .customer_identifier("c-1")
                .placement(Placement::Header),
        ),
    );
    let error = respan_runtime::run(&recorder, &agents, "hi")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    respan_runtime::run(&recorder, &agents, "hi").await.unwrap();
    drop(recorder);
    assert_eq!(
        fake.requests()[0].header("authorization"),
        Some(format!("Bearer {FAKE_API_KEY}").as_str()),
        "the key was sent"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(FAKE_API_KEY), "{text}");
    assert!(!text.to_lowercase().contains("\"authorization\""), "{text}");
    assert_eq!(text.matches("[redacted]").count(), 3, "{text}");
    let recorded = lines(&path);
    assert!(
        recorded[0]["request"]["headers"]["x-data-respan-params"].is_string(),
        "Respan's header is kept"
    );
}

#[tokio::test]
async fn respan_headers_are_part_of_the_match() {
    let path = cassette("header");
    let with = |customer: &str| {
        AgentSet::new("a".to_string()).agent(
            Agent::new("a".to_string(), "Assistant")
                .instructions("You are a helpful assistant.")
                .respan(
                    RespanParams::new()
                        .customer_identifier(customer)
                        .placement(Placement::Header),
                ),
        )
    };
    let recorder = recording_offline(&path).await;
    respan_runtime::run(&recorder, &with("user_1"), "hi")
        .await
        .unwrap();
    drop(recorder);
    let replay = Gateway::replay(&path).unwrap();
    let error = respan_runtime::run(&replay, &with("user_2"), "hi")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::ReplayMismatch { field, recorded, sent, .. }
            if field == "header x-data-respan-params.customer_identifier"
                && recorded == "\"user_1\"" && sent == "\"user_2\""),
        "{error:?}"
    );
    respan_runtime::run(&replay, &with("user_1"), "hi")
        .await
        .unwrap();
}

#[tokio::test]
async fn key_order_does_not_matter_and_volatile_fields_can_be_ignored() {
    let path = cassette("raw");
    let recorder = recording_offline(&path).await;
    let recorded_body = json!({"model": "gpt-4o", "temperature": 1,
        "messages": [{"role": "user", "content": "hi"}],
        "metadata": {"request_id": "r-1", "env": "test"}});
    let live = recorder.chat_completion_raw(&recorded_body).await.unwrap();
    drop(recorder);

    let reordered: Value = serde_json::from_str(
        r#"{"metadata": {"env": "test", "request_id": "r-1"}, "messages": [{"content": "hi", "role": "user"}],
            "temperature": 1.0, "model": "gpt-4o"}"#,
    )
    .unwrap();
    let replay = Gateway::replay(&path).unwrap();
    assert_eq!(replay.chat_completion_raw(&reordered).await.unwrap(), live);

    let mut volatile = recorded_body.clone();
    volatile["metadata"]["request_id"] = json!("r-2");
    let replay = Gateway::replay(&path).unwrap();
    let error = replay.chat_completion_raw(&volatile).await.unwrap_err();
    assert!(
        matches!(&error, Error::ReplayMismatch { field, recorded, sent, .. }
            if field == "metadata.request_id" && recorded == "\"r-1\"" && sent == "\"r-2\""),
        "{error:?}"
    );
    let replay = Gateway::builder()
        .replay(&path)
        .replay_ignore("metadata.request_id")
        .build()
        .unwrap();
    assert_eq!(replay.chat_completion_raw(&volatile).await.unwrap(), live);
}

#[test]
fn bad_cassettes_are_clear_errors_with_their_line() {
    let good = r#"{"v":1,"request":{"method":"POST","path":"/chat/completions","body":{}},"response":{"status":200,"body":{}},"ms":{"headers":1,"total":1}}"#;
    let check = |name: &str, text: &str, line: Option<usize>, says: &str| {
        let path = cassette(name);
        std::fs::write(&path, text).unwrap();
        let error = Gateway::replay(&path).unwrap_err();
        let Error::Cassette {
            line: at, message, ..
        } = &error
        else {
            panic!("{name}: {error:?}");
        };
        assert_eq!(*at, line, "{name}: {error}");
        assert!(message.contains(says), "{name}: {error}");
        let shown = error.to_string();
        let place = match line {
            Some(n) => format!("{}:{n}: ", path.display()),
            None => format!("{}: ", path.display()),
        };
        assert!(shown.starts_with(&format!("cassette {place}")), "{shown}");
    };
    check(
        "garbled",
        &format!("{good}\nnot json\n{good}\n"),
        Some(2),
        "not a recorded exchange",
    );
    check(
        "cut",
        &format!("{good}\n{good}\n{}", &good[..40]),
        Some(3),
        "cut short",
    );
    check(
        "unknown-key",
        &good.replace("\"ms\"", "\"mss\""),
        Some(1),
        "unknown field `mss`",
    );
    check(
        "version",
        &good.replace("\"v\":1", "\"v\":9"),
        Some(1),
        "format version 9",
    );
    check(
        "two-bodies",
        &good.replace("\"body\":{}},\"ms\"", "\"body\":{},\"text\":\"x\"},\"ms\""),
        Some(1),
        "exactly one of",
    );
    check(
        "status",
        &good.replace("200", "42"),
        Some(1),
        "42 is not an HTTP status",
    );
    check("empty", "\n\n", None, "no exchange");
    let missing = cassette("missing");
    let error = Gateway::replay(&missing).unwrap_err();
    assert!(
        error.to_string().contains("RESPAN_RECORD=<file>"),
        "{error}"
    );
    let error = Gateway::builder()
        .record(
            cassette("dir")
                .parent()
                .unwrap()
                .join("no/such/dir/x.jsonl"),
        )
        .api_key("k")
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Cassette { message, .. } if message.contains("cannot open it to record")),
        "{error:?}"
    );
}

#[test]
fn recording_and_replaying_at_once_is_a_configuration_error() {
    let path = cassette("both");
    std::fs::write(&path, "").unwrap();
    let error = Gateway::builder()
        .api_key("k")
        .record(&path)
        .replay(&path)
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("cannot both record"), "{error}");
    let error = Gateway::builder()
        .api_key("k")
        .replay_ignore("metadata.id")
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("does not replay"), "{error}");
}
