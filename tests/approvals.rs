//! Approvals through the facade: `needs_approval` in a workflow file and in
//! `#[respan_tool]`, and a generated workflow's run stopped, saved as JSON
//! (its `Agent` by id), resumed and completed.

use respan::testing::{FakeGateway, FakeResponse};
use respan::{Agent, AgentSet, Error, Gateway, RunOutcome, RunState, Runner, ToolFn, respan_tool};

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake.gateway().expect("gateway");
    (fake, gateway)
}

/// Looks an order up.
#[respan_tool]
fn lookup(order_id: String) -> String {
    format!("order {order_id}: paid")
}

/// Refunds an order.
#[respan_tool]
fn refund(order_id: String) -> String {
    format!("order {order_id}: refunded")
}

/// Cancels an order.
#[respan_tool(needs_approval)]
fn cancel(order_id: String) -> String {
    format!("order {order_id}: cancelled")
}

respan::workflow!("tests/fixtures/refunds.toml");

#[tokio::test]
async fn a_generated_workflow_stops_at_needs_approval_and_resumes_from_json() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("transfer_to_billing", "{}")]));
    fake.push(FakeResponse::tool_calls([
        ("lookup", r#"{"order_id": "7"}"#),
        ("refund", r#"{"order_id": "7"}"#),
        ("cancel", r#"{"order_id": "7"}"#),
    ]));
    fake.push_text("Refunded and cancelled.");
    let workflow = refunds::Workflow::new(refunds::Vars {});
    let state = match workflow
        .run_resumable(&gateway, "Refund 7")
        .await
        .expect("run")
    {
        RunOutcome::Interrupted(state) => state,
        RunOutcome::Completed(result) => panic!("refund needs approval: {result:?}"),
    };
    // Only the file's `needs_approval = true` tool waits; `cancel`'s attribute is overridden.
    let pending: Vec<_> = state.pending().map(|a| (a.agent, a.tool.clone())).collect();
    assert_eq!(pending, [(refunds::Agent::Billing, "refund".to_string())]);

    let json = state.to_json().expect("json");
    let value: serde_json::Value = serde_json::from_str(&json).expect("value");
    assert_eq!(value["current_agent"], "billing", "the agent by its id");
    let mut state: RunState<refunds::Agent> = RunState::from_json(&json).expect("state");
    state.approve("call_1").expect("approve");
    let result = match workflow.resume(&gateway, state).await.expect("resume") {
        RunOutcome::Completed(result) => result,
        RunOutcome::Interrupted(_) => panic!("everything was decided"),
    };
    assert_eq!(result.last_agent, refunds::Agent::Billing);
    assert_eq!(result.final_output, "Refunded and cancelled.");
    let messages = fake.bodies()[2]["messages"].clone();
    let results: Vec<&str> = messages
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool")
        .skip(1) // the handoff's
        .map(|m| m["content"].as_str().expect("text"))
        .collect();
    assert_eq!(
        results,
        ["order 7: paid", "order 7: refunded", "order 7: cancelled"]
    );
}

#[test]
fn a_state_naming_an_agent_the_workflow_lacks_is_a_clear_error() {
    let json = serde_json::json!({
        "version": 1, "current_agent": "shipping", "turns": 1, "history": [],
        "new_items": [], "raw_responses": [],
        "usage": {"requests": 1, "input_tokens": 0, "output_tokens": 0, "total_tokens": 0},
        "usage_by_agent": [], "approvals": [], "outputs": []
    });
    let error = RunState::<refunds::Agent>::from_json(&json.to_string()).expect_err("no shipping");
    assert!(matches!(error, Error::RunState(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(
            "workflow `refunds` has no agent `shipping` (its agents are `triage`, `billing`)"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn the_attribute_makes_a_tool_wait_for_approval() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "cancel",
        r#"{"order_id": "9"}"#,
    )]));
    let agents = AgentSet::new("desk".to_string())
        .agent(Agent::named("desk").tool(<cancel as ToolFn>::tool()));
    let outcome = Runner::new()
        .run_resumable(&gateway, &agents, "Cancel 9")
        .await
        .expect("run");
    let calls: Vec<_> = outcome
        .interruptions()
        .iter()
        .map(|a| a.tool.as_str())
        .collect();
    assert_eq!(calls, ["cancel"]);
}
