//! Tracing: the spans of runs exported over OTLP/HTTP JSON to a fake trace
//! endpoint on 127.0.0.1, decoded with `opentelemetry-proto`'s serde types.
//!
//! Each test installs the export as its thread's subscriber (`set_default`), so
//! tests do not see each other's spans; runs use current-thread runtimes.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use respan_offline::testing::{FAKE_API_KEY, FakeGateway, FakeResponse};
use respan_runtime::telemetry::{ExportStats, TraceExport, TracingGuard};
use respan_runtime::{Agent, AgentSet, Runner, TraceContext};
use tracing_subscriber::layer::SubscriberExt as _;

/// One request the fake trace endpoint received.
struct Received {
    headers: hyper::HeaderMap,
    raw: String,
    body: ExportTraceServiceRequest,
}

/// A fake OTLP/HTTP trace endpoint: records each request, answers after `delay`.
struct Collector {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Collector {
    async fn start(delay: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        // Its own thread and runtime: it must answer while a test's runtime is
        // blocked flushing the export.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let listener = runtime.block_on(async {
                tokio::net::TcpListener::from_std(listener.into_std().expect("std"))
            });
            let listener = listener.expect("listener");
            runtime.block_on(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let store = store.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(
                            move |request: hyper::Request<hyper::body::Incoming>| {
                                let store = store.clone();
                                async move {
                                    let (parts, body) = request.into_parts();
                                    let bytes = body
                                        .collect()
                                        .await
                                        .map(|b| b.to_bytes())
                                        .unwrap_or_default();
                                    let raw = String::from_utf8_lossy(&bytes).into_owned();
                                    let body: ExportTraceServiceRequest =
                                        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                                            panic!("not OTLP JSON ({e}): {raw}")
                                        });
                                    tokio::time::sleep(delay).await;
                                    store.lock().unwrap().push(Received {
                                        headers: parts.headers,
                                        raw,
                                        body,
                                    });
                                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                                        Full::new(Bytes::from_static(b"{}")),
                                    ))
                                }
                            },
                        );
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, service)
                            .await;
                    });
                }
            });
        });
        Self { addr, received }
    }

    /// Respan's base URL on this endpoint (spans go to `{base}/v2/traces`).
    fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    fn requests(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// Every span received, in order.
    fn spans(&self) -> Vec<Span> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|r| &r.body.resource_spans)
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| ss.spans.clone())
            .collect()
    }
}

/// An export to Respan at `base_url`, installed for this thread until the
/// returned guards drop.
fn install(export: TraceExport) -> (TracingGuard, tracing::subscriber::DefaultGuard) {
    let (layer, guard) = export.build().expect("export");
    let subscriber = tracing_subscriber::registry().with(layer);
    (guard, tracing::subscriber::set_default(subscriber))
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a Any> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn text<'a>(span: &'a Span, key: &str) -> &'a str {
    match attr(span, key) {
        Some(Any::StringValue(s)) => s,
        other => panic!("{}: {key} is {other:?}", span.name),
    }
}

