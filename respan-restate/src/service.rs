//! A workflow served as a Restate service: its handler runs the agent loop with
//! the Restate journal.

use std::net::SocketAddr;
use std::sync::Arc;

use respan_runtime::{
    AgentKey, AgentSet, Error, Gateway, Input, InputItem, RunOutcome, Runner, Usage,
};
use restate_sdk::discovery;
use restate_sdk::endpoint::{self, ContextInternal, Endpoint};
use restate_sdk::prelude::*;
use restate_sdk::service::{IntoServiceDefinition, Service, ServiceDefinition, macro_support};
use serde::{Deserialize, Serialize};

use crate::approval::{self, PENDING_STATE, PendingApproval};
use crate::journal::RestateJournal;

/// The handler that runs the agents (`POST /<service>/<run key>/run`).
pub const RUN_HANDLER: &str = "run";
/// The shared handler that lists the calls a run waits to have approved
/// (`POST /<service>/<run key>/pending`): a list of [`PendingApproval`].
pub const PENDING_HANDLER: &str = "pending";

/// The body of a run request: `{"input": "a message"}`, or a conversation
/// (`{"input": [{"role": "user", "content": "..."}, ...]}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// What the run starts from.
    pub input: RunInput,
}

/// A user message, or a whole conversation to continue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RunInput {
    /// One user message.
    Text(String),
    /// A conversation, as the chat-completions `messages` array.
    Items(Vec<InputItem>),
}

impl From<RunInput> for Input {
    fn from(input: RunInput) -> Self {
        match input {
            RunInput::Text(text) => Input::Text(text),
            RunInput::Items(items) => Input::Items(items),
        }
    }
}

/// What a durable run returns: the run's result, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    /// The run id: the Restate invocation id (`inv_...`), to look the run up
    /// with Restate's tools (`restate invocations describe <id>`).
    pub run_id: String,
    /// The last agent's answer (or a tool's result that ended the run).
    pub final_output: String,
    /// With a structured output: the answer as a JSON value.
    pub output_value: Option<serde_json::Value>,
    /// The display name of the agent that answered.
    pub last_agent: String,
    /// Requests and tokens of the whole run.
    pub usage: Usage,
    /// The conversation so far (input, answers, tool results), to continue it.
    pub history: Vec<InputItem>,
}

/// A workflow (a generated `Workflow`'s agents, or a built [`AgentSet`]) served
/// as a Restate workflow service named `name`, with one handler, `run`.
///
/// Each run is one invocation of `run` under a key the caller chooses (a
/// ticket or conversation id; Restate runs a key's `run` once). Every model
/// request and every tool call is a step of the invocation's journal: when the
/// process dies mid-run, Restate resumes the invocation (on this or another
/// instance) and the steps that completed return their recorded results
/// instead of running again. A step cut short runs again, so a tool is called
/// at least once, and exactly once when it completed.
///
/// ```no_run
/// use respan_restate::DurableWorkflow;
/// use respan_runtime::{Agent, AgentSet, Gateway};
///
/// # async fn demo() -> Result<(), respan_runtime::Error> {
/// let agents = AgentSet::new("Assistant".to_string())
///     .agent(Agent::named("Assistant").instructions("You are a helpful assistant."));
/// let durable = DurableWorkflow::new("Assistant", Gateway::from_env()?, agents)?;
/// // Then: restate deployments register http://127.0.0.1:9080
/// //       curl localhost:8080/Assistant/ticket-1/run --json '{"input": "Hello"}'
/// durable.serve("127.0.0.1:9080".parse().unwrap()).await;
/// # Ok(()) }
/// ```
pub struct DurableWorkflow<K: AgentKey, C = ()> {
    served: Served<K, C>,
}

struct Served<K: AgentKey, C> {
    name: String,
    gateway: Gateway,
    agents: AgentSet<K, C>,
    context: C,
    runner: Runner,
}

impl<K: AgentKey> DurableWorkflow<K, ()> {
    /// Serves `agents` as the Restate service `name`, asking `gateway`.
    ///
    /// `name` must be a valid Restate service name (letters, digits and `_`,
    /// not starting with a digit); the agent set must be consistent.
    pub fn new(
        name: impl Into<String>,
        gateway: Gateway,
        agents: AgentSet<K>,
    ) -> Result<Self, Error> {
        Self::with_context(name, gateway, agents, ())
    }
}

