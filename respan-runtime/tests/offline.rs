//! The offline gateway: what it answers for the guide's scenarios, over real HTTP.

mod common;

use respan_offline::OfflineExt as _;
use respan_offline::OfflineGateway;
use std::net::SocketAddr;

use common::*;
use futures_util::StreamExt as _;
use respan_runtime::{
    Agent, AgentSet, Error, FunctionTool, Gateway, GatewayPrompt, ModelSettings, Placement,
    RespanParams, RunEvent, RunItem,
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

/// The runtime sends the offline gateway exactly what it sends any gateway: the
/// same run through a `Gateway` that does not know it is offline answers the same.
#[tokio::test]
async fn the_runtime_sends_the_offline_gateway_nothing_special() {
    let server = OfflineGateway::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let offline = server.gateway().expect("gateway");
    let plain = Gateway::new(server.base_url(), "x").expect("gateway");
    assert!(offline.is_offline() && !plain.is_offline());
    for question in [
        "I'm having trouble connecting to the API.",
        "Why was my card charged twice for the same payment?",
        "Hello",
    ] {
        let run = |gateway: Gateway| async move {
            respan_runtime::run(&gateway, &support_agents(), question)
                .await
                .expect("run")
        };
        let (a, b) = (run(offline.clone()).await, run(plain.clone()).await);
        assert_eq!(a.final_output, b.final_output);
        assert_eq!(a.last_agent, b.last_agent);
    }
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
    // The entry agent's name is not in the request: it is named by its instructions.
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

// ---- tools and structured output, from the request alone ----

/// `lookup_invoice`'s arguments (the tool's strict schema, as Rust).
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceQuery {
    invoice_id: u32,
    currency: Currency,
    customer: Customer,
    note: Option<String>,
}

#[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Currency {
    Usd,
    Eur,
    Gbp,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Customer {
    name: String,
    vip: bool,
    address: Address,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Address {
    city: String,
    zip: String,
}

/// A strict tool with an integer id, an enum, a nested object (with a `$ref`)
/// and an option; it answers JSON.
fn lookup_invoice() -> FunctionTool {
    FunctionTool::sync(
        "lookup_invoice",
        "Look up an invoice by its id.",
        json!({
            "type": "object",
            "properties": {
                "invoice_id": {"type": "integer", "minimum": 1, "description": "The invoice number."},
                "currency": {"type": "string", "enum": ["usd", "eur", "gbp"]},
                "customer": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "vip": {"type": "boolean"},
                        "address": {"$ref": "#/$defs/Address"}
                    },
                    "required": ["name", "vip", "address"],
                    "additionalProperties": false
                },
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]}
            },
            "required": ["invoice_id", "currency", "customer", "note"],
            "additionalProperties": false,
            "$defs": {"Address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                "required": ["city", "zip"],
                "additionalProperties": false
            }}
        }),
        |args| {
            let query: InvoiceQuery = serde_json::from_value(args)?;
            Ok(
                json!({"id": query.invoice_id, "currency": query.currency, "total": "120.00"})
                    .to_string(),
            )
        },
    )
}

fn billing() -> AgentSet {
    AgentSet::new("Billing Agent".to_string()).agent(
        Agent::named("Billing Agent")
            .instructions("Answer billing questions with the invoice tool.")
            .model("gpt-4o")
            .tool(lookup_invoice()),
    )
}

const INVOICE_QUESTION: &str = "Why is invoice 42 for \"ACME Corp\" billed in EUR?";

const INVOICE_ANSWER: &str = "[respan offline gateway · model gpt-4o · agent instructed \
    “Answer billing questions with the invoice tool.”] lookup_invoice returned {\"id\":42,\"currency\":\"eur\",\"total\":\"120.00\"}. \
    Set RESPAN_API_KEY to use the real gateway.";

fn expected_invoice_query() -> InvoiceQuery {
    InvoiceQuery {
        invoice_id: 42,
        currency: Currency::Eur,
        customer: Customer {
            name: "ACME Corp".into(),
            vip: true,
            address: Address {
                city: "example".into(),
                zip: "example".into(),
            },
        },
        note: Some("example".into()),
    }
}

