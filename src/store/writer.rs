//! One thread owns the writing connection and commits in batches (group commit): every job that
//! arrived while the previous commit ran shares the next one, and each is answered only after
//! its own commit.

use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

use super::{Store, StoreError};
use crate::capture::{Attempt, AttemptId, Capture, CaptureId};

/// Most jobs in one transaction, so one commit never holds a huge batch in memory.
const MAX_BATCH: usize = 256;

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
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Stores a capture; resolves once it is committed.
    pub async fn record(&self, capture: Capture) -> Result<CaptureId, WriteError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Job::Capture(Box::new(capture), tx))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Stores an attempt; resolves once it is committed.
    pub async fn record_attempt(
        &self,
        attempt: impl Into<Arc<Attempt>>,
    ) -> Result<AttemptId, WriteError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Job::Attempt(attempt.into(), tx))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

impl Writer {
    /// Deletes captures received before `before_ms` (and their attempts) on the writer's own
    /// connection, after whatever is queued before it; resolves with how many were deleted.
    pub async fn purge_before(&self, before_ms: i64) -> Result<u64, WriteError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Job::Purge(before_ms, tx))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

fn stopped() -> WriteError {
    WriteError("the database writer has stopped; see the error above".into())
}

/// Moves `store` onto its own thread.
pub fn spawn_writer(store: Store) -> std::io::Result<(Writer, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("hookscope-writer".into())
        .spawn(move || run(store, rx))?;
    Ok((Writer { tx }, handle))
}

fn run(mut store: Store, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&mut store, batch);
    }
}

fn commit(store: &mut Store, batch: Vec<Job>) {
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
    if !captures.is_empty() {
        let refs: Vec<&Capture> = captures.iter().map(|c| c.as_ref()).collect();
        answer(store.insert_captures(&refs), capture_replies);
    }
    if !attempts.is_empty() {
        let refs: Vec<&Attempt> = attempts.iter().map(|a| a.as_ref()).collect();
        answer(store.insert_attempts(&refs), attempt_replies);
    }
    // After the inserts, so a purge never races a capture of the same batch.
    for (before_ms, reply) in purges {
        let _ = reply.send(store.purge_before(before_ms).map_err(WriteError::from));
    }
}

fn answer(
    result: Result<Vec<i64>, StoreError>,
    replies: Vec<oneshot::Sender<Result<i64, WriteError>>>,
) {
    match result {
        Ok(ids) => {
            for (id, reply) in ids.into_iter().zip(replies) {
                // The requester may have gone (client hung up); the row is stored regardless.
                let _ = reply.send(Ok(id));
            }
        }
        Err(e) => {
            tracing::error!("{e}");
            let e = WriteError::from(e);
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}
