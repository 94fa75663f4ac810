//! Tools with a run context, per-tool timeouts, `tool_use_behavior`, and
//! structured output, against the scripted fake gateway.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::{
    Agent, AgentSet, Error, FunctionTool, Gateway, OutputType, Runner, TOOL_ERROR_MESSAGE,
    ToolUseBehavior,
};
use serde_json::{Value, json};

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake.gateway().expect("gateway");
    (fake, gateway)
}

fn no_args() -> Value {
    json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false})
}

/// The application state tools read.
struct Shop {
    calls: AtomicUsize,
    owner: String,
}

#[tokio::test]
async fn tools_read_the_run_context() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("owner", "{}"), ("owner", "{}")]));
    fake.push_text("done");
    let owner =
        FunctionTool::with_context("owner", "The shop's owner.", no_args(), |shop: &Shop, _| {
            shop.calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(shop.owner.clone()))
        });
    let agents = AgentSet::new("Clerk".to_string())
        .context::<Shop>()
        .agent(Agent::named("Clerk").context::<Shop>().tool(owner));
    let shop = Shop {
        calls: AtomicUsize::new(0),
        owner: "Ada".into(),
    };
    let result = Runner::new()
        .run_with(&gateway, &agents, "who owns it?", &shop)
        .await
        .expect("run");
    assert_eq!(result.final_output, "done");
    assert_eq!(shop.calls.load(Ordering::SeqCst), 2);
    let messages = &fake.requests()[1].body["messages"];
    // No instructions, so no system message: user, assistant, then the results.
    assert_eq!(messages[2]["content"], "Ada");
    assert_eq!(messages[3]["content"], "Ada");
}

#[tokio::test]
async fn context_free_tools_keep_working_in_a_set_with_a_context() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("ping", "{}")]));
    fake.push_text("done");
    // Added before `.context::<Shop>()`: the tool ignores the context.
    let agents = AgentSet::new("A".to_string()).context::<Shop>().agent(
        Agent::named("A")
            .tool(FunctionTool::sync("ping", "d", no_args(), |_| {
                Ok("pong".into())
            }))
            .context::<Shop>(),
    );
    let shop = Shop {
        calls: AtomicUsize::new(0),
        owner: String::new(),
    };
    Runner::new()
        .run_with(&gateway, &agents, "hi", &shop)
        .await
        .expect("run");
    assert_eq!(fake.requests()[1].body["messages"][2]["content"], "pong");
}

#[tokio::test]
async fn a_slow_tool_times_out_and_the_model_is_told() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("slow", "{}"), ("quick", "{}")]));
    fake.push_text("sorry");
    let slow = FunctionTool::new("slow", "d", no_args(), |_| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok("never".to_string())
    })
    .timeout(Duration::from_millis(50));
    let quick = FunctionTool::sync("quick", "d", no_args(), |_| Ok("fast".into()));
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").tool(slow).tool(quick));
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "sorry");
    let messages = &fake.requests()[1].body["messages"];
    assert_eq!(
        messages[2]["content"],
        format!("{TOOL_ERROR_MESSAGE} Error: the tool did not finish within 0.05 s")
    );
    assert_eq!(
        messages[3]["content"], "fast",
        "the other tool's result is kept"
    );
}

#[tokio::test]
async fn stop_on_first_tool_makes_its_result_final() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("first", "{}"),
        ("second", "{}"),
    ]));
    let agents = AgentSet::new("A".to_string()).agent(
        Agent::named("A")
            .tool(FunctionTool::sync("first", "d", no_args(), |_| {
                Ok("one".into())
            }))
            .tool(FunctionTool::sync("second", "d", no_args(), |_| {
                Ok("two".into())
            }))
            .tool_use_behavior(ToolUseBehavior::StopOnFirstTool),
    );
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "one");
    assert_eq!(fake.requests().len(), 1, "the model is not asked again");
    assert_eq!(result.last_agent, "A");
}

#[tokio::test]
async fn stop_at_tools_stops_only_at_the_named_tools() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("search", "{}")]));
    fake.push(FakeResponse::tool_calls([
        ("search", "{}"),
        ("answer", "{}"),
    ]));
    let agents = AgentSet::new("A".to_string()).agent(
        Agent::named("A")
            .tool(FunctionTool::sync("search", "d", no_args(), |_| {
                Ok("hits".into())
            }))
            .tool(FunctionTool::sync("answer", "d", no_args(), |_| {
                Ok("42".into())
            }))
            .tool_use_behavior(ToolUseBehavior::StopAtTools(vec!["answer".into()])),
    );
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "42");
    assert_eq!(fake.requests().len(), 2);

    // Naming a tool the agent does not have is an error before any request.
    let (fake, gateway) = self::fake().await;
    let wrong = AgentSet::new("A".to_string()).agent(
        Agent::named("A").tool_use_behavior(ToolUseBehavior::StopAtTools(vec!["nope".into()])),
    );
    let error = respan_runtime::run(&gateway, &wrong, "hi")
        .await
        .expect_err("unknown tool");
    assert!(matches!(error, Error::AgentSet(_)), "{error}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_handoff_wins_over_a_tool_stop() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("first", "{}"),
        ("transfer_to_b", "{}"),
    ]));
    fake.push_text("from b");
    let agents = AgentSet::new("A".to_string())
        .agent(
            Agent::named("A")
                .tool(FunctionTool::sync("first", "d", no_args(), |_| {
                    Ok("one".into())
                }))
                .handoff(String::from("B"))
                .tool_use_behavior(ToolUseBehavior::StopOnFirstTool),
        )
        .agent(Agent::named("B"));
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "from b");
    assert_eq!(result.last_agent, "B");
}

