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
//! - Record and replay: [`GatewayBuilder::record`] (or `RESPAN_RECORD=path`)
//!   appends every exchange to a cassette of JSON lines, without the key;
//!   [`Gateway::replay`] (or `RESPAN_REPLAY=path`) serves it back with no network,
//!   matching requests by content, and a run that diverges fails with
//!   [`Error::ReplayMismatch`] naming the first field that differs.
//! - [`Session`]s: conversation memory across runs ([`Runner::session`]), in
//!   memory ([`MemorySession`]) or in a SQLite file (`SqliteSession`, feature `sqlite`).

//! - Spans of every run (run, agent, generation, handoff, tool) through `tracing`,
//!   with per-run [`TraceContext`]; [`telemetry`] exports them over OTLP/HTTP JSON
//!   to Respan or any OpenTelemetry collector (feature `otel`, off by default).
//!
//! The development gateways (the offline gateway for running without a key, the
//! scripted fake gateway for tests, and the expectations of workflow tests) live
//! in the `respan-offline` crate, on top of this one (the facade's `offline` and
//! `testing` features): nothing here knows they exist. They serve HTTP on
//! loopback and are given to a run as any [`Gateway`] is
//! ([`GatewayBuilder::keep_alive`] keeps their server alive).

#![warn(missing_docs)]

mod agent;
/// Lifecycle hooks ([`RunHooks`]).
pub use agent::hooks;
mod approval;
mod cassette;
mod defaults;
mod error;
mod gateway;
mod history;
mod items;
pub mod journal;
mod limit;
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
mod text;
mod tls;
mod tool;
mod trace;
mod transport;
mod usage;
mod wire;

pub use agent::{
    Agent, AgentKey, AgentSet, AgentTool, DEFAULT_MAX_TURNS, Handoff, InputFilter, ToolUseBehavior,
    handoff_tool_description, handoff_tool_name,
};
pub use error::Error;
pub use gateway::{
    API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MODEL,
    DEFAULT_TIMEOUT, Gateway, GatewayBuilder, RECORD_ENV, REPLAY_ENV,
};
pub use hooks::{HookError, HookResult, NoHooks, RunContext, RunHooks, SharedHooks, async_trait};
pub use items::{FunctionCall, Input, InputItem, ModelResponse, RunItem, ToolCall};
pub use limit::{DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IDLE_CONNECTIONS};
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
