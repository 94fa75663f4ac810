//! Function tools: the seam for tools written in Rust (or run as commands by the CLI).

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use crate::retry::BoxFuture;

/// Why a tool call failed. The model is told (`An error occurred while running
/// the tool. Please try again. Error: ...`) and the run goes on, as in the Agents SDK.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    /// What went wrong, in words the model can act on.
    pub message: String,
}

impl ToolError {
    /// A tool error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl From<String> for ToolError {
    fn from(message: String) -> Self {
        Self { message }
    }
}

impl From<&str> for ToolError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

impl From<serde_json::Error> for ToolError {
    fn from(error: serde_json::Error) -> Self {
        Self::new(format!("invalid arguments: {error}"))
    }
}

/// A function the model may call. The runner has already checked that the
/// arguments are valid JSON when `call` runs.
pub trait Tool: Send + Sync {
    /// The name the model calls it by.
    fn name(&self) -> &str;
    /// What it does, for the model.
    fn description(&self) -> &str;
    /// JSON Schema of the arguments object.
    fn parameters(&self) -> Value;
    /// Whether the schema is strict (`"strict": true`, the SDK's default).
    fn strict(&self) -> bool {
        true
    }
    /// Runs the tool on the JSON arguments; the text is what the model sees.
    fn call<'a>(&'a self, arguments: &'a str) -> BoxFuture<'a, Result<String, ToolError>>;
}

/// The chat-completions definition of a tool.
pub(crate) fn definition(name: &str, description: &str, parameters: Value, strict: bool) -> Value {
    serde_json::json!({
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": parameters,
            "strict": strict,
        }
    })
}

type Handler = dyn Fn(Value) -> BoxFuture<'static, Result<String, ToolError>> + Send + Sync;

/// A [`Tool`] from a closure over the parsed JSON arguments.
///
/// ```
/// use respan_runtime::FunctionTool;
/// use serde_json::json;
///
/// let weather = FunctionTool::new(
///     "get_weather",
///     "Get the current weather for a city.",
///     json!({
///         "type": "object",
///         "properties": {"city": {"type": "string"}},
///         "required": ["city"],
///         "additionalProperties": false
///     }),
///     |args| async move {
///         let city = args["city"].as_str().unwrap_or("somewhere");
///         Ok(format!("Sunny in {city}"))
///     },
/// );
/// # let _ = weather;
/// ```
#[derive(Clone)]
pub struct FunctionTool {
    name: String,
    description: String,
    parameters: Value,
    strict: bool,
    handler: Arc<Handler>,
}

impl FunctionTool {
    /// A strict tool from an async closure.
    pub fn new<F, Fut>(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: F,
    ) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, ToolError>> + Send + 'static,
    {
        Self {
            name: name.into(),
            description: description.into(),
            parameters,
            strict: true,
            handler: Arc::new(move |args| Box::pin(handler(args))),
        }
    }

    /// A strict tool from a synchronous closure.
    pub fn sync<F>(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: F,
    ) -> Self
    where
        F: Fn(Value) -> Result<String, ToolError> + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        Self::new(name, description, parameters, move |args| {
            let handler = handler.clone();
            async move { handler(args) }
        })
    }

    /// Sets `strict` (default true).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }
}

impl std::fmt::Debug for FunctionTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionTool")
            .field("name", &self.name)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl Tool for FunctionTool {
    fn name(&self) -> &str {
        &self.name
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn parameters(&self) -> Value {
        self.parameters.clone()
    }
    fn strict(&self) -> bool {
        self.strict
    }
    fn call<'a>(&'a self, arguments: &'a str) -> BoxFuture<'a, Result<String, ToolError>> {
        match serde_json::from_str::<Value>(arguments) {
            Ok(args) => (self.handler)(args),
            Err(e) => Box::pin(async move { Err(ToolError::from(e)) }),
        }
    }
}