#[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
struct Invoice {
    /// The invoice number.
    id: String,
    amount_cents: u64,
}

#[tokio::test]
async fn structured_output_sends_the_strict_schema_and_types_the_answer() {
    let (fake, gateway) = fake().await;
    fake.push_text(r#"{"id": "INV-42", "amount_cents": 1250}"#);
    let agents =
        AgentSet::new("Billing".to_string()).agent(Agent::named("Billing").output::<Invoice>());
    let result = respan_runtime::run(&gateway, &agents, "my invoice")
        .await
        .expect("run");
    assert_eq!(
        fake.requests()[0].body["response_format"],
        json!({
            "type": "json_schema",
            "json_schema": {
                "name": "final_output",
                "schema": {
                    "title": "Invoice",
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": "The invoice number."},
                        "amount_cents": {"type": "integer", "minimum": 0}
                    },
                    "required": ["id", "amount_cents"],
                    "additionalProperties": false
                },
                "strict": true
            }
        })
    );
    assert_eq!(
        result.output::<Invoice>().expect("typed"),
        Invoice {
            id: "INV-42".into(),
            amount_cents: 1250
        }
    );
    assert_eq!(
        result.output_value,
        Some(json!({"id": "INV-42", "amount_cents": 1250}))
    );
}

#[tokio::test]
async fn an_answer_that_is_not_the_output_type_is_a_typed_error_with_the_text() {
    let (fake, gateway) = fake().await;
    fake.push_text("Sorry, I cannot find that invoice.");
    let agents =
        AgentSet::new("Billing".to_string()).agent(Agent::named("Billing").output::<Invoice>());
    let error = respan_runtime::run(&gateway, &agents, "my invoice")
        .await
        .expect_err("not an invoice");
    match error {
        Error::InvalidOutput { agent, source } => {
            assert_eq!(agent, "Billing");
            assert_eq!(source.raw, "Sorry, I cannot find that invoice.");
        }
        other => panic!("unexpected {other:?}"),
    }

    // Valid JSON of the wrong shape for the Rust type is the same error.
    fake.push_text(r#"{"id": "INV-42", "amount_cents": -5}"#);
    let error = respan_runtime::run(&gateway, &agents, "my invoice")
        .await
        .expect_err("negative amount");
    assert!(matches!(error, Error::InvalidOutput { .. }), "{error}");
}

#[tokio::test]
async fn a_bare_schema_output_gives_a_json_value() {
    let (fake, gateway) = fake().await;
    fake.push_text(r#"{"sunny": true}"#);
    let agents = AgentSet::new("W".to_string()).agent(Agent::named("W").output_type_value(
        OutputType::from_schema(
            json!({"type": "object", "properties": {"sunny": {"type": "boolean"}}}),
        ),
    ));
    let result = respan_runtime::run(&gateway, &agents, "sunny?")
        .await
        .expect("run");
    assert_eq!(result.output_value, Some(json!({"sunny": true})));
    let sent = &fake.requests()[0].body["response_format"]["json_schema"]["schema"];
    assert_eq!(sent["required"], json!(["sunny"]));
    assert_eq!(sent["additionalProperties"], false);
}

#[tokio::test]
async fn an_explicit_response_format_wins_over_the_output_type() {
    let (fake, gateway) = fake().await;
    fake.push_text(r#"{"id": "x", "amount_cents": 1}"#);
    let agents =
        AgentSet::new("B".to_string()).agent(Agent::named("B").output::<Invoice>().model_settings(
            respan_runtime::ModelSettings {
                response_format: Some(json!({"type": "json_object"})),
                ..Default::default()
            },
        ));
    respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(
        fake.requests()[0].body["response_format"],
        json!({"type": "json_object"})
    );
}

#[tokio::test]
async fn declared_parameters_that_disagree_fail_before_any_request() {
    let (fake, gateway) = fake().await;
    let tool = FunctionTool::sync(
        "lookup",
        "d",
        json!({"type": "object", "properties": {"id": {"type": "string"}}}),
        |_| Ok(String::new()),
    )
    .declared_parameters(
        json!({"type": "object", "properties": {"id": {"type": "integer"}}}),
        "workflows/shop.toml:12",
    );
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").tool(tool));
    let error = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect_err("disagree");
    let text = error.to_string();
    assert!(text.contains("workflows/shop.toml:12"), "{text}");
    assert!(text.contains("$.properties.id.type"), "{text}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn fenced_json_with_quoted_numbers_is_recovered() {
    let (fake, gateway) = fake().await;
    // What some routes answer when they ignore response_format.
    fake.push_text(
        "Here is the invoice you asked for:\n```json\n{\"id\": \"INV-42\", \"amount_cents\": \"1250\"}\n```\nAnything else?",
    );
    let agents =
        AgentSet::new("Billing".to_string()).agent(Agent::named("Billing").output::<Invoice>());
    let result = respan_runtime::run(&gateway, &agents, "my invoice")
        .await
        .expect("recovered");
    assert_eq!(
        result.output::<Invoice>().expect("typed"),
        Invoice {
            id: "INV-42".into(),
            amount_cents: 1250
        }
    );
    assert!(
        result.final_output.starts_with("Here is the invoice"),
        "the raw text is kept"
    );
}
