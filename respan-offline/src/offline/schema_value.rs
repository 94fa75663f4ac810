//! A JSON value valid for a JSON Schema: what the offline gateway sends as a
//! tool's arguments or as a structured answer.
//!
//! It covers what chat-completions strict mode uses, and a little more: `type`
//! (one or a list), `properties`, `required`, `additionalProperties`,
//! `minProperties`, `items`, `prefixItems`, `minItems`, `maxItems`, `enum`,
//! `const`, `anyOf`, `oneOf`, `allOf`, local `$ref`s (to `$defs`, `definitions`
//! or any JSON pointer, cycles included), `minimum`/`maximum` (inclusive or
//! exclusive), `multipleOf`, `minLength`/`maxLength`, `uniqueItems` and the
//! common `format`s. `pattern` is not honoured, and `oneOf` is read as `anyOf`
//! (neither is in strict mode).
//!
//! Values come from the user's message where they fit ([`Hints`]), else a
//! plausible default (`"example"`, `1`, `true`, the first option, one item).
//! Generation is bounded whatever the schema: a `$ref` is never expanded inside
//! itself (a recursive type gets its smallest value: `null`, `[]`), nesting stops
//! at [`MAX_DEPTH`], and at most [`MAX_NODES`] schemas are visited.

use serde_json::{Map, Number, Value};

use super::hints::{Hints, is_date, is_email, is_url};
use super::words::identifier_words;

/// How deep the generator goes into a schema.
pub(crate) const MAX_DEPTH: usize = 32;
/// How many (sub)schemas it visits at most for one value.
pub(crate) const MAX_NODES: usize = 10_000;
/// The most items it makes for one array (when `minItems` asks for more, it gives up).
const MAX_ITEMS: u64 = 256;
/// The longest string it pads to (when `minLength` asks for more, it gives up).
const MAX_PADDING: u64 = 10_000;

/// What the value is for; it decides what a free-text string says.
pub(crate) enum Purpose<'a> {
    /// A tool's arguments: a `query`-like string gets the whole message.
    Arguments,
    /// A structured answer: a `summary`/`answer`-like string gets this text.
    Answer {
        /// The offline gateway's answer in words.
        prose: &'a str,
    },
}

/// A value for `schema` (the empty object when no value can be made: an
/// unsatisfiable or malformed schema).
pub(crate) fn value_for(schema: &Value, hints: &mut Hints, purpose: &Purpose<'_>) -> Value {
    let mut generator = Generator {
        root: schema,
        hints,
        purpose,
        // The root is being expanded: a `"$ref": "#"` inside it is a cycle.
        active: vec!["#".to_string()],
        depth: 0,
        nodes: 0,
    };
    generator
        .value(schema, "", 0)
        .unwrap_or_else(|| Value::Object(Map::new()))
}

const ANY: Value = Value::Bool(true);

struct Generator<'a, 'h> {
    root: &'a Value,
    hints: &'h mut Hints,
    purpose: &'h Purpose<'h>,
    /// The `$ref`s being expanded, outermost first.
    active: Vec<String>,
    depth: usize,
    nodes: usize,
}

impl Generator<'_, '_> {
    /// A value for `schema`, for the property `name` (empty at the root), the
    /// `nth` item of its array (to vary items); `None` when none can be made.
    fn value(&mut self, schema: &Value, name: &str, nth: usize) -> Option<Value> {
        if self.depth >= MAX_DEPTH || self.nodes >= MAX_NODES {
            return None;
        }
        self.depth += 1;
        self.nodes += 1;
        let value = self.value_inner(schema, name, nth);
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self, schema: &Value, name: &str, nth: usize) -> Option<Value> {
        let s = match schema {
            Value::Object(s) => s,
            Value::Bool(false) => return None,
            // `true`, or not a schema at all: anything goes.
            _ => return Some(self.any(name, nth)),
        };
        if let Some(reference) = s.get("$ref").and_then(Value::as_str) {
            return self.reference(reference, name, nth);
        }
        if let Some(value) = s.get("const") {
            return Some(value.clone());
        }
        if let Some(options) = s.get("enum").and_then(Value::as_array) {
            return self.option(options, nth);
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            let merged = self.merge_all_of(s, all);
            return self.value(&merged, name, nth);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = s.get(key).and_then(Value::as_array) {
                return self.branch(branches, name, nth);
            }
        }
        let types = types_of(s);
        let (null, other): (Vec<&str>, Vec<&str>) = types.into_iter().partition(|t| *t == "null");
        other
            .into_iter()
            .chain(null)
            .find_map(|t| self.typed(t, s, name, nth))
    }

    fn reference(&mut self, reference: &str, name: &str, nth: usize) -> Option<Value> {
        if self.active.iter().any(|r| r == reference) {
            return None;
        }
        let root = self.root;
        let target = resolve(root, reference)?;
        self.active.push(reference.to_string());
        let value = self.value(target, name, nth);
        self.active.pop();
        value
    }

