//! # respan
//!
//! Typed, compile-time-checked LLM agent workflows for Rust, run against the
//! [Respan gateway](https://respan.ai) (an OpenAI-compatible LLM gateway).
//!
//! This facade crate is what applications depend on: it re-exports the runtime
//! (agents, runner, gateway client) and the compile-time front doors:
//!
//! - [`workflow!`]`("workflows/support.toml")`: a TOML workflow becomes a typed
//!   module at compile time (like sqlx's `query!` or askama's templates);
//! - `build.rs` with `respan_codegen::Builder` and [`include_workflows!`]`()`
//!   (like prost-build);
//! - [`respan_agent`]: an agent declared on a Rust struct, whose handoffs and
//!   tools are Rust paths.
//!
//! All three run the same checker, so a mistake gets the same diagnostic (with
//! `file:line:column` and a fix) from the compiler as from `respan check`.
//!
//! ## Features
//!
//! Only `tls-aws-lc` is on by default: a production build holds the runtime and
//! its HTTPS, no development gateway.
//!
//! - `tls-aws-lc` (default): HTTPS with rustls and the aws-lc-rs crypto provider,
//!   which offers X25519MLKEM768 (hybrid post-quantum key exchange). Its C build
//!   (aws-lc-sys) is the largest unit of a clean build.
//! - `tls-ring`: rustls with the ring provider instead (classical key exchange:
//!   X25519, P-256, P-384), a much faster clean build:
//!   `respan = { version = "0.1", default-features = false, features = ["tls-ring"] }`.
//!   With both features aws-lc-rs is used. With neither, the gateway speaks plain
//!   HTTP only and building one for an `https://` URL fails naming these features.
//!   [`TLS_PROVIDER`] says which provider the build uses; either way the provider
//!   is given to respan's HTTP clients only, never installed process-wide, and
//!   certificates are checked against the platform's roots (plus
//!   [`GatewayBuilder::add_root_certificate`]).
//! - `offline`: `OfflineGateway` and `Gateway::from_env_or_offline()` (a method
//!   of the `OfflineExt` trait: `use respan::OfflineExt as _;`), a deterministic
//!   OpenAI-compatible gateway on 127.0.0.1 for running without a key (examples,
//!   demos, `respan run --offline`), and `expect`, what a workflow's `[[tests]]`
//!   check. A development tool, from the crate `respan-offline`: the runtime
//!   sends it the same requests as any gateway and does not know it exists.
//! - `testing`: `testing::FakeGateway` (also from `respan-offline`), a scripted
//!   gateway for your tests.
//! - `sqlite`: `SqliteSession`, conversation memory in a SQLite database file
//!   (rusqlite with the SQLite it bundles). [`MemorySession`] needs no feature.

//! - `otel`: [`tracing::init_from_env`] exports the spans of runs over OTLP/HTTP
//!   JSON to Respan or any OpenTelemetry collector (`RESPAN_TRACING=1`).

pub use respan_runtime::*;

#[cfg(feature = "testing")]
pub use respan_offline::testing;
/// The development gateways (crate `respan-offline`).
#[cfg(feature = "offline")]
pub use respan_offline::{OfflineExt, OfflineGateway, expect};

/// Generated `[[tests]]` run on the offline gateway: with the `offline`
/// feature this is nothing; without it, the error that says how to turn it on.
#[cfg(feature = "offline")]
#[doc(hidden)]
#[macro_export]
macro_rules! __workflow_tests_need_offline {
    ($path:literal) => {};
}

/// Generated `[[tests]]` run on the offline gateway: with the `offline`
/// feature this is nothing; without it, the error that says how to turn it on.
#[cfg(not(feature = "offline"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __workflow_tests_need_offline {
    ($path:literal) => {
        ::core::compile_error!(::core::concat!(
            "the [[tests]] of ",
            $path,
            " run on respan's offline gateway, which needs respan's `offline` feature: add it for tests in Cargo.toml, `[dev-dependencies] respan = { version = \"0.1\", features = [\"offline\"] }`"
        ));
    };
}

mod agent_def;
mod handoff_fn;
mod instructions_fn;
pub use agent_def::{AgentDef, AgentSetExt, ToAgent};

