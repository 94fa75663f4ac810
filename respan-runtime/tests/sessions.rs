//! Sessions: history loaded before a run and appended after, across handoffs,
//! streamed or not; the limit and its safe cut; concurrent runs serialized;
//! the SQLite store on a real file.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::{
    Agent, AgentSet, Error, FunctionCall, FunctionTool, Gateway, InputItem, MemorySession,
    RunEvent, Runner, Session, SqliteSession, SqliteStore, ToolCall,
};
use serde_json::{Value, json};

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake.gateway().expect("gateway");
    (fake, gateway)
}

fn assistant() -> AgentSet {
    AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("Be brief."))
}

fn messages(fake: &FakeGateway, request: usize) -> Value {
    fake.requests()[request].body["messages"].clone()
}

/// A database file of its own in a fresh temporary directory.
fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sessions.db");
    (dir, path)
}

fn tool_call(id: &str, name: &str) -> InputItem {
    InputItem::Assistant {
        content: None,
        tool_calls: vec![ToolCall {
            id: id.into(),
            kind: "function".into(),
            function: FunctionCall {
                name: name.into(),
                arguments: "{}".into(),
            },
        }],
    }
}

fn tool_result(id: &str, content: &str) -> InputItem {
    InputItem::Tool {
        tool_call_id: id.into(),
        content: content.into(),
    }
}

#[tokio::test]
async fn the_second_run_continues_the_first_ones_conversation() {
    let (fake, gateway) = fake().await;
    fake.push_text("Hi Ada.");
    fake.push_text("Your name is Ada.");
    let session = MemorySession::new("user-1");
    let runner = Runner::new().session(&session);
    runner
        .run(&gateway, &assistant(), "My name is Ada.")
        .await
        .expect("first run");
    let second = runner
        .run(&gateway, &assistant(), "What is my name?")
        .await
        .expect("second run");
    assert_eq!(
        messages(&fake, 1),
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Hi Ada."},
            {"role": "user", "content": "What is my name?"}
        ])
    );
    let stored = session.get_items(None).await.expect("items");
    assert_eq!(
        stored,
        vec![
            InputItem::user("My name is Ada."),
            InputItem::assistant("Hi Ada."),
            InputItem::user("What is my name?"),
            InputItem::assistant("Your name is Ada."),
        ]
    );
    assert_eq!(
        second.to_input_list(),
        stored,
        "the result holds the whole conversation"
    );
}

#[tokio::test]
async fn a_session_keeps_a_handoff_and_the_next_run_starts_at_the_entry_agent() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_billing_agent",
        "{}",
    )]));
    fake.push_text("Refunded.");
    fake.push_text("Billing already refunded you.");
    let session = MemorySession::new("user-2");
    let agents = support_agents();
    let first = Runner::new()
        .session(&session)
        .run(&gateway, &agents, "Refund my order")
        .await
        .expect("first run");
    assert_eq!(first.last_agent, "Billing Agent");
    let stored = session.get_items(None).await.expect("items");
    assert_eq!(
        stored,
        vec![
            InputItem::user("Refund my order"),
            tool_call("call_0", "transfer_to_billing_agent"),
            tool_result("call_0", r#"{"assistant": "Billing Agent"}"#),
            InputItem::assistant("Refunded."),
        ],
        "the handoff and the billing agent's answer are in the session"
    );

    let second = Runner::new()
        .session(&session)
        .run(&gateway, &agents, "Did it work?")
        .await
        .expect("second run");
    assert_eq!(second.last_agent, "Triage Agent");
    let sent = messages(&fake, 2);
    assert_eq!(
        sent[0]["content"], "Route to the appropriate agent based on the question.",
        "a continued conversation starts at the entry agent"
    );
    assert_eq!(
        sent[2]["tool_calls"][0]["function"]["name"],
        "transfer_to_billing_agent"
    );
    assert_eq!(
        sent[4],
        json!({"role": "assistant", "content": "Refunded."})
    );
    assert_eq!(sent[5], json!({"role": "user", "content": "Did it work?"}));
    assert_eq!(session.get_items(None).await.expect("items").len(), 6);
}

