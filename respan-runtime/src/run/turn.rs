//! Steps 1 and 2 of a turn: the agent starts and its instructions are
//! computed; then one model request, through the journal and the trace.

use std::borrow::Cow;

use tracing::Instrument as _;

use super::answer::{complete, complete_streamed};
use super::{Run, fire};
use crate::agent::AgentKey;
use crate::agent::Enabled;
use crate::agent::hooks::RunContext;
use crate::error::Error;
use crate::items::{InputItem, ModelResponse};
use crate::text::panic_message;
use crate::wire::{ChatRequest, FixedFields, Messages, StreamOptions};
use serde_json::Value;
use std::panic::AssertUnwindSafe;

/// A turn ready to be sent: the system message for this request.
pub(crate) struct Turn<'r> {
    /// The agent's static instructions (prepared once), or this turn's own.
    pub(crate) system: Option<Cow<'r, str>>,
    /// The body's fixed fields when a handoff is not offered this turn
    /// (`None`: those prepared once).
    pub(crate) fixed: Option<FixedFields>,
}

impl<'r, K: AgentKey, C: Sync> Run<'r, K, C> {
    /// Step 1: within `max_turns`, the agent starts (once per stint:
    /// `on_agent_start`) and its instructions for this turn are computed.
    pub(super) async fn prepare_turn(&mut self) -> Result<Turn<'r>, Error> {
        if self.so_far.turns >= self.max_turns {
            return Err(Error::MaxTurnsExceeded {
                max_turns: self.max_turns,
            });
        }
        let agent = self.agent();
        if !self.agent_started {
            self.agent_started = true;
            let run = self.hook_context();
            fire!(self.hooks, agent, on_agent_start(&run, agent));
        }
        let system = match agent.dynamic_instructions() {
            Some(f) => Some(Cow::Owned(
                crate::agent::compute_instructions(f, self.context, agent).await?,
            )),
            None => self.prepared_system(),
        };
        let fixed = self.offered_handoffs()?;
        Ok(Turn { system, fixed })
    }

    /// Which of the agent's handoffs with a predicate are offered this turn;
    /// the body's tools without the others, when there are any.
    fn offered_handoffs(&mut self) -> Result<Option<FixedFields>, Error> {
        self.disabled.clear();
        let parts = &self.prepared.agents[self.current];
        if parts.conditional.is_empty() {
            return Ok(None);
        }
        let agent = self.agent();
        let mut hidden = Vec::new();
        for &(definition, position) in &parts.conditional {
            let Enabled::When(enabled) = &agent.handoff_options(position).enabled else {
                continue;
            };
            let offered =
                std::panic::catch_unwind(AssertUnwindSafe(|| enabled(self.context, agent)))
                    .map_err(|panic| Error::Hook {
                        hook: "is_enabled",
                        agent: agent.name().to_string(),
                        message: format!(
                            "the is_enabled function of a handoff panicked: {}",
                            panic_message(&*panic)
                        ),
                    })?;
            if !offered {
                hidden.push(definition);
                self.disabled.push(position);
            }
        }
        if hidden.is_empty() {
            return Ok(None);
        }
        let mut fixed = parts.fixed.clone();
        if let Some(Value::Array(tools)) = fixed.get_mut("tools") {
            let mut index = 0;
            tools.retain(|_| {
                index += 1;
                !hidden.contains(&(index - 1))
            });
            if tools.is_empty() {
                fixed.remove("tools");
            }
        }
        Ok(Some(FixedFields::new(&fixed)))
    }

    /// The current agent's static instructions (rendered when it was built).
    fn prepared_system(&self) -> Option<Cow<'r, str>> {
        self.agent().instructions_text().map(Cow::Borrowed)
    }

    /// What a hook sees of the run now.
    pub(super) fn hook_context(&self) -> RunContext<'_, C> {
        RunContext::new(self.context, &self.so_far.usage, self.so_far.turns)
    }

    /// Step 2: one model request with this turn's system message, streamed when
    /// the run streams, through the journal (a durable run replays it) and in
    /// a generation span. Its answer joins the history and the usage.
    pub(super) async fn ask_model(&mut self, turn: Turn<'r>) -> Result<ModelResponse, Error> {
        let agent = self.agent();
        let system = turn.system.as_deref();
        {
            let run = self.hook_context();
            fire!(
                self.hooks,
                agent,
                on_llm_start(&run, agent, system, self.so_far.model_history())
            );
        }
        let parts = &self.prepared.agents[self.current];
        let gateway = self.gateway;
        let events = self.events.sender();
        let streaming = events.is_some();
        let body = ChatRequest {
            model: parts.model.as_deref().unwrap_or(gateway.default_model()),
            messages: Messages {
                system,
                history: self.history_json.of(self.so_far.model_history()),
            },
            stream: streaming,
            // An agent's own `extra_body.stream_options` is sent instead (it is in `fixed`).
            stream_options: (streaming
                && gateway.stream_usage()
                && !parts.fixed.contains_key("stream_options"))
            .then_some(StreamOptions {
                include_usage: true,
            }),
            fixed: turn.fixed.as_ref().unwrap_or(&parts.fixed_json),
        };
        let headers = &parts.headers;
        let generation = self.trace.generation(agent.name(), &body, &parts.fixed);
        let request = async {
            match events {
                None => complete(gateway, &body, headers).await,
                Some(tx) => complete_streamed(gateway, &body, headers, agent.key(), tx).await,
            }
            .map_err(|error| gateway.redact(error))
        }
        .instrument(generation.clone());
        let response = self
            .journal
            .model_request(agent.name(), Box::pin(request))
            .await;
        self.trace.generation_done(generation, &response);
        let response = response?;
        self.so_far.turns += 1;
        self.so_far.usage.add(&response.usage);
        self.so_far.usage_by_agent.add(agent.key(), &response.usage);
        {
            let run = self.hook_context();
            fire!(self.hooks, agent, on_llm_end(&run, agent, &response));
        }
        Ok(response)
    }
}

/// The text and calls of an answer.
pub(super) fn parts_of(message: &InputItem) -> (Option<String>, Vec<crate::items::ToolCall>) {
    match message {
        InputItem::Assistant {
            content,
            tool_calls,
        } => (content.clone(), tool_calls.clone()),
        _ => (None, Vec::new()),
    }
}
