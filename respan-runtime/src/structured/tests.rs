use proptest::prelude::*;
use serde_json::{Value, json};

use super::validate::Checker;
use super::{StructuredError, extract, parse_structured};

fn item_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "price": {"type": "number"},
                        "quantity": {"type": "integer"}
                    },
                    "required": ["name", "price", "quantity"],
                    "additionalProperties": false
                }
            },
            "paid": {"type": "boolean"}
        },
        "required": ["items", "paid"],
        "additionalProperties": false
    })
}

fn city_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"city": {"type": "string"}, "sunny": {"type": "boolean"}},
        "required": ["city", "sunny"],
        "additionalProperties": false
    })
}

#[track_caller]
fn reason(raw: &str, schema: &Value) -> String {
    match parse_structured(raw, schema) {
        Ok(value) => panic!("expected an error, got {value}"),
        Err(error) => {
            assert_eq!(error.raw, raw, "the error keeps the whole answer");
            error.reason
        }
    }
}

// Rule 1: valid JSON of the schema, as it is.

#[test]
fn valid_json_is_returned_as_is() {
    let raw = r#"{"city": "Paris", "sunny": true}"#;
    assert_eq!(
        parse_structured(raw, &city_schema()),
        Ok(json!({"city": "Paris", "sunny": true}))
    );
    // A string that looks like a number stays a string where a string is expected.
    let schema = json!({"type": "object", "properties": {"zip": {"type": "string"}}});
    assert_eq!(
        parse_structured(r#"{"zip": "01234"}"#, &schema),
        Ok(json!({"zip": "01234"}))
    );
}

#[test]
fn boolean_and_empty_schemas() {
    assert_eq!(parse_structured("[1, 2]", &json!(true)), Ok(json!([1, 2])));
    assert_eq!(parse_structured("\"x\"", &json!({})), Ok(json!("x")));
    assert!(reason("1", &json!(false)).contains("allows no value"));
}

#[test]
fn the_whole_response_format_is_accepted() {
    let format = json!({
        "type": "json_schema",
        "json_schema": {"name": "weather", "schema": city_schema(), "strict": true}
    });
    assert_eq!(
        parse_structured(r#"{"city": "Oslo", "sunny": "false"}"#, &format),
        Ok(json!({"city": "Oslo", "sunny": false}))
    );
}

// Rule 2: finding the JSON.

#[test]
fn fenced_json_with_a_language_tag() {
    let raw = "Here is the weather:\n\n```json\n{\"city\": \"Paris\", \"sunny\": true}\n```\n\nAnything else?";
    assert_eq!(
        parse_structured(raw, &city_schema()),
        Ok(json!({"city": "Paris", "sunny": true}))
    );
    let upper = "```JSON\n{\"city\": \"Paris\", \"sunny\": true}\n```";
    assert!(parse_structured(upper, &city_schema()).is_ok());
}

#[test]
fn fenced_json_without_a_language_tag() {
    let raw = "```\n{\"city\": \"Paris\", \"sunny\": true}\n```";
    assert_eq!(
        parse_structured(raw, &city_schema()),
        Ok(json!({"city": "Paris", "sunny": true}))
    );
}

#[test]
fn fences_inline_unclosed_and_indented() {
    let schema = city_schema();
    let expected = Ok(json!({"city": "Rome", "sunny": false}));
    for raw in [
        "```json {\"city\": \"Rome\", \"sunny\": false}```",
        "```{\"city\": \"Rome\", \"sunny\": false}```",
        "```json\n{\"city\": \"Rome\", \"sunny\": false}",
        "1. The answer:\n   ```json\n   {\"city\": \"Rome\", \"sunny\": false}\n   ```\n",
        "```json\n{\"city\": \"Rome\", \"sunny\": false}```",
        "````json\n{\"city\": \"Rome\", \"sunny\": false}\n````",
    ] {
        assert_eq!(parse_structured(raw, &schema), expected, "{raw}");
    }
}

#[test]
fn a_fence_inside_a_json_string_does_not_close_the_block() {
    let schema = json!({"type": "object", "properties": {"code": {"type": "string"}}});
    let raw = "```json\n{\"code\": \"use ``` for fences\"}\n```";
    assert_eq!(
        parse_structured(raw, &schema),
        Ok(json!({"code": "use ``` for fences"}))
    );
}

#[test]
fn the_fenced_blocks_of_a_text() {
    let text = "a ```json\n1\n``` b ```\n[2]\n``` c ```x {\"y\": 3}``` d";
    assert_eq!(
        extract::fenced_blocks(text),
        vec!["\n1\n", "\n[2]\n", " {\"y\": 3}"]
    );
    assert!(extract::fenced_blocks("no fences").is_empty());
}

#[test]
fn prose_around_one_object() {
    let raw = "Sure! The weather is {\"city\": \"Lima\", \"sunny\": true} as you asked. \
               Let me know if you need more {details}.";
    assert_eq!(
        parse_structured(raw, &city_schema()),
        Ok(json!({"city": "Lima", "sunny": true}))
    );
    // Braces inside strings, escaped quotes, and a stray bracket before.
    let raw = "Note [1: here {\"city\": \"a \\\"}\\\" b\", \"sunny\": false}";
    assert_eq!(
        parse_structured(raw, &city_schema()),
        Ok(json!({"city": "a \"}\" b", "sunny": false}))
    );
    // JSON followed by prose.
    let raw = "{\"city\": \"Lima\", \"sunny\": true}\n\nHope this helps!";
    assert!(parse_structured(raw, &city_schema()).is_ok());
}

#[test]
fn an_array_in_prose() {
    let schema = json!({"type": "array", "items": {"type": "integer"}});
    assert_eq!(
        parse_structured("The primes are [2, 3, 5, \"7\"].", &schema),
        Ok(json!([2, 3, 5, 7]))
    );
}

#[test]
fn two_objects_where_one_fits() {
    let raw = "The schema asks for {\"city\": \"string\"}; here it is: \
               {\"city\": \"Oslo\", \"sunny\": false}";
    assert_eq!(
        parse_structured(raw, &city_schema()),
        Ok(json!({"city": "Oslo", "sunny": false}))
    );
    // Also among fenced blocks: the example block does not fit.
    let raw = "Format:\n```json\n{\"example\": 1}\n```\nAnswer:\n```json\n{\"city\": \"Oslo\", \"sunny\": false}\n```";
    assert_eq!(
        parse_structured(raw, &city_schema()),
        Ok(json!({"city": "Oslo", "sunny": false}))
    );
}

#[test]
fn two_objects_that_both_fit_are_ambiguous() {
    let raw =
        "Either {\"city\": \"Oslo\", \"sunny\": false} or {\"city\": \"Rome\", \"sunny\": true}.";
    let why = reason(raw, &city_schema());
    assert!(why.contains("ambiguous"), "{why}");
    assert!(why.contains("Oslo") && why.contains("Rome"), "{why}");
    // Two fenced blocks too.
    let raw = "```json\n{\"city\": \"Oslo\", \"sunny\": false}\n```\n```json\n{\"city\": \"Rome\", \"sunny\": true}\n```";
    assert!(reason(raw, &city_schema()).contains("ambiguous"));
}

#[test]
fn the_same_object_twice_is_not_ambiguous() {
    let raw = "```json\n{\"city\": \"Oslo\", \"sunny\": false}\n```\nSo: {\"city\": \"Oslo\", \"sunny\": \"false\"}";
    assert_eq!(
        parse_structured(raw, &city_schema()),
        Ok(json!({"city": "Oslo", "sunny": false}))
    );
    let raw =
        "{\"city\": \"Oslo\", \"sunny\": false} and again {\"city\": \"Oslo\", \"sunny\": false}";
    assert!(parse_structured(raw, &city_schema()).is_ok());
}

#[test]
fn trailing_commas_are_not_repaired() {
    let why = reason("{\"city\": \"Oslo\", \"sunny\": false,}", &city_schema());
    assert!(why.contains("not JSON"), "{why}");
}

#[test]
fn a_truncated_answer_is_said_to_be_cut_short() {
    let why = reason("{\"city\": \"Oslo\", \"sun", &city_schema());
    assert!(
        why.starts_with("the answer is not JSON (EOF while parsing"),
        "{why}"
    );
    assert!(
        why.ends_with("was the answer cut short (max_tokens)?"),
        "{why}"
    );
    let raw = "```json\n{\"items\": [{\"name\": \"tea\", \"price\": 1, \"quantity\": 1}, {\"na";
    assert_eq!(
        reason(raw, &item_schema()),
        "the JSON in the answer does not fit the schema: at $: missing required property \
         `items`; a `{` or `[` in it never closes: was the answer cut short (max_tokens)?"
    );
}

#[test]
fn a_json_string_holding_the_json_is_unwrapped_once() {
    let raw = serde_json::to_string("{\"city\": \"Oslo\", \"sunny\": false}").unwrap();
    assert_eq!(
        parse_structured(&raw, &city_schema()),
        Ok(json!({"city": "Oslo", "sunny": false}))
    );
    let why = reason("\"not json\"", &city_schema());
    assert!(why.contains("expected object, found string"), "{why}");
}

// Rule 3: coercion.

#[test]
fn numbers_in_strings_nested_in_an_array_of_objects() {
    let raw = r#"{"items": [{"name": "tea", "price": "4.5", "quantity": "42"},
                            {"name": "cake", "price": 3, "quantity": 1.0}],
                  "paid": "TRUE"}"#;
    let value = parse_structured(raw, &item_schema()).unwrap();
    assert_eq!(
        value,
        json!({"items": [{"name": "tea", "price": 4.5, "quantity": 42},
                         {"name": "cake", "price": 3, "quantity": 1}],
               "paid": true})
    );
    assert!(value["items"][0]["quantity"].is_i64());
    assert!(
        value["items"][1]["quantity"].is_i64(),
        "1.0 becomes an integer"
    );
}

