//! Our requests, scenario by scenario, against the Python Agents SDK's recorded
//! ones (tests/golden, from ../shared/agents-sdk). The only difference allowed is
//! deliberate: without a model the SDK sends its own default model's
//! `reasoning_effort`/`verbosity`; we send the gateway's default model only.

mod common;

use common::*;
use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::{
    Agent, AgentSet, Error, Gateway, ModelSettings, RunItem, Runner, TOOL_ERROR_MESSAGE,
};
use serde_json::{Value, json};

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

fn assert_request(fake: &FakeGateway, index: usize, scenario: &str) {
    let requests = fake.requests();
    let request = &requests[index];
    let golden = golden(scenario, index + 1);
    assert_eq!(
        request.path,
        golden["path"],
        "{scenario} #{}: path",
        index + 1
    );
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.header("authorization"),
        golden["headers"]["authorization"].as_str(),
        "{scenario}: authorization"
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.body,
        golden_body(scenario, index + 1),
        "{scenario} #{}: body",
        index + 1
    );
}

#[tokio::test]
async fn a_quickstart() {
    let (fake, gateway) = fake().await;
    fake.push_text("Hello! How can I help?");
    let agents = AgentSet::new("Assistant".to_string()).agent(
        Agent::named("Assistant")
            .instructions("You are a helpful assistant.")
            .model("gpt-4o"),
    );
    let result = respan_runtime::run(&gateway, &agents, "Hello")
        .await
        .expect("run");
    assert_request(&fake, 0, "a-quickstart");
    assert_eq!(result.final_output, "Hello! How can I help?");
    assert_eq!(result.last_agent, "Assistant");
}

#[tokio::test]
async fn b_handoff() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_technical_agent",
        "{}",
    )]));
    fake.push_text("Check your API key.");
    let result = respan_runtime::run(
        &gateway,
        &support_agents(),
        "I'm having trouble connecting to the API.",
    )
    .await
    .expect("run");
    assert_eq!(fake.requests().len(), 2);
    assert_request(&fake, 0, "b-handoff");
    assert_request(&fake, 1, "b-handoff");
    assert_eq!(result.final_output, "Check your API key.");
    assert_eq!(result.last_agent, "Technical Agent");
    assert_eq!(result.last_agent_name, "Technical Agent");
    let kinds: Vec<&str> = result.new_items.iter().map(RunItem::kind).collect();
    assert_eq!(
        kinds,
        ["HandoffCallItem", "HandoffOutputItem", "MessageOutputItem"]
    );
    // The conversation continues from the chat messages of the run.
    let input = result.to_input_list();
    assert_eq!(
        serde_json::to_value(&input).expect("json"),
        json!([
            {"role": "user", "content": "I'm having trouble connecting to the API."},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_0", "type": "function",
                "function": {"name": "transfer_to_technical_agent", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_0", "content": "{\"assistant\": \"Technical Agent\"}"},
            {"role": "assistant", "content": "Check your API key."}
        ])
    );
}

#[tokio::test]
async fn c_function_tool() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "get_weather",
        r#"{"city": "Paris"}"#,
    )]));
    fake.push_text("It is sunny in Paris.");
    let agents = AgentSet::new("Weather".to_string()).agent(
        Agent::named("Weather")
            .instructions("Answer weather questions.")
            .tool(get_weather()),
    );
    let result = respan_runtime::run(&gateway, &agents, "Weather in Paris?")
        .await
        .expect("run");
    assert_request(&fake, 0, "c-function-tool");
    assert_request(&fake, 1, "c-function-tool");
    assert_eq!(result.final_output, "It is sunny in Paris.");
    let kinds: Vec<&str> = result.new_items.iter().map(RunItem::kind).collect();
    assert_eq!(
        kinds,
        ["ToolCallItem", "ToolCallOutputItem", "MessageOutputItem"]
    );
}

#[tokio::test]
async fn d_model_settings_extra_body_and_headers() {
    let (fake, gateway) = fake().await;
    fake.push_text("ok");
    let golden = golden("d-model-settings-prompt", 1);
    let header = golden["headers"]["x-data-respan-params"]
        .as_str()
        .expect("header")
        .to_string();
    let extra_body = json!({
        "prompt": {"prompt_id": "abc", "schema_version": 2, "variables": {"x": "y"}},
        "customer_identifier": "user_123", "metadata": {"plan": "pro"}
    });
    let agents = AgentSet::new("Assistant".to_string()).agent(
        Agent::named("Assistant")
            .instructions("You are a helpful assistant.")
            .model("claude-sonnet-4-5-20250929")
            .model_settings(ModelSettings {
                temperature: Some(0.2),
                max_tokens: Some(100),
                top_p: Some(0.9),
                extra_body: extra_body.as_object().cloned().unwrap_or_default(),
                extra_headers: vec![("X-Data-Respan-Params".into(), header.clone())],
                ..Default::default()
            }),
    );
    let result = respan_runtime::run(&gateway, &agents, "Hi")
        .await
        .expect("run");
    assert_request(&fake, 0, "d-model-settings-prompt");
    assert_eq!(
        fake.requests()[0].header("x-data-respan-params"),
        Some(header.as_str())
    );
    assert_eq!(result.final_output, "ok");
}

