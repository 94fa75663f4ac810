//! `#[respan_agent]` with tools, a typed output and `tool_use_behavior`: the
//! attribute's arguments have their effect on the wire and in the result.

use respan::testing::{FakeGateway, FakeResponse};
use respan::{AgentDef, Gateway, Runner, respan_agent, respan_tool};
use serde_json::json;

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake.gateway().expect("gateway");
    (fake, gateway)
}

/// The application state the tools read.
struct Desk {
    open_tickets: u32,
}

/// Counts the open tickets.
#[respan_tool]
fn open_tickets(desk: &Desk) -> u32 {
    desk.open_tickets
}

/// Files a ticket.
#[respan_tool(name = "file_ticket")]
fn file(
    /// What the ticket is about.
    subject: String,
) -> String {
    format!("filed: {subject}")
}

#[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
struct Status {
    open: u32,
}

#[respan_agent(
    name = "Desk Agent",
    instructions = "Answer with the desk's status.",
    tools = [open_tickets, file],
    output = Status,
)]
struct DeskAgent;

#[respan_agent(
    name = "Filer",
    instructions = "File tickets.",
    tools = [open_tickets, file],
    tool_use_behavior(stop_at_tools = [file]),
)]
struct Filer;

#[respan_agent(name = "Greeter", tools = [file], tool_use_behavior = "stop_on_first_tool")]
struct Greeter;

#[tokio::test]
async fn attribute_tools_are_offered_and_read_the_context() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("open_tickets", "{}")]));
    fake.push_text(r#"{"open": 3}"#);
    let agents = DeskAgent.agent_set_for::<Desk>();
    let desk = Desk { open_tickets: 3 };
    let result = Runner::new()
        .run_with(&gateway, &agents, "status?", &desk)
        .await
        .expect("run");
    let first = &fake.requests()[0].body;
    let names: Vec<_> = first["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|tool| tool["function"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("open_tickets"), json!("file_ticket")]);
    assert_eq!(first["response_format"]["type"], "json_schema");
    assert_eq!(
        first["response_format"]["json_schema"]["schema"]["required"],
        json!(["open"])
    );
    assert_eq!(fake.requests()[1].body["messages"][3]["content"], "3");
    assert_eq!(
        result.output::<Status>().expect("typed"),
        Status { open: 3 }
    );
    assert_eq!(result.last_agent, DeskAgent::ID);
}

#[tokio::test]
async fn attribute_tool_use_behavior_stops_where_it_says() {
    let (fake, gateway) = fake().await;
    // `open_tickets` does not stop the run; `file` (named `file_ticket`) does.
    fake.push(FakeResponse::tool_calls([("open_tickets", "{}")]));
    fake.push(FakeResponse::tool_calls([(
        "file_ticket",
        r#"{"subject": "printer"}"#,
    )]));
    let desk = Desk { open_tickets: 1 };
    let agents = Filer.agent_set_for::<Desk>();
    let result = Runner::new()
        .run_with(&gateway, &agents, "file it", &desk)
        .await
        .expect("run");
    assert_eq!(result.final_output, "filed: printer");
    assert_eq!(fake.requests().len(), 2);

    // Greeter's tool reads no context, so it joins a set of any context: here `()`.
    fake.push(FakeResponse::tool_calls([(
        "file_ticket",
        r#"{"subject": "hello"}"#,
    )]));
    let agents = Greeter.agent_set();
    let result = respan::run(&gateway, &agents, "hi").await.expect("run");
    assert_eq!(result.final_output, "filed: hello");
    assert_eq!(
        fake.requests().len(),
        3,
        "stop_on_first_tool: no second request"
    );
}
