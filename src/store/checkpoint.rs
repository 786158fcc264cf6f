//! Copying committed pages from the WAL back into the database file (a checkpoint) on a thread
//! and connection of its own, so that the writer, which every delivery's answer waits for,
//! does not stop for it.
//!
//! A passive checkpoint follows every few thousand committed rows. It never waits for the
//! writer or for readers and never blocks them, but under load it never finishes either (the
//! writer appends while it copies), and only a checkpoint that copies everything lets the WAL
//! start over from the top, so the writer still has to checkpoint now and then itself: it is
//! the one connection whose checkpoint no commit races. That checkpoint holds every delivery up
//! while it copies what is left and fsyncs the WAL and the database file, and the database
//! file's fsync then carried every page the passive checkpoints had copied since the last
//! one (they fsync the database file only when they finish, which under load they never do):
//! tens of megabytes, 30-250 ms on this project's VM (BENCHMARKS.md, "The tail under load").
//!
//! So the writer's turn is prepared here: once the WAL holds [`RESTART_FRAMES`] frames, the
//! thread fsyncs the database file itself (outside any lock, while the writer goes on), copies
//! and fsyncs again what was committed meanwhile, and only then tells the writer
//! ([`Checkpointer::restart_due`]), whose checkpoint is then left a few commits to copy and
//! little to fsync. The writer's automatic checkpoint every [`super::WRITER_CHECKPOINT_PAGES`]
//! stays as the backstop for a thread that cannot keep up.
//!
//! It owns no data: if it cannot open its connection or a checkpoint fails, the writer's own
//! checkpoints still do all of the work, as before.

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use super::{Durability, StoreError};

/// Rows committed between two passive checkpoints (about 3,000 WAL pages of captures): under
/// load one every few tens of milliseconds, at a trickle seldom, so that a lone delivery
/// rarely shares the machine with a checkpoint's copying and fsyncs.
const ROWS_PER_CHECKPOINT: usize = 2_000;

/// WAL frames (4 KiB pages: 48 MiB) after which the thread prepares the writer's checkpoint,
/// which lets the WAL start over: the WAL file stays about this size under steady load. Below
/// the writer's automatic checkpoint (64 MiB), the backstop. Each writer's checkpoint still
/// holds deliveries up for two small fsyncs, which on a disk shared with busy neighbours
/// sometimes take 20-300 ms, so fewer is better for the tail: at 16 MiB the p99 was no better
/// than with no preparation at all (BENCHMARKS.md, "The tail under load").
pub(super) const RESTART_FRAMES: i64 = 12_288;

/// Rounds of "fsync the database file, copy what came meanwhile" before the writer's turn:
/// each round's copy is what was committed during the previous round's fsync.
const PREPARE_ROUNDS: usize = 2;