fn int(span: &Span, key: &str) -> i64 {
    match attr(span, key) {
        Some(Any::IntValue(i)) => *i,
        other => panic!("{}: {key} is {other:?}", span.name),
    }
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found = named(spans, name);
    assert_eq!(found.len(), 1, "one {name:?} in {:?}", names(spans));
    found[0]
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

/// The guide's support agents, named as a generated workflow names them.
fn support() -> AgentSet {
    common::support_agents().workflow_name("support")
}

#[tokio::test]
async fn the_support_run_is_one_trace_run_triage_handoff_technical() {
    let collector = Collector::start(Duration::ZERO).await;
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    fake.push(
        FakeResponse::tool_calls([("transfer_to_technical_agent", "{}")])
            .usage(31, 7)
            .header("x-respan-log-id", "log-triage-1"),
    );
    fake.push(
        FakeResponse::text("Check your API key.")
            .usage(52, 11)
            .header("x-respan-log-id", "log-technical-2"),
    );
    let (guard, _default) = install(TraceExport::respan(
        &collector.base_url(),
        Some("sk-trace-secret".into()),
    ));
    let runner = Runner::new().trace(
        TraceContext::new()
            .trace_group("group-7")
            .session_id("session-3")
            .customer_id("acme")
            .metadata("plan", "pro")
            .metadata("seats", 12),
    );
    let result = runner
        .run(
            &gateway,
            &support(),
            "I'm having trouble connecting to the API.",
        )
        .await
        .expect("run");
    assert_eq!(result.last_agent, "Technical Agent");
    let stats = guard.shutdown();

    let spans = collector.spans();
    assert_eq!(
        stats,
        ExportStats {
            ended: 6,
            exported: 6,
            failed: 0,
            dropped: 0
        }
    );
    // One trace.
    assert!(spans.iter().all(|s| s.trace_id == spans[0].trace_id));
    let run = one(&spans, "support.workflow");
    let triage = one(&spans, "Triage Agent.agent");
    let technical = one(&spans, "Technical Agent.agent");
    let handoff = one(&spans, "Triage Agent → Technical Agent.handoff");
    let generations = named(&spans, "chat gpt-4o");
    assert_eq!(generations.len(), 2, "{:?}", names(&spans));
    let (first, second) =
        if generations[0].start_time_unix_nano <= generations[1].start_time_unix_nano {
            (generations[0], generations[1])
        } else {
            (generations[1], generations[0])
        };

    // The tree: run → triage → (generation, handoff); run → technical → generation.
    assert!(run.parent_span_id.is_empty());
    assert_eq!(triage.parent_span_id, run.span_id);
    assert_eq!(technical.parent_span_id, run.span_id);
    assert_eq!(first.parent_span_id, triage.span_id);
    assert_eq!(handoff.parent_span_id, triage.span_id);
    assert_eq!(second.parent_span_id, technical.span_id);
    // ... in that order.
    assert!(first.end_time_unix_nano <= handoff.start_time_unix_nano);
    assert!(handoff.start_time_unix_nano <= technical.start_time_unix_nano);
    assert!(triage.end_time_unix_nano <= technical.start_time_unix_nano);

    // Respan's and GenAI's attribute names.
    assert_eq!(text(run, "respan.entity.log_type"), "workflow");
    assert_eq!(text(run, "traceloop.span.kind"), "workflow");
    assert_eq!(text(run, "traceloop.entity.name"), "support");
    assert_eq!(text(run, "gen_ai.agent.name"), "Technical Agent");
    assert_eq!(int(run, "gen_ai.usage.input_tokens"), 83);
    assert_eq!(int(run, "gen_ai.usage.output_tokens"), 18);
    assert_eq!(int(run, "llm.usage.total_tokens"), 101);
    assert_eq!(text(triage, "respan.entity.log_type"), "agent");
    assert_eq!(text(triage, "traceloop.span.kind"), "agent");
    assert_eq!(text(triage, "gen_ai.agent.name"), "Triage Agent");
    assert_eq!(text(first, "respan.entity.log_type"), "chat");
    assert_eq!(text(first, "llm.request.type"), "chat");
    assert_eq!(text(first, "gen_ai.operation.name"), "chat");
    assert_eq!(text(first, "gen_ai.request.model"), "gpt-4o");
    assert_eq!(text(first, "gen_ai.response.model"), "gpt-4o");
    assert_eq!(text(first, "gen_ai.response.finish_reasons"), "tool_calls");
    assert_eq!(int(first, "gen_ai.usage.input_tokens"), 31);
    assert_eq!(int(first, "gen_ai.usage.output_tokens"), 7);
    assert_eq!(int(first, "llm.usage.total_tokens"), 38);
    assert_eq!(text(first, "respan.gateway.log_id"), "log-triage-1");
    assert_eq!(int(first, "http.request.resend_count"), 0);
    assert_eq!(text(second, "respan.gateway.log_id"), "log-technical-2");
    assert_eq!(int(second, "gen_ai.usage.input_tokens"), 52);
    assert_eq!(text(second, "gen_ai.agent.name"), "Technical Agent");
    assert_eq!(text(handoff, "respan.entity.log_type"), "handoff");
    assert_eq!(text(handoff, "respan.metadata.from_agent"), "Triage Agent");
    assert_eq!(text(handoff, "respan.metadata.to_agent"), "Technical Agent");

    // Every span inherits the workflow name and the run's context.
    for span in &spans {
        assert_eq!(text(span, "traceloop.workflow.name"), "support");
        assert_eq!(text(span, "respan.trace.trace_group_identifier"), "group-7");
        assert_eq!(
            text(span, "respan.sessions.session_identifier"),
            "session-3"
        );
        assert_eq!(
            text(span, "respan.customer_params.customer_identifier"),
            "acme"
        );
        assert_eq!(text(span, "respan.metadata.plan"), "pro");
        assert_eq!(int(span, "respan.metadata.seats"), 12);
        // Content is recorded only on request.
        assert!(attr(span, "traceloop.entity.input").is_none());
        assert!(attr(span, "traceloop.entity.output").is_none());
    }

    // The resource names the service; the key is only in the Authorization header.
    let received = collector.received.lock().unwrap();
    let resource = received[0].body.resource_spans[0]
        .resource
        .as_ref()
        .unwrap();
    assert!(resource.attributes.iter().any(|kv| kv.key == "service.name"
        && matches!(kv.value.as_ref().and_then(|v| v.value.as_ref()), Some(Any::StringValue(s)) if s == "respan")));
    for request in received.iter() {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            "Bearer sk-trace-secret"
        );
        assert_eq!(
            request.headers.get("content-type").unwrap(),
            "application/json"
        );
        assert!(!request.raw.contains("sk-trace-secret"));
        assert!(!request.raw.contains(FAKE_API_KEY));
    }
}

