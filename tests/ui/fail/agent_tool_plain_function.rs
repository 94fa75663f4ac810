// A tool must be a `#[respan_tool]` function: a plain one is an error at its path.
fn lookup_invoice(id: String) -> String {
    id
}

#[respan::respan_agent(name = "Billing Agent", instructions = "Help.", tools = [lookup_invoice])]
struct Billing;

fn main() {}
