//! The JSON Schema editors use (`respan schema`) agrees with the parser and the
//! checker: the shipped workflows validate; for every key of the format, a value
//! of its type passes both, and a misspelt key, a value of another type, a value
//! out of its range or not in its enum fails both; the catalog's files with an
//! unknown or mistyped key fail it.

use std::path::{Path, PathBuf};

use respan_codegen::format::{self, Table, Type};
use respan_codegen::json_schema::json_schema;
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&json_schema())
        .expect("the generated schema is a valid draft-07 schema")
}

/// A TOML text as the JSON instance editors validate.
fn instance(source: &str) -> Value {
    toml::from_str(source).expect("the text is TOML")
}

/// The schema's errors for a TOML text, one line each.
fn schema_errors(validator: &jsonschema::Validator, source: &str) -> Vec<String> {
    validator
        .iter_errors(&instance(source))
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn shipped_workflows_and_valid_fixtures_validate() {
    let validator = validator();
    let workflows = toml_files(&repo().join("workflows"));
    assert!(workflows.len() >= 7, "{workflows:?}");
    let fixtures = [
        repo().join("tests/fixtures"),
        repo().join("respan-codegen/tests/fixtures"),
        repo().join("respan-codegen/tests/warnings"),
        repo().join("tests/ui/pass"),
    ]
    .iter()
    .flat_map(|dir| toml_files(dir))
    .collect::<Vec<_>>();
    let mut validated = 0;
    for file in workflows.iter().chain(&fixtures) {
        let checked = respan_codegen::check_file(file, &file.display().to_string());
        if checked.has_errors() {
            // Fixtures of compile errors are the checker's: not for this test.
            assert!(!workflows.contains(file), "{}", checked.render(false));
            continue;
        }
        let errors = schema_errors(&validator, &checked.source);
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
        validated += 1;
    }
    assert!(validated >= workflows.len() + 4, "validated {validated}");
}

/// Every catalog file whose diagnostics include an unknown key or a wrong type
/// fails the schema too; catalog files the parser reads without such a problem
/// (their mistakes need the whole file: a checker's business) are not asserted.
#[test]
fn catalog_files_with_unknown_or_mistyped_keys_fail_the_schema() {
    let validator = validator();
    let mut failed = Vec::new();
    for file in toml_files(&repo().join("respan-codegen/tests/catalog")) {
        let Ok(source) = std::fs::read_to_string(&file) else {
            continue; // not UTF-8: not TOML either
        };
        let parsed = respan_codegen::parse::parse("catalog.toml", &source);
        let key_problem = parsed
            .diagnostics
            .iter()
            .any(|d| d.message.starts_with("unknown key") || d.message.starts_with("wrong type"));
        if !key_problem || toml::from_str::<Value>(&source).is_err() {
            continue;
        }
        assert!(
            !schema_errors(&validator, &source).is_empty(),
            "{} has an unknown or mistyped key, yet validates",
            file.display()
        );
        failed.push(file);
    }
    assert!(failed.len() >= 5, "only {failed:?}");
}

/// Where each table of the format sits in a document, below a minimal valid
/// workflow (agent `a`, tool `t`).
const PLACES: &[(&str, &[&str])] = &[
    ("the top level", &[]),
    ("`[workflow]`", &["workflow"]),
    ("`[defaults]`", &["defaults"]),
    ("agent", &["agents", "a"]),
    ("model_settings", &["agents", "a", "model_settings"]),
    ("respan", &["agents", "a", "respan"]),
    ("prompt", &["agents", "a", "prompt"]),
    ("output", &["agents", "a", "output"]),
    ("`tool_use_behavior`", &["agents", "a", "tool_use_behavior"]),
    ("handoff", &["agents", "a", "handoff", "b"]),
    ("tool", &["tools", "t"]),
    ("`[[tests]]`", &["tests", "0"]),
];

fn tables() -> Vec<&'static Table> {
    fn walk(ty: &'static Type, out: &mut Vec<&'static Table>) {
        match ty {
            Type::Table(table) if !out.iter().any(|t| t.name == table.name) => {
                out.push(table);
                table.keys.iter().for_each(|key| walk(&key.ty, out));
            }
            Type::Map(inner) => walk(inner, out),
            Type::OneOf(types) => types.iter().for_each(|t| walk(t, out)),
            Type::Array(inner) => walk(inner, out),
            _ => {}
        }
    }
    let mut out = vec![&format::TOP];
    format::TOP
        .keys
        .iter()
        .for_each(|key| walk(&key.ty, &mut out));
    out.push(&format::DEFAULTS);
    out
}

