//! The library behind the `respan` command-line tool: a checked workflow file
//! ([`respan_codegen::Spec`]) turned into runtime values at run time (DESIGN §2,
//! "runtime Agent values (CLI, dynamic loading)"), with exactly what the code
//! `workflow!` generates would set, so a workflow runs the same in the CLI and
//! compiled.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let checked = respan_codegen::check_source("support.toml", r#"
//! [workflow]
//! entry = "triage"
//!
//! [vars]
//! product = "Respan"
//!
//! [agents.triage]
//! instructions = "Route the question."
//! handoffs = ["technical"]
//!
//! [agents.technical]
//! name = "Technical Agent"
//! handoff_description = "Technical support and API problems"
//! instructions = "Handle technical questions about {{ product }}."
//! "#);
//! let spec = checked.valid_spec().expect("no errors");
//!
//! let agents = respan_cli::load::Load::new(spec)
//!     .var("product", "Acme")
//!     .agent_set()?;
//! let technical = agents.get(&"technical".to_string()).unwrap();
//! assert_eq!(technical.instructions_text(), Some("Handle technical questions about Acme."));
//!
//! let gateway = respan_offline::OfflineGateway::start().await?;
//! let result = respan_runtime::run(&gateway, &agents, "My API calls fail.").await?;
//! assert_eq!(result.last_agent, "technical");
//! # Ok(()) }
//! ```
//!
//! - [`load`]: what a run starts from (agent, variables, tools), checked before
//!   any request, and the [`AgentSet`](respan_runtime::AgentSet) it builds;
//! - [`agents`]: one agent of the file as a runtime [`Agent`](respan_runtime::Agent);
//! - [`values`]: the file's settings as the runtime's setting values;
//! - [`vars`]: template variable values (`[vars]` defaults, `--var`);
//! - [`command`]: `[tools.<name>] command = [...]`, a tool run as a subprocess;
//! - [`workflow_tests`]: a `[[tests]]` table run, its expectations checked.

#![warn(missing_docs)]

pub mod agents;
pub mod command;
pub mod load;
pub mod values;
pub mod vars;
pub mod workflow_tests;

/// A workflow source that must check clean, as a spec (the modules' unit tests).
#[cfg(test)]
fn test_spec(source: &str) -> respan_codegen::Spec {
    let checked = respan_codegen::check_source("w.toml", source);
    assert!(!checked.has_errors(), "{}", checked.render(false));
    checked.spec.expect("a spec")
}