impl<K: AgentKey, C: Send + Sync + 'static> DurableWorkflow<K, C> {
    /// Serves agents whose tools read `context` (the application's state),
    /// shared by every run.
    pub fn with_context(
        name: impl Into<String>,
        gateway: Gateway,
        agents: AgentSet<K, C>,
        context: C,
    ) -> Result<Self, Error> {
        let name = name.into();
        check_service_name(&name)?;
        Ok(Self {
            served: Served {
                name,
                gateway,
                agents,
                context,
                runner: Runner::new(),
            },
        })
    }

    /// The Restate service name.
    pub fn name(&self) -> &str {
        &self.served.name
    }

    /// An endpoint serving this workflow alone (bind more services with
    /// `Endpoint::builder().bind(..)` yourself).
    pub fn endpoint(self) -> Endpoint {
        Endpoint::builder().bind(self).build()
    }

    /// Serves the workflow over HTTP/2 on `addr` until Ctrl-C; register
    /// `http://<addr>` with Restate (`restate deployments register`, or
    /// `POST /deployments` on the admin API).
    pub async fn serve(self, addr: SocketAddr) {
        HttpServer::new(self.endpoint())
            .listen_and_serve(addr)
            .await;
    }
}

impl<K: AgentKey, C: Send + Sync + 'static> Served<K, C> {
    async fn run(
        &self,
        ctx: WorkflowContext<'_>,
        request: RunRequest,
    ) -> HandlerResult<Json<RunOutput>> {
        // The same input and journal end the same way: retrying would not help.
        let terminal = |error: Error| TerminalError::new(error.to_string());
        let journal = RestateJournal::new(&ctx);
        let (gateway, agents, context) = (&self.gateway, &self.agents, &self.context);
        let mut outcome = self
            .runner
            .run_journaled(gateway, agents, request.input, context, &journal)
            .await
            .map_err(terminal)?;
        let result = loop {
            match outcome {
                RunOutcome::Completed(result) => break result,
                RunOutcome::Interrupted(mut state) => {
                    approval::decide(&ctx, &mut state).await?;
                    outcome = self
                        .runner
                        .resume_journaled(gateway, agents, state, context, &journal)
                        .await
                        .map_err(terminal)?;
                }
            }
        };
        let history = result.to_input_list();
        Ok(Json(RunOutput {
            run_id: ctx.invocation_id().to_string(),
            final_output: result.final_output,
            output_value: result.output_value,
            last_agent: result.last_agent_name,
            usage: result.usage,
            history,
        }))
    }
}

fn check_service_name(name: &str) -> Result<(), Error> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid && discovery::ServiceName::try_from(name.to_string()).is_ok() {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{name:?} is not a Restate service name: use letters, digits and _, starting with a \
             letter (e.g. \"Support\")"
        )))
    }
}

/// Dispatches Restate's requests to the served workflow (what Restate's
/// service macros generate, with the name chosen at run time).
struct Dispatcher<K: AgentKey, C>(Arc<Served<K, C>>);

impl<K: AgentKey, C: Send + Sync + 'static> Service for Dispatcher<K, C> {
    type Future = macro_support::ServiceBoxFuture;

    fn handle(&self, ctx: ContextInternal) -> Self::Future {
        let served = Arc::clone(&self.0);
        Box::pin(async move {
            match ctx.handler_name() {
                RUN_HANDLER => {
                    let (Json(request), metadata) = ctx.input::<Json<RunRequest>>().await;
                    let result = served.run((&ctx, metadata).into(), request).await;
                    ctx.handle_handler_result(result);
                    ctx.end();
                    Ok(())
                }
                PENDING_HANDLER => {
                    let (_, metadata) = ctx.input::<()>().await;
                    let shared: SharedWorkflowContext<'_> = (&ctx, metadata).into();
                    let pending = shared
                        .get::<Json<Vec<PendingApproval>>>(PENDING_STATE)
                        .await
                        .map(|pending| pending.unwrap_or_default())
                        .map_err(HandlerError::from);
                    ctx.handle_handler_result(pending);
                    ctx.end();
                    Ok(())
                }
                _ => Err(endpoint::Error::unknown_handler(
                    ctx.service_name(),
                    ctx.handler_name(),
                )),
            }
        })
    }
}

impl<K: AgentKey, C: Send + Sync + 'static> IntoServiceDefinition for DurableWorkflow<K, C> {
    fn into_service_definition(self) -> ServiceDefinition {
        let discovery = discovery_of(&self.served.name);
        macro_support::service_definition(Dispatcher(Arc::new(self.served)), discovery)
    }
}

