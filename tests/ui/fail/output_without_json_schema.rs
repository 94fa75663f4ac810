// `output.rust` must name a `JsonSchema + Deserialize` type.
respan::workflow!("output_without_json_schema.toml");

#[derive(Debug)]
struct Order {
    id: String,
}

fn main() {
    let _ = output_without_json_schema::Workflow::new(output_without_json_schema::Vars {});
    let _ = Order { id: String::new() }.id;
}