#[tokio::test]
async fn concurrent_runs_on_one_session_run_one_after_the_other() {
    let (fake, gateway) = fake().await;
    // The first run calls a tool, so it needs two requests: interleaved runs
    // would send the second run's request between them, without the first's items.
    fake.push(FakeResponse::tool_calls([("lookup", "{}")]));
    fake.push_text("Order 7 is on its way.");
    fake.push_text("It left yesterday.");
    let lookup = FunctionTool::sync(
        "lookup",
        "Looks the order up.",
        json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
        |_| Ok("order 7: shipped".to_string()),
    );
    let agents = AgentSet::new("A".to_string())
        .agent(Agent::named("A").instructions("Be brief.").tool(lookup));
    let session = MemorySession::new("user-3");
    let runner = Runner::new().session(&session);
    let (first, second) = tokio::join!(
        runner.run(&gateway, &agents, "Where is order 7?"),
        runner.run(&gateway, &agents, "When did it leave?"),
    );
    assert_eq!(first.expect("first").final_output, "Order 7 is on its way.");
    assert_eq!(second.expect("second").final_output, "It left yesterday.");
    let last = messages(&fake, 2);
    assert_eq!(
        last[1],
        json!({"role": "user", "content": "Where is order 7?"})
    );
    assert_eq!(last[3]["content"], "order 7: shipped");
    assert_eq!(
        last[4],
        json!({"role": "assistant", "content": "Order 7 is on its way."})
    );
    assert_eq!(
        last[5],
        json!({"role": "user", "content": "When did it leave?"})
    );
    assert_eq!(session.get_items(None).await.expect("items").len(), 6);
}

#[tokio::test]
async fn a_limit_never_starts_the_history_with_an_orphan_tool_result() {
    let (fake, gateway) = fake().await;
    fake.push_text("Still sunny.");
    fake.push_text("Yes.");
    let session = MemorySession::new("user-4");
    session
        .add_items(&[
            InputItem::user("Weather in Paris?"),
            tool_call("call_0", "get_weather"),
            tool_result("call_0", "Sunny in Paris"),
            InputItem::assistant("Sunny."),
        ])
        .await
        .expect("add");
    // The latest 2 items start with the tool result: it is cut with its call.
    Runner::new()
        .session(&session)
        .limit(2)
        .run(&gateway, &assistant(), "And now?")
        .await
        .expect("run");
    assert_eq!(
        messages(&fake, 0),
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "assistant", "content": "Sunny."},
            {"role": "user", "content": "And now?"}
        ])
    );
    // The session's own limit applies when the run sets none; the store still has everything.
    let limited = session.clone().with_limit(3);
    Runner::new()
        .session(&limited)
        .run(&gateway, &assistant(), "Sure?")
        .await
        .expect("run");
    assert_eq!(
        messages(&fake, 1),
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "assistant", "content": "Sunny."},
            {"role": "user", "content": "And now?"},
            {"role": "assistant", "content": "Still sunny."},
            {"role": "user", "content": "Sure?"}
        ])
    );
    assert_eq!(session.get_items(None).await.expect("items").len(), 8);
}

#[tokio::test]
async fn a_streamed_run_appends_when_it_completes_and_a_dropped_one_does_not() {
    let (fake, gateway) = fake().await;
    fake.push_text("Hello there.");
    let session = MemorySession::new("user-5");
    let runner = Runner::new().session(&session);
    let agents = assistant();
    let mut events = runner.run_streamed(&gateway, &agents, "Hi");
    let mut saw_delta = false;
    let mut completed = None;
    while let Some(event) = events.next_event().await {
        match event.expect("event") {
            RunEvent::TextDelta { .. } => {
                saw_delta = true;
                assert!(
                    session.get_items(None).await.expect("items").is_empty(),
                    "nothing is appended before the run completes"
                );
            }
            RunEvent::Completed(result) => completed = Some(result),
            _ => {}
        }
    }
    assert!(saw_delta);
    assert_eq!(completed.expect("completed").final_output, "Hello there.");
    assert_eq!(
        session.get_items(None).await.expect("items"),
        vec![InputItem::user("Hi"), InputItem::assistant("Hello there.")]
    );

    // A stream dropped before it completes appends nothing, and frees the session.
    fake.push(FakeResponse::hang());
    let mut dropped = runner.run_streamed(&gateway, &agents, "Are you there?");
    let first = tokio::time::timeout(Duration::from_secs(10), dropped.next_event()).await;
    assert!(matches!(first, Ok(Some(Ok(RunEvent::AgentUpdated { .. })))));
    drop(dropped);
    fake.push_text("Yes.");
    runner
        .run(&gateway, &assistant(), "Hello?")
        .await
        .expect("the session is free again");
    assert_eq!(session.get_items(None).await.expect("items").len(), 4);
}