/// A tool that looks the weather up, and one that fails.
fn weather_agents() -> AgentSet {
    let broken = respan_runtime::FunctionTool::sync(
        "broken",
        "Always fails.",
        serde_json::json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
        |_| Err(respan_runtime::ToolError::new("out of order")),
    );
    AgentSet::new("Weather".to_string()).agent(
        Agent::named("Weather")
            .instructions("Answer with the weather.")
            .tool(common::get_weather())
            .tool(broken),
    )
}

#[tokio::test]
async fn tool_calls_are_spans_with_their_outcome_and_content_only_on_request() {
    let collector = Collector::start(Duration::ZERO).await;
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    let (guard, _default) = install(TraceExport::respan(&collector.base_url(), None));
    for record in [false, true] {
        fake.push(FakeResponse::tool_calls([
            ("get_weather", r#"{"city": "Paris"}"#),
            ("broken", "{}"),
        ]));
        fake.push_text("Sunny.");
        let runner = Runner::new().trace(TraceContext::new().record_content(record));
        let result = runner
            .run(&gateway, &weather_agents(), "Weather in Paris?")
            .await
            .expect("run");
        assert_eq!(result.final_output, "Sunny.");
    }
    guard.shutdown();

    let spans = collector.spans();
    let agent = named(&spans, "Weather.agent");
    let weather = named(&spans, "get_weather.tool");
    let broken = named(&spans, "broken.tool");
    assert_eq!((agent.len(), weather.len(), broken.len()), (2, 2, 2));
    for (i, record) in [false, true].into_iter().enumerate() {
        let (agent, weather, broken) = (agent[i], weather[i], broken[i]);
        assert_eq!(weather.parent_span_id, agent.span_id);
        assert_eq!(broken.parent_span_id, agent.span_id);
        assert_eq!(text(weather, "respan.entity.log_type"), "tool");
        assert_eq!(text(weather, "traceloop.span.kind"), "tool");
        assert_eq!(text(weather, "gen_ai.tool.name"), "get_weather");
        assert_eq!(text(weather, "gen_ai.tool.call.id"), "call_0");
        assert_eq!(text(weather, "respan.tool.outcome"), "ok");
        assert_eq!(text(broken, "respan.tool.outcome"), "error");
        let status = broken.status.as_ref().expect("status");
        assert_eq!(status.code, 2, "ERROR"); // STATUS_CODE_ERROR
        assert!(weather.end_time_unix_nano >= weather.start_time_unix_nano);
        if record {
            assert_eq!(
                text(weather, "gen_ai.tool.call.arguments"),
                r#"{"city": "Paris"}"#
            );
            assert_eq!(text(weather, "gen_ai.tool.call.result"), "Sunny in Paris");
        } else {
            assert!(attr(weather, "gen_ai.tool.call.arguments").is_none());
            assert!(attr(weather, "gen_ai.tool.call.result").is_none());
        }
    }
    // With content: the generation's messages and answer, the run's input and output.
    let runs = named(&spans, "Weather.workflow");
    assert!(attr(runs[0], "traceloop.entity.input").is_none());
    assert!(text(runs[1], "traceloop.entity.input").contains("Weather in Paris?"));
    assert_eq!(text(runs[1], "traceloop.entity.output"), "Sunny.");
    let generations = named(&spans, "chat gpt-4o");
    let last = generations.last().unwrap();
    assert!(text(last, "traceloop.entity.input").contains("Answer with the weather."));
    assert!(text(last, "traceloop.entity.output").contains("Sunny."));
}

#[tokio::test]
async fn spans_are_batched_and_flushed_on_shutdown() {
    let collector = Collector::start(Duration::ZERO).await;
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    let (guard, _default) = install(
        TraceExport::respan(&collector.base_url(), None)
            .scheduled_delay(Duration::from_secs(3600))
            .max_export_batch_size(4),
    );
    for _ in 0..3 {
        fake.push(FakeResponse::tool_calls([(
            "transfer_to_billing_agent",
            "{}",
        )]));
        fake.push_text("Refunded.");
        Runner::new()
            .run(&gateway, &support(), "A refund, please.")
            .await
            .expect("run");
    }
    // 3 runs × 6 spans: full batches of 4 go out as they fill; the last 2 wait
    // (the schedule is an hour) until the guard flushes them.
    let stats = guard.flush();
    assert_eq!(stats.ended, 18);
    assert_eq!(stats.exported, 18);
    assert_eq!(collector.spans().len(), 18);
    let sizes: Vec<usize> = collector
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            r.body
                .resource_spans
                .iter()
                .flat_map(|rs| &rs.scope_spans)
                .map(|ss| ss.spans.len())
                .sum()
        })
        .collect();
    assert!(sizes.iter().all(|&n| (1..=4).contains(&n)), "{sizes:?}");
    assert!(sizes.len() >= 5, "{sizes:?}");

    // A run below the batch size is sent only at shutdown.
    let before = collector.requests();
    fake.push_text("Hello.");
    Runner::new()
        .run(&gateway, &support(), "Hi")
        .await
        .expect("run");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(collector.requests(), before, "sent before the batch filled");
    let stats = guard.shutdown();
    assert_eq!((stats.ended, stats.exported, stats.dropped), (21, 21, 0));
    assert_eq!(collector.spans().len(), 21);
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_no_run_and_is_counted() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    let (guard, _default) = install(
        TraceExport::respan(&format!("http://{addr}/api"), Some("sk-x".into()))
            .timeout(Duration::from_millis(500))
            .shutdown_timeout(Duration::from_secs(3)),
    );
    for _ in 0..2 {
        fake.push(FakeResponse::tool_calls([(
            "transfer_to_technical_agent",
            "{}",
        )]));
        fake.push_text("Fixed.");
        let result = Runner::new()
            .run(&gateway, &support(), "It is broken.")
            .await
            .expect("the run does not see the export failing");
        assert_eq!(result.final_output, "Fixed.");
    }
    let stats = guard.shutdown();
    assert_eq!(stats.ended, 12);
    assert_eq!(stats.exported, 0);
    assert_eq!(stats.failed + stats.dropped, 12, "{stats:?}");
    assert!(stats.failed > 0, "{stats:?}");
}

