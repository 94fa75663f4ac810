//! Schema-aligned recovery of structured output.
//!
//! An agent with an output schema asks for a strict `json_schema`
//! `response_format`. Models that ignore it (some routes of the gateway) answer
//! with the JSON in a code fence or in prose, or with `"42"` where the schema
//! says integer. [`parse_structured`] recovers the value the model meant, as
//! BAML's schema-aligned parsing does, but conservatively: it extracts and
//! coerces only where the result is unambiguous, and says where it is not.
//!
//! - [`extract`]: the JSON in fences and prose;
//! - [`coerce`]: scalars and enum spellings, towards the schema;
//! - [`validate`]: the JSON Schema subset of OpenAI strict mode, with paths.

mod coerce;
mod extract;
mod validate;

#[cfg(test)]
mod tests;

use serde_json::Value;

use validate::{At, Checker};

/// Steps the schema walk may take for one answer: a base plus this many per
/// byte of the answer (a legitimate answer takes a few per value).
const FUEL_BASE: usize = 1_000_000;
const FUEL_PER_BYTE: usize = 32;

/// Bytes the search for JSON in prose may scan: a base plus this many per byte.
const SCAN_BASE: usize = 4096;
const SCAN_PER_BYTE: usize = 16;

/// What to do about a [`StructuredError`], said in its message.
const ADVICE: &str = "check that the model supports response_format json_schema, or describe \
                      the format in the instructions";

/// Why a model's answer is not a value of the output schema: carries the raw text.
///
/// Its message says what was wrong, where (a JSON path such as
/// `$.items[2].price`), and what to do; it quotes at most the first 200 bytes
/// of the answer, and [`raw`](Self::raw) keeps all of it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the model's answer is not a value of the output schema: {reason}; {}{}",
    ADVICE,
    quote_answer(raw)
)]
pub struct StructuredError {
    /// The model's answer, whole, as received.
    pub raw: String,
    /// What is wrong with it, and where (a JSON path such as `$.items[2].price`).
    pub reason: String,
}

fn quote_answer(raw: &str) -> String {
    if raw.trim().is_empty() {
        String::new()
    } else {
        format!(" (the answer: {:?})", crate::text::truncate(raw, 200))
    }
}

