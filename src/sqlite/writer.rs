//! The group-commit writer thread both stores use. One thread owns the writing connection;
//! jobs come on a channel, every job that arrived while the previous commit ran shares the
//! next one, and each is answered only after the commit that holds it. What a job is and how
//! a batch is committed is the store's ([`GroupCommit`]); the thread, the batching, and trying
//! a batch that failed for one row again row by row ([`commit_rows`]) are here.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

use super::StoreError;

/// Most jobs in one transaction, so one commit never holds a huge batch in memory.
pub(crate) const MAX_BATCH: usize = 256;

/// Where one job's answer goes.
pub(crate) type Reply<T, E> = oneshot::Sender<Result<T, E>>;

/// A store's side of its writer thread: its jobs, and how a batch of them is committed.
pub(crate) trait GroupCommit {
    type Job: Send + 'static;

    /// Commits `batch` (up to [`MAX_BATCH`] jobs, in arrival order) and answers each job only
    /// after the commit that holds it.
    fn commit(&mut self, batch: Vec<Self::Job>);

    /// How long to wait for a job before there is time for [`GroupCommit::idle`]; `None` (the
    /// default): nothing to do meanwhile, wait for the next job.
    fn idle_after(&self) -> Option<Duration> {
        None
    }

    /// Work for a quiet moment, run when no job came within [`GroupCommit::idle_after`].
    fn idle(&mut self) {}
}

/// Cheap handle to a writer thread. When every handle is dropped the thread commits what it
/// has and ends.
pub(crate) struct Jobs<J> {
    tx: mpsc::Sender<J>,
}

impl<J> Clone for Jobs<J> {
    fn clone(&self) -> Self {
        Jobs {
            tx: self.tx.clone(),
        }
    }
}

impl<J> Jobs<J> {
    /// Sends the job `job` makes around its reply channel and waits for the answer; `None`
    /// when the thread has stopped (ended, or dropped the job unanswered).
    pub(crate) async fn call<T>(&self, job: impl FnOnce(oneshot::Sender<T>) -> J) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(job(tx)).ok()?;
        rx.await.ok()
    }
}

/// Starts a writer thread called `name`; `start` runs on it and makes the store's side.
pub(crate) fn spawn<W: GroupCommit>(
    name: &str,
    start: impl FnOnce() -> W + Send + 'static,
) -> std::io::Result<(Jobs<W::Job>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || run(start(), rx))?;
    Ok((Jobs { tx }, handle))
}

