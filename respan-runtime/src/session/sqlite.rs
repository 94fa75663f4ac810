//! Sessions in a SQLite database file (feature `sqlite`), with rusqlite and
//! the SQLite it bundles: one C library compiled once, no system library, no
//! async driver stack (sqlx would add its runtime, pool and macros for the
//! same four statements). The blocking calls run on tokio's blocking threads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, params};

use crate::error::Error;
use crate::items::InputItem;
use crate::retry::BoxFuture;
use crate::session::{Session, shared_run_lock};

/// The version of the tables this release writes (in `respan_meta`); a file
/// written by a later version is refused rather than misread.
pub const SQLITE_SCHEMA_VERSION: u32 = 1;

/// How long a write waits for another process's write to the same file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
    BEGIN IMMEDIATE;
    CREATE TABLE IF NOT EXISTS respan_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT OR IGNORE INTO respan_meta (key, value) VALUES ('schema_version', '1');
    CREATE TABLE IF NOT EXISTS respan_session_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL,
        -- One chat-completions message (an InputItem), as JSON.
        item TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
    );
    CREATE INDEX IF NOT EXISTS respan_session_items_by_session
        ON respan_session_items (session_id, id);
    COMMIT;
";

/// A SQLite database file holding any number of conversations (the tables
/// `respan_session_items` and `respan_meta`, created when the file is opened).
/// Clones share one connection; open a [`SqliteSession`] per conversation.
///
/// ```no_run
/// # async fn demo() -> Result<(), respan_runtime::Error> {
/// use respan_runtime::{Session, SqliteStore};
/// let store = SqliteStore::open("conversations.db")?;
/// let alice = store.session("alice");
/// let bob = store.session("bob");
/// println!("{} and {} items", alice.get_items(None).await?.len(), bob.get_items(None).await?.len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Store>,
}

struct Store {
    path: PathBuf,
    /// The file's identity for run locks: its canonical path.
    lock_prefix: String,
    connection: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path` and its tables. Fails
    /// with [`Error::Session`] when the file cannot be opened or created, is
    /// not a SQLite database, or was written by a later schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let cannot_open = |cause: rusqlite::Error| {
            Error::Session(format!(
                "could not open the session database {}: {cause}; check that its directory \
                 exists and is writable, and that the file is a SQLite database",
                path.display()
            ))
        };
        let connection = Connection::open(&path).map_err(cannot_open)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(cannot_open)?;
        connection.execute_batch(SCHEMA).map_err(cannot_open)?;
        let version: String = connection
            .query_row(
                "SELECT value FROM respan_meta WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .map_err(cannot_open)?;
        if version != SQLITE_SCHEMA_VERSION.to_string() {
            return Err(Error::Session(format!(
                "the session database {} has schema version {version}, and this respan reads \
                 version {SQLITE_SCHEMA_VERSION}: open it with the respan that wrote it, or use \
                 another file",
                path.display()
            )));
        }
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        Ok(Self {
            inner: Arc::new(Store {
                lock_prefix: format!("sqlite:{}", canonical.display()),
                path,
                connection: Mutex::new(connection),
            }),
        })
    }

    /// The conversation `id` in this file.
    pub fn session(&self, id: impl Into<String>) -> SqliteSession {
        let id = id.into();
        SqliteSession {
            lock_key: format!("{}\0{id}", self.inner.lock_prefix),
            store: self.clone(),
            id,
            limit: None,
        }
    }

    /// The database file's path, as given to [`SqliteStore::open`].
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` on the connection on a blocking thread.
    async fn with_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store, MutexGuard<'_, Connection>) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let store = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            // A statement either ran or did not: a panic elsewhere while the
            // lock was held leaves the connection usable.
            let connection = store
                .connection
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&store, connection)
        })
        .await
        .map_err(|error| Error::Session(format!("the session database task failed: {error}")))?
    }
}

impl Store {
    fn failed(&self, doing: &str, cause: impl std::fmt::Display) -> Error {
        Error::Session(format!(
            "could not {doing} the session database {}: {cause}",
            self.path.display()
        ))
    }
}

/// One conversation in a SQLite database file: the SDK's `SQLiteSession`.
/// Items are stored as JSON chat-completions messages, and survive the
/// process: a new store on the same file sees them.
///
/// ```no_run
/// # async fn demo(gateway: respan_runtime::Gateway, agents: respan_runtime::AgentSet) -> Result<(), respan_runtime::Error> {
/// use respan_runtime::{Runner, SqliteSession};
/// let session = SqliteSession::open("conversations.db", "user-42")?.with_limit(100);
/// let result = Runner::new().session(&session).run(&gateway, &agents, "Where were we?").await?;
/// # let _ = result; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SqliteSession {
    store: SqliteStore,
    id: String,
    limit: Option<usize>,
    lock_key: String,
}

