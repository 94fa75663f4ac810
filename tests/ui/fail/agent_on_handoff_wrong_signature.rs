// An attribute `on_handoff` takes the run's context (and the typed input when
// the handoff has `input_type`); one that takes only a string does not compile.
#[respan::respan_agent(
    name = "Triage Agent",
    instructions = "Route.",
    handoffs = [Billing],
    handoff(Billing, on_handoff = hooks::on_billing),
)]
struct Triage;

#[respan::respan_agent(name = "Billing Agent", instructions = "Bill.")]
struct Billing;

mod hooks {
    pub fn on_billing(reason: &str) {
        let _ = reason;
    }
}

fn main() {}
