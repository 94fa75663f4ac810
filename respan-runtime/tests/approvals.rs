//! Human approval and resumable runs: a tool that needs approval stops the run
//! with a `RunState`; approved or rejected, the run resumes (here or from JSON)
//! and sends exactly the requests of a run that never stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::{
    Agent, AgentSet, Decision, Error, FunctionTool, Gateway, InputItem, REJECTION_MESSAGE,
    RunEvent, RunOutcome, RunResult, RunState, Runner,
};
use serde_json::{Value, json};

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake.gateway().expect("gateway");
    (fake, gateway)
}

fn order_args() -> Value {
    json!({
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
        "additionalProperties": false
    })
}

/// How many times each tool really ran.
#[derive(Clone, Default)]
struct Calls {
    lookup: Arc<AtomicUsize>,
    refund: Arc<AtomicUsize>,
}

/// Triage hands off to billing, whose `refund` needs approval (when
/// `approval` is set) and whose `lookup` does not.
fn shop(calls: &Calls, approval: bool) -> AgentSet {
    let lookups = calls.lookup.clone();
    let lookup = FunctionTool::sync("lookup", "Looks an order up.", order_args(), move |args| {
        lookups.fetch_add(1, Ordering::SeqCst);
        Ok(format!("order {} paid 40 EUR", args["order_id"]))
    });
    let refunds = calls.refund.clone();
    let refund = FunctionTool::sync("refund", "Refunds an order.", order_args(), move |args| {
        refunds.fetch_add(1, Ordering::SeqCst);
        Ok(format!("refunded order {}", args["order_id"]))
    })
    .needs_approval(approval);
    AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent")
                .instructions("Route the question.")
                .handoff("Billing Agent".to_string()),
        )
        .agent(
            Agent::named("Billing Agent")
                .instructions("Handle refunds.")
                .tool(lookup)
                .tool(refund),
        )
}

/// The answers of the scenario: hand off, call both tools at once, answer.
fn script(fake: &FakeGateway) {
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_billing_agent",
        "{}",
    )]));
    fake.push(FakeResponse::tool_calls([
        ("lookup", r#"{"order_id": "42"}"#),
        ("refund", r#"{"order_id": "42"}"#),
    ]));
    fake.push_text("Your order 42 is refunded.");
}

/// The run with no approval: what a resumed run must equal.
async fn never_stopped() -> (Vec<Value>, RunResult<String>) {
    let (fake, gateway) = fake().await;
    script(&fake);
    let result = Runner::new()
        .run(&gateway, &shop(&Calls::default(), false), "Refund order 42")
        .await
        .expect("run");
    (fake.bodies(), result)
}

fn interrupted(outcome: RunOutcome<String>) -> RunState {
    match outcome {
        RunOutcome::Interrupted(state) => state,
        RunOutcome::Completed(result) => panic!("the run completed: {result:?}"),
    }
}

fn completed(outcome: RunOutcome<String>) -> RunResult<String> {
    match outcome {
        RunOutcome::Completed(result) => result,
        RunOutcome::Interrupted(state) => panic!("the run stopped: {state:?}"),
    }
}

#[tokio::test]
async fn a_run_resumed_from_json_sends_the_requests_of_a_run_that_never_stopped() {
    let (expected_bodies, expected) = never_stopped().await;

    let (fake, gateway) = fake().await;
    script(&fake);
    let calls = Calls::default();
    let agents = shop(&calls, true);
    let runner = Runner::new();
    let state = interrupted(
        runner
            .run_resumable(&gateway, &agents, "Refund order 42")
            .await
            .expect("run"),
    );
    // Stopped after the answer that calls the tools: the other tool ran, refund did not.
    assert_eq!(fake.bodies().len(), 2);
    assert_eq!(calls.lookup.load(Ordering::SeqCst), 1);
    assert_eq!(calls.refund.load(Ordering::SeqCst), 0);
    let pending: Vec<_> = state.pending().collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].tool, "refund");
    assert_eq!(pending[0].call_id, "call_1");
    assert_eq!(pending[0].arguments, r#"{"order_id": "42"}"#);
    assert_eq!(pending[0].agent, "Billing Agent");
    assert_eq!(pending[0].agent_name, "Billing Agent");
    assert_eq!(state.current_agent(), "Billing Agent");
    assert_eq!(state.turns(), 2);

    // Another process: the state travels as JSON, with the same agents rebuilt.
    let json = state.to_json().expect("to json");
    drop(state);
    let mut state: RunState = RunState::from_json(&json).expect("from json");
    state.approve("call_1").expect("approve");
    assert_eq!(state.approvals()[0].decision, Some(Decision::Approved));
    let result = completed(
        runner
            .resume(&gateway, &shop(&calls, true), state)
            .await
            .expect("resume"),
    );

    assert_eq!(
        fake.bodies(),
        expected_bodies,
        "the same requests, in order"
    );
    assert_eq!(result, expected, "the same result: items, usage, history");
    assert_eq!(calls.lookup.load(Ordering::SeqCst), 1, "lookup ran once");
    assert_eq!(calls.refund.load(Ordering::SeqCst), 1, "refund ran once");
}

