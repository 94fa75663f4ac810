//! How generated code gives a handoff the functions its file names as
//! `on_handoff` and `is_enabled_fn`: as with `instructions_fn`, the context a
//! function reads is inferred from its signature (generated code cannot name
//! it), so whether it fits the runs' context is decided here, when the
//! workflow is built, rather than by rustc.

use std::any::{Any, TypeId, type_name};

use respan_runtime::{Agent, AgentKey, Handoff};

/// `handoff` calling `f` with the context and `wrap(input)` (the handoff enum's
/// variant holding the input the model gave) when it happens.
///
/// `f` reads `&X`: the runs' context (`X` is `C`) or nothing (`X` is `()`,
/// which fits runs of any context).
///
/// # Panics
///
/// When `X` is neither `C` nor `()`; the message names `origin` (the function
/// and where it was declared).
pub fn on_handoff<C, K, X, T, E, F>(
    handoff: Handoff<K, C>,
    wrap: fn(T) -> E,
    f: F,
    origin: &'static str,
) -> Handoff<K, C>
where
    C: Send + Sync + 'static,
    K: AgentKey,
    X: 'static,
    T: serde::de::DeserializeOwned + Send + 'static,
    E: 'static,
    F: Fn(&X, E) + Send + Sync + 'static,
{
    if TypeId::of::<X>() == TypeId::of::<C>() {
        handoff.on_handoff(move |context: &C, input: T| f(same(context), wrap(input)))
    } else if TypeId::of::<X>() == TypeId::of::<()>() {
        handoff.on_handoff(move |_: &C, input: T| f(same(&()), wrap(input)))
    } else {
        panic!("{}", wrong_context::<X, C>(origin))
    }
}

/// `handoff` calling `f` with the context and the input the model gave (a
/// `T`) when it happens: `#[respan_agent(handoff(.., input_type = T, on_handoff = f))]`,
/// where there is no handoff enum to wrap the input in.
///
/// `f` reads `&X`: the runs' context or `()`, as for [`on_handoff`].
///
/// # Panics
///
/// When `X` is neither `C` nor `()`; the message names `origin`.
pub fn on_handoff_input<C, K, X, T, F>(
    handoff: Handoff<K, C>,
    f: F,
    origin: &'static str,
) -> Handoff<K, C>
where
    C: Send + Sync + 'static,
    K: AgentKey,
    X: 'static,
    T: serde::de::DeserializeOwned + Send + 'static,
    F: Fn(&X, T) + Send + Sync + 'static,
{
    on_handoff(handoff, std::convert::identity::<T>, f, origin)
}

/// `handoff` calling `f` with the context when it happens, for a handoff
/// without input: `#[respan_agent(handoff(.., on_handoff = f))]`.
///
/// `f` reads `&X`: the runs' context or `()`, as for [`on_handoff`].
///
/// # Panics
///
/// When `X` is neither `C` nor `()`; the message names `origin`.
pub fn on_handoff_no_input<C, K, X, F>(
    handoff: Handoff<K, C>,
    f: F,
    origin: &'static str,
) -> Handoff<K, C>
where
    C: Send + Sync + 'static,
    K: AgentKey,
    X: 'static,
    F: Fn(&X) + Send + Sync + 'static,
{
    on_handoff(
        handoff,
        |_: serde::de::IgnoredAny| (),
        move |context: &X, ()| f(context),
        origin,
    )
}

/// `handoff` offered only when `f` says so, before each model request.
///
/// `f` reads `&X` and the agent for runs of context `X`: the runs' context, or
/// `()` when the runs have none.
///
/// # Panics
///
/// When `X` is not `C`; the message names `origin`.
pub fn enabled_fn<C, K, X, F>(handoff: Handoff<K, C>, f: F, origin: &'static str) -> Handoff<K, C>
where
    C: Send + Sync + 'static,
    K: AgentKey,
    X: 'static,
    F: Fn(&X, &Agent<K, X>) -> bool + Send + Sync + 'static,
{
    if TypeId::of::<X>() == TypeId::of::<C>() {
        handoff.enabled_fn(move |context: &C, agent: &Agent<K, C>| f(same(context), same(agent)))
    } else {
        panic!("{}", wrong_context::<X, C>(origin))
    }
}

fn wrong_context<X, C>(origin: &str) -> String {
    format!(
        "{origin} reads `&{}`, but this handoff is built for runs whose context is `{}`: \
         build the workflow for `{0}` (`Workflow::<{0}>::with_context(vars)`, then \
         `run_with(.., &context)`), or make the function take `&{1}`",
        type_name::<X>(),
        type_name::<C>(),
    )
}

/// `value` as `B`, which it is (the caller compared their `TypeId`s).
fn same<A: Any, B: Any>(value: &A) -> &B {
    (value as &dyn Any)
        .downcast_ref::<B>()
        .expect("respan: the types were compared before")
}
