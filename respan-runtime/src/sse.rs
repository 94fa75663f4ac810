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

use crate::error::{Error, truncate};
use crate::wire::ChatChunk;

type Bytes = Pin<Box<dyn Stream<Item = Result<bytes::Bytes, reqwest::Error>> + Send>>;

/// The chunks of one streamed answer.
pub(crate) struct ChunkStream {
    events: EventStream<Bytes>,
    /// The longest wait for the next event (the gateway's timeout).
    gap: Duration,
    /// Events received so far (for error messages).
    received: usize,
    /// Whether the server ended the stream with `data: [DONE]`.
    done: bool,
}

impl ChunkStream {
    pub(crate) fn new(response: reqwest::Response, gap: Duration) -> Self {
        Self {
            events: EventStream::new(Box::pin(response.bytes_stream())),
            gap,
            received: 0,
            done: false,
        }
    }

    /// The next chunk; `Ok(None)` at the end of the stream (`[DONE]`, or the
    /// server closing it: [`ChunkStream::saw_done`] tells which).
    pub(crate) async fn next(&mut self) -> Result<Option<ChatChunk>, Error> {
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
                Some(Err(EventStreamError::Transport(error))) => {
                    return Err(Error::StreamTruncated {
                        events: self.received,
                        cause: Some(crate::transport::error_chain(&error)),
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
