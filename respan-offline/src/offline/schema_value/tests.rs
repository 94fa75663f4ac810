use serde_json::json;

use super::*;
use crate::offline::validate::validate;

fn arguments(schema: &Value, message: &str) -> Value {
    value_for(schema, &mut Hints::new(message), &Purpose::Arguments)
}

fn answer(schema: &Value, message: &str) -> Value {
    value_for(
        schema,
        &mut Hints::new(message),
        &Purpose::Answer {
            prose: "offline answer",
        },
    )
}

/// The strict schema of a tool taking an id, an enum, a nested object, a list,
/// an option and a `$ref`'d enum.
fn invoice_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "invoice_id": {"type": "integer", "minimum": 1},
            "currency": {"type": "string", "enum": ["usd", "eur", "gbp"]},
            "customer": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "address": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                        "required": ["city", "zip"],
                        "additionalProperties": false
                    }
                },
                "required": ["name", "address"],
                "additionalProperties": false
            },
            "lines": {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "priority": {"$ref": "#/$defs/Priority"},
            "paid": {"type": "boolean"}
        },
        "required": ["invoice_id", "currency", "customer", "lines", "note", "priority", "paid"],
        "additionalProperties": false,
        "$defs": {"Priority": {"type": "string", "enum": ["low", "high"]}}
    })
}

#[test]
fn arguments_take_what_the_message_says() {
    let schema = invoice_schema();
    let value = arguments(
        &schema,
        "Why is invoice 42 for \"ACME Corp\" billed in EUR? It is high priority, from Paris.",
    );
    assert_eq!(
        value,
        json!({"invoice_id": 42, "currency": "eur",
               "customer": {"name": "ACME Corp", "address": {"city": "Paris", "zip": "example"}},
               "lines": [1], "note": "example", "priority": "high", "paid": true})
    );
    validate(&schema, &value).expect("valid");
}

#[test]
fn a_proper_noun_and_the_number_next_to_a_word_of_the_property() {
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}});
    assert_eq!(
        arguments(&schema, "Call get_weather for Paris in 3 days"),
        json!({"city": "Paris", "days": 3})
    );
}

#[test]
fn without_hints_arguments_are_plausible_defaults() {
    let schema = invoice_schema();
    let value = arguments(&schema, "");
    assert_eq!(
        value,
        json!({"invoice_id": 1, "currency": "usd",
               "customer": {"name": "example", "address": {"city": "example", "zip": "example"}},
               "lines": [1], "note": "example", "priority": "low", "paid": true})
    );
    validate(&schema, &value).expect("valid");
}

#[test]
fn query_arguments_get_the_whole_message() {
    let schema = json!({"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "maximum": 10}},
        "required": ["query", "limit"], "additionalProperties": false});
    assert_eq!(
        arguments(&schema, " Find 3 papers on Rust "),
        json!({"query": "Find 3 papers on Rust", "limit": 3})
    );
    assert_eq!(
        arguments(&schema, "Find 30 papers"),
        json!({"query": "Find 30 papers", "limit": 1}),
        "a number above the maximum is not used"
    );
}

#[test]
fn answers_fill_prose_and_keep_their_own_numbers() {
    let schema = json!({"type": "object", "properties": {
            "summary": {"type": "string"}, "city": {"type": "string"},
            "score": {"type": "integer"}, "days": {"type": "integer"}},
        "required": ["summary", "city", "score", "days"], "additionalProperties": false});
    assert_eq!(
        answer(&schema, "Weather in Paris for 3 days, 2024 edition"),
        json!({"summary": "offline answer", "city": "Paris", "score": 1, "days": 3})
    );
}

#[test]
fn recursive_types_get_their_smallest_value() {
    let schema = json!({
        "$ref": "#/$defs/Node",
        "$defs": {"Node": {"type": "object", "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}},
            "required": ["value", "children", "next"], "additionalProperties": false}}
    });
    let value = arguments(&schema, "");
    assert_eq!(value, json!({"value": 1, "children": [], "next": null}));
    validate(&schema, &value).expect("valid");

    let to_root = json!({"type": "object", "properties": {"parent": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}},
        "required": ["parent"]});
    assert_eq!(arguments(&to_root, ""), json!({"parent": null}));
}