impl SqliteSession {
    /// Opens the conversation `id` in the database file at `path` (see
    /// [`SqliteStore::open`]; use one store for many conversations).
    pub fn open(path: impl AsRef<Path>, id: impl Into<String>) -> Result<Self, Error> {
        Ok(SqliteStore::open(path)?.session(id))
    }

    /// Runs load at most the latest `n` items (see [`Session::limit`]).
    pub fn with_limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// The file it is stored in.
    pub fn store(&self) -> &SqliteStore {
        &self.store
    }
}

impl Session for SqliteSession {
    fn session_id(&self) -> &str {
        &self.id
    }

    fn get_items(&self, limit: Option<usize>) -> BoxFuture<'_, Result<Vec<InputItem>, Error>> {
        let id = self.id.clone();
        // SQLite's LIMIT -1 is "no limit".
        let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        Box::pin(self.store.with_connection(move |store, connection| {
            let read = |cause| store.failed("read", cause);
            let mut statement = connection
                .prepare_cached(
                    "SELECT id, item FROM (
                         SELECT id, item FROM respan_session_items WHERE session_id = ?1
                         ORDER BY id DESC LIMIT ?2
                     ) ORDER BY id",
                )
                .map_err(read)?;
            let rows = statement
                .query_map(params![id, limit], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(read)?;
            let mut items = Vec::new();
            for row in rows {
                let (row_id, json) = row.map_err(read)?;
                let item = serde_json::from_str(&json).map_err(|cause| {
                    store.failed(
                        "read",
                        format!(
                            "item {row_id} of session {id:?} is not a chat message ({cause}); \
                             remove it, or clear the session"
                        ),
                    )
                })?;
                items.push(item);
            }
            Ok(items)
        }))
    }

    fn add_items<'a>(&'a self, items: &'a [InputItem]) -> BoxFuture<'a, Result<(), Error>> {
        let id = self.id.clone();
        let rows: Result<Vec<String>, _> = items.iter().map(serde_json::to_string).collect();
        Box::pin(async move {
            let rows =
                rows.map_err(|cause| Error::Session(format!("an item is not JSON: {cause}")))?;
            if rows.is_empty() {
                return Ok(());
            }
            self.store
                .with_connection(move |store, mut connection| {
                    let write = |cause| store.failed("write to", cause);
                    // One transaction: the items of a run are stored all or none.
                    let transaction = connection.transaction().map_err(write)?;
                    {
                        let mut insert = transaction
                            .prepare_cached(
                                "INSERT INTO respan_session_items (session_id, item) VALUES (?1, ?2)",
                            )
                            .map_err(write)?;
                        for row in &rows {
                            insert.execute(params![id, row]).map_err(write)?;
                        }
                    }
                    transaction.commit().map_err(write)
                })
                .await
        })
    }

    fn pop_item(&self) -> BoxFuture<'_, Result<Option<InputItem>, Error>> {
        let id = self.id.clone();
        Box::pin(self.store.with_connection(move |store, connection| {
            let write = |cause| store.failed("write to", cause);
            let mut statement = connection
                .prepare_cached(
                    "DELETE FROM respan_session_items WHERE id = (
                         SELECT MAX(id) FROM respan_session_items WHERE session_id = ?1
                     ) RETURNING item",
                )
                .map_err(write)?;
            let mut rows = statement.query(params![id]).map_err(write)?;
            let Some(row) = rows.next().map_err(write)? else {
                return Ok(None);
            };
            let json: String = row.get(0).map_err(write)?;
            serde_json::from_str(&json).map(Some).map_err(|cause| {
                store.failed(
                    "read",
                    format!("the last item of session {id:?} is not a chat message ({cause})"),
                )
            })
        }))
    }

    fn clear_session(&self) -> BoxFuture<'_, Result<(), Error>> {
        let id = self.id.clone();
        Box::pin(self.store.with_connection(move |store, connection| {
            connection
                .execute(
                    "DELETE FROM respan_session_items WHERE session_id = ?1",
                    params![id],
                )
                .map(drop)
                .map_err(|cause| store.failed("write to", cause))
        }))
    }

    fn limit(&self) -> Option<usize> {
        self.limit
    }

    // Keyed by file and id: the same id in two files is two conversations.
    fn run_lock(&self) -> Arc<tokio::sync::Mutex<()>> {
        shared_run_lock(&self.lock_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_a_later_schema_version_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sessions.db");
        SqliteStore::open(&path).expect("a new file gets the tables");
        SqliteStore::open(&path).expect("and opens again");
        Connection::open(&path)
            .and_then(|db| {
                db.execute(
                    "UPDATE respan_meta SET value = '2' WHERE key = 'schema_version'",
                    [],
                )
            })
            .expect("bump the version");
        let error = SqliteStore::open(&path).expect_err("version 2 is not read");
        let message = error.to_string();
        assert!(
            message.contains("schema version 2") && message.contains("reads version 1"),
            "{message}"
        );
    }
}