/// Tracing: every run's spans (run, agent, generation, handoff, tool) go to the
/// application's `tracing` subscriber; with the `otel` feature,
/// [`init_from_env`](tracing::init_from_env) exports them to Respan or any
/// OpenTelemetry collector when `RESPAN_TRACING=1`.
///
/// ```no_run
/// # async fn demo() -> Result<(), respan::Error> {
/// let _tracing = respan::tracing::init_from_env()?; // flushes when dropped
/// # Ok(()) }
/// ```
pub mod tracing {
    pub use respan_runtime::telemetry::*;
}

/// Declares an agent on a struct: the struct's fields are the template variables
/// of its instructions, its handoffs and tools are Rust paths.
///
/// ```
/// use respan::{AgentDef, AgentSetExt};
///
/// #[respan::respan_agent(
///     name = "Triage Agent",
///     instructions = "Route to the appropriate agent based on the question.",
///     handoffs = [Billing, Technical],
/// )]
/// struct Triage;
///
/// #[respan::respan_agent(name = "Billing Agent", instructions = "Handle billing questions.")]
/// struct Billing;
///
/// #[respan::respan_agent(
///     name = "Technical Agent",
///     model = "claude-sonnet-4-5-20250929",
///     model_settings(temperature = 0.2),
///     instructions = "Handle technical support questions for {{ product }}.",
/// )]
/// struct Technical {
///     product: String,
/// }
///
/// let agents = Triage
///     .agent_set()
///     .with(&Billing)
///     .with(&Technical { product: "Respan".into() });
/// assert_eq!(Technical::ID, "technical");
/// assert!(agents.get(&Billing::ID).is_some());
/// ```
///
/// Arguments: `name`, `instructions` (a template over the struct's fields),
/// `model`, `model_settings(temperature = .., top_p = .., max_tokens = .., ...)`,
/// `handoff_description`, `handoffs = [Type, ...]` (other `#[respan_agent]`
/// structs), `tools = [path, ...]` ([`respan_tool`] functions, offered to the
/// model), `tool_use_behavior = "run_llm_again" | "stop_on_first_tool"` or
/// `tool_use_behavior(stop_at_tools = [path, ...])`, `output = Type` (structured
/// output: a `JsonSchema + Deserialize` type, read with
/// [`RunResult::output`]), `respan(customer_identifier = .., ...)`,
/// `prompt(prompt_id = .., schema_version = .., placement = ..)`, and `id` (the
/// agent's key; default: the struct name in snake_case). Every mistake in the
/// arguments is reported in one compile.
///
/// Composing agents (repeatable, one per target):
///
/// - `agent_tool(Type, name = "..", description = "..", max_turns = N,
///   timeout_secs = S)`: another `#[respan_agent]` struct offered as a tool
///   (the SDK's `Agent.as_tool`). Agent tools come after the function tools
///   in the request; an agent that ends up calling itself through agent tools
///   of other structs is refused when the set is prepared.
/// - `handoff(Type, tool_name = "..", description = "..", input_filter =
///   "remove_all_tools" | "nest_history", input_filter_fn = path, input_type =
///   Type, on_handoff = path, is_enabled = bool, is_enabled_fn = path)`:
///   options for one of `handoffs`. `on_handoff` takes `(&C, &Input)` with
///   `input_type`, `(&C)` without; `is_enabled_fn` takes the context and the
///   agent; `input_filter_fn` takes and returns the handoff's history.
///
/// ```
/// use respan::{AgentDef, AgentSetExt, respan_agent};
///
/// #[respan_agent(
///     name = "Manager",
///     instructions = "Research, then answer.",
///     agent_tool(Researcher, name = "research", description = "Research a topic.", max_turns = 3),
///     handoffs = [Billing],
///     handoff(Billing, input_filter = "remove_all_tools"),
/// )]
/// struct Manager;
///
/// #[respan_agent(name = "Researcher", instructions = "List the facts.")]
/// struct Researcher;
///
/// #[respan_agent(name = "Billing Agent", instructions = "Handle billing.")]
/// struct Billing;
///
/// let agents = Manager.agent_set().with(&Researcher).with(&Billing);
/// let manager = agents.get(&Manager::ID).unwrap();
/// assert_eq!(manager.agent_tools().len(), 1);
/// assert!(manager.handoff_has_options(0));
/// ```
///
/// The struct implements [`AgentDef`] (its `ID` and `NAME`) and [`ToAgent<C>`]
/// for every run context `C` its tools accept: an agent whose tool takes
/// `&AppState` joins only sets run with `run_with(.., &app_state)`.
///
/// ```
/// use respan::{AgentDef, AgentSetExt, respan_agent, respan_tool};
///
/// struct Shop { open: bool }
///
/// /// Whether the shop is open.
/// #[respan_tool]
/// fn is_open(shop: &Shop) -> String {
///     if shop.open { "open".into() } else { "closed".into() }
/// }
///
/// #[respan_agent(name = "Clerk", instructions = "Answer about the shop.", tools = [is_open])]
/// struct Clerk;
///
/// let agents = Clerk.agent_set_for::<Shop>();
/// assert_eq!(agents.get(&Clerk::ID).map(|a| a.tools().len()), Some(1));
/// ```
pub use respan_macros::respan_agent;

