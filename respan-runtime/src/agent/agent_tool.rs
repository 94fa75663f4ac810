//! An agent run as a tool of another (the Agents SDK's `Agent.as_tool`): the
//! calling agent keeps the conversation; the tool's agent runs on the call's
//! `input` to its final output, which is the tool's result.

use std::time::Duration;

use serde_json::{Value, json};

use super::AgentKey;

/// The agent keyed `target`, offered as a tool (it must be in the same set).
///
/// ```
/// use respan_runtime::{Agent, AgentSet, AgentTool};
///
/// let agents = AgentSet::new("Manager".to_string())
///     .agent(
///         Agent::named("Manager")
///             .instructions("Use your tools, then answer.")
///             .agent_tool(AgentTool::new("Researcher".to_string()).name("research").description("Research a topic.")),
///     )
///     .agent(Agent::named("Researcher").instructions("List the facts."));
/// # let _ = agents;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentTool<K> {
    pub(crate) target: K,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) max_turns: Option<u32>,
    pub(crate) timeout: Option<Duration>,
}

impl<K: AgentKey> AgentTool<K> {
    /// The agent keyed `target` as a tool.
    pub fn new(target: K) -> Self {
        Self {
            target,
            name: None,
            description: None,
            max_turns: None,
            timeout: None,
        }
    }

    /// The name the model calls it by (default: the agent's name in the SDK's
    /// function style, `Writer Agent` → `writer_agent`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// What it does, for the model (default: empty, as in the SDK).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The bound on model requests of one call's run (default: the set's).
    pub fn max_turns(mut self, n: u32) -> Self {
        self.max_turns = Some(n);
        self
    }

    /// How long one call's run may take (default: no bound but `max_turns`
    /// and the gateway's timeouts).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The target's key.
    pub fn target(&self) -> &K {
        &self.target
    }
}

/// The SDK's name for an agent as a tool: every whitespace character and
/// every character outside `[A-Za-z0-9_]` becomes `_`, then lower case.
pub fn agent_tool_name(agent_name: &str) -> String {
    agent_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The parameters of an agent as a tool (the SDK's `AgentAsToolInput`).
pub(crate) fn agent_tool_parameters() -> Value {
    json!({
        "additionalProperties": false,
        "description": "Default input schema for agent-as-tool calls.",
        "properties": {"input": {"title": "Input", "type": "string"}},
        "required": ["input"],
        "title": "AgentAsToolInput",
        "type": "object"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_agent_tool_names() {
        assert_eq!(agent_tool_name("Writer Agent"), "writer_agent");
        assert_eq!(agent_tool_name("Q&A-bot\t2"), "q_a_bot_2");
        assert_eq!(agent_tool_name("research"), "research");
    }
}
