//! Placeholder until the schema-aligned parser lands (same signature).

use serde_json::Value;

/// Recovers the JSON value a model meant, aligned with `schema`.
pub fn parse_structured(raw: &str, _schema: &Value) -> Result<Value, StructuredError> {
    serde_json::from_str(raw).map_err(|e| StructuredError {
        raw: raw.to_string(),
        reason: e.to_string(),
    })
}

/// Why a model's answer is not a value of the output schema: carries the raw text.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct StructuredError {
    /// The model's text.
    pub raw: String,
    /// What was wrong.
    pub reason: String,
}
