//! Streamed runs: the SDK's golden streaming handoff (requests and event order),
//! tool-call deltas, usage while streaming, cancellation, broken streams.

mod common;

use respan_offline::OfflineGateway;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt as _;
use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::{
    Agent, AgentSet, Error, FunctionTool, Gateway, ModelSettings, RunEvent, RunItem, RunResult,
    Runner, ToolCall, Usage,
};
use serde_json::{Value, json};

async fn fake() -> (FakeGateway, Gateway) {
    fake_with(Gateway::builder()).await
}

async fn fake_with(builder: respan_runtime::GatewayBuilder) -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake
        .gateway_with(builder.default_model(GOLDEN_MODEL).max_retries(0))
        .expect("gateway");
    (fake, gateway)
}

/// Every event of a stream, which must end with `Completed`.
async fn collect<K, O>(
    mut stream: respan_runtime::RunStream<'_, K, O>,
) -> (Vec<RunEvent<K, O>>, RunResult<K, O>) {
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.expect("event"));
    }
    match events.pop() {
        Some(RunEvent::Completed(result)) => (events, *result),
        _ => panic!("the stream did not end with Completed"),
    }
}

/// The chunks capture.py's fake server streamed to the SDK for golden e
/// (../shared/agents-sdk/capture.py, `sse()`), then `[DONE]`.
fn capture_sse(message: &Value, finish: &str) -> Vec<String> {
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1,
               "model": "gpt-4o", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string()
    };
    let mut out = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    if let Some(calls) = message["tool_calls"].as_array() {
        for (i, call) in calls.iter().enumerate() {
            out.push(chunk(
                json!({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                       "function": {"name": call["function"]["name"], "arguments": ""}}]}),
                None,
            ));
            out.push(chunk(
                json!({"tool_calls": [{"index": i, "function": {"arguments": call["function"]["arguments"]}}]}),
                None,
            ));
        }
    } else {
        for word in message["content"].as_str().unwrap_or("").split(' ') {
            out.push(chunk(json!({"content": format!("{word} ")}), None));
        }
    }
    out.push(chunk(json!({}), Some(finish)));
    out.push(
        json!({"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
               "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
        .to_string(),
    );
    out.push("[DONE]".to_string());
    out
}

/// An event as the capture script recorded the SDK's (without the raw event's data).
fn sdk_view<O>(event: &RunEvent<String, O>) -> Value {
    match event {
        RunEvent::AgentUpdated { name, .. } => {
            json!({"type": event.sdk_name(), "agent": name})
        }
        RunEvent::TextDelta { .. } | RunEvent::ToolCallDelta { .. } => {
            json!({"type": event.sdk_name()})
        }
        RunEvent::Item(item) => {
            json!({"type": "run_item_stream_event", "name": event.sdk_name(), "item": item.kind()})
        }
        RunEvent::Completed(_) => json!({"type": event.sdk_name()}),
        other => panic!("no agent tool here: {}", other.sdk_name()),
    }
}

/// Consecutive raw response events as one: the SDK turns each chat-completions
/// stream into Responses-API events (created, item added, deltas, done,
/// completed); we forward the deltas only.
fn collapse_raw(events: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for event in events {
        let raw = event["type"] == "raw_response_event";
        if raw
            && out
                .last()
                .is_some_and(|last| last["type"] == "raw_response_event")
        {
            continue;
        }
        out.push(event);
    }
    out
}

fn golden_result(scenario: &str) -> Value {
    let path = format!(
        "{}/tests/golden/{scenario}/result.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn e_streaming_handoff_matches_the_sdk() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::sse(capture_sse(
        &json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_0", "type": "function",
                "function": {"name": "transfer_to_technical_agent", "arguments": "{}"}}]}),
        "tool_calls",
    )));
    fake.push(FakeResponse::sse(capture_sse(
        &json!({"role": "assistant", "content": "Check your API key."}),
        "stop",
    )));
    let agents = support_agents();
    let (events, result) = collect(Runner::new().run_streamed(
        &gateway,
        &agents,
        "I'm having trouble connecting to the API.",
    ))
    .await;

    // The golden bodies, with `"stream": true`. The one difference is deliberate:
    // respan asks for usage while streaming (`stream_options`), the SDK does not.
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    for (i, request) in requests.iter().enumerate() {
        let golden = golden("e-streaming-handoff", i + 1);
        assert_eq!(request.path, golden["path"]);
        assert_eq!(
            request.header("authorization"),
            golden["headers"]["authorization"].as_str()
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        let mut body = request.body.clone();
        let options = body
            .as_object_mut()
            .and_then(|b| b.remove("stream_options"));
        assert_eq!(options, Some(json!({"include_usage": true})));
        assert_eq!(body, golden_body("e-streaming-handoff", i + 1));
    }

    // The SDK's events in the SDK's order, its raw response events collapsed.
    let golden = golden_result("e-streaming-handoff");
    let sdk: Vec<Value> = golden["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.as_object_mut().map(|e| e.remove("data"));
            e
        })
        .collect();
    let ours: Vec<Value> = events.iter().map(sdk_view).collect();
    assert_eq!(collapse_raw(ours), collapse_raw(sdk));

    // The raw events themselves: the call's fragments, then the text's.
    let technical = || "Technical Agent".to_string();
    let triage = || "Triage Agent".to_string();
    let raw: Vec<&RunEvent<String>> = events
        .iter()
        .filter(|e| e.sdk_name() == "raw_response_event")
        .collect();
    let call_delta = |arguments_delta: &str| RunEvent::ToolCallDelta {
        agent: triage(),
        index: 0,
        call_id: "call_0".into(),
        name: "transfer_to_technical_agent".into(),
        arguments_delta: arguments_delta.into(),
    };
    let text_delta = |delta: &str| RunEvent::TextDelta {
        agent: technical(),
        delta: delta.into(),
    };
    let expected = [
        call_delta(""),
        call_delta("{}"),
        text_delta("Check "),
        text_delta("your "),
        text_delta("API "),
        text_delta("key. "),
    ];
    assert_eq!(raw, expected.iter().collect::<Vec<_>>());
    // As many text deltas as the SDK's `response.output_text.delta` events.
    let sdk_text_deltas = golden["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["data"] == "ResponseTextDeltaEvent:response.output_text.delta")
        .count();
    assert_eq!(sdk_text_deltas, 4);

    assert_eq!(result.final_output, golden["final_output"]);
    assert_eq!(result.last_agent_name, golden["last_agent"]);
    assert_eq!(result.last_agent, technical());
    let per_request = Usage {
        requests: 1,
        input_tokens: 10,
        output_tokens: 5,
        total_tokens: 15,
    };
    assert_eq!(
        result.usage,
        Usage {
            requests: 2,
            input_tokens: 20,
            output_tokens: 10,
            total_tokens: 30
        }
    );
    assert_eq!(
        result.usage_by_agent.iter().collect::<Vec<_>>(),
        [(&triage(), &per_request), (&technical(), &per_request)]
    );
}

