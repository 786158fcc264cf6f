//! What a reader that follows new captures (`ops::wait`) asks between its rounds: whether
//! anyone committed since it last looked, where the ids stand, and which captures got a new
//! answer. Each is one cheap read: a pragma, or the last rows of an id index.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::capture::{AttemptId, CaptureId};

/// The newest rows, as of one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Newest {
    /// The highest capture id (0: none).
    pub capture: CaptureId,
    /// When that capture was received (Unix ms): with its id, it tells that row from another
    /// one given the same id after the newest were deleted (ids have no AUTOINCREMENT).
    pub capture_received_at_ms: Option<i64>,
    /// The highest attempt id (0: none).
    pub attempt: AttemptId,
}

impl Store {
    /// SQLite's `PRAGMA data_version`: changes whenever another connection (any process)
    /// commits, and never for this one's own commits. Reads the WAL index only: no query.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The newest capture and attempt, from the last entries of their id b-trees.
    pub fn newest(&self) -> Result<Newest, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT c.id, c.received_at_ms, (SELECT coalesce(max(id), 0) FROM attempts)
                   FROM (SELECT 0 AS z) LEFT JOIN
                        (SELECT id, received_at_ms FROM captures ORDER BY id DESC LIMIT 1) c",
            )
            .and_then(|mut s| {
                s.query_row([], |r| {
                    Ok(Newest {
                        capture: r.get::<_, Option<i64>>(0)?.unwrap_or(0),
                        capture_received_at_ms: r.get(1)?,
                        attempt: r.get(2)?,
                    })
                })
            })
            .map_err(|e| self.err(e))
    }

    /// When capture `id` was received, if it is there.
    pub fn received_at(&self, id: CaptureId) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached("SELECT received_at_ms FROM captures WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// The captures (ascending, each once) that got an attempt with an id above `after`: the
    /// ones whose latest answer (`status:` in a query) may have changed since.
    pub fn answered_after(&self, after: AttemptId) -> Result<Vec<CaptureId>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT DISTINCT capture_id FROM attempts WHERE id > ?1 ORDER BY capture_id",
            )
            .and_then(|mut s| {
                s.query_map(params![after], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<CaptureId>>>()
            })
            .map_err(|e| self.err(e))
    }
}
