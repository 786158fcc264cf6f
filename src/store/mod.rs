//! The SQLite store: one file, WAL mode, schema versioned with `PRAGMA user_version`.
//! Bodies and header bytes are BLOBs, kept exactly as received.

mod checkpoint;
mod codec;
mod dataspike;
mod events;
mod follow;
mod identical;
mod purge;
mod schema;
pub mod search;
mod stats;
mod text_index;
mod worker;
mod writer;

#[cfg(test)]
pub(crate) use crate::sqlite::database_files;
pub use crate::sqlite::OpenMode;
pub(crate) use crate::sqlite::{Durability, Fault, StoreError};
pub use codec::{decode_headers, encode_headers};
use codec::{decode_verdict, encode_verdict, to_json_text};
pub use dataspike::Pulled;
pub(crate) use events::EventMatch;
pub(crate) use follow::Newest;
pub(crate) use purge::Compacted;
#[cfg(test)]
use schema::CURRENT_VERSION;
pub(crate) use schema::MIGRATIONS;
pub(crate) use worker::StoreWorker;
pub(crate) use writer::{spawn_writer, WriteError, Writer};

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, ToSql};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::capture::{
    Answered, Attempt, AttemptBrief, AttemptId, AttemptKind, Capture, CaptureId, CaptureSummary,
    EventInfo, RawRequest, Rejection, Source,
};
use crate::query::Query;
use crate::signature::{
    is_usual_valid, usual_valid_diagnostics, Diagnostics, Scheme, Status, Verdict,
};
use crate::sqlite::{in_transaction, BUSY_TIMEOUT};

/// WAL pages between automatic checkpoints on the writer connection (4 KiB pages: 64 MiB).
pub(super) const WRITER_CHECKPOINT_PAGES: i64 = 16384;

/// Most rows in one multi-row `INSERT` (28 parameters each, well under SQLite's limit); every
/// size up to this one is a cached statement of the writer's connection.
const ROWS_PER_INSERT: usize = 32;

/// SQLite VM steps between deadline checks of [`Store::list_until`] (well under 1 ms).
const PROGRESS_STEPS: std::ffi::c_int = 1_000;

/// The writer's busy handler: try again every millisecond, for up to [`BUSY_TIMEOUT`].
fn poll_for_lock(attempts: i32) -> bool {
    if Duration::from_millis(attempts.max(0) as u64) >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}

/// Inserts `captures` on `conn`, inside the caller's transaction; returns their ids.
fn capture_rows(conn: &Connection, captures: &[&Capture]) -> rusqlite::Result<Vec<CaptureId>> {
    let mut ids = Vec::with_capacity(captures.len());
    for chunk in captures.chunks(ROWS_PER_INSERT) {
        let mut stmt = conn.prepare_cached(&capture_insert_sql(chunk.len()))?;
        let rows: Vec<CaptureRow<'_>> = chunk.iter().map(|c| CaptureRow::of(c)).collect();
        let args = rows.iter().flat_map(CaptureRow::args);
        stmt.execute(params_from_iter(args))?;
        // One statement's rows get consecutive ids: the table's rowids are assigned max + 1
        // in VALUES order, and this connection holds the write lock.
        let last = conn.last_insert_rowid();
        let first = last - chunk.len() as i64 + 1;
        ids.extend(first..=last);
    }
    Ok(ids)
}

/// Inserts `attempts` on `conn`, inside the caller's transaction; returns their ids.
fn attempt_rows(conn: &Connection, attempts: &[&Attempt]) -> rusqlite::Result<Vec<AttemptId>> {
    let mut ids = Vec::with_capacity(attempts.len());
    let mut stmt = conn.prepare_cached(
        "INSERT INTO attempts (capture_id, kind, at_ms, target, resigned, sent_body,
           status, response_headers, response_body, response_truncated, latency_ms, error,
           sent_headers)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for a in attempts {
        stmt.execute(params![
            a.capture_id,
            a.kind.as_str(),
            a.at_ms,
            a.target,
            a.resigned,
            a.sent_body,
            a.status,
            encode_headers(&a.response_headers),
            a.response_body,
            a.response_truncated,
            a.latency_ms.map(|l| l as i64),
            a.error,
            a.sent_headers.as_deref().map(encode_headers),
        ])?;
        ids.push(conn.last_insert_rowid());
    }
    Ok(ids)
}

