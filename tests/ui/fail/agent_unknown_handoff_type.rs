// `handoffs` are types: a misspelt one is a rustc error at the misspelling.
#[respan::respan_agent(name = "Triage Agent", instructions = "Route.", handoffs = [Biling])]
struct Triage;

#[respan::respan_agent(name = "Billing Agent", instructions = "Handle billing.")]
struct Billing;

fn main() {}
