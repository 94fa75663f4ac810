//! Reading a streamed chat completion: the server-sent events of one response,
//! as chat-completion chunks, with a typed error for every way a stream breaks.
//!
//! The stream is read by the future that asks for the next chunk (the run),
//! not by a task of its own: dropping it drops the response, and the HTTP
//! client closes the connection.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{EventStream, EventStreamError};
use futures_util::{Stream, StreamExt as _};

use crate::error::Error;
use crate::limit::Permit;
use crate::text::truncate;
use crate::wire::ChatChunk;

type Bytes = Pin<Box<dyn Stream<Item = Result<bytes::Bytes, BodyError>> + Send>>;

/// Why the bytes of a stream stopped.
#[derive(Debug)]
enum BodyError {
    Transport(reqwest::Error),
    /// More bytes than this limit: the gateway's `max_response_bytes` for the
    /// whole stream, or [`MAX_EVENT_BYTES`] for one event.
    TooLarge(usize),
}

/// The largest single event read. A chat-completion chunk is a few hundred
/// bytes; the SSE parser rescans an unfinished event on every read (quadratic),
/// so an event that never ends must be cut early.
const MAX_EVENT_BYTES: usize = 512 * 1024;

/// Where the last complete event of `chunk` ends (after its blank line).
fn last_event_end(chunk: &[u8]) -> Option<usize> {
    let lf = chunk.windows(2).rposition(|w| w == b"\n\n").map(|i| i + 2);
    let crlf = chunk
        .windows(4)
        .rposition(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    lf.max(crlf)
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Transport(error) => f.write_str(&crate::text::error_chain(error)),
            BodyError::TooLarge(limit) => write!(f, "the stream is larger than {limit} bytes"),
        }
    }
}

/// The chunks of one streamed answer.
pub(crate) struct ChunkStream {
    events: EventStream<Bytes>,
    /// The longest wait for the next event (the gateway's timeout).
    gap: Duration,
    /// Events received so far (for error messages).
    received: usize,
    /// Whether the server ended the stream with `data: [DONE]`.
    done: bool,
    /// The connection permit of this request ([`crate::limit`]), given back
    /// when the stream ends, fails, or is dropped.
    permit: Permit,
}

impl ChunkStream {
    /// Reads `response`'s events, waiting at most `gap` for each, and at most
    /// `limit` bytes in all (an event that never ends cannot grow without bound).
    pub(crate) fn new(
        response: reqwest::Response,
        permit: Permit,
        gap: Duration,
        limit: usize,
    ) -> Self {
        let event_limit = limit.min(MAX_EVENT_BYTES);
        let mut read = 0usize;
        // Bytes since the last blank line: the event being received.
        let mut pending = 0usize;
        let bytes = response.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(BodyError::Transport)?;
            read = read.saturating_add(chunk.len());
            pending = match last_event_end(&chunk) {
                Some(end) => chunk.len() - end,
                None => pending.saturating_add(chunk.len()),
            };
            if read > limit {
                return Err(BodyError::TooLarge(limit));
            }
            if pending > event_limit {
                return Err(BodyError::TooLarge(event_limit));
            }
            Ok(chunk)
        });
        Self {
            events: EventStream::new(Box::pin(bytes)),
            gap,
            received: 0,
            done: false,
            permit,
        }
    }

    /// The next chunk; `Ok(None)` at the end of the stream (`[DONE]`, or the
    /// server closing it: [`ChunkStream::saw_done`] tells which).
    pub(crate) async fn next(&mut self) -> Result<Option<ChatChunk>, Error> {
        let next = self.read().await;
        if !matches!(next, Ok(Some(_))) {
            // Ended or broken: the request no longer counts against the limit.
            self.permit = None;
        }
        next
    }

    async fn read(&mut self) -> Result<Option<ChatChunk>, Error> {
        if self.done {
            return Ok(None);
        }
        loop {
            let event = tokio::time::timeout(self.gap, self.events.next())
                .await
                .map_err(|_elapsed| Error::StreamStalled {
                    gap: self.gap,
                    events: self.received,
                })?;
            let event = match event {
                None => return Ok(None),
                Some(Ok(event)) => event,
                Some(Err(EventStreamError::Transport(BodyError::TooLarge(limit)))) => {
                    return Err(Error::ResponseTooLarge { limit });
                }
                Some(Err(EventStreamError::Transport(error))) => {
                    return Err(Error::StreamTruncated {
                        events: self.received,
                        cause: Some(error.to_string()),
                    });
                }
                Some(Err(error)) => {
                    return Err(Error::MalformedResponse(format!(
                        "the event stream is not valid server-sent events after {} event(s): {error}",
                        self.received
                    )));
                }
            };
            self.received += 1;
            let data = event.data.trim();
            if data == "[DONE]" {
                self.done = true;
                return Ok(None);
            }
            // Keep-alives (`event: keepalive`, or an empty `data:`) carry no chunk.
            if event.event == "keepalive" || data.is_empty() {
                continue;
            }
            return serde_json::from_str(data).map(Some).map_err(|e| {
                Error::MalformedResponse(format!(
                    "event {} of the stream is not a chat-completion chunk ({e}): {}",
                    self.received,
                    truncate(data, 300)
                ))
            });
        }
    }

    /// Whether the server ended the stream with `data: [DONE]` (rather than
    /// closing the connection).
    pub(crate) fn saw_done(&self) -> bool {
        self.done
    }

    /// Events received so far.
    pub(crate) fn received(&self) -> usize {
        self.received
    }
}
