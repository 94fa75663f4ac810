// Every mistake of a `#[respan_tool]` signature is reported at once, each at its token.
struct Shop;

#[respan::respan_tool(timeout = 5)]
fn bad<T>(name: &str, (a, b): (u32, u32), shop: &Shop, f: impl Fn()) -> String {
    String::new()
}

struct Service;

impl Service {
    fn method(&self) {}
}

#[respan::respan_tool]
fn not_first(id: String, shop: &Shop) -> String {
    id
}

fn main() {}
