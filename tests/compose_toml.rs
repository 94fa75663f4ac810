//! Agents as tools and handoff options written in TOML
//! (tests/fixtures/compose.toml) compile against the runtime: the Rust
//! functions and types the file names are bound with the signatures the
//! options need, and typed handoff inputs ride in the handoff enum.

use std::sync::atomic::{AtomicUsize, Ordering};

respan::workflow!("tests/fixtures/compose.toml");

/// What the triage agent hands a billing question over with.
#[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
pub struct Escalation {
    /// Why the question is escalated.
    pub reason: String,
}

static ESCALATIONS: AtomicUsize = AtomicUsize::new(0);

pub mod hooks {
    use super::compose::{Agent, TriageHandoff};

    pub fn on_escalate(_: &(), handoff: TriageHandoff) {
        if let TriageHandoff::Billing(escalation) = handoff {
            assert!(!escalation.reason.is_empty());
            super::ESCALATIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    pub fn on_sales(_: &(), handoff: TriageHandoff) {
        assert_eq!(handoff.agent(), Agent::Sales);
    }

    pub fn technical_open(_: &(), _: &respan::Agent<Agent>) -> bool {
        true
    }
}

pub mod filters {
    pub fn last_message(items: &[respan::InputItem]) -> Vec<respan::InputItem> {
        items.last().cloned().into_iter().collect()
    }
}

/// Looks a fact up.
#[respan::respan_tool]
fn lookup(
    /// The fact to look up.
    topic: String,
) -> String {
    format!("{topic}: 42")
}

#[test]
fn the_workflow_builds_with_every_option() {
    let workflow = compose::Workflow::new(compose::Vars {});
    let _ = workflow;
    let handoff = compose::TriageHandoff::Billing(Escalation {
        reason: "a refund over the limit".into(),
    });
    assert_eq!(compose::Agent::from(handoff), compose::Agent::Billing);
    hooks::on_escalate(
        &(),
        compose::TriageHandoff::Billing(Escalation {
            reason: "twice charged".into(),
        }),
    );
    assert_eq!(ESCALATIONS.load(Ordering::SeqCst), 1);
    let technical = compose::TriageHandoff::Technical(serde_json::json!({ "product": "API" }));
    assert_eq!(technical.agent(), compose::Agent::Technical);
}
