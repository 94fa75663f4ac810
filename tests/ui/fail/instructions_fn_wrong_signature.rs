// An `instructions_fn` takes the run's context and the agent; one that takes
// only a string does not compile, and the error names the TOML line.
respan::workflow!("instructions_fn_wrong_signature.toml");

mod prompts {
    pub fn billing(customer: &str) -> String {
        format!("Help {customer}.")
    }
}

fn main() {
    let _ = instructions_fn_wrong_signature::Workflow::new(instructions_fn_wrong_signature::Vars {});
}
