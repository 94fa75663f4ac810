//! Tools end to end through the facade: `#[respan_tool]` functions (their
//! request bodies equal to the Python Agents SDK's goldens), and TOML
//! workflows whose `[tools.<name>]` bind them, run against the fake gateway.

use respan::testing::{FakeGateway, FakeResponse};
use respan::{Agent, AgentSet, Args, Gateway, Runner, Tool, ToolFn, respan_tool};
use serde_json::{Value, json};

/// The Python SDK's default model in the goldens.
const GOLDEN_MODEL: &str = "gpt-5.6-luna";

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

/// A golden request body, without what the SDK adds only because no model was
/// named (its own default model's `reasoning_effort` and `verbosity`).
fn golden_body(scenario: &str, n: usize) -> Value {
    let path = format!(
        "{}/respan-runtime/tests/golden/{scenario}/request-{n}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut body = serde_json::from_str::<Value>(&text).expect("golden")["body"].clone();
    let map = body.as_object_mut().expect("object");
    map.remove("reasoning_effort");
    map.remove("verbosity");
    body
}

/// Get the current weather for a city.
#[respan_tool]
fn get_weather(
    /// The city name.
    city: String,
) -> String {
    format!("Sunny in {city}")
}

/// Get the local time in a city.
#[respan_tool]
async fn get_time(city: String) -> String {
    format!("12:00 in {city}")
}

#[tokio::test]
async fn c_function_tool_equals_the_sdk() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "get_weather",
        r#"{"city": "Paris"}"#,
    )]));
    fake.push_text("It is sunny in Paris.");
    let agents = AgentSet::new("Weather").agent(
        Agent::new("Weather", "Weather")
            .instructions("Answer weather questions.")
            .tool(<get_weather as ToolFn>::tool()),
    );
    let result = respan::run(&gateway, &agents, "Weather in Paris?")
        .await
        .expect("run");
    let bodies = fake.bodies();
    assert_eq!(bodies[0], golden_body("c-function-tool", 1));
    assert_eq!(bodies[1], golden_body("c-function-tool", 2));
    assert_eq!(result.final_output, "It is sunny in Paris.");
}

#[tokio::test]
async fn i_two_tools_equal_the_sdk() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("get_weather", r#"{"city": "Paris"}"#),
        ("get_time", r#"{"city": "Rome"}"#),
    ]));
    fake.push_text("both");
    let agents = AgentSet::new("W").agent(
        Agent::new("W", "W")
            .instructions("x")
            .tool(<get_weather as ToolFn>::tool())
            .tool(<get_time as ToolFn>::tool()),
    );
    respan::run(&gateway, &agents, "hi").await.expect("run");
    let bodies = fake.bodies();
    assert_eq!(bodies[0], golden_body("i-two-tools", 1));
    assert_eq!(bodies[1], golden_body("i-two-tools", 2));
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(crate = "respan::__private::serde")]
#[schemars(crate = "respan::__private::schemars")]
struct Search {
    /// What to look for.
    query: String,
    limit: u32,
}

/// Searches the catalogue.
#[respan_tool(
    name = "catalogue_search",
    description = "Finds products.",
    timeout_secs = 3
)]
fn search(Args(search): Args<Search>) -> Vec<String> {
    (0..search.limit)
        .map(|i| format!("{} #{i}", search.query))
        .collect()
}

/// Divides two numbers.
#[respan_tool]
fn divide(a: i64, b: i64) -> Result<i64, String> {
    if b == 0 {
        Err("cannot divide by zero".into())
    } else {
        Ok(a / b)
    }
}

