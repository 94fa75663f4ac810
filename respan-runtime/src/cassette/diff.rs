//! Comparing a request with a recorded one: equal as JSON (object key order does
//! not matter, `1` equals `1.0`), minus the volatile fields the user named; and
//! when they differ, the first field that does, as a JSON path.

use serde_json::Value;

/// A field left out of the comparison: a path of object keys (`a.b.c`); a key
/// that is `*` stands for every element of an array or every key of an object.
#[derive(Clone, Debug)]
pub(crate) struct Ignored(Vec<String>);

impl Ignored {
    pub(crate) fn parse(path: &str) -> Self {
        Ignored(
            path.split('.')
                .flat_map(|part| {
                    // `a[*]` is `a.*`
                    let mut out = Vec::new();
                    let mut rest = part;
                    while let Some(open) = rest.find('[') {
                        if open > 0 {
                            out.push(rest[..open].to_string());
                        }
                        let close = rest[open..].find(']').map_or(rest.len(), |c| open + c);
                        out.push(rest[open + 1..close].to_string());
                        rest = rest.get(close + 1..).unwrap_or("");
                    }
                    if !rest.is_empty() {
                        out.push(rest.to_string());
                    }
                    out
                })
                .collect(),
        )
    }
}

/// `value` without the ignored fields.
pub(crate) fn without(mut value: Value, ignored: &[Ignored]) -> Value {
    for field in ignored {
        remove(&mut value, &field.0);
    }
    value
}

