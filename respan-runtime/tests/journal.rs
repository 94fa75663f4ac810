//! The durable-execution seam (`respan_runtime::journal`): every model request
//! and every tool call of a run goes through the journal, in order, and a
//! journal that answers from its records replays a run without a request or a
//! tool call.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::journal::Journal;
use respan_runtime::{
    Agent, AgentSet, BoxFuture, Error, FunctionTool, ModelResponse, Runner, ToolCall,
};
use serde_json::json;

/// A step as the journal saw it.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Model {
        agent: String,
        response: ModelResponse,
    },
    Tool {
        name: String,
        id: String,
        output: String,
    },
}

/// Runs every step and records its result.
#[derive(Default)]
struct Recorder(Mutex<Vec<Step>>);

impl Journal for Recorder {
    fn model_request<'a>(
        &'a self,
        agent: &'a str,
        request: BoxFuture<'a, Result<ModelResponse, Error>>,
    ) -> BoxFuture<'a, Result<ModelResponse, Error>> {
        Box::pin(async move {
            let response = request.await?;
            self.0.lock().unwrap().push(Step::Model {
                agent: agent.to_string(),
                response: response.clone(),
            });
            Ok(response)
        })
    }

    fn tool_call<'a>(
        &'a self,
        call: &'a ToolCall,
        run: BoxFuture<'a, String>,
    ) -> BoxFuture<'a, String> {
        Box::pin(async move {
            let output = run.await;
            self.0.lock().unwrap().push(Step::Tool {
                name: call.function.name.clone(),
                id: call.id.clone(),
                output: output.clone(),
            });
            output
        })
    }
}

/// Answers every step from a recording, without running it (a replay).
struct Replayer(Mutex<VecDeque<Step>>);

impl Journal for Replayer {
    fn model_request<'a>(
        &'a self,
        agent: &'a str,
        _request: BoxFuture<'a, Result<ModelResponse, Error>>,
    ) -> BoxFuture<'a, Result<ModelResponse, Error>> {
        let step = self.0.lock().unwrap().pop_front();
        Box::pin(async move {
            match step {
                Some(Step::Model {
                    agent: recorded,
                    response,
                }) if recorded == agent => Ok(response),
                other => panic!("the run asked the model of {agent}; the journal has {other:?}"),
            }
        })
    }

    fn tool_call<'a>(
        &'a self,
        call: &'a ToolCall,
        _run: BoxFuture<'a, String>,
    ) -> BoxFuture<'a, String> {
        let step = self.0.lock().unwrap().pop_front();
        Box::pin(async move {
            match step {
                Some(Step::Tool { id, output, .. }) if id == call.id => output,
                other => panic!("the run called {}; the journal has {other:?}", call.id),
            }
        })
    }
}

/// Triage hands off to billing, which calls `refund` twice in one answer, then answers.
fn agents() -> AgentSet<String, AtomicUsize> {
    let refund = FunctionTool::with_context(
        "refund",
        "Refunds an invoice.",
        json!({"type": "object", "properties": {"invoice": {"type": "string"}}, "required": ["invoice"], "additionalProperties": false}),
        |count: &AtomicUsize, args| {
            count.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(format!("refunded {}", args["invoice"])))
        },
    );
    AgentSet::new("Triage".to_string())
        .context::<AtomicUsize>()
        .agent(
            Agent::named("Triage")
                .context::<AtomicUsize>()
                .instructions("Route billing questions.")
                .handoffs(["Billing".to_string()]),
        )
        .agent(
            Agent::named("Billing")
                .context::<AtomicUsize>()
                .tool(refund),
        )
}