    /// The option the message names, else the `nth` (the first for a single value).
    fn option(&mut self, options: &[Value], nth: usize) -> Option<Value> {
        if options.is_empty() {
            return None;
        }
        let strings: Vec<&str> = options.iter().map(|o| o.as_str().unwrap_or("")).collect();
        let i = self.hints.option(&strings).unwrap_or(nth % options.len());
        Some(options[i].clone())
    }

    /// The first branch that gives a value, `null` last (an option is filled in).
    fn branch(&mut self, branches: &[Value], name: &str, nth: usize) -> Option<Value> {
        let is_null = |b: &&Value| b.get("type").and_then(Value::as_str) == Some("null");
        let (null, other): (Vec<&Value>, Vec<&Value>) = branches.iter().partition(is_null);
        other
            .into_iter()
            .chain(null)
            .find_map(|b| self.value(b, name, nth))
    }

    /// One schema with the members' properties and requirements together (the
    /// first member saying something else wins).
    fn merge_all_of(&self, schema: &Map<String, Value>, all: &[Value]) -> Value {
        let mut merged = schema.clone();
        merged.remove("allOf");
        for member in all {
            let member = match member.get("$ref").and_then(Value::as_str) {
                Some(r) if !self.active.iter().any(|a| a == r) => {
                    resolve(self.root, r).unwrap_or(member)
                }
                _ => member,
            };
            let member = match member {
                Value::Object(m) => m,
                Value::Bool(false) => return Value::Bool(false),
                _ => continue,
            };
            for (key, value) in member {
                match (key.as_str(), merged.get_mut(key), value) {
                    ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                        for (k, v) in theirs {
                            mine.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                    ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                        for name in theirs {
                            if !mine.contains(name) {
                                mine.push(name.clone());
                            }
                        }
                    }
                    (_, None, _) => {
                        merged.insert(key.clone(), value.clone());
                    }
                    _ => {}
                }
            }
        }
        Value::Object(merged)
    }

    fn typed(
        &mut self,
        kind: &str,
        s: &Map<String, Value>,
        name: &str,
        nth: usize,
    ) -> Option<Value> {
        match kind {
            "null" => Some(Value::Null),
            "boolean" => Some(Value::Bool(nth.is_multiple_of(2))),
            "integer" => self.number(s, name, nth, true),
            "number" => self.number(s, name, nth, false),
            "string" => self.string(s, name, nth),
            "array" => self.array(s, name),
            "object" => self.object(s),
            "any" => Some(self.any(name, nth)),
            _ => None,
        }
    }

    fn any(&mut self, name: &str, nth: usize) -> Value {
        Value::String(self.text(name, nth))
    }

    fn number(
        &mut self,
        s: &Map<String, Value>,
        name: &str,
        nth: usize,
        integer: bool,
    ) -> Option<Value> {
        let bounds = Bounds::read(s, integer);
        // An answer's numbers are the model's own; only an argument takes any number said.
        let anywhere = matches!(self.purpose, Purpose::Arguments);
        let said = self.hints.number_for(name, anywhere, |x| bounds.accepts(x));
        let x = said.or_else(|| bounds.pick(1.0 + nth as f64))?;
        number_value(x, integer)
    }

