// An `on_handoff` takes the run's context and the handoff enum; one that takes
// only a string does not compile, and the error names the TOML line.
respan::workflow!("on_handoff_wrong_signature.toml");

mod hooks {
    pub fn on_escalate(reason: &str) {
        let _ = reason;
    }
}

fn main() {
    let _ = on_handoff_wrong_signature::Workflow::new(on_handoff_wrong_signature::Vars {});
}
