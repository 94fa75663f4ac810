//! Exporting runs' spans (feature `otel`): OTLP over HTTP with JSON bodies to
//! Respan (`{RESPAN_BASE_URL}/v2/traces`, `Authorization: Bearer $RESPAN_API_KEY`)
//! or to any OpenTelemetry collector (the standard `OTEL_EXPORTER_OTLP_*`
//! variables), built on `opentelemetry_sdk`, `opentelemetry-otlp` and
//! `tracing-opentelemetry`.
//!
//! Spans are batched in the background by the SDK's batch processor: a run only
//! puts a finished span in a bounded queue, never waits on the network, and never
//! fails because of export. A full queue drops the span and counts it
//! ([`ExportStats`]); the [`TracingGuard`] flushes what is queued when dropped.
//!
//! ```no_run
//! # fn demo() -> Result<(), respan_runtime::Error> {
//! // RESPAN_TRACING=1 turns it on; RESPAN_TRACE_CONTENT=1 records prompts and outputs.
//! let _tracing = respan_runtime::telemetry::init_from_env()?;
//! // ... runs ...
//! # Ok(()) }
//! ```
//!
//! The exporter sends with the same `reqwest` (0.13) the gateway client uses:
//! its blocking client, because the SDK's batch processor exports from a thread
//! of its own that has no async runtime. No second HTTP stack is built.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter,
    SpanProcessor,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::defaults::{API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL};
use crate::error::Error;

/// `RESPAN_TRACING=1` (or `true`) turns export on in [`init_from_env`].
pub const TRACING_ENV: &str = "RESPAN_TRACING";
/// `RESPAN_TRACE_CONTENT=1` records prompts, outputs and tool arguments in spans.
pub const TRACE_CONTENT_ENV: &str = "RESPAN_TRACE_CONTENT";
/// The path Respan receives traces on, under its base URL.
pub const RESPAN_TRACES_PATH: &str = "/v2/traces";
/// How long shutting down waits for the last batches by default.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The standard variables that point the exporter at a collector instead of Respan.
const OTEL_ENDPOINT_ENVS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// Whether `RESPAN_TRACING` (or another flag variable) is set to a true value.
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// With `RESPAN_TRACING=1`: [`TraceExport::from_env`] installed as the global
/// `tracing` subscriber; otherwise a guard that does nothing. Keep the guard
/// alive while runs happen: dropping it flushes the queued spans.
pub fn init_from_env() -> Result<TracingGuard, Error> {
    if !env_flag(TRACING_ENV) {
        return Ok(TracingGuard::inactive());
    }
    TraceExport::from_env().install()
}

/// Where and how spans are exported; [`install`](TraceExport::install) starts it.
///
/// ```no_run
/// # fn demo() -> Result<(), respan_runtime::Error> {
/// use std::time::Duration;
/// use respan_runtime::telemetry::TraceExport;
/// let guard = TraceExport::respan("https://api.respan.ai/api", Some("sk-...".into()))
///     .max_queue_size(4096)
///     .scheduled_delay(Duration::from_secs(2))
///     .install()?;
/// // ... runs ...
/// let stats = guard.shutdown();
/// eprintln!("{} spans exported, {} dropped", stats.exported, stats.dropped);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TraceExport {
    /// `None`: the collector the `OTEL_EXPORTER_OTLP_*` variables name.
    endpoint: Option<String>,
    api_key: Option<SecretString>,
    max_queue_size: Option<usize>,
    scheduled_delay: Option<Duration>,
    max_export_batch_size: Option<usize>,
    timeout: Option<Duration>,
    shutdown_timeout: Duration,
    record_content: Option<bool>,
}

impl std::fmt::Debug for TraceExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceExport")
            .field("endpoint", &self.endpoint)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("max_queue_size", &self.max_queue_size)
            .field("scheduled_delay", &self.scheduled_delay)
            .field("max_export_batch_size", &self.max_export_batch_size)
            .field("timeout", &self.timeout)
            .field("record_content", &self.record_content)
            .finish()
    }
}