/// What bringing the full-text index up to date came to, for a reader with a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// The index holds every committed capture, with time left: a word query may run.
    Ready,
    /// Indexing used up the time (or has more to do): the query waits for the next try.
    NotYet,
    /// This connection cannot write the index (a read-only store): a word query runs over
    /// what is indexed and leaves out this many of the newest captures.
    LeftOut(i64),
}

/// A relay origin from its columns; `None` unless all are there.
fn relay_origin(
    url: Option<String>,
    channel: Option<String>,
    seq: Option<i64>,
    received_at_ms: Option<i64>,
    verdict: Option<String>,
) -> Option<crate::capture::RelayOrigin> {
    Some(crate::capture::RelayOrigin {
        url: url?,
        channel: channel?,
        seq: seq?.max(0) as u64,
        received_at_ms: received_at_ms?,
        verdict,
    })
}

/// Filters for `list`, the TUI's window and exports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    /// At most this many rows; `None`: all.
    pub limit: Option<usize>,
    /// Only captures with this verdict; `None`: any.
    pub verdict: Option<Status>,
    /// Only captures with one of these verdicts (`--verdict FAIL` is invalid or unsigned);
    /// empty: any.
    pub verdicts: Vec<Status>,
    /// Only captures of this event type; `None`: any.
    pub event: Option<String>,
    /// Only captures with an id below this (keyset paging, newest first).
    pub before: Option<CaptureId>,
    /// Only captures with an id above this (keyset paging towards newer rows).
    pub after: Option<CaptureId>,
    /// The query language's terms (`list --query`, the TUI's `/`), ANDed with the above.
    pub query: Query,
    /// Oldest first instead of newest first.
    pub ascending: bool,
}

/// A capture as read back, with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCapture {
    pub(crate) id: CaptureId,
    /// The capture.
    pub capture: Capture,
}

/// The store: one SQLite file of captures and their attempts.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// A search has said it could not index the newest captures (said once).
    unindexed_said: std::cell::Cell<bool>,
    /// As set by [`Store::set_durability`]; the writer's checkpoint thread fsyncs the same way.
    durability: std::cell::Cell<Durability>,
}

const SUMMARY_COLUMNS: &str = "c.id, c.received_at_ms, c.method, c.path, c.query, c.event_type,
    c.event_id, c.body_size, c.truncated, c.rejected_status, c.rejected_reason, c.source,
    c.verdict_json,
    (SELECT json_array(a.status, a.latency_ms, a.error) FROM attempts a
       WHERE a.capture_id = c.id ORDER BY a.id DESC LIMIT 1),
    c.scheme, c.route, c.event_key, c.answer_by, c.answer_status, c.answer_delay_ms,
    CASE WHEN c.event_key IS NOT NULL THEN json_array(
      (SELECT count(*) FROM captures e WHERE e.event_key = c.event_key AND e.id <= c.id),
      (SELECT count(*) FROM captures e WHERE e.event_key = c.event_key)) END";

