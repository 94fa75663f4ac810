// `tools` are `#[respan_tool]` function paths: a missing one is a rustc error at its name.
#[respan::respan_agent(name = "Billing Agent", instructions = "Help.", tools = [lookup_invoice])]
struct Billing;

fn main() {}
