// The same checker as for TOML files: an agent cannot hand off to itself.
#[respan::respan_agent(name = "Triage Agent", instructions = "Route.", handoffs = [Triage])]
struct Triage;

fn main() {}
