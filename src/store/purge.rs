//! Deleting captures for good: `hookscope purge`, and `listen --retention` later.

use rusqlite::params;

use super::{Store, StoreError};

/// What [`Store::compact`] managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compacted {
    /// The file was rebuilt and the WAL emptied: deleted bytes are gone from every file.
    Fully,
    /// The file was rebuilt, but another process (a running `listen`, `tui`) was reading, so
    /// the WAL could not be emptied yet; SQLite empties it at a later checkpoint.
    WalBusy,
}

impl Store {
    /// Deletes every capture received before `before_ms` (Unix ms) and its attempts, in one
    /// transaction; returns how many captures were deleted. Freed pages are zeroed
    /// (`secure_delete`); [`Store::compact`] then gives the space back.
    pub fn purge_before(&mut self, before_ms: i64) -> Result<u64, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::sqlite(&path, e);
        self.conn
            .pragma_update(None, "secure_delete", "ON")
            .map_err(err)?;
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "DELETE FROM attempts WHERE capture_id IN
               (SELECT id FROM captures WHERE received_at_ms < ?1)",
            params![before_ms],
        )
        .map_err(err)?;
        let deleted = tx
            .execute(
                "DELETE FROM captures WHERE received_at_ms < ?1",
                params![before_ms],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(deleted as u64)
    }

    /// Rebuilds the database file (VACUUM) and empties the WAL into it, so the bytes of deleted
    /// captures leave the database file and the WAL file alike.
    pub fn compact(&self) -> Result<Compacted, StoreError> {
        self.conn.execute_batch("VACUUM").map_err(|e| self.err(e))?;
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(if busy == 0 {
            Compacted::Fully
        } else {
            Compacted::WalBusy
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Attempt, AttemptKind, Capture};
    use crate::store::{database_files, ListQuery, OpenMode};

    const SECRET_NAME: &[u8] = b"Jane-Q-Personaldata-1987";

    fn capture_at(ms: i64) -> Capture {
        let mut body = br#"{"name":""#.to_vec();
        body.extend_from_slice(SECRET_NAME);
        body.extend_from_slice(format!("-{ms}\"}}").as_bytes());
        Capture::new(ms, "POST", "/hook", Vec::new(), body)
    }

    fn attempt(capture_id: i64) -> Attempt {
        Attempt {
            capture_id,
            kind: AttemptKind::Forward,
            at_ms: 0,
            target: "http://127.0.0.1:3000".into(),
            resigned: false,
            sent_body: None,
            sent_headers: None,
            status: Some(200),
            response_headers: Vec::new(),
            response_body: SECRET_NAME.to_vec(),
            response_truncated: false,
            latency_ms: Some(1),
            error: None,
        }
    }

    fn holds(path: &std::path::Path, needle: &[u8]) -> bool {
        std::fs::read(path)
            .map(|b| b.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
    }

    #[test]
    fn purge_deletes_older_captures_and_their_attempts_and_leaves_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db"), OpenMode::Create).unwrap();
        let ids = store
            .insert_captures(&[&capture_at(1_000), &capture_at(2_000), &capture_at(3_000)])
            .unwrap();
        store.insert_attempt(&attempt(ids[0])).unwrap();
        store.insert_attempt(&attempt(ids[2])).unwrap();
        assert_eq!(store.purge_before(2_500).unwrap(), 2);
        assert_eq!(store.count(&ListQuery::default()).unwrap(), 1);
        assert!(store.get(ids[0]).unwrap().is_none());
        assert_eq!(store.attempts(ids[0]).unwrap(), Vec::new());
        assert_eq!(store.attempts(ids[2]).unwrap().len(), 1);
        assert_eq!(store.purge_before(2_500).unwrap(), 0);
        assert_eq!(store.purge_before(i64::MAX).unwrap(), 1);
        assert_eq!(store.count(&ListQuery::default()).unwrap(), 0);
    }

    #[test]
    fn purged_bytes_leave_the_database_and_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut store = Store::open(&path, OpenMode::Create).unwrap();
        let captures: Vec<Capture> = (0..50).map(|i| capture_at(1_000 + i)).collect();
        let ids = store
            .insert_captures(&captures.iter().collect::<Vec<_>>())
            .unwrap();
        store.insert_attempt(&attempt(ids[0])).unwrap();
        assert!(database_files(&path).iter().any(|f| holds(f, SECRET_NAME)));
        assert_eq!(store.purge_before(i64::MAX).unwrap(), 50);
        assert_eq!(store.compact().unwrap(), Compacted::Fully);
        for file in database_files(&path) {
            assert!(
                !holds(&file, SECRET_NAME),
                "{} still holds it",
                file.display()
            );
        }
    }
}
