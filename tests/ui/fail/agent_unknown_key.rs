// Unknown arguments are errors with a suggestion, never ignored.
#[respan::respan_agent(name = "Assistant", instrutions = "Help.")]
struct Assistant;

fn main() {}