/// A value of the type that the parser and the checker accept.
fn sample(ty: &Type) -> Value {
    match ty {
        Type::String => json!("x"),
        Type::Boolean => json!(true),
        Type::Integer { min, .. } => json!(if *min == i64::MIN { 0 } else { *min }),
        Type::Number {
            min, exclusive_min, ..
        } => json!(min.map_or(0.5, |min| if *exclusive_min { min + 1.0 } else { min })),
        // The last: the first is sometimes the default (`placement = "body"`).
        Type::Enum(values) => json!(values[values.len() - 1]),
        Type::Strings => json!(["x"]),
        // Its required keys, or else its first (that `[defaults]` takes): never
        // empty, so that setting it changes the spec.
        Type::Table(table) => {
            let required = table.keys.iter().filter(|key| key.required);
            let first = table.keys.iter().find(|key| key.defaultable);
            let keys: Vec<_> = if table.keys.iter().any(|key| key.required) {
                required.collect()
            } else {
                first.into_iter().collect()
            };
            Value::Object(
                keys.into_iter()
                    .map(|key| (key.name.to_owned(), sample(&key.ty)))
                    .collect(),
            )
        }
        Type::Map(inner) => json!({ "k": sample(inner) }),
        Type::Open => json!({ "k": "v" }),
        Type::OneOf(types) => sample(&types[0]),
        Type::Array(inner) => json!([sample(inner)]),
    }
}

/// Values of none of the type's shapes.
fn wrong(ty: &Type) -> Vec<Value> {
    let mut values = vec![match ty {
        Type::Boolean => json!("x"),
        _ => json!(true),
    }];
    match ty {
        Type::Integer { .. } => values.push(json!(1.5)),
        Type::Strings => values.push(json!([1])),
        Type::Map(Type::String) => values.push(json!({ "k": true })),
        Type::Enum(_) => values.push(json!("bogus")),
        Type::OneOf(types) if types.iter().any(|t| matches!(t, Type::Enum(_))) => {
            values.push(json!("bogus"));
        }
        _ => {}
    }
    values
}

/// Values just outside the type's range (for the checker to catch).
fn out_of_range(ty: &Type) -> Vec<Value> {
    match ty {
        Type::Integer { min, max } => {
            let mut values = Vec::new();
            if *min != i64::MIN {
                values.push(json!(min - 1));
            }
            if *max != i64::MAX {
                values.push(json!(max + 1));
            }
            values
        }
        Type::Number {
            min,
            exclusive_min,
            max,
        } => {
            let mut values = Vec::new();
            if let Some(min) = min {
                values.push(json!(if *exclusive_min { *min } else { min - 0.5 }));
            }
            if let Some(max) = max {
                values.push(json!(max + 0.5));
            }
            values
        }
        _ => Vec::new(),
    }
}

fn base() -> Value {
    json!({
        "workflow": { "entry": "a" },
        "agents": { "a": {} },
        "tools": { "t": { "description": "A tool." } },
    })
}

/// The value at `step` of `at` (an array index or a table key; a missing table
/// is created, as an array of one when `then` is an index).
fn slot<'a>(at: &'a mut Value, step: &str, then: Option<&str>) -> &'a mut Value {
    match step.parse::<usize>() {
        Ok(index) => &mut at.as_array_mut().unwrap()[index],
        Err(_) => at.as_object_mut().unwrap().entry(step).or_insert_with(|| {
            match then.map(str::parse::<usize>) {
                Some(Ok(_)) => json!([{}]),
                _ => json!({}),
            }
        }),
    }
}

fn place(table: &Table) -> &'static [&'static str] {
    PLACES
        .iter()
        .find(|(name, _)| *name == table.name)
        .unwrap_or_else(|| panic!("no place for {} in PLACES", table.name))
        .1
}

/// The base document with `table` (at its place, required keys filled) holding
/// `key = value`, as TOML text.
fn document(table: &'static Table, key: &str, value: Value) -> String {
    let path = place(table);
    let mut doc = base();
    let mut at = &mut doc;
    for (i, step) in path.iter().enumerate() {
        at = slot(at, step, path.get(i + 1).copied());
    }
    if !path.is_empty() {
        *at = sample(&Type::Table(table));
    }
    let at = at.as_object_mut().unwrap();
    // A key written two ways (`instructions_fn`, `instructions`): only this one.
    for other in table.keys {
        if other.excludes.contains(&key) {
            at.remove(other.name);
        }
        if other.name == key {
            for excluded in other.excludes {
                at.remove(*excluded);
            }
        }
    }
    at.insert(key.to_owned(), value);
    toml::to_string(&doc).expect("the document serializes as TOML")
}

/// `text` without `table`'s `key`.
fn without(text: &str, table: &Table, key: &str) -> String {
    let mut doc = instance(text);
    let mut at = &mut doc;
    for step in place(table) {
        at = slot(at, step, None);
    }
    at.as_object_mut().unwrap().remove(key);
    toml::to_string(&doc).unwrap()
}

/// The spec without its spans (which move when a key is removed).
fn meaning(parsed: &respan_codegen::parse::Parsed) -> String {
    let mut text = format!("{:?}", parsed.spec);
    while let Some(start) = text.find("Span { start: ") {
        let end = start + text[start..].find('}').unwrap() + 1;
        text.replace_range(start..end, "Span");
    }
    text
}

fn parse(text: &str) -> respan_codegen::parse::Parsed {
    respan_codegen::parse::parse("workflow.toml", text)
}

