//! Agents declared in Rust with [`#[respan_agent]`](crate::respan_agent).

use respan_runtime::{Agent, AgentSet};

/// An agent declared on a struct with [`#[respan_agent(...)]`](crate::respan_agent).
///
/// The attribute implements this trait; several such structs form an
/// [`AgentSet`] keyed by their [`ID`](AgentDef::ID)s, which runs like any other:
///
/// ```ignore
/// let agents = Triage.agent_set().with(&Billing).with(&Technical { product: "Respan".into() });
/// let run = respan::Runner::new().run(&gateway, &agents, "My invoice is wrong").await?;
/// if run.last_agent == Billing::ID { /* ... */ }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a respan agent",
    label = "not declared with `#[respan_agent(...)]`",
    note = "handoff targets must be structs marked `#[respan_agent(...)]`"
)]
pub trait AgentDef {
    /// The agent's key: the struct name in snake_case (`TechSupport` ->
    /// `tech_support`) unless the attribute sets `id = "..."`.
    const ID: &'static str;
    /// The display name the model sees (`name = "..."`).
    const NAME: &'static str;

    /// Builds the runtime agent; instructions are rendered from `self`'s fields here.
    fn to_agent(&self) -> Agent<&'static str>;

    /// An agent set that starts with this agent and holds only it so far: add
    /// the agents it hands off to with [`AgentSetExt::with`].
    fn agent_set(&self) -> AgentSet<&'static str>
    where
        Self: Sized,
    {
        AgentSet::new(Self::ID).agent(self.to_agent())
    }
}

/// Adds [`AgentDef`] structs to an [`AgentSet`].
pub trait AgentSetExt: Sized {
    /// Adds the agent `agent` declares.
    fn with<A: AgentDef>(self, agent: &A) -> Self;
}

impl AgentSetExt for AgentSet<&'static str> {
    fn with<A: AgentDef>(self, agent: &A) -> Self {
        self.agent(agent.to_agent())
    }
}