fn discovery_of(name: &str) -> discovery::Service {
    discovery::Service {
        ty: discovery::ServiceType::Workflow,
        name: discovery::ServiceName::try_from(name.to_string())
            .expect("checked by DurableWorkflow::with_context"),
        handlers: vec![discovery::Handler {
            name: discovery::HandlerName::try_from(RUN_HANDLER).expect("a valid handler name"),
            input: Some(discovery::InputPayload::from_metadata::<Json<RunRequest>>()),
            output: Some(discovery::OutputPayload::from_metadata::<Json<RunOutput>>()),
            ty: Some(discovery::HandlerType::Workflow),
            documentation: Some(
                "Runs the agents on the input; the run id is the invocation id.".to_string(),
            ),
            metadata: Default::default(),
            abort_timeout: None,
            inactivity_timeout: None,
            journal_retention: None,
            idempotency_retention: None,
            workflow_completion_retention: None,
            enable_lazy_state: None,
            ingress_private: None,
            retry_policy_initial_interval: None,
            retry_policy_max_interval: None,
            retry_policy_max_attempts: None,
            retry_policy_exponentiation_factor: None,
            retry_policy_on_max_attempts: None,
        }, discovery::Handler {
            name: discovery::HandlerName::try_from(PENDING_HANDLER).expect("a valid handler name"),
            input: Some(discovery::InputPayload::empty()),
            output: Some(discovery::OutputPayload::from_metadata::<Json<Vec<PendingApproval>>>()),
            ty: Some(discovery::HandlerType::Shared),
            documentation: Some("The tool calls the run waits to have approved, with the awakeable to resolve for each.".to_string()),
            metadata: Default::default(),
            abort_timeout: None,
            inactivity_timeout: None,
            journal_retention: None,
            idempotency_retention: None,
            workflow_completion_retention: None,
            enable_lazy_state: None,
            ingress_private: None,
            retry_policy_initial_interval: None,
            retry_policy_max_interval: None,
            retry_policy_max_attempts: None,
            retry_policy_exponentiation_factor: None,
            retry_policy_on_max_attempts: None,
        }],
        documentation: Some("Agents served by respan-restate.".to_string()),
        metadata: Default::default(),
        abort_timeout: None,
        inactivity_timeout: None,
        journal_retention: None,
        idempotency_retention: None,
        enable_lazy_state: None,
        ingress_private: None,
        retry_policy_initial_interval: None,
        retry_policy_max_interval: None,
        retry_policy_max_attempts: None,
        retry_policy_exponentiation_factor: None,
        retry_policy_on_max_attempts: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_name_restate_rejects_is_a_config_error_that_says_what_to_use() {
        for bad in [
            "",
            "9lives",
            "support tools",
            "Support-Tools",
            "Support/Tools",
        ] {
            let error = check_service_name(bad).expect_err(bad);
            assert!(matches!(error, Error::Config(_)), "{bad}: {error:?}");
            assert!(error.to_string().contains("e.g. \"Support\""), "{error}");
        }
        for good in ["Support", "SupportTools", "support_tools", "_Agents2"] {
            check_service_name(good).expect(good);
        }
    }

    #[test]
    fn a_run_request_is_a_message_or_a_conversation_and_nothing_else() {
        let text: RunRequest = serde_json::from_str(r#"{"input": "Hello"}"#).unwrap();
        assert_eq!(Input::from(text.input), Input::Text("Hello".into()));
        let items: RunRequest = serde_json::from_str(
            r#"{"input": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}"#,
        )
        .unwrap();
        assert_eq!(
            Input::from(items.input),
            Input::Items(vec![InputItem::user("Hi"), InputItem::assistant("Hello")])
        );
        for bad in [
            r#"{}"#,
            r#"{"input": 3}"#,
            r#"{"input": "Hi", "max_turns": 2}"#,
        ] {
            assert!(serde_json::from_str::<RunRequest>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_discovery_names_the_workflow_and_its_two_handlers() {
        let service = discovery_of("SupportTools");
        assert_eq!(service.name.to_string(), "SupportTools");
        assert!(matches!(service.ty, discovery::ServiceType::Workflow));
        let handlers: Vec<(String, Option<discovery::HandlerType>)> = service
            .handlers
            .iter()
            .map(|h| (h.name.to_string(), h.ty))
            .collect();
        assert_eq!(
            handlers,
            [
                (
                    RUN_HANDLER.to_string(),
                    Some(discovery::HandlerType::Workflow)
                ),
                (
                    PENDING_HANDLER.to_string(),
                    Some(discovery::HandlerType::Shared)
                ),
            ]
        );
    }
}
