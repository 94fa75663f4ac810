//! The HTTP transport under async-openai: timeouts, retries and error capture.
//!
//! async-openai sends every request through a tower service. Its default one
//! retries on its own and, on an error status, keeps only the JSON `{"error":{...}}`
//! shape and drops the headers, so `Retry-After`, `X-Respan-Log-Id` and the
//! gateway's other error shapes would be lost. We install this service instead
//! (`Client::with_http_service`, the `middleware` feature): it owns the one retry
//! loop, the per-request timeout, and turns error statuses into our [`Error`],
//! which travels back through async-openai boxed in `OpenAIError::Boxed`.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::{CONTENT_TYPE, HeaderMap};

use crate::cassette::{Cassette, Failed};
use crate::error::{Error, body_retry_after, gateway_message, truncate};
use crate::limit::{ConnectionLimit, Permit};
use crate::retry::{BoxFuture, RetryPolicy, Sleeper, header_retry_after};

/// Header the Respan gateway uses to identify a logged request.
pub(crate) const LOG_ID_HEADER: &str = "x-respan-log-id";

#[derive(Clone, Debug)]
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) sleeper: Sleeper,
    /// The largest body read (streamed: the sum of its bytes).
    pub(crate) max_response_bytes: usize,
    /// The API key, cut out of the errors logged between retries (they become
    /// span events when traces are exported).
    pub(crate) secret: secrecy::SecretString,
    /// Record or replay the traffic ([`crate::cassette`]).
    pub(crate) cassette: Option<Arc<Cassette>>,
    /// At most this many requests in flight ([`crate::limit`]).
    pub(crate) limit: ConnectionLimit,
}

/// A response and the connection permit it holds: released here for a JSON
/// body (already read), kept by the caller for an event stream until it ends.
pub(crate) struct Sent {
    pub(crate) response: reqwest::Response,
    pub(crate) permit: Permit,
}

/// One failed exchange: the error, whether it may be retried, and how long the server asked to wait.
struct Failure {
    error: Error,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<reqwest::Response, OpenAIError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let this = self.clone();
        // Only unstreamed requests come this way (streams go through
        // `Gateway::complete_stream`): their bodies are read, the permit is done.
        Box::pin(async move {
            this.send(factory, crate::limit::take_acquired())
                .await
                .map(|sent| sent.response)
                .map_err(|e| OpenAIError::Boxed(Box::new(e)))
        })
    }
}

