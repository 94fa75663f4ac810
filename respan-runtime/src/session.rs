//! Sessions: conversation memory across runs, as the Agents SDK's `Session`s.
//!
//! A run in a session ([`Runner::session`](crate::Runner::session)) loads the
//! session's items before it starts, puts them in front of its input, and
//! appends its input and every message it added (answers, tool calls and
//! results, handoffs) when it ends. The next run in the session continues the
//! conversation. The items are the chat-completions messages the runner keeps
//! as history ([`InputItem`]), the same as [`RunResult::to_input_list`](crate::RunResult::to_input_list).
//!
//! Stores: [`MemorySession`] (in the process) and, with the `sqlite` feature,
//! `SqliteSession` (a SQLite database file). Any other store implements [`Session`].

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use crate::error::Error;
use crate::items::InputItem;
use crate::retry::BoxFuture;

mod memory;
mod run;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemorySession;
pub use run::SessionRunner;
#[cfg(feature = "sqlite")]
pub use sqlite::{SQLITE_SCHEMA_VERSION, SqliteSession, SqliteStore};

/// A store of one conversation's items, the Agents SDK's `Session`
/// (`get_items`, `add_items`, `pop_item`, `clear_session`).
///
/// The trait is object-safe (its methods return boxed futures), so runs take a
/// `&dyn Session` and a store can be chosen at run time.
///
/// ```
/// # async fn demo() -> Result<(), respan_runtime::Error> {
/// use respan_runtime::{InputItem, MemorySession, Session};
/// let session = MemorySession::new("user-42");
/// session.add_items(&[InputItem::user("Hi"), InputItem::assistant("Hello!")]).await?;
/// assert_eq!(session.get_items(Some(1)).await?, vec![InputItem::assistant("Hello!")]);
/// session.clear_session().await?;
/// assert!(session.get_items(None).await?.is_empty());
/// # Ok(()) }
/// ```
pub trait Session: Send + Sync {
    /// The conversation's id (several sessions can share one store).
    fn session_id(&self) -> &str;

    /// The conversation's items in order; with `Some(n)`, only the latest `n`
    /// (still in order), as the SDK's `get_items(limit)`. A run cuts further so
    /// that the history does not start with a tool result whose call was cut off.
    fn get_items(&self, limit: Option<usize>) -> BoxFuture<'_, Result<Vec<InputItem>, Error>>;

    /// Appends `items` at the end of the conversation, all or none.
    fn add_items<'a>(&'a self, items: &'a [InputItem]) -> BoxFuture<'a, Result<(), Error>>;

    /// Removes and returns the latest item (e.g. to undo or correct a turn).
    fn pop_item(&self) -> BoxFuture<'_, Result<Option<InputItem>, Error>>;

    /// Removes every item of the conversation.
    fn clear_session(&self) -> BoxFuture<'_, Result<(), Error>>;

    /// How many items a run loads, when the run does not say
    /// ([`SessionRunner::limit`]): the SDK's `SessionSettings.limit`. `None`
    /// (the default) loads them all.
    fn limit(&self) -> Option<usize> {
        None
    }

    /// The lock a run holds from loading the items to appending its own, so
    /// that concurrent runs on one conversation run one after the other, each
    /// seeing the items of the one before. The default is shared by every
    /// session of this process with the same [`Session::session_id`]; a store
    /// whose ids are only unique within it (a database file) keys it by store
    /// too. It serializes runs within one process only.
    fn run_lock(&self) -> Arc<tokio::sync::Mutex<()>> {
        shared_run_lock(self.session_id())
    }
}

/// The process-wide run lock of `key` (a session id, or a store and an id):
/// every caller with the same key gets the same lock while one of them holds it.
pub fn shared_run_lock(key: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: LazyLock<Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>> =
        LazyLock::new(Default::default);
    let mut locks = LOCKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
        return lock;
    }
    // Forget the locks nobody holds any more, so the map stays as small as the
    // set of conversations in use.
    locks.retain(|_, lock| lock.strong_count() > 0);
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(key.to_string(), Arc::downgrade(&lock));
    lock
}

/// Cuts the front of a loaded history until it starts where a conversation
/// can: a tool result whose assistant call was left out by a limit would be
/// rejected by the model's API (a `tool` message must answer a `tool_calls`).
pub(crate) fn cut_at_safe_start(items: &mut Vec<InputItem>) {
    let start = items
        .iter()
        .position(|item| !matches!(item, InputItem::Tool { .. }))
        .unwrap_or(items.len());
    items.drain(..start);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_history_never_starts_with_a_tool_result() {
        let tool = |id: &str| InputItem::Tool {
            tool_call_id: id.into(),
            content: "42".into(),
        };
        let mut items = vec![
            tool("a"),
            tool("b"),
            InputItem::assistant("The answer is 42."),
        ];
        cut_at_safe_start(&mut items);
        assert_eq!(items, vec![InputItem::assistant("The answer is 42.")]);

        let mut only_results = vec![tool("a")];
        cut_at_safe_start(&mut only_results);
        assert!(only_results.is_empty());

        let whole = vec![InputItem::user("Hi"), tool("a")];
        let mut kept = whole.clone();
        cut_at_safe_start(&mut kept);
        assert_eq!(kept, whole, "a history that starts well is not cut");
    }

    #[test]
    fn one_key_one_lock_while_it_is_held() {
        let first = shared_run_lock("session-a");
        assert!(Arc::ptr_eq(&first, &shared_run_lock("session-a")));
        assert!(!Arc::ptr_eq(&first, &shared_run_lock("session-b")));
    }
}