#[test]
fn all_of_merges_its_members() {
    let schema = json!({"$defs": {"Base": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
        "allOf": [{"$ref": "#/$defs/Base"}, {"properties": {"name": {"type": "string"}}, "required": ["name"]}]});
    let value = arguments(&schema, "user 7");
    assert_eq!(value, json!({"id": 7, "name": "example"}));
    validate(&schema, &value).expect("valid");
}

#[test]
fn numbers_respect_their_bounds() {
    let pick = |schema: Value| {
        arguments(
            &json!({"type": "object", "properties": {"x": schema}, "required": ["x"]}),
            "",
        )["x"]
            .clone()
    };
    assert_eq!(pick(json!({"type": "integer", "minimum": 10})), json!(10));
    assert_eq!(
        pick(json!({"type": "integer", "exclusiveMinimum": 10})),
        json!(11)
    );
    assert_eq!(
        pick(json!({"type": "integer", "minimum": 10, "exclusiveMinimum": true})),
        json!(11)
    );
    assert_eq!(pick(json!({"type": "integer", "maximum": -3})), json!(-3));
    assert_eq!(
        pick(json!({"type": "integer", "minimum": 7, "multipleOf": 5})),
        json!(10)
    );
    assert_eq!(
        pick(json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1})),
        json!(0.5)
    );
    assert_eq!(
        pick(json!({"type": "number", "minimum": 0.1, "maximum": 0.2, "multipleOf": 0.05})),
        json!(0.1)
    );
    assert_eq!(
        pick(json!({"type": "integer", "minimum": 5, "maximum": 1})),
        Value::Null,
        "unsatisfiable: no x"
    );
}

#[test]
fn strings_respect_length_and_format() {
    let schema = json!({"type": "object", "properties": {
        "code": {"type": "string", "minLength": 10},
        "initial": {"type": "string", "maxLength": 1},
        "when": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "date-time"},
        "email": {"type": "string", "format": "email"},
        "site": {"type": "string", "format": "uri"},
        "uid": {"type": "string", "format": "uuid"}},
        "required": ["code", "initial", "when", "at", "email", "site", "uid"], "additionalProperties": false});
    let value = arguments(&schema, "Mail ada@example.org on 2024-05-01");
    assert_eq!(
        value,
        json!({"code": "example___", "initial": "e", "when": "2024-05-01", "at": "2024-05-01T12:00:00Z",
               "email": "ada@example.org", "site": "https://example.com",
               "uid": "00000000-0000-4000-8000-000000000000"})
    );
    validate(&schema, &value).expect("valid");
}

#[test]
fn arrays_respect_their_sizes_and_tuples() {
    let schema = json!({"type": "object", "properties": {
        "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false},
        "three": {"type": "array", "items": {"type": "string"}, "minItems": 3, "uniqueItems": true},
        "none": {"type": "array", "maxItems": 0},
        "flags": {"type": "array", "items": {"type": "boolean"}, "minItems": 2, "uniqueItems": true}},
        "required": ["pair", "three", "none", "flags"]});
    let value = arguments(&schema, "");
    assert_eq!(
        value,
        json!({"pair": ["example", 1], "three": ["example", "example 2", "example 3"], "none": [],
               "flags": [true, false]})
    );
    validate(&schema, &value).expect("valid");
}

