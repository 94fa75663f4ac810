// The struct's fields are the template variables: using one it lacks is an error
// at the instructions.
#[respan::respan_agent(
    name = "Technical Agent",
    instructions = "Handle technical support questions for {{ produkt }} on {{ plan }}."
)]
struct Technical {
    product: String,
}

fn main() {}