#[tokio::test]
async fn tool_call_deltas_are_assembled_by_index_across_chunks() {
    let (fake, gateway) = fake().await;
    let chunk = |calls: Value| {
        json!({"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": calls}, "finish_reason": null}]})
            .to_string()
    };
    fake.push(FakeResponse::sse([
        chunk(json!([{"index": 0, "id": "call_w", "type": "function", "function": {"name": "get_", "arguments": ""}}])),
        chunk(json!([{"index": 0, "function": {"name": "weather", "arguments": "{\"ci"}}])),
        // Two calls in one chunk, the second one starting.
        chunk(json!([{"index": 0, "function": {"arguments": "ty\": "}},
                     {"index": 1, "id": "call_t", "function": {"name": "get_time"}}])),
        chunk(json!([{"index": 1, "function": {"arguments": "{\"city\": \"Rome\"}"}}])),
        chunk(json!([{"index": 0, "function": {"arguments": "\"Paris\"}"}}])),
        json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}).to_string(),
        "[DONE]".to_string(),
    ]));
    fake.push_text("both");
    let agents = AgentSet::new("W".to_string()).agent(
        Agent::named("W")
            .instructions("x")
            .tool(get_weather())
            .tool(get_time()),
    );
    let (events, result) = collect(respan_runtime::run_streamed(&gateway, &agents, "hi")).await;
    let deltas: Vec<(usize, &str, &str, &str)> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::ToolCallDelta {
                index,
                call_id,
                name,
                arguments_delta,
                ..
            } => Some((
                *index,
                call_id.as_str(),
                name.as_str(),
                arguments_delta.as_str(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        deltas,
        [
            (0, "call_w", "get_", ""),
            (0, "call_w", "get_weather", "{\"ci"),
            (0, "call_w", "get_weather", "ty\": "),
            (1, "call_t", "get_time", ""),
            (1, "call_t", "get_time", "{\"city\": \"Rome\"}"),
            (0, "call_w", "get_weather", "\"Paris\"}"),
        ]
    );
    let call = |id: &str, name: &str, arguments: &str| ToolCall {
        id: id.into(),
        kind: "function".into(),
        function: respan_runtime::FunctionCall {
            name: name.into(),
            arguments: arguments.into(),
        },
    };
    assert_eq!(
        result.raw_responses[0].message,
        respan_runtime::InputItem::Assistant {
            content: None,
            tool_calls: vec![
                call("call_w", "get_weather", r#"{"city": "Paris"}"#),
                call("call_t", "get_time", r#"{"city": "Rome"}"#),
            ],
        }
    );
    let outputs: Vec<&str> = result
        .new_items
        .iter()
        .filter_map(|i| match i {
            RunItem::ToolOutput { output, .. } => Some(output.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(outputs, ["Sunny in Paris", "12:00 in Rome"]);
    assert_eq!(result.final_output, "both");
}

#[tokio::test]
async fn streamed_tool_calls_match_the_golden_request() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("get_weather", r#"{"city": "Paris"}"#),
        ("get_time", r#"{"city": "Rome"}"#),
    ]));
    fake.push_text("both");
    let agents = AgentSet::new("W".to_string()).agent(
        Agent::named("W")
            .instructions("x")
            .tool(get_weather())
            .tool(get_time()),
    );
    let (events, result) = collect(respan_runtime::run_streamed(&gateway, &agents, "hi")).await;
    assert_eq!(result.final_output, "both");
    let names: Vec<&str> = events.iter().map(|e| e.sdk_name()).collect();
    assert_eq!(
        names[..1],
        ["agent_updated_stream_event"],
        "then the deltas of the calls"
    );
    let items: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| *n != "raw_response_event")
        .collect();
    assert_eq!(
        items,
        [
            "agent_updated_stream_event",
            "tool_called",
            "tool_called",
            "tool_output",
            "tool_output",
            "message_output_created",
        ]
    );
    let mut second = golden_body("i-two-tools", 2);
    second["stream"] = true.into();
    second["stream_options"] = json!({"include_usage": true});
    assert_eq!(fake.requests()[1].body, second);
}

#[tokio::test]
async fn usage_while_streaming_is_counted_per_agent() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("transfer_to_technical_agent", "{}")]).usage(7, 3));
    fake.push(FakeResponse::text("Check your API key.").usage(20, 8));
    let result = Runner::new()
        .run_streamed(&gateway, &support_agents(), "hi")
        .into_result()
        .await
        .expect("run");
    let usage = |requests, input_tokens, output_tokens| Usage {
        requests,
        input_tokens,
        output_tokens,
        total_tokens: input_tokens + output_tokens,
    };
    assert_eq!(result.usage, usage(2, 27, 11));
    assert_eq!(
        result.usage_by_agent.get(&"Triage Agent".to_string()),
        Some(&usage(1, 7, 3))
    );
    assert_eq!(
        result.usage_by_agent.get(&"Technical Agent".to_string()),
        Some(&usage(1, 20, 8))
    );
    assert_eq!(result.raw_responses[1].usage, usage(1, 20, 8));
}