/// Recovers the JSON value a model meant, aligned with `schema`.
///
/// `schema` is the output's JSON Schema (or the whole `response_format` sent,
/// `{"type": "json_schema", "json_schema": {"schema": ...}}`). In order:
///
/// 1. An answer that is JSON and fits the schema is returned as it is.
/// 2. Otherwise the JSON is found: the content of ```` ```json ```` (or bare
///    ```` ``` ````) code fences, else the top-level `{...}` / `[...]` in the
///    prose. If several values are found, the one that fits the schema is taken;
///    if several different ones fit, that is ambiguous and an error. Nothing is
///    repaired (no trailing comma dropped, no bracket closed). An answer that is
///    a JSON string holding the JSON is unwrapped once.
/// 3. Scalars are coerced where the schema says so and the meaning is
///    unambiguous: `"42"` → `42` for an integer (and `42.0` → `42`), `"4.5"` →
///    `4.5` for a number, `"true"` / `"false"` → a boolean, and a string
///    matching exactly one enum member case-insensitively → that member. Not
///    coerced: a number to a string, a single value to an array, `null` to
///    anything. `anyOf` / `oneOf` keep a value that fits a branch as it is, else
///    take the first branch it fits once coerced. `$ref`s to `#`, `#/$defs/...`
///    and `#/definitions/...` are followed.
/// 4. The result is checked against the JSON Schema subset of OpenAI strict
///    mode (`type`, including nullable `["string", "null"]`, `properties`,
///    `required`, `additionalProperties`, `items`, `enum`, `const`, `anyOf`,
///    `$ref`); other keywords (`pattern`, `minimum`, ...) are not checked.
///
/// The walk is bounded in depth and in steps: a deep answer or a `$ref` cycle is
/// an error, never a stack overflow.
///
/// # Errors
///
/// A [`StructuredError`] keeping the whole answer, when it is empty, holds no
/// JSON, holds several values that fit, or holds one that does not fit the
/// schema (with the JSON path of the first problem).
///
/// # Examples
///
/// ```
/// use respan_runtime::parse_structured;
/// use serde_json::json;
///
/// let schema = json!({
///     "type": "object",
///     "properties": {
///         "city": {"type": "string"},
///         "temperature": {"type": "integer"},
///         "sky": {"enum": ["sunny", "cloudy"]}
///     },
///     "required": ["city", "temperature", "sky"],
///     "additionalProperties": false
/// });
/// let answer = "Sure! Here it is:\n```json\n\
///               {\"city\": \"Paris\", \"temperature\": \"21\", \"sky\": \"Sunny\"}\n```";
/// let value = parse_structured(answer, &schema)?;
/// assert_eq!(value, json!({"city": "Paris", "temperature": 21, "sky": "sunny"}));
///
/// let error = parse_structured(r#"{"city": "Paris", "sky": "sunny"}"#, &schema).unwrap_err();
/// assert!(error.to_string().contains("at $: missing required property `temperature`"));
/// # Ok::<(), respan_runtime::StructuredError>(())
/// ```
pub fn parse_structured(raw: &str, schema: &Value) -> Result<Value, StructuredError> {
    let error = |reason: String| StructuredError {
        raw: raw.to_owned(),
        reason,
    };
    if raw.trim().is_empty() {
        return Err(error("the model returned no text".into()));
    }
    let schema = output_schema(schema);
    let fuel = fuel_for(raw);
    let mut checker = Checker::new(schema, fuel);
    match serde_json::from_str::<Value>(raw) {
        Ok(value) => {
            // The fast path: JSON of the schema, returned as it is.
            if checker.check(&value).is_ok() {
                return Ok(value);
            }
            let value = match fit(&mut checker, value) {
                Ok(value) => return Ok(value),
                Err(value) => value,
            };
            // A JSON string holding the JSON: unwrap it once.
            if let Value::String(inner) = &value
                && !inner.trim().is_empty()
                && let Ok(value) = search(inner, &mut checker)
            {
                return Ok(value);
            }
            Err(error(explain(&checker, &value, fuel)))
        }
        Err(not_json) => search(raw, &mut checker).map_err(|failure| {
            error(match failure {
                Failure::NoJson(hint) => format!(
                    "the answer is not JSON ({not_json}) and contains no JSON object or \
                     array{hint}"
                ),
                Failure::Other(reason) => reason,
            })
        }),
    }
}

/// The JSON Schema in `schema`: itself, or the schema of a `json_schema`
/// `response_format`.
fn output_schema(schema: &Value) -> &Value {
    match schema.pointer("/json_schema/schema") {
        Some(inner) if schema.get("type").and_then(Value::as_str) == Some("json_schema") => inner,
        _ => schema,
    }
}

fn fuel_for(raw: &str) -> usize {
    FUEL_BASE.saturating_add(raw.len().saturating_mul(FUEL_PER_BYTE))
}

/// `value` if it fits the schema, else once coerced; `Err` with the coerced
/// value if it still does not.
fn fit(checker: &mut Checker<'_>, value: Value) -> Result<Value, Value> {
    if checker.check(&value).is_ok() {
        return Ok(value);
    }
    let mut value = value;
    let root = checker.root;
    checker.coerce(&mut value, root, At::ROOT);
    if checker.check(&value).is_ok() {
        Ok(value)
    } else {
        Err(value)
    }
}