#[tokio::test]
async fn a_rejected_call_does_not_run_and_the_model_sees_the_message() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let calls = Calls::default();
    let agents = shop(&calls, true);
    let mut state = interrupted(
        Runner::new()
            .run_resumable(&gateway, &agents, "Refund order 42")
            .await
            .expect("run"),
    );
    state
        .reject("call_1", "Refunds above 30 EUR need a manager.")
        .expect("reject");
    let result = completed(
        Runner::new()
            .resume(&gateway, &agents, state)
            .await
            .expect("resume"),
    );
    assert_eq!(result.final_output, "Your order 42 is refunded.");
    assert_eq!(calls.refund.load(Ordering::SeqCst), 0);
    let messages = &fake.bodies()[2]["messages"];
    let tool_results: Vec<&Value> = messages
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool")
        .collect();
    assert_eq!(
        tool_results.last().expect("a tool result")["content"],
        "Refunds above 30 EUR need a manager."
    );
    assert_eq!(
        tool_results.last().expect("result")["tool_call_id"],
        "call_1"
    );
}

#[tokio::test]
async fn a_rejection_without_a_message_sends_the_sdk_one() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "refund",
        r#"{"order_id": "7"}"#,
    )]));
    fake.push_text("I could not refund it.");
    let calls = Calls::default();
    let agents = AgentSet::new("Billing Agent".to_string()).agent(
        shop(&calls, true)
            .get(&"Billing Agent".to_string())
            .expect("billing")
            .clone(),
    );
    let mut state = interrupted(
        Runner::new()
            .run_resumable(&gateway, &agents, "Refund order 7")
            .await
            .expect("run"),
    );
    state.reject("call_0", "").expect("reject");
    completed(
        Runner::new()
            .resume(&gateway, &agents, state)
            .await
            .expect("resume"),
    );
    assert_eq!(
        fake.bodies()[1]["messages"][3],
        json!({"role": "tool", "tool_call_id": "call_0", "content": REJECTION_MESSAGE})
    );
}

#[tokio::test]
async fn deciding_an_unknown_call_is_an_error_naming_the_pending_ones() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let agents = shop(&Calls::default(), true);
    let mut state = interrupted(
        Runner::new()
            .run_resumable(&gateway, &agents, "Refund order 42")
            .await
            .expect("run"),
    );
    let error = state.approve("call_9").expect_err("unknown call");
    assert!(matches!(error, Error::RunState(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("\"call_9\""), "{message}");
    assert!(message.contains("`refund` (call_1)"), "{message}");
    let error = state.reject("nope", "no").expect_err("unknown call");
    assert!(matches!(error, Error::RunState(_)), "{error:?}");
    assert_eq!(state.pending().count(), 1, "nothing was decided");
}

#[tokio::test]
async fn resuming_with_other_agents_is_an_error() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let mut state = interrupted(
        Runner::new()
            .run_resumable(&gateway, &shop(&Calls::default(), true), "Refund order 42")
            .await
            .expect("run"),
    );
    state.approve_all();

    // The current agent is missing.
    let other = AgentSet::new("Triage Agent".to_string())
        .agent(Agent::named("Triage Agent").instructions("Route."));
    let error = Runner::new()
        .resume(&gateway, &other, state.clone())
        .await
        .expect_err("agent missing");
    assert!(matches!(error, Error::RunState(_)), "{error:?}");
    assert!(error.to_string().contains("\"Billing Agent\""), "{error}");

    // The agent is there, but not the tool the answer calls.
    let other = AgentSet::new("Billing Agent".to_string())
        .agent(Agent::named("Billing Agent").instructions("Handle refunds."));
    let error = Runner::new()
        .resume(&gateway, &other, state)
        .await
        .expect_err("tool missing");
    assert!(matches!(error, Error::RunState(_)), "{error:?}");
    assert!(error.to_string().contains("\"lookup\""), "{error}");
    assert_eq!(fake.bodies().len(), 2, "no request was sent");
}

