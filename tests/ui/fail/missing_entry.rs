// The workflow has one mistake; the error names the TOML file's line and column,
// and code using the module does not add errors of its own (a stub is emitted).
respan::workflow!("missing_entry.toml");

fn main() {
    let workflow = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    });
    let _ = workflow;
}