fn tool_calls(items: &[RunItem<String>]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| match i {
            RunItem::ToolCall { call, .. } => Some(call.function.arguments.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn it_calls_the_relevant_tool_with_arguments_valid_for_its_schema() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let result = respan_runtime::run(&gateway, &billing(), INVOICE_QUESTION)
        .await
        .expect("run");
    let kinds: Vec<&str> = result.new_items.iter().map(RunItem::kind).collect();
    assert_eq!(
        kinds,
        ["ToolCallItem", "ToolCallOutputItem", "MessageOutputItem"]
    );
    let calls = tool_calls(&result.new_items);
    assert_eq!(calls.len(), 1, "called once");
    let query: InvoiceQuery = serde_json::from_str(&calls[0]).expect("arguments of the schema");
    assert_eq!(query, expected_invoice_query());
    assert_eq!(result.final_output, INVOICE_ANSWER);
    assert_eq!(result.usage.requests, 2);
}

#[tokio::test]
async fn the_tool_run_streams_the_same() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let agents = billing();
    let mut stream = respan_runtime::run_streamed(&gateway, &agents, INVOICE_QUESTION);
    let mut deltas = Vec::new();
    let mut result = None;
    while let Some(event) = stream.next().await {
        match event.expect("event") {
            RunEvent::TextDelta { delta, .. } => deltas.push(delta),
            RunEvent::Completed(r) => result = Some(r),
            _ => {}
        }
    }
    let result = result.expect("completed");
    assert!(deltas.len() > 5, "{deltas:?}");
    assert_eq!(deltas.concat(), INVOICE_ANSWER);
    assert_eq!(result.final_output, INVOICE_ANSWER);
    let calls = tool_calls(&result.new_items);
    assert_eq!(calls.len(), 1);
    let query: InvoiceQuery = serde_json::from_str(&calls[0]).expect("arguments of the schema");
    assert_eq!(query, expected_invoice_query());
}

#[tokio::test]
async fn after_a_handoff_the_new_agent_calls_its_tool() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let agents = support_agents().agent(
        Agent::named("Billing Agent")
            .instructions("Handle billing and payment questions.")
            .handoff_description("Billing and payment questions")
            .model("gpt-4o")
            .tool(lookup_invoice()),
    );
    let result = respan_runtime::run(
        &gateway,
        &agents,
        "The payment for invoice 7 was taken in gbp twice.",
    )
    .await
    .expect("run");
    let kinds: Vec<&str> = result.new_items.iter().map(RunItem::kind).collect();
    assert_eq!(
        kinds,
        [
            "HandoffCallItem",
            "HandoffOutputItem",
            "ToolCallItem",
            "ToolCallOutputItem",
            "MessageOutputItem"
        ]
    );
    let query: InvoiceQuery =
        serde_json::from_str(&tool_calls(&result.new_items)[0]).expect("arguments");
    assert_eq!((query.invoice_id, query.currency), (7, Currency::Gbp));
    assert_eq!(result.last_agent, "Billing Agent");
    assert!(
        result.final_output.contains(
            "agent Billing Agent] lookup_invoice returned {\"id\":7,\"currency\":\"gbp\","
        ),
        "{}",
        result.final_output
    );
}