/// Makes a function a tool the model may call: the JSON Schema of its
/// arguments comes from their types (schemars), its doc comment is the tool's
/// description and each parameter's doc comment that argument's, in the Agents
/// SDK's strict form.
///
/// ```
/// use respan::{Agent, AgentSet, Tool, ToolFn, respan_tool};
///
/// /// Get the current weather for a city.
/// #[respan_tool]
/// fn get_weather(
///     /// The city name.
///     city: String,
/// ) -> String {
///     format!("Sunny in {city}")
/// }
///
/// /// Application state the tools read: a run's context.
/// struct Shop { stock: Vec<String> }
///
/// /// Whether an item is in stock.
/// #[respan_tool(timeout_secs = 5)]
/// async fn in_stock(shop: &Shop, item: String) -> Result<bool, String> {
///     Ok(shop.stock.contains(&item))
/// }
///
/// // Still an ordinary function:
/// assert_eq!(get_weather("Paris".into()), "Sunny in Paris");
///
/// // A context-free tool fits any run; `in_stock` only runs of context `Shop`.
/// let agent = Agent::new("shop", "Shop")
///     .context::<Shop>()
///     .tool(<get_weather as ToolFn<Shop>>::tool())
///     .tool(<in_stock as ToolFn<Shop>>::tool());
/// assert_eq!(agent.tools()[1].parameters()["required"], serde_json::json!(["item"]));
/// # let _ = AgentSet::new("shop").context::<Shop>().agent(agent);
/// ```
///
/// - **Parameters**: an optional first `&Ctx` (the run's context, given to
///   `run_with(.., &ctx)`: the tool then only fits runs of that context), then
///   owned arguments (`String`, numbers, `Vec<T>`, your own
///   `Deserialize + JsonSchema` types), or one `Args(x): Args<T>` whose `T`
///   is the whole arguments object.
/// - **Returns**: `String` (sent as is), any `T: Serialize` (sent as JSON), or
///   `Result<T, E: Display>` (an `Err` is told to the model as a tool error).
/// - **Arguments** (all optional): `name = "..."` (the name the model calls
///   it by; default: the function's), `description = "..."` (default: the doc
///   comment), `timeout_secs = N` (default 60).
///
/// The attribute keeps the function as written and adds a hidden companion
/// type of the same name implementing [`ToolFn`]: that is how a workflow
/// file's `[tools.<name>]` finds it.
pub use respan_macros::respan_tool;

