//! Workflow files for respan: parsing with spans into a [`Spec`], the checker,
//! diagnostics, and Rust code generation.
//!
//! This crate is what `build.rs`, the proc macros and the `respan` CLI share, so
//! the same file gets the same diagnostics everywhere. It deliberately does not
//! depend on tokio, async-openai or the runtime: it must build fast.
//!
//! ```
//! let checked = respan_codegen::check_source("workflows/quickstart.toml", r#"
//! [workflow]
//! entry = "assistant"
//!
//! [agents.assistant]
//! name = "Assistant"
//! instructions = "You are a helpful assistant. Be concise."
//! "#);
//! assert!(!checked.has_errors());
//! assert_eq!(checked.spec.unwrap().agents[0].name.value, "Assistant");
//! ```

pub mod attribute;
pub mod builder;
pub mod check;
mod checked;
pub mod diagnostic;
pub mod format;
pub mod generate;
pub mod graph;
mod identifier;
pub mod json_schema;
pub mod parse;
pub mod render;
pub mod spec;
pub mod suggest;
pub mod template;
pub mod tool_attr;
mod workflow_tests;

pub use builder::Builder;
pub use check::check_spec;
pub use checked::{Checked, check_bytes, check_file, check_source};
pub use diagnostic::{Diagnostic, Severity};
pub use spec::Spec;
