//! The JSON Schema of workflow files, generated from [`crate::format`]: what
//! `respan schema` prints and `schema/respan-workflow.schema.json` ships, so
//! editors (taplo, VS Code's Even Better TOML) complete keys, show their
//! descriptions and flag unknown or mistyped ones as you type.
//!
//! Draft-07: the newest draft taplo validates (its validator knows drafts 4, 6
//! and 7). Every table of the format is closed (`additionalProperties: false`);
//! the open ones (`respan.extra`, `model_settings.extra_body`, a tool's
//! `parameters`, an output `schema`, ...) accept anything. The schema is written
//! out in full, without `$ref`s, so that every editor shows each key's own
//! description.
//!
//! The schema checks keys, types, enums and ranges. What needs the whole file
//! (an `entry` naming an agent, handoff targets, template variables) is the
//! checker's: `respan check` and the compiler.
//!
//! ```
//! let schema = respan_codegen::json_schema::json_schema();
//! let temperature = &schema["properties"]["agents"]["additionalProperties"]["properties"]
//!     ["model_settings"]["properties"]["temperature"];
//! assert_eq!(temperature["maximum"], 2.0);
//! ```

use serde_json::{Map, Value, json};

use crate::format::{self, Key, Table, Type};

/// The JSON Schema dialect of [`json_schema`].
pub const DRAFT: &str = "http://json-schema.org/draft-07/schema#";

/// The schema of a workflow file.
pub fn json_schema() -> Value {
    let mut schema = Map::new();
    schema.insert("$schema".into(), DRAFT.into());
    schema.insert("title".into(), "respan workflow".into());
    let Value::Object(top) = table(&format::TOP, |_| true) else {
        unreachable!("a table's schema is an object")
    };
    schema.extend(top);
    Value::Object(schema)
}

/// [`json_schema`] as the shipped file has it: pretty-printed, with a final newline.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// A closed table: its keys (those `include` keeps), the required ones, nothing else.
fn table(table: &Table, include: impl Fn(&Key) -> bool) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut exclusive = Vec::new();
    for key in table.keys.iter().filter(|key| include(key)) {
        for other in key.excludes {
            exclusive.push(json!({ "not": { "required": [key.name, other] } }));
        }
        let mut schema = of_type(&key.ty);
        if let Value::Object(fields) = &mut schema {
            // The key's own words (over a table's), first: editors show them on hover.
            let mut described = Map::new();
            described.insert("description".into(), key.description.into());
            described.extend(
                std::mem::take(fields)
                    .into_iter()
                    .filter(|(name, _)| name != "description"),
            );
            *fields = described;
        }
        properties.insert(key.name.into(), schema);
        if key.required {
            required.push(Value::from(key.name));
        }
    }
    let mut schema = Map::new();
    schema.insert("description".into(), table.description.into());
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    schema.insert("additionalProperties".into(), false.into());
    match exclusive.len() {
        0 => {}
        1 => {
            schema.extend(
                exclusive
                    .pop()
                    .and_then(|not| not.as_object().cloned())
                    .unwrap_or_default(),
            );
        }
        _ => {
            schema.insert("allOf".into(), Value::Array(exclusive));
        }
    }
    Value::Object(schema)
}

fn of_type(ty: &Type) -> Value {
    match ty {
        Type::String => json!({ "type": "string" }),
        Type::Boolean => json!({ "type": "boolean" }),
        Type::Integer { min, max } => {
            let mut schema = json!({ "type": "integer" });
            // TOML integers are 64-bit already: only narrower bounds are worth stating.
            if *min != i64::MIN {
                schema["minimum"] = (*min).into();
            }
            if *max != i64::MAX {
                schema["maximum"] = (*max).into();
            }
            schema
        }
        Type::Number {
            min,
            exclusive_min,
            max,
        } => {
            let mut schema = json!({ "type": "number" });
            if let Some(min) = min {
                let keyword = if *exclusive_min {
                    "exclusiveMinimum"
                } else {
                    "minimum"
                };
                schema[keyword] = (*min).into();
            }
            if let Some(max) = max {
                schema["maximum"] = (*max).into();
            }
            schema
        }
        Type::Enum(values) => json!({ "type": "string", "enum": values }),
        Type::Strings => json!({ "type": "array", "items": { "type": "string" } }),
        Type::Table(inner) if inner.name == format::DEFAULTS.name => {
            table(inner, |key| key.defaultable)
        }
        Type::Table(inner) => table(inner, |_| true),
        Type::Map(values) => json!({ "type": "object", "additionalProperties": of_type(values) }),
        Type::Open => json!({ "type": "object" }),
        Type::OneOf(types) => json!({ "anyOf": types.iter().map(of_type).collect::<Vec<_>>() }),
        Type::Array(items) => json!({ "type": "array", "items": of_type(items) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_leave_out_the_per_agent_keys() {
        let schema = json_schema();
        let defaults = schema["properties"]["defaults"]["properties"]
            .as_object()
            .unwrap();
        assert!(defaults.contains_key("model"));
        for key in ["name", "handoffs", "handoff_description"] {
            assert!(!defaults.contains_key(key), "{key}");
        }
    }

    #[test]
    fn open_tables_stay_open() {
        let schema = json_schema();
        let agent = &schema["properties"]["agents"]["additionalProperties"];
        for open in [
            &agent["properties"]["respan"]["properties"]["extra"],
            &agent["properties"]["model_settings"]["properties"]["extra_body"],
            &agent["properties"]["output"]["properties"]["schema"],
            &schema["properties"]["tools"]["additionalProperties"]["properties"]["parameters"],
        ] {
            assert_eq!(open["type"], "object", "{open}");
            assert!(open.get("additionalProperties").is_none(), "{open}");
        }
        assert_eq!(agent["additionalProperties"], false);
    }
}
