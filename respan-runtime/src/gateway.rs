//! The gateway client: an async-openai client configured for Respan (or any
//! OpenAI-compatible endpoint), with our transport underneath.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_openai::config::Config;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret as _, SecretString};

use crate::cassette::{Cassette, Player, Recorder};
use crate::error::Error;
use crate::limit::{ConnectionLimit, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IDLE_CONNECTIONS};
use crate::retry::{RetryPolicy, Sleeper};
use crate::sse::ChunkStream;
use crate::transport::{Answer, Transport, from_openai};
use crate::wire::ChatCompletion;

pub use crate::defaults::{
    API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MODEL,
    DEFAULT_TIMEOUT, RECORD_ENV, REPLAY_ENV,
};

/// A request body serialized once (each attempt of a retried request sends the same bytes).
fn json_body(body: &impl serde::Serialize) -> Result<bytes::Bytes, Error> {
    serde_json::to_vec(body)
        .map(bytes::Bytes::from)
        .map_err(|e| Error::Config(format!("the request could not be serialized to JSON: {e}")))
}

/// async-openai configuration built only from what we are given. async-openai's
/// own `OpenAIConfig` reads `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and
/// `OPENAI_PROJECT_ID` from the environment; this one never looks there.
#[derive(Clone)]
pub(crate) struct RespanConfig {
    base_url: String,
    api_key: SecretString,
    /// Authorization (marked sensitive) and the default headers, built once.
    headers: HeaderMap,
}

impl Config for RespanConfig {
    fn headers(&self) -> HeaderMap {
        self.headers.clone()
    }
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
    fn query(&self) -> Vec<(&str, &str)> {
        Vec::new()
    }
    fn api_base(&self) -> &str {
        &self.base_url
    }
    fn api_key(&self) -> &SecretString {
        &self.api_key
    }
}

/// A connection to the Respan gateway (or any OpenAI-compatible endpoint):
/// `POST {base_url}/chat/completions` with `Authorization: Bearer <key>`.
///
/// Cheap to clone. Its `Debug` output never shows the key.
///
/// ```no_run
/// # async fn demo() -> Result<(), respan_runtime::Error> {
/// use std::time::Duration;
/// let gateway = respan_runtime::Gateway::from_env()?; // RESPAN_API_KEY, RESPAN_BASE_URL
/// let custom = respan_runtime::Gateway::builder()
///     .base_url("http://127.0.0.1:8080/v1")
///     .api_key("sk-local")
///     .timeout(Duration::from_secs(20))
///     .max_retries(5)
///     .default_model("gpt-4o-mini")
///     .build()?;
/// # let _ = (gateway, custom); Ok(()) }
/// ```
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    client: async_openai::Client<RespanConfig>,
    /// The same transport as the client's: streamed answers are read by the run
    /// itself, not by a task async-openai would spawn.
    transport: Transport,
    /// `{base_url}/chat/completions`, parsed once.
    chat_url: reqwest::Url,
    /// Authorization, the default headers and `content-type: application/json`,
    /// built once: each request clones them and adds its own (Respan's parameters).
    chat_headers: HeaderMap,
    base_url: String,
    default_model: String,
    timeout: Duration,
    retry: RetryPolicy,
    stream_usage: bool,
    /// Keeps an embedded server (the offline gateway) alive as long as the gateway.
    _guard: Option<Arc<dyn std::any::Any + Send + Sync>>,
    offline: bool,
    /// The cassette recorded into or replayed, if any.
    cassette: Option<PathBuf>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &"[redacted]")
            .field("default_model", &self.inner.default_model)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("stream_usage", &self.inner.stream_usage)
            .field("offline", &self.inner.offline)
            .field("cassette", &self.inner.transport.cassette)
            .field("max_connections", &self.max_connections())
            .finish()
    }
}

