//! Workflow files for respan: parsing with spans into a [`Spec`], the checker,
//! diagnostics, and Rust code generation.
//!
//! This crate is what `build.rs`, the proc macros and the `respan` CLI share, so
//! the same file gets the same diagnostics everywhere. It deliberately does not
//! depend on tokio, async-openai or the runtime: it must build fast.

pub mod diagnostic;
pub mod generate;
pub mod spec;

pub use diagnostic::{Diagnostic, Severity};
pub use spec::Spec;
