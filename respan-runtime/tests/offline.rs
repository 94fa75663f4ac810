//! The offline gateway: what it answers for the guide's scenarios, over real HTTP.

mod common;

use std::net::SocketAddr;

use common::*;
use respan_runtime::{
    Agent, AgentSet, Error, Gateway, GatewayPrompt, OfflineGateway, Placement, RespanParams,
    RunItem,
};
use serde_json::json;

#[tokio::test]
async fn support_hands_off_to_the_technical_agent() {
    let gateway = OfflineGateway::start().await.expect("offline");
    assert!(gateway.is_offline());
    let result = respan_runtime::run(
        &gateway,
        &support_agents(),
        "I'm having trouble connecting to the API.",
    )
    .await
    .expect("run");
    assert_eq!(result.last_agent, "Technical Agent");
    let kinds: Vec<&str> = result.new_items.iter().map(RunItem::kind).collect();
    assert_eq!(
        kinds,
        ["HandoffCallItem", "HandoffOutputItem", "MessageOutputItem"]
    );
    assert!(
        result.final_output.contains("offline gateway"),
        "{}",
        result.final_output
    );
    assert!(result.final_output.contains("agent Technical Agent"));
    assert!(result.final_output.contains("model gpt-4o"));
    assert!(result.final_output.contains("RESPAN_API_KEY"));
    assert_eq!(result.usage.requests, 2);
    assert!(result.usage.total_tokens > 0);
    assert!(
        result
            .usage_by_agent
            .get(&"Triage Agent".to_string())
            .is_some()
    );
}

#[tokio::test]
async fn billing_questions_go_to_billing() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let result = respan_runtime::run(
        &gateway,
        &support_agents(),
        "Why was my card charged twice for the same payment?",
    )
    .await
    .expect("run");
    assert_eq!(result.last_agent, "Billing Agent");
}

#[tokio::test]
async fn it_answers_deterministically() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let agents = support_agents();
    let a = respan_runtime::run(&gateway, &agents, "Hello")
        .await
        .expect("run");
    let b = respan_runtime::run(&gateway, &agents, "Hello")
        .await
        .expect("run");
    assert_eq!(a.final_output, b.final_output);
    assert_eq!(
        a.last_agent, "Triage Agent",
        "nothing to route: the triage agent answers"
    );
}

#[tokio::test]
async fn it_calls_a_tool_the_message_names() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let agents = AgentSet::new("Weather".to_string()).agent(
        Agent::named("Weather")
            .instructions("Answer weather questions.")
            .tool(get_weather()),
    );
    let result = respan_runtime::run(&gateway, &agents, "Use get_weather for Paris please")
        .await
        .expect("run");
    let calls: Vec<String> = result
        .new_items
        .iter()
        .filter_map(|i| match i {
            RunItem::ToolCall { call, .. } => Some(call.function.arguments.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(calls, [r#"{"city":"Paris"}"#]);
    assert!(
        result.final_output.contains("Sunny in Paris"),
        "{}",
        result.final_output
    );
}

#[tokio::test]
async fn it_shows_the_respan_params_and_prompt_it_received() {
    let gateway = OfflineGateway::start().await.expect("offline");
    for (placement, place) in [
        (Placement::Body, "the body"),
        (Placement::RespanParams, "respan_params"),
        (Placement::Header, "the X-Data-Respan-Params header"),
    ] {
        let agents = AgentSet::new("A".to_string()).agent(
            Agent::named("A")
                .respan(
                    RespanParams::new()
                        .customer_identifier("user_123")
                        .metadata("env", "production")
                        .placement(placement),
                )
                .prompt(GatewayPrompt::new("abc").placement(placement)),
        );
        let result = respan_runtime::run(&gateway, &agents, "hi")
            .await
            .expect("run");
        let text = result.final_output;
        assert!(
            text.contains(&format!("Respan params in {place}: customer_identifier=\"user_123\", metadata={{\"env\":\"production\"}}")),
            "{text}"
        );
        assert!(
            text.contains(&format!("prompt in {place}: {{\"prompt_id\":\"abc\"")),
            "{text}"
        );
    }
}

#[tokio::test]
async fn it_serves_any_openai_client_on_a_fixed_address() {
    let server = OfflineGateway::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    // As `RESPAN_BASE_URL=http://127.0.0.1:PORT/api RESPAN_API_KEY=x` would configure it.
    let gateway = Gateway::new(server.base_url(), "x").expect("gateway");
    assert!(!gateway.is_offline());
    let agents = AgentSet::new("Assistant".to_string())
        .agent(Agent::named("Assistant").instructions("You are a helpful assistant."));
    let result = respan_runtime::run(&gateway, &agents, "Hello")
        .await
        .expect("run");
    // Without the runtime's agent header it names the agent by its instructions.
    assert!(
        result
            .final_output
            .contains("agent instructed “You are a helpful assistant.”"),
        "{}",
        result.final_output
    );
    let raw = gateway
        .chat_completion_raw(
            &json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await
        .expect("raw");
    assert_eq!(raw["object"], "chat.completion");
    assert_eq!(raw["choices"][0]["finish_reason"], "stop");
    assert!(raw["usage"]["total_tokens"].as_u64().is_some());
}

#[tokio::test]
async fn it_rejects_what_is_not_a_chat_completion() {
    let server = OfflineGateway::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let gateway = Gateway::new(server.base_url(), "x").expect("gateway");
    let error = gateway
        .chat_completion_raw(&json!({"model": "m"}))
        .await
        .expect_err("no messages");
    assert!(
        matches!(error, Error::Http { status: 400, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("messages"), "{error}");
}
