//! The listener's writer: the group-commit writer thread of `crate::sqlite::writer` with the
//! laptop's jobs (captures, attempts, `--retention`'s purges). Every job that arrived while the
//! previous commit ran shares the next one, and each is answered only after its own commit;
//! the captures and attempts of one batch share one commit. Between batches the thread
//! indexes captures for search (`text_index`) and tells the checkpoint thread what it committed.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use super::checkpoint::Checkpointer;
use super::{text_index, Store, StoreError};
use crate::capture::{Attempt, AttemptId, Capture, CaptureId};
use crate::sqlite::writer::{self as group, answer, commit_rows, fail, is_row_fault};
use crate::sqlite::writer::{GroupCommit, Jobs};

/// A failed write, cloneable so every job of a failed batch hears about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WriteError(pub String);

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        WriteError(e.to_string())
    }
}

enum Job {
    Capture(Box<Capture>, oneshot::Sender<Result<CaptureId, WriteError>>),
    // Shared, not boxed: the one who made the attempt keeps reading it (replay prints it).
    Attempt(Arc<Attempt>, oneshot::Sender<Result<AttemptId, WriteError>>),
    /// Delete captures received before this time (Unix ms): `listen --retention`.
    Purge(i64, oneshot::Sender<Result<u64, WriteError>>),
}

/// Cheap handle to the writer thread. When every handle is dropped the thread commits what it
/// has and ends.
#[derive(Clone)]
pub struct Writer {
    jobs: Jobs<Job>,
}

impl Writer {
    /// Stores a capture; resolves once it is committed.
    pub async fn record(&self, capture: Capture) -> Result<CaptureId, WriteError> {
        let job = |reply| Job::Capture(Box::new(capture), reply);
        self.jobs.call(job).await.unwrap_or_else(|| Err(stopped()))
    }

    /// Stores an attempt; resolves once it is committed.
    pub async fn record_attempt(
        &self,
        attempt: impl Into<Arc<Attempt>>,
    ) -> Result<AttemptId, WriteError> {
        let job = |reply| Job::Attempt(attempt.into(), reply);
        self.jobs.call(job).await.unwrap_or_else(|| Err(stopped()))
    }

    /// Deletes captures received before `before_ms` (and their attempts) on the writer's own
    /// connection, after whatever is queued before it; resolves with how many were deleted.
    pub async fn purge_before(&self, before_ms: i64) -> Result<u64, WriteError> {
        let job = |reply| Job::Purge(before_ms, reply);
        self.jobs.call(job).await.unwrap_or_else(|| Err(stopped()))
    }
}

fn stopped() -> WriteError {
    WriteError("the database writer has stopped; see the error above".into())
}

/// Moves `store` onto its own thread.
pub fn spawn_writer(store: Store) -> std::io::Result<(Writer, JoinHandle<()>)> {
    let (jobs, handle) = group::spawn("hookscope-writer", move || Listening::start(store))?;
    Ok((Writer { jobs }, handle))
}

/// The laptop's side of the writer thread. Fields drop in this order: the checkpoint thread
/// ends (and closes its connection) before the writer's own connection closes.
struct Listening {
    checkpointer: Checkpointer,
    index: Indexer,
    last_job: Instant,
    store: Store,
}

impl Listening {
    fn start(store: Store) -> Listening {
        let checkpointer = Checkpointer::start(store.path(), store.durability());
        let lag = text_index::pending(&store.conn).unwrap_or(0);
        Listening {
            checkpointer,
            index: Indexer {
                lag,
                waiting_since: (lag > 0).then(Instant::now),
                failing: false,
            },
            last_job: Instant::now(),
            store,
        }
    }
}

impl Listening {
    /// The writer's own checkpoint, once the checkpoint thread has prepared it
    /// (`checkpoint.rs`): it lets the WAL start over.
    fn restart_wal(&self) {
        if let Err(e) = self.checkpointer.restart(&self.store.conn) {
            tracing::debug!(
                "database '{}': checkpoint: {e}",
                self.store.path().display()
            );
        }
    }
}

impl GroupCommit for Listening {
    type Job = Job;

