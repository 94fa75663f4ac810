//! The `[[tests]]` of every file of workflows/, compiled: `workflow!(.., tests)`
//! turns each into a `#[test]` run on the offline gateway (in `<module>::tests`),
//! including the routes `respan test` cannot run without Rust (the
//! `lookup_invoice` function, the `Refund` type).

respan::workflow!("workflows/quickstart.toml", tests);
respan::workflow!("workflows/switch_models.toml", tests);
respan::workflow!("workflows/support.toml", tests);
respan::workflow!("workflows/prompts.toml", tests);
respan::workflow!("workflows/respan_params.toml", tests);
respan::workflow!("workflows/support_tools.toml", tests);
respan::workflow!("workflows/ticket.toml", tests);

/// What `workflows/support_tools.toml` binds `lookup_invoice` to.
#[respan::respan_tool]
fn lookup_invoice(
    /// The invoice number, e.g. "INV-42".
    invoice_id: String,
) -> String {
    format!("invoice {invoice_id}: 120.00 EUR, paid")
}

/// What `workflows/ticket.toml` names as billing's output type.
#[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
#[allow(dead_code)]
struct Refund {
    /// Whether the customer gets money back.
    approved: bool,
    /// How much, in cents.
    amount_cents: u64,
}