impl Transport {
    /// Sends a request (rebuilt for each attempt), retrying as the policy says.
    /// Each attempt has a connection permit, acquired outside its timeout
    /// (waiting for the pool is not the gateway being slow): the first one's is
    /// `acquired` when the caller has it already, and each gives it back before
    /// waiting to retry.
    pub(crate) async fn send(
        &self,
        factory: HttpRequestFactory,
        mut acquired: Permit,
    ) -> Result<Sent, Error> {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let permit = match acquired.take() {
                Some(permit) => Some(permit),
                None => self.limit.acquire().await,
            };
            let request = factory
                .build()
                .await
                .map_err(|e| Error::Config(format!("could not build the request: {e}")))?;
            let failure = match tokio::time::timeout(self.timeout, self.exchange(request)).await {
                Ok(Ok(response)) => {
                    let log_id = response.headers().get(LOG_ID_HEADER);
                    crate::trace::exchange(log_id.and_then(|v| v.to_str().ok()), attempt);
                    // A JSON body has been read: only a stream still uses the connection.
                    let permit = if is_event_stream(response.headers()) {
                        permit
                    } else {
                        None
                    };
                    return Ok(Sent { response, permit });
                }
                Ok(Err(failure)) => failure,
                Err(_elapsed) => Failure {
                    error: Error::Timeout {
                        timeout: self.timeout,
                        attempts: 0,
                    },
                    retryable: true,
                    retry_after: None,
                },
            };
            drop(permit);
            // Some servers echo the request, Authorization included, in their errors.
            let failure = Failure {
                error: failure
                    .error
                    .redact(secrecy::ExposeSecret::expose_secret(&self.secret)),
                ..failure
            };
            let retry = attempt - 1;
            let delay = if failure.retryable && retry < self.retry.max_retries {
                self.retry.delay(retry, failure.retry_after)
            } else {
                None
            };
            let Some(delay) = delay else {
                return Err(with_attempts(failure.error, attempt));
            };
            tracing::warn!(
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %failure.error,
                "gateway request failed; retrying"
            );
            self.sleeper.sleep(delay).await;
        }
    }

    /// One request/response. JSON bodies are read here, inside the timeout, so a
    /// stalled body is a (retryable) timeout too; event streams are passed through.
    async fn exchange(&self, request: reqwest::Request) -> Result<reqwest::Response, Failure> {
        let url = request.url().clone();
        let response = match &self.cassette {
            None => self.http.execute(request).await.map_err(Failed::Http),
            Some(cassette) => cassette.execute(&self.http, request).await,
        };
        let response = match response {
            Ok(response) => response,
            Err(Failed::Replay(error)) => {
                return Err(Failure {
                    error,
                    retryable: false,
                    retry_after: None,
                });
            }
            Err(Failed::Http(e)) => {
                return Err(Failure {
                    error: if e.is_timeout() {
                        Error::Timeout {
                            timeout: self.timeout,
                            attempts: 0,
                        }
                    } else {
                        Error::Connection {
                            url: url.to_string(),
                            message: error_chain(&e),
                            attempts: 0,
                        }
                    },
                    retryable: !e.is_builder(),
                    retry_after: None,
                });
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() && is_event_stream(&headers) {
            return Ok(response);
        }
        let body = self.read_body(response, &url).await?;
        if status.is_success() {
            let mut rebuilt = http::Response::new(body);
            *rebuilt.status_mut() = status;
            *rebuilt.headers_mut() = headers;
            return Ok(reqwest::Response::from(rebuilt));
        }
        Err(status_failure(status.as_u16(), &headers, &body))
    }
}

impl Transport {
    /// A non-streamed body, read up to the size limit (checked against
    /// `content-length` first, then as it arrives: memory stays bounded).
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &reqwest::Url,
    ) -> Result<bytes::Bytes, Failure> {
        let limit = self.max_response_bytes;
        let too_large = || Failure {
            error: Error::ResponseTooLarge { limit },
            retryable: false,
            retry_after: None,
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = bytes::BytesMut::new();
        loop {
            let chunk = response.chunk().await.map_err(|e| Failure {
                error: Error::Connection {
                    url: url.to_string(),
                    message: format!("reading the response body failed: {}", error_chain(&e)),
                    attempts: 0,
                },
                retryable: true,
                retry_after: None,
            })?;
            let Some(chunk) = chunk else {
                return Ok(body.freeze());
            };
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
    }
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

fn status_failure(status: u16, headers: &HeaderMap, body: &[u8]) -> Failure {
    let log_id = headers
        .get(LOG_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| truncate(v, 200));
    let message = gateway_message(body);
    if status == 429 {
        let retry_after = header_retry_after(headers).or_else(|| body_retry_after(body));
        return Failure {
            error: Error::RateLimited {
                message,
                retry_after,
                log_id,
                attempts: 0,
            },
            retryable: true,
            retry_after,
        };
    }
    Failure {
        error: Error::Http {
            status,
            message,
            log_id,
            attempts: 0,
        },
        retryable: status >= 500,
        retry_after: if status >= 500 {
            header_retry_after(headers)
        } else {
            None
        },
    }
}

fn with_attempts(mut error: Error, n: u32) -> Error {
    match &mut error {
        Error::Http { attempts, .. }
        | Error::RateLimited { attempts, .. }
        | Error::Timeout { attempts, .. }
        | Error::Connection { attempts, .. } => *attempts = n,
        _ => {}
    }
    error
}

/// reqwest's top-level message is terse ("error sending request"); the causes say why.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// Turns what async-openai returns into our error.
pub(crate) fn from_openai(error: OpenAIError, timeout: Duration) -> Error {
    match error {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<Error>() {
            Ok(ours) => *ours,
            Err(other) => Error::MalformedResponse(other.to_string()),
        },
        OpenAIError::JSONDeserialize(e, content) => {
            Error::MalformedResponse(format!("{e} (body: {})", truncate(&content, 300)))
        }
        OpenAIError::Reqwest(e) if e.is_timeout() => Error::Timeout {
            timeout,
            attempts: 1,
        },
        OpenAIError::Reqwest(e) => Error::Connection {
            url: e.url().map(|u| u.to_string()).unwrap_or_default(),
            message: error_chain(&e),
            attempts: 1,
        },
        OpenAIError::StreamError(e) => {
            Error::MalformedResponse(format!("the event stream broke: {e}"))
        }
        OpenAIError::ApiError(api) => Error::Http {
            status: api.status_code.as_u16(),
            message: api.api_error.message,
            log_id: None,
            attempts: 1,
        },
        other => Error::MalformedResponse(other.to_string()),
    }
}
