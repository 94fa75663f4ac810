//! JSON Schemas as the Agents SDK sends them: made from Rust types with
//! schemars, then put in OpenAI's strict form (every property required,
//! `additionalProperties: false`), which tools and structured output use.

use schemars::JsonSchema;
use serde_json::{Map, Value};

/// String formats strict mode accepts; schemars' numeric formats (`uint32`,
/// `double`, ...) are dropped, their ranges stay as `minimum`/`maximum`.
const STRICT_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// The strict JSON Schema of `T`, as a tool's parameters or an agent's output.
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// struct Invoice {
///     /// The invoice number.
///     id: String,
///     paid: Option<bool>,
/// }
/// let schema = respan_runtime::schema_for::<Invoice>();
/// assert_eq!(schema["additionalProperties"], false);
/// assert_eq!(schema["required"], serde_json::json!(["id", "paid"]));
/// assert_eq!(schema["properties"]["id"]["description"], "The invoice number.");
/// ```
pub fn schema_for<T: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.meta_schema = None)
        .into_generator();
    strict_schema(generator.into_root_schema_for::<T>().to_value())
}

/// Puts a JSON Schema in the strict form: every object lists all its
/// properties as required and allows no others; keywords strict mode rejects
/// are removed. Idempotent.
pub fn strict_schema(mut schema: Value) -> Value {
    strict_in_place(&mut schema, 0);
    schema
}

fn strict_in_place(schema: &mut Value, depth: usize) {
    // Schemas are trees written by people or by schemars; bound the walk anyway.
    if depth > 64 {
        return;
    }
    let Value::Object(map) = schema else { return };
    map.remove("$schema");
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|format| !STRICT_FORMATS.contains(&format))
    {
        map.remove("format");
    }
    let is_object =
        map.get("type").and_then(Value::as_str) == Some("object") || map.contains_key("properties");
    if is_object {
        let properties = map
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        let names: Vec<Value> = properties
            .as_object()
            .map(|p| p.keys().cloned().map(Value::String).collect())
            .unwrap_or_default();
        map.insert("required".into(), Value::Array(names));
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(Value::Object(children)) = map.get_mut(key) {
            for child in children.values_mut() {
                strict_in_place(child, depth + 1);
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(children)) = map.get_mut(key) {
            for child in children {
                strict_in_place(child, depth + 1);
            }
        }
    }
    if let Some(items) = map.get_mut("items") {
        strict_in_place(items, depth + 1);
    }
}

/// Whether two parameter schemas describe the same arguments (both in the
/// strict form; `title` and `description` do not count). `Err` says the first
/// difference, as a JSON path.
pub(crate) fn same_schema(declared: &Value, actual: &Value) -> Result<(), String> {
    let declared = without_prose(strict_schema(declared.clone()));
    let actual = without_prose(strict_schema(actual.clone()));
    first_difference(&declared, &actual, "$").map_or(Ok(()), Err)
}

fn without_prose(mut schema: Value) -> Value {
    fn strip(value: &mut Value, depth: usize) {
        if depth > 64 {
            return;
        }
        match value {
            Value::Object(map) => {
                map.remove("title");
                map.remove("description");
                for child in map.values_mut() {
                    strip(child, depth + 1);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| strip(item, depth + 1)),
            _ => {}
        }
    }
    strip(&mut schema, 0);
    schema
}

fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => {
                        if let Some(found) =
                            first_difference(value, other, &format!("{path}.{key}"))
                        {
                            return Some(found);
                        }
                    }
                    None => return Some(format!("`{path}.{key}` is only in the file")),
                }
            }
            b.keys()
                .find(|key| !a.contains_key(*key))
                .map(|key| format!("`{path}.{key}` is only in the function's schema"))
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (a, b))| first_difference(a, b, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!(
            "`{path}` is {a} in the file but {b} in the function's schema"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_form_requires_every_property_and_drops_numeric_formats() {
        let schema = strict_schema(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "n": {"type": "integer", "format": "uint32", "minimum": 0},
                "when": {"type": "string", "format": "date-time"},
                "inner": {"type": "object", "properties": {"x": {"type": "number"}}}
            },
            "required": ["n"]
        }));
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "n": {"type": "integer", "minimum": 0},
                    "when": {"type": "string", "format": "date-time"},
                    "inner": {"type": "object", "properties": {"x": {"type": "number"}},
                              "required": ["x"], "additionalProperties": false}
                },
                "required": ["n", "when", "inner"],
                "additionalProperties": false
            })
        );
        assert_eq!(strict_schema(schema.clone()), schema);
    }

    #[test]
    fn declared_schemas_are_compared_without_prose() {
        let rust = json!({"type": "object", "title": "args",
            "properties": {"id": {"type": "string", "description": "The id."}}});
        assert!(
            same_schema(
                &json!({"type": "object", "properties": {"id": {"type": "string"}}}),
                &rust
            )
            .is_ok()
        );
        let wrong = same_schema(
            &json!({"type": "object", "properties": {"id": {"type": "integer"}}}),
            &rust,
        );
        assert_eq!(
            wrong,
            Err("`$.properties.id.type` is \"integer\" in the file but \"string\" in the function's schema".into())
        );
        let extra = same_schema(
            &json!({"type": "object", "properties": {"id": {"type": "string"}, "x": {}}}),
            &rust,
        );
        assert!(extra.unwrap_err().contains("only in the file"));
    }
}
