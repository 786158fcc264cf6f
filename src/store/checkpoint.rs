//! Copying committed pages from the WAL back into the database file (a checkpoint) on a thread
//! and connection of its own, so that the writer, which every delivery's answer waits for,
//! does not stop for it.
//!
//! Left to itself the writer checkpoints every [`super::WRITER_CHECKPOINT_PAGES`] pages, inside
//! a commit: it copies the WAL back and fsyncs it and the database, and no delivery is committed
//! meanwhile. With this thread beside it, a passive checkpoint follows every few thousand rows, so when the writer's own turn comes nearly everything has been copied already, and
//! its checkpoint (which must be the writer's: only a checkpoint with no commit racing it copies
//! everything, which lets the next commit start the WAL again from the top) is short. A
//! passive checkpoint never waits for the writer or for readers and never blocks them.
//!
//! It owns no data: if it cannot open its connection or a checkpoint fails, the writer's own
//! checkpoints still do all of the work, as before.

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use super::{Durability, StoreError};

/// Rows committed between two passive checkpoints (about 3,000 WAL pages of captures): under
/// load one every few tens of milliseconds, at a trickle seldom, so that a lone delivery
/// rarely shares the machine with a checkpoint's copying and fsyncs.
const ROWS_PER_CHECKPOINT: usize = 2_000;

/// The writer's side: it says what it has committed. Dropping it ends the thread.
pub(super) struct Checkpointer {
    /// Rows committed since the thread last started a checkpoint.
    rows: Arc<AtomicUsize>,
    due: Option<mpsc::SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread for the database at `path`, fsyncing as the writer's `durability`
    /// says. Never fails: without the thread the writer checkpoints alone.
    pub(super) fn start(path: &Path, durability: Durability) -> Checkpointer {
        let (tx, rx) = mpsc::sync_channel(1);
        let rows = Arc::new(AtomicUsize::new(0));
        let path = path.to_path_buf();
        let counted = rows.clone();
        let thread = std::thread::Builder::new()
            .name("hookscope-checkpoint".into())
            .spawn(move || run(path, durability, rx, counted));
        match thread {
            Ok(thread) => Checkpointer {
                rows,
                due: Some(tx),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::debug!("no checkpoint thread ({e}); the writer checkpoints alone");
                Checkpointer {
                    rows,
                    due: None,
                    thread: None,
                }
            }
        }
    }

    /// After a commit of `rows` rows: a checkpoint is due once enough have been. Never blocks.
    pub(super) fn committed(&self, rows: usize) {
        let before = self.rows.fetch_add(rows, Ordering::Relaxed);
        if before < ROWS_PER_CHECKPOINT && before + rows >= ROWS_PER_CHECKPOINT {
            if let Some(tx) = &self.due {
                let _ = tx.try_send(());
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.due = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(path: PathBuf, durability: Durability, due: mpsc::Receiver<()>, rows: Arc<AtomicUsize>) {
    let conn = match open(&path, durability) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::debug!("no checkpoint connection ({e}); the writer checkpoints alone");
            return;
        }
    };
    while due.recv().is_ok() {
        // What is committed from now on counts towards the next one.
        rows.store(0, Ordering::Relaxed);
        if let Err(e) = passive(&conn) {
            tracing::debug!("database '{}': checkpoint: {e}", path.display());
        }
    }
}

/// A connection with the settings every hookscope connection gets (`crate::sqlite::prepare`), which
/// never checkpoints by itself: it makes no commits, and checkpoints only when asked here.
fn open(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::sqlite(path, e))?;
    crate::sqlite::prepare(&conn, path, durability)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(|e| StoreError::sqlite(path, e))?;
    Ok(conn)
}

/// One passive checkpoint: as many frames as no reader still needs, without waiting.
fn passive(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{OpenMode, Store};

    #[test]
    fn commits_are_copied_into_the_database_by_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = Store::open(&path, OpenMode::Create).unwrap();
        // Only the thread checkpoints here.
        store
            .conn
            .pragma_update(None, "wal_autocheckpoint", 0)
            .unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        let checkpointer = Checkpointer::start(&path, Durability::Normal);
        store
            .conn
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (zeroblob(100000));")
            .unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            before,
            "all in the WAL"
        );
        checkpointer.committed(ROWS_PER_CHECKPOINT - 1);
        checkpointer.committed(1);
        // Ends only after the checkpoint it was told about.
        drop(checkpointer);
        let after = std::fs::metadata(&path).unwrap().len();
        assert!(after >= before + 100_000, "{before} -> {after} bytes");
    }

    #[test]
    fn a_missing_database_only_means_no_thread() {
        let dir = tempfile::tempdir().unwrap();
        let checkpointer = Checkpointer::start(&dir.path().join("absent.db"), Durability::Normal);
        checkpointer.committed(ROWS_PER_CHECKPOINT);
        drop(checkpointer);
        assert!(!dir.path().join("absent.db").exists(), "nothing created");
    }
}