#[tokio::test]
async fn a_failed_run_leaves_the_session_as_it_was() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::error(400, "bad request"));
    let session = MemorySession::new("user-6");
    session
        .add_items(&[InputItem::user("Hi")])
        .await
        .expect("add");
    let error = Runner::new()
        .session(&session)
        .run(&gateway, &assistant(), "Again")
        .await
        .expect_err("the gateway refuses");
    assert!(matches!(error, Error::Http { status: 400, .. }), "{error}");
    assert_eq!(
        session.get_items(None).await.expect("items"),
        vec![InputItem::user("Hi")]
    );
}

#[tokio::test]
async fn memory_session_pops_and_clears() {
    let session = MemorySession::new("user-7");
    assert_eq!(session.pop_item().await.expect("pop"), None);
    session
        .add_items(&[InputItem::user("a"), InputItem::assistant("b")])
        .await
        .expect("add");
    assert_eq!(session.get_items(Some(0)).await.expect("items"), vec![]);
    assert_eq!(
        session.pop_item().await.expect("pop"),
        Some(InputItem::assistant("b"))
    );
    session.clear_session().await.expect("clear");
    assert!(session.get_items(None).await.expect("items").is_empty());
    assert_eq!(session.session_id(), "user-7");
}

#[tokio::test]
async fn sqlite_items_survive_a_new_store_on_the_same_file() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_billing_agent",
        "{}",
    )]));
    fake.push_text("Refunded.");
    fake.push_text("Yes, refunded.");
    let (_dir, path) = temp_db();
    let agents = support_agents();
    {
        let session = SqliteSession::open(&path, "user-8").expect("open");
        Runner::new()
            .session(&session)
            .run(&gateway, &agents, "Refund my order")
            .await
            .expect("run");
    }
    // Another store on the file, as a restarted process would open it.
    let store = SqliteStore::open(&path).expect("reopen");
    let session = store.session("user-8");
    let stored = session.get_items(None).await.expect("items");
    assert_eq!(
        stored,
        vec![
            InputItem::user("Refund my order"),
            tool_call("call_0", "transfer_to_billing_agent"),
            tool_result("call_0", r#"{"assistant": "Billing Agent"}"#),
            InputItem::assistant("Refunded."),
        ]
    );
    Runner::new()
        .session(&session)
        .run(&gateway, &agents, "Did it work?")
        .await
        .expect("run");
    assert_eq!(messages(&fake, 2)[4]["content"], "Refunded.");
    assert_eq!(
        session.get_items(Some(2)).await.expect("items"),
        vec![
            InputItem::user("Did it work?"),
            InputItem::assistant("Yes, refunded.")
        ]
    );
    // Other conversations in the file are apart.
    let other = store.session("user-9");
    assert!(other.get_items(None).await.expect("items").is_empty());
    other
        .add_items(&[InputItem::user("Hi")])
        .await
        .expect("add");
    assert_eq!(session.get_items(None).await.expect("items").len(), 6);
    assert_eq!(
        session.pop_item().await.expect("pop"),
        Some(InputItem::assistant("Yes, refunded."))
    );
    session.clear_session().await.expect("clear");
    assert!(session.get_items(None).await.expect("items").is_empty());
    assert_eq!(other.get_items(None).await.expect("items").len(), 1);
    assert_eq!(store.path(), path);
}

#[tokio::test]
async fn sqlite_runs_on_one_conversation_are_serialized_across_stores() {
    let (fake, gateway) = fake().await;
    fake.push_text("First.");
    fake.push_text("Second.");
    let (_dir, path) = temp_db();
    // Two stores on one file, one conversation: the run lock is the file's and the id's.
    let one = SqliteSession::open(&path, "user-10").expect("open");
    let two = SqliteSession::open(&path, "user-10").expect("open");
    let (runner_one, runner_two, agents) = (
        Runner::new().session(&one),
        Runner::new().session(&two),
        assistant(),
    );
    let (first, second) = tokio::join!(
        runner_one.run(&gateway, &agents, "One"),
        runner_two.run(&gateway, &agents, "Two"),
    );
    first.expect("first");
    second.expect("second");
    assert_eq!(
        messages(&fake, 1),
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "One"},
            {"role": "assistant", "content": "First."},
            {"role": "user", "content": "Two"}
        ])
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_is_a_clear_error() {
    let (dir, _) = temp_db();
    let missing = dir.path().join("no-such-directory").join("sessions.db");
    let error = SqliteSession::open(&missing, "user").expect_err("no directory");
    let message = error.to_string();
    assert!(matches!(error, Error::Session(_)), "{error:?}");
    assert!(
        message.contains(&missing.display().to_string()) && message.contains("directory exists"),
        "{message}"
    );

    let not_a_database = dir.path().join("notes.txt");
    std::fs::write(
        &not_a_database,
        "these are not the tables you are looking for\n".repeat(100),
    )
    .expect("write");
    let error = SqliteStore::open(&not_a_database).expect_err("not SQLite");
    assert!(error.to_string().contains("not a database"), "{error}");
}

