//! Checking a JSON value against the subset of JSON Schema that OpenAI's strict
//! structured outputs use: `type` (one name or a list, so `["string", "null"]` is
//! a nullable string), `properties`, `required`, `additionalProperties`, `items`,
//! `enum`, `const`, `anyOf` (and `oneOf`, `allOf`), and `$ref` to the root
//! (`#`) or into it (`#/$defs/...`, `#/definitions/...`). Other keywords
//! (`pattern`, `format`, `minimum`, ...) are not checked.
//!
//! The walk is bounded: a `$ref` followed again without moving into a child
//! value is a cycle, which fits nothing; the depth is at most [`MAX_DEPTH`] (a
//! deep answer is an error, never a stack overflow); and the steps are counted
//! (the checker's fuel, so `anyOf` branches retried under recursive `$ref`s
//! cannot take exponential time). A quiet check (the fast path) allocates
//! nothing: the path of a failure and its message are built only when explaining.

use std::fmt;

use serde_json::{Map, Value};

/// Deepest walk, counting values, `$ref`s and `anyOf` branches: far beyond the
/// 10 levels of nesting OpenAI strict mode allows, and under 1 MiB of stack even
/// in a debug build (measured: about 2.7 KiB a step through `anyOf`, and the
/// deepest tests pass on a 1 MiB thread, coercion included).
pub(super) const MAX_DEPTH: usize = 128;

/// Where a value is in the answer: rendered as a JSON path (`$.items[2].price`)
/// only when a failure is explained.
#[derive(Clone, Copy)]
pub(super) enum Path<'a> {
    /// The whole answer, `$`.
    Root,
    /// A property of an object.
    Key(&'a Path<'a>, &'a str),
    /// An item of an array.
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(parent, key) => {
                write!(f, "{parent}")?;
                let mut chars = key.chars();
                let identifier = chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
                if identifier {
                    write!(f, ".{key}")
                } else {
                    // A JSON string literal: quotes and escapes as in the answer.
                    write!(f, "[{}]", Value::from(*key))
                }
            }
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// Where the walk is in the schema: how deep, and which `$ref` targets it
/// followed since it last moved into a child value.
#[derive(Clone, Copy)]
pub(super) struct At<'a, 's> {
    depth: usize,
    refs: Option<&'a Refs<'a, 's>>,
}

/// A `$ref` target followed, and the ones followed before it (on the stack).
pub(super) struct Refs<'a, 's> {
    target: &'s Value,
    outer: Option<&'a Refs<'a, 's>>,
}

impl<'a, 's> At<'a, 's> {
    /// The root of the answer and of the schema.
    pub(super) const ROOT: Self = At {
        depth: 0,
        refs: None,
    };

    /// Into a child value (a property or an item): no `$ref` followed there yet.
    pub(super) fn child(self) -> Self {
        At {
            depth: self.depth + 1,
            refs: None,
        }
    }

    /// Into another schema for the same value (an `anyOf` or `allOf` branch).
    pub(super) fn branch(self) -> Self {
        At {
            depth: self.depth + 1,
            ..self
        }
    }

    /// Whether `target` was followed already for this value: a cycle.
    pub(super) fn cycles_to(self, target: &Value) -> bool {
        let mut refs = self.refs;
        while let Some(link) = refs {
            if std::ptr::eq(link.target, target) {
                return true;
            }
            refs = link.outer;
        }
        false
    }

    /// The link to push when following `target` from here.
    pub(super) fn follow(self, target: &'s Value) -> Refs<'a, 's> {
        Refs {
            target,
            outer: self.refs,
        }
    }

    /// Past `link` (made by [`At::follow`]).
    pub(super) fn past<'b>(self, link: &'b Refs<'b, 's>) -> At<'b, 's>
    where
        'a: 'b,
    {
        At {
            depth: self.depth + 1,
            refs: Some(link),
        }
    }
}

/// Why a value does not fit: where, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Mismatch {
    /// JSON path of the offending value, e.g. `$.items[2].price`.
    pub(super) path: String,
    /// What is wrong there.
    pub(super) message: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.path, self.message)
    }
}

/// `Err(None)`: does not fit, unexplained (a quiet check, or out of fuel).
pub(super) type Checked = Result<(), Option<Mismatch>>;

/// Walks values against one root schema, within a budget of steps.
pub(super) struct Checker<'s> {
    /// The root schema, against which `$ref`s resolve.
    pub(super) root: &'s Value,
    /// Steps left.
    fuel: usize,
    /// Whether the fuel ran out: then "does not fit" means "could not tell".
    pub(super) exhausted: bool,
    /// Whether failures carry a [`Mismatch`] (allocates) or not.
    explain: bool,
}

