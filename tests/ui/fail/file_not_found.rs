// A path that does not exist: the error is at the path, and `support` still
// resolves (as an empty stub) so nothing else fails.
respan::workflow!("workflows/suport.toml");

fn main() {
    let _ = suport::Workflow::new(suport::Vars {});
}