impl Gateway {
    /// `RESPAN_API_KEY` (required) and `RESPAN_BASE_URL` (default
    /// `https://api.respan.ai/api`). No `OPENAI_*` variable is read.
    ///
    /// `RESPAN_RECORD=path` records every exchange into that cassette
    /// ([`GatewayBuilder::record`]); `RESPAN_REPLAY=path` replays one instead of
    /// using the network ([`Gateway::replay`]), and then no key is needed.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder_from_env()?.build()
    }

    /// A builder preset from the environment, to adjust timeouts and so on.
    pub fn builder_from_env() -> Result<GatewayBuilder, Error> {
        let mut builder = Self::builder().cassette_from_env();
        let key = std::env::var(API_KEY_ENV)
            .ok()
            .filter(|k| !k.trim().is_empty());
        match key {
            Some(key) => builder = builder.api_key(key.trim()),
            None if builder.replay.is_some() => {}
            None => return Err(Error::MissingApiKey),
        }
        if let Ok(url) = std::env::var(BASE_URL_ENV)
            && !url.trim().is_empty()
        {
            builder = builder.base_url(url.trim());
        }
        Ok(builder)
    }

    /// A gateway at `base_url` with `api_key` and default settings.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Result<Self, Error> {
        Self::builder().base_url(base_url).api_key(api_key).build()
    }

    /// A gateway that replays the cassette at `path` (recorded with
    /// [`GatewayBuilder::record`] or `RESPAN_RECORD`) and sends nothing over the
    /// network; no key is needed. Each request is served the response recorded
    /// for the same request; one the cassette does not hold fails with
    /// [`Error::ReplayMismatch`] naming the first field that differs, and one
    /// past its end with [`Error::ReplayExhausted`]. The whole file is read and
    /// checked here ([`Error::Cassette`] with the line of a bad line).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), respan_runtime::Error> {
    /// use respan_runtime::{Agent, AgentSet, Gateway};
    /// let gateway = Gateway::replay("tests/cassettes/hello.jsonl")?;
    /// let agents = AgentSet::new("Assistant".to_string())
    ///     .agent(Agent::named("Assistant").instructions("You are a helpful assistant."));
    /// let result = respan_runtime::run(&gateway, &agents, "Hello").await?;
    /// assert_eq!(gateway.replay_remaining(), Some(0));
    /// # let _ = result; Ok(()) }
    /// ```
    pub fn replay(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder().replay(path).build()
    }

    /// For a replaying gateway, how many exchanges of the cassette have not
    /// been served yet (`Some(0)`: the runs made exactly the recorded requests
    /// and no more were recorded); `None` for any other gateway.
    pub fn replay_remaining(&self) -> Option<usize> {
        self.inner
            .transport
            .cassette
            .as_ref()
            .and_then(|cassette| cassette.remaining())
    }

    /// The cassette this gateway records into or replays, if any.
    pub fn cassette(&self) -> Option<&Path> {
        self.inner.cassette.as_deref()
    }

    /// A builder: base URL, key, timeout, retries, default model, default headers.
    pub fn builder() -> GatewayBuilder {
        GatewayBuilder::default()
    }

    /// The base URL requests go to (`{base_url}/chat/completions`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The model of agents that do not name one.
    pub fn default_model(&self) -> &str {
        &self.inner.default_model
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// How many requests may be in flight at once ([`GatewayBuilder::max_connections`]);
    /// `None` for no limit.
    pub fn max_connections(&self) -> Option<usize> {
        self.inner.transport.limit.max()
    }

    /// Whether streamed requests ask for usage (`"stream_options": {"include_usage": true}`);
    /// see [`GatewayBuilder::stream_usage`].
    pub fn stream_usage(&self) -> bool {
        self.inner.stream_usage
    }

    /// Whether this gateway is the embedded offline gateway (always `false`
    /// without the `offline` feature). For what to tell the user only: the
    /// runtime sends every gateway the same requests.
    pub fn is_offline(&self) -> bool {
        self.inner.offline
    }

    /// For programs that fall back to the offline gateway: one line telling the
    /// user so and how to use the real gateway; `None` for any other gateway.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), respan_runtime::Error> {
    /// let gateway = respan_runtime::Gateway::from_env_or_offline().await?;
    /// if let Some(notice) = gateway.offline_notice() {
    ///     println!("{notice}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn offline_notice(&self) -> Option<String> {
        self.is_offline().then(|| {
            format!(
                "No RESPAN_API_KEY: using respan's offline gateway at {} \
                 (export RESPAN_API_KEY=<your key> to use the real Respan gateway).",
                self.base_url()
            )
        })
    }

    /// Sends one chat-completions request with a body of your own (BYOT) and
    /// returns the raw JSON answer. `stream` must not be true.
    pub async fn chat_completion_raw(
        &self,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        self.inner
            .client
            .chat()
            .create_byot(body)
            .await
            .map_err(|e| self.redact(from_openai(e, self.inner.timeout)))
    }

    pub(crate) async fn complete(
        &self,
        body: &impl serde::Serialize,
        headers: &HeaderMap,
    ) -> Result<ChatCompletion, Error> {
        // Before anything is serialized: a waiting run holds no request ([`crate::limit`]).
        let permit = self.inner.transport.limit.acquire().await;
        let body = json_body(body)?;
        let answer = self
            .inner
            .transport
            .send(
                || std::future::ready(Ok(self.chat_request(&body, headers))),
                permit,
            )
            .await
            .map_err(|e| self.redact(e))?;
        let body = match answer {
            Answer::Body { body, .. } => body,
            Answer::Stream(..) => {
                return Err(Error::MalformedResponse(
                    "a request without \"stream\": true was answered with an event stream \
                     (text/event-stream)"
                        .to_string(),
                ));
            }
        };
        serde_json::from_slice(&body).map_err(|e| {
            let text = String::from_utf8_lossy(&body);
            self.redact(Error::MalformedResponse(format!(
                "{e} (body: {})",
                crate::error::truncate(&text, 300)
            )))
        })
    }

    /// A chat-completions request from the parts built once, the body and this
    /// request's own headers.
    fn chat_request(&self, body: &bytes::Bytes, headers: &HeaderMap) -> reqwest::Request {
        let mut request = reqwest::Request::new(reqwest::Method::POST, self.inner.chat_url.clone());
        let all = request.headers_mut();
        *all = self.inner.chat_headers.clone();
        for (name, value) in headers {
            all.insert(name, value.clone());
        }
        *request.body_mut() = Some(body.clone().into());
        request
    }

    /// `error` with the API key cut out of whatever the gateway sent back in it
    /// (some servers echo the request, `Authorization` included, in their errors).
    pub(crate) fn redact(&self, error: Error) -> Error {
        error.redact(self.inner.client.config().api_key().expose_secret())
    }

    /// Sends a streamed request (`"stream": true` in `body`) through the same
    /// transport (timeout and retries until the response starts) and returns its
    /// chunks, read as the caller asks for them.
    pub(crate) async fn complete_stream(
        &self,
        body: &impl serde::Serialize,
        headers: &HeaderMap,
    ) -> Result<ChunkStream, Error> {
        // Before anything is serialized: a waiting run holds no request ([`crate::limit`]).
        let permit = self.inner.transport.limit.acquire().await;
        let body = json_body(body)?;
        let answer = self
            .inner
            .transport
            .send(
                || std::future::ready(Ok(self.chat_request(&body, headers))),
                permit,
            )
            .await?;
        let (response, permit) = match answer {
            Answer::Stream(response, permit) => (response, permit),
            body => (body.into_response(), None),
        };
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !content_type.starts_with("text/event-stream") {
            // The transport has read a non-stream body already; say what came.
            let body = response.text().await.unwrap_or_default();
            return Err(Error::MalformedResponse(format!(
                "a streamed request was answered with {:?}, not an event stream \
                 (text/event-stream): {}; does the gateway support \"stream\": true?",
                content_type,
                crate::error::truncate(body.trim(), 300)
            )));
        }
        Ok(ChunkStream::new(
            response,
            permit,
            self.inner.timeout,
            self.inner.transport.max_response_bytes,
        ))
    }

    /// Builds a gateway that keeps an embedded server alive.
    #[cfg(any(feature = "offline", feature = "testing"))]
    pub(crate) fn with_guard(
        mut builder: GatewayBuilder,
        guard: Arc<dyn std::any::Any + Send + Sync>,
        offline: bool,
    ) -> Result<Self, Error> {
        builder.guard = Some(guard);
        builder.offline = offline;
        builder.build()
    }
}