#[tokio::test]
async fn d2_prompt_nested_in_respan_params() {
    let (fake, gateway) = fake().await;
    fake.push_text("ok");
    let prompt = respan_runtime::GatewayPrompt::new("abc")
        .variable("x", "y")
        .placement(respan_runtime::Placement::RespanParams);
    let agents = AgentSet::new("Assistant".to_string())
        .agent(Agent::named("Assistant").instructions("x").prompt(prompt));
    respan_runtime::run(&gateway, &agents, "Hi")
        .await
        .expect("run");
    assert_request(&fake, 0, "d2-respan-params-prompt");
}

#[tokio::test]
async fn f_max_turns() {
    let (fake, gateway) = fake().await;
    for _ in 0..20 {
        fake.push(FakeResponse::tool_calls([(
            "get_weather",
            r#"{"city": "Paris"}"#,
        )]));
    }
    let agents = AgentSet::new("Loop".to_string())
        .agent(Agent::named("Loop").instructions("x").tool(get_weather()));
    let error = Runner::new()
        .max_turns(3)
        .run(&gateway, &agents, "loop")
        .await
        .expect_err("max turns");
    assert!(
        matches!(error, Error::MaxTurnsExceeded { max_turns: 3 }),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with("Max turns (3) exceeded"),
        "{error}"
    );
    assert_eq!(fake.requests().len(), 3, "exactly max_turns requests");
    assert_request(&fake, 0, "f-max-turns");
    assert_request(&fake, 1, "f-max-turns");
    // Deliberate difference: the SDK drops the repeated call id `call_0` from its
    // third request; we keep every call and its result (the history grows).
    let third = &fake.requests()[2].body;
    assert_eq!(third["messages"].as_array().map(Vec::len), Some(6));
}

#[tokio::test]
async fn f_max_turns_from_the_set() {
    let (fake, gateway) = fake().await;
    for _ in 0..20 {
        fake.push(FakeResponse::tool_calls([(
            "get_weather",
            r#"{"city": "Paris"}"#,
        )]));
    }
    let agents = AgentSet::new("Loop".to_string())
        .agent(Agent::named("Loop").instructions("x").tool(get_weather()))
        .max_turns(2);
    let error = respan_runtime::run(&gateway, &agents, "loop")
        .await
        .expect_err("max turns");
    assert!(matches!(error, Error::MaxTurnsExceeded { max_turns: 2 }));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn f_default_max_turns_is_ten() {
    let (fake, gateway) = fake().await;
    for _ in 0..20 {
        fake.push(FakeResponse::tool_calls([(
            "get_weather",
            r#"{"city": "Paris"}"#,
        )]));
    }
    let agents = AgentSet::new("Loop".to_string())
        .agent(Agent::named("Loop").instructions("x").tool(get_weather()));
    let error = respan_runtime::run(&gateway, &agents, "loop")
        .await
        .expect_err("max turns");
    assert!(matches!(error, Error::MaxTurnsExceeded { max_turns: 10 }));
    assert_eq!(fake.requests().len(), 10);
}

#[tokio::test]
async fn h_malformed_tool_arguments_are_not_fatal() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("get_weather", r#"{"city": "#)]));
    fake.push_text("recovered");
    let agents = AgentSet::new("W".to_string())
        .agent(Agent::named("W").instructions("x").tool(get_weather()));
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "recovered");
    assert_request(&fake, 0, "h-malformed-tool-args");
    assert_request(&fake, 1, "h-malformed-tool-args");
    assert_eq!(
        fake.requests()[1].body["messages"][3]["content"],
        TOOL_ERROR_MESSAGE
    );
}

#[tokio::test]
async fn h2_unknown_tool_is_a_model_behavior_error() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("no_such_tool", "{}")]));
    fake.push_text("recovered");
    let agents = AgentSet::new("W".to_string())
        .agent(Agent::named("W").instructions("x").tool(get_weather()));
    let error = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect_err("error");
    assert!(matches!(error, Error::ModelBehavior(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("Tool no_such_tool not found in agent W"),
        "{error}"
    );
    assert_eq!(fake.requests().len(), 1);
    assert_request(&fake, 0, "h2-unknown-tool");
}

#[tokio::test]
async fn i_two_tools_results_in_call_order() {
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
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "both");
    assert_request(&fake, 0, "i-two-tools");
    assert_request(&fake, 1, "i-two-tools");
}