#[test]
fn every_table_of_the_format_has_a_place_in_this_test() {
    for table in tables() {
        assert!(
            PLACES.iter().any(|(name, _)| *name == table.name),
            "add `{}` to PLACES",
            table.name
        );
    }
}

#[test]
fn every_key_agrees_with_the_parser_and_the_checker() {
    let validator = validator();
    let mut cases = 0;
    for table in tables() {
        for key in table.keys {
            let where_ = format!("{}.{}", table.name, key.name);
            let per_agent_in_defaults = table.name == format::DEFAULTS.name && !key.defaultable;
            // A value of its type.
            let text = document(table, key.name, sample(&key.ty));
            let parsed = parse(&text);
            let errors = schema_errors(&validator, &text);
            if per_agent_in_defaults {
                assert!(
                    !parsed.diagnostics.is_empty(),
                    "{where_}: parser accepts\n{text}"
                );
                assert!(!errors.is_empty(), "{where_}: schema accepts\n{text}");
            } else {
                let messages: Vec<_> = parsed.diagnostics.iter().map(|d| &d.message).collect();
                assert!(
                    messages.is_empty(),
                    "{where_}: parser rejects {messages:?}\n{text}"
                );
                assert!(
                    errors.is_empty(),
                    "{where_}: schema rejects {errors:#?}\n{text}"
                );
                // Nothing accepted is dropped: the key reaches the spec.
                assert_ne!(
                    meaning(&parsed),
                    meaning(&parse(&without(&text, table, key.name))),
                    "{where_}: the parser accepts it but the spec does not change\n{text}"
                );
            }
            // Misspelt.
            {
                let misspelt = format!("{}z", key.name);
                let text = document(table, &misspelt, sample(&key.ty));
                let parsed = parse(&text);
                assert!(
                    parsed
                        .diagnostics
                        .iter()
                        .any(|d| d.message.starts_with("unknown key")),
                    "{where_}: parser accepts `{misspelt}`\n{text}"
                );
                assert!(
                    !schema_errors(&validator, &text).is_empty(),
                    "{where_}: schema accepts `{misspelt}`"
                );
            }
            // Of another type, or not one of its values.
            for value in wrong(&key.ty) {
                let text = document(table, key.name, value.clone());
                let parsed = parse(&text);
                assert!(
                    !parsed.diagnostics.is_empty(),
                    "{where_}: parser accepts {value}\n{text}"
                );
                assert!(
                    !schema_errors(&validator, &text).is_empty(),
                    "{where_}: schema accepts {value}"
                );
                cases += 1;
            }
            // Out of its range: the checker's to say.
            for value in out_of_range(&key.ty) {
                let text = document(table, key.name, value.clone());
                let checked = respan_codegen::check_source("x.toml", &text);
                assert!(
                    checked
                        .diagnostics
                        .iter()
                        .any(|d| d.message.contains("out of range")),
                    "{where_}: checker accepts {value}\n{}",
                    checked.render(false)
                );
                assert!(
                    !schema_errors(&validator, &text).is_empty(),
                    "{where_}: schema accepts {value}"
                );
                cases += 1;
            }
            // Required: the checker reports it missing.
            if key.required {
                let with = document(table, key.name, sample(&key.ty));
                let text = without(&with, table, key.name);
                let errors_of = |text: &str| -> Vec<String> {
                    let checked = respan_codegen::check_source("x.toml", text);
                    checked
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == respan_codegen::Severity::Error)
                        .map(|d| d.message.clone())
                        .collect()
                };
                let before = errors_of(&with);
                assert!(
                    errors_of(&text).iter().any(|e| !before.contains(e)),
                    "{where_}: checker accepts it missing\n{text}"
                );
                assert!(
                    !schema_errors(&validator, &text).is_empty(),
                    "{where_}: schema accepts it missing"
                );
            }
            cases += 1;
        }
    }
    assert!(cases > 100, "{cases} cases");
}

#[test]
fn keys_that_exclude_each_other_fail_both() {
    let validator = validator();
    for table in tables() {
        for (key, other) in table
            .keys
            .iter()
            .flat_map(|key| key.excludes.iter().map(move |other| (key, *other)))
        {
            let mut text = document(table, key.name, sample(&key.ty));
            let mut doc = instance(&text);
            let mut at = &mut doc;
            for step in place(table) {
                at = slot(at, step, None);
            }
            let other_ty = &table.keys.iter().find(|k| k.name == other).unwrap().ty;
            at.as_object_mut()
                .unwrap()
                .insert(other.to_owned(), sample(other_ty));
            text = toml::to_string(&doc).unwrap();
            let where_ = format!("{}.{} and {other}", table.name, key.name);
            assert!(
                !parse(&text).diagnostics.is_empty(),
                "{where_}: parser accepts\n{text}"
            );
            assert!(
                !schema_errors(&validator, &text).is_empty(),
                "{where_}: schema accepts\n{text}"
            );
        }
    }
}
