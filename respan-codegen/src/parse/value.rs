//! Typed reads of TOML values with spans: each read either returns the value or
//! records an "expected X, found Y" diagnostic and returns `None`.

use serde_json::{Map, Number, Value};
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, out_of_range};
use crate::spec::{Span, Spanned};

/// A TOML value with its span, as the `toml` crate's recoverable parser returns it.
pub(crate) type Item<'i> = toml::Spanned<DeValue<'i>>;

/// The span of a `toml` spanned value.
pub(crate) fn span_of<T>(item: &toml::Spanned<T>) -> Span {
    item.span().into()
}

/// "a string", "an integer", ...: how the messages name a TOML type.
pub(crate) fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Collects diagnostics while reading values.
pub(crate) struct Reader {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Reader {
    pub(crate) fn new() -> Self {
        Self {
            diagnostics: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Records "`key` expects X, found Y".
    pub(crate) fn wrong_type(&mut self, key: &str, expected: &str, item: &Item<'_>) {
        let found = describe(item.get_ref());
        self.push(Diagnostic::error(
            format!("wrong type for `{key}`: expected {expected}, found {found}"),
            span_of(item),
            format!("expected {expected}"),
        ));
    }

    pub(crate) fn string(&mut self, key: &str, item: &Item<'_>) -> Option<Spanned<String>> {
        match item.get_ref() {
            DeValue::String(s) => Some(Spanned::new(s.to_string(), span_of(item))),
            _ => {
                self.wrong_type(key, "a string", item);
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, key: &str, item: &Item<'_>) -> Option<Spanned<bool>> {
        match item.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(*b, span_of(item))),
            _ => {
                self.wrong_type(key, "a boolean", item);
                None
            }
        }
    }

    /// An integer as i128 (so any TOML integer fits), or a diagnostic.
    fn integer(&mut self, key: &str, item: &Item<'_>) -> Option<i128> {
        match item.get_ref() {
            DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
                Ok(value) => Some(value),
                Err(_) => {
                    self.push(Diagnostic::error(
                        format!("integer `{key}` is too large"),
                        span_of(item),
                        "does not fit in 64 bits",
                    ));
                    None
                }
            },
            _ => {
                self.wrong_type(key, "an integer", item);
                None
            }
        }
    }

    /// An integer in `min..=max`; `range_text` says the allowed values in the message.
    pub(crate) fn integer_in(
        &mut self,
        key: &str,
        item: &Item<'_>,
        min: i128,
        max: i128,
        range_text: &str,
    ) -> Option<Spanned<i128>> {
        let value = self.integer(key, item)?;
        if value < min || value > max {
            self.push(out_of_range(
                key,
                range_text,
                &value.to_string(),
                span_of(item),
            ));
            return None;
        }
        Some(Spanned::new(value, span_of(item)))
    }

    pub(crate) fn i64(&mut self, key: &str, item: &Item<'_>) -> Option<Spanned<i64>> {
        let value = self.integer_in(
            key,
            item,
            i64::MIN.into(),
            i64::MAX.into(),
            "a 64-bit integer",
        )?;
        Some(Spanned::new(value.value as i64, value.span))
    }

    /// A number (integers are accepted where floats are expected: `temperature = 1`).
    pub(crate) fn float(&mut self, key: &str, item: &Item<'_>) -> Option<Spanned<f64>> {
        let value = match item.get_ref() {
            DeValue::Float(f) => parse_float(f.as_str()),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|v| v as f64),
            _ => {
                self.wrong_type(key, "a number", item);
                return None;
            }
        };
        match value {
            Some(v) => Some(Spanned::new(v, span_of(item))),
            None => {
                self.wrong_type(key, "a number", item);
                None
            }
        }
    }

    pub(crate) fn table<'a, 'i>(
        &mut self,
        key: &str,
        item: &'a Item<'i>,
    ) -> Option<&'a DeTable<'i>> {
        match item.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(key, "a table", item);
                None
            }
        }
    }

    /// A table as a JSON object with its span (schemas, `response_format`, ...).
    pub(crate) fn json_table(&mut self, key: &str, item: &Item<'_>) -> Option<Spanned<Value>> {
        self.table(key, item)?;
        Some(Spanned::new(self.json(key, item), span_of(item)))
    }

    /// An array of strings, each element spanned.
    pub(crate) fn strings(&mut self, key: &str, item: &Item<'_>) -> Option<Vec<Spanned<String>>> {
        let DeValue::Array(array) = item.get_ref() else {
            self.wrong_type(key, "an array of strings", item);
            return None;
        };
        let mut out = Vec::with_capacity(array.len());
        for element in array.iter() {
            match element.get_ref() {
                DeValue::String(s) => out.push(Spanned::new(s.to_string(), span_of(element))),
                other => self.push(Diagnostic::error(
                    format!(
                        "wrong type in `{key}`: expected a string, found {}",
                        describe(other)
                    ),
                    span_of(element),
                    "expected a string",
                )),
            }
        }
        Some(out)
    }

    /// Any TOML value as JSON (the open tables: `extra_body`, `metadata`, schemas, ...).
    pub(crate) fn json(&mut self, key: &str, item: &Item<'_>) -> Value {
        match item.get_ref() {
            DeValue::String(s) => Value::String(s.to_string()),
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Datetime(d) => Value::String(d.to_string()),
            DeValue::Integer(_) => match self.integer(key, item) {
                Some(v) => i64::try_from(v)
                    .map(Value::from)
                    .or_else(|_| u64::try_from(v).map(Value::from))
                    .unwrap_or(Value::Null),
                None => Value::Null,
            },
            DeValue::Float(f) => match parse_float(f.as_str()).and_then(Number::from_f64) {
                Some(n) => Value::Number(n),
                None => {
                    self.push(
                        Diagnostic::error(
                            format!("`{key}` cannot be represented in JSON"),
                            span_of(item),
                            "JSON has no NaN or infinity",
                        )
                        .with_help(
                            "write a finite number, or quote it if the gateway expects text",
                        ),
                    );
                    Value::Null
                }
            },
            DeValue::Array(array) => {
                Value::Array(array.iter().map(|e| self.json(key, e)).collect())
            }
            DeValue::Table(table) => Value::Object(self.json_map(table)),
        }
    }

    pub(crate) fn json_map(&mut self, table: &DeTable<'_>) -> Map<String, Value> {
        table
            .iter()
            .map(|(k, v)| (k.get_ref().to_string(), self.json(k.get_ref(), v)))
            .collect()
    }
}

/// A float literal as TOML writes it (`inf`, `nan`, `1_000.5`).
fn parse_float(text: &str) -> Option<f64> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    match cleaned.trim_start_matches(['+', '-']) {
        "inf" => Some(if cleaned.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        "nan" => Some(f64::NAN),
        _ => cleaned.parse().ok(),
    }
}