#[tokio::test]
async fn a_slow_endpoint_does_not_hold_runs_and_a_full_queue_drops_and_counts() {
    let collector = Collector::start(Duration::from_secs(2)).await;
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    let (guard, _default) = install(
        TraceExport::respan(&collector.base_url(), None)
            .max_queue_size(4)
            .max_export_batch_size(1)
            .timeout(Duration::from_secs(1))
            .shutdown_timeout(Duration::from_millis(500)),
    );
    // The first span's export waits on the endpoint; the queue (4) fills behind it.
    for _ in 0..5 {
        fake.push(FakeResponse::tool_calls([(
            "transfer_to_technical_agent",
            "{}",
        )]));
        fake.push_text("Fixed.");
        let agents = support();
        let runner = Runner::new();
        let run = runner.run(&gateway, &agents, "It is broken.");
        // A hang guard, not a timing assertion: a run never waits on export.
        let result = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("the run is not held by the export")
            .expect("run");
        assert_eq!(result.final_output, "Fixed.");
    }
    let stats = guard.shutdown();
    assert_eq!(stats.ended, 30);
    assert!(stats.dropped >= 20, "{stats:?}");
    assert_eq!(stats.exported + stats.failed + stats.dropped, 30);
}

#[tokio::test]
async fn streamed_runs_and_failed_generations_are_traced_too() {
    let collector = Collector::start(Duration::ZERO).await;
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake
        .gateway_with(
            respan_runtime::Gateway::builder()
                .max_retries(1)
                .sleeper(respan_runtime::Sleeper::new(|_| Box::pin(async {}))),
        )
        .expect("gateway");
    let (guard, _default) = install(TraceExport::respan(&collector.base_url(), None));
    // Streamed: one retry (a 500), then the answer.
    fake.push(FakeResponse::error(500, "busy"));
    fake.push(FakeResponse::text("Streamed."));
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A"));
    let mut events = Runner::new().run_streamed(&gateway, &agents, "Hi");
    while let Some(event) = events.next_event().await {
        event.expect("event");
    }
    // Refused twice (and so failed): the span says why, without the key.
    fake.push(FakeResponse::error(
        503,
        &format!("echo Bearer {FAKE_API_KEY}"),
    ));
    fake.push(FakeResponse::error(
        503,
        &format!("echo Bearer {FAKE_API_KEY}"),
    ));
    let error = Runner::new()
        .run(&gateway, &agents, "Hi")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    guard.shutdown();

    let spans = collector.spans();
    let generations = named(&spans, "chat gpt-4o");
    assert_eq!(generations.len(), 2);
    let streamed = generations
        .iter()
        .find(|g| matches!(attr(g, "llm.is_streaming"), Some(Any::BoolValue(true))))
        .expect("streamed generation");
    assert_eq!(int(streamed, "http.request.resend_count"), 1);
    assert_eq!(int(streamed, "gen_ai.usage.input_tokens"), 10);
    let failed = generations
        .iter()
        .find(|g| matches!(attr(g, "llm.is_streaming"), Some(Any::BoolValue(false))))
        .expect("failed generation");
    assert_eq!(text(failed, "error.type"), "Http");
    assert_eq!(int(failed, "http.request.resend_count"), 1);
    assert_eq!(failed.status.as_ref().unwrap().code, 2);
    let runs = named(&spans, "A.workflow");
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter()
            .any(|r| r.status.as_ref().is_some_and(|s| s.code == 2))
    );
    let raw: String = collector
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.raw.clone())
        .collect();
    assert!(!raw.contains(FAKE_API_KEY), "the key reached a span");
}