    fn string(&mut self, s: &Map<String, Value>, name: &str, nth: usize) -> Option<Value> {
        let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0);
        let max = s.get("maxLength").and_then(Value::as_u64);
        if max.is_some_and(|max| max < min) || min > MAX_PADDING {
            return None;
        }
        let text = match s.get("format").and_then(Value::as_str) {
            Some(format) => self.formatted(format, name, nth),
            None => self.text(name, nth),
        };
        let mut text: String = match max {
            Some(max) => text.chars().take(max as usize).collect(),
            None => text,
        };
        let short = (min as usize).saturating_sub(text.chars().count());
        text.extend(std::iter::repeat_n('_', short));
        Some(Value::String(text))
    }

    /// A value of a string `format` (the message's when it has one).
    fn formatted(&mut self, format: &str, name: &str, nth: usize) -> String {
        let said = |is: fn(&str) -> bool| self.hints.word(is);
        match format {
            "date" => said(is_date).unwrap_or_else(|| "2024-01-01".into()),
            "date-time" => format!(
                "{}T12:00:00Z",
                said(is_date).unwrap_or_else(|| "2024-01-01".into())
            ),
            "time" => "12:00:00Z".into(),
            "email" | "idn-email" => said(is_email).unwrap_or_else(|| "user@example.com".into()),
            "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => {
                said(is_url).unwrap_or_else(|| "https://example.com".into())
            }
            "uuid" => format!("00000000-0000-4000-8000-{:012x}", nth),
            "ipv4" => "192.0.2.1".into(),
            "ipv6" => "2001:db8::1".into(),
            "hostname" | "idn-hostname" => "example.com".into(),
            "duration" => "P1D".into(),
            "regex" => ".*".into(),
            "json-pointer" => "/".into(),
            _ => self.text(name, nth),
        }
    }

    /// Free text for the property `name`.
    fn text(&mut self, name: &str, nth: usize) -> String {
        let words = identifier_words(name);
        let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
        // (Only once in an array whose items must differ.)
        match self.purpose {
            Purpose::Arguments if nth == 0 && has(QUERY_WORDS) && !self.hints.text().is_empty() => {
                return self.hints.text().to_string();
            }
            Purpose::Answer { prose } if nth == 0 && has(PROSE_WORDS) => {
                return (*prose).to_string();
            }
            _ => {}
        }
        if let Some(said) = self.hints.string_for(name) {
            return said;
        }
        let default = match self.purpose {
            Purpose::Arguments => "example",
            Purpose::Answer { .. } => "offline example",
        };
        match nth {
            0 => default.to_string(),
            n => format!("{default} {}", n + 1),
        }
    }

    fn array(&mut self, s: &Map<String, Value>, name: &str) -> Option<Value> {
        let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = s
            .get("maxItems")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX);
        if max < min || min > MAX_ITEMS {
            return None;
        }
        // `prefixItems` (or draft-4 `items: [...]`) then `items` (or `additionalItems`).
        let (prefix, rest): (&[Value], &Value) = match (s.get("prefixItems"), s.get("items")) {
            (Some(Value::Array(prefix)), items) => (prefix, items.unwrap_or(&ANY)),
            (_, Some(Value::Array(prefix))) => (prefix, s.get("additionalItems").unwrap_or(&ANY)),
            (_, items) => (&[], items.unwrap_or(&ANY)),
        };
        let want = (prefix.len() as u64)
            .max(min)
            .max(1)
            .min(max)
            .min(MAX_ITEMS) as usize;
        // Items vary (`example`, `example 2`...) only where they must differ.
        let unique = s.get("uniqueItems").and_then(Value::as_bool) == Some(true);
        let mut attempt = 0;
        let mut items = Vec::with_capacity(want);
        for i in 0..want {
            let schema = prefix.get(i).unwrap_or(rest);
            let mut item = None;
            for _ in 0..4 {
                let nth = if unique { attempt } else { 0 };
                attempt += 1;
                match self.value(schema, name, nth) {
                    Some(v) if unique && items.contains(&v) => continue,
                    other => {
                        item = other;
                        break;
                    }
                }
            }
            match item {
                Some(item) => items.push(item),
                None if i as u64 >= min => break,
                None => return None,
            }
        }
        Some(Value::Array(items))
    }

    fn object(&mut self, s: &Map<String, Value>) -> Option<Value> {
        let none = Map::new();
        let properties = s
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&none);
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let additional = s.get("additionalProperties").unwrap_or(&ANY);
        // `required` lists the properties in the order they were declared (the
        // map is sorted by name): fill those first, then the optional ones.
        let mut order: Vec<&str> = Vec::new();
        for name in required
            .iter()
            .copied()
            .chain(properties.keys().map(String::as_str))
        {
            if !order.contains(&name) {
                order.push(name);
            }
        }
        let mut out = Map::new();
        for name in order {
            let schema = properties.get(name).unwrap_or(additional);
            match self.value(schema, name, 0) {
                Some(value) => {
                    out.insert(name.to_string(), value);
                }
                None if required.contains(&name) => return None,
                None => {}
            }
        }
        let min = s.get("minProperties").and_then(Value::as_u64).unwrap_or(0);
        let mut n = 0;
        while (out.len() as u64) < min && n < MAX_ITEMS {
            n += 1;
            let name = format!("key{n}");
            if out.contains_key(&name) {
                continue;
            }
            let value = self.value(additional, &name, 0)?;
            out.insert(name, value);
        }
        Some(Value::Object(out))
    }
}

/// Property names whose argument is the user's whole message.
const QUERY_WORDS: &[&str] = &[
    "content", "input", "keyword", "keywords", "message", "prompt", "q", "query", "question",
    "request", "search", "term", "terms", "text", "topic",
];

/// Property names whose answer is the offline gateway's prose.
const PROSE_WORDS: &[&str] = &[
    "advice",
    "analysis",
    "answer",
    "body",
    "comment",
    "comments",
    "conclusion",
    "content",
    "description",
    "detail",
    "details",
    "explanation",
    "feedback",
    "justification",
    "message",
    "note",
    "notes",
    "output",
    "overview",
    "rationale",
    "reason",
    "reasoning",
    "recommendation",
    "reply",
    "report",
    "response",
    "result",
    "solution",
    "suggestion",
    "summary",
    "text",
];