#[tokio::test]
async fn a_state_of_a_newer_version_or_malformed_is_a_clear_error() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let state = interrupted(
        Runner::new()
            .run_resumable(&gateway, &shop(&Calls::default(), true), "Refund order 42")
            .await
            .expect("run"),
    );
    let mut json: Value = serde_json::from_str(&state.to_json().expect("json")).expect("value");
    assert_eq!(json["version"], respan_runtime::RUN_STATE_VERSION);
    json["version"] = json!(respan_runtime::RUN_STATE_VERSION + 1);
    let error = RunState::<String>::from_json(&json.to_string()).expect_err("newer");
    assert!(matches!(error, Error::RunState(_)), "{error:?}");
    assert!(error.to_string().contains("version 2"), "{error}");

    let error = RunState::<String>::from_json(r#"{"history": []}"#).expect_err("malformed");
    assert!(error.to_string().contains("missing field"), "{error}");
}

#[tokio::test]
async fn run_and_run_streamed_fail_with_approval_required() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let calls = Calls::default();
    let agents = shop(&calls, true);
    let error = Runner::new()
        .run(&gateway, &agents, "Refund order 42")
        .await
        .expect_err("needs approval");
    assert!(matches!(error, Error::ApprovalRequired { .. }), "{error:?}");
    assert!(error.to_string().contains("`refund` (call_1)"), "{error}");
    assert!(error.to_string().contains("run_resumable"), "{error}");
    assert_eq!(calls.refund.load(Ordering::SeqCst), 0);

    let (fake, gateway) = self::fake().await;
    fake.push(FakeResponse::tool_calls([(
        "refund",
        r#"{"order_id": "1"}"#,
    )]));
    let billing = AgentSet::new("Billing Agent".to_string()).agent(
        agents
            .get(&"Billing Agent".to_string())
            .expect("billing")
            .clone(),
    );
    let error = Runner::new()
        .run_streamed(&gateway, &billing, "Refund order 1")
        .into_result()
        .await
        .expect_err("needs approval");
    assert!(matches!(error, Error::ApprovalRequired { .. }), "{error:?}");
    assert_eq!(calls.refund.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn undecided_calls_stop_the_resumed_run_again_without_a_request() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("refund", r#"{"order_id": "1"}"#),
        ("refund", r#"{"order_id": "2"}"#),
    ]));
    fake.push_text("Both refunded.");
    let calls = Calls::default();
    let agents = AgentSet::new("Billing Agent".to_string()).agent(
        shop(&calls, true)
            .get(&"Billing Agent".to_string())
            .expect("billing")
            .clone(),
    );
    let mut state = interrupted(
        Runner::new()
            .run_resumable(&gateway, &agents, "Refund 1 and 2")
            .await
            .expect("run"),
    );
    assert_eq!(state.pending().count(), 2);
    state.approve("call_0").expect("approve");
    let mut state = interrupted(
        Runner::new()
            .resume(&gateway, &agents, state)
            .await
            .expect("resume"),
    );
    // The approved call ran; the other still waits; nothing was sent.
    assert_eq!(calls.refund.load(Ordering::SeqCst), 1);
    assert_eq!(fake.bodies().len(), 1);
    let pending: Vec<_> = state.pending().map(|a| a.call_id.clone()).collect();
    assert_eq!(pending, ["call_1"]);
    state.approve("call_1").expect("approve");
    let result = completed(
        Runner::new()
            .resume(&gateway, &agents, state)
            .await
            .expect("resume"),
    );
    assert_eq!(calls.refund.load(Ordering::SeqCst), 2, "each call ran once");
    assert_eq!(result.final_output, "Both refunded.");
    assert_eq!(
        fake.bodies()[1]["messages"].as_array().expect("messages")[3..],
        [
            json!({"role": "tool", "tool_call_id": "call_0", "content": "refunded order \"1\""}),
            json!({"role": "tool", "tool_call_id": "call_1", "content": "refunded order \"2\""}),
        ]
    );
}

