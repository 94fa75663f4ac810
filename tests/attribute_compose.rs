//! `#[respan_agent]` with agents as tools (`agent_tool(..)`) and handoff
//! options (`handoff(..)`): every key has its effect on the wire, in the
//! nested runs and in the functions the options name.

use std::sync::Mutex;

use respan::testing::{FakeGateway, FakeResponse};
use respan::{AgentDef, AgentSetExt, Gateway, Runner, respan_agent, respan_tool};
use serde_json::{Value, json};

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake.gateway().expect("gateway");
    (fake, gateway)
}

/// The application state the handoff functions read.
#[derive(Default)]
struct Desk {
    technical_open: bool,
    escalations: Mutex<Vec<String>>,
    technical_handoffs: Mutex<u32>,
}

/// What the triage agent hands a billing question over with.
#[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
struct Escalation {
    /// Why the question is escalated.
    reason: String,
}

mod hooks {
    use super::{Desk, Escalation};

    /// `on_handoff` with `input_type = Escalation`: the typed input itself.
    pub fn on_escalate(desk: &Desk, escalation: Escalation) {
        desk.escalations.lock().unwrap().push(escalation.reason);
    }

    /// `on_handoff` of a handoff without input: the context only.
    pub fn on_technical(desk: &Desk) {
        *desk.technical_handoffs.lock().unwrap() += 1;
    }

    pub fn technical_open(desk: &Desk, _: &respan::Agent<&'static str, Desk>) -> bool {
        desk.technical_open
    }
}

mod filters {
    /// The user's messages only.
    pub fn user_messages(items: &[respan::InputItem]) -> Vec<respan::InputItem> {
        items
            .iter()
            .filter(|item| matches!(item, respan::InputItem::User { .. }))
            .cloned()
            .collect()
    }
}

/// Looks a fact up.
#[respan_tool]
fn lookup(
    /// The fact to look up.
    topic: String,
) -> String {
    format!("{topic}: 42")
}

#[respan_agent(
    name = "Triage Agent",
    instructions = "Route the question.",
    handoffs = [Billing, Technical, Shipping, Sales],
    tools = [lookup],
    agent_tool(Researcher, name = "research", description = "Research a topic.", max_turns = 2),
    agent_tool(Writer),
    handoff(
        Billing,
        tool_name = "escalate_to_billing",
        description = "Billing questions that need a person.",
        input_filter = "remove_all_tools",
        input_type = Escalation,
        on_handoff = hooks::on_escalate,
    ),
    handoff(
        Technical,
        input_filter_fn = filters::user_messages,
        is_enabled_fn = hooks::technical_open,
        on_handoff = hooks::on_technical,
    ),
    handoff(Shipping, is_enabled = false),
    handoff(Sales, input_filter = "nest_history"),
)]
struct Triage;

#[respan_agent(name = "Billing Agent", instructions = "Handle billing.")]
struct Billing;

#[respan_agent(name = "Technical Agent", instructions = "Handle technical questions.")]
struct Technical;

#[respan_agent(name = "Shipping Agent", instructions = "Handle shipping.")]
struct Shipping;

#[respan_agent(name = "Sales Agent", instructions = "Handle sales.")]
struct Sales;

#[respan_agent(name = "Researcher", instructions = "List the facts.", tools = [lookup])]
struct Researcher;

#[respan_agent(instructions = "Write one paragraph.")]
struct Writer;

/// An agent tool with a short `timeout_secs`.
#[respan_agent(
    name = "Impatient",
    agent_tool(Researcher, name = "quick", timeout_secs = 0.2)
)]
struct Impatient;

fn agents() -> respan::AgentSet<&'static str, Desk> {
    Triage
        .agent_set_for::<Desk>()
        .with(&Billing)
        .with(&Technical)
        .with(&Shipping)
        .with(&Sales)
        .with(&Researcher)
        .with(&Writer)
}