impl TraceExport {
    /// Export to Respan at `base_url` (`{base_url}/v2/traces`), with the key as
    /// `Authorization: Bearer` when there is one.
    pub fn respan(base_url: &str, api_key: Option<String>) -> Self {
        let base = base_url.trim().trim_end_matches('/');
        let endpoint = if base.ends_with(RESPAN_TRACES_PATH) {
            base.to_string()
        } else {
            format!("{base}{RESPAN_TRACES_PATH}")
        };
        Self {
            endpoint: Some(endpoint),
            api_key: api_key
                .filter(|k| !k.trim().is_empty())
                .map(|k| SecretString::from(k.trim().to_string())),
            ..Self::collector()
        }
    }

    /// Export to the OpenTelemetry collector the standard variables name
    /// (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` +
    /// `/v1/traces`, `OTEL_EXPORTER_OTLP_HEADERS`, `..._PROTOCOL`, `..._TIMEOUT`),
    /// without the Respan key.
    pub fn collector() -> Self {
        Self {
            endpoint: None,
            api_key: None,
            max_queue_size: None,
            scheduled_delay: None,
            max_export_batch_size: None,
            timeout: None,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            record_content: None,
        }
    }

    /// From the environment: a collector when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
    /// or `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the Respan key is not sent there),
    /// else Respan at `RESPAN_BASE_URL` (default `https://api.respan.ai/api`) with
    /// `RESPAN_API_KEY`. `RESPAN_TRACE_CONTENT=1` records content; the batch
    /// processor reads `OTEL_BSP_*`.
    pub fn from_env() -> Self {
        let collector = OTEL_ENDPOINT_ENVS
            .iter()
            .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
        let export = if collector {
            Self::collector()
        } else {
            let base = std::env::var(BASE_URL_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
            Self::respan(&base, std::env::var(API_KEY_ENV).ok())
        };
        export.record_content(env_flag(TRACE_CONTENT_ENV))
    }

    /// The full URL spans are posted to (`None`: from the `OTEL_*` variables).
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// Spans waiting for export at most (default 2048, or `OTEL_BSP_MAX_QUEUE_SIZE`);
    /// a span ended while the queue is full is dropped and counted.
    pub fn max_queue_size(mut self, n: usize) -> Self {
        self.max_queue_size = Some(n);
        self
    }

    /// How often a batch is sent (default 5 s, or `OTEL_BSP_SCHEDULE_DELAY`).
    pub fn scheduled_delay(mut self, delay: Duration) -> Self {
        self.scheduled_delay = Some(delay);
        self
    }

    /// Spans per request at most (default 512, or `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`).
    pub fn max_export_batch_size(mut self, n: usize) -> Self {
        self.max_export_batch_size = Some(n);
        self
    }

    /// The timeout of one export request (default 10 s, or `OTEL_EXPORTER_OTLP_TIMEOUT`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long shutting down waits for the last batches (default 5 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Records prompts, outputs and tool arguments/results in spans (off by
    /// default; sets [`set_record_content`](crate::set_record_content) on install).
    pub fn record_content(mut self, on: bool) -> Self {
        self.record_content = Some(on);
        self
    }

    /// Builds the exporter and its batch processor, and returns the
    /// `tracing` layer that feeds it with the guard that flushes it.
    /// For applications with a subscriber of their own; [`install`](Self::install)
    /// does the rest for the others.
    pub fn build<S>(self) -> Result<(ExportLayer<S>, TracingGuard), Error>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        let counters = Arc::new(Counters::default());
        let exporter = self.exporter()?;
        let mut batch = BatchConfigBuilder::default();
        if let Some(n) = self.max_queue_size {
            batch = batch.with_max_queue_size(n);
        }
        if let Some(delay) = self.scheduled_delay {
            batch = batch.with_scheduled_delay(delay);
        }
        if let Some(n) = self.max_export_batch_size {
            batch = batch.with_max_export_batch_size(n);
        }
        let processor = BatchSpanProcessor::builder(CountingExporter {
            inner: exporter,
            counters: counters.clone(),
        })
        .with_batch_config(batch.build())
        .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(CountingProcessor {
                inner: processor,
                counters: counters.clone(),
            })
            .with_resource(resource())
            .build();
        if let Some(on) = self.record_content {
            crate::set_record_content(on);
        }
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("respan"))
            // Attributes nobody asked for, computed per span: the file and line
            // of the span's macro, the thread, busy/idle times.
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_level(false)
            .with_target(false);
        let layer = tracing_subscriber::Layer::with_filter(
            layer,
            tracing_subscriber::filter::LevelFilter::INFO,
        );
        Ok((
            layer,
            TracingGuard {
                provider: Some(provider),
                counters,
                shutdown_timeout: self.shutdown_timeout,
            },
        ))
    }

    /// Builds the export and installs it as the global `tracing` subscriber.
    /// An application that sets its own subscriber uses [`build`](Self::build)
    /// and adds the layer to it instead.
    pub fn install(self) -> Result<TracingGuard, Error> {
        let (layer, guard) = self.build::<tracing_subscriber::Registry>()?;
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber).map_err(|_| {
            Error::Config(
                "tracing: a global tracing subscriber is already set; add the layer of \
                 respan's TraceExport::build() to it instead of calling install()"
                    .to_string(),
            )
        })?;
        Ok(guard)
    }

    fn exporter(&self) -> Result<opentelemetry_otlp::SpanExporter, Error> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            Error::Config(format!(
                "tracing: could not build the trace exporter ({what}): {e}"
            ))
        };
        let mut builder = opentelemetry_otlp::SpanExporter::builder().with_http();
        let timeout = self.timeout.or_else(|| {
            // The builder reads OTEL_EXPORTER_OTLP_TIMEOUT itself; our client needs it too.
            [
                "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                "OTEL_EXPORTER_OTLP_TIMEOUT",
            ]
            .iter()
            .find_map(|name| std::env::var(name).ok()?.trim().parse::<u64>().ok())
            .map(Duration::from_millis)
        });
        let timeout = timeout.unwrap_or(Duration::from_secs(10));
        builder = builder.with_timeout(timeout);
        let mut loopback = false;
        match &self.endpoint {
            Some(endpoint) => {
                let url = reqwest::Url::parse(endpoint).map_err(|e| fail("the endpoint", &e))?;
                if url.scheme() == "https" && crate::tls::TLS_PROVIDER.is_none() {
                    return Err(crate::tls::no_tls(&format!(
                        "tracing: the endpoint {endpoint}"
                    )));
                }
                if self.api_key.is_none() && endpoint.starts_with(DEFAULT_BASE_URL) {
                    return Err(Error::Config(format!(
                        "tracing: traces go to {endpoint}, which needs a key: set {API_KEY_ENV}, \
                         or send them elsewhere with {BASE_URL_ENV} or OTEL_EXPORTER_OTLP_ENDPOINT"
                    )));
                }
                loopback = matches!(
                    url.host_str(),
                    Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
                );
                // Respan reads OTLP JSON.
                builder = builder
                    .with_endpoint(endpoint.clone())
                    .with_protocol(Protocol::HttpJson);
                if let Some(key) = &self.api_key {
                    let headers = [(
                        "Authorization".to_string(),
                        format!("Bearer {}", key.expose_secret()),
                    )];
                    builder = builder.with_headers(headers.into_iter().collect());
                }
            }
            None => {
                // OTEL_EXPORTER_OTLP_PROTOCOL chooses http/protobuf; JSON otherwise.
                let protocol_set = [
                    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                    "OTEL_EXPORTER_OTLP_PROTOCOL",
                ]
                .iter()
                .any(|name| std::env::var(name).is_ok());
                if !protocol_set {
                    builder = builder.with_protocol(Protocol::HttpJson);
                }
            }
        }
        // The batch processor exports from its own thread, without an async
        // runtime: reqwest's blocking client, built off any runtime (it starts
        // one of its own, which must not be nested in the caller's).
        // TLS as the gateway's: this build's provider, the platform's roots.
        #[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
        let tls = crate::tls::client_config(&[])?;
        let client = std::thread::spawn(move || {
            let mut client = reqwest::blocking::Client::builder().timeout(timeout);
            if loopback {
                client = client.no_proxy();
            }
            #[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
            {
                client = client.tls_backend_preconfigured(tls);
            }
            client.build()
        })
        .join()
        .map_err(|_| Error::Config("tracing: building the HTTP client panicked".into()))?
        .map_err(|e| fail("the HTTP client", &e))?;
        builder
            .with_http_client(client)
            .build()
            .map_err(|e| fail("the exporter", &e))
    }
}