#[tokio::test]
async fn a_predicate_decides_per_call_from_the_arguments_and_context() {
    struct Limits {
        max_cents: u64,
    }
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("refund", r#"{"cents": 500}"#),
        ("refund", r#"{"cents": 90000}"#),
    ]));
    fake.push_text("Done.");
    let refund = FunctionTool::with_context(
        "refund",
        "Refunds an amount.",
        json!({"type": "object", "properties": {"cents": {"type": "integer"}},
               "required": ["cents"], "additionalProperties": false}),
        |_: &Limits, args| async move { Ok(format!("refunded {}", args["cents"])) },
    )
    .needs_approval_when(|limits: &Limits, args| {
        args["cents"]
            .as_u64()
            .is_none_or(|cents| cents > limits.max_cents)
    });
    let agents = AgentSet::new("Billing".to_string())
        .context::<Limits>()
        .agent(Agent::named("Billing").context::<Limits>().tool(refund));
    let limits = Limits { max_cents: 10_000 };
    let mut state = match Runner::new()
        .run_resumable_with(&gateway, &agents, "Refund", &limits)
        .await
        .expect("run")
    {
        RunOutcome::Interrupted(state) => state,
        RunOutcome::Completed(_) => panic!("the large refund needs approval"),
    };
    let pending: Vec<_> = state.pending().map(|a| a.arguments.clone()).collect();
    assert_eq!(pending, [r#"{"cents": 90000}"#]);
    state.approve_all();
    let result = match Runner::new()
        .resume_with(&gateway, &agents, state, &limits)
        .await
        .expect("resume")
    {
        RunOutcome::Completed(result) => result,
        RunOutcome::Interrupted(_) => panic!("everything was approved"),
    };
    assert_eq!(result.final_output, "Done.");
    let messages = fake.bodies()[1]["messages"].clone();
    // No instructions, so no system message: the user, the answer, both results.
    assert_eq!(messages[2]["content"], "refunded 500");
    assert_eq!(messages[3]["content"], "refunded 90000");
}

#[tokio::test]
async fn turns_before_the_stop_count_toward_max_turns() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let agents = shop(&Calls::default(), true);
    let runner = Runner::new().max_turns(2);
    let mut state = interrupted(
        runner
            .run_resumable(&gateway, &agents, "Refund order 42")
            .await
            .expect("run"),
    );
    state.approve_all();
    let error = runner
        .resume(&gateway, &agents, state)
        .await
        .expect_err("a third request is over the limit");
    assert!(
        matches!(error, Error::MaxTurnsExceeded { max_turns: 2 }),
        "{error:?}"
    );
    assert_eq!(fake.bodies().len(), 2);
}

#[tokio::test]
async fn the_state_keeps_the_conversation_so_far() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let state = interrupted(
        Runner::new()
            .run_resumable(&gateway, &shop(&Calls::default(), true), "Refund order 42")
            .await
            .expect("run"),
    );
    assert_eq!(state.history()[0], InputItem::user("Refund order 42"));
    assert!(matches!(
        state.history().last(),
        Some(InputItem::Assistant { tool_calls, .. }) if tool_calls.len() == 2
    ));
    assert_eq!(state.usage().requests, 2);
    // The handoff, then both tool calls (the outputs come once decided).
    let kinds: Vec<_> = state.new_items().iter().map(|item| item.kind()).collect();
    assert_eq!(
        kinds,
        [
            "HandoffCallItem",
            "HandoffOutputItem",
            "ToolCallItem",
            "ToolCallItem"
        ]
    );
}

/// Every event of a stream, and how it ended.
async fn drain(
    mut events: respan_runtime::RunStream<'_, String>,
) -> (Vec<RunEvent<String>>, Option<RunState>) {
    let mut seen = Vec::new();
    while let Some(event) = events.next_event().await {
        seen.push(event.expect("event"));
    }
    (seen, events.take_interruption())
}

#[tokio::test]
async fn a_streamed_run_stops_and_resumes_with_the_events_of_one_that_never_stopped() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let agents = shop(&Calls::default(), false);
    let (expected_events, interruption) =
        drain(Runner::new().run_streamed(&gateway, &agents, "Refund order 42")).await;
    assert!(interruption.is_none());
    let expected_bodies = fake.bodies();

    let (fake, gateway) = self::fake().await;
    script(&fake);
    let agents = shop(&Calls::default(), true);
    let (mut events, state) =
        drain(Runner::new().run_streamed_resumable(&gateway, &agents, "Refund order 42")).await;
    let mut state = state.expect("the stream ended stopped for approval");
    assert!(
        !events.iter().any(|e| matches!(e, RunEvent::Completed(_))),
        "no result before the approval"
    );
    state.approve("call_1").expect("approve");
    let state: RunState = RunState::from_json(&state.to_json().expect("json")).expect("state");
    let (resumed, interruption) =
        drain(Runner::new().resume_streamed(&gateway, &agents, state)).await;
    assert!(interruption.is_none());
    // The resumed stream says first which agent goes on; then the same events.
    assert_eq!(
        resumed[0],
        RunEvent::AgentUpdated {
            agent: "Billing Agent".to_string(),
            name: "Billing Agent".to_string()
        }
    );
    events.extend(resumed.into_iter().skip(1));
    assert_eq!(events, expected_events);
    assert_eq!(fake.bodies(), expected_bodies);
    assert_eq!(expected_bodies[0]["stream"], true);
}
