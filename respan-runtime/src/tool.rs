//! Function tools: the seam for tools written in Rust (by hand, or with
//! `#[respan_tool]`), or run as commands by the CLI.
//!
//! A tool may read the run's context (`C`, the application's state: a database
//! pool, a client, a user id): the runner hands every tool call a `&C`, the value
//! given to [`Runner::run_with`](crate::Runner::run_with). Tools that do not read
//! it work in runs of any context.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::retry::BoxFuture;

/// How long a tool may run before the model is told it timed out, unless the
/// tool sets its own ([`FunctionTool::timeout`]).
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(60);

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

/// A function the model may call, in runs whose context is `C`. The runner has
/// already checked that the arguments are valid JSON when `call` runs.
pub trait Tool<C = ()>: Send + Sync {
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
    /// How long one call may take ([`DEFAULT_TOOL_TIMEOUT`] unless set).
    fn timeout(&self) -> Duration {
        DEFAULT_TOOL_TIMEOUT
    }
    /// Checks done once, before a run's first request (e.g. that a schema
    /// declared in a workflow file agrees with the Rust function's): an error
    /// here fails the run with [`Error::AgentSet`](crate::Error::AgentSet).
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
    /// Whether this call waits for a person's approval before it runs (the
    /// Agents SDK's `needs_approval`; default: never). `arguments` is the call's
    /// JSON arguments object. When it does, the run stops with the call pending
    /// (see [`Runner::run_resumable`](crate::Runner::run_resumable)) instead of
    /// running it.
    fn needs_approval(&self, context: &C, arguments: &Value) -> bool {
        let _ = (context, arguments);
        false
    }
    /// Runs the tool on the JSON arguments; the text is what the model sees.
    fn call<'a>(
        &'a self,
        context: &'a C,
        arguments: &'a str,
    ) -> BoxFuture<'a, Result<String, ToolError>>;
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

/// The call of a tool over its context and raw JSON arguments, as generated
/// code writes it (a plain `fn`, so no allocation per tool).
pub type ToolHandler<C> = for<'a> fn(&'a C, &'a str) -> BoxFuture<'a, Result<String, ToolError>>;

type Closure<C> =
    dyn for<'a> Fn(&'a C, &'a str) -> BoxFuture<'a, Result<String, ToolError>> + Send + Sync;

/// Makes a closure's signature generic over the lifetime of its arguments.
fn higher_ranked<C, F>(f: F) -> F
where
    F: for<'a> Fn(&'a C, &'a str) -> BoxFuture<'a, Result<String, ToolError>>,
{
    f
}

/// A [`Tool`] from a function or closure. `#[respan_tool]` functions become one
/// through [`ToolFn::tool`].
///
/// ```
/// use respan_runtime::FunctionTool;
/// use serde_json::json;
///
/// let weather: FunctionTool = FunctionTool::new(
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
pub struct FunctionTool<C = ()> {
    name: String,
    description: String,
    parameters: Value,
    strict: bool,
    timeout: Duration,
    /// A schema a workflow file declares for this tool, and where: checked
    /// against `parameters` before the first request.
    declared: Option<(Value, String)>,
    approval: Approval<C>,
    handler: Arc<Closure<C>>,
}

/// Decides from the context and the JSON arguments whether a call waits for approval.
type ApprovalPredicate<C> = dyn Fn(&C, &Value) -> bool + Send + Sync;

/// When a [`FunctionTool`]'s calls wait for approval.
enum Approval<C> {
    Never,
    Always,
    When(Arc<ApprovalPredicate<C>>),
}

impl<C> Clone for Approval<C> {
    fn clone(&self) -> Self {
        match self {
            Approval::Never => Approval::Never,
            Approval::Always => Approval::Always,
            Approval::When(predicate) => Approval::When(predicate.clone()),
        }
    }
}

impl<C> std::fmt::Debug for Approval<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Approval::Never => "never",
            Approval::Always => "always",
            Approval::When(_) => "when(..)",
        })
    }
}

impl<C> Clone for FunctionTool<C> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            description: self.description.clone(),
            parameters: self.parameters.clone(),
            strict: self.strict,
            timeout: self.timeout,
            declared: self.declared.clone(),
            approval: self.approval.clone(),
            handler: self.handler.clone(),
        }
    }
}

