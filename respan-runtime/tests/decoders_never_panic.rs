//! Property tests of the response decoder (a whole chat completion) and the SSE
//! decoder (a streamed one), through the public API: the fake gateway answers
//! with bodies and event streams made by proptest, and every run must end in
//! `Ok` or a typed `Error` within its deadline: never a panic or a hang.

mod common;

use std::time::Duration;

use common::get_weather;
use futures_util::StreamExt as _;
use proptest::prelude::*;
use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::{Agent, AgentSet, Gateway, RunEvent};
use serde_json::json;

/// Each run's deadline: far above what a run against the local fake takes.
const DEADLINE: Duration = Duration::from_secs(10);

fn agents() -> AgentSet {
    AgentSet::new("triage".to_string())
        .agent(
            Agent::new("triage".to_string(), "Triage Agent")
                .handoff("billing".to_string())
                .tool(get_weather()),
        )
        .agent(Agent::new("billing".to_string(), "Billing Agent"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake
        .gateway_with(
            Gateway::builder()
                .default_model("gpt-4o")
                .max_retries(0)
                .timeout(Duration::from_millis(250)),
        )
        .expect("gateway");
    (fake, gateway)
}

/// A JSON value of the shapes a completion or chunk holds, often the wrong one.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(|b| json!(b)),
        any::<i64>().prop_map(|i| json!(i)),
        "[a-z_ {}\":\\[\\]]{0,12}".prop_map(|s| json!(s)),
        Just(json!("get_weather")),
        Just(json!("transfer_to_billing_agent")),
        Just(json!("{\"city\": \"Paris\"}")),
        Just(json!("stop")),
        Just(json!("tool_calls")),
        Just(json!("assistant")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("choices".to_owned()),
                    Just("message".to_owned()),
                    Just("delta".to_owned()),
                    Just("content".to_owned()),
                    Just("role".to_owned()),
                    Just("tool_calls".to_owned()),
                    Just("function".to_owned()),
                    Just("name".to_owned()),
                    Just("arguments".to_owned()),
                    Just("index".to_owned()),
                    Just("id".to_owned()),
                    Just("finish_reason".to_owned()),
                    Just("usage".to_owned()),
                    "[a-z_]{1,6}",
                ],
                inner,
                0..4,
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A completion body: a valid one with one field replaced, arbitrary JSON, or bytes.
fn completion_body() -> impl Strategy<Value = Vec<u8>> {
    let valid = json!({
        "id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": "call_0", "type": "function",
                            "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    });
    let pointers = [
        "/choices",
        "/choices/0",
        "/choices/0/message",
        "/choices/0/message/content",
        "/choices/0/message/tool_calls",
        "/choices/0/message/tool_calls/0",
        "/choices/0/message/tool_calls/0/function/name",
        "/choices/0/message/tool_calls/0/function/arguments",
        "/choices/0/message/tool_calls/0/id",
        "/choices/0/finish_reason",
        "/usage",
        "/usage/prompt_tokens",
    ];
    prop_oneof![
        (0..pointers.len(), json_value()).prop_map(move |(at, value)| {
            let mut body = valid.clone();
            if let Some(slot) = body.pointer_mut(pointers[at]) {
                *slot = value;
            }
            body.to_string().into_bytes()
        }),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

/// One SSE event's data: a chunk (often malformed), `[DONE]`, or anything,
/// sometimes with line breaks that start other SSE fields.
fn sse_event() -> impl Strategy<Value = String> {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        json!({"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1,
               "model": "gpt-4o", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string()
    };
    prop_oneof![
        Just(chunk(
            json!({"role": "assistant", "content": "Hi"}),
            json!(null)
        )),
        Just(chunk(json!({"content": " there"}), json!("stop"))),
        Just(chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_0", "type": "function",
                                   "function": {"name": "get_weather", "arguments": ""}}]}),
            json!(null)
        )),
        Just(chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
            json!(null)
        )),
        Just(chunk(json!({}), json!("tool_calls"))),
        (json_value(), json_value()).prop_map(move |(d, f)| chunk(d, f)),
        json_value().prop_map(|v| v.to_string()),
        Just("[DONE]".to_owned()),
        Just(String::new()),
        Just("x\n\nevent: keepalive\ndata:".to_owned()),
        Just("{\"choices\": []}\nretry: 10\n: comment".to_owned()),
        "\\PC{0,40}",
        "[\n\r:a-z{}\\[\\]\" ]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_completion_body_ends_in_ok_or_a_typed_error(
        status in prop_oneof![Just(200u16), Just(200), Just(200), Just(400), Just(429), Just(500), Just(503)],
        body in completion_body(),
    ) {
        runtime().block_on(async {
            let (fake, gateway) = fake().await;
            fake.push(FakeResponse::raw(status, body));
            let agents = agents();
            let outcome = tokio::time::timeout(
                DEADLINE,
                respan_runtime::run(&gateway, &agents, "What is the weather in Paris?"),
            )
            .await;
            // Ok, or a typed error: either way no panic, and within the deadline.
            let result = outcome.expect("the run hangs");
            if let Err(error) = &result {
                let _ = error.to_string();
            }
        });
    }

    #[test]
    fn any_event_stream_ends_in_ok_or_a_typed_error(
        events in proptest::collection::vec(sse_event(), 0..8),
        stall in any::<bool>(),
    ) {
        runtime().block_on(async {
            let (fake, gateway) = fake().await;
            let mut response = FakeResponse::sse(events);
            if stall {
                response = response.stall();
            }
            fake.push(response);
            let agents = agents();
            let outcome = tokio::time::timeout(DEADLINE, async {
                let mut stream =
                    respan_runtime::run_streamed(&gateway, &agents, "What is the weather in Paris?");
                let mut completed = false;
                while let Some(event) = stream.next().await {
                    match event {
                        Ok(RunEvent::Completed(_)) => completed = true,
                        Ok(_) => {}
                        Err(error) => {
                            let _ = error.to_string();
                            return;
                        }
                    }
                }
                assert!(completed, "a stream that ends without an error must complete");
            })
            .await;
            outcome.expect("the streamed run hangs");
        });
    }
}
