//! # respan-restate
//!
//! Durable runs of [respan](https://github.com/respan-ai/respan-rs) agents on
//! [Restate](https://restate.dev): a workflow is served as a Restate service whose
//! handler runs the agent loop with every model request and every tool call
//! journaled (`ctx.run`). When the process dies between two steps, Restate
//! resumes the run, on this instance or another, and the steps that completed
//! are not repeated: no paid request is sent twice, no finished tool runs again.
//!
//! - [`DurableWorkflow`]: agents (a generated `Workflow`'s `agents()`, or a built
//!   [`AgentSet`](respan_runtime::AgentSet)) as a Restate workflow service with a
//!   `run` handler, served with [`DurableWorkflow::serve`] or bound to your own
//!   [`Endpoint`](restate_sdk::endpoint::Endpoint).
//! - [`RunRequest`] / [`RunOutput`]: the handler's JSON in and out; the run id is
//!   the Restate invocation id.
//! - Approvals: a tool call that needs approval makes the run wait on one Restate
//!   awakeable per call; the workflow's shared `pending` handler lists them
//!   ([`PendingApproval`]), and resolving an awakeable with a [`Decision`] as JSON
//!   (`POST /restate/awakeables/<id>/resolve`) decides it. The run then resumes.
//!
//! Start a run through Restate's ingress, with a key of your choice:
//!
//! ```sh
//! curl localhost:8080/Support/ticket-1/run --json '{"input": "I was charged twice"}'
//! ```
//!
//! The runtime side is [`respan_runtime::journal`]: the runner sends each step
//! through a [`Journal`](respan_runtime::journal::Journal), which here records it
//! in the Restate journal.

#![warn(missing_docs)]

mod approval;
mod journal;
mod service;

pub use approval::PendingApproval;
pub use respan_runtime::Decision;
pub use service::{DurableWorkflow, PENDING_HANDLER, RUN_HANDLER, RunInput, RunOutput, RunRequest};

/// The Restate SDK this crate serves with (for binding more services to one endpoint).
pub use restate_sdk;
