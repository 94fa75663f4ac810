//! The `[[tests]]` of a checked workflow file, run at run time: each test's
//! agents built by [`crate::load`] (its start, its variables), its input, and
//! its expectations as the runtime's [`Expectation`]s, each with the span it
//! is written at, so a failure points at its TOML line.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let checked = respan_codegen::check_source("support.toml", r#"
//! [workflow]
//! entry = "triage"
//!
//! [agents.triage]
//! instructions = "Route the question."
//! handoffs = ["billing"]
//!
//! [agents.billing]
//! handoff_description = "Billing and payment questions"
//!
//! [[tests]]
//! name = "routes_to_billing"
//! input = "A question about a payment"
//! last_agent = "billing"
//! max_requests = 1
//! "#);
//! let spec = checked.valid_spec().expect("no errors");
//! let gateway = respan_offline::OfflineGateway::start().await?;
//! let outcome = respan_cli::workflow_tests::run(spec, &spec.tests[0], &gateway, Default::default()).await;
//! let respan_cli::workflow_tests::Outcome::Failed(failures) = outcome else { panic!() };
//! assert_eq!(failures.len(), 1);
//! assert_eq!(failures[0].key, "max_requests");
//! assert_eq!(failures[0].mismatch.actual, "2 requests");
//! # Ok(()) }
//! ```

use respan_codegen::Spec;
use respan_codegen::spec::{ExpectationSpec, Span, Spanned, TestSpec};
use respan_offline::expect::{Expectation, Mismatch};
use respan_runtime::{Gateway, Input, InputItem, Runner};

use crate::command::CommandSettings;
use crate::load::{Load, LoadError};

/// How one test ended.
#[derive(Debug)]
pub enum Outcome {
    /// Every expectation was met.
    Passed,
    /// These expectations were not met (at least one).
    Failed(Vec<Failure>),
    /// The run itself failed (an error of the gateway, a tool, `max_turns`, ...).
    Error(respan_runtime::Error),
    /// The test cannot run here: it needs what only a compiled workflow has
    /// (a tool bound to a Rust function, an output Rust type), or the run
    /// cannot start as written.
    NotRunnable(LoadError),
}

/// An expectation a run did not meet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Its key (`last_agent`, `output`, ...).
    pub key: &'static str,
    /// Where it is written in the file.
    pub span: Span,
    /// What it wanted and what happened.
    pub mismatch: Mismatch,
}

/// The test's expectations as runtime values, each with its span. A regex the
/// checker accepted but the `regex` crate cannot build (over its size limit)
/// is the failure of that expectation.
pub fn expectations(test: &TestSpec) -> Result<Vec<Spanned<Expectation<String>>>, Failure> {
    test.expectations
        .iter()
        .map(|e| {
            let expectation = match &e.value {
                ExpectationSpec::LastAgent(id) => Expectation::LastAgent(id.clone()),
                ExpectationSpec::Handoffs(ids) => {
                    Expectation::Handoffs(ids.iter().map(|id| id.value.clone()).collect())
                }
                ExpectationSpec::ToolsCalled(tools) => {
                    Expectation::ToolsCalled(tools.iter().map(|t| t.value.clone()).collect())
                }
                ExpectationSpec::OutputContains(text) => Expectation::OutputContains(text.clone()),
                ExpectationSpec::OutputMatches(pattern) => Expectation::output_matches(pattern)
                    .map_err(|error| Failure {
                        key: "output_matches",
                        span: e.span,
                        mismatch: Mismatch {
                            expected: "a regex the `regex` crate can build".to_string(),
                            actual: error.to_string(),
                        },
                    })?,
                ExpectationSpec::OutputField { pointer, value } => Expectation::OutputField {
                    pointer: pointer.clone(),
                    value: value.clone(),
                },
                ExpectationSpec::MaxRequests(max) => Expectation::MaxRequests(*max),
            };
            Ok(Spanned::new(expectation, e.span))
        })
        .collect()
}

/// The test's input: one user message, or several in order.
pub fn input(test: &TestSpec) -> Input {
    let messages = test
        .input
        .as_ref()
        .map(|i| i.value.as_slice())
        .unwrap_or_default();
    match messages {
        [one] => Input::Text(one.clone()),
        many => Input::Items(many.iter().map(|m| InputItem::user(m.as_str())).collect()),
    }
}

/// Runs one test of `spec` (which has no errors) against `gateway`; command
/// tools run with `commands`.
pub async fn run(
    spec: &Spec,
    test: &TestSpec,
    gateway: &Gateway,
    commands: CommandSettings,
) -> Outcome {
    let load = Load::new(spec)
        .start(test.start(spec))
        .vars(
            test.vars
                .iter()
                .map(|(name, value)| (name.value.clone(), value.value.clone())),
        )
        .commands(commands);
    let agents = match load.agent_set() {
        Ok(agents) => agents,
        Err(error) => return Outcome::NotRunnable(error),
    };
    let expectations = match expectations(test) {
        Ok(expectations) => expectations,
        Err(failure) => return Outcome::Failed(vec![failure]),
    };
    let result = match Runner::new().run(gateway, &agents, input(test)).await {
        Ok(result) => result,
        Err(error) => return Outcome::Error(error),
    };
    let id = |agent: &String| agent.clone();
    let failures: Vec<Failure> = expectations
        .iter()
        .filter_map(|expectation| {
            expectation
                .check(&result, &id)
                .err()
                .map(|mismatch| Failure {
                    key: expectation.key(),
                    span: expectation.span,
                    mismatch,
                })
        })
        .collect();
    if failures.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(failures)
    }
}
