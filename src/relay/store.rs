//! The relay's own SQLite file: channels (id, label, token hash, sequence counters), the
//! deliveries they hold, and each subscriber's acknowledged position. WAL mode; `synchronous`
//! is FULL by default because the relay holds the only copy of what it acknowledged.
//! Schema versioned with `PRAGMA user_version`, append-only migrations (`crate::sqlite`).
//!
//! Sequences are per channel, start at 1 and are never reused: `last_seq` lives in the channel
//! row, so deleting old deliveries cannot hand an old number to a new one. Retention deletes
//! whole prefixes (every `seq <= X`) and records `pruned_upto = X`, so "what was lost" is
//! always one range ([`super::protocol::gap_after`]). A token is stored only as its SHA-256.
//!
//! One [`RelayWriter`] thread owns the writing connection and commits in batches (the
//! group-commit writer of `crate::sqlite::writer`); each ingest is answered only after the
//! commit that holds it, and a batch that fails for one delivery is tried again one by one.
//! Streams read with their own connections.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

use super::channel::{new_channel_id, Token};
use super::protocol::{Delivery, Seq};
use crate::capture::{RawRequest, Rejection};
use crate::sqlite::writer::{self as group, commit_rows, GroupCommit, Jobs};
use crate::sqlite::{self, Durability, OpenMode, StoreError};
use crate::store::{decode_headers, encode_headers};

const MIGRATIONS: &[&str] = &[
    // 1: channels, deliveries, consumers
    "CREATE TABLE channels (
        id            TEXT    PRIMARY KEY,
        label         TEXT,
        token_sha256  BLOB    NOT NULL,
        created_at_ms INTEGER NOT NULL,
        last_seq      INTEGER NOT NULL DEFAULT 0,
        pruned_upto   INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE deliveries (
        channel         TEXT    NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,
        received_at_ms  INTEGER NOT NULL,
        method          TEXT    NOT NULL,
        path            TEXT    NOT NULL,
        query           TEXT,
        headers         BLOB    NOT NULL,
        body            BLOB    NOT NULL,
        body_size       INTEGER NOT NULL,
        rejected_status INTEGER,
        rejected_reason TEXT,
        peer            TEXT,
        PRIMARY KEY (channel, seq)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_by_time ON deliveries(received_at_ms);
    CREATE TABLE consumers (
        channel    TEXT    NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        consumer   TEXT    NOT NULL,
        acked_seq  INTEGER NOT NULL,
        seen_at_ms INTEGER NOT NULL,
        PRIMARY KEY (channel, consumer)
    ) WITHOUT ROWID;",
    // 2: optional edge verification: the channel's signing secrets (as given, to compute the
    // HMAC), whether bad signatures are refused, and each delivery's verdict at arrival
    "ALTER TABLE channels ADD COLUMN secrets TEXT;
    ALTER TABLE channels ADD COLUMN reject_invalid INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE deliveries ADD COLUMN relay_verdict TEXT;",
];

/// Most consumers remembered per channel; the oldest-seen are forgotten beyond it.
const MAX_CONSUMERS: i64 = 64;

/// A channel as `channel list` shows it (no token, not even its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    pub id: String,
    pub label: Option<String>,
    pub created_at_ms: i64,
    pub last_seq: Seq,
    pub pruned_upto: Seq,
    pub stored: u64,
    pub stored_bytes: u64,
    /// (consumer, acknowledged sequence, last seen ms)
    pub consumers: Vec<(String, Seq, i64)>,
}

/// How a channel checks signatures on arrival (`channel add --secret`).
#[derive(Debug, Clone, Default)]
pub struct EdgeCheck {
    /// Empty: no check, no verdict.
    pub secrets: Vec<crate::signature::Secret>,
    /// Answer 401 to an invalid or unsigned delivery instead of storing it.
    pub reject_invalid: bool,
}

impl EdgeCheck {
    /// A channel's check from the secrets its log keeps as text (SQLite and JetStream alike); one
    /// that does not parse is skipped and logged, without its value.
    pub fn from_stored<'a>(
        channel: &str,
        secrets: impl IntoIterator<Item = &'a str>,
        reject_invalid: bool,
    ) -> EdgeCheck {
        EdgeCheck {
            secrets: secrets
                .into_iter()
                .filter_map(|s| match crate::signature::Secret::parse(s) {
                    Ok(k) => Some(k),
                    Err(_) => {
                        tracing::warn!(
                            "channel {channel}: a stored secret does not parse; skipped"
                        );
                        None
                    }
                })
                .collect(),
            reject_invalid,
        }
    }
}

