//! A session kept in the process's memory.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Error;
use crate::items::InputItem;
use crate::retry::BoxFuture;
use crate::session::Session;

/// A conversation in memory: for tests, demos and short-lived processes (the
/// items are gone when the last clone is dropped). Clones share the items.
///
/// ```
/// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
/// use respan_runtime::{MemorySession, Runner};
/// let session = MemorySession::new("user-42");
/// Runner::new().session(&session).run(&gateway, &agents, "My name is Ada.").await?;
/// let again = Runner::new().session(&session).run(&gateway, &agents, "What is my name?").await?;
/// # let _ = again; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MemorySession {
    id: String,
    items: Arc<Mutex<Vec<InputItem>>>,
    limit: Option<usize>,
    run_lock: Arc<tokio::sync::Mutex<()>>,
}

impl MemorySession {
    /// An empty conversation named `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            items: Arc::default(),
            limit: None,
            run_lock: Arc::default(),
        }
    }

    /// Runs load at most the latest `n` items (see [`Session::limit`]).
    pub fn with_limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    fn items(&self) -> MutexGuard<'_, Vec<InputItem>> {
        // Every change is one push, drain or clear: a panic elsewhere cannot
        // leave the items half-changed, so a poisoned lock is still sound.
        self.items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Session for MemorySession {
    fn session_id(&self) -> &str {
        &self.id
    }

    fn get_items(&self, limit: Option<usize>) -> BoxFuture<'_, Result<Vec<InputItem>, Error>> {
        let items = self.items();
        let start = limit.map_or(0, |n| items.len().saturating_sub(n));
        let loaded = items[start..].to_vec();
        Box::pin(std::future::ready(Ok(loaded)))
    }

    fn add_items<'a>(&'a self, items: &'a [InputItem]) -> BoxFuture<'a, Result<(), Error>> {
        self.items().extend_from_slice(items);
        Box::pin(std::future::ready(Ok(())))
    }

    fn pop_item(&self) -> BoxFuture<'_, Result<Option<InputItem>, Error>> {
        let popped = self.items().pop();
        Box::pin(std::future::ready(Ok(popped)))
    }

    fn clear_session(&self) -> BoxFuture<'_, Result<(), Error>> {
        self.items().clear();
        Box::pin(std::future::ready(Ok(())))
    }

    fn limit(&self) -> Option<usize> {
        self.limit
    }

    // Its own lock: two memory sessions with the same id are two conversations.
    fn run_lock(&self) -> Arc<tokio::sync::Mutex<()>> {
        self.run_lock.clone()
    }
}
