//! A workflow file whose billing agent calls a Rust function: `[tools.lookup_invoice]`
//! in `workflows/support_tools.toml` binds to the `#[respan_tool] fn lookup_invoice` below.
//! The tool's JSON Schema comes from its signature (doc comments become
//! descriptions), and it reads the application's state through the run's
//! context (`&Invoices`): running the workflow without that context does not compile.
//!
//! ```sh
//! cargo run --example tools                      # offline gateway, no key needed
//! RESPAN_API_KEY=... cargo run --example tools   # the real Respan gateway
//! ```

use std::collections::HashMap;
use std::process::ExitCode;

use respan::{Gateway, OfflineExt, RunItem, respan_tool};

/// The application's state that tools read: here, a table of invoices.
struct Invoices {
    by_id: HashMap<String, Invoice>,
}

/// What `lookup_invoice` returns to the model (as JSON).
#[derive(Clone, Debug, serde::Serialize)]
struct Invoice {
    id: String,
    amount_cents: u64,
    status: &'static str,
    email: String,
}

/// Looks an invoice up by its number.
#[respan_tool]
fn lookup_invoice(
    invoices: &Invoices,
    /// The invoice number, e.g. "INV-42".
    invoice_id: String,
) -> Result<Invoice, String> {
    invoices
        .by_id
        .get(invoice_id.trim())
        .cloned()
        .ok_or_else(|| format!("no invoice {invoice_id}; invoice numbers look like INV-42"))
}

respan::workflow!("workflows/support_tools.toml");

async fn run() -> Result<(), respan::Error> {
    // RESPAN_TRACING=1 exports the run's trace (see the README's "Tracing").
    let _tracing = respan::tracing::init_from_env()?;
    let gateway = Gateway::from_env_or_offline().await?;
    if let Some(notice) = gateway.offline_notice() {
        println!("{notice}");
    }
    scenario(&gateway).await
}

/// The scenario on any gateway: `tests/cassettes.rs` replays it from
/// `tests/cassettes/tools.jsonl` (`scripts/record-cassettes.sh` records it).
pub(crate) async fn scenario(gateway: &Gateway) -> Result<(), respan::Error> {
    let invoices = Invoices {
        by_id: HashMap::from([(
            "INV-42".to_string(),
            Invoice {
                id: "INV-42".into(),
                amount_cents: 12_900,
                status: "paid twice (refund pending)",
                email: "ada@example.com".into(),
            },
        )]),
    };

    // The context type is the one `lookup_invoice` reads; `new` would not compile.
    let workflow = support_tools::Workflow::<Invoices>::with_context(support_tools::Vars {});
    let result = workflow
        .run_with(
            gateway,
            "I was charged twice for my invoice \"INV-42\", can you check it?",
            &invoices,
        )
        .await?;

    for item in &result.new_items {
        match item {
            RunItem::HandoffOutput { source, target, .. } => println!("→ {target} (from {source})"),
            RunItem::ToolCall { call, .. } => {
                println!("⚙ {} {}", call.function.name, call.function.arguments)
            }
            RunItem::ToolOutput { output, .. } => println!("  = {output}"),
            _ => {}
        }
    }
    println!("Handled by: {}", result.last_agent.name());
    println!("{}", result.final_output);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
