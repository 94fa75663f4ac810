//! The spans of a run, through the `tracing` crate: the run, each agent's turns,
//! each generation (model request), each handoff and each tool call.
//!
//! Attribute names follow the OpenTelemetry GenAI conventions (`gen_ai.*`) and
//! the names Respan's own tracing packages use (`respan.*`, `traceloop.*`), so an
//! exporter (feature `otel`, see `telemetry`) sends a run Respan shows like a
//! Python one. Without a subscriber every span is disabled and none of its
//! fields is computed; prompts, outputs and tool arguments are recorded only
//! when content recording is on ([`TraceContext::record_content`],
//! [`set_record_content`]).

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tracing::Span;
use tracing::field::Empty;

use crate::error::Error;
use crate::items::{FunctionCall, InputItem, ModelResponse};
use crate::result::RunOutcome;
use crate::usage::Usage;
use crate::wire::ChatRequest;

/// The `tracing` target of every span of a run.
pub const TRACE_TARGET: &str = "respan";

/// Whether runs without their own setting record prompts, outputs and tool
/// arguments in their spans (off by default: they can hold personal data).
static RECORD_CONTENT: AtomicBool = AtomicBool::new(false);

/// Turns recording of prompts, outputs and tool arguments/results in spans on
/// or off for every run that does not decide itself
/// ([`TraceContext::record_content`]). Off by default. `respan`'s
/// `init_from_env` sets it from `RESPAN_TRACE_CONTENT=1`.
pub fn set_record_content(on: bool) {
    RECORD_CONTENT.store(on, Ordering::Relaxed);
}

/// Whether content recording is on for runs that do not decide themselves.
pub fn record_content() -> bool {
    RECORD_CONTENT.load(Ordering::Relaxed)
}

/// What every span of a run carries besides its own fields: a trace group, a
/// session, a thread, a customer and free metadata, with Respan's attribute
/// names (`respan.trace.trace_group_identifier`, `respan.sessions.session_identifier`,
/// `respan.threads.thread_identifier`, `respan.customer_params.customer_identifier`,
/// `respan.metadata.<key>`). Given to a run with [`Runner::trace`](crate::Runner::trace).
///
/// ```
/// use respan_runtime::{Runner, TraceContext};
/// let runner = Runner::new().trace(
///     TraceContext::new()
///         .session_id("chat-42")
///         .customer_id("acme")
///         .metadata("plan", "pro"),
/// );
/// # let _ = runner;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceContext {
    trace_group: Option<String>,
    session_id: Option<String>,
    thread_id: Option<String>,
    customer_id: Option<String>,
    metadata: Vec<(String, Value)>,
    record_content: Option<bool>,
}

impl TraceContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// The trace group (`respan.trace.trace_group_identifier`): runs that belong together.
    pub fn trace_group(mut self, id: impl Into<String>) -> Self {
        self.trace_group = Some(id.into());
        self
    }

    /// The session (`respan.sessions.session_identifier`).
    pub fn session_id(mut self, id: impl Into<String>) -> Self {
        self.session_id = Some(id.into());
        self
    }

    /// The conversation thread (`respan.threads.thread_identifier`).
    pub fn thread_id(mut self, id: impl Into<String>) -> Self {
        self.thread_id = Some(id.into());
        self
    }

    /// The customer (`respan.customer_params.customer_identifier`).
    pub fn customer_id(mut self, id: impl Into<String>) -> Self {
        self.customer_id = Some(id.into());
        self
    }

    /// A metadata entry (`respan.metadata.<key>`): strings, numbers and booleans
    /// as they are, anything else as JSON text. Exported with the `otel` feature
    /// (a `tracing` field name cannot be chosen at run time).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// Records (or not) prompts, outputs and tool arguments/results in this
    /// run's spans, whatever [`set_record_content`] says.
    pub fn record_content(mut self, on: bool) -> Self {
        self.record_content = Some(on);
        self
    }

    /// The metadata entries, in the order given.
    pub fn metadata_entries(&self) -> &[(String, Value)] {
        &self.metadata
    }
}