    /// With captures still to index, a quiet moment is the time to index them: once no job
    /// has come for QUIET, chunk after chunk until one comes or nothing is left.
    fn idle_after(&self) -> Option<Duration> {
        (self.index.lag > 0).then(|| text_index::QUIET.saturating_sub(self.last_job.elapsed()))
    }

    fn idle(&mut self) {
        self.checkpointer.committed(self.index.chunk(&self.store));
    }

    fn commit(&mut self, batch: Vec<Job>) {
        self.last_job = Instant::now();
        let jobs = batch.len();
        let committed = commit(&mut self.store, batch);
        self.checkpointer.committed(jobs);
        if self.checkpointer.restart_due() {
            self.restart_wal();
        }
        let index = &mut self.index;
        if committed > 0 && index.lag == 0 {
            index.waiting_since = Some(Instant::now());
        }
        index.lag += committed;
        // Steady traffic that never pauses still gets indexed, a chunk every INDEX_WITHIN; a
        // burst at full speed once MAX_LAG wait.
        let overdue = index
            .waiting_since
            .is_some_and(|t| t.elapsed() >= text_index::INDEX_WITHIN);
        if index.lag >= text_index::MAX_LAG || overdue {
            self.checkpointer.committed(index.chunk(&self.store));
        }
    }
}

/// The writer's side of `text_index`: roughly how many committed captures wait for the index.
struct Indexer {
    lag: i64,
    /// Since when captures have waited for the index (reset by each chunk that leaves some).
    waiting_since: Option<Instant>,
    /// The last chunk failed (said once, not at every commit).
    failing: bool,
}

impl Indexer {
    /// Indexes one chunk; returns how many captures it indexed.
    fn chunk(&mut self, store: &Store) -> usize {
        match text_index::index_some(&store.conn, text_index::WRITER_CHUNK) {
            Ok(chunk) => {
                self.failing = false;
                // Caught up (a search may have indexed some meanwhile), or not yet.
                self.lag = if chunk.done {
                    0
                } else {
                    (self.lag - chunk.indexed).max(1)
                };
                self.waiting_since = (self.lag > 0).then(Instant::now);
                chunk.indexed as usize
            }
            Err(e) => {
                if !self.failing {
                    tracing::warn!(
                        "database '{}': indexing captures for search failed: {e}; the next \
                         search indexes them",
                        store.path().display()
                    );
                }
                self.failing = true;
                // Tried again after the next commit, not in a loop.
                self.lag = 0;
                self.waiting_since = None;
                0
            }
        }
    }
}

