//! Replaying: each request is served the response of an exchange of the
//! cassette whose request is the same (see [`super`] for what "the same" means),
//! without any network.

use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

use super::diff::{self, Ignored};
use super::format::{self, Body, End, Request};
use crate::error::Error;
use crate::respan::decode_respan_header;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The exchanges of a cassette, each served once.
pub(crate) struct Player {
    path: String,
    exchanges: Vec<Recorded>,
    /// Which exchanges have been served.
    served: Mutex<Vec<bool>>,
    ignored: Vec<Ignored>,
    base_path: String,
}

struct Recorded {
    line: usize,
    /// The request, without the ignored fields.
    request: Request,
    response: format::Response,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("path", &self.path)
            .field("exchanges", &self.exchanges.len())
            .finish()
    }
}

impl Player {
    pub(crate) fn load(path: &Path, ignored: &[String], base_path: &str) -> Result<Self, Error> {
        let ignored: Vec<Ignored> = ignored.iter().map(|p| Ignored::parse(p)).collect();
        let exchanges: Vec<Recorded> = format::load(path)?
            .into_iter()
            .map(|(line, exchange)| Recorded {
                line,
                request: normalised(exchange.request, &ignored),
                response: exchange.response,
            })
            .collect();
        Ok(Player {
            path: path.display().to_string(),
            served: Mutex::new(vec![false; exchanges.len()]),
            exchanges,
            ignored,
            base_path: base_path.to_string(),
        })
    }

    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }

    /// How many exchanges have not been served.
    pub(crate) fn remaining(&self) -> usize {
        let served = self.served.lock().unwrap_or_else(|e| e.into_inner());
        served.iter().filter(|s| !**s).count()
    }

    /// The response recorded for `request`: the first exchange not yet served
    /// whose request is the same.
    pub(crate) fn serve(&self, request: Request) -> Result<reqwest::Response, Error> {
        let sent = normalised(request, &self.ignored);
        let mut served = self.served.lock().unwrap_or_else(|e| e.into_inner());
        let mut nearest: Option<(usize, usize)> = None;
        for (index, recorded) in self.exchanges.iter().enumerate() {
            if served[index] {
                continue;
            }
            let distance = distance(&recorded.request, &sent);
            if distance == 0 {
                served[index] = true;
                return Ok(response(&recorded.response));
            }
            if nearest.is_none_or(|(_, best)| distance < best) {
                nearest = Some((index, distance));
            }
        }
        let Some((index, _)) = nearest else {
            return Err(Error::ReplayExhausted {
                cassette: self.path.clone(),
                exchanges: self.exchanges.len(),
            });
        };
        let already_replayed = self
            .exchanges
            .iter()
            .any(|recorded| distance(&recorded.request, &sent) == 0);
        let nearest = &self.exchanges[index];
        let (field, recorded, sent) = first_difference(&nearest.request, &sent);
        Err(Error::ReplayMismatch {
            cassette: self.path.clone(),
            line: nearest.line,
            field,
            recorded,
            sent,
            already_replayed,
        })
    }
}

fn normalised(mut request: Request, ignored: &[Ignored]) -> Request {
    request.body = diff::without(request.body, ignored);
    request
}

/// How many fields differ (0: the same request).
fn distance(recorded: &Request, sent: &Request) -> usize {
    const CAP: usize = 10_000;
    let line = usize::from(recorded.method != sent.method || recorded.path != sent.path);
    let headers = usize::from(recorded.headers != sent.headers);
    line + headers + diff::count(&recorded.body, &sent.body, CAP)
}

/// The first difference, as (field, recorded, sent): the body's fields first,
/// then Respan's headers, then the method and path.
fn first_difference(recorded: &Request, sent: &Request) -> (String, String, String) {
    if let Some(found) = diff::first(&recorded.body, &sent.body) {
        let (r, s) = diff::shown(found.recorded, found.sent);
        return (found.path, r, s);
    }
    // `X-Data-Respan-Params` is base64 of JSON: compared as the JSON it holds.
    let headers = |request: &Request| {
        Value::Object(
            request
                .headers
                .iter()
                .map(|(name, value)| {
                    let decoded = decode_respan_header(value);
                    (
                        name.clone(),
                        decoded.unwrap_or_else(|| Value::String(value.clone())),
                    )
                })
                .collect(),
        )
    };
    let (r, s) = (headers(recorded), headers(sent));
    if let Some(found) = diff::first(&r, &s) {
        let (rv, sv) = diff::shown(found.recorded, found.sent);
        return (format!("header {}", found.path), rv, sv);
    }
    (
        "request".to_string(),
        format!("{} {}", recorded.method, recorded.path),
        format!("{} {}", sent.method, sent.path),
    )
}

/// The recorded response, as the HTTP client would have returned it.
fn response(recorded: &format::Response) -> reqwest::Response {
    // Checked when the cassette was loaded.
    let body = match recorded.replay_body() {
        Ok(Body::Whole(bytes)) => reqwest::Body::from(bytes),
        Ok(Body::Chunks(chunks, end)) => {
            let ending: Option<Result<bytes::Bytes, BoxError>> = match end {
                End::Complete => None,
                End::StoppedReading => Some(Err(
                    "the cassette's recording of this response ends here (the recorded run \
                     stopped reading it)"
                        .into(),
                )),
                End::Error(message) => Some(Err(format!(
                    "the recorded connection failed here: {message}"
                )
                .into())),
            };
            let chunks = chunks.into_iter().map(Ok::<_, BoxError>);
            reqwest::Body::wrap_stream(futures_util::stream::iter(chunks.chain(ending)))
        }
        Err(message) => reqwest::Body::wrap_stream(futures_util::stream::once(async move {
            Err::<bytes::Bytes, BoxError>(message.into())
        })),
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() =
        http::StatusCode::from_u16(recorded.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    for (name, value) in &recorded.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            rebuilt.headers_mut().insert(name, value);
        }
    }
    if !rebuilt.headers().contains_key(http::header::CONTENT_TYPE) {
        rebuilt.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
    reqwest::Response::from(rebuilt)
}
