// A handoff target must be a `#[respan_agent]` struct.
#[respan::respan_agent(name = "Triage Agent", instructions = "Route.", handoffs = [Billing])]
struct Triage;

struct Billing;

fn main() {}