/// What a stream needs to know about its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelState {
    pub last_seq: Seq,
    pub pruned_upto: Seq,
}

pub struct RelayStore {
    conn: Connection,
    path: PathBuf,
}

impl RelayStore {
    pub fn open(path: &Path, mode: OpenMode) -> Result<RelayStore, StoreError> {
        // Deliveries are personal data, and a checked channel's secrets live here: 0700/0600.
        // The relay holds the only copy of what it acknowledged: FULL until told otherwise.
        let conn = sqlite::open(path, mode, Durability::Full, MIGRATIONS)?;
        Ok(RelayStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn set_durability(&self, d: Durability) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "synchronous", d.pragma())
            .map_err(|e| self.err(e))
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, e)
    }

    /// Creates a channel; the token is returned once and only its hash is stored.
    #[cfg(test)]
    pub fn add_channel(
        &self,
        label: Option<&str>,
        now_ms: i64,
    ) -> Result<(String, Token), StoreError> {
        self.add_checked_channel(label, &[], false, now_ms)
    }

    /// Creates a channel that verifies signatures on arrival with `secrets` (checked by the
    /// caller; stored as given, since computing the HMAC needs them).
    pub fn add_checked_channel(
        &self,
        label: Option<&str>,
        secrets: &[String],
        reject_invalid: bool,
        now_ms: i64,
    ) -> Result<(String, Token), StoreError> {
        let id = new_channel_id();
        let token = Token::generate();
        let secrets = (!secrets.is_empty()).then(|| secrets.join(","));
        self.conn
            .execute(
                "INSERT INTO channels (id, label, token_sha256, created_at_ms, secrets, reject_invalid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, label, token.hash().to_vec(), now_ms, secrets, reject_invalid],
            )
            .map_err(|e| self.err(e))?;
        Ok((id, token))
    }

    /// A channel's edge check; `None` when the channel does not exist. Secrets that no longer
    /// parse are skipped (logged without their value).
    pub fn edge_check(&self, id: &str) -> Result<Option<EdgeCheck>, StoreError> {
        let row: Option<(Option<String>, bool)> = self
            .conn
            .query_row(
                "SELECT secrets, reject_invalid FROM channels WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(row.map(|(secrets, reject_invalid)| {
            let stored = secrets.as_deref().unwrap_or("");
            EdgeCheck::from_stored(
                id,
                stored.split(',').filter(|s| !s.is_empty()),
                reject_invalid,
            )
        }))
    }

    /// Replaces a channel's token; `None` when there is no such channel.
    pub fn rotate_token(&self, id: &str) -> Result<Option<Token>, StoreError> {
        let token = Token::generate();
        let n = self
            .conn
            .execute(
                "UPDATE channels SET token_sha256 = ?2 WHERE id = ?1",
                params![id, token.hash().to_vec()],
            )
            .map_err(|e| self.err(e))?;
        Ok((n == 1).then_some(token))
    }

    /// Deletes a channel and everything it holds; false when there was none.
    pub fn remove_channel(&self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM channels WHERE id = ?1", params![id])
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    pub fn list_channels(&self) -> Result<Vec<ChannelInfo>, StoreError> {
        let err = |e| StoreError::sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.id, c.label, c.created_at_ms, c.last_seq, c.pruned_upto,
                    (SELECT COUNT(*) FROM deliveries d WHERE d.channel = c.id),
                    (SELECT COALESCE(SUM(LENGTH(d.body)), 0) FROM deliveries d WHERE d.channel = c.id)
                 FROM channels c ORDER BY c.created_at_ms, c.id",
            )
            .map_err(err)?;
        let mut out: Vec<ChannelInfo> = stmt
            .query_map([], |r| {
                Ok(ChannelInfo {
                    id: r.get(0)?,
                    label: r.get(1)?,
                    created_at_ms: r.get(2)?,
                    last_seq: r.get::<_, i64>(3)? as Seq,
                    pruned_upto: r.get::<_, i64>(4)? as Seq,
                    stored: r.get::<_, i64>(5)? as u64,
                    stored_bytes: r.get::<_, i64>(6)? as u64,
                    consumers: Vec::new(),
                })
            })
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT consumer, acked_seq, seen_at_ms FROM consumers WHERE channel = ?1 ORDER BY seen_at_ms DESC",
            )
            .map_err(err)?;
        for ch in &mut out {
            ch.consumers = stmt
                .query_map(params![ch.id], |r| {
                    Ok((r.get(0)?, r.get::<_, i64>(1)? as Seq, r.get(2)?))
                })
                .map_err(err)?
                .collect::<Result<_, _>>()
                .map_err(err)?;
        }
        Ok(out)
    }

    /// The stored token hash of a channel; `None` when it does not exist.
    pub fn token_hash(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row(
                "SELECT token_sha256 FROM channels WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn channel_state(&self, id: &str) -> Result<Option<ChannelState>, StoreError> {
        self.conn
            .query_row(
                "SELECT last_seq, pruned_upto FROM channels WHERE id = ?1",
                params![id],
                |r| {
                    Ok(ChannelState {
                        last_seq: r.get::<_, i64>(0)? as Seq,
                        pruned_upto: r.get::<_, i64>(1)? as Seq,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The acknowledged position of `consumer` on a channel (0 when unknown).
    pub fn acked(&self, channel: &str, consumer: &str) -> Result<Seq, StoreError> {
        let v: Option<i64> = self
            .conn
            .query_row(
                "SELECT acked_seq FROM consumers WHERE channel = ?1 AND consumer = ?2",
                params![channel, consumer],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(v.unwrap_or(0).max(0) as Seq)
    }

    /// Up to `limit` deliveries after `after`, oldest first, with at most about `max_bytes` of
    /// bodies (always at least one when there is one).
    pub fn deliveries_after(
        &self,
        channel: &str,
        after: Seq,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let err = |e| StoreError::sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, received_at_ms, method, path, query, headers, body, body_size,
                        rejected_status, rejected_reason, peer, relay_verdict
                 FROM deliveries WHERE channel = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(err)?;
        let mut rows = stmt
            .query(params![channel, after as i64, limit as i64])
            .map_err(err)?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(r) = rows.next().map_err(err)? {
            let seq = r.get::<_, i64>(0).map_err(err)? as Seq;
            let headers_blob: Vec<u8> = r.get(5).map_err(err)?;
            let headers = decode_headers(&headers_blob).ok_or_else(|| StoreError::Damaged {
                path: self.path.clone(),
                what: format!("delivery {seq} of channel '{channel}'"),
            })?;
            let body: Vec<u8> = r.get(6).map_err(err)?;
            let status: Option<i64> = r.get(8).map_err(err)?;
            let reason: Option<String> = r.get(9).map_err(err)?;
            bytes += body.len();
            out.push(Delivery {
                seq,
                received_at_ms: r.get(1).map_err(err)?,
                request: RawRequest {
                    method: r.get(2).map_err(err)?,
                    path: r.get(3).map_err(err)?,
                    query: r.get(4).map_err(err)?,
                    headers,
                    body,
                    body_size: r.get::<_, i64>(7).map_err(err)?.max(0) as u64,
                },
                rejected: status.map(|s| Rejection {
                    status: u16::try_from(s).unwrap_or(400),
                    reason: reason.unwrap_or_default(),
                }),
                peer: r.get(10).map_err(err)?,
                relay_verdict: r.get(11).map_err(err)?,
            });
            if bytes >= max_bytes {
                break;
            }
        }
        Ok(out)
    }

    /// Stores each delivery under the next sequence of its channel, all in one transaction.
    /// A channel removed meanwhile gives `Ok(None)` for its deliveries; the rest are stored.
    pub fn insert_deliveries(
        &mut self,
        items: &[(&str, &Delivery)],
    ) -> Result<Vec<Option<Seq>>, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::sqlite(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut out = Vec::with_capacity(items.len());
        {
            let mut next = tx
                .prepare_cached(
                    "UPDATE channels SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq",
                )
                .map_err(err)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO deliveries (channel, seq, received_at_ms, method, path, query,
                        headers, body, body_size, rejected_status, rejected_reason, peer,
                        relay_verdict)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .map_err(err)?;
            for (channel, d) in items {
                let seq: Option<i64> = next
                    .query_row(params![channel], |r| r.get(0))
                    .optional()
                    .map_err(err)?;
                let Some(seq) = seq else {
                    out.push(None);
                    continue;
                };
                insert
                    .execute(params![
                        channel,
                        seq,
                        d.received_at_ms,
                        d.method,
                        d.path,
                        d.query,
                        encode_headers(&d.headers),
                        d.body,
                        d.body_size as i64,
                        d.rejected.as_ref().map(|r| r.status),
                        d.rejected.as_ref().map(|r| r.reason.as_str()),
                        d.peer,
                        d.relay_verdict,
                    ])
                    .map_err(err)?;
                out.push(Some(seq as Seq));
            }
        }
        tx.commit().map_err(err)?;
        Ok(out)
    }

    /// Records a consumer's cumulative acknowledgement (never moves it backwards, never past
    /// the channel's last sequence). False when the channel does not exist.
    pub fn ack(
        &self,
        channel: &str,
        consumer: &str,
        upto: Seq,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "INSERT INTO consumers (channel, consumer, acked_seq, seen_at_ms)
                 SELECT id, ?2, MIN(?3, last_seq), ?4 FROM channels WHERE id = ?1
                 ON CONFLICT (channel, consumer) DO UPDATE SET
                   acked_seq = MAX(acked_seq, excluded.acked_seq), seen_at_ms = excluded.seen_at_ms",
                params![channel, consumer, upto.min(i64::MAX as u64) as i64, now_ms],
            )
            .map_err(|e| self.err(e))?;
        if n == 1 {
            self.conn
                .execute(
                    "DELETE FROM consumers WHERE channel = ?1 AND consumer NOT IN
                       (SELECT consumer FROM consumers WHERE channel = ?1 ORDER BY seen_at_ms DESC LIMIT ?2)",
                    params![channel, MAX_CONSUMERS],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(n == 1)
    }

    /// Deletes, per channel, every delivery up to the newest one that arrived before
    /// `cutoff_ms`, and remembers how far it deleted. Returns how many were deleted.
    pub fn prune(&mut self, cutoff_ms: i64) -> Result<u64, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::sqlite(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "UPDATE channels SET pruned_upto = MAX(pruned_upto, COALESCE(
               (SELECT MAX(seq) FROM deliveries d WHERE d.channel = channels.id AND d.received_at_ms < ?1), 0))",
            params![cutoff_ms],
        )
        .map_err(err)?;
        let n = tx
            .execute(
                "DELETE FROM deliveries WHERE seq <= (SELECT pruned_upto FROM channels c WHERE c.id = deliveries.channel)",
                [],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n as u64)
    }
}

/// Why an ingest was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("no such channel")]
    NoChannel,
    #[error("delivery not stored: {0}")]
    Store(String),
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        IngestError::Store(e.to_string())
    }
}

enum Job {
    /// A delivery for a channel; answered with its sequence, `None` when there is no channel.
    Ingest(
        String,
        Box<Delivery>,
        oneshot::Sender<Result<Option<Seq>, IngestError>>,
    ),
    Prune(i64, oneshot::Sender<Result<u64, IngestError>>),
    Ack(Ack, oneshot::Sender<Result<bool, IngestError>>),
}

/// A subscriber's cumulative acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub channel: String,
    pub consumer: String,
    pub upto: Seq,
    pub at_ms: i64,
}

/// Handle to the relay's writer thread. When every handle is dropped the thread ends.
#[derive(Clone)]
pub struct RelayWriter {
    jobs: Jobs<Job>,
}

impl RelayWriter {
    /// Stores a delivery (its `seq` is ignored); resolves with its sequence once committed.
    pub async fn ingest(&self, channel: &str, d: Delivery) -> Result<Seq, IngestError> {
        let job = |reply| Job::Ingest(channel.to_string(), Box::new(d), reply);
        let seq = self
            .jobs
            .call(job)
            .await
            .unwrap_or_else(|| Err(stopped()))?;
        seq.ok_or(IngestError::NoChannel)
    }

    /// Records an acknowledgement; false when the channel does not exist.
    pub async fn ack(&self, ack: Ack) -> Result<bool, IngestError> {
        let job = |reply| Job::Ack(ack, reply);
        self.jobs.call(job).await.unwrap_or_else(|| Err(stopped()))
    }

    pub async fn prune(&self, cutoff_ms: i64) -> Result<u64, IngestError> {
        let job = |reply| Job::Prune(cutoff_ms, reply);
        self.jobs.call(job).await.unwrap_or_else(|| Err(stopped()))
    }
}

fn stopped() -> IngestError {
    IngestError::Store("the relay's database writer has stopped; see the error above".into())
}

/// Moves `store` onto its own thread. `on_commit` runs after every commit that stored
/// deliveries (the server wakes its streams with it).
pub fn spawn_relay_writer(
    store: RelayStore,
    on_commit: impl Fn() + Send + 'static,
) -> std::io::Result<(RelayWriter, JoinHandle<()>)> {
    let start = move || Relaying { store, on_commit };
    let (jobs, handle) = group::spawn("hookscope-relay-writer", start)?;
    Ok((RelayWriter { jobs }, handle))
}

/// The relay's side of the group-commit writer thread (`crate::sqlite::writer`).
struct Relaying<F> {
    store: RelayStore,
    on_commit: F,
}

impl<F: Fn()> GroupCommit for Relaying<F> {
    type Job = Job;

    /// Prunes and acks at once, in arrival order; then the batch's deliveries in one commit.
    fn commit(&mut self, batch: Vec<Job>) {
        let mut ingests = Vec::new();
        let mut replies = Vec::new();
        for job in batch {
            match job {
                Job::Ingest(ch, d, reply) => {
                    ingests.push((ch, d));
                    replies.push(reply);
                }
                Job::Prune(cutoff, reply) => {
                    let r = self.store.prune(cutoff).map_err(|e| {
                        tracing::error!("{e}");
                        IngestError::from(e)
                    });
                    let _ = reply.send(r);
                }
                Job::Ack(a, reply) => {
                    let r = self.store.ack(&a.channel, &a.consumer, a.upto, a.at_ms);
                    let _ = reply.send(r.map_err(IngestError::from));
                }
            }
        }
        if ingests.is_empty() {
            return;
        }
        let items: Vec<(&str, &Delivery)> = ingests
            .iter()
            .map(|(c, d)| (c.as_str(), d.as_ref()))
            .collect();
        let (store, on_commit) = (&mut self.store, &self.on_commit);
        commit_rows(&items, replies, |rows| {
            let seqs = store.insert_deliveries(rows)?;
            // Streams are woken before the senders are answered.
            on_commit();
            Ok(seqs)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::protocol::gap_after;

    fn delivery(at: i64, body: &[u8]) -> Delivery {
        Delivery {
            seq: 0,
            received_at_ms: at,
            request: RawRequest {
                method: "POST".into(),
                path: "/hook".into(),
                query: None,
                headers: vec![
                    (b"X-A".to_vec(), b"1".to_vec()),
                    (b"x-a".to_vec(), b"\xff".to_vec()),
                ],
                body: body.to_vec(),
                body_size: body.len() as u64,
            },
            rejected: None,
            peer: Some("127.0.0.1:1".into()),
            relay_verdict: Some("valid".into()),
        }
    }

    fn open() -> (tempfile::TempDir, RelayStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = RelayStore::open(&dir.path().join("relay.db"), OpenMode::Create).unwrap();
        (dir, s)
    }

    #[test]
    fn channels_store_only_a_token_hash() {
        let (dir, s) = open();
        let (id, token) = s.add_channel(Some("laptop"), 1).unwrap();
        let hash = s.token_hash(&id).unwrap().unwrap();
        assert!(crate::relay::channel::token_matches(token.reveal(), &hash));
        let rotated = s.rotate_token(&id).unwrap().unwrap();
        let hash2 = s.token_hash(&id).unwrap().unwrap();
        assert!(!crate::relay::channel::token_matches(
            token.reveal(),
            &hash2
        ));
        assert!(crate::relay::channel::token_matches(
            rotated.reveal(),
            &hash2
        ));
        assert!(s.rotate_token("nope").unwrap().is_none());
        drop(s);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("relay.db"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o777,
                0o600,
                "the relay's database is private to its user"
            );
        }
        // The token text is nowhere in the file.
        let raw = std::fs::read(dir.path().join("relay.db")).unwrap();
        let needle = rotated.reveal().as_bytes();
        assert!(!raw.windows(needle.len()).any(|w| w == needle));
    }

    #[test]
    fn sequences_are_per_channel_exact_and_never_reused() {
        let (_d, mut s) = open();
        let (a, _) = s.add_channel(None, 1).unwrap();
        let (b, _) = s.add_channel(None, 2).unwrap();
        let d1 = delivery(1000, b"{\"x\": 1.0}");
        let got = s
            .insert_deliveries(&[(&a, &d1), (&b, &d1), (&a, &d1), ("gone", &d1)])
            .unwrap();
        assert_eq!(got, vec![Some(1), Some(1), Some(2), None]);
        let read = s.deliveries_after(&a, 0, 10, usize::MAX).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].seq, 1);
        assert_eq!(read[1].headers, d1.headers);
        assert_eq!(read[1].body, d1.body);
        // Retention deletes the prefix; the counter keeps going.
        assert_eq!(s.prune(2000).unwrap(), 3);
        let st = s.channel_state(&a).unwrap().unwrap();
        assert_eq!((st.last_seq, st.pruned_upto), (2, 2));
        assert_eq!(
            gap_after(0, st.pruned_upto).map(|g| (g.from, g.to)),
            Some((1, 2))
        );
        assert_eq!(s.insert_deliveries(&[(&a, &d1)]).unwrap(), vec![Some(3)]);
        assert_eq!(s.deliveries_after(&a, 0, 10, usize::MAX).unwrap()[0].seq, 3);
    }

    #[test]
    fn prune_keeps_what_is_younger_than_the_cutoff() {
        let (_d, mut s) = open();
        let (a, _) = s.add_channel(None, 1).unwrap();
        for at in [100, 200, 300] {
            s.insert_deliveries(&[(&a, &delivery(at, b"x"))]).unwrap();
        }
        assert_eq!(s.prune(250).unwrap(), 2);
        let left = s.deliveries_after(&a, 0, 10, usize::MAX).unwrap();
        assert_eq!(left.iter().map(|d| d.seq).collect::<Vec<_>>(), vec![3]);
        assert_eq!(s.prune(250).unwrap(), 0);
    }

    #[test]
    fn acks_are_cumulative_and_bounded() {
        let (_d, mut s) = open();
        let (a, _) = s.add_channel(None, 1).unwrap();
        s.insert_deliveries(&[(&a, &delivery(1, b"x")), (&a, &delivery(1, b"y"))])
            .unwrap();
        assert!(s.ack(&a, "lap", 1, 10).unwrap());
        assert!(s.ack(&a, "lap", 0, 11).unwrap());
        assert_eq!(s.acked(&a, "lap").unwrap(), 1);
        assert!(s.ack(&a, "lap", 99, 12).unwrap());
        assert_eq!(s.acked(&a, "lap").unwrap(), 2);
        assert!(!s.ack("nope", "lap", 1, 1).unwrap());
        let list = s.list_channels().unwrap();
        assert_eq!(list[0].consumers, vec![("lap".to_string(), 2, 12)]);
        assert_eq!(list[0].stored, 2);
        assert!(s.remove_channel(&a).unwrap());
        assert!(s.list_channels().unwrap().is_empty());
    }

    #[test]
    fn reading_is_paged_by_bytes() {
        let (_d, mut s) = open();
        let (a, _) = s.add_channel(None, 1).unwrap();
        let big = delivery(1, &[7u8; 1000]);
        s.insert_deliveries(&[(&a, &big), (&a, &big), (&a, &big)])
            .unwrap();
        assert_eq!(s.deliveries_after(&a, 0, 10, 1500).unwrap().len(), 2);
        assert_eq!(s.deliveries_after(&a, 0, 10, 1).unwrap().len(), 1);
        assert_eq!(s.deliveries_after(&a, 2, 10, 1).unwrap()[0].seq, 3);
    }

    #[test]
    fn a_checked_channel_keeps_its_secrets_and_policy() {
        let (_d, s) = open();
        let secret = "whsec_000102030405060708090a0b0c0d0e0f".to_string();
        let (a, _) = s.add_checked_channel(None, &[secret], true, 1).unwrap();
        let edge = s.edge_check(&a).unwrap().unwrap();
        assert_eq!(edge.secrets.len(), 1);
        assert!(edge.reject_invalid);
        let (b, _) = s.add_channel(None, 1).unwrap();
        let edge = s.edge_check(&b).unwrap().unwrap();
        assert!(edge.secrets.is_empty() && !edge.reject_invalid);
        assert!(s.edge_check("nope").unwrap().is_none());
    }

    /// One batch of ingests to `channel`, one per path, committed as the writer thread would.
    fn ingest_batch(
        s: RelayStore,
        items: &[(&str, &str)],
    ) -> (Vec<Result<Option<Seq>, IngestError>>, usize) {
        let commits = std::rc::Rc::new(std::cell::Cell::new(0));
        let counted = commits.clone();
        let mut writer = Relaying {
            store: s,
            on_commit: move || counted.set(counted.get() + 1),
        };
        let mut answers = Vec::new();
        let batch = items
            .iter()
            .map(|(channel, path)| {
                let (tx, rx) = oneshot::channel();
                answers.push(rx);
                let mut d = delivery(1, b"x");
                d.request.path = path.to_string();
                Job::Ingest(channel.to_string(), Box::new(d), tx)
            })
            .collect();
        writer.commit(batch);
        let got = answers
            .into_iter()
            .map(|mut rx| rx.try_recv().unwrap())
            .collect();
        (got, commits.get())
    }

    #[test]
    fn one_bad_delivery_fails_alone_and_the_rest_of_its_batch_is_stored() {
        let (_d, s) = open();
        let (a, _) = s.add_channel(None, 1).unwrap();
        // A row SQLite refuses for what it holds, not for the file.
        s.conn
            .execute_batch(
                "CREATE TRIGGER poison BEFORE INSERT ON deliveries WHEN NEW.path = '/poison'
                 BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;",
            )
            .unwrap();
        let reader = RelayStore::open(s.path(), OpenMode::Existing).unwrap();
        let (got, commits) = ingest_batch(
            s,
            &[(&a, "/a"), (&a, "/poison"), ("gone", "/c"), (&a, "/b")],
        );
        assert_eq!(got[0], Ok(Some(1)));
        assert!(
            matches!(&got[1], Err(IngestError::Store(e)) if e.contains("poisoned row")),
            "{got:?}"
        );
        assert_eq!(got[2], Ok(None), "no such channel");
        // The failed batch took no sequence: the next one follows on.
        assert_eq!(got[3], Ok(Some(2)));
        assert!(commits >= 1);
        let stored = reader.deliveries_after(&a, 0, 10, usize::MAX).unwrap();
        let paths: Vec<_> = stored.iter().map(|d| (d.seq, d.path.as_str())).collect();
        assert_eq!(paths, [(1, "/a"), (2, "/b")]);
    }

    #[test]
    fn a_batch_of_deliveries_is_one_commit_and_wakes_the_streams_once() {
        let (_d, s) = open();
        let (a, _) = s.add_channel(None, 1).unwrap();
        let (got, commits) = ingest_batch(s, &[(&a, "/1"), (&a, "/2"), (&a, "/3")]);
        assert_eq!(got, [Ok(Some(1)), Ok(Some(2)), Ok(Some(3))]);
        assert_eq!(commits, 1);
    }

    #[test]
    fn an_ingest_is_answered_after_its_commit_and_the_streams_are_woken_first() {
        let (_d, s) = open();
        let (a, _) = s.add_channel(None, 1).unwrap();
        let reader = RelayStore::open(s.path(), OpenMode::Existing).unwrap();
        let woken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = woken.clone();
        let (writer, thread) = spawn_relay_writer(s, move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let seq = rt.block_on(writer.ingest(&a, delivery(1, b"x"))).unwrap();
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(
            reader.deliveries_after(&a, 0, 10, usize::MAX).unwrap()[0].seq,
            seq
        );
        assert_eq!(
            rt.block_on(writer.ingest("gone", delivery(1, b"x"))),
            Err(IngestError::NoChannel)
        );
        drop(writer);
        thread.join().unwrap();
    }

    #[test]
    fn newer_schema_is_refused() {
        let (dir, s) = open();
        s.conn.pragma_update(None, "user_version", 99).unwrap();
        drop(s);
        let e = RelayStore::open(&dir.path().join("relay.db"), OpenMode::Existing)
            .err()
            .unwrap();
        assert!(e.to_string().contains("newer hookscope"), "{e}");
    }
}