/// Until every handle is gone: waits for a job (meanwhile, once [`GroupCommit::idle_after`]
/// has passed, does the idle work), takes whatever else is waiting, and commits it all.
fn run<W: GroupCommit>(mut writer: W, rx: mpsc::Receiver<W::Job>) {
    loop {
        let first = match writer.idle_after() {
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
            Some(wait) => match rx.recv_timeout(wait) {
                Ok(job) => job,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    writer.idle();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        writer.commit(batch);
    }
}

/// Whether `e` is a fault of the rows (a constraint, say), not of the file (locked, full,
/// read-only): trying the rows one by one may then commit all but the bad one.
pub(crate) fn is_row_fault(e: &StoreError) -> bool {
    matches!(e, StoreError::Sqlite { fault: None, .. })
}

/// Commits `rows` with `insert` (one transaction; a result per row, in order) and answers each
/// row's reply. When that fails because of one row, each row is tried again alone, so one bad
/// job does not fail the others that happened to share its batch.
pub(crate) fn commit_rows<R, T, E: From<StoreError> + Clone>(
    rows: &[R],
    replies: Vec<Reply<T, E>>,
    mut insert: impl FnMut(&[R]) -> Result<Vec<T>, StoreError>,
) {
    match insert(rows) {
        Err(e) if is_row_fault(&e) && rows.len() > 1 => {
            for (row, reply) in rows.iter().zip(replies) {
                answer(insert(std::slice::from_ref(row)), vec![reply]);
            }
        }
        result => answer(result, replies),
    }
}

/// Answers each of `replies` with its row's result, or every one with the error (logged).
pub(crate) fn answer<T, E: From<StoreError> + Clone>(
    result: Result<Vec<T>, StoreError>,
    replies: Vec<Reply<T, E>>,
) {
    match result {
        Ok(rows) => {
            for (row, reply) in rows.into_iter().zip(replies) {
                // The requester may have gone (client hung up); the row is stored regardless.
                let _ = reply.send(Ok(row));
            }
        }
        Err(e) => {
            tracing::error!("{e}");
            fail(replies, &E::from(e));
        }
    }
}

/// Tells every job in `replies` that its write failed with `e`.
pub(crate) fn fail<T, E: Clone>(replies: impl IntoIterator<Item = Reply<T, E>>, e: &E) {
    for reply in replies {
        // The requester may have gone; nothing was stored for it either way.
        let _ = reply.send(Err(e.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::{in_transaction, open, Durability, OpenMode};
    use rusqlite::Connection;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[derive(Debug, Clone, PartialEq)]
    struct Failed(String);

    impl From<StoreError> for Failed {
        fn from(e: StoreError) -> Self {
            Failed(e.to_string())
        }
    }

    type Job = (String, Reply<i64, Failed>);

    /// A toy store: one table whose CHECK refuses the text 'bad'.
    struct Texts {
        conn: Connection,
        path: PathBuf,
        /// Transactions tried, committed or not.
        tries: Arc<AtomicUsize>,
        /// Idle turns still wanted, and those taken.
        idle_left: usize,
        idled: Arc<AtomicUsize>,
    }

    const STEPS: &[&str] = &["CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT CHECK (x <> 'bad'))"];

    impl Texts {
        fn open(path: &Path) -> Texts {
            Texts {
                conn: open(path, OpenMode::Create, Durability::Normal, STEPS).unwrap(),
                path: path.to_path_buf(),
                tries: Arc::default(),
                idle_left: 0,
                idled: Arc::default(),
            }
        }
    }

    impl GroupCommit for Texts {
        type Job = Job;

        fn commit(&mut self, batch: Vec<Job>) {
            let (texts, replies): (Vec<String>, Vec<_>) = batch.into_iter().unzip();
            commit_rows(&texts, replies, |rows| {
                self.tries.fetch_add(1, Ordering::SeqCst);
                in_transaction(&self.conn, "BEGIN", |conn| {
                    let mut stmt = conn.prepare_cached("INSERT INTO t (x) VALUES (?1)")?;
                    rows.iter()
                        .map(|x| stmt.insert([x]))
                        .collect::<rusqlite::Result<Vec<i64>>>()
                })
                .map_err(|e| StoreError::sqlite(&self.path, e))
            });
        }

        fn idle_after(&self) -> Option<Duration> {
            (self.idle_left > 0).then_some(Duration::from_millis(1))
        }

        fn idle(&mut self) {
            self.idle_left -= 1;
            self.idled.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Runs `texts` over `jobs` all queued before the thread looks: they make one batch.
    fn one_batch(texts: Texts, jobs: &[&str]) -> Vec<oneshot::Receiver<Result<i64, Failed>>> {
        let (tx, rx) = mpsc::channel();
        let replies = jobs
            .iter()
            .map(|x| {
                let (reply, answer) = oneshot::channel();
                tx.send((x.to_string(), reply)).unwrap();
                answer
            })
            .collect();
        drop(tx);
        run(texts, rx);
        replies
    }

    fn stored(path: &Path) -> Vec<(i64, String)> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn.prepare("SELECT id, x FROM t ORDER BY id").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn every_job_is_answered_after_the_commit_that_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (jobs, thread) = spawn("test-writer", {
            let path = path.clone();
            move || Texts::open(&path)
        })
        .unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let reader = Connection::open(&path).unwrap();
        let reader = Arc::new(std::sync::Mutex::new(reader));
        rt.block_on(async {
            let mut sends = tokio::task::JoinSet::new();
            for i in 0..300 {
                let (jobs, reader) = (jobs.clone(), reader.clone());
                sends.spawn(async move {
                    let text = format!("job {i}");
                    let id = jobs
                        .call(|reply| (text.clone(), reply))
                        .await
                        .unwrap()
                        .unwrap();
                    // Another connection already sees the row: its commit came first.
                    let seen: String = reader
                        .lock()
                        .unwrap()
                        .query_row("SELECT x FROM t WHERE id = ?1", [id], |r| r.get(0))
                        .unwrap();
                    assert_eq!(seen, text);
                });
            }
            while let Some(r) = sends.join_next().await {
                r.unwrap();
            }
        });
        drop(jobs);
        thread.join().unwrap();
        assert_eq!(stored(&path).len(), 300);
    }

    #[test]
    fn jobs_waiting_together_share_one_commit_and_get_their_ids_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let texts = Texts::open(&path);
        let commits = Arc::new(AtomicUsize::new(0));
        let counter = commits.clone();
        texts.conn.commit_hook(Some(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            false
        }));
        let replies = one_batch(texts, &["a", "b", "c"]);
        assert_eq!(commits.load(Ordering::SeqCst), 1);
        let ids: Vec<i64> = replies
            .into_iter()
            .map(|mut r| r.try_recv().unwrap().unwrap())
            .collect();
        let want: Vec<(i64, String)> = ids
            .iter()
            .copied()
            .zip(["a", "b", "c"].map(String::from))
            .collect();
        assert_eq!(stored(&path), want);
    }

    #[test]
    fn a_bad_row_fails_alone_and_the_rest_of_its_batch_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let texts = Texts::open(&path);
        let tries = texts.tries.clone();
        let replies = one_batch(texts, &["a", "bad", "b"]);
        let got: Vec<_> = replies
            .into_iter()
            .map(|mut r| r.try_recv().unwrap())
            .collect();
        let e = got[1].as_ref().unwrap_err();
        assert!(e.0.contains("CHECK constraint failed"), "{e:?}");
        assert!(e.0.contains("w.db"), "names the file: {e:?}");
        let kept: Vec<String> = stored(&path).into_iter().map(|(_, x)| x).collect();
        assert_eq!(kept, ["a", "b"]);
        assert_eq!(got[0].as_ref().unwrap() + 1, *got[2].as_ref().unwrap());
        // The batch once, then each of its three rows alone.
        assert_eq!(tries.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_fault_of_the_file_fails_the_whole_batch_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let texts = Texts::open(&path);
        texts.conn.pragma_update(None, "query_only", true).unwrap();
        let tries = texts.tries.clone();
        let replies = one_batch(texts, &["a", "b"]);
        for mut r in replies {
            let e = r.try_recv().unwrap().unwrap_err();
            assert!(e.0.contains("read-only"), "{e:?}");
        }
        assert_eq!(tries.load(Ordering::SeqCst), 1, "not retried row by row");
        assert!(stored(&path).is_empty());
    }

    #[test]
    fn idle_work_runs_while_no_job_comes_and_jobs_still_get_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let mut texts = Texts::open(&path);
        texts.idle_left = 3;
        let idled = texts.idled.clone();
        let (jobs, thread) = spawn("test-writer", move || texts).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let id = rt.block_on(jobs.call(|reply| ("a".to_string(), reply)));
        assert_eq!(id, Some(Ok(1)));
        let start = std::time::Instant::now();
        while idled.load(Ordering::SeqCst) < 3 {
            assert!(start.elapsed() < Duration::from_secs(10), "never idled");
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(jobs);
        thread.join().unwrap();
        assert_eq!(
            idled.load(Ordering::SeqCst),
            3,
            "no idle work once none is left"
        );
    }

    #[test]
    fn a_stopped_thread_is_told_as_no_answer() {
        let (tx, rx) = mpsc::channel::<Job>();
        drop(rx);
        let jobs = Jobs { tx };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(
            rt.block_on(jobs.call(|reply| ("a".to_string(), reply))),
            None
        );
    }
}
