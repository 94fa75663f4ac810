//! What a workflow test expects of a run, and how a run measures up (the
//! facade's feature `offline`).
//!
//! The `[[tests]]` tables of a workflow file become these values: `respan
//! test` checks them after each run, and a compiled workflow's generated
//! `#[test]`s (`workflow!("file.toml", tests)`) run a [`WorkflowTest`] on the
//! offline gateway. Nothing here knows a file format: an [`Origin`] is only the
//! text a failure names.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), respan_runtime::Error> {
//! use respan_offline::OfflineGateway;
//! use respan_offline::expect::Expectation;
//! use respan_runtime::{Agent, AgentSet};
//!
//! let agents = AgentSet::new("triage")
//!     .agent(Agent::new("triage", "Triage Agent").instructions("Route the question.").handoff("billing"))
//!     .agent(Agent::new("billing", "Billing Agent").handoff_description("Billing and invoices"));
//! let gateway = OfflineGateway::start().await?;
//! let result = respan_runtime::run(&gateway, &agents, "I have a billing question").await?;
//!
//! let id = |agent: &&str| agent.to_string();
//! assert!(Expectation::LastAgent("billing").check(&result, &id).is_ok());
//! let mismatch = Expectation::MaxRequests(1).check(&result, &id).unwrap_err();
//! assert_eq!(mismatch.expected, "at most 1 model request");
//! assert_eq!(mismatch.actual, "2 requests");
//! # Ok(()) }
//! ```

use std::fmt::Write as _;

use regex::Regex;
use serde_json::Value;

use respan_runtime::{AgentKey, AgentSet, Input, InputItem, RunItem, RunResult, Runner};

use crate::OfflineGateway;

/// One thing a run must show.
#[derive(Clone, Debug)]
pub enum Expectation<K> {
    /// The agent that gave the final answer.
    LastAgent(K),
    /// The agents handed to, in order: exactly these.
    Handoffs(Vec<K>),
    /// The function tools called, in order: exactly these (handoffs are not tools).
    ToolsCalled(Vec<String>),
    /// The final output contains this text.
    OutputContains(String),
    /// The final output matches this regular expression.
    OutputMatches(Regex),
    /// The structured output's value at this JSON pointer (RFC 6901, e.g.
    /// `/severity`) equals this one (numbers compare by value: `1` = `1.0`).
    OutputField {
        /// Where in the structured output.
        pointer: String,
        /// What it must be.
        value: Value,
    },
    /// The run made at most this many model requests.
    MaxRequests(u32),
}

/// What an expectation wanted and what the run did, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// E.g. "`billing`".
    pub expected: String,
    /// E.g. "`technical` (no handoff)".
    pub actual: String,
}

impl<K> Expectation<K> {
    /// [`Expectation::OutputMatches`] from a pattern of the `regex` crate.
    pub fn output_matches(pattern: &str) -> Result<Self, regex::Error> {
        Regex::new(pattern).map(Expectation::OutputMatches)
    }

    /// [`Expectation::OutputField`] with its value written as JSON text (what
    /// generated tests pass).
    ///
    /// # Panics
    ///
    /// When `json` is not JSON: the generator only writes JSON it serialized.
    pub fn output_field(pointer: &str, json: &str) -> Self {
        let value = serde_json::from_str(json).unwrap_or_else(|e| {
            panic!("the value expected at `{pointer}` is not JSON ({e}): {json}")
        });
        Expectation::OutputField {
            pointer: pointer.to_string(),
            value,
        }
    }

    /// The name of the expectation, as a workflow file writes its key.
    pub fn key(&self) -> &'static str {
        match self {
            Expectation::LastAgent(_) => "last_agent",
            Expectation::Handoffs(_) => "handoffs",
            Expectation::ToolsCalled(_) => "tools_called",
            Expectation::OutputContains(_) => "output_contains",
            Expectation::OutputMatches(_) => "output_matches",
            Expectation::OutputField { .. } => "output",
            Expectation::MaxRequests(_) => "max_requests",
        }
    }
}