#[tokio::test]
async fn i2_two_handoffs_first_wins() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("transfer_to_billing_agent", "{}"),
        ("transfer_to_technical_agent", "{}"),
    ]));
    fake.push_text("done");
    let result = respan_runtime::run(&gateway, &support_agents(), "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "done");
    assert_eq!(result.last_agent, "Billing Agent");
    assert_request(&fake, 0, "i2-two-handoffs");
    assert_request(&fake, 1, "i2-two-handoffs");
}

#[tokio::test]
async fn g_http_429_then_500_are_retried_like_the_sdk() {
    // The SDK makes 3 requests (2 retries) by default; with max_retries(2) so do we.
    for (status, scenario) in [(429u16, "g-http-429"), (500, "g-http-500")] {
        let fake = FakeGateway::start().await.expect("fake");
        for _ in 0..5 {
            fake.push(FakeResponse::error(status, "boom").header("retry-after", "0"));
        }
        let gateway = fake
            .gateway_with(
                Gateway::builder()
                    .default_model(GOLDEN_MODEL)
                    .max_retries(2),
            )
            .expect("gateway");
        let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("x"));
        let error = respan_runtime::run(&gateway, &agents, "hi")
            .await
            .expect_err("error");
        assert_eq!(error.status(), Some(status), "{error:?}");
        assert_eq!(error.attempts(), Some(3));
        assert_eq!(fake.requests().len(), 3);
        for i in 0..3 {
            assert_request(&fake, i, scenario);
        }
        let expected: Value = json!("boom (error)");
        assert!(
            error
                .to_string()
                .contains(expected.as_str().unwrap_or_default()),
            "{error}"
        );
    }
}

/// The guide passes Respan params and prompts through `extra_body`/`extra_headers`;
/// the typed `RespanParams`/`GatewayPrompt` must produce the same requests.
#[tokio::test]
async fn typed_params_send_what_the_guide_sends_through_extra_body() {
    use respan_runtime::{GatewayPrompt, Placement, RespanParams};
    let guide_prompt = json!({"prompt_id": "YOUR_PROMPT_ID", "schema_version": 2,
        "variables": {"task": "answer questions concisely"}});
    let typed_prompt =
        GatewayPrompt::new("YOUR_PROMPT_ID").variable("task", "answer questions concisely");
    let params = RespanParams::new()
        .customer_identifier("user_123")
        .metadata("env", "production");
    let guide_params =
        json!({"customer_identifier": "user_123", "metadata": {"env": "production"}});
    let header_value = |v: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(v.to_string())
    };

    let cases: Vec<(Agent, Agent)> = vec![
        // Respan parameters: extra_body={"respan_params": {...}}
        (
            Agent::named("Tracked Agent").respan(params.clone()),
            Agent::named("Tracked Agent").model_settings(ModelSettings {
                extra_body: json!({"respan_params": guide_params}).as_object().cloned().unwrap_or_default(),
                ..Default::default()
            }),
        ),
        // Prompts, direct: extra_body={"prompt": {...}}
        (
            Agent::named("Prompt Agent").instructions("You are a helpful assistant.").prompt(typed_prompt.clone()),
            Agent::named("Prompt Agent").instructions("You are a helpful assistant.").model_settings(ModelSettings {
                extra_body: json!({"prompt": guide_prompt}).as_object().cloned().unwrap_or_default(),
                ..Default::default()
            }),
        ),
        // Prompts, nested: extra_body={"respan_params": {"prompt": {...}, ...}}
        (
            Agent::named("Prompt Agent")
                .prompt(typed_prompt.clone().placement(Placement::RespanParams))
                .respan(RespanParams::new().customer_identifier("user_123")),
            Agent::named("Prompt Agent").model_settings(ModelSettings {
                extra_body: json!({"respan_params": {"prompt": guide_prompt, "customer_identifier": "user_123"}})
                    .as_object().cloned().unwrap_or_default(),
                ..Default::default()
            }),
        ),
        // Prompts, header: extra_headers={"X-Data-Respan-Params": base64(json)}
        (
            Agent::named("Prompt Agent").prompt(typed_prompt.clone().placement(Placement::Header)),
            Agent::named("Prompt Agent").model_settings(ModelSettings {
                extra_headers: vec![(
                    "X-Data-Respan-Params".into(),
                    header_value(&json!({"prompt": guide_prompt})),
                )],
                ..Default::default()
            }),
        ),
    ];
    for (typed, guide) in cases {
        let (fake, gateway) = fake().await;
        fake.push_text("ok");
        fake.push_text("ok");
        for agent in [typed, guide] {
            let key = agent.key().clone();
            respan_runtime::run(&gateway, &AgentSet::new(key).agent(agent), "Hello")
                .await
                .expect("run");
        }
        let requests = fake.requests();
        assert_eq!(requests[0].body, requests[1].body);
        assert_eq!(requests[0].respan_header(), requests[1].respan_header());
    }
}
