//! Agents as tools and handoff options against the Python Agents SDK's
//! recorded requests (tests/golden/j-* to m-*, recorded by
//! scripts/sdk_goldens.py): every request body is the SDK's. One deliberate
//! difference: a structured output used as a tool result is its JSON (the SDK
//! sends Python's `repr` of the value).

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::{
    Agent, AgentSet, AgentTool, Handoff, InputFilter, InputItem, RunEvent, RunItem, Runner,
};
use serde_json::{Value, json};

async fn fake() -> (FakeGateway, respan_runtime::Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake
        .gateway_with(
            respan_runtime::Gateway::builder()
                .default_model(GOLDEN_MODEL)
                .max_retries(0),
        )
        .expect("gateway");
    (fake, gateway)
}

/// An answer with text and/or calls `(id, name, arguments)`, as the capture
/// script's scripted server sent it.
fn answer(content: Option<&str>, calls: &[(&str, &str, &str)]) -> FakeResponse {
    let tool_calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, arguments)| {
            json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
        })
        .collect();
    let mut message = json!({"role": "assistant", "content": content});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    FakeResponse::json(
        200,
        json!({
            "id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        }),
    )
}

/// Every request of the run equals the scenario's golden ones.
fn assert_requests(fake: &FakeGateway, scenario: &str, count: usize) {
    let requests = fake.requests();
    assert_eq!(requests.len(), count, "{scenario}: requests");
    for (index, request) in requests.iter().enumerate() {
        let golden = golden(scenario, index + 1);
        assert_eq!(
            request.path,
            golden["path"],
            "{scenario} #{}: path",
            index + 1
        );
        assert_eq!(
            request.body,
            golden_body(scenario, index + 1),
            "{scenario} #{}: body",
            index + 1
        );
    }
}

fn manager_agents() -> AgentSet {
    AgentSet::new("Manager".to_string())
        .agent(
            Agent::named("Manager")
                .instructions("Use your tools, then answer.")
                .model("gpt-4o")
                .agent_tool(
                    AgentTool::new("Researcher".to_string())
                        .name("research")
                        .description("Research a topic."),
                )
                .agent_tool(AgentTool::new("Writer Agent".to_string())),
        )
        .agent(
            Agent::named("Researcher")
                .instructions("Research the topic and list the facts.")
                .model("gpt-4o"),
        )
        .agent(
            Agent::named("Writer Agent")
                .instructions("Write one paragraph from the notes.")
                .model("gpt-4o"),
        )
}

fn push_manager_script(fake: &FakeGateway) {
    fake.push(answer(
        None,
        &[("call_0", "research", r#"{"input": "Rust async"}"#)],
    ));
    fake.push(answer(Some("Rust async is built on futures."), &[]));
    fake.push(answer(
        None,
        &[(
            "call_1",
            "writer_agent",
            r#"{"input": "Rust async is built on futures."}"#,
        )],
    ));
    fake.push(answer(Some("Rust's async model rests on futures."), &[]));
    fake.push(answer(Some("Here is the paragraph."), &[]));
}

#[tokio::test]
async fn j_agents_as_tools() {
    let (fake, gateway) = fake().await;
    push_manager_script(&fake);
    let result = Runner::new()
        .run(&gateway, &manager_agents(), "Write about Rust async.")
        .await
        .expect("run");
    assert_requests(&fake, "j-agent-as-tool", 5);
    assert_eq!(result.final_output, "Here is the paragraph.");
    assert_eq!(result.last_agent, "Manager");
    // The SDK's items: the calls and results of the calling agent only.
    let kinds: Vec<&str> = result.new_items.iter().map(RunItem::kind).collect();
    assert_eq!(
        kinds,
        [
            "ToolCallItem",
            "ToolCallOutputItem",
            "ToolCallItem",
            "ToolCallOutputItem",
            "MessageOutputItem"
        ]
    );
    // Usage counts the inner runs' requests, per agent (the SDK: 5 requests).
    assert_eq!(result.usage.requests, 5);
    assert_eq!(result.usage.total_tokens, 75);
    let per_agent = |name: &str| {
        result
            .usage_by_agent
            .get(&name.to_string())
            .map(|u| u.requests)
    };
    assert_eq!(per_agent("Manager"), Some(3));
    assert_eq!(per_agent("Researcher"), Some(1));
    assert_eq!(per_agent("Writer Agent"), Some(1));
}

#[tokio::test]
async fn j_streamed_agent_tool_events_are_nested_in_the_call() {
    let (fake, gateway) = fake().await;
    // Streamed answers (the fake turns these into events); ids are call_0 each.
    fake.push(FakeResponse::tool_calls([(
        "research",
        r#"{"input": "Rust async"}"#,
    )]));
    fake.push_text("Rust async is built on futures.");
    fake.push(FakeResponse::tool_calls([(
        "writer_agent",
        r#"{"input": "Rust async is built on futures."}"#,
    )]));
    fake.push_text("Rust's async model rests on futures.");
    fake.push_text("Here is the paragraph.");
    let agents = manager_agents();
    let mut stream = Runner::new().run_streamed(&gateway, &agents, "Write about Rust async.");
    let mut nested = Vec::new();
    let mut outer_messages = Vec::new();
    while let Some(event) = stream.next_event().await {
        match event.expect("event") {
            RunEvent::Nested { call_id, event } => match *event {
                RunEvent::AgentUpdated { name, .. } => {
                    nested.push(format!("{call_id} agent {name}"))
                }
                RunEvent::Item(RunItem::Message { agent, content }) => {
                    nested.push(format!("{call_id} {agent}: {content}"))
                }
                other => panic!("unexpected nested event {}", other.sdk_name()),
            },
            RunEvent::Item(RunItem::Message { content, .. }) => outer_messages.push(content),
            RunEvent::Completed(result) => assert_eq!(result.usage.requests, 5),
            _ => {}
        }
    }
    assert_eq!(
        nested,
        [
            "call_0 agent Researcher",
            "call_0 Researcher: Rust async is built on futures.",
            "call_0 agent Writer Agent",
            "call_0 Writer Agent: Rust's async model rests on futures.",
        ]
    );
    assert_eq!(outer_messages, ["Here is the paragraph."]);
    // The calling agent's requests stream; the nested ones do not (as the SDK's as_tool).
    let streamed: Vec<bool> = fake
        .bodies()
        .iter()
        .map(|body| body["stream"] == json!(true))
        .collect();
    assert_eq!(streamed, [true, false, true, false, true]);
}

#[tokio::test]
async fn j2_a_structured_output_goes_back_as_its_json() {
    let (fake, gateway) = fake().await;
    fake.push(answer(
        None,
        &[("call_0", "take_notes", r#"{"input": "Rust"}"#)],
    ));
    fake.push(answer(
        Some(r#"{"topic": "Rust", "facts": ["fast", "safe"]}"#),
        &[],
    ));
    fake.push(answer(Some("Rust is fast and safe."), &[]));
    let agents = AgentSet::new("Manager".to_string())
        .agent(
            Agent::named("Manager")
                .instructions("Use your tools, then answer.")
                .model("gpt-4o")
                .agent_tool(
                    AgentTool::new("Notes".to_string())
                        .name("take_notes")
                        .description("Take notes on a topic."),
                ),
        )
        .agent(
            Agent::named("Notes")
                .instructions("Take notes.")
                .model("gpt-4o")
                // The schema pydantic writes (titles included), to compare bodies.
                .output_type_value(respan_runtime::OutputType::from_schema(json!({
                    "additionalProperties": false,
                    "properties": {
                        "facts": {"items": {"type": "string"}, "title": "Facts", "type": "array"},
                        "topic": {"title": "Topic", "type": "string"}
                    },
                    "required": ["topic", "facts"],
                    "title": "Notes",
                    "type": "object"
                }))
                .named("final_output")),
        );
    let result = Runner::new()
        .run(&gateway, &agents, "Notes on Rust?")
        .await
        .expect("run");
    assert_eq!(result.final_output, "Rust is fast and safe.");
    let bodies = fake.bodies();
    assert_eq!(bodies[0], golden_body("j2-structured-agent-as-tool", 1));
    // The inner request, but for the order of `required` (our strict form sorts it).
    let (mut ours, mut sdk) = (
        bodies[1].clone(),
        golden_body("j2-structured-agent-as-tool", 2),
    );
    for body in [&mut ours, &mut sdk] {
        body["response_format"]["json_schema"]["schema"]
            .as_object_mut()
            .unwrap()
            .remove("required");
    }
    assert_eq!(ours, sdk);
    // The deliberate difference: JSON, where the SDK sends `topic='Rust' facts=[...]`.
    let mut expected = golden_body("j2-structured-agent-as-tool", 3);
    expected["messages"][3]["content"] = json!(r#"{"topic":"Rust","facts":["fast","safe"]}"#);
    assert_eq!(bodies[2], expected);
}

#[tokio::test]
async fn a_failing_agent_tool_is_a_tool_error_for_the_model() {
    let (fake, gateway) = fake().await;
    fake.push(answer(None, &[("call_0", "research", r#"{"input": "x"}"#)]));
    fake.push(FakeResponse::error(400, "bad request"));
    fake.push(answer(Some("Sorry."), &[]));
    let gateway = gateway;
    let agents = AgentSet::new("Manager".to_string())
        .agent(
            Agent::named("Manager")
                .instructions("m")
                .agent_tool(AgentTool::new("Researcher".to_string()).name("research")),
        )
        .agent(Agent::named("Researcher").instructions("r"));
    let result = Runner::new()
        .run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "Sorry.");
    let bodies = fake.bodies();
    let told = bodies[2]["messages"][3]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        told.starts_with(respan_runtime::TOOL_ERROR_MESSAGE)
            && told.contains("agent Researcher failed"),
        "{told}"
    );
    assert!(
        !told.contains("sk-"),
        "no secret in what the model is told: {told}"
    );
}

#[tokio::test]
async fn an_agent_that_is_its_own_tool_is_refused_before_any_request() {
    let (fake, gateway) = fake().await;
    let agents = AgentSet::new("a".to_string())
        .agent(Agent::named("a").agent_tool(AgentTool::new("b".to_string())))
        .agent(Agent::named("b").agent_tool(AgentTool::new("a".to_string())));
    let error = Runner::new()
        .run(&gateway, &agents, "hi")
        .await
        .unwrap_err();
    assert!(error.to_string().contains(r#""a" → "b" → "a""#), "{error}");
    assert!(fake.requests().is_empty());
}

/// The triage agent's answers: it asks for the weather, then hands off to
/// technical support (saying `texts` before each call, if any).
fn push_weather_then_handoff(fake: &FakeGateway, texts: (Option<&str>, Option<&str>)) {
    fake.push(answer(
        texts.0,
        &[("call_0", "get_weather", r#"{"city": "Paris"}"#)],
    ));
    fake.push(answer(
        texts.1,
        &[("call_1", "transfer_to_technical_agent", "{}")],
    ));
}

/// The guide's billing or technical agent, with the goldens' model.
fn specialist<C: 'static>(name: &str) -> Agent<String, C> {
    support_agents()
        .get(&name.to_string())
        .expect("a support agent")
        .clone()
        .model("gpt-4o")
        .context::<C>()
}

fn triage_with_weather(technical: Handoff<String>) -> AgentSet {
    let billing = specialist("Billing Agent");
    let technical_agent = specialist("Technical Agent");
    AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent")
                .instructions("Route to the appropriate agent based on the question.")
                .model("gpt-4o")
                .tool(get_weather())
                .handoff("Billing Agent".to_string())
                .handoff_with(technical),
        )
        .agent(billing)
        .agent(technical_agent)
}

async fn filtered_run(filter: InputFilter, scenario: &str, with_messages: bool, input: &str) {
    let (fake, gateway) = fake().await;
    let (first, second) = if with_messages {
        (
            Some("Checking the weather first."),
            Some("Passing you to technical support."),
        )
    } else {
        (None, None)
    };
    push_weather_then_handoff(&fake, (first, second));
    fake.push(answer(Some("Check your API key."), &[]));
    let agents =
        triage_with_weather(Handoff::to("Technical Agent".to_string()).input_filter(filter));
    let result = Runner::new()
        .run(&gateway, &agents, input)
        .await
        .expect("run");
    assert_requests(&fake, scenario, 3);
    assert_eq!(result.final_output, "Check your API key.");
    assert_eq!(result.last_agent, "Technical Agent");
    // The result's history stays the whole conversation (what a session saves).
    assert_eq!(result.to_input_list().len(), 6);
}

#[tokio::test]
async fn k_remove_all_tools() {
    filtered_run(
        InputFilter::RemoveAllTools,
        "k-handoff-remove-all-tools",
        false,
        "Weather in Paris, and my API fails.",
    )
    .await;
}

#[tokio::test]
async fn k2_nest_history() {
    filtered_run(
        InputFilter::NestHistory,
        "k2-handoff-nest-history",
        false,
        "Weather in Paris, and my API fails.",
    )
    .await;
}

#[tokio::test]
async fn k3_nest_history_keeps_the_models_messages_of_the_handoffs_turn() {
    filtered_run(
        InputFilter::NestHistory,
        "k3-nest-history-with-messages",
        true,
        "Weather in Paris?\nAlso my API fails.",
    )
    .await;
}

#[tokio::test]
async fn k4_remove_all_tools_keeps_the_text() {
    filtered_run(
        InputFilter::RemoveAllTools,
        "k4-remove-all-tools-with-messages",
        true,
        "Weather in Paris, and my API fails.",
    )
    .await;
}

#[tokio::test]
async fn k5_a_second_nested_handoff_summarizes_the_first_summary() {
    let (fake, gateway) = fake().await;
    fake.push(answer(
        None,
        &[("call_0", "transfer_to_technical_agent", "{}")],
    ));
    fake.push(answer(
        None,
        &[("call_1", "transfer_to_billing_agent", "{}")],
    ));
    fake.push(answer(Some("Refunded."), &[]));
    let agents = AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent")
                .instructions("Route to the appropriate agent based on the question.")
                .model("gpt-4o")
                .handoff_with(
                    Handoff::to("Technical Agent".to_string())
                        .input_filter(InputFilter::NestHistory),
                ),
        )
        .agent(specialist("Technical Agent").handoff_with(
            Handoff::to("Billing Agent".to_string()).input_filter(InputFilter::NestHistory),
        ))
        .agent(specialist("Billing Agent"));
    let result = Runner::new()
        .run(&gateway, &agents, "My API fails and I want a refund.")
        .await
        .expect("run");
    assert_requests(&fake, "k5-nest-history-twice", 3);
    assert_eq!(result.last_agent, "Billing Agent");
}

#[tokio::test]
async fn a_custom_filter_is_a_function_of_the_history() {
    let (fake, gateway) = fake().await;
    push_weather_then_handoff(&fake, (None, None));
    fake.push(answer(Some("ok"), &[]));
    let seen = Arc::new(Mutex::new(0));
    let counted = seen.clone();
    let agents = triage_with_weather(Handoff::to("Technical Agent".to_string()).input_filter(
        InputFilter::custom(move |history: &[InputItem]| {
            *counted.lock().unwrap() = history.len();
            vec![InputItem::user("Only this.")]
        }),
    ));
    Runner::new()
        .run(&gateway, &agents, "hi")
        .await
        .expect("run");
    // user, call, result, handoff call, handoff result.
    assert_eq!(*seen.lock().unwrap(), 5);
    assert_eq!(
        fake.bodies()[2]["messages"],
        json!([
            {"role": "system", "content": "Handle technical support questions."},
            {"role": "user", "content": "Only this."}
        ])
    );
}

/// The SDK scenario's input type.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Escalation {
    reason: String,
    priority: i64,
}

fn escalation_schema() -> Value {
    json!({
        "additionalProperties": false,
        "properties": {
            "priority": {"title": "Priority", "type": "integer"},
            "reason": {"title": "Reason", "type": "string"}
        },
        "required": ["reason", "priority"],
        "title": "Escalation",
        "type": "object"
    })
}

/// The run's context in `l`.
struct Customer(&'static str);

#[tokio::test]
async fn l_typed_handoff_input_reaches_on_handoff_with_the_context() {
    let (fake, gateway) = fake().await;
    fake.push(answer(
        None,
        &[(
            "call_0",
            "transfer_to_billing_agent",
            r#"{"reason": "refund", "priority": 2}"#,
        )],
    ));
    fake.push(answer(Some("Your refund is on its way."), &[]));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let agents = AgentSet::new("Triage Agent".to_string())
        .context::<Customer>()
        .agent(
            Agent::named("Triage Agent")
                .context::<Customer>()
                .instructions("Route to the appropriate agent based on the question.")
                .model("gpt-4o")
                .handoff_with(
                    Handoff::to("Billing Agent".to_string())
                        // The schema pydantic writes for the SDK's input type.
                        .input_schema(escalation_schema())
                        .on_handoff(move |customer: &Customer, escalation: Escalation| {
                            record.lock().unwrap().push(format!(
                                "{} {} {}",
                                customer.0, escalation.reason, escalation.priority
                            ))
                        }),
                )
                .handoff("Technical Agent".to_string()),
        )
        .agent(specialist("Billing Agent"))
        .agent(specialist("Technical Agent"));
    let result = Runner::new()
        .run_with(&gateway, &agents, "I want a refund.", &Customer("ada"))
        .await
        .expect("run");
    assert_requests(&fake, "l-handoff-input-type", 2);
    assert_eq!(result.last_agent, "Billing Agent");
    assert_eq!(*seen.lock().unwrap(), ["ada refund 2"]);
}

#[tokio::test]
async fn handoff_arguments_that_are_not_the_input_type_end_the_run() {
    let (fake, gateway) = fake().await;
    fake.push(answer(
        None,
        &[("call_0", "transfer_to_billing_agent", r#"{"reason": 7}"#)],
    ));
    let agents = AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent").handoff_with(
                Handoff::to("Billing Agent".to_string())
                    .input::<Escalation>()
                    .on_handoff(|_: &(), _: Escalation| {}),
            ),
        )
        .agent(Agent::named("Billing Agent"));
    let error = Runner::new()
        .run(&gateway, &agents, "hi")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, respan_runtime::Error::ModelBehavior(m) if m.contains("transfer_to_billing_agent")),
        "{error:?}"
    );
}

#[tokio::test]
async fn m_a_disabled_handoff_is_not_offered() {
    let (fake, gateway) = fake().await;
    fake.push(answer(
        Some("I can only help with technical questions."),
        &[],
    ));
    let agents = AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent")
                .instructions("Route to the appropriate agent based on the question.")
                .model("gpt-4o")
                .handoff_with(Handoff::to("Billing Agent".to_string()).enabled(false))
                .handoff("Technical Agent".to_string()),
        )
        .agent(specialist("Billing Agent"))
        .agent(specialist("Technical Agent"));
    Runner::new()
        .run(&gateway, &agents, "I want a refund.")
        .await
        .expect("run");
    assert_requests(&fake, "m-handoff-disabled", 1);
}

#[tokio::test]
async fn a_handoff_enabled_by_the_context_is_offered_turn_by_turn() {
    let (fake, gateway) = fake().await;
    fake.push(answer(
        None,
        &[("call_0", "transfer_to_billing_agent", "{}")],
    ));
    let agents = AgentSet::new("Triage Agent".to_string())
        .context::<bool>()
        .agent(
            Agent::named("Triage Agent")
                .context::<bool>()
                .instructions("Route to the appropriate agent based on the question.")
                .model("gpt-4o")
                .handoff_with(
                    Handoff::to("Billing Agent".to_string())
                        .enabled_fn(|billing: &bool, _| *billing),
                )
                .handoff("Technical Agent".to_string()),
        )
        .agent(specialist("Billing Agent"))
        .agent(specialist("Technical Agent"));
    // Disabled: the request is m's, and a call to it is an unknown tool.
    let error = Runner::new()
        .run_with(&gateway, &agents, "I want a refund.", &false)
        .await
        .unwrap_err();
    assert!(
        matches!(error, respan_runtime::Error::ModelBehavior(_)),
        "{error:?}"
    );
    assert_eq!(fake.bodies()[0], golden_body("m-handoff-disabled", 1));
    // Enabled: both handoffs are offered and the call hands off.
    fake.push(answer(
        None,
        &[("call_0", "transfer_to_billing_agent", "{}")],
    ));
    fake.push(answer(Some("ok"), &[]));
    let result = Runner::new()
        .run_with(&gateway, &agents, "I want a refund.", &true)
        .await
        .expect("run");
    assert_eq!(result.last_agent, "Billing Agent");
    let tools = fake.bodies()[1]["tools"].as_array().unwrap().len();
    assert_eq!(
        fake.bodies()[1]["tools"][0]["function"]["name"],
        "transfer_to_billing_agent"
    );
    assert_eq!(tools, 2);
}

#[test]
fn a_rust_input_type_is_its_strict_schema() {
    let agents = AgentSet::new("t".to_string())
        .agent(Agent::named("t").handoff_with(Handoff::to("b".to_string()).input::<Escalation>()))
        .agent(Agent::named("b"));
    let schema = respan_runtime::schema_for::<Escalation>();
    assert_eq!(schema["required"], json!(["reason", "priority"]));
    assert_eq!(schema["additionalProperties"], json!(false));
    assert!(
        format!("{agents:?}").contains("Escalation"),
        "the schema is the handoff's"
    );
}

#[tokio::test]
async fn a_filtered_view_survives_an_approval_stop_through_json() {
    let (fake, gateway) = fake().await;
    push_weather_then_handoff(&fake, (None, None));
    fake.push(answer(None, &[("call_2", "reboot", "{}")]));
    fake.push(answer(Some("Rebooted."), &[]));
    let reboot = respan_runtime::FunctionTool::sync(
        "reboot",
        "Reboots the server.",
        json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
        |_| Ok("rebooted".to_string()),
    )
    .needs_approval(true);
    let mut agents = triage_with_weather(
        Handoff::to("Technical Agent".to_string()).input_filter(InputFilter::RemoveAllTools),
    );
    agents.update(&"Technical Agent".to_string(), |agent| agent.tool(reboot));
    let outcome = Runner::new()
        .run_resumable(&gateway, &agents, "Weather, then reboot.")
        .await
        .expect("run");
    let respan_runtime::RunOutcome::Interrupted(mut state) = outcome else {
        panic!("the reboot waits for approval")
    };
    state.approve("call_2").expect("the call waits");
    let json = serde_json::to_string(&state).unwrap();
    let state: respan_runtime::RunState = serde_json::from_str(&json).unwrap();
    let result = Runner::new()
        .resume(&gateway, &agents, state)
        .await
        .expect("resume")
        .into_result()
        .expect("completed");
    assert_eq!(result.final_output, "Rebooted.");
    // The technical agent's requests: the filtered view, then its own turn.
    let last = &fake.bodies()[3]["messages"];
    assert_eq!(
        last[1],
        json!({"role": "user", "content": "Weather, then reboot."})
    );
    assert_eq!(last.as_array().unwrap().len(), 4, "{last}");
    assert_eq!(last[3]["content"], "rebooted");
    assert_eq!(
        result.to_input_list().len(),
        8,
        "the whole conversation is kept"
    );
}