impl<K: AgentKey> Expectation<K> {
    /// Whether `result` shows this; `id` names an agent in the messages.
    pub fn check(&self, result: &RunResult<K>, id: &dyn Fn(&K) -> String) -> Result<(), Mismatch> {
        let quoted = |k: &K| format!("`{}`", id(k));
        let list = |items: &mut dyn Iterator<Item = String>| {
            let items: Vec<String> = items.collect();
            if items.is_empty() {
                "none".to_string()
            } else {
                items.join(", ")
            }
        };
        let mismatch = |expected: String, actual: String| Err(Mismatch { expected, actual });
        let output = &result.final_output;
        match self {
            Expectation::LastAgent(agent) if *agent == result.last_agent => Ok(()),
            Expectation::LastAgent(agent) => mismatch(
                quoted(agent),
                format!("`{}` answered", id(&result.last_agent)),
            ),
            Expectation::Handoffs(expected) => {
                let actual: Vec<&K> = result
                    .new_items
                    .iter()
                    .filter_map(|item| match item {
                        RunItem::HandoffOutput { target, .. } => Some(target),
                        _ => None,
                    })
                    .collect();
                if actual.iter().copied().eq(expected.iter()) {
                    return Ok(());
                }
                mismatch(
                    list(&mut expected.iter().map(quoted)),
                    list(&mut actual.into_iter().map(quoted)),
                )
            }
            Expectation::ToolsCalled(expected) => {
                let actual: Vec<&str> = result
                    .new_items
                    .iter()
                    .filter_map(|item| match item {
                        RunItem::ToolCall { call, .. } => Some(call.function.name.as_str()),
                        _ => None,
                    })
                    .collect();
                if actual
                    .iter()
                    .copied()
                    .eq(expected.iter().map(String::as_str))
                {
                    return Ok(());
                }
                mismatch(
                    list(&mut expected.iter().map(|t| format!("`{t}`"))),
                    list(&mut actual.into_iter().map(|t| format!("`{t}`"))),
                )
            }
            Expectation::OutputContains(text) if output.contains(text.as_str()) => Ok(()),
            Expectation::OutputContains(text) => {
                mismatch(format!("an output containing {text:?}"), shown(output))
            }
            Expectation::OutputMatches(regex) if regex.is_match(output) => Ok(()),
            Expectation::OutputMatches(regex) => mismatch(
                format!("an output matching /{}/", regex.as_str()),
                shown(output),
            ),
            Expectation::OutputField { pointer, value } => {
                let expected = format!("`{pointer}` = {value}");
                match &result.output_value {
                    None => mismatch(
                        expected,
                        format!("a text answer, not structured output: {}", shown(output)),
                    ),
                    Some(structured) => match structured.pointer(pointer) {
                        Some(actual) if same_json(actual, value) => Ok(()),
                        Some(actual) => mismatch(expected, format!("`{pointer}` = {actual}")),
                        None => mismatch(
                            expected,
                            format!("no `{pointer}` in {}", shown(&structured.to_string())),
                        ),
                    },
                }
            }
            Expectation::MaxRequests(max) if result.usage.requests <= *max => Ok(()),
            Expectation::MaxRequests(max) => mismatch(
                format!(
                    "at most {max} model request{}",
                    if *max == 1 { "" } else { "s" }
                ),
                format!("{} requests", result.usage.requests),
            ),
        }
    }
}

/// JSON equality where numbers compare by value (TOML's `1` and a model's `1.0`).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// A text in a failure message: quoted, and cut after 300 characters.
fn shown(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{:?}… ({} characters)", &text[..at], text.chars().count()),
        None => format!("{text:?}"),
    }
}

