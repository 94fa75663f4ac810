//! How generated code gives an agent the function its file or attribute names
//! as `instructions_fn`: the function's context type is inferred from its
//! signature (generated code cannot name it), so whether it fits the runs'
//! context is decided here, when the agent is built, rather than by rustc.

use std::any::{Any, TypeId, type_name};

use respan_runtime::{Agent, AgentKey};

/// `agent` with `f` as its instructions, for runs whose context is `C`.
///
/// `f` reads `&X`: either the runs' context (`X` is `C`) or nothing (`X` is
/// `()`, and the agent keeps it in runs of any context, as it keeps tools that
/// take no context). Another `X` is a mistake in the program, reported when the
/// workflow is built, naming `origin` (the function and where it was declared).
///
/// # Panics
///
/// When `X` is neither `C` nor `()`.
pub fn instructions_fn<C, K, X, F>(agent: Agent<K>, f: F, origin: &'static str) -> Agent<K, C>
where
    C: Send + Sync + 'static,
    K: AgentKey,
    X: 'static,
    F: Fn(&X, &Agent<K, X>) -> String + Send + Sync + 'static,
{
    if TypeId::of::<X>() == TypeId::of::<C>() {
        agent
            .context::<C>()
            .instructions_fn(move |context: &C, agent: &Agent<K, C>| f(same(context), same(agent)))
    } else if TypeId::of::<X>() == TypeId::of::<()>() {
        agent
            .instructions_fn(move |context: &(), agent: &Agent<K>| f(same(context), same(agent)))
            .context::<C>()
    } else {
        panic!(
            "{origin} reads `&{}`, but this agent is built for runs whose context is `{}`: \
             build the workflow for `{0}` (`Workflow::<{0}>::with_context(vars)`, then \
             `run_with(.., &context)`), or make the function take `&{1}` or `&()`",
            type_name::<X>(),
            type_name::<C>(),
        )
    }
}

/// `value` as `B`, which it is (the caller compared their `TypeId`s).
fn same<A: Any, B: Any>(value: &A) -> &B {
    (value as &dyn Any)
        .downcast_ref::<B>()
        .expect("respan: the types were compared before")
}
