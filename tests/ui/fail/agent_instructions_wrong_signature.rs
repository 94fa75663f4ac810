// `#[respan_agent(instructions = path)]`: a function of another signature is
// an error at the path.
mod prompts {
    pub fn desk(customer: &str) -> String {
        format!("Help {customer}.")
    }
}

#[respan::respan_agent(name = "Front Desk", instructions = prompts::desk)]
struct Desk;

fn main() {}