impl Store {
    /// Opens the store at `path`, creating or migrating it as `mode` allows.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        let conn = crate::sqlite::open(path, mode, Durability::Normal, MIGRATIONS)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            unindexed_said: std::cell::Cell::new(false),
            durability: std::cell::Cell::new(Durability::Normal),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Tunes the connection for `listen`'s writer: its own checkpoint comes every ~64 MiB of
    /// WAL instead of every 4 MiB. The checkpoint thread (`checkpoint.rs`) copies the WAL back
    /// meanwhile; the writer's checkpoint copies what is left and lets the WAL start over, and
    /// each one holds every delivery up for its fsyncs, so the fewer the better.
    pub(crate) fn tune_for_writing(&self) -> Result<(), StoreError> {
        // Room for every size of multi-row insert besides the other statements.
        self.conn
            .set_prepared_statement_cache_capacity(ROWS_PER_INSERT + 16);
        // Poll for a lock every millisecond (for up to the busy timeout) instead of SQLite's
        // backoff to 100 ms sleeps: a search indexing on another connection steps aside
        // between chunks for a few milliseconds, and the writer must catch that gap.
        self.conn
            .busy_handler(Some(poll_for_lock))
            .map_err(|e| self.err(e))?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
            .map_err(|e| self.err(e))
    }