#[test]
fn attribute_arguments_have_their_effect() {
    let tool = <search as ToolFn>::tool();
    assert_eq!(<search as ToolFn>::NAME, "catalogue_search");
    assert_eq!(Tool::<()>::name(&tool), "catalogue_search");
    assert_eq!(Tool::<()>::description(&tool), "Finds products.");
    assert_eq!(
        Tool::<()>::timeout(&tool),
        std::time::Duration::from_secs(3)
    );
    assert_eq!(
        Tool::<()>::parameters(&tool),
        json!({
            "type": "object",
            "title": "Search",
            "properties": {
                "query": {"type": "string", "description": "What to look for."},
                "limit": {"type": "integer", "minimum": 0}
            },
            "required": ["query", "limit"],
            "additionalProperties": false
        })
    );
    // Still an ordinary function.
    assert_eq!(
        search(Args(Search {
            query: "tea".into(),
            limit: 1
        })),
        ["tea #0"]
    );
    assert_eq!(
        Tool::<()>::timeout(&<divide as ToolFn>::tool()),
        respan::DEFAULT_TOOL_TIMEOUT
    );
}

#[tokio::test]
async fn args_serialized_output_and_errors_reach_the_model() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("catalogue_search", r#"{"query": "tea", "limit": 2}"#),
        ("divide", r#"{"a": 1, "b": 0}"#),
        ("divide", r#"{"a": 9, "b": 3}"#),
        ("divide", r#"{"a": "x"}"#),
    ]));
    fake.push_text("done");
    let agents = AgentSet::new("A").agent(
        Agent::new("A", "A")
            .instructions("x")
            .tool(<search as ToolFn>::tool())
            .tool(<divide as ToolFn>::tool()),
    );
    Runner::new()
        .run(&gateway, &agents, "go")
        .await
        .expect("run");
    let messages = fake.bodies()[1]["messages"].clone();
    let results: Vec<&str> = messages
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().expect("text"))
        .collect();
    assert_eq!(results[0], r#"["tea #0","tea #1"]"#);
    assert!(
        results[1].contains("cannot divide by zero"),
        "{}",
        results[1]
    );
    assert_eq!(results[2], "3");
    assert!(results[3].contains("invalid"), "{}", results[3]);
}

/// A TOML workflow whose tools are `#[respan_tool]` functions, one reading the
/// run's context.
mod shop_workflow {
    use super::*;

    respan::workflow!("tests/fixtures/shop.toml");

    /// The application's state the tools read.
    pub struct Shop {
        pub invoices: Vec<(String, u64)>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
    #[serde(crate = "respan::__private::serde")]
    #[schemars(crate = "respan::__private::schemars")]
    pub struct Invoice {
        id: String,
        amount_cents: u64,
    }

    /// The doc comment (the file's description wins).
    #[respan_tool]
    async fn lookup_invoice(shop: &Shop, id: String) -> Result<u64, String> {
        shop.invoices
            .iter()
            .find(|(known, _)| *known == id)
            .map(|(_, cents)| *cents)
            .ok_or_else(|| format!("no invoice {id}"))
    }

    mod stock {
        /// Whether an item is in stock.
        #[respan::respan_tool]
        pub fn in_stock(item: String) -> bool {
            item == "tea"
        }
    }

    fn shop() -> Shop {
        Shop {
            invoices: vec![("A1".into(), 4200)],
        }
    }

