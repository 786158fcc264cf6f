//! [`DeliveryLog`] on the relay's own SQLite file (`super::store`): the embedded default.
//! Writes go through the group-commit writer thread (answered after an fsynced commit), reads
//! through a small pool of reader connections; a read waits for the writer's commits to
//! follow new deliveries. Behaviour is the relay's from before the seam, unchanged.

use std::path::PathBuf;
use std::sync::Mutex;
use tokio::sync::{mpsc, watch};

use super::channel::Token;
use super::log::{
    ChannelAccess, ChannelSpec, DeliveryLog, Ingested, LogError, LogEvent, LogFuture, NewChannel,
    Reading,
};
use super::protocol::{gap_after, Delivery, Seq};
use super::store::{Ack, ChannelInfo, IngestError, RelayStore, RelayWriter};
use crate::sqlite::{OpenMode, StoreError};

/// Deliveries read from the file per query while following a channel, and their body bytes.
const READ_BATCH: usize = 64;
const READ_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Events queued per reader before the reading task waits.
const READ_QUEUE: usize = 16;

/// Read connections, reused: PK lookups and pages run on them.
struct Readers {
    path: PathBuf,
    pool: Mutex<Vec<RelayStore>>,
}

impl Readers {
    fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            pool: Mutex::new(Vec::new()),
        }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&RelayStore) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let taken = self.pool.lock().ok().and_then(|mut p| p.pop());
        let store = match taken {
            Some(s) => s,
            None => RelayStore::open(&self.path, OpenMode::Existing)?,
        };
        // A page of bodies can take milliseconds: let the runtime move other tasks away.
        let result = tokio::task::block_in_place(|| f(&store));
        if let Ok(mut p) = self.pool.lock() {
            p.push(store);
        }
        result
    }
}

/// The SQLite log: the writer thread's handle, readers, and the commit counter it bumps.
pub struct SqliteLog {
    writer: RelayWriter,
    readers: Readers,
    commits: watch::Receiver<u64>,
}

impl SqliteLog {
    /// A log over `db`, written by `writer`, whose commits bump `commits`.
    pub fn new(db: PathBuf, writer: RelayWriter, commits: watch::Receiver<u64>) -> SqliteLog {
        SqliteLog {
            writer,
            readers: Readers::new(db),
            commits,
        }
    }
}

fn ingest_error(e: IngestError) -> LogError {
    LogError::Other(e.to_string())
}