fn tool<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|tool| tool["function"]["name"] == name)
}

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|tool| tool["function"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn agent_tools_and_handoffs_are_offered_as_declared() {
    let (fake, gateway) = fake().await;
    fake.push_text("Hello.");
    let desk = Desk {
        technical_open: true,
        ..Desk::default()
    };
    Runner::new()
        .run_with(&gateway, &agents(), "hi", &desk)
        .await
        .expect("run");
    let body = &fake.requests()[0].body;
    // Function tools, then agent tools in declaration order, then the
    // handoffs offered (the disabled one to Shipping is not).
    assert_eq!(
        tool_names(body),
        [
            "lookup",
            "research",
            "writer",
            "escalate_to_billing",
            "transfer_to_technical_agent",
            "transfer_to_sales_agent",
        ]
    );
    let research = &tool(body, "research").unwrap()["function"];
    assert_eq!(research["description"], "Research a topic.");
    assert_eq!(research["parameters"]["required"], json!(["input"]));
    assert_eq!(research["parameters"]["title"], "AgentAsToolInput");
    // Without `name` and `description`: the agent's name in function style, "".
    assert_eq!(tool(body, "writer").unwrap()["function"]["description"], "");
    let escalate = &tool(body, "escalate_to_billing").unwrap()["function"];
    assert_eq!(
        escalate["description"],
        "Billing questions that need a person."
    );
    assert_eq!(escalate["parameters"]["required"], json!(["reason"]));
    assert_eq!(
        escalate["parameters"]["properties"]["reason"]["type"],
        "string"
    );

    // `is_enabled_fn` reads the context before each request.
    fake.push_text("Hello.");
    let closed = Desk::default();
    Runner::new()
        .run_with(&gateway, &agents(), "hi", &closed)
        .await
        .expect("run");
    let names = tool_names(&fake.requests()[1].body);
    assert!(
        !names.contains(&"transfer_to_technical_agent".to_owned()),
        "{names:?}"
    );
}

#[tokio::test]
async fn an_agent_tool_runs_its_agent_nested_bounded_by_max_turns() {
    let (fake, gateway) = fake().await;
    let desk = Desk::default();
    // The researcher answers the call in a run of its own.
    fake.push(FakeResponse::tool_calls([(
        "research",
        r#"{"input": "the moon"}"#,
    )]));
    fake.push_text("The moon is far.");
    fake.push_text("It is far.");
    let result = Runner::new()
        .run_with(&gateway, &agents(), "How far is the moon?", &desk)
        .await
        .expect("run");
    assert_eq!(result.final_output, "It is far.");
    assert_eq!(result.last_agent, Triage::ID);
    let bodies = fake.bodies();
    assert_eq!(bodies[1]["messages"][0]["content"], "List the facts.");
    assert_eq!(bodies[1]["messages"][1]["content"], "the moon");
    assert_eq!(bodies[2]["messages"][3]["content"], "The moon is far.");

    // `max_turns = 2`: a researcher still calling tools after two requests
    // fails, which the model is told as the tool's error.
    fake.push(FakeResponse::tool_calls([(
        "research",
        r#"{"input": "the sun"}"#,
    )]));
    fake.push(FakeResponse::tool_calls([(
        "lookup",
        r#"{"topic": "sun"}"#,
    )]));
    fake.push(FakeResponse::tool_calls([(
        "lookup",
        r#"{"topic": "sun"}"#,
    )]));
    fake.push_text("Sorry.");
    let result = Runner::new()
        .run_with(&gateway, &agents(), "How far is the sun?", &desk)
        .await
        .expect("run");
    assert_eq!(result.final_output, "Sorry.");
    let bodies = fake.bodies();
    assert_eq!(bodies.len(), 7, "two inner requests, then the outer one");
    let told = bodies[6]["messages"][3]["content"].as_str().unwrap();
    assert!(
        told.starts_with(respan::TOOL_ERROR_MESSAGE) && told.contains("Max turns (2)"),
        "{told}"
    );
}

#[tokio::test]
async fn an_agent_tool_is_bounded_by_timeout_secs() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("quick", r#"{"input": "x"}"#)]));
    fake.push(FakeResponse::hang());
    fake.push_text("Too slow.");
    let agents = Impatient.agent_set().with(&Researcher);
    let result = respan::run(&gateway, &agents, "hi").await.expect("run");
    assert_eq!(result.final_output, "Too slow.");
    // The last request tells the model the tool's error.
    let bodies = fake.bodies();
    let last = bodies.last().unwrap()["messages"].to_string();
    assert!(last.contains("did not finish within 0.2 s"), "{last}");
}

#[tokio::test]
async fn a_typed_handoff_reaches_on_handoff_and_its_filter_applies() {
    let (fake, gateway) = fake().await;
    let desk = Desk::default();
    fake.push(FakeResponse::tool_calls([(
        "escalate_to_billing",
        r#"{"reason": "charged twice"}"#,
    )]));
    fake.push_text("Refunded.");
    let result = Runner::new()
        .run_with(&gateway, &agents(), "I was charged twice", &desk)
        .await
        .expect("run");
    assert_eq!(result.last_agent, Billing::ID);
    assert_eq!(*desk.escalations.lock().unwrap(), ["charged twice"]);
    // `remove_all_tools`: billing sees its instructions and the user's message.
    let messages = &fake.bodies()[1]["messages"];
    assert_eq!(
        *messages,
        json!([
            {"role": "system", "content": "Handle billing."},
            {"role": "user", "content": "I was charged twice"},
        ])
    );
}

#[tokio::test]
async fn a_custom_filter_and_on_handoff_without_input() {
    let (fake, gateway) = fake().await;
    let desk = Desk {
        technical_open: true,
        ..Desk::default()
    };
    fake.push(FakeResponse::tool_calls([(
        "lookup",
        r#"{"topic": "api"}"#,
    )]));
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_technical_agent",
        "{}",
    )]));
    fake.push_text("Fixed.");
    let result = Runner::new()
        .run_with(&gateway, &agents(), "The API is down", &desk)
        .await
        .expect("run");
    assert_eq!(result.last_agent, Technical::ID);
    assert_eq!(*desk.technical_handoffs.lock().unwrap(), 1);
    // `input_filter_fn = filters::user_messages`.
    assert_eq!(
        fake.bodies()[2]["messages"],
        json!([
            {"role": "system", "content": "Handle technical questions."},
            {"role": "user", "content": "The API is down"},
        ])
    );
}

#[tokio::test]
async fn nest_history_summarizes_the_conversation_for_the_next_agent() {
    let (fake, gateway) = fake().await;
    let desk = Desk::default();
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_sales_agent",
        "{}",
    )]));
    fake.push_text("Here is a quote.");
    let result = Runner::new()
        .run_with(&gateway, &agents(), "I want to buy", &desk)
        .await
        .expect("run");
    assert_eq!(result.last_agent, Sales::ID);
    let messages = fake.bodies()[1]["messages"].clone();
    let summary = messages[1]["content"].as_str().unwrap();
    assert_eq!(messages[1]["role"], "assistant");
    assert!(
        summary.contains("<CONVERSATION HISTORY>") && summary.contains("I want to buy"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_disabled_handoff_is_an_unknown_tool() {
    let (fake, gateway) = fake().await;
    let desk = Desk::default();
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_shipping_agent",
        "{}",
    )]));
    let error = Runner::new()
        .run_with(&gateway, &agents(), "Where is my parcel?", &desk)
        .await
        .unwrap_err();
    assert!(matches!(error, respan::Error::ModelBehavior(_)), "{error}");
}