/// Compiles a TOML workflow file into a typed module, at compile time.
///
/// The path is relative to the package's `CARGO_MANIFEST_DIR` (like sqlx's
/// `query_file!`); when no file is there, it is looked up next to the source
/// file that invokes the macro (like `include_str!`). The file is tracked: editing
/// it rebuilds the crate. A mistake in the file is a compile error at the path,
/// with the file's own `path:line:column`, the snippet and the fix:
///
/// ```text
/// error: unknown handoff target `biling`
///         --> workflows/support.toml:13:13
///          |
///       13 | handoffs = ["biling", "technical"]
///          |             ^^^^^^^^ no agent with this id
///          |
///        help: did you mean `billing`?
///  --> src/main.rs:1:19
///   |
/// 1 | respan::workflow!("workflows/support.toml");
///   |                   ^^^^^^^^^^^^^^^^^^^^^^^^
/// ```
///
/// A `[tools.<name>]` table binds to the Rust function of that name in the module
/// that invokes `workflow!` (or to `rust = "path"`, relative to that module unless it
/// starts with `crate::`); a missing function is a compile error that names the
/// file and the line of the table (`cannot find value `lookup_invoice` in module
/// `support_toml_line_19``).
///
/// The checker's warnings (an agent no route reaches, a tool no agent uses) are
/// shown as warnings at the path (`#[allow(deprecated)]` silences them).
///
/// The module (named by `[workflow] name`, by default the file's stem) holds:
/// `Agent` (one variant per agent, `ALL`, `ENTRY`, `id()`, `name()`,
/// `handoffs()`), `<Agent>Handoff` enums of each agent's handoff targets, `Vars`
/// (one `String` per template variable) and `Workflow` (`new(vars)`,
/// `run(&gateway, input)`, `agents()`, `agents_mut()`).
///
/// `workflow!("workflows/support.toml", tests)` also turns the file's
/// `[[tests]]` into `#[test]` functions (in `support::tests`, under
/// `#[cfg(test)]`), so `cargo test` runs them on the offline gateway; they need
/// respan's `offline` feature in tests, and a workflow whose tools take no
/// context (they build it with `Workflow::new`).
///
/// ```no_run
/// respan::workflow!("workflows/support.toml");
///
/// # async fn demo() -> Result<(), respan::Error> {
/// let gateway = respan::Gateway::from_env()?;
/// let workflow = support::Workflow::new(support::Vars { product: "Respan".into() });
/// let run = workflow.run(&gateway, "I'm having trouble connecting to the API.").await?;
/// match run.last_agent {
///     support::Agent::Technical => println!("technical: {}", run.final_output),
///     support::Agent::Billing | support::Agent::Triage => println!("{}", run.final_output),
/// }
/// # Ok(()) }
/// ```
#[macro_export]
macro_rules! workflow {
    ($path:literal $(,)?) => {
        $crate::__private::workflow_impl!($path);
    };
    ($path:literal, tests $(,)?) => {
        $crate::__private::workflow_impl!($path, tests);
    };
}

/// Includes the modules that `respan_codegen::Builder` generated in `build.rs`.
///
/// `include_workflows!()` includes every workflow the builder compiled;
/// `include_workflows!("support")` includes one.
///
/// ```ignore
/// // build.rs
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     respan_codegen::Builder::new().compile_dir("workflows")?;
///     Ok(())
/// }
///
/// // src/main.rs
/// respan::include_workflows!();
/// ```
#[macro_export]
macro_rules! include_workflows {
    () => {
        ::core::include!(::core::concat!(
            ::core::env!("OUT_DIR"),
            "/respan_workflows.rs"
        ));
    };
    ($name:literal $(,)?) => {
        ::core::include!(::core::concat!(::core::env!("OUT_DIR"), "/", $name, ".rs"));
    };
}

/// What generated code needs; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::handoff_fn::{enabled_fn, on_handoff, on_handoff_input, on_handoff_no_input};
    pub use crate::instructions_fn::instructions_fn;
    pub use respan_macros::workflow as workflow_impl;
    pub use schemars;
    pub use serde;
    pub use serde_json;

    /// A `#[respan_tool]` function's return value as the text the model sees:
    /// a value that serializes to a JSON string (`String`, `&str`) as that
    /// text, anything else as JSON.
    pub fn tool_output<T: serde::Serialize>(
        output: T,
    ) -> Result<String, respan_runtime::ToolError> {
        match serde_json::to_value(&output) {
            Ok(serde_json::Value::String(text)) => Ok(text),
            Ok(value) => Ok(value.to_string()),
            Err(error) => Err(respan_runtime::ToolError::new(format!(
                "the tool's output could not be serialized: {error}"
            ))),
        }
    }

    /// A `#[respan_tool]` function's `Result`: `Ok` as [`tool_output`], `Err`
    /// as a tool error the model is told about.
    pub fn tool_result<T: serde::Serialize, E: std::fmt::Display>(
        output: Result<T, E>,
    ) -> Result<String, respan_runtime::ToolError> {
        match output {
            Ok(output) => tool_output(output),
            Err(error) => Err(respan_runtime::ToolError::new(error.to_string())),
        }
    }

    /// The object of a `json!({...})` (generated code writes open tables this way).
    pub fn json_object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }
}