/// The writer's side: it says what it has committed. Dropping it ends the thread.
pub(super) struct Checkpointer {
    /// Rows committed since the thread last started a checkpoint.
    rows: Arc<AtomicUsize>,
    /// Set by the thread once the writer's checkpoint is prepared; taken by the writer.
    restart: Arc<AtomicBool>,
    due: Option<mpsc::SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread for the database at `path`, fsyncing as the writer's `durability`
    /// says. Never fails: without the thread the writer checkpoints alone.
    pub(super) fn start(path: &Path, durability: Durability) -> Checkpointer {
        let (tx, rx) = mpsc::sync_channel(1);
        let rows = Arc::new(AtomicUsize::new(0));
        let restart = Arc::new(AtomicBool::new(false));
        let path = path.to_path_buf();
        let shared = Shared {
            rows: rows.clone(),
            restart: restart.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("hookscope-checkpoint".into())
            .spawn(move || run(path, durability, rx, shared));
        match thread {
            Ok(thread) => Checkpointer {
                rows,
                restart,
                due: Some(tx),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::debug!("no checkpoint thread ({e}); the writer checkpoints alone");
                Checkpointer {
                    rows,
                    restart,
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

    /// Whether the writer should checkpoint now, after its commit: the thread has copied and
    /// fsynced nearly all of a WAL that is due to start over. Answers yes once per preparation.
    pub(super) fn restart_due(&self) -> bool {
        self.restart.swap(false, Ordering::Relaxed)
    }

    /// The writer's checkpoint (see the module's comment), on the writer's connection `conn`
    /// right after a commit: it copies the rest, and the next commit starts the WAL over
    /// (unless a reader still reads from it: then the next preparation tries again). When the
    /// thread was itself checkpointing just then, it asks again after the next commit.
    pub(super) fn restart(&self, conn: &Connection) -> rusqlite::Result<()> {
        if passive(conn)?.busy {
            self.restart.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// What the thread and the writer's side share.
struct Shared {
    rows: Arc<AtomicUsize>,
    restart: Arc<AtomicBool>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.due = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(path: PathBuf, durability: Durability, due: mpsc::Receiver<()>, shared: Shared) {
    let (conn, file) = match open(&path, durability) {
        Ok(opened) => opened,
        Err(e) => {
            tracing::debug!("no checkpoint connection ({e}); the writer checkpoints alone");
            return;
        }
    };
    while due.recv().is_ok() {
        // What is committed from now on counts towards the next one.
        shared.rows.store(0, Ordering::Relaxed);
        match checkpoint(&conn, &file, RESTART_FRAMES) {
            Ok(prepared) => {
                if prepared {
                    shared.restart.store(true, Ordering::Relaxed);
                }
            }
            Err(e) => tracing::debug!("database '{}': checkpoint: {e}", path.display()),
        }
    }
}

/// One passive checkpoint; once the WAL holds `restart_frames` ([`RESTART_FRAMES`]), also the
/// preparation of the writer's checkpoint. Returns whether the writer's is now prepared.
fn checkpoint(
    conn: &Connection,
    file: &std::fs::File,
    restart_frames: i64,
) -> std::io::Result<bool> {
    let done = passive(conn).map_err(std::io::Error::other)?;
    if !restart_wanted(&done, restart_frames) {
        return Ok(false);
    }
    for _ in 0..PREPARE_ROUNDS {
        // The pages copied so far reach the disk now, not inside the writer's checkpoint.
        file.sync_data()?;
        passive(conn).map_err(std::io::Error::other)?;
    }
    file.sync_data()?;
    Ok(true)
}

/// The rule for preparing the writer's checkpoint: a WAL of [`RESTART_FRAMES`] or more that
/// a passive checkpoint could work on (not one a reader kept it from).
fn restart_wanted(done: &Passive, frames: i64) -> bool {
    !done.busy && done.log >= frames
}

/// A connection with the settings every hookscope connection gets (`crate::sqlite::prepare`), which
/// never checkpoints by itself: it makes no commits, and checkpoints only when asked here. Also
/// the database file itself, to fsync it (an fsync on any descriptor of a file writes all of
/// its dirty pages).
fn open(path: &Path, durability: Durability) -> Result<(Connection, std::fs::File), StoreError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::sqlite(path, e))?;
    crate::sqlite::prepare(&conn, path, durability)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(|e| StoreError::sqlite(path, e))?;
    let file = std::fs::File::open(path).map_err(|e| {
        StoreError::sqlite(path, rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
    })?;
    Ok((conn, file))
}

/// What a passive checkpoint found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Passive {
    /// Another checkpoint was running: nothing was done.
    busy: bool,
    /// Frames in the WAL.
    log: i64,
}

/// One passive checkpoint: as many frames as no reader still needs, without waiting.
fn passive(conn: &Connection) -> rusqlite::Result<Passive> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok(Passive {
            busy: r.get::<_, i64>(0)? != 0,
            log: r.get(1)?,
        })
    })
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
    fn the_writers_checkpoint_is_prepared_once_the_wal_is_big_enough_and_not_when_busy() {
        let at = |busy, log| restart_wanted(&Passive { busy, log }, RESTART_FRAMES);
        assert!(!at(false, 0));
        assert!(!at(false, RESTART_FRAMES - 1));
        assert!(at(false, RESTART_FRAMES));
        assert!(at(false, RESTART_FRAMES * 4));
        // Another checkpoint was running: it did nothing, nothing is prepared.
        assert!(!at(true, RESTART_FRAMES * 4));
        // Prepared before the writer's own automatic checkpoint would come.
        const { assert!(RESTART_FRAMES < crate::store::WRITER_CHECKPOINT_PAGES) };
    }

    #[test]
    fn a_prepared_writer_checkpoint_lets_the_wal_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let store = Store::open(&path, OpenMode::Create).unwrap();
        let writer = &store.conn;
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer.execute_batch("CREATE TABLE t(x)").unwrap();
        let (conn, file) = open(&path, Durability::Normal).unwrap();
        let write = |n: usize| {
            for _ in 0..n {
                writer
                    .execute_batch("INSERT INTO t VALUES (zeroblob(8000))")
                    .unwrap();
            }
        };
        write(10);
        // A small WAL: a passive checkpoint, nothing prepared.
        assert!(!checkpoint(&conn, &file, 100).unwrap());
        write(100);
        let grown = passive(writer).unwrap().log;
        assert!(grown > 100, "{grown} frames");
        assert!(checkpoint(&conn, &file, 100).unwrap());
        // The thread copied everything (no commit raced it here); the writer's own turn
        // finds nothing left, and its next commit starts the WAL over.
        let checkpointer = Checkpointer {
            rows: Arc::default(),
            restart: Arc::new(AtomicBool::new(true)),
            due: None,
            thread: None,
        };
        assert!(checkpointer.restart_due());
        assert!(!checkpointer.restart_due(), "once per preparation");
        checkpointer.restart(writer).unwrap();
        write(1);
        let after = passive(writer).unwrap();
        assert!(!after.busy);
        assert!(after.log < 10, "the WAL started over: {after:?}");
        let rows: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 111);
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
