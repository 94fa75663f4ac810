// `agent_tool(..)` names a `#[respan_agent]` struct; a plain struct is refused.
#[respan::respan_agent(
    name = "Manager",
    instructions = "Delegate.",
    agent_tool(Researcher, name = "research"),
)]
struct Manager;

struct Researcher;

fn main() {}
