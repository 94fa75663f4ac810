//! Recording: each response's body passes through a tap that keeps its bytes
//! (and when they came) and, when the body ends, appends the whole exchange to
//! the cassette as one line.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::Stream;
use secrecy::{ExposeSecret as _, SecretString};

use super::format::{Chunk, End, Exchange, Request, Response, Timing, VERSION};
use crate::error::Error;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Bytes = bytes::Bytes;

/// Appends exchanges to a cassette file.
pub(crate) struct Recorder {
    path: PathBuf,
    /// Opened for appending: each line is one `write` of the whole line, so
    /// processes recording into the same file at once do not mix their lines,
    /// and the lock keeps this process's runs from doing so.
    file: Mutex<std::fs::File>,
    /// Cut out of every line (keys shorter than 8 characters are placeholders).
    secret: Option<SecretString>,
    base_path: String,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish()
    }
}

impl Recorder {
    pub(crate) fn open(path: &Path, secret: &SecretString, base_path: &str) -> Result<Self, Error> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::Cassette {
                path: path.display().to_string(),
                line: None,
                message: format!("cannot open it to record: {e}"),
            })?;
        Ok(Recorder {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            secret: (secret.expose_secret().len() >= 8).then(|| secret.clone()),
            base_path: base_path.to_string(),
        })
    }

    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The response, its body passing through a tap that records the exchange
    /// when the body ends (or is dropped).
    pub(crate) fn tap(
        self: &Arc<Self>,
        request: Request,
        response: reqwest::Response,
        started: Instant,
    ) -> reqwest::Response {
        let status = response.status();
        let headers = response.headers().clone();
        let kept = headers
            .iter()
            .filter(|(name, _)| {
                let name = name.as_str();
                name == "content-type" || name == "retry-after" || name.starts_with("x-")
            })
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect();
        let streamed = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let tap = Tap {
            body: Box::pin(response.bytes_stream()),
            pending: Some(Pending {
                recorder: self.clone(),
                request,
                status: status.as_u16(),
                headers: kept,
                streamed,
                started,
                headers_ms: millis(started),
                chunks: Vec::new(),
            }),
        };
        let mut rebuilt = http::Response::new(reqwest::Body::wrap_stream(tap));
        *rebuilt.status_mut() = status;
        *rebuilt.headers_mut() = headers;
        reqwest::Response::from(rebuilt)
    }

    /// Appends one line; the key, wherever the gateway may have echoed it, is cut out.
    fn append(&self, exchange: &Exchange) -> Result<(), String> {
        let mut line = serde_json::to_string(exchange)
            .map_err(|e| format!("the exchange could not be written as JSON: {e}"))?;
        if let Some(secret) = &self.secret {
            let secret = secret.expose_secret();
            line = line.replace(secret, "[redacted]");
            // As it would appear inside a JSON string, escaped.
            let escaped = serde_json::to_string(secret).unwrap_or_default();
            line = line.replace(escaped.trim_matches('"'), "[redacted]");
        }
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes()).map_err(|e| {
            format!(
                "could not append to the cassette {}: {e}",
                self.path.display()
            )
        })
    }
}

fn millis(since: Instant) -> u64 {
    since.elapsed().as_millis().try_into().unwrap_or(u64::MAX)
}

/// What is known of an exchange until its body ends.
struct Pending {
    recorder: Arc<Recorder>,
    request: Request,
    status: u16,
    headers: std::collections::BTreeMap<String, String>,
    streamed: bool,
    started: Instant,
    headers_ms: u64,
    chunks: Vec<(u64, Bytes)>,
}

impl Pending {
    fn write(self, end: End) -> Result<(), String> {
        let total = millis(self.started);
        let mut response = Response {
            status: self.status,
            headers: self.headers,
            body: None,
            text: None,
            chunks: None,
            end: None,
        };
        let whole = (!self.streamed && end == End::Complete).then(|| {
            self.chunks
                .iter()
                .flat_map(|(_, bytes)| bytes.iter().copied())
                .collect::<Vec<u8>>()
        });
        match whole {
            Some(bytes) => match serde_json::from_slice(&bytes) {
                Ok(json) => response.body = Some(json),
                Err(_) => response.text = Some(String::from_utf8_lossy(&bytes).into_owned()),
            },
            None => {
                response.chunks = Some(
                    self.chunks
                        .iter()
                        .map(|(ms, bytes)| Chunk::new(*ms, bytes))
                        .collect(),
                );
                response.end = Some(end);
            }
        }
        self.recorder.append(&Exchange {
            v: VERSION,
            request: self.request,
            response,
            ms: Timing {
                headers: self.headers_ms,
                total,
            },
        })
    }
}

/// A body passed through unchanged, kept for the cassette.
struct Tap {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    /// `None` once written.
    pending: Option<Pending>,
}

impl Stream for Tap {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(pending) = this.pending.as_mut() else {
            return Poll::Ready(None);
        };
        let next = match this.body.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(next) => next,
        };
        match next {
            Some(Ok(bytes)) => {
                pending
                    .chunks
                    .push((millis(pending.started), bytes.clone()));
                Poll::Ready(Some(Ok(bytes)))
            }
            Some(Err(error)) => {
                let message = crate::text::error_chain(&error);
                if let Some(pending) = this.pending.take()
                    && let Err(failed) = pending.write(End::Error(message))
                {
                    tracing::warn!(error = %failed, "the exchange was not recorded");
                }
                Poll::Ready(Some(Err(Box::new(error))))
            }
            None => match this
                .pending
                .take()
                .map(|pending| pending.write(End::Complete))
            {
                // Recording was asked for: a run whose exchange is missing from the
                // cassette fails rather than leave an incomplete cassette unnoticed.
                Some(Err(failed)) => Poll::Ready(Some(Err(failed.into()))),
                _ => Poll::Ready(None),
            },
        }
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        // Not read to its end: a streamed answer is left at `[DONE]`, a run that
        // failed or was cancelled leaves the rest. Replay stops at the same place.
        if let Some(pending) = self.pending.take()
            && let Err(failed) = pending.write(End::StoppedReading)
        {
            tracing::warn!(error = %failed, "the exchange was not recorded");
        }
    }
}