#[tokio::test]
async fn stream_usage_off_sends_the_sdk_request_and_reads_usage_sent_unasked() {
    let (fake, gateway) = fake_with(Gateway::builder().stream_usage(false)).await;
    assert!(!gateway.stream_usage());
    // The fake gateway, like OpenAI, sends no usage unasked ...
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_technical_agent",
        "{}",
    )]));
    // ... this one does (capture.py's server did), and it is read.
    fake.push(FakeResponse::sse(capture_sse(
        &json!({"role": "assistant", "content": "Check your API key."}),
        "stop",
    )));
    let result = Runner::new()
        .run_streamed(
            &gateway,
            &support_agents(),
            "I'm having trouble connecting to the API.",
        )
        .into_result()
        .await
        .expect("run");
    for (i, request) in fake.requests().iter().enumerate() {
        assert_eq!(request.body, golden_body("e-streaming-handoff", i + 1));
    }
    assert_eq!(
        result.usage_by_agent.get(&"Triage Agent".to_string()),
        Some(&Usage {
            requests: 1,
            ..Usage::default()
        })
    );
    assert_eq!(
        result.usage,
        Usage {
            requests: 2,
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 15
        }
    );
}

#[tokio::test]
async fn an_agents_own_stream_options_are_sent_instead() {
    let (fake, gateway) = fake().await;
    fake.push_text("ok");
    let mut settings = ModelSettings::default();
    settings.extra_body.insert(
        "stream_options".into(),
        json!({"include_usage": false, "include_obfuscation": false}),
    );
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").model_settings(settings));
    let result = respan_runtime::run_streamed(&gateway, &agents, "hi")
        .into_result()
        .await
        .expect("run");
    assert_eq!(
        fake.requests()[0].body["stream_options"],
        json!({"include_usage": false, "include_obfuscation": false})
    );
    assert_eq!(result.usage.total_tokens, 0);
    // A run that does not stream sends no stream_options of the runner's.
    fake.push_text("ok");
    let plain = AgentSet::new("B".to_string()).agent(Agent::named("B"));
    respan_runtime::run(&gateway, &plain, "hi")
        .await
        .expect("run");
    assert_eq!(fake.requests()[1].body.get("stream_options"), None);
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_run_and_closes_its_connection() {
    let (fake, gateway) = fake().await;
    let tasks = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let agents = support_agents();
    // The fake gateway's accept loop; no connection yet.
    let before = tasks();
    assert_eq!(fake.open_connections(), 0);

    // A slow answer: 200 words, one chunk every 20 ms (4 s in all).
    let long = vec!["word"; 200].join(" ");
    fake.push(FakeResponse::text(long).pace(Duration::from_millis(20)));
    let mut stream = respan_runtime::run_streamed(&gateway, &agents, "hi");
    let mut deltas = 0;
    while deltas < 3 {
        match stream.next().await {
            Some(Ok(RunEvent::TextDelta { .. })) => deltas += 1,
            Some(Ok(_)) => {}
            other => panic!("the answer should still be arriving: {other:?}"),
        }
    }
    // In flight: the server is sending the answer, the client reading it.
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(fake.open_connections(), 1);
    // The server's connection task and the HTTP client's.
    assert!(tasks() >= before + 2, "{} tasks", tasks());
    let dropped_at = Instant::now();
    drop(stream);

    // The server sees the connection closed, and nothing is left running:
    // the run was a future inside the stream, not a task.
    let deadline = dropped_at + Duration::from_secs(3);
    while (fake.open_connections() > 0 || tasks() != before) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(tasks(), before, "a task outlived the dropped stream");
    assert_eq!(fake.open_connections(), 0);
    assert!(
        dropped_at.elapsed() < Duration::from_secs(1),
        "closed in {:?}, long before the answer's end",
        dropped_at.elapsed()
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn dropping_the_stream_cancels_a_running_tool() {
    /// Sets its flag when dropped: the tool's future was dropped (or finished).
    struct Dropped(Arc<AtomicBool>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("slow", "{}")]));
    let started = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicBool::new(false));
    let (s, d) = (started.clone(), dropped.clone());
    let tool = FunctionTool::new(
        "slow",
        "Takes a minute.",
        json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
        move |_| {
            let guard = Dropped(d.clone());
            s.store(true, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                drop(guard);
                Ok("done".to_string())
            }
        },
    );
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").tool(tool));
    let mut stream = respan_runtime::run_streamed(&gateway, &agents, "hi");
    // Up to the tool call's item: the tool starts on the next poll.
    loop {
        match stream.next().await {
            Some(Ok(RunEvent::Item(RunItem::ToolCall { .. }))) => break,
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    let polled = tokio::time::timeout(Duration::from_millis(50), stream.next()).await;
    assert!(polled.is_err(), "the tool is running: {polled:?}");
    assert!(started.load(Ordering::SeqCst));
    assert!(!dropped.load(Ordering::SeqCst));
    drop(stream);
    assert!(
        dropped.load(Ordering::SeqCst),
        "the tool's future was dropped"
    );
}

#[tokio::test]
async fn a_truncated_stream_is_an_error_not_an_answer() {
    let (fake, gateway) = fake().await;
    // Text, then the connection closes: no finish_reason, no [DONE].
    fake.push(FakeResponse::sse([
        r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
    ]));
    let agents = support_agents();
    let mut stream = respan_runtime::run_streamed(&gateway, &agents, "hi");
    let mut deltas = Vec::new();
    let error = loop {
        match stream.next().await {
            Some(Ok(RunEvent::TextDelta { delta, .. })) => deltas.push(delta),
            Some(Ok(_)) => {}
            Some(Err(error)) => break error,
            None => panic!("the stream ended without the error"),
        }
    };
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
    assert_eq!(deltas, ["Hel"], "what arrived was shown");
    assert!(stream.next().await.is_none(), "the error is the last item");
    assert!(error.to_string().contains("retry the run"), "{error}");
}

#[tokio::test]
async fn a_complete_stream_without_done_is_accepted() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::sse([
        r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#,
    ]));
    let result = respan_runtime::run_streamed(&gateway, &support_agents(), "hi")
        .into_result()
        .await
        .expect("complete without [DONE]");
    assert_eq!(result.final_output, "Hello");
    assert_eq!(result.usage.total_tokens, 4);
}

