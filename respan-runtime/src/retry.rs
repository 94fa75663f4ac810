//! When and how long to wait before retrying a gateway request.
//!
//! This is the only retry mechanism: async-openai's own retry layer is replaced
//! by our transport (see `transport.rs`), so a failing request is never retried twice over.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// Retry settings: 429, 5xx, timeouts and connection failures are retried with
/// bounded exponential backoff and jitter; `Retry-After` (header or the body's
/// `retry_after`) replaces the computed delay.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3, so 4 requests at most).
    pub max_retries: u32,
    /// Delay before the first retry (default 0.5 s); doubled for each further retry.
    pub initial_delay: Duration,
    /// Upper bound of the computed delay (default 8 s).
    pub max_delay: Duration,
    /// Fraction of the delay removed at random, 0.0..=1.0 (default 0.25), so that
    /// many clients do not retry in lockstep.
    pub jitter: f64,
    /// A `Retry-After` longer than this is not waited for: the error is returned
    /// at once (default 120 s, as the OpenAI clients do).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            jitter: 0.25,
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The delay before retry number `retry` (0-based), or `None` when the
    /// server's `Retry-After` is longer than [`RetryPolicy::max_retry_after`].
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Some(wait) = retry_after {
            return (wait <= self.max_retry_after).then_some(wait);
        }
        let factor = 2u32.saturating_pow(retry);
        let base = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        let jitter = self.jitter.clamp(0.0, 1.0);
        Some(base.mul_f64(1.0 - jitter * fastrand::f64()))
    }
}

/// The gateway's `Retry-After`: `retry-after-ms`, then `Retry-After` in seconds
/// or as an HTTP date.
pub(crate) fn header_retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = parse_http_date(value)?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete forms
/// servers may still send), by the `httpdate` crate.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value).ok()
}

/// A boxed future, as returned by [`Sleeper`] and [`crate::Tool::call`]:
/// futures' own `Pin<Box<dyn Future<Output = T> + Send + 'a>>`.
pub use futures_util::future::BoxFuture;

/// How the transport waits between retries. The default is `tokio::time::sleep`;
/// tests install one that records the delays and returns at once.
#[derive(Clone)]
pub struct Sleeper(Arc<dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync>);

impl Sleeper {
    /// A sleeper from a function returning the future to wait on.
    pub fn new(f: impl Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Waits with `tokio::time::sleep`.
    pub fn tokio() -> Self {
        Self::new(|d| Box::pin(tokio::time::sleep(d)))
    }

    pub(crate) fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()> {
        (self.0)(delay)
    }
}

impl Default for Sleeper {
    fn default() -> Self {
        Self::tokio()
    }
}

impl std::fmt::Debug for Sleeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sleeper(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn exponential_bounded_with_jitter() {
        let p = RetryPolicy::default();
        for retry in 0..10 {
            let Some(d) = p.delay(retry, None) else {
                panic!("no delay")
            };
            let full = Duration::from_millis(500)
                .saturating_mul(2u32.saturating_pow(retry))
                .min(Duration::from_secs(8));
            assert!(d <= full && d >= full.mul_f64(0.75), "{retry}: {d:?}");
        }
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(121))), None);
    }

    #[test]
    fn parses_header_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(header_retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(header_retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(header_retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(header_retry_after(&h), None);
    }

    #[test]
    fn http_date_epoch() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(784_111_777))
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(784_111_777))
        );
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(
            parse_http_date("Sun, 06 Nov 18446744073709551615 08:49:37 GMT"),
            None
        );
    }
}