/// The `tracing` layer [`TraceExport::build`] returns.
pub type ExportLayer<S> = tracing_subscriber::filter::Filtered<
    tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>,
    tracing_subscriber::filter::LevelFilter,
    S,
>;

/// `service.name` is `OTEL_SERVICE_NAME` when set (the SDK reads it), else `respan`.
fn resource() -> Resource {
    let builder = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_ok_and(|v| !v.trim().is_empty()) {
        builder.build()
    } else {
        builder.with_service_name("respan").build()
    }
}

/// What happened to the spans runs produced since the export started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Spans that ended (and were offered to the queue).
    pub ended: u64,
    /// Spans the endpoint accepted.
    pub exported: u64,
    /// Spans in batches the endpoint refused or did not answer in time.
    pub failed: u64,
    /// Spans dropped because the queue was full (exact once flushed or shut down).
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct Counters {
    ended: AtomicU64,
    exported: AtomicU64,
    failed: AtomicU64,
}

impl Counters {
    fn stats(&self) -> ExportStats {
        let exported = self.exported.load(Ordering::Acquire);
        let failed = self.failed.load(Ordering::Acquire);
        let ended = self.ended.load(Ordering::Acquire);
        ExportStats {
            ended,
            exported,
            failed,
            dropped: ended.saturating_sub(exported + failed),
        }
    }
}