#[tokio::test]
async fn malformed_json_in_a_stream_is_an_error() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::sse([
        r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
        "{not json",
    ]));
    let error = respan_runtime::run_streamed(&gateway, &support_agents(), "hi")
        .into_result()
        .await
        .expect_err("garbage");
    let Error::MalformedResponse(message) = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("event 2 of the stream is not a chat-completion chunk (")
            && message.ends_with("): {not json"),
        "{message}"
    );
}

#[tokio::test]
async fn a_json_answer_to_a_streamed_request_is_an_error() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::json(
        200,
        json!({"detail": "streaming is off"}),
    ));
    let error = respan_runtime::run_streamed(&gateway, &support_agents(), "hi")
        .into_result()
        .await
        .expect_err("not a stream");
    let Error::MalformedResponse(message) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        message,
        r#"a streamed request was answered with "application/json", not an event stream (text/event-stream): {"detail":"streaming is off"}; does the gateway support "stream": true?"#
    );
}

#[tokio::test]
async fn an_error_event_in_a_stream_is_reported() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::sse([
        r#"{"error":{"message":"provider overloaded"}}"#,
    ]));
    let error = respan_runtime::run_streamed(&gateway, &support_agents(), "hi")
        .into_result()
        .await
        .expect_err("error event");
    let Error::MalformedResponse(message) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        message,
        "the gateway sent an error in the stream: provider overloaded"
    );
}