/// A span of a run with the fields every such span has; `$kind` is Respan's
/// log type, `$span_kind` traceloop's span kind.
macro_rules! run_span {
    ($parent:expr, $name:literal, $otel_name:expr, $kind:literal, $span_kind:literal $(, $($field:tt)*)?) => {
        tracing::info_span!(
            target: "respan",
            parent: $parent,
            $name,
            "otel.name" = %$otel_name,
            "respan.entity.log_type" = $kind,
            "traceloop.span.kind" = $span_kind,
            "traceloop.workflow.name" = Empty,
            "respan.trace.trace_group_identifier" = Empty,
            "respan.sessions.session_identifier" = Empty,
            "respan.threads.thread_identifier" = Empty,
            "respan.customer_params.customer_identifier" = Empty,
            "otel.status_code" = Empty,
            "otel.status_message" = Empty,
            "error.type" = Empty,
            $($($field)*)?
        )
    };
}

/// The spans of one run in progress.
pub(crate) struct RunTrace<'a> {
    workflow: &'a str,
    context: Option<&'a TraceContext>,
    content: bool,
    run: Span,
    agent: Span,
}

impl<'a> RunTrace<'a> {
    /// What the run's spans carry (a nested run's carry the same).
    pub(crate) fn context(&self) -> Option<&'a TraceContext> {
        self.context
    }

    /// Opens the run's span (`<workflow>.workflow`).
    pub(crate) fn start(workflow: &'a str, context: Option<&'a TraceContext>) -> Self {
        let content = context
            .and_then(|c| c.record_content)
            .unwrap_or_else(record_content);
        // A child of the application's current span, if any (e.g. its request's).
        let run = run_span!(
            &Span::current(),
            "run",
            format_args!("{workflow}.workflow"),
            "workflow",
            "workflow",
            "traceloop.entity.name" = workflow,
            "gen_ai.agent.name" = Empty,
            "gen_ai.usage.input_tokens" = Empty,
            "gen_ai.usage.output_tokens" = Empty,
            "llm.usage.total_tokens" = Empty,
            "respan.usage.requests" = Empty,
            "respan.run.interrupted" = Empty,
            "traceloop.entity.input" = Empty,
            "traceloop.entity.output" = Empty,
        );
        let this = Self {
            workflow,
            context,
            content,
            run,
            agent: Span::none(),
        };
        this.inherit(&this.run);
        this
    }

    /// The run's input (the conversation it starts from), when content is recorded.
    pub(crate) fn input(&self, input: &[InputItem]) {
        if self.content && !self.run.is_disabled() {
            self.run
                .record("traceloop.entity.input", json_text(&input).as_str());
        }
    }

    /// Starts the span of `agent`'s turns (`<agent>.agent`), ending the previous agent's.
    pub(crate) fn agent(&mut self, agent: &str) {
        // The previous agent's span ends before the next one starts.
        self.agent = Span::none();
        let span = run_span!(
            &self.run,
            "agent",
            format_args!("{agent}.agent"),
            "agent",
            "agent",
            "traceloop.entity.name" = agent,
            "gen_ai.agent.name" = agent,
            "gen_ai.operation.name" = "invoke_agent",
        );
        self.inherit(&span);
        self.agent = span;
    }

    /// The span of one model request (`chat <model>`), a child of the agent's.
    /// `settings` are the agent's fixed body fields (the request sends them pre-serialized).
    pub(crate) fn generation(
        &self,
        agent: &str,
        body: &ChatRequest<'_>,
        settings: &serde_json::Map<String, Value>,
    ) -> Span {
        let span = run_span!(
            &self.agent,
            "generation",
            format_args!("chat {}", body.model),
            "chat",
            "task",
            "llm.request.type" = "chat",
            "gen_ai.operation.name" = "chat",
            "gen_ai.agent.name" = agent,
            "gen_ai.request.model" = body.model,
            "gen_ai.request.temperature" = Empty,
            "gen_ai.request.top_p" = Empty,
            "gen_ai.request.max_tokens" = Empty,
            "llm.is_streaming" = body.stream,
            "gen_ai.response.model" = Empty,
            "gen_ai.response.id" = Empty,
            "gen_ai.response.finish_reasons" = Empty,
            "gen_ai.usage.input_tokens" = Empty,
            "gen_ai.usage.output_tokens" = Empty,
            "llm.usage.total_tokens" = Empty,
            "respan.gateway.log_id" = Empty,
            "http.request.resend_count" = Empty,
            "traceloop.entity.input" = Empty,
            "traceloop.entity.output" = Empty,
        );
        if span.is_disabled() {
            return span;
        }
        self.inherit(&span);
        let setting = |key: &str| settings.get(key).and_then(Value::as_f64);
        if let Some(t) = setting("temperature") {
            span.record("gen_ai.request.temperature", t);
        }
        if let Some(p) = setting("top_p") {
            span.record("gen_ai.request.top_p", p);
        }
        if let Some(n) = settings
            .get("max_completion_tokens")
            .or_else(|| settings.get("max_tokens"))
            .and_then(Value::as_u64)
        {
            span.record("gen_ai.request.max_tokens", int(n));
        }
        if self.content {
            span.record("traceloop.entity.input", json_text(&body.messages).as_str());
        }
        span
    }

    /// Records what a model request returned on its span, and ends it.
    pub(crate) fn generation_done(&self, span: Span, response: &Result<ModelResponse, Error>) {
        if span.is_disabled() {
            return;
        }
        match response {
            Ok(response) => {
                if let Some(model) = &response.model {
                    span.record("gen_ai.response.model", model.as_str());
                }
                if let Some(id) = &response.id {
                    span.record("gen_ai.response.id", id.as_str());
                }
                if let Some(reason) = &response.finish_reason {
                    span.record("gen_ai.response.finish_reasons", reason.as_str());
                }
                record_usage(&span, &response.usage);
                if self.content {
                    span.record(
                        "traceloop.entity.output",
                        json_text(&response.message).as_str(),
                    );
                }
            }
            Err(error) => {
                record_error(&span, error);
                if let Some(log_id) = error.log_id() {
                    span.record("respan.gateway.log_id", log_id);
                }
                if let Some(attempts) = error.attempts() {
                    span.record(
                        "http.request.resend_count",
                        int(attempts.saturating_sub(1).into()),
                    );
                }
            }
        }
    }

    /// A handoff from one agent to another: a span under the agent handing off.
    pub(crate) fn handoff(&self, from: &str, to: &str) {
        let span = run_span!(
            &self.agent,
            "handoff",
            format_args!("{from} → {to}.handoff"),
            "handoff",
            "task",
            "traceloop.entity.name" = "handoff",
            "respan.metadata.from_agent" = from,
            "respan.metadata.to_agent" = to,
        );
        self.inherit(&span);
    }

    /// The span of one tool call (`<tool>.tool`), a child of the agent's.
    pub(crate) fn tool(&self, call: &FunctionCall, call_id: &str) -> Span {
        let span = run_span!(
            &self.agent,
            "tool",
            format_args!("{}.tool", call.name),
            "tool",
            "tool",
            "traceloop.entity.name" = call.name.as_str(),
            "gen_ai.operation.name" = "execute_tool",
            "gen_ai.tool.name" = call.name.as_str(),
            "gen_ai.tool.call.id" = call_id,
            "respan.tool.outcome" = Empty,
            "gen_ai.tool.call.arguments" = Empty,
            "gen_ai.tool.call.result" = Empty,
        );
        if span.is_disabled() {
            return span;
        }
        self.inherit(&span);
        if self.content {
            span.record("gen_ai.tool.call.arguments", call.arguments.as_str());
        }
        span
    }

    /// Records a tool's result (the text the model sees) when content is recorded.
    pub(crate) fn tool_done(&self, span: &Span, output: &str) {
        if self.content && !span.is_disabled() {
            span.record("gen_ai.tool.call.result", output);
        }
    }

    /// Closes the run: its last agent, usage and output, or its error. A run
    /// stopped for approval ends its span too; its resumption is another run.
    pub(crate) fn finish<K>(self, outcome: &Result<RunOutcome<K>, Error>) {
        if self.run.is_disabled() {
            return;
        }
        match outcome {
            Ok(RunOutcome::Completed(result)) => {
                self.run
                    .record("gen_ai.agent.name", result.last_agent_name.as_str());
                record_usage(&self.run, &result.usage);
                self.run
                    .record("respan.usage.requests", int(result.usage.requests.into()));
                if self.content {
                    self.run
                        .record("traceloop.entity.output", result.final_output.as_str());
                }
            }
            Ok(RunOutcome::Interrupted(_)) => {
                self.run.record("respan.run.interrupted", true);
            }
            Err(error) => record_error(&self.run, error),
        }
    }

    /// The fields every span of the run inherits.
    fn inherit(&self, span: &Span) {
        if span.is_disabled() {
            return;
        }
        span.record("traceloop.workflow.name", self.workflow);
        let Some(context) = self.context else {
            return;
        };
        let fields = [
            ("respan.trace.trace_group_identifier", &context.trace_group),
            ("respan.sessions.session_identifier", &context.session_id),
            ("respan.threads.thread_identifier", &context.thread_id),
            (
                "respan.customer_params.customer_identifier",
                &context.customer_id,
            ),
        ];
        for (field, value) in fields {
            if let Some(value) = value {
                span.record(field, value.as_str());
            }
        }
        #[cfg(feature = "otel")]
        crate::telemetry::set_metadata(span, &context.metadata);
    }
}