#[tokio::test]
async fn an_agent_tools_run_is_traced_under_its_tool_span() {
    let collector = Collector::start(Duration::ZERO).await;
    let fake = FakeGateway::start().await.expect("fake");
    let gateway = fake.gateway().expect("gateway");
    let (guard, _default) = install(TraceExport::respan(&collector.base_url(), None));
    fake.push(FakeResponse::tool_calls([(
        "research",
        r#"{"input": "Rust"}"#,
    )]));
    fake.push_text("Rust is fast.");
    fake.push_text("Done.");
    let agents =
        AgentSet::new("Manager".to_string())
            .agent(Agent::named("Manager").instructions("m").agent_tool(
                respan_runtime::AgentTool::new("Researcher".to_string()).name("research"),
            ))
            .agent(Agent::named("Researcher").instructions("r"));
    let result = Runner::new()
        .run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "Done.");
    guard.shutdown();

    let spans = collector.spans();
    let outer = one(&spans, "Manager.workflow");
    let manager = one(&spans, "Manager.agent");
    let tool = one(&spans, "research.tool");
    let inner = one(&spans, "Researcher.workflow");
    let researcher = one(&spans, "Researcher.agent");
    assert_eq!(manager.parent_span_id, outer.span_id);
    assert_eq!(tool.parent_span_id, manager.span_id);
    assert_eq!(
        inner.parent_span_id, tool.span_id,
        "the inner run is under the tool span"
    );
    assert_eq!(researcher.parent_span_id, inner.span_id);
    assert_eq!(inner.trace_id, outer.trace_id, "one trace");
    assert_eq!(text(tool, "respan.tool.outcome"), "ok");
}