/// Where an expectation is written: `file:line:column` and that line's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// E.g. `workflows/support.toml:31:14`.
    pub location: &'static str,
    /// The line as written, e.g. `last_agent = "billing"`.
    pub line: &'static str,
}

/// A workflow test: a run (its input, the agent it starts with) and what it
/// must show. Generated `#[test]`s build one per `[[tests]]` table and call
/// [`WorkflowTest::run_offline`].
#[derive(Clone, Debug)]
pub struct WorkflowTest<K> {
    name: String,
    input: Vec<String>,
    start: Option<K>,
    expectations: Vec<(Expectation<K>, Origin)>,
}

impl<K: AgentKey> WorkflowTest<K> {
    /// A test named `name` (e.g. `support::routes_to_billing`) sending these
    /// user messages, in order.
    pub fn new(
        name: impl Into<String>,
        input: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            name: name.into(),
            input: input.into_iter().map(Into::into).collect(),
            start: None,
            expectations: Vec::new(),
        }
    }

    /// Starts the run at this agent instead of the set's entry.
    pub fn start(mut self, agent: K) -> Self {
        self.start = Some(agent);
        self
    }

    /// Adds an expectation, written at `origin`.
    pub fn expect(mut self, expectation: Expectation<K>, origin: Origin) -> Self {
        self.expectations.push((expectation, origin));
        self
    }

    /// The run's input: one user message, or several in order.
    pub fn input(&self) -> Input {
        match self.input.as_slice() {
            [one] => Input::Text(one.clone()),
            many => Input::Items(many.iter().map(|m| InputItem::user(m.as_str())).collect()),
        }
    }

    /// `agents`, starting where the test starts.
    pub fn agents<C>(&self, agents: &AgentSet<K, C>) -> AgentSet<K, C> {
        match &self.start {
            Some(start) => agents.clone().with_entry(start.clone()),
            None => agents.clone(),
        }
    }

    /// Runs the test on a fresh offline gateway and panics, naming every
    /// expectation not met (with its origin), when the run fails or any is
    /// not met; `id` names an agent (a generated `Agent::id`). For `#[test]`
    /// functions: it starts its own tokio runtime.
    pub fn run_offline(&self, agents: &AgentSet<K>, id: fn(K) -> &'static str) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| {
                panic!(
                    "workflow test `{}`: cannot start a tokio runtime: {e}",
                    self.name
                )
            });
        let outcome = runtime.block_on(async {
            let gateway = OfflineGateway::start().await?;
            Runner::new()
                .run(&gateway, &self.agents(agents), self.input())
                .await
        });
        let result = match outcome {
            Ok(result) => result,
            Err(error) => panic!(
                "workflow test `{}` failed: the run ended with an error: {error}",
                self.name
            ),
        };
        let name = |k: &K| id(k.clone()).to_string();
        if let Some(report) = self.failures(&result, &name) {
            panic!("{report}");
        }
    }

    /// Every expectation `result` does not meet, as a report naming each one's
    /// origin; `None` when all are met.
    pub fn failures(&self, result: &RunResult<K>, id: &dyn Fn(&K) -> String) -> Option<String> {
        let failed: Vec<(&Expectation<K>, &Origin, Mismatch)> = self
            .expectations
            .iter()
            .filter_map(|(e, origin)| e.check(result, id).err().map(|m| (e, origin, m)))
            .collect();
        if failed.is_empty() {
            return None;
        }
        let mut report = format!(
            "workflow test `{}` failed: {} of {} expectations not met\n",
            self.name,
            failed.len(),
            self.expectations.len()
        );
        for (expectation, origin, mismatch) in failed {
            let _ = write!(
                report,
                "\n{key} not met\n  --> {location}\n   |\n   | {line}\n   |\n   = expected: {expected}\n   =   actual: {actual}\n",
                key = expectation.key(),
                location = origin.location,
                line = origin.line,
                expected = mismatch.expected,
                actual = mismatch.actual,
            );
        }
        Some(report)
    }
}