/// Builds a [`Gateway`]. Every field has a default except the key.
#[derive(Clone, Default)]
pub struct GatewayBuilder {
    base_url: Option<String>,
    api_key: Option<SecretString>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    default_model: Option<String>,
    headers: Vec<(String, String)>,
    sleeper: Option<Sleeper>,
    stream_usage: Option<bool>,
    max_response_bytes: Option<usize>,
    max_connections: Option<usize>,
    max_idle_connections: Option<usize>,
    guard: Option<Arc<dyn std::any::Any + Send + Sync>>,
    offline: bool,
    record: Option<PathBuf>,
    replay: Option<PathBuf>,
    replay_ignore: Vec<String>,
    root_certificates: Vec<Vec<u8>>,
}

impl std::fmt::Debug for GatewayBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("default_model", &self.default_model)
            .field("headers", &self.headers)
            .field("stream_usage", &self.stream_usage)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_connections", &self.max_connections)
            .field("max_idle_connections", &self.max_idle_connections)
            .field("record", &self.record)
            .field("replay", &self.replay)
            .field("replay_ignore", &self.replay_ignore)
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl GatewayBuilder {
    /// The largest response body (or, streamed, the sum of its events) a request
    /// may read (default [`DEFAULT_MAX_RESPONSE_BYTES`], 16 MiB); past it the run
    /// fails with [`Error::ResponseTooLarge`] and memory stays bounded. A single
    /// streamed event is cut at 512 KiB (a chat-completion chunk is a few hundred bytes).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }
    /// How many requests to the gateway may be in flight at once (default
    /// [`DEFAULT_MAX_CONNECTIONS`], 1000, as openai-python's client); `usize::MAX`
    /// for no limit. 0 is rejected by [`GatewayBuilder::build`] with [`Error::Config`].
    ///
    /// Each in-flight request uses one HTTP/1.1 connection, so this bounds the
    /// sockets (and their buffers) a process holds however many runs it starts:
    /// a request past the limit waits for a free slot before it is sent, and its
    /// timeout starts only when it has one. A slot is held until the JSON answer
    /// is read, or for a streamed answer until its stream ends or is dropped; a
    /// retry gives its slot back while it waits. The limit is the gateway's, shared
    /// by its clones and by every run that uses it.
    ///
    /// ```
    /// # fn demo() -> Result<(), respan_runtime::Error> {
    /// let gateway = respan_runtime::Gateway::builder()
    ///     .base_url("http://127.0.0.1:8000/v1")
    ///     .api_key("sk-local")
    ///     .max_connections(64)
    ///     .max_idle_connections(16)
    ///     .build()?;
    /// assert_eq!(gateway.max_connections(), Some(64));
    /// # Ok(()) }
    /// ```
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = Some(n);
        self
    }
    /// How many idle connections are kept open for reuse (default
    /// [`DEFAULT_MAX_IDLE_CONNECTIONS`], 100, as openai-python's
    /// `max_keepalive_connections`); one released when this many are idle is
    /// closed. 0 closes every connection after its request.
    pub fn max_idle_connections(mut self, n: usize) -> Self {
        self.max_idle_connections = Some(n);
        self
    }
    /// The base URL (default `https://api.respan.ai/api`); a trailing `/` is ignored.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// Trusts the certificate(s) in `pem` (PEM text, `-----BEGIN CERTIFICATE-----`)
    /// as roots, besides the platform's: a gateway behind a private certificate
    /// authority, or a test server's self-signed certificate. A text holding no
    /// certificate, or a broken one, makes [`build`](Self::build) fail; so does any
    /// root in a build without TLS (see [`TLS_PROVIDER`](crate::TLS_PROVIDER)).
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let gateway = respan_runtime::Gateway::builder()
    ///     .base_url("https://gateway.internal:8443/api")
    ///     .api_key("sk-...")
    ///     .add_root_certificate(std::fs::read("internal-ca.pem")?)
    ///     .build()?;
    /// # let _ = gateway; Ok(()) }
    /// ```
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates.push(pem.as_ref().to_vec());
        self
    }
    /// The API key (required).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }
    /// The timeout of each request, including reading a non-streamed body (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// The TCP/TLS connect timeout (default: the request timeout, at most 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// Retries after the first attempt (default 3; 0 disables retries).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }
    /// The whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// The model of agents that do not name one (default `gpt-4o`).
    pub fn default_model(mut self, model: impl Into<String>) -> Self {
        self.default_model = Some(model.into());
        self
    }
    /// A header sent with every request.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Whether streamed requests ask the gateway for the answer's token usage,
    /// with `"stream_options": {"include_usage": true}` (default: yes).
    ///
    /// The usage arrives in a last chunk before `[DONE]` and goes into
    /// [`RunResult::usage`](crate::RunResult::usage) and
    /// [`usage_by_agent`](crate::RunResult::usage_by_agent), as for runs that do
    /// not stream. This is a deliberate difference from the Agents SDK, which sends
    /// no `stream_options` (and so gets no usage from OpenAI while streaming). Turn
    /// it off for an OpenAI-compatible server that rejects `stream_options`; usage
    /// is still read when a server sends it unasked. An agent's own
    /// `extra_body.stream_options` is sent instead, when it sets one.
    ///
    /// It is a property of the gateway, not of a run or an agent: whether
    /// `stream_options` is accepted depends on the server, and every front door
    /// (the runner, generated workflows, `respan run`) takes the gateway.
    ///
    /// ```
    /// # fn demo() -> Result<(), respan_runtime::Error> {
    /// let gateway = respan_runtime::Gateway::builder()
    ///     .base_url("http://127.0.0.1:8000/v1")
    ///     .api_key("sk-local")
    ///     .stream_usage(false)
    ///     .build()?;
    /// assert!(!gateway.stream_usage());
    /// # Ok(()) }
    /// ```
    pub fn stream_usage(mut self, include_usage: bool) -> Self {
        self.stream_usage = Some(include_usage);
        self
    }
    /// Records every exchange (request without the key, response or its chunks,
    /// status, timings) by appending a line to the cassette at `path`, created if
    /// needed; replay it with [`Gateway::replay`]. Runs (and processes) recording
    /// into the same file at once keep their lines whole. `RESPAN_RECORD=path`
    /// sets it for [`Gateway::from_env`]. Exchanges without a response (a refused
    /// connection, a timeout before the headers) are not recorded.
    ///
    /// Only Respan's own request headers are written (`X-Data-Respan-Params`,
    /// `X-Respan-*`), never `Authorization` or your default headers, and the key
    /// is replaced by `[redacted]` wherever the gateway echoed it (a key shorter
    /// than 8 characters, such as the offline gateway's `offline`, is a
    /// placeholder and left alone).
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), respan_runtime::Error> {
    /// let gateway = respan_runtime::Gateway::builder_from_env()?
    ///     .record("tests/cassettes/support.jsonl")
    ///     .build()?;
    /// # let _ = gateway; Ok(()) }
    /// ```
    pub fn record(mut self, path: impl AsRef<Path>) -> Self {
        self.record = Some(path.as_ref().to_path_buf());
        self
    }
    /// Replays the cassette at `path` instead of using the network (see
    /// [`Gateway::replay`]); the key, when none is given, is not needed.
    pub fn replay(mut self, path: impl AsRef<Path>) -> Self {
        self.replay = Some(path.as_ref().to_path_buf());
        self
    }
    /// A volatile field of the request body, left out when a replay compares a
    /// request with the recorded ones: a path of keys (`metadata.request_id`),
    /// where `*` (or `[*]`) stands for every element (`messages[*].name`). Only
    /// with [`GatewayBuilder::replay`]. respan's own requests hold no volatile
    /// field; this is for values your tools or parameters make up per run.
    pub fn replay_ignore(mut self, field: impl Into<String>) -> Self {
        self.replay_ignore.push(field.into());
        self
    }
    /// Whether the gateway will replay a cassette ([`GatewayBuilder::replay`]).
    pub fn replays(&self) -> bool {
        self.replay.is_some()
    }
    /// [`GatewayBuilder::replay`] from `RESPAN_REPLAY` and [`GatewayBuilder::record`]
    /// from `RESPAN_RECORD`, when they are set and not empty ([`Gateway::from_env`]
    /// does this).
    pub fn cassette_from_env(mut self) -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        if let Some(path) = var(REPLAY_ENV) {
            self.replay = Some(path);
        }
        if let Some(path) = var(RECORD_ENV) {
            self.record = Some(path);
        }
        self
    }
    /// How to wait between retries (tests use one that does not really sleep).
    pub fn sleeper(mut self, sleeper: Sleeper) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// Checks the settings and builds the gateway.
    pub fn build(self) -> Result<Gateway, Error> {
        if let (Some(record), Some(replay)) = (&self.record, &self.replay) {
            return Err(Error::Config(format!(
                "the gateway cannot both record into {} and replay {}: choose one \
                 (check RESPAN_RECORD and RESPAN_REPLAY)",
                record.display(),
                replay.display()
            )));
        }
        if self.replay.is_none() && !self.replay_ignore.is_empty() {
            return Err(Error::Config(format!(
                "replay_ignore({:?}) is set but the gateway does not replay a cassette: \
                 add .replay(path)",
                self.replay_ignore[0]
            )));
        }
        // A replay sends nothing: its key is a placeholder.
        let api_key = match self.api_key {
            Some(key) => key,
            None if self.replay.is_some() => SecretString::from("replay"),
            None => return Err(Error::MissingApiKey),
        };
        if api_key.expose_secret().trim().is_empty() {
            return Err(Error::MissingApiKey);
        }
        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
            .trim()
            .trim_end_matches('/')
            .to_string();
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| {
            Error::Config(format!(
                "the base URL {base_url:?} is not a URL ({e}); expected e.g. {DEFAULT_BASE_URL}"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "the base URL {base_url:?} must start with http:// or https://"
            )));
        }
        if parsed.scheme() == "https" && crate::tls::TLS_PROVIDER.is_none() {
            return Err(crate::tls::no_tls(&format!("the base URL {base_url:?}")));
        }
        let roots = crate::tls::parse_roots(&self.root_certificates)?;

        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Error::Config(format!("default header name {name:?}: {e}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| Error::Config(format!("default header {name}: {e}")))?;
            headers.insert(name, value);
        }
        // The key must be a valid header value; the error must not quote it.
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", api_key.expose_secret()))
            .map_err(|_| {
                Error::Config(
                    "the API key contains characters not allowed in an HTTP header \
                     (check RESPAN_API_KEY for stray quotes or newlines)"
                        .into(),
                )
            })?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);

        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let connect_timeout = self
            .connect_timeout
            .unwrap_or_else(|| timeout.min(Duration::from_secs(10)));
        // No reqwest read_timeout: it re-arms a timer on every read (measurably costly,
        // see benches/run.rs). Whole requests are bounded by the transport, and the
        // gaps of a streamed answer by the runner.
        let limit = ConnectionLimit::new(self.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS))?;
        // One host: reqwest's per-host idle bound is the whole pool's.
        let max_idle = self
            .max_idle_connections
            .unwrap_or(DEFAULT_MAX_IDLE_CONNECTIONS);
        let mut http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_max_idle_per_host(max_idle)
            .user_agent(concat!("respan-rs/", env!("CARGO_PKG_VERSION")));
        let loopback = matches!(
            parsed.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        );
        if loopback {
            // A proxy from the environment must not capture a local gateway.
            http = http.no_proxy();
        }
        #[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
        {
            // A plain-HTTP gateway needs no trust store: not loading one keeps a
            // process's start (its time to the first request) short.
            let tls = if parsed.scheme() == "https" || !roots.is_empty() {
                crate::tls::client_config(&roots)?
            } else {
                crate::tls::no_roots_config()?
            };
            http = http.tls_backend_preconfigured(tls);
        }
        #[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
        let _: Vec<crate::tls::Root> = roots;
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("could not create the HTTP client: {e}")))?;

        let secret = api_key.clone();
        let base_path = parsed.path().trim_end_matches('/');
        let cassette = match (&self.record, &self.replay) {
            (Some(path), _) => Some(Cassette::Record(Arc::new(Recorder::open(
                path, &api_key, base_path,
            )?))),
            (None, Some(path)) => Some(Cassette::Replay(Player::load(
                path,
                &self.replay_ignore,
                base_path,
            )?)),
            (None, None) => None,
        };
        let cassette_path = self.record.clone().or_else(|| self.replay.clone());

        let chat_url =
            reqwest::Url::parse(&format!("{base_url}/chat/completions")).map_err(|e| {
                Error::Config(format!("the base URL {base_url:?} cannot take a path: {e}"))
            })?;
        let mut chat_headers = headers.clone();
        chat_headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let config = RespanConfig {
            base_url: base_url.clone(),
            api_key,
            headers,
        };
        let transport = Transport {
            http: http.clone(),
            retry: self.retry.clone(),
            timeout,
            sleeper: self.sleeper.unwrap_or_default(),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            secret,
            cassette: cassette.map(Arc::new),
            limit,
        };
        let client = async_openai::Client::build(http, config).with_http_service(transport.clone());
        Ok(Gateway {
            inner: Arc::new(Inner {
                client,
                transport,
                chat_url,
                chat_headers,
                base_url,
                default_model: self
                    .default_model
                    .unwrap_or_else(|| DEFAULT_MODEL.to_string()),
                timeout,
                retry: self.retry,
                stream_usage: self.stream_usage.unwrap_or(true),
                _guard: self.guard,
                offline: self.offline,
                cassette: cassette_path,
            }),
        })
    }
}
