// Template syntax errors are reported at the instructions.
#[respan::respan_agent(name = "Assistant", instructions = "Help {{ user }.")]
struct Assistant {
    user: String,
}

fn main() {}
