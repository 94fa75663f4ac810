// Settings get the same range checks (and messages) as workflow files.
#[respan::respan_agent(
    name = "Assistant",
    instructions = "Help.",
    model_settings(temperature = 2.5)
)]
struct Assistant;

fn main() {}