impl<'s> Checker<'s> {
    /// A quiet checker (failures unexplained, no allocation) with `fuel` steps.
    pub(super) fn new(root: &'s Value, fuel: usize) -> Self {
        Checker {
            root,
            fuel,
            exhausted: false,
            explain: false,
        }
    }

    /// The same, with failures explained (path and message).
    pub(super) fn explaining(root: &'s Value, fuel: usize) -> Self {
        Checker {
            explain: true,
            ..Checker::new(root, fuel)
        }
    }

    /// Whether `value` is a value of the root schema.
    pub(super) fn check(&mut self, value: &Value) -> Checked {
        self.value(value, self.root, &Path::Root, At::ROOT)
    }

    /// Whether `value` is a value of `schema` (a part of the root schema),
    /// without explaining: used to pick `anyOf` branches.
    pub(super) fn fits(&mut self, value: &Value, schema: &'s Value, at: At<'_, 's>) -> bool {
        let explain = std::mem::replace(&mut self.explain, false);
        let fits = self.value(value, schema, &Path::Root, at).is_ok();
        self.explain = explain;
        fits
    }

    /// Spends one step `at`: false when out of fuel or too deep.
    pub(super) fn spend(&mut self, at: At<'_, 's>) -> bool {
        if self.fuel == 0 {
            self.exhausted = true;
            return false;
        }
        self.fuel -= 1;
        at.depth <= MAX_DEPTH
    }

    fn fail(&self, path: &Path<'_>, message: impl FnOnce() -> String) -> Checked {
        if self.explain && !self.exhausted {
            Err(Some(Mismatch {
                path: path.to_string(),
                message: message(),
            }))
        } else {
            Err(None)
        }
    }