#[test]
fn what_is_not_a_number_stays_an_error() {
    let raw = r#"{"items": [{"name": "a", "price": 1, "quantity": 1},
                            {"name": "b", "price": 1, "quantity": 1},
                            {"name": "c", "price": "4,50", "quantity": 1}], "paid": true}"#;
    let why = reason(raw, &item_schema());
    assert_eq!(
        why,
        "at $.items[2].price: expected number, found string \"4,50\""
    );
    for text in [
        "\"4.5\"",
        "\"+1\"",
        "\"NaN\"",
        "\"inf\"",
        "\"0x10\"",
        "\"42 USD\"",
    ] {
        let raw = format!(
            r#"{{"items": [{{"name": "a", "price": 1, "quantity": {text}}}], "paid": true}}"#
        );
        assert!(
            reason(&raw, &item_schema()).starts_with("at $.items[0].quantity: expected integer"),
            "{text}"
        );
    }
}

#[test]
fn numbers_are_not_coerced_to_strings_nor_values_to_arrays() {
    let schema = json!({
        "type": "object",
        "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
    });
    assert_eq!(
        reason(r#"{"name": 42}"#, &schema),
        "at $.name: expected string, found integer 42"
    );
    assert_eq!(
        reason(r#"{"tags": "one"}"#, &schema),
        "at $.tags: expected array, found string \"one\""
    );
    assert!(reason(r#"{"name": null}"#, &schema).contains("found null"));
}

#[test]
fn enums_match_case_insensitively_to_the_enum_spelling() {
    let schema = json!({
        "type": "object",
        "properties": {
            "color": {"type": "string", "enum": ["Red", "Green", "Blue"]},
            "level": {"enum": [1, 2, 3]},
            "état": {"enum": ["Élevé", "Bas"]}
        }
    });
    assert_eq!(
        parse_structured(
            r#"{"color": "green", "level": "2", "état": "élevé"}"#,
            &schema
        ),
        Ok(json!({"color": "Green", "level": 2, "état": "Élevé"}))
    );
    assert_eq!(
        reason(r#"{"color": "purple"}"#, &schema),
        "at $.color: expected one of \"Red\", \"Green\", \"Blue\", found string \"purple\""
    );
    // Two members differing only in case: which one is meant is a guess.
    let schema = json!({"enum": ["on", "ON"]});
    assert!(reason("\"On\"", &schema).contains("expected one of"));
    assert_eq!(parse_structured("\"ON\"", &schema), Ok(json!("ON")));
    // const is an enum of one.
    assert_eq!(
        parse_structured("\"YES\"", &json!({"const": "yes"})),
        Ok(json!("yes"))
    );
}

#[test]
fn any_of_keeps_a_fitting_value_else_takes_the_first_branch_that_fits_coerced() {
    let schema = json!({
        "type": "object",
        "properties": {
            "id": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "flag": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
            "n": {"type": "integer"}
        }
    });
    // "42" is a string of the schema: kept, although "n" needs a coercion.
    assert_eq!(
        parse_structured(r#"{"id": "42", "flag": "false", "n": "7"}"#, &schema),
        Ok(json!({"id": "42", "flag": false, "n": 7}))
    );
    let why = reason(r#"{"flag": "maybe"}"#, &schema);
    assert!(
        why.starts_with("at $.flag: string \"maybe\" matches none of the 2 `anyOf` alternatives"),
        "{why}"
    );
}

#[test]
fn refs_to_defs_and_definitions() {
    let schema = json!({
        "type": "object",
        "properties": {
            "home": {"$ref": "#/$defs/address"},
            "work": {"$ref": "#/definitions/address"}
        },
        "required": ["home", "work"],
        "additionalProperties": false,
        "$defs": {
            "address": {
                "type": "object",
                "properties": {"street": {"type": "string"}, "number": {"type": "integer"}},
                "required": ["street", "number"],
                "additionalProperties": false
            }
        },
        "definitions": {"address": {"$ref": "#/$defs/address"}}
    });
    let raw =
        r#"{"home": {"street": "Main", "number": "1"}, "work": {"street": "Dock", "number": 2}}"#;
    assert_eq!(
        parse_structured(raw, &schema),
        Ok(
            json!({"home": {"street": "Main", "number": 1}, "work": {"street": "Dock", "number": 2}})
        )
    );
    let raw = r#"{"home": {"street": "Main", "number": 1}, "work": {"street": "Dock"}}"#;
    assert_eq!(
        reason(raw, &schema),
        "at $.work: missing required property `number`"
    );
}

#[test]
fn recursive_refs_walk_a_tree() {
    let schema = json!({
        "$ref": "#/$defs/node",
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}
                },
                "required": ["value", "children"],
                "additionalProperties": false
            }
        }
    });
    let raw = r#"{"value": 1, "children": [{"value": "2", "children": []},
                 {"value": 3, "children": [{"value": "4", "children": []}]}]}"#;
    assert_eq!(
        parse_structured(raw, &schema),
        Ok(
            json!({"value": 1, "children": [{"value": 2, "children": []},
                 {"value": 3, "children": [{"value": 4, "children": []}]}]})
        )
    );
    let raw =
        r#"{"value": 1, "children": [{"value": 3, "children": [{"value": "x", "children": []}]}]}"#;
    assert_eq!(
        reason(raw, &schema),
        "at $.children[0].children[0].value: expected integer, found string \"x\""
    );
}

#[test]
fn bad_refs_are_errors() {
    let why = reason("1", &json!({"$ref": "#/$defs/missing"}));
    assert!(why.contains("points to nothing"), "{why}");
    let why = reason("1", &json!({"$ref": "https://example.com/schema.json"}));
    assert!(why.contains("is not local"), "{why}");
}

#[test]
fn nullable_types() {
    let schema = json!({
        "type": "object",
        "properties": {
            "note": {"type": ["string", "null"]},
            "count": {"type": ["integer", "null"]},
            "ref": {"anyOf": [{"$ref": "#/$defs/n"}, {"type": "null"}]}
        },
        "required": ["note", "count", "ref"],
        "additionalProperties": false,
        "$defs": {"n": {"type": "integer"}}
    });
    assert_eq!(
        parse_structured(r#"{"note": null, "count": null, "ref": null}"#, &schema),
        Ok(json!({"note": null, "count": null, "ref": null}))
    );
    assert_eq!(
        parse_structured(r#"{"note": "x", "count": "3", "ref": "4"}"#, &schema),
        Ok(json!({"note": "x", "count": 3, "ref": 4}))
    );
    // "null" is a string, not null.
    assert_eq!(
        parse_structured(r#"{"note": "null", "count": 1, "ref": 1}"#, &schema),
        Ok(json!({"note": "null", "count": 1, "ref": 1}))
    );
    assert_eq!(
        reason(r#"{"note": 1, "count": 1, "ref": 1}"#, &schema),
        "at $.note: expected string or null, found integer 1"
    );
    let why = reason(r#"{"note": "", "count": 1, "ref": "x"}"#, &schema);
    assert_eq!(
        why,
        "at $.ref: string \"x\" matches none of the 2 `anyOf` alternatives (expected integer, \
         found string \"x\")"
    );
}

// Rule 4: validation, with paths.

#[test]
fn missing_required_property_has_its_path() {
    let raw = r#"{"items": [{"name": "tea", "price": 1, "quantity": 1}, {"name": "cake", "quantity": 2}], "paid": true}"#;
    assert_eq!(
        reason(raw, &item_schema()),
        "at $.items[1]: missing required property `price`"
    );
    let error = parse_structured(raw, &item_schema()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("at $.items[1]: missing required property `price`"),
        "{message}"
    );
    assert!(
        message.contains(
            "check that the model supports response_format json_schema, or describe the format \
             in the instructions"
        ),
        "{message}"
    );
}

#[test]
fn additional_properties_false() {
    let why = reason(
        r#"{"city": "Oslo", "sunny": true, "wind": 3}"#,
        &city_schema(),
    );
    assert_eq!(
        why,
        "at $.wind: this property is not in the schema (additionalProperties is false)"
    );
    let why = reason(
        r#"{"city": "Oslo", "sunny": true, "a b": 3}"#,
        &city_schema(),
    );
    assert!(why.starts_with("at $[\"a b\"]:"), "{why}");
    // additionalProperties as a schema.
    let schema = json!({"type": "object", "additionalProperties": {"type": "integer"}});
    assert_eq!(
        parse_structured(r#"{"a": "1"}"#, &schema),
        Ok(json!({"a": 1}))
    );
    assert_eq!(
        reason(r#"{"a": "one"}"#, &schema),
        "at $.a: expected integer, found string \"one\""
    );
}

#[test]
fn const_and_all_of() {
    let schema = json!({"allOf": [{"type": "object"}, {"required": ["kind"]}],
                        "properties": {"kind": {"const": "circle"}}});
    assert_eq!(
        parse_structured(r#"{"kind": "circle"}"#, &schema),
        Ok(json!({"kind": "circle"}))
    );
    assert_eq!(
        reason(r#"{"kind": "square"}"#, &schema),
        "at $.kind: expected \"circle\", found string \"square\""
    );
    assert_eq!(
        reason("{}", &schema),
        "at $: missing required property `kind`"
    );
}

// Rule 5 and the errors.

#[test]
fn an_empty_answer_says_no_text() {
    for raw in ["", "  \n\t"] {
        let error = parse_structured(raw, &city_schema()).unwrap_err();
        assert_eq!(error.reason, "the model returned no text");
        assert_eq!(error.raw, raw);
        assert!(!error.to_string().contains("the answer:"), "{error}");
    }
}

#[test]
fn not_json_at_all_keeps_the_raw_text() {
    let raw = "I'm sorry, I can't help with the weather today.";
    let error = parse_structured(raw, &city_schema()).unwrap_err();
    assert_eq!(error.raw, raw);
    assert!(
        error.reason.starts_with("the answer is not JSON ("),
        "{}",
        error.reason
    );
    assert!(
        error
            .reason
            .ends_with("and contains no JSON object or array")
    );
    assert!(
        error.to_string().contains(raw),
        "short answers are quoted whole"
    );
}

#[test]
fn a_long_answer_is_truncated_in_the_message_but_kept_whole() {
    let raw = format!("{}é and no JSON", "blah ".repeat(100));
    let error = parse_structured(&raw, &city_schema()).unwrap_err();
    assert_eq!(error.raw, raw);
    let message = error.to_string();
    assert!(message.contains("blah blah"));
    assert!(message.contains('…'), "{message}");
    assert!(!message.contains("and no JSON\""), "{message}");
    assert!(message.len() < raw.len(), "{message}");
}

#[test]
fn none_of_several_values_fits() {
    let why = reason("Try {\"city\": 1} or maybe [1, 2]", &city_schema());
    assert!(
        why.starts_with(
            "none of the 2 JSON values in the answer fits the schema; the first: at $: missing \
             required property `sunny`"
        ),
        "{why}"
    );
    let why = reason("So: {\"city\": \"x\", \"sunny\": \"yes\"}", &city_schema());
    assert_eq!(
        why,
        "the JSON in the answer does not fit the schema: at $.sunny: expected boolean, found \
         string \"yes\""
    );
}

#[test]
fn error_display_is_one_sentence_with_the_advice() {
    let error = StructuredError {
        raw: "x\ny".into(),
        reason: "at $.a: expected integer, found string \"b\"".into(),
    };
    assert_eq!(
        error.to_string(),
        "the model's answer is not a value of the output schema: at $.a: expected integer, \
         found string \"b\"; check that the model supports response_format json_schema, or \
         describe the format in the instructions (the answer: \"x\\ny\")"
    );
}

// Bounds: huge and deep input, cyclic schemas.

#[test]
fn deep_input_is_an_error_not_a_stack_overflow() {
    let schema = json!({"type": "array"});
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_structured(&deep, &schema).is_err());
    let open = "[".repeat(200_000);
    assert!(parse_structured(&open, &schema).is_err());
    let objects = "{\"a\":".repeat(50_000);
    assert!(parse_structured(&objects, &json!({"type": "object"})).is_err());
    // Deep but within serde_json's limit: parsed, and the inner spans of a
    // too-deep value are not taken for the answer.
    let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(parse_structured(&ok, &schema).is_ok());
    let too_deep = format!("x {}{}", "[".repeat(300), "]".repeat(300));
    assert!(reason(&too_deep, &schema).contains("not JSON"));
}

#[test]
fn deep_input_against_a_recursive_schema() {
    let schema = json!({"anyOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#"}}]});
    let raw = format!("{}\"1\"{}", "[".repeat(30), "]".repeat(30));
    let value = parse_structured(&raw, &schema).unwrap();
    let mut inner = &value;
    for _ in 0..30 {
        inner = &inner[0];
    }
    assert_eq!(inner, &json!(1));
    // Three steps a level (item, `anyOf` branch, `$ref`): too deep to walk.
    let raw = format!("{}1{}", "[".repeat(60), "]".repeat(60));
    let why = reason(&raw, &schema);
    assert!(why.contains("nest deeper than 128 levels"), "{why}");
}

#[test]
fn a_deep_mismatch_is_said_where_it_is() {
    let schema = json!({"anyOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#"}}]});
    let raw = format!("{}\"x\"{}", "[".repeat(30), "]".repeat(30));
    let why = reason(&raw, &schema);
    assert_eq!(
        why,
        format!(
            "at ${}: string \"x\" matches none of the 2 `anyOf` alternatives (expected integer, \
             found string \"x\")",
            "[0]".repeat(30)
        )
    );
}

#[test]
fn a_deeply_nested_schema_is_an_error_not_a_stack_overflow() {
    let mut schema = json!({"type": "integer"});
    for _ in 0..300 {
        schema = json!({"anyOf": [schema], "allOf": [true]});
    }
    let why = reason("\"x\"", &schema);
    assert!(why.contains("nest deeper than 128 levels"), "{why}");
    let mut schema = json!({"type": "integer"});
    for _ in 0..300 {
        schema = json!({"type": "array", "items": schema});
    }
    let raw = format!("{}\"1\"{}", "[".repeat(126), "]".repeat(126));
    assert!(reason(&raw, &schema).contains("expected array, found string \"1\""));
}

#[test]
fn ref_cycles_end_in_an_error() {
    let why = reason("1", &json!({"$ref": "#"}));
    assert!(why.contains("(a `$ref` cycle)"), "{why}");
    let schema = json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"});
    assert!(reason("{}", &schema).contains("`$ref` cycle"));
    // A cycle in one branch: the other decides.
    let schema = json!({"anyOf": [{"$ref": "#"}, {"type": "integer"}]});
    assert_eq!(parse_structured("\"7\"", &schema), Ok(json!(7)));
    let why = reason("[1]", &schema);
    assert!(
        why.contains("matches none of the 2 `anyOf` alternatives"),
        "{why}"
    );
}

#[test]
fn exponential_schemas_are_bounded_by_the_fuel() {
    // Every branch recurses into a child value: 3^depth walks without the fuel.
    let schema = json!({"anyOf": [
        {"type": "array", "items": {"$ref": "#"}},
        {"type": "array", "items": {"$ref": "#"}},
        {"type": "array", "items": {"$ref": "#"}}
    ]});
    let raw = format!("{}\"x\"{}", "[".repeat(60), "]".repeat(60));
    let start = std::time::Instant::now();
    let why = reason(&raw, &schema);
    assert!(why.contains("too intricate"), "{why}");
    assert!(start.elapsed().as_secs() < 30);
}

#[test]
fn huge_prose_is_searched_in_bounded_time() {
    let raw = format!(
        "{}{{\"city\": \"Oslo\", \"sunny\": true}}",
        "[ x ".repeat(50_000)
    );
    let start = std::time::Instant::now();
    let result = parse_structured(&raw, &city_schema());
    assert!(start.elapsed().as_secs() < 30);
    // Either found, or given up on: never a hang or a panic.
    if let Err(error) = result {
        assert!(error.reason.contains("too convoluted"), "{}", error.reason);
    }
    let many = "{\"city\": \"Oslo\", \"sunny\": true} ".repeat(20_000);
    assert_eq!(
        parse_structured(&many, &city_schema()),
        Ok(json!({"city": "Oslo", "sunny": true}))
    );
}

#[test]
fn serde_json_nesting_limit_is_the_scanners() {
    let at_limit = format!("{}{}", "[".repeat(127), "]".repeat(127));
    assert!(serde_json::from_str::<Value>(&at_limit).is_ok());
    let over = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert!(serde_json::from_str::<Value>(&over).is_err());
}

// Properties.

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        Just(json!(2.0)),
        "[a-zA-Z0-9 ]{0,6}".prop_map(Value::from),
        prop::sample::select(vec![
            "42", " 4.5 ", "true", "FALSE", "red", "RED", "null", ""
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "a b"]).prop_map(String::from)
}

fn arbitrary_schema() -> impl Strategy<Value = Value> {
    let types = prop::sample::select(vec![
        "null", "boolean", "integer", "number", "string", "array", "object", "nonsense",
    ]);
    let leaf = prop_oneof![
        types.clone().prop_map(|t| json!({ "type": t })),
        (types.clone(), types).prop_map(|(a, b)| json!({ "type": [a, b] })),
        Just(json!({"enum": ["red", "Red", "green", 2, true, null]})),
        Just(json!({"enum": ["red", "green"]})),
        Just(json!({"const": 42})),
        Just(json!({"$ref": "#"})),
        Just(json!({"$ref": "#/$defs/a"})),
        Just(json!({"$ref": "#/$defs/missing"})),
        Just(json!({"$ref": 3})),
        Just(json!(true)),
        Just(json!(false)),
        Just(json!({})),
        Just(json!(3)),
    ];
    let schema = leaf.prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            (
                prop::collection::vec((key(), inner.clone()), 0..3),
                prop::collection::vec(key(), 0..3),
                prop_oneof![Just(json!(false)), Just(json!(true)), inner.clone()],
            )
                .prop_map(|(properties, required, additional)| {
                    json!({
                        "type": "object",
                        "properties": Value::Object(properties.into_iter().collect()),
                        "required": required,
                        "additionalProperties": additional,
                    })
                }),
            inner
                .clone()
                .prop_map(|items| json!({"type": "array", "items": items})),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|b| json!({ "anyOf": b })),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|b| json!({ "oneOf": b })),
            prop::collection::vec(inner, 0..3).prop_map(|b| json!({ "allOf": b })),
        ]
    });
    (schema.clone(), schema).prop_map(|(mut root, definition)| {
        if let Value::Object(root) = &mut root {
            root.insert("$defs".into(), json!({ "a": definition }));
        }
        root
    })
}

