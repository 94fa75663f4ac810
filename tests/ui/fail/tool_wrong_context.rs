// A tool reading `&Shop` only runs in runs whose context is `Shop`.
respan::workflow!("tool_wrong_context.toml");

struct Shop;
struct Other;

#[respan::respan_tool]
fn lookup_invoice(_shop: &Shop, id: String) -> String {
    id
}

fn main() {
    let _ = tool_wrong_context::Workflow::<Other>::with_context(tool_wrong_context::Vars {});
    let _ = tool_wrong_context::Workflow::new(tool_wrong_context::Vars {});
}
