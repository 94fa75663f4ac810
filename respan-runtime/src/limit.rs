//! The connection limit: at most N requests to the gateway at once, as the
//! Python clients have (openai-python's httpx client: `max_connections=1000`,
//! `max_keepalive_connections=100`).
//!
//! Without it every in-flight run opens its own HTTP/1.1 connection (the pool
//! has no idle one to lend), so 10 000 concurrent runs hold 10 000 sockets with
//! hyper's buffers, and the gateway sees 10 000 connections. With it, a request
//! waits for a permit before it is sent; a permit stands for one connection in
//! use, since a request holds it until its response is read (a JSON body) or its
//! stream ends or is dropped.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::Error;

/// How many requests to the gateway may be in flight at once, by default
/// (openai-python's `DEFAULT_CONNECTION_LIMITS.max_connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1000;
/// How many idle connections are kept open for reuse, by default
/// (openai-python's `max_keepalive_connections`).
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 100;

/// The right to have one request in flight; released when dropped. `None` when
/// the gateway has no limit.
pub(crate) type Permit = Option<OwnedSemaphorePermit>;

/// A gateway's limit on requests in flight, shared by its clones.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionLimit {
    /// `None`: no limit.
    permits: Option<Arc<Semaphore>>,
    /// The limit as given (a semaphore does not keep its initial size).
    max: usize,
}

impl ConnectionLimit {
    /// A limit of `max` requests at once; `usize::MAX` (or anything above what
    /// a semaphore can count, about 2^61) means no limit, and 0 is an error.
    pub(crate) fn new(max: usize) -> Result<Self, Error> {
        if max == 0 {
            return Err(Error::Config(
                "max_connections(0) would let no request through: give at least 1, \
                 or usize::MAX for no limit"
                    .into(),
            ));
        }
        let permits = (max <= Semaphore::MAX_PERMITS).then(|| Arc::new(Semaphore::new(max)));
        Ok(Self { permits, max })
    }

    /// The limit, or `None` for no limit.
    pub(crate) fn max(&self) -> Option<usize> {
        self.permits.as_ref().map(|_| self.max)
    }

    /// Waits for a free slot. No allocation: the waiter lives in this future.
    ///
    /// The gateway waits before it serializes a request, so the many runs that
    /// wait at once hold no body, headers or transport future meanwhile.
    pub(crate) async fn acquire(&self) -> Permit {
        let permits = self.permits.as_ref()?;
        // The semaphore is never closed, so this cannot fail; if it ever were,
        // requests would go unlimited rather than fail.
        permits.clone().acquire_owned().await.ok()
    }
}