#[tokio::test]
async fn a_stalled_stream_is_an_error_after_the_gap_timeout() {
    let (fake, gateway) = fake_with(Gateway::builder().timeout(Duration::from_millis(200))).await;
    fake.push(
        FakeResponse::sse([
            r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
        ])
        .stall(),
    );
    let started = Instant::now();
    let error = respan_runtime::run_streamed(&gateway, &support_agents(), "hi")
        .into_result()
        .await
        .expect_err("stalled");
    assert!(
        matches!(error, Error::StreamStalled { gap, events: 1 } if gap == Duration::from_millis(200)),
        "{error:?}"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_eq!(fake.requests().len(), 1, "a stall is not retried");
}

#[tokio::test]
async fn the_offline_gateway_streams_the_support_scenario_with_usage() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let agents = support_agents();
    let (events, result) = collect(respan_runtime::run_streamed(
        &gateway,
        &agents,
        "I'm having trouble connecting to the API.",
    ))
    .await;
    let deltas = events
        .iter()
        .filter(|e| matches!(e, RunEvent::TextDelta { .. }))
        .count();
    let calls: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::ToolCallDelta {
                name,
                arguments_delta,
                ..
            } => Some((name.as_str(), arguments_delta.as_str())),
            _ => None,
        })
        .collect();
    let agents_seen: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::AgentUpdated { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert!(deltas > 5, "text arrives in pieces");
    assert_eq!(
        calls,
        [
            ("transfer_to_technical_agent", ""),
            ("transfer_to_technical_agent", "{}")
        ]
    );
    assert_eq!(agents_seen, ["Triage Agent", "Technical Agent"]);
    assert_eq!(result.last_agent, "Technical Agent");
    assert!(result.final_output.contains("offline gateway"));
    assert_eq!(result.usage.requests, 2);
    assert!(result.usage.input_tokens > 0 && result.usage.output_tokens > 0);
    assert_eq!(result.usage_by_agent.len(), 2);
}
