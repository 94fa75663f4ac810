// `[tools.<name>]` binds to the `#[respan_tool]` function of that name in
// scope, or to `rust = "path"`: both exist here, so the workflow compiles.
respan::workflow!("tools.toml");

/// Looks an invoice up.
#[respan::respan_tool]
fn lookup_invoice(id: String) -> String {
    format!("invoice {id}: paid")
}

mod payments {
    /// Refunds an invoice.
    #[respan::respan_tool]
    pub fn refund(id: String) -> Result<String, String> {
        Ok(format!("invoice {id}: refunded"))
    }
}

fn main() {
    let _ = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    });
    let _ = (
        lookup_invoice(String::new()),
        payments::refund(String::new()),
    );
}