/// The types a schema allows; inferred from its keywords without `type`
/// (`any` when nothing says).
fn types_of(s: &Map<String, Value>) -> Vec<&str> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        Some(_) => Vec::new(),
        None => {
            let has = |keys: &[&str]| keys.iter().any(|k| s.contains_key(*k));
            let kind = if has(&[
                "properties",
                "required",
                "additionalProperties",
                "minProperties",
            ]) {
                "object"
            } else if has(&["items", "prefixItems", "minItems", "maxItems"]) {
                "array"
            } else if has(&[
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
            ]) {
                "number"
            } else if has(&["minLength", "maxLength", "pattern", "format"]) {
                "string"
            } else {
                "any"
            };
            vec![kind]
        }
    }
}

/// A local `$ref` (`#`, `#/$defs/X`, any JSON pointer); `None` for remote ones.
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    match reference.strip_prefix('#')? {
        "" => Some(root),
        pointer => root.pointer(pointer),
    }
}

/// The numeric constraints of a schema.
struct Bounds {
    integer: bool,
    /// (bound, exclusive)
    min: Option<(f64, bool)>,
    max: Option<(f64, bool)>,
    multiple: Option<f64>,
}

/// Integers beyond this are not exact in JSON numbers read as `f64`.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

impl Bounds {
    fn read(s: &Map<String, Value>, integer: bool) -> Self {
        let number = |key: &str| s.get(key).and_then(Value::as_f64).filter(|x| x.is_finite());
        // Draft 4 writes `"exclusiveMinimum": true` next to `minimum`.
        let flag = |key: &str| s.get(key).and_then(Value::as_bool) == Some(true);
        let bound = |inclusive: &str, exclusive: &str| match (number(inclusive), number(exclusive))
        {
            (Some(a), Some(b)) if inclusive == "minimum" => {
                Some(if b >= a { (b, true) } else { (a, false) })
            }
            (Some(a), Some(b)) => Some(if b <= a { (b, true) } else { (a, false) }),
            (Some(a), None) => Some((a, flag(exclusive))),
            (None, Some(b)) => Some((b, true)),
            (None, None) => None,
        };
        Self {
            integer,
            min: bound("minimum", "exclusiveMinimum"),
            max: bound("maximum", "exclusiveMaximum"),
            multiple: number("multipleOf").filter(|m| *m > 0.0),
        }
    }

    fn accepts(&self, x: f64) -> bool {
        if !x.is_finite() || (self.integer && (x.fract() != 0.0 || x.abs() > MAX_SAFE)) {
            return false;
        }
        let above = match self.min {
            Some((min, true)) => x > min,
            Some((min, false)) => x >= min,
            None => true,
        };
        let below = match self.max {
            Some((max, true)) => x < max,
            Some((max, false)) => x <= max,
            None => true,
        };
        let multiple = self.multiple.is_none_or(|m| {
            let q = x / m;
            q.is_finite() && (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
        });
        above && below && multiple
    }

    /// `target` if allowed, else the nearest simple value that is.
    fn pick(&self, target: f64) -> Option<f64> {
        let up = |x: f64| self.multiple.map_or(x, |m| (x / m).ceil() * m);
        let down = |x: f64| self.multiple.map_or(x, |m| (x / m).floor() * m);
        let step = self.multiple.unwrap_or(1.0);
        let mut candidates = vec![target, up(target)];
        let low = self
            .min
            .map(|(min, exclusive)| match (self.integer, exclusive) {
                (true, true) => min.floor() + 1.0,
                (true, false) => min.ceil(),
                (false, true) => min + 1.0,
                (false, false) => min,
            });
        let high = self
            .max
            .map(|(max, exclusive)| match (self.integer, exclusive) {
                (true, true) => max.ceil() - 1.0,
                (true, false) => max.floor(),
                (false, true) => max - 1.0,
                (false, false) => max,
            });
        if let Some(low) = low {
            candidates.extend([low, up(low), up(low) + step]);
        }
        if let Some(high) = high {
            candidates.extend([high, down(high), down(high) - step]);
        }
        if let (Some((min, _)), Some((max, _))) = (self.min, self.max) {
            let mid = min / 2.0 + max / 2.0;
            candidates.extend([mid, mid.floor(), mid.ceil(), up(mid), down(mid)]);
        }
        candidates.push(0.0);
        candidates.into_iter().find(|x| self.accepts(*x))
    }
}

/// `x` as JSON: an integer when it is one.
fn number_value(x: f64, integer: bool) -> Option<Value> {
    if (integer || x.fract() == 0.0) && x.abs() <= MAX_SAFE {
        Some(Value::from(x as i64))
    } else {
        Number::from_f64(x).map(Value::Number)
    }
}

#[cfg(test)]
mod tests;
