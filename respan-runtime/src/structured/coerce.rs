//! Coercion of a JSON value towards a schema, where what the model meant is
//! unambiguous: `"42"` → `42` where an integer is expected (and `42.0` → `42`),
//! `"4.5"` → `4.5` where a number is, `"true"` / `"false"` (any case) → a
//! boolean, and a string matching one enum member case-insensitively (and no
//! other) → that member's spelling.
//!
//! Deliberately not coerced: a number or boolean to a string (the model chose a
//! type, and `1` vs `"1.0"` vs `"01"` is a guess), a single value to an array
//! (one item or a mistake?), `null` to anything, and text around numbers
//! (`"42 USD"`). Coercion never fails: it changes what it can, and the checker
//! ([`super::validate`]) then says whether the result fits, and where not.

use serde_json::{Number, Value};

use super::validate::{At, Checker, is_type, resolve, type_names};

impl<'s> Checker<'s> {
    /// Coerces `value` towards `schema` (a part of the root schema), in place.
    pub(super) fn coerce(&mut self, value: &mut Value, schema: &'s Value, at: At<'_, 's>) {
        if !self.spend(at) {
            return;
        }
        let Value::Object(schema) = schema else {
            return;
        };
        if let Some(reference) = schema.get("$ref")
            && let Ok(target) = resolve(self.root, reference)
            && !at.cycles_to(target)
        {
            let link = at.follow(target);
            self.coerce(value, target, at.past(&link));
        }
        if let Some(types) = schema.get("type") {
            coerce_scalar(value, types);
        }
        if let Some(Value::Array(members)) = schema.get("enum") {
            coerce_to_member(value, members);
        }
        if let Some(constant) = schema.get("const") {
            coerce_to_member(value, std::slice::from_ref(constant));
        }
        match value {
            Value::Object(map) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let additional = schema.get("additionalProperties");
                for (key, item) in map.iter_mut() {
                    match (properties.and_then(|p| p.get(key)), additional) {
                        (Some(property), _) => self.coerce(item, property, at.child()),
                        (None, Some(additional @ Value::Object(_))) => {
                            self.coerce(item, additional, at.child());
                        }
                        _ => {}
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema @ Value::Object(_)) = schema.get("items") {
                    for item in items {
                        self.coerce(item, item_schema, at.child());
                    }
                }
            }
            _ => {}
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = schema.get(keyword) {
                self.coerce_any_of(value, branches, at);
            }
        }
        if let Some(Value::Array(branches)) = schema.get("allOf") {
            for branch in branches {
                self.coerce(value, branch, at.branch());
            }
        }
    }

    /// A value that fits a branch as it is stays as it is; otherwise it becomes
    /// its coercion by the first branch it then fits.
    fn coerce_any_of(&mut self, value: &mut Value, branches: &'s [Value], at: At<'_, 's>) {
        if branches
            .iter()
            .any(|branch| self.fits(value, branch, at.branch()))
        {
            return;
        }
        for branch in branches {
            let mut candidate = value.clone();
            self.coerce(&mut candidate, branch, at.branch());
            if self.fits(&candidate, branch, at.branch()) {
                *value = candidate;
                return;
            }
        }
    }
}

/// A scalar of none of the `types` becomes one of them when it spells one
/// unambiguously (types tried in the schema's order).
fn coerce_scalar(value: &mut Value, types: &Value) {
    let mut names = type_names(types);
    if names.clone().any(|name| is_type(value, name)) {
        return;
    }
    let coerced = match &*value {
        Value::String(text) => {
            let text = text.trim();
            names.find_map(|name| match name {
                "integer" => parse_number(text).and_then(|n| whole(&n)),
                "number" => parse_number(text).map(Value::Number),
                "boolean" => parse_bool(text),
                _ => None,
            })
        }
        Value::Number(n) if names.any(|name| name == "integer") => whole(n),
        _ => None,
    };
    if let Some(coerced) = coerced {
        *value = coerced;
    }
}

/// A string that is not a member but matches exactly one member (a string
/// case-insensitively, a number or boolean by its spelling) becomes that member.
fn coerce_to_member(value: &mut Value, members: &[Value]) {
    let Value::String(text) = &*value else {
        return;
    };
    if members.contains(value) {
        return;
    }
    let mut found = None;
    for member in members {
        let matches = match member {
            Value::String(member) => member
                .chars()
                .flat_map(char::to_lowercase)
                .eq(text.chars().flat_map(char::to_lowercase)),
            Value::Number(member) => {
                parse_number(text.trim()).is_some_and(|n| same_number(&n, member))
            }
            Value::Bool(member) => parse_bool(text.trim()) == Some(Value::Bool(*member)),
            _ => false,
        };
        if matches {
            if found.is_some() {
                return; // Two members match: ambiguous, leave it to the checker.
            }
            found = Some(member);
        }
    }
    if let Some(member) = found {
        *value = member.clone();
    }
}

/// A JSON number literal (no `+`, `NaN`, `inf`, hex, or thousands separators).
fn parse_number(text: &str) -> Option<Number> {
    serde_json::from_str::<Number>(text).ok()
}

/// Whether two numbers are equal: exactly for integers, else as `f64` (`2.0` is `2`).
fn same_number(a: &Number, b: &Number) -> bool {
    match (a.as_i128(), b.as_i128()) {
        (Some(a), Some(b)) => a == b,
        _ => a.as_f64() == b.as_f64(),
    }
}

fn parse_bool(text: &str) -> Option<Value> {
    if text.eq_ignore_ascii_case("true") {
        Some(Value::Bool(true))
    } else if text.eq_ignore_ascii_case("false") {
        Some(Value::Bool(false))
    } else {
        None
    }
}

/// `n` as an integer, if it is a whole number in range (`42.0` → `42`).
fn whole(n: &Number) -> Option<Value> {
    if n.is_i64() || n.is_u64() {
        return Some(Value::Number(n.clone()));
    }
    let f = n.as_f64()?;
    // -2^63 ..< 2^63: exactly representable bounds, so the cast is exact.
    if f.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
    {
        Some(Value::from(f as i64))
    } else {
        None
    }
}
