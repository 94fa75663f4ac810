// `[tools.<name>]` binds to the Rust function of that name in scope, or to
// `rust = "path"`: both exist here, so the workflow compiles.
respan::workflow!("tools.toml");

fn lookup_invoice(id: String) -> String {
    format!("invoice {id}: paid")
}

mod payments {
    pub fn refund(id: String) -> String {
        format!("invoice {id}: refunded")
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
