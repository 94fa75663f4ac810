// The support workflow declared in Rust: handoffs are types, fields are the
// template variables; the structs form an agent set.
use respan::{AgentDef, AgentSetExt};

#[respan::respan_agent(
    name = "Triage Agent",
    instructions = "Route to the appropriate agent based on the question.",
    handoffs = [Billing, Technical],
)]
struct Triage;

#[respan::respan_agent(
    name = "Billing Agent",
    handoff_description = "Billing and payment questions",
    instructions = "Handle billing and payment questions for {{ customer }}.",
    tools = [lookup_invoice],
    respan(customer_identifier = "user_123", metadata(env = "production")),
)]
struct Billing {
    customer: String,
}

#[respan::respan_agent(
    name = "Technical Agent",
    model = "claude-sonnet-4-5-20250929",
    model_settings(temperature = 0.2, max_tokens = 500, seed = -1, stop = ["END"]),
    instructions = "Handle technical support questions for {{ product }}.",
    prompt(prompt_id = "YOUR_PROMPT_ID", placement = "header"),
)]
struct Technical {
    product: String,
}

/// Looks an invoice up.
#[respan::respan_tool]
fn lookup_invoice(id: String) -> String {
    format!("invoice {id}: paid")
}

fn main() {
    let agents = Triage
        .agent_set()
        .with(&Billing {
            customer: "ACME".into(),
        })
        .with(&Technical {
            product: "Respan".into(),
        });
    assert_eq!(agents.entry(), &"triage");
    let technical = agents.get(&Technical::ID).unwrap();
    assert_eq!(
        technical.instructions_text(),
        Some("Handle technical support questions for Respan.")
    );
    assert_eq!(technical.model_name(), Some("claude-sonnet-4-5-20250929"));
    assert_eq!(
        agents.get(&Triage::ID).unwrap().handoff_targets(),
        &["billing", "technical"]
    );
    assert_eq!(Billing::NAME, "Billing Agent");
    let billing = agents.get(&Billing::ID).unwrap();
    assert_eq!(billing.tools().len(), 1);
    assert_eq!(billing.tools()[0].name(), "lookup_invoice");
    let _ = lookup_invoice(String::new());
}
