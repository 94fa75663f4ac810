//! Record and replay of gateway traffic: a layer of the transport, under
//! async-openai and the runner, which do not know it is there.
//!
//! **Recording** ([`GatewayBuilder::record`](crate::GatewayBuilder::record),
//! `RESPAN_RECORD=path`) appends every exchange of a run to a cassette, a file
//! of JSON lines ([`format`]): the request's method, path, Respan's own headers
//! (`X-Data-Respan-Params`, `X-Respan-*`; never `Authorization`) and JSON body;
//! the response's status, headers (`Content-Type`, `Retry-After`, `X-*` such as
//! `X-Respan-Log-Id`) and body, or its chunks with the milliseconds at which
//! each arrived; and timings. The API key is cut out of every line. Each
//! exchange is one line written at once to a file opened for appending, so
//! concurrent runs (and processes) can record into one cassette.
//!
//! **Replaying** ([`Gateway::replay`](crate::Gateway::replay)) serves those
//! responses back with no network. Requests are **matched by content**, not
//! by position: a request is served the first exchange, in file order, that has
//! not been served yet and whose request is the same. Concurrent runs therefore
//! replay whatever order their requests arrive in, and a request sent twice
//! (a retry) gets its two recorded answers in order. "The same" means equal as
//! JSON (object key order and `1` vs `1.0` do not matter), the same Respan
//! headers, method and path; fields named with
//! [`GatewayBuilder::replay_ignore`](crate::GatewayBuilder::replay_ignore) are
//! left out (respan's own requests hold nothing volatile: no ids, no times, so
//! none is ignored by default). Timings are recorded for reading, not replayed:
//! chunks are served as fast as the run reads them.
//!
//! A request that matches no exchange left is [`Error::ReplayMismatch`]: the
//! first field that differs from the nearest unserved request (fewest differing
//! fields), as a JSON path, with both values. A request after every exchange has
//! been served is [`Error::ReplayExhausted`]. A cassette that cannot be read is
//! [`Error::Cassette`], with the line number of a bad line.

mod diff;
mod format;
mod record;
mod replay;

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::error::Error;
pub(crate) use record::Recorder;
pub(crate) use replay::Player;

/// A cassette in use by a gateway's transport.
#[derive(Debug)]
pub(crate) enum Cassette {
    Record(Arc<Recorder>),
    Replay(Player),
}

/// Why no response came: the HTTP client's error, or the replay's.
pub(crate) enum Failed {
    Http(reqwest::Error),
    Replay(Error),
}

impl Cassette {
    /// Sends `request` (recording the exchange), or serves it from the cassette.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, Failed> {
        match self {
            Cassette::Replay(player) => player
                .serve(sent(&request, player.base_path()))
                .map_err(Failed::Replay),
            Cassette::Record(recorder) => {
                let recorded = sent(&request, recorder.base_path());
                let started = Instant::now();
                let response = http.execute(request).await.map_err(Failed::Http)?;
                Ok(recorder.tap(recorded, response, started))
            }
        }
    }

    /// For a replay: how many exchanges have not been served.
    pub(crate) fn remaining(&self) -> Option<usize> {
        match self {
            Cassette::Replay(player) => Some(player.remaining()),
            Cassette::Record(_) => None,
        }
    }
}

/// The request as the cassette keeps it: only Respan's own headers (never
/// `Authorization`), the path relative to the base URL, the body as JSON.
fn sent(request: &reqwest::Request, base_path: &str) -> format::Request {
    let path = request.url().path();
    let path = path.strip_prefix(base_path).unwrap_or(path).to_string();
    let headers = request
        .headers()
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name.starts_with("x-respan-") || name.starts_with("x-data-respan-")
        })
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let body = match request.body().and_then(|body| body.as_bytes()) {
        Some(bytes) => serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
        None => Value::Null,
    };
    format::Request {
        method: request.method().to_string(),
        path,
        headers,
        body,
    }
}