impl<C: 'static> FunctionTool<C> {
    /// A strict tool from an async closure over the JSON arguments (it does not
    /// read the run's context, so it works in runs of any context).
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
        Self::with_context(name, description, parameters, move |_: &C, args| {
            handler(args)
        })
    }

    /// A strict tool from a synchronous closure over the JSON arguments.
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

    /// A strict tool from an async closure that reads the run's context: take
    /// what the call needs from `&C` (clone an `Arc`, copy an id), then return
    /// the future.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use respan_runtime::FunctionTool;
    ///
    /// struct Shop { stock: Arc<Vec<String>> }
    ///
    /// let list = FunctionTool::with_context(
    ///     "list_stock",
    ///     "Lists what is in stock.",
    ///     serde_json::json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
    ///     |shop: &Shop, _args| {
    ///         let stock = shop.stock.clone();
    ///         async move { Ok(stock.join(", ")) }
    ///     },
    /// );
    /// # let _: FunctionTool<Shop> = list;
    /// ```
    pub fn with_context<F, Fut>(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: F,
    ) -> Self
    where
        F: Fn(&C, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, ToolError>> + Send + 'static,
    {
        let handler =
            higher_ranked(move |context: &C, arguments: &str| {
                match serde_json::from_str::<Value>(arguments) {
                    Ok(args) => Box::pin(handler(context, args)) as BoxFuture<'_, _>,
                    Err(e) => Box::pin(std::future::ready(Err(ToolError::from(e)))),
                }
            });
        Self::build(
            name.into(),
            description.into(),
            parameters,
            Arc::new(handler),
        )
    }

    /// A strict tool from a plain function over the context and the raw JSON
    /// arguments: what `#[respan_tool]` generates (the function deserializes
    /// the arguments itself, into its own types).
    pub fn from_handler(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: ToolHandler<C>,
    ) -> Self {
        Self::build(
            name.into(),
            description.into(),
            parameters,
            Arc::new(handler),
        )
    }

    fn build(
        name: String,
        description: String,
        parameters: Value,
        handler: Arc<Closure<C>>,
    ) -> Self {
        Self {
            name,
            description,
            parameters,
            strict: true,
            timeout: DEFAULT_TOOL_TIMEOUT,
            declared: None,
            approval: Approval::Never,
            handler,
        }
    }
}

impl<C> FunctionTool<C> {
    /// Sets `strict` (default true).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The name the model calls it by (e.g. a workflow file's `[tools.<name>]`
    /// bound to a function of another name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// What the model is told the tool does (overrides the doc comment of a
    /// `#[respan_tool]` function).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// How long one call may take (default [`DEFAULT_TOOL_TIMEOUT`]); past it the
    /// call is dropped and the model is told it timed out.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether every call waits for a person's approval before it runs (the
    /// Agents SDK's `needs_approval=True`; default false). A run that meets such
    /// a call stops with it pending: see
    /// [`Runner::run_resumable`](crate::Runner::run_resumable).
    ///
    /// ```
    /// use respan_runtime::{FunctionTool, Tool};
    /// let refund: FunctionTool = FunctionTool::sync(
    ///     "refund",
    ///     "Refunds an order.",
    ///     serde_json::json!({"type": "object", "properties": {"order_id": {"type": "string"}},
    ///                        "required": ["order_id"], "additionalProperties": false}),
    ///     |args| Ok(format!("refunded {}", args["order_id"])),
    /// )
    /// .needs_approval(true);
    /// // The builder method shadows the trait's question: ask it through `Tool`.
    /// assert!(Tool::needs_approval(&refund, &(), &serde_json::json!({"order_id": "42"})));
    /// ```
    pub fn needs_approval(mut self, needs_approval: bool) -> Self {
        self.approval = if needs_approval {
            Approval::Always
        } else {
            Approval::Never
        };
        self
    }

    /// Calls wait for approval when `predicate` says so, given the run's
    /// context and the call's JSON arguments (the SDK's `needs_approval` as a
    /// function; synchronous here: decide from the arguments and the context,
    /// do not do I/O).
    ///
    /// ```
    /// use respan_runtime::{FunctionTool, Tool};
    /// let refund: FunctionTool = FunctionTool::sync(
    ///     "refund",
    ///     "Refunds an amount.",
    ///     serde_json::json!({"type": "object", "properties": {"cents": {"type": "integer"}},
    ///                        "required": ["cents"], "additionalProperties": false}),
    ///     |args| Ok(format!("refunded {}", args["cents"])),
    /// )
    /// .needs_approval_when(|_, args| args["cents"].as_u64().is_none_or(|cents| cents > 10_000));
    /// assert!(!Tool::needs_approval(&refund, &(), &serde_json::json!({"cents": 500})));
    /// assert!(Tool::needs_approval(&refund, &(), &serde_json::json!({"cents": 50_000})));
    /// ```
    pub fn needs_approval_when(
        mut self,
        predicate: impl Fn(&C, &Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.approval = Approval::When(Arc::new(predicate));
        self
    }

    /// A JSON Schema the tool is declared with elsewhere (a workflow file's
    /// `parameters`), and where (`"workflows/shop.toml:12"`): before the first
    /// request, the run checks that it is the tool's own schema, and fails with
    /// an error naming `origin` when it is not. Compared after both are put in
    /// the strict form, ignoring `title` and `description`.
    pub fn declared_parameters(mut self, schema: Value, origin: impl Into<String>) -> Self {
        self.declared = Some((schema, origin.into()));
        self
    }
}

impl<C> std::fmt::Debug for FunctionTool<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionTool")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("timeout", &self.timeout)
            .field("needs_approval", &self.approval)
            .finish_non_exhaustive()
    }
}

