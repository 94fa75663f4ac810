//! Step 6: the final output (the agent's answer, or a tool's result that stops
//! the run) becomes the run's result; with a structured output it must be a
//! value of the agent's schema.

use super::{Run, fire};
use crate::agent::{Agent, AgentKey};
use crate::error::Error;
use crate::result::{RunOutcome, RunResult};

impl<K: AgentKey, C: Sync> Run<'_, K, C> {
    pub(super) async fn finish(&mut self, final_output: String) -> Result<RunOutcome<K>, Error> {
        let agent = self.agent();
        let output_value = structured_value(agent, &final_output)?;
        {
            let run = self.hook_context();
            fire!(self.hooks, agent, on_agent_end(&run, agent, &final_output));
        }
        let so_far = std::mem::take(&mut self.so_far);
        Ok(RunOutcome::Completed(RunResult {
            final_output,
            output_value,
            last_agent: agent.key().clone(),
            last_agent_name: agent.name().to_string(),
            new_items: so_far.new_items,
            raw_responses: so_far.raw_responses,
            usage: so_far.usage,
            usage_by_agent: so_far.usage_by_agent,
            history: so_far.history,
        }))
    }
}

/// The value of `agent`'s structured output in `final_output` (none without one).
fn structured_value<K: AgentKey, C>(
    agent: &Agent<K, C>,
    final_output: &str,
) -> Result<Option<serde_json::Value>, Error> {
    let Some(output) = agent.output_type() else {
        return Ok(None);
    };
    output
        .recover(final_output)
        .map(Some)
        .map_err(|source| Error::InvalidOutput {
            agent: agent.name().to_string(),
            source,
        })
}