    pub(crate) fn set_durability(&self, d: Durability) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "synchronous", d.pragma())
            .map_err(|e| self.err(e))?;
        self.durability.set(d);
        Ok(())
    }

    pub(crate) fn durability(&self) -> Durability {
        self.durability.get()
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, e)
    }

    /// Inserts captures in one transaction; all or nothing. Rows go in with multi-row
    /// `INSERT`s of up to `ROWS_PER_INSERT` rows, which costs SQLite less per row than one
    /// statement each.
    pub fn insert_captures(&mut self, captures: &[&Capture]) -> Result<Vec<CaptureId>, StoreError> {
        in_transaction(&self.conn, "BEGIN", |conn| capture_rows(conn, captures))
            .map_err(|e| self.err(e))
    }

    /// Stores one capture; returns its id.
    pub fn insert_capture(&mut self, capture: &Capture) -> Result<CaptureId, StoreError> {
        Ok(self.insert_captures(&[capture])?[0])
    }

    /// Inserts attempts in one transaction.
    pub fn insert_attempts(&mut self, attempts: &[&Attempt]) -> Result<Vec<AttemptId>, StoreError> {
        in_transaction(&self.conn, "BEGIN", |conn| attempt_rows(conn, attempts))
            .map_err(|e| self.err(e))
    }

    /// Inserts captures and attempts in one transaction, all or nothing: one commit where
    /// [`Store::insert_captures`] and [`Store::insert_attempts`] would take two. The attempts'
    /// captures must already be committed (or be among `captures`).
    pub(crate) fn insert_captures_and_attempts(
        &mut self,
        captures: &[&Capture],
        attempts: &[&Attempt],
    ) -> Result<(Vec<CaptureId>, Vec<AttemptId>), StoreError> {
        in_transaction(&self.conn, "BEGIN", |conn| {
            Ok((capture_rows(conn, captures)?, attempt_rows(conn, attempts)?))
        })
        .map_err(|e| self.err(e))
    }

    pub(crate) fn insert_attempt(&mut self, attempt: &Attempt) -> Result<AttemptId, StoreError> {
        Ok(self.insert_attempts(&[attempt])?[0])
    }

    /// Summaries matching `q`, newest first unless `q.ascending`.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<CaptureSummary>, StoreError> {
        self.list_rows(q).map_err(|e| self.err(e))
    }

    fn list_rows(&self, q: &ListQuery) -> rusqlite::Result<Vec<CaptureSummary>> {
        let (sql, args, fts) = search::Plan::select(q, SUMMARY_COLUMNS);
        if fts {
            self.index_before_search();
        }
        self.query_rows(&sql, args)
    }

    fn query_rows(
        &self,
        sql: &str,
        args: Vec<rusqlite::types::Value>,
    ) -> rusqlite::Result<Vec<CaptureSummary>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), summary_from_row)?;
        rows.collect()
    }

    /// Indexes every committed capture the full-text index lacks (the writer indexes them soon
    /// after their commit; this is for a search that must see them now). Returns how many.
    pub fn catch_up_index(&self) -> Result<i64, StoreError> {
        text_index::catch_up(&self.conn).map_err(|e| self.err(e))
    }

    /// [`Store::catch_up_index`] that stops at `deadline`, and says whether a query may run
    /// now. A store this connection cannot write is searched as it is (see
    /// `index_before_search`), leaving out the captures the index lacks.
    pub(crate) fn catch_up_index_until(&self, deadline: Instant) -> CatchUp {
        match text_index::catch_up_until(&self.conn, Some(deadline)) {
            Ok(c) if c.done && (c.indexed == 0 || Instant::now() < deadline) => CatchUp::Ready,
            Ok(_) => CatchUp::NotYet,
            Err(_) => match text_index::pending(&self.conn).unwrap_or(0) {
                0 => CatchUp::Ready,
                n => CatchUp::LeftOut(n),
            },
        }
    }

    /// Before a query reads the full-text index: bring it up to the last commit. A store this
    /// connection may not write (a read-only file) is searched as it is, and says so.
    fn index_before_search(&self) {
        if let Err(e) = self.catch_up_index() {
            let behind = text_index::pending(&self.conn).unwrap_or(0);
            if behind > 0 && !self.unindexed_said.replace(true) {
                tracing::warn!(
                    "{e}; words are not searched in the newest captures the text index lacks \
                     ({behind} of them): open the store where it can be written to index them"
                );
            }
        }
    }

    /// Makes this connection refuse every write, as one on a read-only file would.
    #[cfg(test)]
    pub(crate) fn refuse_writes_for_tests(&self) {
        self.conn
            .pragma_update(None, "query_only", true)
            .expect("query_only");
    }

    /// How many committed captures the full-text index does not hold yet.
    pub(crate) fn unindexed(&self) -> Result<i64, StoreError> {
        text_index::pending(&self.conn).map_err(|e| self.err(e))
    }

    /// [`Store::list`] that gives up at `deadline` with `Ok(None)`: for a reader that must not
    /// hold a frame (the TUI), on a query whose index may still leave many rows to check.
    pub(crate) fn list_until(
        &self,
        q: &ListQuery,
        deadline: Instant,
    ) -> Result<Option<Vec<CaptureSummary>>, StoreError> {
        let (sql, args, fts) = search::Plan::select(q, SUMMARY_COLUMNS);
        if fts {
            // Indexing is not what the deadline interrupts (the TUI brings the index up to
            // date within its frames before it queries: `CaptureSource::index_until`).
            self.index_before_search();
        }
        self.conn
            .progress_handler(PROGRESS_STEPS, Some(move || Instant::now() >= deadline));
        let rows = self.query_rows(&sql, args);
        self.conn.progress_handler(0, None::<fn() -> bool>);
        match rows {
            Ok(rows) => Ok(Some(rows)),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) => {
                Ok(None)
            }
            Err(e) => Err(self.err(e)),
        }
    }

    /// [`Store::list`] restricted to ids above `after`. With `q.ascending` this pages towards
    /// newer rows (the TUI scrolling up); with `q.before` too it reads one id range, which is
    /// how the TUI scans a text filter in bounded steps instead of the whole table at once.
    pub(crate) fn list_after(
        &self,
        q: &ListQuery,
        after: CaptureId,
    ) -> Result<Vec<CaptureSummary>, StoreError> {
        self.list(&ListQuery {
            after: Some(after),
            ..q.clone()
        })
    }

    /// How many captures match `q` (its limit and paging are ignored).
    pub fn count(&self, q: &ListQuery) -> Result<u64, StoreError> {
        let q = ListQuery {
            before: None,
            after: None,
            limit: None,
            ..q.clone()
        };
        let plan = search::plan(&q);
        if plan.fts {
            self.index_before_search();
        }
        let sql = format!("SELECT count(*) FROM {} {}", plan.from, plan.where_sql());
        self.conn
            .query_row(&sql, params_from_iter(plan.params.iter()), |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// The highest relay sequence of `channel` stored here (0: none): `listen --relay` resumes
    /// after it. Relayed captures are committed in sequence order, so everything up to it is in.
    pub(crate) fn relay_position(&self, channel: &str) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(relay_seq), 0) FROM captures WHERE relay_channel = ?1",
                [channel],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// The capture already stored for a relay delivery, if any.
    pub(crate) fn relayed(&self, channel: &str, seq: u64) -> Result<Option<CaptureId>, StoreError> {
        self.conn
            .query_row(
                "SELECT id FROM captures WHERE relay_channel = ?1 AND relay_seq = ?2",
                params![channel, seq.min(i64::MAX as u64) as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The summary of one capture.
    pub fn summary(&self, id: CaptureId) -> Result<Option<CaptureSummary>, StoreError> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM captures c WHERE c.id = ?1");
        self.conn
            .query_row(&sql, [id], summary_from_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// One capture, whole.
    pub fn get(&self, id: CaptureId) -> Result<Option<StoredCapture>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT received_at_ms, method, path, query, headers, body, body_size, truncated,
                        rejected_status, rejected_reason, peer, source, event_type, event_id,
                        verdict_json, diagnostics, scheme, relay_url, relay_channel, relay_seq,
                        relay_received_at_ms, relay_verdict, route, event_key, answer_by,
                        answer_status, answer_delay_ms
                 FROM captures WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(4)?,
                        Capture {
                            received_at_ms: r.get(0)?,
                            request: RawRequest {
                                method: r.get(1)?,
                                path: r.get(2)?,
                                query: r.get(3)?,
                                headers: Vec::new(),
                                body: r.get(5)?,
                                body_size: r.get::<_, i64>(6)? as u64,
                            },
                            truncated: r.get(7)?,
                            rejected: rejection(r.get(8)?, r.get(9)?),
                            peer: r.get(10)?,
                            source: Source::parse(&r.get::<_, String>(11)?),
                            relay: relay_origin(
                                r.get(17)?,
                                r.get(18)?,
                                r.get(19)?,
                                r.get(20)?,
                                r.get(21)?,
                            ),
                            dataspike: None,
                            event: EventInfo {
                                event_type: r.get(12)?,
                                event_id: r.get(13)?,
                            },
                            verdict: decode_verdict(
                                &r.get::<_, String>(14)?,
                                r.get::<_, Option<String>>(16)?.as_deref(),
                            ),
                            diagnostics: None,
                            route: r.get(22)?,
                            event_key: r.get(23)?,
                            answered: Answered::from_stored(
                                r.get::<_, Option<String>>(24)?.as_deref(),
                                r.get(25)?,
                                r.get(26)?,
                            ),
                        },
                        r.get::<_, Option<String>>(15)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((header_blob, mut capture, diagnostics)) = row else {
            return Ok(None);
        };
        capture.headers = decode_headers(&header_blob).ok_or_else(|| StoreError::Damaged {
            path: self.path.clone(),
            what: format!("capture {id}"),
        })?;
        capture.diagnostics = read_diagnostics(diagnostics, &capture);
        if capture.source == Source::Dataspike {
            capture.dataspike = dataspike::delivery(&self.conn, id).map_err(|e| self.err(e))?;
        }
        Ok(Some(StoredCapture { id, capture }))
    }

    /// Every attempt of a capture, oldest first.
    pub(crate) fn attempts(&self, capture_id: CaptureId) -> Result<Vec<Attempt>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT kind, at_ms, target, resigned, sent_body, status, response_headers,
                        response_body, response_truncated, latency_ms, error, sent_headers
                 FROM attempts WHERE capture_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([capture_id], |r| {
                Ok(Attempt {
                    capture_id,
                    kind: AttemptKind::parse(&r.get::<_, String>(0)?),
                    at_ms: r.get(1)?,
                    target: r.get(2)?,
                    resigned: r.get(3)?,
                    sent_body: r.get(4)?,
                    status: r.get(5)?,
                    response_headers: decode_headers(&r.get::<_, Vec<u8>>(6)?).unwrap_or_default(),
                    response_body: r.get(7)?,
                    response_truncated: r.get(8)?,
                    latency_ms: r.get::<_, Option<i64>>(9)?.map(|l| l.max(0) as u64),
                    error: r.get(10)?,
                    sent_headers: r
                        .get::<_, Option<Vec<u8>>>(11)?
                        .and_then(|b| decode_headers(&b)),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Ids of real deliveries (live or relayed) whose latest forward or replay did not get a
    /// 2xx, oldest first, received at or after `since_ms`. `check`'s probes and their answers
    /// are not deliveries, so never part of it.
    pub(crate) fn failed_ids(&self, since_ms: Option<i64>) -> Result<Vec<CaptureId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT c.id FROM captures c
                 JOIN attempts a ON a.id = (SELECT max(id) FROM attempts
                                            WHERE capture_id = c.id AND kind IN ('forward', 'replay'))
                 WHERE (a.status IS NULL OR a.status < 200 OR a.status > 299)
                   AND c.source IN ('live', 'relay')
                   AND c.received_at_ms >= ?1
                 ORDER BY c.id ASC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since_ms.unwrap_or(i64::MIN)], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Where live forwarding last sent a capture (its route), if it was forwarded: the default
    /// replay target. Replays' own targets never count, so one mistyped `--to` does not stick.
    pub(crate) fn last_forward_target(
        &self,
        capture_id: CaptureId,
    ) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT target FROM attempts WHERE capture_id = ?1 AND kind = 'forward'
                 ORDER BY id DESC LIMIT 1",
                [capture_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

/// `INSERT INTO captures ... VALUES (...), (...)` for `rows` rows.
fn capture_insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO captures (received_at_ms, method, path, query, headers, body, body_size,
           truncated, rejected_status, rejected_reason, peer, source, event_type, event_id,
           verdict, verdict_json, diagnostics, scheme, relay_url, relay_channel, relay_seq,
           relay_received_at_ms, relay_verdict, route, event_key, answer_by, answer_status,
           answer_delay_ms) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
    }
    sql
}

/// The columns of one capture that are not borrowed from it as they are.
struct CaptureRow<'c> {
    capture: &'c Capture,
    headers: Vec<u8>,
    rejected_status: Option<u16>,
    rejected_reason: Option<&'c str>,
    source: &'static str,
    verdict: &'static str,
    verdict_json: String,
    diagnostics: Option<String>,
    scheme: Option<&'static str>,
    relay_url: Option<&'c str>,
    relay_channel: Option<&'c str>,
    relay_seq: Option<i64>,
    relay_received_at_ms: Option<i64>,
    relay_verdict: Option<&'c str>,
    answer_by: Option<&'static str>,
    answer_status: Option<u16>,
    answer_delay_ms: Option<i64>,
}

impl<'c> CaptureRow<'c> {
    fn of(capture: &'c Capture) -> CaptureRow<'c> {
        CaptureRow {
            capture,
            headers: encode_headers(&capture.headers),
            rejected_status: capture.rejected.as_ref().map(|r| r.status),
            rejected_reason: capture.rejected.as_ref().map(|r| r.reason.as_str()),
            source: capture.source.as_str(),
            verdict: capture.verdict.status().as_str(),
            verdict_json: encode_verdict(&capture.verdict),
            diagnostics: stored_diagnostics(capture),
            scheme: capture.verdict.scheme().map(Scheme::name),
            relay_url: capture.relay.as_ref().map(|r| r.url.as_str()),
            relay_channel: capture.relay.as_ref().map(|r| r.channel.as_str()),
            relay_seq: capture
                .relay
                .as_ref()
                .map(|r| r.seq.min(i64::MAX as u64) as i64),
            relay_received_at_ms: capture.relay.as_ref().map(|r| r.received_at_ms),
            relay_verdict: capture.relay.as_ref().and_then(|r| r.verdict.as_deref()),
            answer_by: capture.answered.map(Answered::as_str),
            answer_status: capture.answered.and_then(Answered::stored_status),
            answer_delay_ms: match capture.answered {
                Some(Answered::Chosen { delay_ms, .. }) => {
                    Some(delay_ms.min(i64::MAX as u64) as i64)
                }
                _ => None,
            },
        }
    }

    fn args(&self) -> [&dyn ToSql; 28] {
        let c = self.capture;
        [
            &c.received_at_ms,
            &c.method,
            &c.path,
            &c.query,
            &self.headers,
            &c.body,
            &c.body_size,
            &c.truncated,
            &self.rejected_status,
            &self.rejected_reason,
            &c.peer,
            &self.source,
            &c.event.event_type,
            &c.event.event_id,
            &self.verdict,
            &self.verdict_json,
            &self.diagnostics,
            &self.scheme,
            &self.relay_url,
            &self.relay_channel,
            &self.relay_seq,
            &self.relay_received_at_ms,
            &self.relay_verdict,
            &c.route,
            &c.event_key,
            &self.answer_by,
            &self.answer_status,
            &self.answer_delay_ms,
        ]
    }
}

/// The diagnostics column: nothing for a valid capture whose diagnostics follow from its
/// headers and body ([`is_usual_valid`]; [`usual_valid_diagnostics`] computes them again in
/// [`Store::get`]); `null` for
/// a valid capture that has none, so that reading does not invent them; else their JSON.
fn stored_diagnostics(c: &Capture) -> Option<String> {
    match (&c.verdict, &c.diagnostics) {
        (Verdict::Valid { .. }, None) => Some("null".into()),
        (Verdict::Valid { .. }, Some(d)) if is_usual_valid(d, c.body.len()) => None,
        (_, d) => d.as_ref().map(to_json_text),
    }
}

/// The diagnostics a row read back has: see [`stored_diagnostics`].
fn read_diagnostics(column: Option<String>, c: &Capture) -> Option<Diagnostics> {
    match column {
        None if matches!(c.verdict, Verdict::Valid { .. }) => {
            usual_valid_diagnostics(&c.headers, &c.body)
        }
        None => None,
        Some(d) => serde_json::from_str::<Diagnostics>(&d).ok(),
    }
}

fn rejection(status: Option<u16>, reason: Option<String>) -> Option<Rejection> {
    Some(Rejection {
        status: status?,
        reason: reason.unwrap_or_default(),
    })
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<CaptureSummary> {
    let latest: Option<String> = r.get(13)?;
    let latest_attempt = latest.and_then(|j| {
        let (status, latency, error): (Option<u16>, Option<u64>, Option<String>) =
            serde_json::from_str(&j).ok()?;
        Some(AttemptBrief {
            status,
            latency_ms: latency,
            error,
        })
    });
    Ok(CaptureSummary {
        id: r.get(0)?,
        received_at_ms: r.get(1)?,
        method: r.get(2)?,
        path: r.get(3)?,
        query: r.get(4)?,
        event_type: r.get(5)?,
        event_id: r.get(6)?,
        body_size: r.get::<_, i64>(7)? as u64,
        truncated: r.get(8)?,
        rejected: rejection(r.get(9)?, r.get(10)?),
        source: Source::parse(&r.get::<_, String>(11)?),
        verdict: decode_verdict(
            &r.get::<_, String>(12)?,
            r.get::<_, Option<String>>(14)?.as_deref(),
        ),
        latest_attempt,
        route: r.get(15)?,
        event_key: r.get(16)?,
        answered: Answered::from_stored(
            r.get::<_, Option<String>>(17)?.as_deref(),
            r.get(18)?,
            r.get(19)?,
        ),
        delivery: r
            .get::<_, Option<String>>(20)?
            .and_then(|j| serde_json::from_str::<(u32, u32)>(&j).ok()),
    })
}

#[cfg(test)]
mod tests;