#[test]
fn malformed_schemas_do_not_panic() {
    let schemas = [
        json!(null),
        json!(5),
        json!("string"),
        json!([1, 2]),
        json!(false),
        json!({"type": 5}),
        json!({"type": ["nope"]}),
        json!({"properties": 3, "required": "x"}),
        json!({"properties": {"a": 1}, "required": [1, "a", "b"], "additionalProperties": false}),
        json!({"$ref": "#/nope"}),
        json!({"$ref": "http://example.com/schema"}),
        json!({"$ref": 7}),
        json!({"$ref": "#"}),
        json!({"allOf": [{"$ref": "#"}]}),
        json!({"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"}),
        json!({"$defs": {"A": {"allOf": [{"$ref": "#/$defs/A"}]}}, "$ref": "#/$defs/A"}),
        json!({"enum": []}),
        json!({"anyOf": []}),
        json!({"anyOf": 3}),
        json!({"type": "integer", "minimum": "x", "multipleOf": 0}),
        json!({"type": "integer", "multipleOf": -2}),
        json!({"type": "number", "minimum": 1e308, "maximum": 1.7e308}),
        json!({"type": "integer", "minimum": 1e300}),
        json!({"type": "string", "minLength": 18446744073709551615u64}),
        json!({"type": "string", "minLength": 5, "maxLength": 2}),
        json!({"type": "array", "minItems": 1000000}),
        json!({"type": "array", "items": [1, 2]}),
        json!({"type": "object", "minProperties": 1000, "additionalProperties": false}),
        json!({"type": "object", "minProperties": 1000000}),
        json!({"prefixItems": "x", "items": {"$ref": "#"}}),
    ];
    for schema in &schemas {
        for purpose in [Purpose::Arguments, Purpose::Answer { prose: "p" }] {
            let _ = value_for(schema, &mut Hints::new("invoice 42 'x' Paris"), &purpose);
        }
    }
}

#[test]
fn deep_and_wide_schemas_are_bounded() {
    let mut deep = json!({"type": "string"});
    for _ in 0..500 {
        deep = json!({"type": "object", "properties": {"a": deep}, "required": ["a"]});
    }
    let _ = arguments(&deep, "");
    let mut deep_array = json!({"type": "integer"});
    for _ in 0..500 {
        deep_array = json!({"type": "array", "items": deep_array});
    }
    let _ = arguments(&deep_array, "");
    // 256^4 items if nothing stopped it.
    let mut wide = json!({"type": "integer"});
    for _ in 0..4 {
        wide = json!({"type": "array", "items": wide, "minItems": 256});
    }
    let start = std::time::Instant::now();
    let _ = arguments(&wide, "");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    let branches: Vec<Value> = (0..50).map(|_| json!({"$ref": "#"})).collect();
    let _ = arguments(&json!({"anyOf": branches}), "");
}

// ---- property test: random schemas of the strict-mode subset ----

struct Schemas {
    rng: fastrand::Rng,
    defs: Map<String, Value>,
    /// Before property names (so allOf members do not define the same one twice).
    prefix: String,
}

impl Schemas {
    fn object(&mut self, depth: usize, strict: bool) -> Value {
        let closed = strict || self.rng.bool();
        self.object_with(depth, strict, closed)
    }

    /// `closed`: `additionalProperties: false`.
    fn object_with(&mut self, depth: usize, strict: bool, closed: bool) -> Value {
        let n = self.rng.usize(0..5);
        let mut properties = Map::new();
        let mut required = Vec::new();
        for i in 0..n {
            let name = [
                "id", "name", "city", "count", "summary", "query", "tags", "when",
            ][self.rng.usize(0..8)];
            let name = format!("{}{name}_{i}", self.prefix);
            properties.insert(name.clone(), self.any(depth + 1, strict));
            if strict || self.rng.bool() {
                required.push(Value::from(name));
            }
        }
        let mut schema = json!({"type": "object", "properties": properties, "required": required});
        if closed {
            schema["additionalProperties"] = false.into();
        }
        schema
    }