/// Commits `batch`; returns how many captures it held.
fn commit(store: &mut Store, batch: Vec<Job>) -> i64 {
    let mut captures = Vec::new();
    let mut capture_replies = Vec::new();
    let mut attempts = Vec::new();
    let mut attempt_replies = Vec::new();
    let mut purges = Vec::new();
    for job in batch {
        match job {
            Job::Capture(c, reply) => {
                captures.push(c);
                capture_replies.push(reply);
            }
            Job::Attempt(a, reply) => {
                attempts.push(a);
                attempt_replies.push(reply);
            }
            Job::Purge(before_ms, reply) => purges.push((before_ms, reply)),
        }
    }
    let held = captures.len() as i64;
    let captures: Vec<&Capture> = captures.iter().map(|c| c.as_ref()).collect();
    let attempts: Vec<&Attempt> = attempts.iter().map(|a| a.as_ref()).collect();
    // Forwarding sends both kinds: one commit for the two, not one each.
    let apart = if !captures.is_empty() && !attempts.is_empty() {
        match store.insert_captures_and_attempts(&captures, &attempts) {
            Ok((capture_ids, attempt_ids)) => {
                answer(Ok(capture_ids), capture_replies);
                answer(Ok(attempt_ids), attempt_replies);
                None
            }
            // A row's fault: find it, as below.
            Err(e) if is_row_fault(&e) => Some((capture_replies, attempt_replies)),
            Err(e) => {
                let e = WriteError::from(e);
                tracing::error!("{e}");
                fail(capture_replies.into_iter().chain(attempt_replies), &e);
                None
            }
        }
    } else {
        Some((capture_replies, attempt_replies))
    };
    if let Some((capture_replies, attempt_replies)) = apart {
        if !captures.is_empty() {
            commit_rows(&captures, capture_replies, |rows| {
                store.insert_captures(rows)
            });
        }
        if !attempts.is_empty() {
            commit_rows(&attempts, attempt_replies, |rows| {
                store.insert_attempts(rows)
            });
        }
    }
    // After the inserts, so a purge never races a capture of the same batch.
    for (before_ms, reply) in purges {
        let _ = reply.send(store.purge_before(before_ms).map_err(WriteError::from));
    }
    held
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::AttemptKind;
    use crate::sqlite::writer::MAX_BATCH;
    use crate::store::OpenMode;

    fn capture(path: &str) -> Capture {
        Capture::new(
            1,
            "POST",
            path,
            vec![(b"Host".to_vec(), b"x".to_vec())],
            b"{}".to_vec(),
        )
    }

    fn attempt(capture_id: CaptureId) -> Attempt {
        Attempt {
            capture_id,
            kind: AttemptKind::Forward,
            at_ms: 2,
            target: "http://127.0.0.1:3000/".into(),
            resigned: false,
            sent_body: None,
            sent_headers: None,
            status: Some(200),
            response_headers: Vec::new(),
            response_body: Vec::new(),
            response_truncated: false,
            latency_ms: Some(1),
            error: None,
        }
    }

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("w.db"), OpenMode::Create).unwrap();
        (dir, store)
    }

    #[test]
    fn one_bad_row_fails_alone_and_the_rest_of_its_batch_is_committed() {
        let (_dir, mut store) = temp_store();
        // A row SQLite refuses for what it holds, not for the file.
        store
            .conn
            .execute_batch(
                "CREATE TRIGGER poison BEFORE INSERT ON captures WHEN NEW.path = '/poison'
                 BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;",
            )
            .unwrap();
        let mut batch = Vec::new();
        let mut replies = Vec::new();
        for path in ["/a", "/poison", "/b", "/c"] {
            let (tx, rx) = oneshot::channel();
            batch.push(Job::Capture(Box::new(capture(path)), tx));
            replies.push(rx);
        }
        let (tx, attempt_to_nowhere) = oneshot::channel();
        batch.push(Job::Attempt(Arc::new(attempt(999)), tx));
        commit(&mut store, batch);

        let got: Vec<_> = replies
            .into_iter()
            .map(|mut rx| rx.try_recv().unwrap())
            .collect();
        assert!(
            got[1].as_ref().unwrap_err().0.contains("poisoned row"),
            "{got:?}"
        );
        for (i, path) in [(0, "/a"), (2, "/b"), (3, "/c")] {
            let id = *got[i].as_ref().unwrap();
            assert_eq!(store.get(id).unwrap().unwrap().capture.path, path);
        }
        let ids: Vec<i64> = [0, 2, 3]
            .iter()
            .map(|&i| *got[i].as_ref().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        // Alone in its batch, a bad attempt (no such capture) fails alone too.
        let mut attempt_to_nowhere = attempt_to_nowhere;
        assert!(attempt_to_nowhere.try_recv().unwrap().is_err());
        assert_eq!(store.count(&Default::default()).unwrap(), 3);
    }

    /// A writer thread on a new file, tuned as `listen`'s, and a runtime to await it on.
    fn running_writer() -> (
        tempfile::TempDir,
        std::path::PathBuf,
        Writer,
        JoinHandle<()>,
        tokio::runtime::Runtime,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let store = Store::open(&path, OpenMode::Create).unwrap();
        store.tune_for_writing().unwrap();
        let (writer, handle) = spawn_writer(store).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        (dir, path, writer, handle, rt)
    }

    #[test]
    fn the_writer_indexes_a_burst_once_deliveries_pause() {
        let (_dir, path, writer, handle, rt) = running_writer();
        let reader = Store::open(&path, OpenMode::Existing).unwrap();
        rt.block_on(async {
            for i in 0..700 {
                writer
                    .record(capture(&format!("/burst/{i}")))
                    .await
                    .unwrap();
            }
        });
        // Nobody searches: the writer itself indexes everything once the burst is over.
        let start = std::time::Instant::now();
        while reader.unindexed().unwrap() > 0 {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "the writer never indexed the burst"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        drop(writer);
        handle.join().unwrap();
        reader.catch_up_index().unwrap();
        let hits = reader
            .list(&crate::store::ListQuery {
                query: crate::query::parse("burst", 0).unwrap(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(hits.len(), 700);
    }

    #[test]
    fn the_checkpoint_thread_copies_the_wal_back_while_the_writer_runs() {
        let (_dir, path, writer, handle, rt) = running_writer();
        let before = std::fs::metadata(&path).unwrap().len();
        // Far below the writer's own checkpoint (64 MiB of WAL): only the thread copies back.
        rt.block_on(async {
            let mut sends = tokio::task::JoinSet::new();
            for i in 0..2_500 {
                let writer = writer.clone();
                sends.spawn(async move { writer.record(capture(&format!("/{i}"))).await });
            }
            while let Some(r) = sends.join_next().await {
                r.unwrap().unwrap();
            }
        });
        let start = std::time::Instant::now();
        let grew = loop {
            let now = std::fs::metadata(&path).unwrap().len();
            if now > before + 100_000 || start.elapsed() > std::time::Duration::from_secs(10) {
                break now;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(
            grew > before + 100_000,
            "database file {before} -> {grew} bytes"
        );
        drop(writer);
        handle.join().unwrap();
    }

    #[test]
    fn steady_traffic_without_pauses_is_indexed_too() {
        let (_dir, path, writer, handle, rt) = running_writer();
        let reader = Store::open(&path, OpenMode::Existing).unwrap();
        // A delivery every 5 ms never leaves the writer the 20 ms pause it indexes in; the
        // oldest waiting capture still gets indexed within INDEX_WITHIN.
        let (sent, unindexed) = rt.block_on(async {
            let start = std::time::Instant::now();
            let mut sent = 0;
            let mut unindexed = i64::MAX;
            while start.elapsed() < text_index::INDEX_WITHIN * 10 {
                writer.record(capture("/steady")).await.unwrap();
                sent += 1;
                if start.elapsed() > text_index::INDEX_WITHIN * 2 {
                    unindexed = reader.unindexed().unwrap();
                    if unindexed < sent {
                        break;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            (sent, unindexed)
        });
        assert!(unindexed < sent, "{unindexed} of {sent} still unindexed");
        drop(writer);
        handle.join().unwrap();
    }

    #[test]
    fn captures_and_attempts_of_one_batch_share_one_commit() {
        let (_dir, mut store) = temp_store();
        let earlier = store.insert_capture(&capture("/earlier")).unwrap();
        let commits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = commits.clone();
        store.conn.commit_hook(Some(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            false
        }));
        let mut batch = Vec::new();
        let mut capture_replies = Vec::new();
        let mut attempt_replies = Vec::new();
        for path in ["/a", "/b", "/c"] {
            let (tx, rx) = oneshot::channel();
            batch.push(Job::Capture(Box::new(capture(path)), tx));
            capture_replies.push(rx);
            let (tx, rx) = oneshot::channel();
            batch.push(Job::Attempt(Arc::new(attempt(earlier)), tx));
            attempt_replies.push(rx);
        }
        assert_eq!(commit(&mut store, batch), 3);
        assert_eq!(commits.load(std::sync::atomic::Ordering::SeqCst), 1);
        for (mut rx, path) in capture_replies.into_iter().zip(["/a", "/b", "/c"]) {
            let id = rx.try_recv().unwrap().unwrap();
            assert_eq!(store.get(id).unwrap().unwrap().capture.path, path);
        }
        for mut rx in attempt_replies {
            rx.try_recv().unwrap().unwrap();
        }
        assert_eq!(store.attempts(earlier).unwrap().len(), 3);
    }

    #[test]
    fn a_batch_gets_its_ids_in_order_across_multi_row_statements() {
        let (_dir, mut store) = temp_store();
        let mut batch = Vec::new();
        let mut replies = Vec::new();
        let paths: Vec<String> = (0..MAX_BATCH).map(|i| format!("/{i}")).collect();
        for p in &paths {
            let (tx, rx) = oneshot::channel();
            batch.push(Job::Capture(Box::new(capture(p)), tx));
            replies.push(rx);
        }
        commit(&mut store, batch);
        for (p, mut rx) in paths.iter().zip(replies) {
            let id = rx.try_recv().unwrap().unwrap();
            assert_eq!(&store.get(id).unwrap().unwrap().capture.path, p);
        }
    }
}