/// A tool's outcome (`ok`, `error`, `timeout`, `panic`, `invalid_arguments`) on
/// the current span, the tool's while it runs.
pub(crate) fn tool_outcome(outcome: &'static str) {
    let span = Span::current();
    if !span.is_disabled() {
        span.record("respan.tool.outcome", outcome);
        if outcome != "ok" {
            span.record("otel.status_code", "ERROR");
            span.record("otel.status_message", outcome);
        }
    }
}

/// What the transport learnt of a model request, on the current span (the
/// generation's while it runs): the gateway's log id and the retries made.
pub(crate) fn exchange(log_id: Option<&str>, attempts: u32) {
    let span = Span::current();
    if span.is_disabled() {
        return;
    }
    if let Some(log_id) = log_id {
        span.record("respan.gateway.log_id", log_id);
    }
    span.record(
        "http.request.resend_count",
        int(attempts.saturating_sub(1).into()),
    );
}

fn record_usage(span: &Span, usage: &Usage) {
    span.record("gen_ai.usage.input_tokens", int(usage.input_tokens));
    span.record("gen_ai.usage.output_tokens", int(usage.output_tokens));
    span.record("llm.usage.total_tokens", int(usage.total_tokens));
}

/// Counts as `i64`: OpenTelemetry has no unsigned integers, and
/// tracing-opentelemetry turns a `u64` field into text.
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn record_error(span: &Span, error: &Error) {
    span.record("otel.status_code", "ERROR");
    // Errors never carry the key (the gateway's text is redacted before here).
    span.record("otel.status_message", error.to_string().as_str());
    span.record("error.type", error_type(error));
}

/// A short, stable name for the kind of error (OpenTelemetry's `error.type`).
fn error_type(error: &Error) -> &'static str {
    #[allow(unreachable_patterns)] // variants added later are named "Error" until listed
    match error {
        Error::MissingApiKey => "MissingApiKey",
        Error::Config(_) => "Config",
        Error::Http { .. } => "Http",
        Error::RateLimited { .. } => "RateLimited",
        Error::Timeout { .. } => "Timeout",
        Error::Connection { .. } => "Connection",
        Error::MalformedResponse(_) => "MalformedResponse",
        Error::StreamTruncated { .. } => "StreamTruncated",
        Error::StreamStalled { .. } => "StreamStalled",
        Error::MaxTurnsExceeded { .. } => "MaxTurnsExceeded",
        Error::ResponseTooLarge { .. } => "ResponseTooLarge",
        Error::ModelBehavior(_) => "ModelBehavior",
        Error::Template { .. } => "Template",
        Error::AgentSet(_) => "AgentSet",
        Error::InvalidOutput { .. } => "InvalidOutput",
        Error::ApprovalRequired { .. } => "ApprovalRequired",
        Error::RunState(_) => "RunState",
        _ => "Error",
    }
}

fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
