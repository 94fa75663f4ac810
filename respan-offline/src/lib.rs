//! # respan-offline
//!
//! The development gateways of [respan](https://github.com/respan-ai/respan-rs),
//! on top of `respan-runtime`: servers on 127.0.0.1 that speak the OpenAI
//! chat-completions API over real HTTP, so that runs, examples and tests need no
//! key and no network. Applications get them through the `respan` facade's
//! features (`offline`, `testing`), normally in `[dev-dependencies]`: a
//! production build holds none of this, and the runtime does not know it exists
//! (it sends these gateways the same requests as any other).
//!
//! - [`OfflineGateway`] (the facade's `offline`): a deterministic gateway that
//!   answers like a (very literal) model from the request alone: it hands off,
//!   calls the offered tools with valid arguments, answers structured output with
//!   a valid value, streams when asked, and otherwise says it is the offline
//!   gateway. [`OfflineExt`] adds [`Gateway::from_env_or_offline`](OfflineExt::from_env_or_offline)
//!   (the real gateway with a key, this one without) and
//!   [`offline_notice`](OfflineExt::offline_notice) to [`Gateway`](respan_runtime::Gateway).
//! - [`expect`] (the facade's `offline`): what a workflow test expects of a run
//!   (`[[tests]]` of a workflow file), checked by `respan test` and by the
//!   `#[test]`s a compiled workflow can generate, on the offline gateway.
//! - [`testing`] (the facade's `testing`): [`FakeGateway`](testing::FakeGateway),
//!   a scripted gateway for your tests that records every request it receives,
//!   with faults (errors, stalls, broken streams) on demand.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), respan_runtime::Error> {
//! use respan_offline::OfflineExt as _;
//! use respan_runtime::{Agent, AgentSet, Gateway};
//!
//! # // SAFETY: a doctest is a process of its own.
//! # unsafe { std::env::remove_var(respan_runtime::API_KEY_ENV) };
//! let gateway = Gateway::from_env_or_offline().await?; // no RESPAN_API_KEY here
//! assert!(gateway.is_offline());
//! let agents = AgentSet::new("Assistant".to_string())
//!     .agent(Agent::named("Assistant").instructions("You are a helpful assistant."));
//! let result = respan_runtime::run(&gateway, &agents, "Hello").await?;
//! assert!(result.final_output.contains("offline gateway"));
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod expect;
mod http_server;
mod offline;
pub mod testing;

pub use offline::{OfflineExt, OfflineGateway};
