//! A small JSON Schema validator for the subset the offline gateway generates,
//! so that its tests check "valid for the schema" independently of the generator.

use serde_json::Value;

/// `Ok` when `value` is valid for `schema` (whose `$ref`s point into itself).
pub(crate) fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    check(schema, schema, value, "$", 0)
}

fn check(
    root: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    depth: usize,
) -> Result<(), String> {
    if depth > 64 {
        return Err(format!("{at}: too deep"));
    }
    let s = match schema {
        Value::Bool(true) => return Ok(()),
        Value::Bool(false) => return Err(format!("{at}: false schema")),
        Value::Object(s) => s,
        other => return Err(format!("{at}: not a schema: {other}")),
    };
    let fail = |what: String| Err(format!("{at}: {what} (value {value})"));
    if let Some(reference) = s.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').ok_or("remote $ref")?;
        let target = if pointer.is_empty() {
            root
        } else {
            root.pointer(pointer)
                .ok_or(format!("{at}: unresolved {reference}"))?
        };
        check(root, target, value, at, depth + 1)?;
    }
    if let Some(c) = s.get("const")
        && c != value
    {
        return fail(format!("not the const {c}"));
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return fail("not one of the enum".into());
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for member in all {
            check(root, member, value, at, depth + 1)?;
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array)
        && !any
            .iter()
            .any(|b| check(root, b, value, at, depth + 1).is_ok())
    {
        return fail("no anyOf branch".into());
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let n = one
            .iter()
            .filter(|b| check(root, b, value, at, depth + 1).is_ok())
            .count();
        if n != 1 {
            return fail(format!("{n} oneOf branches"));
        }
    }
    if let Some(types) = s.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return fail("bad type".into()),
        };
        let is = |t: &str| match t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            _ => false,
        };
        if !types.iter().any(|t| is(t)) {
            return fail(format!("not of type {types:?}"));
        }
    }
    match value {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            let num = |k: &str| s.get(k).and_then(Value::as_f64);
            let flag = |k: &str| s.get(k).and_then(Value::as_bool) == Some(true);
            if let Some(min) = num("minimum")
                && (x < min || (flag("exclusiveMinimum") && x <= min))
            {
                return fail(format!("below {min}"));
            }
            if let Some(max) = num("maximum")
                && (x > max || (flag("exclusiveMaximum") && x >= max))
            {
                return fail(format!("above {max}"));
            }
            if let Some(min) = num("exclusiveMinimum")
                && x <= min
            {
                return fail(format!("not above {min}"));
            }
            if let Some(max) = num("exclusiveMaximum")
                && x >= max
            {
                return fail(format!("not below {max}"));
            }
            if let Some(m) = num("multipleOf") {
                let q = x / m;
                if (q - q.round()).abs() > 1e-9 * q.abs().max(1.0) {
                    return fail(format!("not a multiple of {m}"));
                }
            }
        }
        Value::String(text) => {
            let len = text.chars().count() as u64;
            if s.get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len < m)
            {
                return fail("too short".into());
            }
            if s.get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
            {
                return fail("too long".into());
            }
            let ok = match s.get("format").and_then(Value::as_str) {
                Some("date") => super::hints::is_date(text),
                Some("date-time") => {
                    text.len() > 11 && super::hints::is_date(&text[..10]) && &text[10..11] == "T"
                }
                Some("email") => super::hints::is_email(text),
                Some("uri") => super::hints::is_url(text),
                Some("uuid") => {
                    text.len() == 36
                        && text.chars().enumerate().all(|(i, c)| {
                            if [8, 13, 18, 23].contains(&i) {
                                c == '-'
                            } else {
                                c.is_ascii_hexdigit()
                            }
                        })
                }
                _ => true,
            };
            if !ok {
                return fail("bad format".into());
            }
        }
        Value::Array(items) => {
            let len = items.len() as u64;
            if s.get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| len < m)
            {
                return fail("too few items".into());
            }
            if s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
            {
                return fail("too many items".into());
            }
            if s.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) {
                        return fail("repeated items".into());
                    }
                }
            }
            let prefix = s.get("prefixItems").and_then(Value::as_array);
            for (i, item) in items.iter().enumerate() {
                let at = format!("{at}[{i}]");
                match prefix.and_then(|p| p.get(i)) {
                    Some(schema) => check(root, schema, item, &at, depth + 1)?,
                    None => {
                        if let Some(schema) = s.get("items") {
                            check(root, schema, item, &at, depth + 1)?;
                        }
                    }
                }
            }
        }
        Value::Object(map) => {
            let properties = s.get("properties").and_then(Value::as_object);
            for name in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !map.contains_key(name.as_str().unwrap_or("")) {
                    return fail(format!("missing {name}"));
                }
            }
            let len = map.len() as u64;
            if s.get("minProperties")
                .and_then(Value::as_u64)
                .is_some_and(|m| len < m)
            {
                return fail("too few properties".into());
            }
            for (name, item) in map {
                let at = format!("{at}.{name}");
                match properties.and_then(|p| p.get(name)) {
                    Some(schema) => check(root, schema, item, &at, depth + 1)?,
                    None => {
                        if let Some(schema) = s.get("additionalProperties") {
                            check(root, schema, item, &at, depth + 1)?;
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}
