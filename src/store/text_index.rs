//! Keeping the full-text index (`captures_fts`) in step with the captures, off the path that
//! answers deliveries.
//!
//! A capture is committed (and its delivery answered) without touching the index; the index
//! then takes the captures after its mark (`fts_progress.indexed_upto`) in chunks, each in its
//! own transaction that also moves the mark. Two things do that:
//! - the writer thread, once no delivery has come for [`QUIET`], and in the middle of a burst
//!   once the index is [`MAX_LAG`] captures behind, so it never falls further behind than that;
//! - every query that reads the index ([`super::search::Plan::fts`]) first indexes whatever is
//!   still pending, on its own connection, so a search always sees every committed capture.
//!
//! Indexing many captures in one transaction costs FTS5 much less per capture than one
//! transaction per commit batch did: each transaction writes one new segment, and the segments
//! that then need merging are few and large (BENCHMARKS.md, "Full-text index off the hot path").

use rusqlite::{params, Connection};

/// The writer indexes once no delivery has come for this long: a burst is committed at full
/// speed and indexed in large chunks after it, which costs FTS5 far less per capture than
/// small ones.
pub const QUIET: std::time::Duration = std::time::Duration::from_millis(20);

/// Under steady traffic that never pauses for [`QUIET`], the writer still indexes a chunk once
/// the oldest waiting capture has waited this long.
pub const INDEX_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Captures per indexing transaction on the writer: big enough to make a segment worth its
/// flush, small enough that a delivery arriving meanwhile waits only a few milliseconds.
pub const WRITER_CHUNK: i64 = 512;

/// The writer indexes in the middle of a burst once this many captures wait (about half a
/// minute of `listen` at full load), so a search never has more than about this many to index
/// first; anything shorter is committed at full speed and indexed when it ends.
pub const MAX_LAG: i64 = 1_000_000;

/// Captures per transaction when a reader (a search) indexes: about 10 ms of holding the
/// write lock, after which it steps aside for [`READER_PAUSE`] so that `listen`'s writer,
/// which polls for the lock every millisecond (`Store::tune_for_writing`), commits between
/// chunks instead of waiting out the whole catch-up.
const READER_CHUNK: i64 = 1_024;

/// How long a reader's catch-up leaves the write lock free between chunks.
const READER_PAUSE: std::time::Duration = std::time::Duration::from_millis(3);

/// How many committed captures the index does not hold yet.
pub fn pending(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM captures
          WHERE id > (SELECT indexed_upto FROM fts_progress WHERE id = 1)",
        [],
        |r| r.get(0),
    )
}

/// Bodies per indexing transaction (by their received size): a chunk ends with the row that
/// takes it past this, so a chunk of big bodies does not hold the write lock, and the
/// deliveries arriving meanwhile, for as long as 512 of them take to tokenize.
const CHUNK_BYTES: i64 = 1 << 20;

/// What one indexing transaction (or a catch-up of several) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Captures indexed.
    pub indexed: i64,
    /// Whether none is left after them (as of this transaction).
    pub done: bool,
}

/// Indexes at most `max_rows` captures after the mark, and at most [`CHUNK_BYTES`] of bodies,
/// in one IMMEDIATE transaction (so the mark read is the one moved, whoever else indexes).
pub fn index_some(conn: &Connection, max_rows: i64) -> rusqlite::Result<Chunk> {
    crate::sqlite::in_transaction(conn, "BEGIN IMMEDIATE", |conn| {
        let upto: i64 = conn
            .prepare_cached("SELECT indexed_upto FROM fts_progress WHERE id = 1")?
            .query_row([], |r| r.get(0))?;
        // The next `max_rows` after the mark, cut where the bodies before a row reach the
        // byte budget (the first row always goes).
        let (end, n, next): (Option<i64>, i64, i64) = conn
            .prepare_cached(
                "SELECT max(id) FILTER (WHERE before < ?3), count(*) FILTER (WHERE before < ?3),
                        count(*)
                   FROM (SELECT id, sum(size) OVER (ORDER BY id) - size AS before
                           FROM (SELECT id, coalesce(body_size, 0) AS size FROM captures WHERE id > ?1
                                  ORDER BY id LIMIT ?2))",
            )?
            .query_row(params![upto, max_rows, CHUNK_BYTES], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        let Some(end) = end else {
            return Ok(Chunk {
                indexed: 0,
                done: true,
            });
        };
        conn.prepare_cached(
            "INSERT INTO captures_fts (rowid, path, body)
               SELECT id, path, body FROM captures WHERE id > ?1 AND id <= ?2",
        )?
        .execute(params![upto, end])?;
        conn.prepare_cached("UPDATE fts_progress SET indexed_upto = ?1 WHERE id = 1")?
            .execute(params![end])?;
        Ok(Chunk {
            indexed: n,
            done: n == next && next < max_rows,
        })
    })
}

/// Whether committed captures wait for the index: a read, no lock taken.
fn behind(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM captures
           WHERE id > (SELECT indexed_upto FROM fts_progress WHERE id = 1))",
    )?
    .query_row([], |r| r.get(0))
}

/// Indexes everything pending, in chunks; returns how many captures it indexed.
pub fn catch_up(conn: &Connection) -> rusqlite::Result<i64> {
    catch_up_until(conn, None).map(|c| c.indexed)
}

/// Indexes what is pending, in chunks, until `deadline` (if any): how many it indexed and
/// whether nothing is left. Takes no lock when nothing is pending.
pub fn catch_up_until(
    conn: &Connection,
    deadline: Option<std::time::Instant>,
) -> rusqlite::Result<Chunk> {
    let mut so_far = Chunk {
        indexed: 0,
        done: !behind(conn)?,
    };
    while !so_far.done {
        let chunk = index_some(conn, READER_CHUNK)?;
        so_far = Chunk {
            indexed: so_far.indexed + chunk.indexed,
            done: chunk.done,
        };
        if so_far.done || deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            break;
        }
        std::thread::sleep(READER_PAUSE);
    }
    Ok(so_far)
}
