//! The HTTP transport under async-openai: timeouts, retries and error capture.
//!
//! async-openai sends every request through a tower service. Its default one
//! retries on its own and, on an error status, keeps only the JSON `{"error":{...}}`
//! shape and drops the headers, so `Retry-After`, `X-Respan-Log-Id` and the
//! gateway's other error shapes would be lost. We install this service instead
//! (`Client::with_http_service`, the `middleware` feature): it owns the one retry
//! loop, the per-request timeout, and turns error statuses into our [`Error`],
//! which travels back through async-openai boxed in `OpenAIError::Boxed`.
//!
//! The runner's own requests skip async-openai's request factory: the gateway
//! builds them from parts made once ([`Transport::send`] takes any builder), and
//! a JSON answer comes back as the bytes read ([`Answer::Body`]), parsed once by
//! the caller instead of re-wrapped into a `reqwest::Response` for async-openai.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::{CONTENT_TYPE, HeaderMap};

use crate::cassette::{Cassette, Failed};
use crate::error::{Error, body_retry_after, gateway_message};
use crate::limit::{ConnectionLimit, Permit};
use crate::retry::{BoxFuture, RetryPolicy, Sleeper, header_retry_after};
use crate::text::{error_chain, truncate};

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

/// A successful exchange: a JSON body read whole (inside the timeout), or an
/// event stream the caller reads.
pub(crate) enum Answer {
    /// A non-streamed 2xx answer.
    Body {
        status: reqwest::StatusCode,
        content_type: Option<reqwest::header::HeaderValue>,
        body: bytes::Bytes,
    },
    /// A `text/event-stream` answer, not read yet, and the connection permit
    /// its reader holds until the stream ends ([`crate::limit`]).
    Stream(reqwest::Response, Permit),
}

impl Answer {
    /// As a `reqwest::Response` (a read body is served from memory).
    pub(crate) fn into_response(self) -> reqwest::Response {
        match self {
            Answer::Stream(response, _permit) => response,
            Answer::Body {
                status,
                content_type,
                body,
            } => {
                let mut rebuilt = http::Response::new(body);
                *rebuilt.status_mut() = status;
                if let Some(value) = content_type {
                    rebuilt.headers_mut().insert(CONTENT_TYPE, value);
                }
                reqwest::Response::from(rebuilt)
            }
        }
    }
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
        Box::pin(async move {
            let build = || async {
                factory
                    .build()
                    .await
                    .map_err(|e| Error::Config(format!("could not build the request: {e}")))
            };
            match this.send(build, None).await {
                // async-openai reads and parses the body itself.
                Ok(answer @ Answer::Body { .. }) => Ok(answer.into_response()),
                // Only unstreamed requests come this way (the runner's streams go
                // through `Gateway::complete_stream`).
                Ok(Answer::Stream(response, _permit)) => Ok(response),
                Err(e) => Err(OpenAIError::Boxed(Box::new(e))),
            }
        })
    }
}

impl Transport {
    /// Sends a request (`build` makes it again for each attempt), retrying as the policy says.
    ///
    /// Each attempt has a connection permit, acquired before its timeout starts
    /// (waiting for the pool is not the gateway being slow): the first one's is
    /// `acquired` when the caller waited for it already, and each attempt gives
    /// its permit back before waiting to retry. A JSON answer has been read when
    /// this returns, so its permit is released; a stream's goes with it.
    pub(crate) async fn send<F, Fut>(&self, build: F, mut acquired: Permit) -> Result<Answer, Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<reqwest::Request, Error>>,
    {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let permit = match acquired.take() {
                Some(permit) => Some(permit),
                None => self.limit.acquire().await,
            };
            let request = build().await?;
            let failure =
                match tokio::time::timeout(self.timeout, self.exchange(request, attempt)).await {
                    Ok(Ok(Answer::Stream(response, _))) => {
                        return Ok(Answer::Stream(response, permit));
                    }
                    Ok(Ok(answer)) => return Ok(answer),
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
    async fn exchange(&self, request: reqwest::Request, attempt: u32) -> Result<Answer, Failure> {
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
        if status.is_success() {
            // A cheap clone (shared bytes): the trace gets it once the exchange has succeeded.
            let id = response.headers().get(LOG_ID_HEADER).cloned();
            let record_exchange = |id: &Option<reqwest::header::HeaderValue>| {
                crate::trace::exchange(id.as_ref().and_then(|v| v.to_str().ok()), attempt)
            };
            let is_stream = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"));
            if is_stream {
                record_exchange(&id);
                return Ok(Answer::Stream(response, None));
            }
            let content_type = response.headers().get(CONTENT_TYPE).cloned();
            let body = self.read_body(response, &url).await?;
            record_exchange(&id);
            return Ok(Answer::Body {
                status,
                content_type,
                body,
            });
        }
        let headers = response.headers().clone();
        let body = self.read_body(response, &url).await?;
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
        let read_failed = |e: reqwest::Error| Failure {
            error: Error::Connection {
                url: url.to_string(),
                message: format!("reading the response body failed: {}", error_chain(&e)),
                attempts: 0,
            },
            retryable: true,
            retry_after: None,
        };
        // Most answers arrive in one chunk: keep it as it is, no copy.
        let Some(first) = response.chunk().await.map_err(read_failed)? else {
            return Ok(bytes::Bytes::new());
        };
        if first.len() > limit {
            return Err(too_large());
        }
        let Some(second) = response.chunk().await.map_err(read_failed)? else {
            return Ok(first);
        };
        let mut body = bytes::BytesMut::with_capacity(first.len() + second.len());
        body.extend_from_slice(&first);
        let mut chunk = second;
        loop {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
            match response.chunk().await.map_err(read_failed)? {
                Some(next) => chunk = next,
                None => return Ok(body.freeze()),
            }
        }
    }
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