    #[tokio::test]
    async fn context_tools_run_and_the_output_is_typed() {
        let (fake, gateway) = fake().await;
        fake.push(FakeResponse::tool_calls([(
            "lookup_invoice",
            r#"{"id": "A1"}"#,
        )]));
        fake.push_text(r#"{"id": "A1", "amount_cents": 4200}"#);
        let workflow = shop::Workflow::with_context(shop::Vars {});
        let result = workflow
            .run_with(&gateway, "How much is A1?", &shop())
            .await
            .expect("run");
        let bodies = fake.bodies();
        assert_eq!(
            bodies[0]["tools"][0],
            json!({
                "type": "function",
                "function": {
                    "name": "lookup_invoice",
                    "description": "Looks an invoice up by its id.",
                    "parameters": {
                        "type": "object",
                        "title": "lookup_invoice_args",
                        "properties": {"id": {"type": "string", "title": "Id"}},
                        "required": ["id"],
                        "additionalProperties": false
                    },
                    "strict": true
                }
            })
        );
        assert_eq!(
            bodies[0]["response_format"]["json_schema"]["schema"]["required"],
            json!(["id", "amount_cents"])
        );
        let messages = bodies[1]["messages"].as_array().expect("messages");
        assert_eq!(messages.last().expect("tool result")["content"], "4200");
        match result.final_output {
            shop::Output::Billing(invoice) => assert_eq!(
                invoice,
                Invoice {
                    id: "A1".into(),
                    amount_cents: 4200
                }
            ),
            shop::Output::Clerk(text) => panic!("clerk answered: {text}"),
        }
    }

    #[tokio::test]
    async fn a_streamed_run_completes_with_the_typed_output() {
        let (fake, gateway) = fake().await;
        fake.push(FakeResponse::tool_calls([(
            "lookup_invoice",
            r#"{"id": "A1"}"#,
        )]));
        fake.push_text(r#"{"id": "A1", "amount_cents": 4200}"#);
        let workflow = shop::Workflow::with_context(shop::Vars {});
        let shop = shop();
        let mut stream = workflow.run_streamed_with(&gateway, "How much is A1?", &shop);
        let mut names = Vec::new();
        let mut text = String::new();
        let result = loop {
            match stream
                .next_event()
                .await
                .expect("an event")
                .expect("no error")
            {
                respan::RunEvent::Completed(result) => break *result,
                respan::RunEvent::TextDelta { delta, .. } => text.push_str(&delta),
                event => names.push(event.sdk_name()),
            }
        };
        assert!(
            stream.next_event().await.is_none(),
            "Completed is the last event"
        );
        assert_eq!(
            names,
            [
                "agent_updated_stream_event",
                "raw_response_event",
                "raw_response_event",
                "raw_response_event",
                "tool_called",
                "tool_output",
                "message_output_created",
            ]
        );
        assert_eq!(text, r#"{"id": "A1", "amount_cents": 4200}"#);
        assert_eq!(result.last_agent, shop::Agent::Billing);
        assert_eq!(result.usage.requests, 2);
        match result.final_output {
            shop::Output::Billing(invoice) => assert_eq!(
                invoice,
                Invoice {
                    id: "A1".into(),
                    amount_cents: 4200
                }
            ),
            shop::Output::Clerk(text) => panic!("clerk answered: {text}"),
        }

        // A tool's result that stops the run is the typed output too.
        fake.push(FakeResponse::tool_calls([("transfer_to_clerk", "{}")]));
        fake.push(FakeResponse::tool_calls([(
            "in_stock",
            r#"{"item": "tea"}"#,
        )]));
        let result = workflow
            .run_streamed_with(&gateway, "Tea?", &shop)
            .into_result()
            .await
            .expect("run");
        assert!(matches!(&result.final_output, shop::Output::Clerk(text) if text == "true"));
    }

    #[tokio::test]
    async fn a_streamed_answer_that_is_not_the_output_type_ends_the_stream_with_an_error() {
        let (fake, gateway) = fake().await;
        fake.push_text("It costs 42 euros.");
        let workflow = shop::Workflow::with_context(shop::Vars {});
        let shop = shop();
        let mut stream = workflow.run_streamed_with(&gateway, "How much is A1?", &shop);
        let mut last = None;
        while let Some(item) = stream.next_event().await {
            last = Some(item);
        }
        match last {
            Some(Err(respan::Error::InvalidOutput { agent, source })) => {
                assert_eq!(agent, "Billing");
                assert_eq!(source.raw, "It costs 42 euros.");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn stop_on_first_tool_from_the_file() {
        let (fake, gateway) = fake().await;
        fake.push(FakeResponse::tool_calls([("transfer_to_clerk", "{}")]));
        fake.push(FakeResponse::tool_calls([(
            "in_stock",
            r#"{"item": "tea"}"#,
        )]));
        let workflow = shop::Workflow::with_context(shop::Vars {});
        let result = workflow
            .run_with(&gateway, "Tea?", &shop())
            .await
            .expect("run");
        assert_eq!(fake.requests().len(), 2, "the model is not asked again");
        assert_eq!(result.last_agent, shop::Agent::Clerk);
        assert!(matches!(&result.final_output, shop::Output::Clerk(text) if text == "true"));
        assert_eq!(result.final_output.to_string(), "true");
    }
}

/// `tests/fixtures/desk.toml`: `rust`, `parameters`, `timeout_secs`,
/// `stop_at_tools` and `output.schema`, each with its effect.
mod desk {
    use super::*;

    respan::workflow!("tests/fixtures/desk.toml");

    mod desk_tools {
        #[derive(serde::Serialize)]
        pub struct Filed {
            pub filed: bool,
            pub subject: String,
        }

        /// Files a ticket.
        #[respan::respan_tool]
        pub fn file(subject: String) -> Filed {
            Filed {
                filed: true,
                subject,
            }
        }
    }

    /// Never answers in time.
    #[respan::respan_tool]
    async fn slow_lookup(what: String) -> String {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        what
    }

    /// Counts (its file's `parameters` say `n` is a string: they disagree).
    #[respan::respan_tool]
    fn count(n: u32) -> u32 {
        n
    }

    #[tokio::test]
    async fn tool_keys_of_the_file_have_their_effect() {
        let (fake, gateway) = fake().await;
        let workflow = desk::Workflow::new(desk::Vars {});
        // `count`'s declared parameters disagree with the function: an error that
        // names the file and line, before any request.
        let error = workflow
            .run(&gateway, "hi")
            .await
            .expect_err("parameters disagree");
        let text = error.to_string();
        assert!(text.contains("tests/fixtures/desk.toml:25"), "{text}");
        assert!(text.contains("`count`"), "{text}");
        assert!(fake.requests().is_empty());

        // Without `count`, the rest runs: `slow_lookup` times out after 50 ms,
        // `file_ticket` (bound by `rust`) stops the run with its result.
        let workflow = workflow.with_agent(desk::Agent::Desk, |agent| {
            let kept: Vec<_> = agent
                .tools()
                .iter()
                .filter(|tool| tool.name() != "count")
                .cloned()
                .collect();
            let mut rebuilt = respan::Agent::new(desk::Agent::Desk, agent.name())
                .instructions("File tickets.")
                .tool_use_behavior(agent.tool_use().clone());
            if let Some(output) = agent.output_type() {
                rebuilt = rebuilt.output_type_value(output.clone());
            }
            kept.into_iter()
                .fold(rebuilt, |agent, tool| agent.tool_arc(tool))
        });
        fake.push(FakeResponse::tool_calls([(
            "slow_lookup",
            r#"{"what": "x"}"#,
        )]));
        fake.push(FakeResponse::tool_calls([(
            "file_ticket",
            r#"{"subject": "printer"}"#,
        )]));
        let result = workflow.run(&gateway, "file it").await.expect("run");
        let bodies = fake.bodies();
        assert_eq!(bodies.len(), 2, "stop_at_tools: no third request");
        let tools = bodies[0]["tools"].as_array().expect("tools");
        assert_eq!(tools[0]["function"]["name"], "file_ticket");
        assert_eq!(tools[0]["function"]["description"], "Files a ticket.");
        assert_eq!(
            tools[1]["function"]["description"],
            "Looks something up, slowly."
        );
        assert_eq!(
            bodies[0]["response_format"]["json_schema"]["schema"]["required"],
            json!(["filed", "subject"])
        );
        let timed_out = &bodies[1]["messages"]
            .as_array()
            .expect("messages")
            .last()
            .unwrap()["content"];
        assert_eq!(
            timed_out,
            &json!(format!(
                "{} Error: the tool did not finish within 0.05 s",
                respan::TOOL_ERROR_MESSAGE
            ))
        );
        match result.final_output {
            // The tool's result that ended the run, a value of the output schema.
            desk::Output::Desk(value) => {
                assert_eq!(value, json!({"filed": true, "subject": "printer"}))
            }
        }
    }
}