    fn scalar(&mut self) -> Value {
        match self.rng.usize(0..9) {
            0 => json!({"type": "string"}),
            1 => {
                let min = self.rng.u64(0..6);
                json!({"type": "string", "minLength": min, "maxLength": min + self.rng.u64(0..8)})
            }
            2 => {
                let format = ["date", "date-time", "email", "uri", "uuid"][self.rng.usize(0..5)];
                json!({"type": "string", "format": format})
            }
            3 => {
                let options = &["low", "eur", "Paris", "x y"][..self.rng.usize(1..5)];
                json!({"type": "string", "enum": options})
            }
            4 => {
                let min = self.rng.i64(-20..20);
                let step = self.rng.i64(1..6);
                let mut s = json!({"type": "integer", "minimum": min, "maximum": min + step + 2 + self.rng.i64(0..10)});
                if self.rng.bool() {
                    s["multipleOf"] = step.into();
                }
                if self.rng.bool() {
                    s["exclusiveMinimum"] = s["minimum"].take();
                    s.as_object_mut().unwrap().remove("minimum");
                }
                s
            }
            5 => {
                let min = self.rng.f64() * 10.0 - 5.0;
                json!({"type": "number", "exclusiveMinimum": min, "maximum": min + 0.5 + self.rng.f64()})
            }
            6 => json!({"type": "boolean"}),
            7 => json!({"type": "integer"}),
            _ => {
                let value = ["fixed", "v"][self.rng.usize(0..2)];
                json!({ "const": value })
            }
        }
    }

    fn any(&mut self, depth: usize, strict: bool) -> Value {
        if depth >= 4 {
            return self.scalar();
        }
        match self.rng.usize(0..12) {
            0..=3 => self.scalar(),
            4 => self.object(depth, strict),
            5 => {
                let min = self.rng.u64(0..3);
                json!({"type": "array", "items": self.any(depth + 1, strict), "minItems": min, "maxItems": min + self.rng.u64(0..3)})
            }
            6 => {
                let kind = ["string", "integer"][self.rng.usize(0..2)];
                json!({"type": "array", "items": {"type": kind}, "minItems": self.rng.u64(0..4), "uniqueItems": true})
            }
            7 => json!({"anyOf": [self.any(depth + 1, strict), {"type": "null"}]}),
            8 => {
                let name = format!("D{}", self.defs.len());
                self.defs.insert(name.clone(), json!(true));
                let def = self.object(depth, strict);
                self.defs.insert(name.clone(), def);
                json!({"$ref": format!("#/$defs/{name}")})
            }
            9 => {
                let name = format!("Node{}", self.defs.len());
                let me = json!({"$ref": format!("#/$defs/{name}")});
                let value = self.scalar();
                self.defs.insert(
                    name,
                    json!({"type": "object", "properties": {
                        "value": value,
                        "children": {"type": "array", "items": me},
                        "next": {"anyOf": [me, {"type": "null"}]}},
                    "required": ["value", "children", "next"], "additionalProperties": false}),
                );
                me
            }
            // Open members: a closed one would refuse the other's properties.
            10 if !strict => {
                let first = self.object_with(depth, false, false);
                let prefix = self.prefix.clone();
                self.prefix.push_str("b_");
                let second = self.object_with(depth, false, false);
                self.prefix = prefix;
                json!({ "allOf": [first, second] })
            }
            _ => json!({"type": ["integer", "null"]}),
        }
    }
}

#[test]
fn random_schemas_get_valid_deterministic_values() {
    let messages = [
        "",
        "Hello",
        "Refund invoice 42 for \"ACME\" in EUR please, it's low priority.",
        "Book Paris to Rome on 2024-05-01 and mail ada@example.org",
        "What's the weather in 3 days? See https://example.org/x",
    ];
    for seed in 0..500u64 {
        let mut schemas = Schemas {
            rng: fastrand::Rng::with_seed(seed),
            defs: Map::new(),
            prefix: String::new(),
        };
        let strict = seed % 3 != 0;
        let mut schema = schemas.object(0, strict);
        schema["$defs"] = Value::Object(std::mem::take(&mut schemas.defs));
        for message in messages {
            for purpose in [Purpose::Arguments, Purpose::Answer { prose: "offline" }] {
                let value = value_for(&schema, &mut Hints::new(message), &purpose);
                if let Err(error) = validate(&schema, &value) {
                    panic!(
                        "seed {seed}, message {message:?}: {error}\nschema {schema:#}\nvalue {value}"
                    );
                }
                assert_eq!(
                    value,
                    value_for(&schema, &mut Hints::new(message), &purpose)
                );
            }
        }
    }
}
