//! `expect`: what a workflow test checks of a run. Each expectation is met by
//! a run of the offline gateway that shows it and not met by one that does
//! not, with the words a failure report uses; `WorkflowTest::run_offline`
//! (what generated `#[test]`s call) panics naming every expectation not met
//! and where it is written.

use respan_offline::OfflineGateway;
use respan_offline::expect::{Expectation, Origin, WorkflowTest};
use respan_runtime::{Agent, AgentSet, OutputType, RunResult};
use serde_json::json;

fn agents() -> AgentSet<&'static str> {
    let schema = json!({"type": "object", "properties": {"severity": {"type": "string", "enum": ["low", "high"]}, "score": {"type": "number"}}});
    AgentSet::new("triage")
        .agent(
            Agent::new("triage", "Triage Agent")
                .instructions("Route the question.")
                .handoffs(["billing", "technical"]),
        )
        .agent(
            Agent::new("billing", "Billing Agent")
                .handoff_description("Billing questions: invoices, charges and payments"),
        )
        .agent(
            Agent::new("technical", "Technical Agent")
                .handoff_description("Technical support and API problems")
                .output_type_value(OutputType::from_schema(schema)),
        )
}

async fn run(agents: &AgentSet<&'static str>, input: &str) -> RunResult<&'static str> {
    let gateway = OfflineGateway::start().await.unwrap();
    respan_runtime::run(&gateway, agents, input).await.unwrap()
}

fn id(agent: &&'static str) -> String {
    agent.to_string()
}

#[tokio::test]
async fn each_expectation_is_met_or_says_what_differs() {
    let billing = run(&agents(), "I was charged twice on my invoice.").await;
    let technical = run(&agents().with_entry("technical"), "The API times out.").await;

    let met = |e: Expectation<&'static str>, r: &RunResult<&'static str>| {
        assert_eq!(e.check(r, &id), Ok(()), "{e:?}");
    };
    let unmet = |e: Expectation<&'static str>,
                 r: &RunResult<&'static str>,
                 expected: &str,
                 actual: &str| {
        let mismatch = e.check(r, &id).unwrap_err();
        assert_eq!(mismatch.expected, expected, "{e:?}");
        assert!(
            mismatch.actual.starts_with(actual),
            "{e:?}: {}",
            mismatch.actual
        );
    };

    met(Expectation::LastAgent("billing"), &billing);
    unmet(
        Expectation::LastAgent("technical"),
        &billing,
        "`technical`",
        "`billing` answered",
    );
    met(Expectation::Handoffs(vec!["billing"]), &billing);
    met(Expectation::Handoffs(vec![]), &technical);
    unmet(
        Expectation::Handoffs(vec!["technical"]),
        &billing,
        "`technical`",
        "`billing`",
    );
    unmet(
        Expectation::Handoffs(vec!["billing"]),
        &technical,
        "`billing`",
        "none",
    );
    met(Expectation::ToolsCalled(vec![]), &billing);
    unmet(
        Expectation::ToolsCalled(vec!["lookup".into()]),
        &billing,
        "`lookup`",
        "none",
    );
    met(
        Expectation::OutputContains("charged twice".into()),
        &billing,
    );
    unmet(
        Expectation::OutputContains("refund".into()),
        &billing,
        "an output containing \"refund\"",
        "\"[respan offline gateway",
    );
    met(
        Expectation::output_matches(r"(?i)INVOICE\.").unwrap(),
        &billing,
    );
    unmet(
        Expectation::output_matches("^refund$").unwrap(),
        &billing,
        "an output matching /^refund$/",
        "\"[respan offline gateway",
    );
    assert!(Expectation::<&str>::output_matches("(").is_err());
    let severity = technical.output_value.as_ref().unwrap()["severity"].clone();
    met(
        Expectation::OutputField {
            pointer: "/severity".into(),
            value: severity.clone(),
        },
        &technical,
    );
    let other = if severity == "low" { "high" } else { "low" };
    unmet(
        Expectation::output_field("/severity", &format!("{other:?}")),
        &technical,
        &format!("`/severity` = \"{other}\""),
        &format!("`/severity` = {severity}"),
    );
    unmet(
        Expectation::output_field("/missing", "1"),
        &technical,
        "`/missing` = 1",
        "no `/missing` in",
    );
    unmet(
        Expectation::output_field("/severity", "\"low\""),
        &billing,
        "`/severity` = \"low\"",
        "a text answer, not structured output",
    );
    met(Expectation::MaxRequests(2), &billing);
    unmet(
        Expectation::MaxRequests(1),
        &billing,
        "at most 1 model request",
        "2 requests",
    );
}

#[tokio::test]
async fn numbers_compare_by_value() {
    // A model answering `1.0` where the test wrote `1` (TOML integers stay integers).
    let fake = respan_offline::testing::FakeGateway::start().await.unwrap();
    fake.push(respan_offline::testing::FakeResponse::text(
        r#"{"score": 1.0, "tags": [2.0], "meta": {"n": 3.0}}"#,
    ));
    let schema = json!({"type": "object", "properties": {"score": {"type": "number"}, "tags": {"type": "array", "items": {"type": "number"}}, "meta": {"type": "object", "properties": {"n": {"type": "number"}}}}});
    let agents = AgentSet::new("a")
        .agent(Agent::new("a", "A").output_type_value(OutputType::from_schema(schema)));
    let result = respan_runtime::run(&fake.gateway().unwrap(), &agents, "score it")
        .await
        .unwrap();
    for (pointer, json) in [
        ("/score", "1"),
        ("/score", "1.0"),
        ("/tags", "[2]"),
        ("/meta", r#"{"n": 3}"#),
        ("/meta/n", "3"),
    ] {
        assert_eq!(
            Expectation::output_field(pointer, json).check(&result, &id),
            Ok(()),
            "{pointer} = {json}"
        );
    }
    for (pointer, json) in [
        ("/score", "\"1\""),
        ("/score", "2"),
        ("/tags", "[2, 3]"),
        ("/meta", r#"{"n": 3, "m": 1}"#),
    ] {
        assert!(
            Expectation::output_field(pointer, json)
                .check(&result, &id)
                .is_err(),
            "{pointer} = {json}"
        );
    }
}

const AT: Origin = Origin {
    location: "workflows/support.toml:31:14",
    line: "last_agent = \"technical\"",
};

#[test]
fn run_offline_passes_when_every_expectation_is_met() {
    WorkflowTest::new("support::billing", ["I was charged twice on my invoice."])
        .expect(Expectation::LastAgent("billing"), AT)
        .expect(Expectation::Handoffs(vec!["billing"]), AT)
        .run_offline(&agents(), |agent| agent);
}

#[test]
fn run_offline_panics_naming_each_expectation_not_met_and_its_line() {
    let panic = std::panic::catch_unwind(|| {
        WorkflowTest::new(
            "support::routes",
            ["Hello.", "I was charged twice on my invoice."],
        )
        .expect(Expectation::LastAgent("technical"), AT)
        .expect(Expectation::MaxRequests(5), AT)
        .expect(
            Expectation::OutputContains("refund".into()),
            Origin {
                location: "workflows/support.toml:32:19",
                line: "output_contains = \"refund\"",
            },
        )
        .run_offline(&agents(), |agent| agent);
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message
            .starts_with("workflow test `support::routes` failed: 2 of 3 expectations not met\n"),
        "{message}"
    );
    assert!(message.contains(
        "last_agent not met\n  --> workflows/support.toml:31:14\n   |\n   | last_agent = \"technical\"\n   |\n   = expected: `technical`\n   =   actual: `billing` answered\n"
    ), "{message}");
    assert!(
        message.contains("output_contains not met\n  --> workflows/support.toml:32:19"),
        "{message}"
    );
    assert!(!message.contains("max_requests"), "{message}");
}

#[test]
fn run_offline_starts_where_the_test_says() {
    WorkflowTest::new("support::technical", ["The API times out."])
        .start("technical")
        .expect(Expectation::LastAgent("technical"), AT)
        .expect(Expectation::MaxRequests(1), AT)
        .run_offline(&agents(), |agent| agent);
    let panic = std::panic::catch_unwind(|| {
        WorkflowTest::new("support::fails", ["The API times out."])
            .start("nobody")
            .run_offline(&agents(), |agent| agent);
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("workflow test `support::fails` failed: the run ended with an error:"),
        "{message}"
    );
}
