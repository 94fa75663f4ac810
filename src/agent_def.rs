//! Agents declared in Rust with [`#[respan_agent]`](crate::respan_agent).

use respan_runtime::{Agent, AgentSet};

/// An agent declared on a struct with [`#[respan_agent(...)]`](crate::respan_agent):
/// its id and display name. Handoff targets are named by these types.
///
/// The attribute also implements [`ToAgent`], which builds the runtime agent;
/// several such structs form an [`AgentSet`] keyed by their [`ID`](AgentDef::ID)s,
/// which runs like any other:
///
/// ```ignore
/// let agents = Triage.agent_set().with(&Billing).with(&Technical { product: "Respan".into() });
/// let run = respan::Runner::new().run(&gateway, &agents, "My invoice is wrong").await?;
/// if run.last_agent == Billing::ID { /* ... */ }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a respan agent",
    label = "not declared with `#[respan_agent(...)]`",
    note = "handoff targets and agents used as tools must be structs marked `#[respan_agent(...)]`"
)]
pub trait AgentDef {
    /// The agent's key: the struct name in snake_case (`TechSupport` ->
    /// `tech_support`) unless the attribute sets `id = "..."`.
    const ID: &'static str;
    /// The display name the model sees (`name = "..."`).
    const NAME: &'static str;

    /// An agent set that starts with this agent and holds only it so far: add
    /// the agents it hands off to with [`AgentSetExt::with`]. Its runs have no
    /// context ([`run`](crate::run)); see [`AgentDef::agent_set_for`].
    fn agent_set(&self) -> AgentSet<&'static str>
    where
        Self: ToAgent + Sized,
    {
        AgentSet::new(Self::ID).agent(self.to_agent())
    }

    /// The same for runs whose context is `C` (`run_with(.., &ctx)`), which
    /// agents with tools taking `&C` need.
    fn agent_set_for<C: Send + Sync + 'static>(&self) -> AgentSet<&'static str, C>
    where
        Self: ToAgent<C> + Sized,
    {
        AgentSet::new(Self::ID)
            .context::<C>()
            .agent(self.to_agent())
    }
}

/// Builds the runtime agent of a [`#[respan_agent]`](crate::respan_agent) struct,
/// for runs whose context is `C`.
///
/// An agent whose tools read no context implements it for every `C`; one with a
/// tool taking `&Ctx` only for `Ctx`, so a set of another context does not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot join a run whose context is `{C}`",
    label = "one of its tools takes another context",
    note = "a `#[respan_tool]` taking `&Ctx` runs only with `run_with(.., &ctx)` of that `Ctx`"
)]
pub trait ToAgent<C = ()>: AgentDef {
    /// Builds the runtime agent; instructions are rendered from `self`'s fields here.
    fn to_agent(&self) -> Agent<&'static str, C>;
}

/// Adds [`AgentDef`] structs to an [`AgentSet`].
pub trait AgentSetExt<C>: Sized {
    /// Adds the agent `agent` declares.
    fn with<A: ToAgent<C>>(self, agent: &A) -> Self;
}

impl<C> AgentSetExt<C> for AgentSet<&'static str, C> {
    fn with<A: ToAgent<C>>(self, agent: &A) -> Self {
        self.agent(agent.to_agent())
    }
}