fn remove(value: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match value {
        Value::Object(map) if first == "*" => {
            if rest.is_empty() {
                map.clear();
            } else {
                for child in map.values_mut() {
                    remove(child, rest);
                }
            }
        }
        Value::Object(map) if rest.is_empty() => {
            map.shift_remove(first);
        }
        Value::Object(map) => {
            if let Some(child) = map.get_mut(first) {
                remove(child, rest);
            }
        }
        Value::Array(items) => {
            let chosen: Vec<usize> = if first == "*" {
                (0..items.len()).collect()
            } else {
                first.parse().into_iter().collect()
            };
            // A whole element becomes null: the others keep their indexes.
            for index in chosen {
                if let Some(item) = items.get_mut(index) {
                    if rest.is_empty() {
                        *item = Value::Null;
                    } else {
                        remove(item, rest);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The first difference: where, and the two values (`None`: absent on that side).
#[derive(Debug, PartialEq)]
pub(crate) struct Difference<'v> {
    pub(crate) path: String,
    pub(crate) recorded: Option<&'v Value>,
    pub(crate) sent: Option<&'v Value>,
}

/// How many leaves differ between `recorded` and `sent`, counting at most to `cap`.
pub(crate) fn count(recorded: &Value, sent: &Value, cap: usize) -> usize {
    match (recorded, sent) {
        (Value::Object(r), Value::Object(s)) => {
            let mut n = 0;
            for (key, sv) in s {
                n += match r.get(key) {
                    Some(rv) => count(rv, sv, cap - n),
                    None => 1,
                };
                if n >= cap {
                    return cap;
                }
            }
            n += r.keys().filter(|k| !s.contains_key(*k)).count();
            n.min(cap)
        }
        (Value::Array(r), Value::Array(s)) => {
            let mut n = r.len().abs_diff(s.len());
            for (rv, sv) in r.iter().zip(s) {
                if n >= cap {
                    return cap;
                }
                n += count(rv, sv, cap - n);
            }
            n.min(cap)
        }
        (Value::Number(r), Value::Number(s)) => usize::from(!same_number(r, s)),
        (r, s) => usize::from(r != s),
    }
}

fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    a == b || matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

/// The first field, in the order the request sends them, where the two differ.
pub(crate) fn first<'v>(recorded: &'v Value, sent: &'v Value) -> Option<Difference<'v>> {
    first_at(String::new(), recorded, sent)
}

fn first_at<'v>(path: String, recorded: &'v Value, sent: &'v Value) -> Option<Difference<'v>> {
    match (recorded, sent) {
        (Value::Object(r), Value::Object(s)) => {
            for (key, sv) in s {
                let child = join_key(&path, key);
                match r.get(key) {
                    Some(rv) => {
                        if let Some(found) = first_at(child, rv, sv) {
                            return Some(found);
                        }
                    }
                    None => {
                        return Some(Difference {
                            path: child,
                            recorded: None,
                            sent: Some(sv),
                        });
                    }
                }
            }
            r.iter()
                .find(|(k, _)| !s.contains_key(*k))
                .map(|(key, rv)| Difference {
                    path: join_key(&path, key),
                    recorded: Some(rv),
                    sent: None,
                })
        }
        (Value::Array(r), Value::Array(s)) => {
            for index in 0..r.len().max(s.len()) {
                let child = format!("{path}[{index}]");
                match (r.get(index), s.get(index)) {
                    (Some(rv), Some(sv)) => {
                        if let Some(found) = first_at(child, rv, sv) {
                            return Some(found);
                        }
                    }
                    (rv, sv) => {
                        return Some(Difference {
                            path: child,
                            recorded: rv,
                            sent: sv,
                        });
                    }
                }
            }
            None
        }
        (r, s) if count(r, s, 1) == 0 => None,
        (r, s) => Some(Difference {
            path,
            recorded: Some(r),
            sent: Some(s),
        }),
    }
}

/// `path.key`, or `path["odd key"]` for a key that is not a plain name.
fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::String(key.to_string())),
    }
}

/// The two values, shortened for a message: long strings are cut around the
/// first character where they differ, so both excerpts show the difference.
pub(crate) fn shown(recorded: Option<&Value>, sent: Option<&Value>) -> (String, String) {
    const WIDTH: usize = 60;
    if let (Some(Value::String(r)), Some(Value::String(s))) = (recorded, sent) {
        let at = r
            .char_indices()
            .zip(s.chars())
            .find(|((_, a), b)| a != b)
            .map(|((i, _), _)| i)
            .unwrap_or_else(|| r.len().min(s.len()));
        let start = floor_char(r, at.saturating_sub(20)).min(floor_char(s, at.saturating_sub(20)));
        return (excerpt(r, start, WIDTH), excerpt(s, start, WIDTH));
    }
    let one = |value: Option<&Value>| match value {
        None => "(absent)".to_string(),
        Some(Value::String(text)) => excerpt(text, 0, WIDTH),
        Some(other) => crate::error::truncate(&other.to_string(), WIDTH),
    };
    (one(recorded), one(sent))
}

fn floor_char(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `text[start..]`, quoted, at most `width` bytes, with `…` where it was cut.
fn excerpt(text: &str, start: usize, width: usize) -> String {
    let start = floor_char(text, start);
    let end = floor_char(text, start.saturating_add(width));
    format!(
        "{}{}{}",
        if start > 0 { "…" } else { "" },
        Value::String(text[start..end].to_string()),
        if end < text.len() { "…" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_number_forms_do_not_matter() {
        let a = json!({"model": "gpt-4o", "temperature": 1, "messages": [{"role": "user", "content": "hi"}]});
        let b: Value = serde_json::from_str(
            r#"{"messages": [{"content": "hi", "role": "user"}], "temperature": 1.0, "model": "gpt-4o"}"#,
        )
        .unwrap();
        assert_eq!(count(&a, &b, 10), 0);
        assert_eq!(first(&a, &b), None);
    }

    #[test]
    fn the_first_difference_is_named_as_a_json_path() {
        let recorded = json!({"model": "gpt-4o", "messages": [
            {"role": "system", "content": "You are the triage agent."},
            {"role": "user", "content": "hello"}]});
        let sent = json!({"model": "gpt-4o", "messages": [
            {"role": "system", "content": "You are the billing agent."},
            {"role": "user", "content": "bye"}]});
        let found = first(&recorded, &sent).unwrap();
        assert_eq!(found.path, "messages[0].content");
        assert_eq!(count(&recorded, &sent, 100), 2);
        let (r, s) = shown(found.recorded, found.sent);
        assert_eq!(
            (r.as_str(), s.as_str()),
            (
                r#""You are the triage agent.""#,
                r#""You are the billing agent.""#
            )
        );
    }

    #[test]
    fn absent_fields_and_extra_elements() {
        let (r, s) = (json!({"a": 1}), json!({"a": 1, "b": {"c d": 2}}));
        let found = first(&r, &s).unwrap();
        assert_eq!(found.path, "b");
        assert_eq!(found.recorded, None);
        let (r, s) = (json!({"a": {"c d": [1]}}), json!({"a": {"c d": [1, 2]}}));
        assert_eq!(first(&r, &s).unwrap().path, r#"a["c d"][1]"#);
        let (r, s) = (json!({"a": 1, "z": 2}), json!({"a": 1}));
        let found = first(&r, &s).unwrap();
        assert_eq!((found.path.as_str(), found.sent), ("z", None));
        assert_eq!(shown(found.recorded, found.sent).1, "(absent)");
    }

    #[test]
    fn long_strings_are_shown_around_their_difference() {
        let base = "word ".repeat(40);
        let r = json!(format!(
            "{base}alpha and more text after it, quite a lot more text"
        ));
        let s = json!(format!(
            "{base}omega and more text after it, quite a lot more text"
        ));
        let (r, s) = shown(Some(&r), Some(&s));
        assert!(
            r.starts_with('…') && r.contains("alpha") && r.ends_with('…'),
            "{r}"
        );
        assert!(s.contains("omega"), "{s}");
        assert!(r.len() < 80, "{r}");
    }

    #[test]
    fn ignored_fields_are_removed_anywhere() {
        let value = json!({"metadata": {"trace": "x", "env": "prod"},
                           "messages": [{"id": 1, "content": "a"}, {"id": 2, "content": "b"}]});
        let cleaned = without(
            value,
            &[
                Ignored::parse("metadata.trace"),
                Ignored::parse("messages[*].id"),
            ],
        );
        assert_eq!(
            cleaned,
            json!({"metadata": {"env": "prod"}, "messages": [{"content": "a"}, {"content": "b"}]})
        );
    }
}
