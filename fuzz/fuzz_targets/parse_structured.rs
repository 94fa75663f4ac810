//! Structured-output recovery: any model text against a few schemas gives a
//! value or a `StructuredError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let schemas = [
        json!({"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
               "required": ["city", "temperature"], "additionalProperties": false}),
        json!({"type": "object", "properties": {"items": {"type": "array", "items": {"type": "integer"}},
               "kind": {"enum": ["a", "b"]}, "nested": {"type": "object", "properties": {"x": {"type": ["string", "null"]}}}}}),
        json!({"type": "object"}),
    ];
    for schema in &schemas {
        match respan_runtime::parse_structured(text, schema) {
            Ok(value) => assert!(value.is_object() || !schema["type"].is_null()),
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
});
