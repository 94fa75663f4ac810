//! # respan-runtime
//!
//! The runtime of [respan](https://github.com/respan-ai/respan-rs): agents, the
//! runner (with the OpenAI Agents SDK's semantics: handoffs, tools, `max_turns`),
//! and the client of the [Respan gateway](https://respan.ai), an OpenAI-compatible
//! LLM gateway. Applications use it through the `respan` facade crate.
//!
//! ```no_run
//! use respan_runtime::{Agent, AgentSet, Gateway};
//!
//! # async fn demo() -> Result<(), respan_runtime::Error> {
//! let gateway = Gateway::from_env()?; // RESPAN_API_KEY, optional RESPAN_BASE_URL
//! let agents = AgentSet::new("Triage Agent".to_string())
//!     .agent(
//!         Agent::named("Triage Agent")
//!             .instructions("Route to the appropriate agent based on the question.")
//!             .handoffs(["Billing Agent".to_string(), "Technical Agent".to_string()]),
//!     )
//!     .agent(Agent::named("Billing Agent").instructions("Handle billing and payment questions."))
//!     .agent(Agent::named("Technical Agent").instructions("Handle technical support questions."));
//! let result = respan_runtime::run(&gateway, &agents, "I'm having trouble connecting to the API.").await?;
//! println!("Handled by: {}", result.last_agent);
//! println!("{}", result.final_output);
//! # Ok(()) }
//! ```
//!
//! ## The pieces
//!
//! - [`Gateway`]: the client (async-openai underneath, configured only from what you
//!   give it or `RESPAN_*`), with per-request timeouts and one retry loop
//!   ([`RetryPolicy`]) honouring `Retry-After`.
//! - [`Agent`] and [`AgentSet`]: instructions (static or a template rendered once),
//!   handoffs, [`Tool`]s, model and [`ModelSettings`], [`RespanParams`] and a
//!   [`GatewayPrompt`], each sent where its [`Placement`] says.
//! - [`Runner`] / [`run`] / [`run_streamed`]: the run loop, returning a [`RunResult`]
//!   (final output, last agent, [`RunItem`]s, raw responses, [`Usage`] in total and per
//!   agent) or streaming [`RunEvent`]s.
//! - Human approval: a tool that [`needs_approval`](FunctionTool::needs_approval)
//!   stops [`Runner::run_resumable`] with a [`RunState`] (serde, versioned) to
//!   [`approve`](RunState::approve) or [`reject`](RunState::reject) and
//!   [`Runner::resume`], in this process or another.
//! - [`Error`]: every failure, typed, with what to do; never the key.
//! - `OfflineGateway` and `Gateway::from_env_or_offline` (feature `offline`, off by
//!   default): a deterministic OpenAI-compatible gateway on 127.0.0.1, for running
//!   without a key. A development tool: the runtime's request path does not know it
//!   exists, and a build without the feature does not compile it.
//! - Record and replay: [`GatewayBuilder::record`] (or `RESPAN_RECORD=path`)
//!   appends every exchange to a cassette of JSON lines, without the key;
//!   [`Gateway::replay`] (or `RESPAN_REPLAY=path`) serves it back with no network,
//!   matching requests by content, and a run that diverges fails with
//!   [`Error::ReplayMismatch`] naming the first field that differs.
//! - `testing::FakeGateway` (feature `testing`): a scripted gateway for your tests.
//! - `expect` (feature `offline`): what a workflow test expects of a
//!   run (`[[tests]]` of a workflow file), checked by `respan test` and by the
//!   `#[test]`s a compiled workflow can generate.
//! - [`Session`]s: conversation memory across runs ([`Runner::session`]), in
//!   memory ([`MemorySession`]) or in a SQLite file (`SqliteSession`, feature `sqlite`).

//! - Spans of every run (run, agent, generation, handoff, tool) through `tracing`,
//!   with per-run [`TraceContext`]; [`telemetry`] exports them over OTLP/HTTP JSON
//!   to Respan or any OpenTelemetry collector (feature `otel`, off by default).

#![warn(missing_docs)]

mod agent;
/// Lifecycle hooks ([`RunHooks`]).
pub use agent::hooks;
mod approval;
mod cassette;
mod defaults;
mod error;
#[cfg(feature = "offline")]
pub mod expect;
mod gateway;
mod history;
#[cfg(any(feature = "offline", feature = "testing"))]
mod http_server;
mod items;
pub mod journal;
mod limit;
#[cfg(feature = "offline")]
mod offline;
mod output;
mod respan;
mod result;
mod retry;
mod run;
mod runner;
mod schema;
mod session;
mod settings;
mod so_far;
mod sse;
mod state;
mod stream;
mod structured;
#[cfg(feature = "otel")]
pub mod telemetry;
#[cfg(not(feature = "otel"))]
#[path = "telemetry_off.rs"]
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
mod text;
mod tls;
mod tool;
mod trace;
mod transport;
mod usage;
mod wire;

pub use agent::{
    Agent, AgentKey, AgentSet, DEFAULT_MAX_TURNS, ToolUseBehavior, handoff_tool_description,
    handoff_tool_name,
};
pub use error::Error;
pub use gateway::{
    API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MODEL,
    DEFAULT_TIMEOUT, Gateway, GatewayBuilder, RECORD_ENV, REPLAY_ENV,
};
pub use hooks::{HookError, HookResult, NoHooks, RunContext, RunHooks, SharedHooks, async_trait};
pub use items::{FunctionCall, Input, InputItem, ModelResponse, RunItem, ToolCall};
pub use limit::{DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IDLE_CONNECTIONS};
#[cfg(feature = "offline")]
pub use offline::OfflineGateway;
pub use output::OutputType;
pub use respan::{
    GatewayPrompt, Placement, RESPAN_PARAMS_HEADER, RespanParams, decode_respan_header,
};
pub use result::{RunOutcome, RunResult};
pub use retry::{BoxFuture, RetryPolicy, Sleeper};
pub use run::{MULTIPLE_HANDOFFS_MESSAGE, TOOL_ERROR_MESSAGE};
pub use runner::{Runner, run, run_streamed};
pub use schema::{schema_for, strict_schema};
pub use session::{MemorySession, Session, SessionRunner, shared_run_lock};
#[cfg(feature = "sqlite")]
pub use session::{SQLITE_SCHEMA_VERSION, SqliteSession, SqliteStore};
pub use settings::{ModelSettings, ToolChoice};
pub use state::{Decision, REJECTION_MESSAGE, RUN_STATE_VERSION, RunState, ToolApproval};
pub use stream::{RunEvent, RunStream};
pub use structured::{StructuredError, parse_structured};
pub use tls::TLS_PROVIDER;
pub use tool::{Args, DEFAULT_TOOL_TIMEOUT, FunctionTool, Tool, ToolError, ToolFn, ToolHandler};
pub use trace::{TRACE_TARGET, TraceContext, record_content, set_record_content};
pub use usage::{Usage, UsageByAgent};

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
