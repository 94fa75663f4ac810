//! The support workflow with a tool (`workflows/support_tools.toml`), run
//! durably on Restate: every model request and every tool call is recorded in
//! Restate's journal, so a run survives this process dying between two steps.
//!
//! ```sh
//! # 1. The Restate server (a binary in the npm package; or `docker run restatedev/restate`):
//! npx @restatedev/restate-server
//! # 2. This service (offline gateway without RESPAN_API_KEY), on 127.0.0.1:9080:
//! cargo run -p respan-restate --example durable
//! # 3. Tell Restate where it is, once:
//! curl localhost:9070/deployments --json '{"uri": "http://127.0.0.1:9080"}'
//! # 4. A run, under a key of your choice (one run per key); the answer is its RunOutput:
//! curl localhost:8080/SupportTools/ticket-1/run \
//!     --json '{"input": "I was charged twice for my invoice \"INV-42\", can you check it?"}'
//! # Or start it and come back for the result (kill and restart step 2 in between):
//! curl localhost:8080/SupportTools/ticket-2/run/send --json '{"input": "Where is INV-42?"}'
//! curl localhost:8080/restate/workflow/SupportTools/ticket-2/output
//! ```
//!
//! `RESPAN_RESTATE_ADDR` changes the address this service listens on.

use std::collections::HashMap;
use std::process::ExitCode;

use respan::{Gateway, OfflineExt, respan_tool};
use respan_restate::DurableWorkflow;

/// The application's state that the tool reads: a table of invoices.
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

respan::workflow!("../workflows/support_tools.toml");

#[tokio::main]
async fn main() -> ExitCode {
    let gateway = match Gateway::from_env_or_offline().await {
        Ok(gateway) => gateway,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(notice) = gateway.offline_notice() {
        println!("{notice}");
    }
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
    let workflow = support_tools::Workflow::<Invoices>::with_context(support_tools::Vars {});
    let durable = match DurableWorkflow::with_context(
        "SupportTools",
        gateway,
        workflow.agents().clone(),
        invoices,
    ) {
        Ok(durable) => durable,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = std::env::var("RESPAN_RESTATE_ADDR").unwrap_or_else(|_| "127.0.0.1:9080".into());
    let Ok(addr) = addr.parse() else {
        eprintln!("error: RESPAN_RESTATE_ADDR={addr:?} is not an address like 127.0.0.1:9080");
        return ExitCode::FAILURE;
    };
    println!(
        "Serving the Restate service SupportTools on http://{addr} (register it with Restate)"
    );
    durable.serve(addr).await;
    ExitCode::SUCCESS
}