impl<C: Send + Sync> Tool<C> for FunctionTool<C> {
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
    fn timeout(&self) -> Duration {
        self.timeout
    }
    fn validate(&self) -> Result<(), String> {
        let Some((declared, origin)) = &self.declared else {
            return Ok(());
        };
        crate::schema::same_schema(declared, &self.parameters).map_err(|difference| {
            format!(
                "the parameters {origin} declares for tool `{}` differ from its Rust \
                 function's ({difference}); remove `parameters` from the file (the \
                 function's schema is used) or make them agree",
                self.name
            )
        })
    }
    fn needs_approval(&self, context: &C, arguments: &Value) -> bool {
        match &self.approval {
            Approval::Never => false,
            Approval::Always => true,
            Approval::When(predicate) => predicate(context, arguments),
        }
    }
    fn call<'a>(
        &'a self,
        context: &'a C,
        arguments: &'a str,
    ) -> BoxFuture<'a, Result<String, ToolError>> {
        (self.handler)(context, arguments)
    }
}

/// A tool that reads no context, in a run that has one (what
/// [`Agent::context`](crate::Agent::context) wraps the agent's tools in).
pub(crate) struct Contextless<C> {
    tool: Arc<dyn Tool<()>>,
    context: std::marker::PhantomData<fn(&C)>,
}

impl<C> Contextless<C> {
    pub(crate) fn new(tool: Arc<dyn Tool<()>>) -> Self {
        Self {
            tool,
            context: std::marker::PhantomData,
        }
    }
}

impl<C> Tool<C> for Contextless<C> {
    fn name(&self) -> &str {
        self.tool.name()
    }
    fn description(&self) -> &str {
        self.tool.description()
    }
    fn parameters(&self) -> Value {
        self.tool.parameters()
    }
    fn strict(&self) -> bool {
        self.tool.strict()
    }
    fn timeout(&self) -> Duration {
        self.tool.timeout()
    }
    fn validate(&self) -> Result<(), String> {
        self.tool.validate()
    }
    fn needs_approval(&self, _context: &C, arguments: &Value) -> bool {
        self.tool.needs_approval(&(), arguments)
    }
    fn call<'a>(
        &'a self,
        _context: &'a C,
        arguments: &'a str,
    ) -> BoxFuture<'a, Result<String, ToolError>> {
        self.tool.call(&(), arguments)
    }
}

/// A function marked `#[respan_tool]`: the attribute implements this on a
/// companion type of the same name as the function, so that a workflow file's
/// `[tools.<name>]` and `#[respan_agent(tools = [name])]` find the tool by
/// the function's path.
///
/// A tool that takes `&Ctx` implements `ToolFn<Ctx>` only: using it in a run of
/// another context does not compile. A tool without a context implements
/// `ToolFn<C>` for every `C`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a respan tool for runs whose context is `{C}`",
    label = "not a `#[respan_tool]` function taking `&{C}` (or no context)",
    note = "mark the function `#[respan_tool]`; a tool whose first parameter is `&Ctx` runs only in runs whose context is `Ctx` (`run_with(.., &ctx)`)"
)]
pub trait ToolFn<C = ()> {
    /// The name the model calls it by (the function's name).
    const NAME: &'static str;
    /// The tool, described by the function's doc comment, with the JSON Schema
    /// of its parameters.
    fn tool() -> FunctionTool<C>;
}

/// The whole arguments object of a `#[respan_tool]` function as one type
/// (`T: Deserialize + JsonSchema`), instead of one parameter per argument:
///
/// ```ignore
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Search { query: String, limit: u32 }
///
/// /// Searches the catalogue.
/// #[respan::respan_tool]
/// fn search(Args(search): Args<Search>) -> Vec<String> { /* ... */ }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Args<T>(pub T);