    fn value(
        &mut self,
        value: &Value,
        schema: &'s Value,
        path: &Path<'_>,
        at: At<'_, 's>,
    ) -> Checked {
        if !self.spend(at) {
            return self.fail(path, || {
                format!("the answer and the schema nest deeper than {MAX_DEPTH} levels here")
            });
        }
        let schema = match schema {
            Value::Object(schema) => schema,
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => {
                return self.fail(path, || "the schema allows no value here (`false`)".into());
            }
            _ => {
                return self.fail(path, || {
                    "the output schema is invalid here: a schema is an object or a boolean".into()
                });
            }
        };
        if let Some(reference) = schema.get("$ref") {
            match resolve(self.root, reference) {
                Ok(target) if at.cycles_to(target) => {
                    return self.fail(path, || {
                        format!(
                            "the output schema's `$ref` {reference} leads back to itself \
                             (a `$ref` cycle) without describing a value"
                        )
                    });
                }
                Ok(target) => {
                    let link = at.follow(target);
                    self.value(value, target, path, at.past(&link))?;
                }
                Err(why) => return self.fail(path, || why),
            }
        }
        if let Some(types) = schema.get("type")
            && !type_names(types).any(|name| is_type(value, name))
        {
            return self.fail(path, || {
                let names: Vec<&str> = type_names(types).collect();
                if names.is_empty() {
                    return "the output schema's `type` is not a type name or a list of them"
                        .into();
                }
                format!("expected {}, found {}", names.join(" or "), describe(value))
            });
        }
        if let Some(Value::Array(members)) = schema.get("enum")
            && !members.contains(value)
        {
            return self.fail(path, || {
                let members: Vec<String> = members.iter().map(Value::to_string).collect();
                format!(
                    "expected one of {}, found {}",
                    crate::text::truncate(&members.join(", "), 160),
                    describe(value)
                )
            });
        }
        if let Some(constant) = schema.get("const")
            && constant != value
        {
            return self.fail(path, || {
                format!(
                    "expected {}, found {}",
                    crate::text::truncate(&constant.to_string(), 80),
                    describe(value)
                )
            });
        }
        match value {
            Value::Object(map) => self.object(map, schema, path, at)?,
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items")
                    && !item_schema.is_array()
                {
                    for (index, item) in items.iter().enumerate() {
                        self.value(item, item_schema, &Path::Index(path, index), at.child())?;
                    }
                }
            }
            _ => {}
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = schema.get(keyword) {
                self.any_of(value, keyword, branches, path, at)?;
            }
        }
        if let Some(Value::Array(branches)) = schema.get("allOf") {
            for branch in branches {
                self.value(value, branch, path, at.branch())?;
            }
        }
        Ok(())
    }

    fn object(
        &mut self,
        map: &Map<String, Value>,
        schema: &'s Map<String, Value>,
        path: &Path<'_>,
        at: At<'_, 's>,
    ) -> Checked {
        let properties = schema.get("properties").and_then(Value::as_object);
        // Required and closed first: a wrong `anyOf` branch fails before recursing.
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    return self.fail(path, || format!("missing required property `{name}`"));
                }
            }
        }
        let additional = schema.get("additionalProperties");
        if let Some(Value::Bool(false)) = additional {
            for key in map.keys() {
                if !properties.is_some_and(|properties| properties.contains_key(key)) {
                    return self.fail(&Path::Key(path, key), || {
                        "this property is not in the schema (additionalProperties is false)".into()
                    });
                }
            }
        }
        for (key, item) in map {
            let property = properties.and_then(|properties| properties.get(key));
            let item_schema = match (property, additional) {
                (Some(property), _) => property,
                (None, Some(additional @ Value::Object(_))) => additional,
                _ => continue,
            };
            self.value(item, item_schema, &Path::Key(path, key), at.child())?;
        }
        Ok(())
    }

    fn any_of(
        &mut self,
        value: &Value,
        keyword: &str,
        branches: &'s [Value],
        path: &Path<'_>,
        at: At<'_, 's>,
    ) -> Checked {
        if branches
            .iter()
            .any(|branch| self.fits(value, branch, at.branch()))
        {
            return Ok(());
        }
        if !self.explain || self.exhausted {
            return Err(None);
        }
        // Explain the branch meant for this kind of value (the first whose
        // `type` admits it), else the first. A problem inside the value is said
        // where it is; one with the value itself, here.
        let closest = branches
            .iter()
            .find(|branch| self.admits_type(branch, value))
            .or_else(|| branches.first());
        let detail = match closest.map(|branch| self.value(value, branch, path, at.branch())) {
            Some(Err(Some(mismatch))) if mismatch.path != path.to_string() => {
                return Err(Some(mismatch));
            }
            Some(Err(Some(mismatch))) => format!(" ({})", mismatch.message),
            _ => String::new(),
        };
        self.fail(path, || {
            format!(
                "{} matches none of the {} `{keyword}` alternatives{detail}",
                describe(value),
                branches.len()
            )
        })
    }

    /// Whether `branch` (through one `$ref`) declares a `type` that admits `value`'s.
    fn admits_type(&self, branch: &'s Value, value: &Value) -> bool {
        let branch = match branch.get("$ref") {
            Some(reference) => match resolve(self.root, reference) {
                Ok(target) => target,
                Err(_) => return false,
            },
            None => branch,
        };
        let Some(types) = branch.get("type") else {
            return false;
        };
        type_names(types)
            .any(|name| is_type(value, name) || (name == "integer" && value.is_number()))
    }
}

/// The schema a local `$ref` points to: `#`, or a JSON pointer into the root
/// (`#/$defs/Item`, `#/definitions/Item`).
pub(super) fn resolve<'s>(root: &'s Value, reference: &Value) -> Result<&'s Value, String> {
    let Some(reference) = reference.as_str() else {
        return Err("the output schema has a `$ref` that is not a string".into());
    };
    let target = match reference.strip_prefix('#') {
        Some("") => Some(root),
        Some(pointer) if pointer.starts_with('/') => root.pointer(pointer),
        _ => {
            return Err(format!(
                "the output schema's `$ref` \"{reference}\" is not local: only `#`, \
                 `#/$defs/...` and `#/definitions/...` are supported"
            ));
        }
    };
    target.ok_or_else(|| {
        format!("the output schema's `$ref` \"{reference}\" points to nothing in the schema")
    })
}

/// The type names of a `type` keyword: one name, or the names in a list.
pub(super) fn type_names(types: &Value) -> impl Iterator<Item = &str> + Clone {
    let list = match types {
        Value::Array(list) => list.as_slice(),
        one => std::slice::from_ref(one),
    };
    list.iter().filter_map(Value::as_str)
}

/// Whether `value` is of the JSON Schema type `name`. `integer` is strict: `1.0`
/// is not one (the coercion turns it into `1`, so it deserializes into an `i64`).
pub(super) fn is_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

/// A short description of a value for a message: its type, and itself if a scalar.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_f64() => format!("number {n}"),
        Value::Number(n) => format!("integer {n}"),
        Value::String(_) => format!("string {}", crate::text::truncate(&value.to_string(), 60)),
        Value::Array(items) => format!("an array of {} item(s)", items.len()),
        Value::Object(_) => "an object".into(),
    }
}
