// Every mistake of an attribute shows in one compile, not one per fix: here an
// unknown key, an out-of-range setting and a string where a number goes.
#[respan::respan_agent(
    name = "Assistant",
    instrutions = "Help.",
    model_settings(temperature = 2.5, max_tokens = "500"),
)]
struct Assistant;

fn main() {}