/// Fragments likely to confuse the search for JSON.
fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            "\"",
            "\\",
            ":",
            ",",
            "```",
            "```json\n",
            "\n",
            " ",
            "1",
            "\"42\"",
            "true",
            "null",
            "{\"city\": \"x\", \"sunny\": true}",
            "é",
            "\u{0}",
            "a",
        ]),
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn fixed_schemas() -> Vec<Value> {
    vec![
        city_schema(),
        item_schema(),
        json!({"type": "array", "items": {"type": "integer"}}),
        json!({"type": "string"}),
        json!({"$ref": "#"}),
        json!({"anyOf": [{"$ref": "#"}, {"type": "array", "items": {"$ref": "#"}}]}),
        json!(true),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_strings(raw in any::<String>()) {
        for schema in fixed_schemas() {
            let _ = parse_structured(&raw, &schema);
        }
    }

    #[test]
    fn never_panics_on_json_ish_fragments(raw in fragments()) {
        for schema in fixed_schemas() {
            if let Err(error) = parse_structured(&raw, &schema) {
                prop_assert_eq!(&error.raw, &raw);
                let _ = error.to_string();
            }
        }
    }

    #[test]
    fn never_panics_on_arbitrary_json_and_schemas(
        value in arbitrary_json(),
        schema in arbitrary_schema(),
    ) {
        let raw = value.to_string();
        // What serde_json reads back (its float parsing may differ in the last bit).
        let value: Value = serde_json::from_str(&raw).unwrap();
        let result = parse_structured(&raw, &schema);
        let fits = Checker::new(&schema, 1_000_000).check(&value).is_ok();
        if fits {
            // Rule 1: returned as is, bare or fenced in prose.
            prop_assert_eq!(&result, &Ok(value.clone()));
            let fenced = format!("Here you go:\n```json\n{raw}\n```\nAnything else?");
            prop_assert_eq!(parse_structured(&fenced, &schema), Ok(value.clone()));
        }
        if let Ok(recovered) = &result {
            // A recovered value fits: parsing it again returns it as is.
            let text = recovered.to_string();
            let reread: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(parse_structured(&text, &schema), Ok(reread));
        }
        let _ = parse_structured(&format!("Sure: {raw} and {raw}."), &schema);
    }
}
