//! Dynamic instructions through the builder: `Agent::instructions_fn` and
//! `Agent::instructions_async` compute the system message before each model
//! request from the run's context and the agent.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use respan::testing::{FakeGateway, FakeResponse};
use respan::{Agent, AgentSet, Error, Runner};

struct Shop {
    name: &'static str,
    /// Bumped by each computation, so each turn's instructions differ.
    turn: AtomicUsize,
}

fn clerk_instructions(shop: &Shop, agent: &Agent<String, Shop>) -> String {
    let turn = shop.turn.fetch_add(1, Ordering::SeqCst);
    format!("You are {} at {} (turn {turn}).", agent.name(), shop.name)
}

fn system_messages(fake: &FakeGateway) -> Vec<String> {
    fake.bodies()
        .iter()
        .map(|body| {
            body["messages"][0]["content"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn the_system_message_is_computed_per_turn_from_the_context() {
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    let agents = AgentSet::new("Clerk".to_string())
        .context::<Shop>()
        .agent(
            Agent::named("Clerk")
                .context::<Shop>()
                .instructions_fn(clerk_instructions)
                .tool(respan::FunctionTool::sync(
                    "stock",
                    "Items in stock.",
                    serde_json::json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
                    |_| Ok("3 left".to_string()),
                )),
        );
    for name in ["Corner Shop", "Big Store"] {
        fake.push(FakeResponse::tool_calls([("stock", "{}")]));
        fake.push_text("3 left.");
        let shop = Shop {
            name,
            turn: AtomicUsize::new(0),
        };
        Runner::new()
            .run_with(&gateway, &agents, "Any left?", &shop)
            .await
            .expect("run");
    }
    assert_eq!(
        system_messages(&fake),
        [
            "You are Clerk at Corner Shop (turn 0).",
            "You are Clerk at Corner Shop (turn 1).",
            "You are Clerk at Big Store (turn 0).",
            "You are Clerk at Big Store (turn 1).",
        ]
    );
}

#[tokio::test]
async fn async_instructions_and_ones_set_before_the_context() {
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    // An async function of a context-free agent, then given a context: it
    // still sees `&()` and the agent.
    let agents = AgentSet::new("Assistant".to_string())
        .agent(
            Agent::named("Assistant").instructions_async(move |_, agent| {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                let name = agent.name().to_string();
                Box::pin(async move { format!("You are {name}, call {n}.") })
            }),
        )
        .context::<Shop>();
    fake.push_text("Hello.");
    let shop = Shop {
        name: "Corner Shop",
        turn: AtomicUsize::new(0),
    };
    Runner::new()
        .run_with(&gateway, &agents, "Hi", &shop)
        .await
        .expect("run");
    assert_eq!(system_messages(&fake), ["You are Assistant, call 0."]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_panicking_instructions_function_is_an_error_before_any_request() {
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    let agents = AgentSet::new("Assistant".to_string()).agent(
        Agent::named("Assistant")
            .instructions_fn(|_: &(), _: &Agent| -> String { panic!("no prompt store") }),
    );
    let error = Runner::new()
        .run(&gateway, &agents, "Hi")
        .await
        .expect_err("panics");
    let Error::Instructions { agent, message } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(agent, "Assistant");
    assert!(message.contains("no prompt store"), "{message}");
    assert!(fake.requests().is_empty());
}

#[test]
fn static_instructions_replace_a_function_and_back() {
    let agent: Agent = Agent::named("A")
        .instructions_fn(|_, _| "dynamic".to_string())
        .instructions("static");
    assert!(!agent.has_dynamic_instructions());
    assert_eq!(agent.instructions_text(), Some("static"));
    let agent = agent.instructions_fn(|_, _| "dynamic".to_string());
    assert!(agent.has_dynamic_instructions());
    assert_eq!(agent.instructions_text(), None);
}
