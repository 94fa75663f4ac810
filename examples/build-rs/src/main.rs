//! The support workflow compiled by build.rs and run: against the Respan gateway
//! with `RESPAN_API_KEY`, else against the embedded offline gateway.
//!
//! ```text
//! cargo run -p respan-example-build-rs
//! ```

use respan::OfflineExt as _; // `Gateway::from_env_or_offline`

// One module per workflow file: `support`, `quickstart`, ...
respan::include_workflows!();

/// Looks an invoice up by its number: the `[tools.lookup_invoice]` of
/// workflows/support_tools.toml binds to this function, found where the modules are
/// included.
#[respan::respan_tool]
fn lookup_invoice(
    /// The invoice number, e.g. "INV-42".
    invoice_id: String,
) -> String {
    format!("invoice {invoice_id}: 129.00 EUR, paid")
}

/// The billing agent's answer in workflows/ticket.toml
/// (`[agents.billing.output] rust = "Refund"`).
#[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
struct Refund {
    /// Whether the customer gets money back.
    approved: bool,
    /// How much, in cents.
    amount_cents: u64,
    /// Why, in one sentence.
    reason: String,
}

#[tokio::main]
async fn main() -> Result<(), respan::Error> {
    let gateway = respan::Gateway::from_env_or_offline().await?;
    let workflow = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    });
    let run = workflow
        .run(&gateway, "I'm having trouble connecting to the API.")
        .await?;
    let team = match run.last_agent {
        support::Agent::Technical => "technical support",
        support::Agent::Billing => "billing",
        support::Agent::Triage => "triage",
    };
    println!("Handled by {team} ({})", run.last_agent.name());
    println!("{}", run.final_output);

    // A workflow with structured output: each agent's answer has its type.
    let ticket = ticket::Workflow::new(ticket::Vars {})
        .run(&gateway, "I was charged twice, can I get a refund?")
        .await?;
    match ticket.final_output {
        ticket::Output::Billing(Refund {
            approved,
            amount_cents,
            reason,
        }) => println!("Refund approved: {approved} ({amount_cents} cents): {reason}"),
        other => println!("{other}"),
    }
    Ok(())
}
