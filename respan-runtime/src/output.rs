//! Structured output: an agent whose final answer is a JSON value of a schema,
//! sent as the strict `json_schema` response format (the SDK's `output_type`).

use std::fmt::Debug;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::schema::{schema_for, strict_schema};

/// Whether a value deserializes into the output's Rust type.
type Check = fn(&Value) -> Result<(), String>;

/// What an agent's final answer must be: a JSON value of `schema`.
///
/// ```
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Invoice { id: String, amount_cents: u64 }
///
/// let output = respan_runtime::OutputType::of::<Invoice>();
/// assert_eq!(output.name(), "final_output"); // the Agents SDK's name
/// assert_eq!(output.schema()["required"], serde_json::json!(["id", "amount_cents"]));
/// ```
#[derive(Clone)]
pub struct OutputType {
    name: String,
    schema: Value,
    /// Whether a recovered value deserializes into the Rust type (none for a bare schema).
    check: Option<Check>,
}

impl OutputType {
    /// The output of a Rust type: its strict schema (schemars); the run checks
    /// that the answer deserializes into `T`.
    pub fn of<T: JsonSchema + DeserializeOwned>() -> Self {
        Self {
            name: DEFAULT_NAME.into(),
            schema: schema_for::<T>(),
            check: Some(|value| {
                T::deserialize(value)
                    .map(drop)
                    .map_err(|error| error.to_string())
            }),
        }
    }

    /// An output given as a JSON Schema (put in the strict form); the final
    /// output is then a `serde_json::Value` of it.
    pub fn from_schema(schema: Value) -> Self {
        Self {
            name: DEFAULT_NAME.into(),
            schema: strict_schema(schema),
            check: None,
        }
    }

    /// Names the response format (default `final_output`, as the Agents SDK);
    /// characters outside `[a-zA-Z0-9_-]` become `_`.
    pub fn named(mut self, name: &str) -> Self {
        self.name = response_format_name(name);
        self
    }

    /// The response format's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The strict JSON Schema (the struct form's `schema` field is this too).
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// The `response_format` sent with every request of the agent.
    pub(crate) fn response_format(&self) -> Value {
        serde_json::json!({
            "type": "json_schema",
            "json_schema": {
                "name": self.name,
                "schema": self.schema,
                "strict": true,
            }
        })
    }

    /// The value the model meant (fences stripped, scalars coerced to the
    /// schema), checked against the Rust type when there is one.
    pub(crate) fn recover(&self, raw: &str) -> Result<Value, crate::StructuredError> {
        let value = crate::structured::parse_structured(raw, &self.schema)?;
        if let Some(check) = self.check {
            check(&value).map_err(|reason| crate::StructuredError {
                raw: raw.to_string(),
                reason,
            })?;
        }
        Ok(value)
    }
}

impl Debug for OutputType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputType")
            .field("name", &self.name)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// The response format's name the Agents SDK sends.
const DEFAULT_NAME: &str = "final_output";

fn response_format_name(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        DEFAULT_NAME.into()
    } else {
        name
    }
}