/// Why a search of a text for a value of the schema failed.
enum Failure {
    /// No JSON object or array in it (and a hint why, or nothing).
    NoJson(&'static str),
    /// Any other reason, said.
    Other(String),
}

/// The one value of the schema in a text that is not JSON: from its code
/// fences, else from its prose.
fn search(text: &str, checker: &mut Checker<'_>) -> Result<Value, Failure> {
    let mut budget = SCAN_BASE.saturating_add(text.len().saturating_mul(SCAN_PER_BYTE));
    let mut found = Candidates::default();

    let mut fenced = Vec::new();
    for block in extract::fenced_blocks(text) {
        match serde_json::from_str::<Value>(block) {
            Ok(value) => fenced.push(value),
            Err(_) => {
                let embedded = extract::embedded_values(block, &mut budget);
                found.gave_up |= embedded.gave_up;
                found.unclosed |= embedded.unclosed;
                fenced.extend(embedded.values);
            }
        }
    }
    if let Some(result) = found.pick(checker, fenced) {
        return result;
    }
    // The prose: the whole text, so its values include the fenced ones again
    // (count them once; explain a fenced one first).
    let fenced_count = std::mem::take(&mut found.count);
    let fenced_miss = found.first_miss.take();
    let embedded = extract::embedded_values(text, &mut budget);
    found.gave_up |= embedded.gave_up;
    found.unclosed |= embedded.unclosed;
    if let Some(result) = found.pick(checker, embedded.values) {
        return result;
    }
    found.count = found.count.max(fenced_count);
    found.first_miss = fenced_miss.or(found.first_miss);

    if checker.exhausted {
        return Err(Failure::Other(too_complex(fuel_for(text))));
    }
    if found.gave_up {
        return Err(Failure::Other(format!(
            "no JSON value of the schema found in the first {} bytes scanned of the answer, \
             and it is too convoluted to search further",
            SCAN_BASE.saturating_add(text.len().saturating_mul(SCAN_PER_BYTE))
        )));
    }
    let cut_short = if found.unclosed {
        "; a `{` or `[` in it never closes: was the answer cut short (max_tokens)?"
    } else {
        ""
    };
    match found.first_miss {
        None => Err(Failure::NoJson(cut_short)),
        Some(miss) => {
            let why = explain(checker, &miss, fuel_for(text));
            Err(Failure::Other(if found.count == 1 {
                format!("the JSON in the answer does not fit the schema: {why}{cut_short}")
            } else {
                format!(
                    "none of the {} JSON values in the answer fits the schema; the first: \
                     {why}{cut_short}",
                    found.count
                )
            }))
        }
    }
}

/// The JSON values found so far in an answer, and how they fared.
#[derive(Default)]
struct Candidates {
    /// How many were found.
    count: usize,
    /// The first that does not fit (coerced), to explain why.
    first_miss: Option<Value>,
    /// Whether the search ran out of budget.
    gave_up: bool,
    /// Whether a bracket never closes.
    unclosed: bool,
}

impl Candidates {
    /// The one value among `values` that fits (identical repeats count once),
    /// an error if several different ones do, or `None` if none does.
    fn pick(
        &mut self,
        checker: &mut Checker<'_>,
        values: Vec<Value>,
    ) -> Option<Result<Value, Failure>> {
        let mut fitting: Option<Value> = None;
        for value in values {
            self.count += 1;
            match fit(checker, value) {
                Ok(value) => match &fitting {
                    Some(first) if *first == value => {}
                    Some(first) => {
                        return Some(Err(Failure::Other(format!(
                            "the answer holds several different JSON values that fit the schema \
                             ({} and {}), so which one is meant is ambiguous",
                            crate::text::truncate(&first.to_string(), 80),
                            crate::text::truncate(&value.to_string(), 80)
                        ))));
                    }
                    None => fitting = Some(value),
                },
                Err(value) => {
                    if self.first_miss.is_none() {
                        self.first_miss = Some(value);
                    }
                }
            }
        }
        if checker.exhausted || self.gave_up {
            // Cannot tell whether another value fits too.
            return None;
        }
        fitting.map(Ok)
    }
}

/// Why `value` does not fit the checker's schema: the first mismatch and its path.
fn explain(checker: &Checker<'_>, value: &Value, fuel: usize) -> String {
    if checker.exhausted {
        return too_complex(fuel);
    }
    match Checker::explaining(checker.root, fuel).check(value) {
        Err(Some(mismatch)) => mismatch.to_string(),
        _ => too_complex(fuel),
    }
}

fn too_complex(fuel: usize) -> String {
    format!(
        "the answer is too large, or the output schema too intricate (`anyOf` under recursive \
         `$ref`s), to check it within {fuel} steps"
    )
}