#[tokio::test]
async fn a_message_naming_nothing_still_calls_the_only_tool() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let agents = AgentSet::new("Weather".to_string()).agent(
        Agent::named("Weather")
            .instructions("Answer weather questions.")
            .model("gpt-4o")
            .tool(get_weather()),
    );
    let result = respan_runtime::run(&gateway, &agents, "Hello there")
        .await
        .expect("run");
    assert_eq!(tool_calls(&result.new_items), [r#"{"city":"example"}"#]);
    assert_eq!(
        result.final_output,
        "[respan offline gateway · model gpt-4o · agent instructed “Answer weather questions.”] get_weather returned \
         “Sunny in example”. Set RESPAN_API_KEY to use the real gateway."
    );
}

/// A structured output with required fields of several types.
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Triage {
    summary: String,
    category: Category,
    priority: u8,
    confidence: f64,
    tags: Vec<String>,
    ticket: Option<u64>,
    needs_human: bool,
    contact: Contact,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Category {
    Technical,
    Billing,
    Other,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Contact {
    email: String,
    since: String,
}

fn triage_agents() -> AgentSet {
    let schema = json!({
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "category": {"type": "string", "enum": ["technical", "billing", "other"]},
            "priority": {"type": "integer", "minimum": 1, "maximum": 5},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "tags": {"type": "array", "items": {"type": "string"}},
            "ticket": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "needs_human": {"type": "boolean"},
            "contact": {
                "type": "object",
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "since": {"type": "string", "format": "date"}
                },
                "required": ["email", "since"],
                "additionalProperties": false
            }
        },
        "required": ["summary", "category", "priority", "confidence", "tags", "ticket",
                     "needs_human", "contact"],
        "additionalProperties": false
    });
    AgentSet::new("Triage".to_string()).agent(
        Agent::named("Triage")
            .instructions("Triage the request.")
            .model("gpt-4o")
            .model_settings(ModelSettings {
                response_format: Some(json!({"type": "json_schema", "json_schema": {
                    "name": "Triage", "schema": schema, "strict": true}})),
                ..Default::default()
            }),
    )
}

const TRIAGE_QUESTION: &str =
    "Billing problem: my card was charged twice. Reach me at ada@example.org.";

fn expected_triage() -> Triage {
    Triage {
        summary: format!(
            "[respan offline gateway · model gpt-4o · agent instructed “Triage the request.”] You said “{TRIAGE_QUESTION}”; \
             a real model would answer here."
        ),
        category: Category::Billing,
        priority: 1,
        confidence: 1.0,
        tags: vec!["offline example".into()],
        ticket: Some(1),
        needs_human: true,
        contact: Contact {
            email: "ada@example.org".into(),
            since: "2024-01-01".into(),
        },
    }
}

#[tokio::test]
async fn structured_output_is_a_value_of_the_schema() {
    let gateway = OfflineGateway::start().await.expect("offline");
    let result = respan_runtime::run(&gateway, &triage_agents(), TRIAGE_QUESTION)
        .await
        .expect("run");
    let triage: Triage = result.parse_output().expect("a value of the schema");
    assert_eq!(triage, expected_triage());

    let streamed = respan_runtime::run_streamed(&gateway, &triage_agents(), TRIAGE_QUESTION)
        .into_result()
        .await
        .expect("streamed run");
    assert_eq!(streamed.final_output, result.final_output);

    let agents =
        AgentSet::new("J".to_string()).agent(Agent::named("J").model_settings(ModelSettings {
            response_format: Some(json!({"type": "json_object"})),
            ..Default::default()
        }));
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    let value: serde_json::Value = result.parse_output().expect("JSON");
    assert!(
        value["answer"]
            .as_str()
            .is_some_and(|a| a.contains("offline gateway"))
    );
}

/// One streamed chat completion, as the raw `data:` events.
async fn raw_stream(addr: SocketAddr, body: &serde_json::Value) -> Vec<String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let body = body.to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /api/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn streamed_tool_calls_come_in_fragments_on_the_wire() {
    let server = OfflineGateway::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let tool = json!({"type": "function", "function": {"name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"], "additionalProperties": false}}});
    let events = raw_stream(
        server.local_addr(),
        &json!({"model": "m", "stream": true, "tools": [tool],
                "messages": [{"role": "user", "content": "Weather in Paris?"}]}),
    )
    .await;
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<serde_json::Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).expect("JSON chunk"))
        .collect();
    let parts: Vec<&serde_json::Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert!(parts.len() >= 3, "{parts:?}");
    assert_eq!(parts[0]["id"], "call_0_0");
    assert_eq!(parts[0]["function"]["name"], "get_weather");
    assert!(
        parts[1..].iter().all(|p| p.get("id").is_none()
            && p["function"].get("name").is_none()
            && p["index"] == 0)
    );
    let arguments: String = parts
        .iter()
        .filter_map(|p| p["function"]["arguments"].as_str())
        .collect();
    assert_eq!(arguments, r#"{"city":"Paris"}"#);
    let finish: Vec<&str> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["tool_calls"]);
}