/// An assistant whose `refund` tool needs approval; it counts its real calls.
fn refunder(refunds: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> AgentSet {
    let refund = FunctionTool::sync(
        "refund",
        "Refunds an order.",
        json!({"type": "object", "properties": {}, "additionalProperties": false}),
        move |_| {
            refunds.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok("refunded".to_string())
        },
    )
    .needs_approval(true);
    AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("Be brief.").tool(refund))
}

#[tokio::test]
async fn a_run_stopped_for_approval_in_a_session_is_appended_when_it_resumes() {
    use respan_runtime::{RunOutcome, RunState};
    let (fake, gateway) = fake().await;
    let refunds = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let agents = refunder(refunds.clone());
    fake.push_text("Hi Ada.");
    fake.push(FakeResponse::tool_calls([("refund", "{}")]));
    fake.push_text("Done: refunded.");
    fake.push_text("You asked for a refund.");
    let session = MemorySession::new("user-9");
    let runner = Runner::new().session(&session);
    runner
        .run(&gateway, &agents, "My name is Ada.")
        .await
        .expect("first run");

    let outcome = runner
        .run_resumable(&gateway, &agents, "Refund my order.")
        .await
        .expect("run");
    let RunOutcome::Interrupted(state) = outcome else {
        panic!("the refund needs approval")
    };
    assert_eq!(refunds.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(
        session.get_items(None).await.expect("items").len(),
        2,
        "nothing appended while the run waits"
    );
    // The run saw the session's history.
    assert_eq!(
        messages(&fake, 1)[2],
        json!({"role": "assistant", "content": "Hi Ada."})
    );

    // Decided later, in another process: the state travels as JSON.
    let mut state: RunState = RunState::from_json(&state.to_json().expect("json")).expect("state");
    state.approve_all();

    // Another session's runner refuses it, and so does a runner outside sessions.
    let other = MemorySession::new("user-10");
    let error = Runner::new()
        .session(&other)
        .resume(&gateway, &agents, state.clone())
        .await
        .expect_err("another session");
    assert!(
        matches!(&error, Error::RunState(m) if m.contains("user-9") && m.contains("user-10")),
        "{error}"
    );
    assert!(other.get_items(None).await.expect("items").is_empty());

    let RunOutcome::Completed(result) = runner
        .resume(&gateway, &agents, state)
        .await
        .expect("resume")
    else {
        panic!("approved: the run completes")
    };
    assert_eq!(result.final_output, "Done: refunded.");
    assert_eq!(refunds.load(std::sync::atomic::Ordering::SeqCst), 1);
    let stored = session.get_items(None).await.expect("items");
    assert_eq!(stored.len(), 6, "{stored:?}");
    assert_eq!(stored[2], InputItem::user("Refund my order."));
    assert!(matches!(&stored[4], InputItem::Tool { content, .. } if content == "refunded"));
    assert_eq!(stored[5], InputItem::assistant("Done: refunded."));
    assert_eq!(result.to_input_list(), stored);

    // The next run continues the whole conversation.
    runner
        .run(&gateway, &agents, "What did I ask?")
        .await
        .expect("next run");
    assert_eq!(
        messages(&fake, 3).as_array().expect("messages").len(),
        1 + 6 + 1
    );
}

#[tokio::test]
async fn a_session_runner_refuses_a_state_from_outside_any_session() {
    use respan_runtime::RunOutcome;
    let (fake, gateway) = fake().await;
    let agents = refunder(Default::default());
    fake.push(FakeResponse::tool_calls([("refund", "{}")]));
    let RunOutcome::Interrupted(state) = Runner::new()
        .run_resumable(&gateway, &agents, "Refund my order.")
        .await
        .expect("run")
    else {
        panic!("the refund needs approval")
    };
    let session = MemorySession::new("user-11");
    let error = Runner::new()
        .session(&session)
        .resume(&gateway, &agents, state)
        .await
        .expect_err("not a session's run");
    assert!(
        matches!(&error, Error::RunState(m) if m.contains("Runner::resume")),
        "{error}"
    );
}