/// Keeps the export running; dropping it (or [`shutdown`](Self::shutdown))
/// flushes the queued spans, waiting at most the shutdown timeout.
#[must_use = "dropping the guard stops the export"]
pub struct TracingGuard {
    provider: Option<SdkTracerProvider>,
    counters: Arc<Counters>,
    shutdown_timeout: Duration,
}

impl std::fmt::Debug for TracingGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracingGuard")
            .field("active", &self.is_active())
            .field("stats", &self.stats())
            .finish()
    }
}

impl TracingGuard {
    /// A guard of no export (tracing is off).
    pub fn inactive() -> Self {
        Self {
            provider: None,
            counters: Arc::default(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    /// Whether spans are being exported.
    pub fn is_active(&self) -> bool {
        self.provider.is_some()
    }

    /// The counts so far; `dropped` is exact after [`flush`](Self::flush).
    pub fn stats(&self) -> ExportStats {
        self.counters.stats()
    }

    /// Sends every queued span now and waits for it (blocking the thread).
    pub fn flush(&self) -> ExportStats {
        if let Some(provider) = &self.provider {
            let _ = provider.force_flush();
        }
        self.stats()
    }

    /// Sends the queued spans, stops the export and returns the final counts.
    pub fn shutdown(mut self) -> ExportStats {
        self.stop();
        self.stats()
    }

    fn stop(&mut self) {
        if let Some(provider) = self.provider.take() {
            // Failures were counted; a run never sees them.
            let _ = provider.shutdown_with_timeout(self.shutdown_timeout);
        }
    }
}

impl Drop for TracingGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Counts the spans offered to the batch processor.
#[derive(Debug)]
struct CountingProcessor {
    inner: BatchSpanProcessor,
    counters: Arc<Counters>,
}

impl SpanProcessor for CountingProcessor {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, cx: &opentelemetry::Context) {
        self.inner.on_start(span, cx);
    }
    fn on_end(&self, span: SpanData) {
        self.counters.ended.fetch_add(1, Ordering::AcqRel);
        self.inner.on_end(span);
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Counts the spans the endpoint accepted or refused.
#[derive(Debug)]
struct CountingExporter<E> {
    inner: E,
    counters: Arc<Counters>,
}

impl<E: SpanExporter> SpanExporter for CountingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        let result = self.inner.export(batch).await;
        let counter = if result.is_ok() {
            &self.counters.exported
        } else {
            &self.counters.failed
        };
        counter.fetch_add(n, Ordering::AcqRel);
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// `respan.metadata.<key>` attributes of a run's metadata on one of its spans.
pub(crate) fn set_metadata(span: &tracing::Span, metadata: &[(String, Value)]) {
    use opentelemetry::Value as Otel;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    for (key, value) in metadata {
        let value = match value {
            Value::String(s) => Otel::from(s.clone()),
            Value::Bool(b) => Otel::from(*b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Otel::from(i),
                (None, Some(f)) => Otel::from(f),
                _ => Otel::from(n.to_string()),
            },
            other => Otel::from(other.to_string()),
        };
        span.set_attribute(format!("respan.metadata.{key}"), value);
    }
}