async fn script(fake: &FakeGateway) {
    fake.push(FakeResponse::tool_calls([("transfer_to_billing", "{}")]));
    fake.push(FakeResponse::tool_calls([
        ("refund", r#"{"invoice": "INV-1"}"#),
        ("refund", r#"{"invoice": "INV-2"}"#),
    ]));
    fake.push_text("Both refunded.");
}

#[tokio::test]
async fn every_request_and_tool_call_goes_through_the_journal_in_order() {
    let fake = FakeGateway::start().await.expect("fake gateway");
    script(&fake).await;
    let refunds = AtomicUsize::new(0);
    let journal = Recorder::default();
    let result = Runner::new()
        .run_journaled(
            &fake.gateway().unwrap(),
            &agents(),
            "Refund INV-1 and INV-2",
            &refunds,
            &journal,
        )
        .await
        .and_then(|outcome| outcome.into_result())
        .expect("run");
    assert_eq!(result.final_output, "Both refunded.");
    let steps = journal.0.into_inner().unwrap();
    let summary: Vec<String> = steps
        .iter()
        .map(|step| match step {
            Step::Model { agent, .. } => format!("model {agent}"),
            Step::Tool { name, id, output } => format!("{name} {id} = {output}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "model Triage",
            "model Billing",
            r#"refund call_0 = refunded "INV-1""#,
            r#"refund call_1 = refunded "INV-2""#,
            "model Billing",
        ]
    );
    // What the journal records is what the run used.
    let models: Vec<&ModelResponse> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Model { response, .. } => Some(response),
            _ => None,
        })
        .collect();
    assert_eq!(models, result.raw_responses.iter().collect::<Vec<_>>());
    assert_eq!(refunds.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_run_replayed_from_its_journal_sends_nothing_and_ends_the_same() {
    let fake = FakeGateway::start().await.expect("fake gateway");
    script(&fake).await;
    let refunds = AtomicUsize::new(0);
    let recorder = Recorder::default();
    let first = Runner::new()
        .run_journaled(
            &fake.gateway().unwrap(),
            &agents(),
            "Refund INV-1 and INV-2",
            &refunds,
            &recorder,
        )
        .await
        .and_then(|outcome| outcome.into_result())
        .expect("run");
    assert_eq!(fake.requests().len(), 3);

    // A recorded response serializes (a durable engine stores it as JSON).
    let steps: VecDeque<Step> = recorder
        .0
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|step| match step {
            Step::Model { agent, response } => Step::Model {
                agent,
                response: serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap(),
            },
            tool => tool,
        })
        .collect();
    let replayer = Replayer(Mutex::new(steps));
    let replayed = Runner::new()
        .run_journaled(
            &fake.gateway().unwrap(),
            &agents(),
            "Refund INV-1 and INV-2",
            &refunds,
            &replayer,
        )
        .await
        .and_then(|outcome| outcome.into_result())
        .expect("replay");
    assert_eq!(replayed, first);
    assert_eq!(fake.requests().len(), 3, "the replay sent no request");
    assert_eq!(refunds.load(Ordering::SeqCst), 2, "the replay ran no tool");
    assert!(
        replayer.0.into_inner().unwrap().is_empty(),
        "the replay used every step"
    );
}

#[tokio::test]
async fn a_recorded_failure_ends_the_run_with_its_message() {
    struct Failed;
    impl Journal for Failed {
        fn model_request<'a>(
            &'a self,
            _agent: &'a str,
            _request: BoxFuture<'a, Result<ModelResponse, Error>>,
        ) -> BoxFuture<'a, Result<ModelResponse, Error>> {
            Box::pin(async {
                Err(Error::Journaled(
                    "the gateway answered HTTP 400: bad model".into(),
                ))
            })
        }
    }
    let fake = FakeGateway::start().await.expect("fake gateway");
    let refunds = AtomicUsize::new(0);
    let error = Runner::new()
        .run_journaled(&fake.gateway().unwrap(), &agents(), "hi", &refunds, &Failed)
        .await
        .and_then(|outcome| outcome.into_result())
        .expect_err("the recorded failure");
    assert_eq!(
        error.to_string(),
        "the gateway answered HTTP 400: bad model"
    );
    assert!(fake.requests().is_empty());
}
