// An attribute `is_enabled_fn` is a predicate of the run's context; one that
// returns a string does not compile.
#[respan::respan_agent(
    name = "Triage Agent",
    instructions = "Route.",
    handoffs = [Billing],
    handoff(Billing, is_enabled_fn = hooks::billing_open),
)]
struct Triage;

#[respan::respan_agent(name = "Billing Agent", instructions = "Bill.")]
struct Billing;

mod hooks {
    pub fn billing_open(_ctx: &()) -> &'static str {
        "yes"
    }
}

fn main() {}
