// Every template variable is a field of `Vars`: forgetting one does not compile,
// so an instruction can never render with a variable missing.
respan::workflow!("../../../workflows/support.toml");

fn main() {
    let _ = support::Workflow::new(support::Vars {});
}
