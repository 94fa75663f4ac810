//! # respan
//!
//! Typed, compile-time-checked LLM agent workflows for Rust, run against the
//! [Respan gateway](https://respan.ai) (an OpenAI-compatible LLM gateway).
//!
//! This facade crate is what applications depend on: it re-exports the runtime
//! (agents, runner, gateway client) and the compile-time front doors.

pub use respan_runtime::*;
