// Every workflow in workflows/ compiles, and an exhaustive `match` on each
// `Agent` enum is accepted.
respan::workflow!("../../../workflows/quickstart.toml");
respan::workflow!("../../../workflows/switch_models.toml");
respan::workflow!("../../../workflows/support.toml");
respan::workflow!("../../../workflows/prompts.toml");
respan::workflow!("../../../workflows/respan_params.toml");

fn describe(agent: support::Agent) -> &'static str {
    match agent {
        support::Agent::Triage => "routes",
        support::Agent::Billing => "bills",
        support::Agent::Technical => "fixes",
    }
}

fn main() {
    let _ = quickstart::Workflow::new(quickstart::Vars {});
    let _ = switch_models::Workflow::new(switch_models::Vars {});
    let _ = prompts::Workflow::new(prompts::Vars {});
    let _ = respan_params::Workflow::new(respan_params::Vars {});
    let support = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    });
    assert!(support.agents().get(&support::Agent::Technical).is_some());
    for agent in support::Agent::ALL {
        assert!(!describe(agent).is_empty());
    }
    let _ = support::TriageHandoff::ALL.map(support::Agent::from);
    let _ = quickstart::Agent::Assistant;
    let _ = switch_models::Agent::Assistant;
    let _ = prompts::Agent::PromptAgent;
    let _ = respan_params::Agent::Tracked;
}
