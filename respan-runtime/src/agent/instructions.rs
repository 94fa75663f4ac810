//! Instructions computed before each model request (the Agents SDK's callable
//! `instructions`): a function of the run's context and the agent.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt as _;

use crate::agent::{Agent, AgentKey};
use crate::error::Error;
use crate::retry::BoxFuture;
use crate::text::panic_message;

/// The function behind [`Agent::instructions_fn`] and [`Agent::instructions_async`].
pub(crate) type InstructionsFn<K, C> =
    Arc<dyn for<'a> Fn(&'a C, &'a Agent<K, C>) -> BoxFuture<'a, String> + Send + Sync>;

/// Names the higher-ranked signature so closures infer it.
pub(crate) fn boxed<K, C, F>(f: F) -> InstructionsFn<K, C>
where
    K: AgentKey,
    F: for<'a> Fn(&'a C, &'a Agent<K, C>) -> BoxFuture<'a, String> + Send + Sync + 'static,
{
    Arc::new(f)
}

/// A synchronous function, as a boxed one (it runs when the turn asks for it).
pub(crate) fn from_sync<K, C, F>(f: F) -> InstructionsFn<K, C>
where
    K: AgentKey,
    C: 'static,
    F: Fn(&C, &Agent<K, C>) -> String + Send + Sync + 'static,
{
    boxed(move |context: &C, agent: &Agent<K, C>| {
        Box::pin(std::future::ready(f(context, agent))) as BoxFuture<'_, String>
    })
}

/// The same function for an agent whose runs have a context `C` now
/// ([`Agent::context`]): it still sees `&()` and the agent as it was then.
pub(crate) fn contextless<K, C>(
    f: InstructionsFn<K, ()>,
    original: Agent<K, ()>,
) -> InstructionsFn<K, C>
where
    K: AgentKey,
    C: 'static,
{
    let original = Arc::new(original);
    boxed(move |_context: &C, _agent: &Agent<K, C>| {
        let f = f.clone();
        let original = original.clone();
        Box::pin(async move { f(&(), &original).await }) as BoxFuture<'_, String>
    })
}

/// Computes `agent`'s instructions for this turn; a panic is an error of the
/// run naming the agent, not a crash.
pub(crate) async fn compute<K: AgentKey, C>(
    f: &InstructionsFn<K, C>,
    context: &C,
    agent: &Agent<K, C>,
) -> Result<String, Error> {
    AssertUnwindSafe(async { f(context, agent).await })
        .catch_unwind()
        .await
        .map_err(|panic| Error::Instructions {
            agent: agent.name().to_string(),
            message: format!(
                "the instructions function panicked: {}",
                panic_message(&*panic)
            ),
        })
}
