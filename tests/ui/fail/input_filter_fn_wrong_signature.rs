// An `input_filter_fn` maps the history to the history the next agent sees;
// one that returns a string does not compile, and the error names the TOML line.
respan::workflow!("input_filter_fn_wrong_signature.toml");

mod filters {
    pub fn last(items: &[respan::InputItem]) -> String {
        format!("{} items", items.len())
    }
}

fn main() {
    let _ = input_filter_fn_wrong_signature::Workflow::new(input_filter_fn_wrong_signature::Vars {});
}
