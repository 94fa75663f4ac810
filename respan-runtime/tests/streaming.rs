//! Streamed runs: the SDK's golden streaming handoff, event order, broken streams.

mod common;

use common::*;
use futures_util::StreamExt as _;
use respan_runtime::testing::{FakeGateway, FakeResponse};
use respan_runtime::{Error, Gateway, OfflineGateway, RunEvent, RunItem, Runner};

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake
        .gateway_with(
            Gateway::builder()
                .default_model(GOLDEN_MODEL)
                .max_retries(0),
        )
        .expect("gateway");
    (fake, gateway)
}

/// A compact name per event, to compare orders.
fn label(event: &RunEvent<String>) -> String {
    match event {
        RunEvent::AgentUpdated { name, .. } => format!("agent:{name}"),
        RunEvent::TextDelta { .. } => "delta".into(),
        RunEvent::Item(item) => item.kind().into(),
        RunEvent::Completed(_) => "completed".into(),
    }
}

#[tokio::test]
async fn e_streaming_handoff_matches_the_sdk() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_technical_agent",
        "{}",
    )]));
    fake.push_text("Check your API key.");
    let agents = support_agents();
    let mut stream = Runner::new().run_streamed(
        &gateway,
        &agents,
        "I'm having trouble connecting to the API.",
    );
    let mut events = Vec::new();
    let mut text = String::new();
    let mut result = None;
    while let Some(event) = stream.next().await {
        let event = event.expect("event");
        if let RunEvent::TextDelta { delta, agent } = &event {
            assert_eq!(agent, "Technical Agent");
            text.push_str(delta);
        }
        events.push(label(&event));
        if let RunEvent::Completed(r) = event {
            result = Some(r);
        }
    }
    // The golden bodies, with `"stream": true`.
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    for (i, request) in requests.iter().enumerate() {
        assert_eq!(request.body, golden_body("e-streaming-handoff", i + 1));
    }
    // The SDK's order, without its raw Responses-API events (we give text deltas).
    let mut expected = vec![
        "agent:Triage Agent",
        "HandoffCallItem",
        "HandoffOutputItem",
        "agent:Technical Agent",
    ];
    expected.extend(["delta"; 4]);
    expected.extend(["MessageOutputItem", "completed"]);
    assert_eq!(events, expected);
    assert_eq!(text, "Check your API key.");
    let result = result.expect("completed");
    assert_eq!(result.final_output, "Check your API key.");
    assert_eq!(result.last_agent, "Technical Agent");
    assert_eq!(result.usage.requests, 2);
    assert_eq!(result.usage.total_tokens, 30);
}

#[tokio::test]
async fn streamed_tool_calls_are_assembled() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("get_weather", r#"{"city": "Paris"}"#),
        ("get_time", r#"{"city": "Rome"}"#),
    ]));
    fake.push_text("both");
    let agents = respan_runtime::AgentSet::new("W".to_string()).agent(
        respan_runtime::Agent::named("W")
            .instructions("x")
            .tool(get_weather())
            .tool(get_time()),
    );
    let result = respan_runtime::run_streamed(&gateway, &agents, "hi")
        .into_result()
        .await
        .expect("run");
    assert_eq!(result.final_output, "both");
    let outputs: Vec<&str> = result
        .new_items
        .iter()
        .filter_map(|i| match i {
            RunItem::ToolOutput { output, .. } => Some(output.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(outputs, ["Sunny in Paris", "12:00 in Rome"]);
    let mut second = golden_body("i-two-tools", 2);
    second["stream"] = true.into();
    assert_eq!(fake.requests()[1].body, second);
}

#[tokio::test]
async fn a_truncated_stream_is_an_error_not_an_answer() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::sse([
        r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
    ]));
    let agents = support_agents();
    let error = respan_runtime::run_streamed(&gateway, &agents, "hi")
        .into_result()
        .await
        .expect_err("truncated");
    assert!(matches!(error, Error::MalformedResponse(_)), "{error:?}");
}

#[tokio::test]
async fn garbage_in_a_stream_is_an_error() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::sse(["{not json"]));
    let agents = support_agents();
    let error = respan_runtime::run_streamed(&gateway, &agents, "hi")
        .into_result()
        .await
        .expect_err("garbage");
    assert!(matches!(error, Error::MalformedResponse(_)), "{error:?}");
}

#[tokio::test]
async fn an_error_event_in_a_stream_is_reported() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::sse([
        r#"{"error":{"message":"provider overloaded"}}"#,
    ]));
    let agents = support_agents();
    let error = respan_runtime::run_streamed(&gateway, &agents, "hi")
        .into_result()
        .await
        .expect_err("error event");
    assert!(error.to_string().contains("provider overloaded"), "{error}");
}

#[tokio::test]
async fn offline_gateway_streams_the_support_scenario() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let agents = support_agents();
    let mut stream = respan_runtime::run_streamed(
        &gateway,
        &agents,
        "I'm having trouble connecting to the API.",
    );
    let mut deltas = 0;
    let mut agents_seen = Vec::new();
    let mut result = None;
    while let Some(event) = stream.next().await {
        match event.expect("event") {
            RunEvent::TextDelta { .. } => deltas += 1,
            RunEvent::AgentUpdated { name, .. } => agents_seen.push(name),
            RunEvent::Completed(r) => result = Some(r),
            RunEvent::Item(_) => {}
        }
    }
    let result = result.expect("completed");
    assert!(deltas > 5, "text arrives in pieces");
    assert_eq!(agents_seen, ["Triage Agent", "Technical Agent"]);
    assert_eq!(result.last_agent, "Technical Agent");
    assert!(result.final_output.contains("offline gateway"));
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake
        .gateway_with(Gateway::builder().timeout(std::time::Duration::from_millis(200)))
        .expect("gateway");
    fake.push(
        FakeResponse::sse([
            r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
        ])
        .stall(),
    );
    let started = std::time::Instant::now();
    let error = respan_runtime::run_streamed(&gateway, &support_agents(), "hi")
        .into_result()
        .await
        .expect_err("stalled");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}
