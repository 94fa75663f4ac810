// `[tools.lookup_invoice]` names a plain function, not a `#[respan_tool]`:
// the error names the TOML file and line (`tool_plain_function_toml_line_8`).
respan::workflow!("tool_plain_function.toml");

fn lookup_invoice(id: String) -> String {
    id
}

fn main() {
    let _ = tool_plain_function::Workflow::new(tool_plain_function::Vars {});
    let _ = lookup_invoice(String::new());
}