impl DeliveryLog for SqliteLog {
    fn ingest<'a>(
        &'a self,
        channel: &'a str,
        delivery: Delivery,
    ) -> LogFuture<'a, Result<Option<Ingested>, LogError>> {
        Box::pin(async move {
            match self.writer.ingest(channel, delivery).await {
                Ok(seq) => Ok(Some(Ingested {
                    seq,
                    duplicate: false,
                })),
                Err(IngestError::NoChannel) => Ok(None),
                Err(e) => Err(ingest_error(e)),
            }
        })
    }

    fn access<'a>(
        &'a self,
        channel: &'a str,
    ) -> LogFuture<'a, Result<Option<ChannelAccess>, LogError>> {
        Box::pin(async move {
            let found = self.readers.with(|s| {
                let Some(token_sha256) = s.token_hash(channel)? else {
                    return Ok(None);
                };
                Ok(s.edge_check(channel)?
                    .map(|edge| ChannelAccess { token_sha256, edge }))
            })?;
            Ok(found)
        })
    }

    fn read<'a>(
        &'a self,
        channel: &'a str,
        after: Seq,
    ) -> LogFuture<'a, Result<Option<Reading>, LogError>> {
        Box::pin(async move {
            let Some(state) = self.readers.with(|s| s.channel_state(channel))? else {
                return Ok(None);
            };
            let (tx, events) = mpsc::channel(READ_QUEUE);
            let follow = Follow {
                channel: channel.to_string(),
                cursor: after,
                commits: self.commits.clone(),
                tx,
            };
            tokio::spawn(follow.run(Readers::new(self.readers.path.clone())));
            Ok(Some(Reading {
                last_seq: state.last_seq,
                events,
            }))
        })
    }

    fn acked<'a>(
        &'a self,
        channel: &'a str,
        consumer: &'a str,
    ) -> LogFuture<'a, Result<Seq, LogError>> {
        Box::pin(async move { Ok(self.readers.with(|s| s.acked(channel, consumer))?) })
    }

    fn ack(&self, ack: Ack) -> LogFuture<'_, Result<bool, LogError>> {
        Box::pin(async move { self.writer.ack(ack).await.map_err(ingest_error) })
    }

    fn prune(&self, cutoff_ms: i64) -> LogFuture<'_, Result<u64, LogError>> {
        Box::pin(async move { self.writer.prune(cutoff_ms).await.map_err(ingest_error) })
    }

    fn health(&self) -> LogFuture<'_, Result<(), LogError>> {
        // The writer thread answers while it lives; a failing file shows on the next ingest.
        Box::pin(async move { Ok(()) })
    }

    fn add_channel(
        &self,
        spec: ChannelSpec,
        now_ms: i64,
    ) -> LogFuture<'_, Result<NewChannel, LogError>> {
        Box::pin(async move {
            let (id, token) = self.readers.with(|s| {
                s.add_checked_channel(
                    spec.label.as_deref(),
                    &spec.secrets,
                    spec.reject_invalid,
                    now_ms,
                )
            })?;
            Ok(NewChannel { id, token })
        })
    }

    fn list_channels(&self) -> LogFuture<'_, Result<Vec<ChannelInfo>, LogError>> {
        Box::pin(async move { Ok(self.readers.with(|s| s.list_channels())?) })
    }

    fn remove_channel<'a>(&'a self, id: &'a str) -> LogFuture<'a, Result<bool, LogError>> {
        Box::pin(async move { Ok(self.readers.with(|s| s.remove_channel(id))?) })
    }

    fn rotate_token<'a>(&'a self, id: &'a str) -> LogFuture<'a, Result<Option<Token>, LogError>> {
        Box::pin(async move { Ok(self.readers.with(|s| s.rotate_token(id))?) })
    }
}

/// One reader following a channel: pages after its cursor, then waits for commits.
struct Follow {
    channel: String,
    cursor: Seq,
    commits: watch::Receiver<u64>,
    tx: mpsc::Sender<Result<LogEvent, LogError>>,
}

impl Follow {
    async fn run(mut self, readers: Readers) {
        loop {
            // Mark the current generation seen before reading, so a commit after the read
            // wakes us.
            self.commits.borrow_and_update();
            let state = match readers.with(|s| s.channel_state(&self.channel)) {
                Ok(Some(s)) => s,
                // The channel was removed: the stream ends and the subscriber reconnects.
                Ok(None) => return,
                Err(e) => {
                    let _ = self.tx.send(Err(e.into())).await;
                    return;
                }
            };
            if let Some(gap) = gap_after(self.cursor, state.pruned_upto) {
                if self.tx.send(Ok(LogEvent::Gap(gap))).await.is_err() {
                    return;
                }
                self.cursor = gap.to;
            }
            let page = match readers.with(|s| {
                s.deliveries_after(&self.channel, self.cursor, READ_BATCH, READ_BATCH_BYTES)
            }) {
                Ok(p) => p,
                Err(e) => {
                    let _ = self.tx.send(Err(e.into())).await;
                    return;
                }
            };
            if !page.is_empty() {
                for d in page {
                    let seq = d.seq;
                    if self
                        .tx
                        .send(Ok(LogEvent::Delivery(Box::new(d))))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    self.cursor = seq;
                }
                continue;
            }
            tokio::select! {
                changed = self.commits.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                _ = self.tx.closed() => return,
            }
        }
    }
}
