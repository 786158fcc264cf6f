//! [`DeliveryLog`] on NATS JetStream, so several relay processes share one log and a node can
//! be lost without losing what was answered.
//!
//! The mapping (docs/relay.md):
//! - one stream per channel, `HOOKSCOPE_RELAY_<id>` on subject `hookscope.relay.<id>`: the
//!   stream sequence is the channel's sequence, from 1, without gaps between stored
//!   deliveries, never reused;
//! - ingest publishes with `Nats-Msg-Id` (`record::message_id`) and resolves only with the
//!   `PubAck`: from a server that fsyncs every write (one replica, checked at start by
//!   [`durable`]) or from a quorum (three replicas); a duplicate within the stream's window
//!   returns the first copy's sequence;
//! - reading is an ordered consumer from `after + 1`; a first sequence beyond the reader's
//!   position is what retention deleted, told as a `gap`;
//! - retention is the stream's `max_age` (the relay's retention) and `max_bytes` (oldest
//!   dropped first), applied by the servers; the relay prunes nothing itself;
//! - channels (label, token SHA-256, edge secrets) in the key-value bucket
//!   `hookscope_relay_channels`, each consumer's cumulative acknowledgement in
//!   `hookscope_relay_acks` (`<channel>.<consumer>`, compare-and-set), so any instance can
//!   serve any laptop and a laptop resumes anywhere.
//!
//! Credentials come from a credentials file and never appear in output or logs.

pub(crate) mod durable;

use async_nats::jetstream::{self, consumer, kv, stream};
use futures_util::StreamExt;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;

use super::channel::{new_channel_id, Token};
use super::log::{
    ChannelAccess, ChannelSpec, DeliveryLog, Ingested, LogError, LogEvent, LogFuture, NewChannel,
    Reading,
};
use super::protocol::{Delivery, Gap, Seq};
use super::record;
use super::store::{Ack, ChannelInfo, EdgeCheck};

/// The bucket of channels.
const CHANNELS: &str = "hookscope_relay_channels";
/// The bucket of acknowledgements.
const ACKS: &str = "hookscope_relay_acks";
/// Longest the duplicate window is (JetStream's default); never longer than the retention.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// Longest wait for the servers at start and for one request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Events queued per reader before the reading task waits.
const READ_QUEUE: usize = 16;
/// Longest wait for a new replicated stream's leader.
const LEADER_WAIT: Duration = Duration::from_secs(5);
/// How long a failed publish is retried (same message id), and the first wait between tries.
const PUBLISH_RETRY_FOR: Duration = Duration::from_secs(4);
const PUBLISH_RETRY_FIRST: Duration = Duration::from_millis(25);
/// Most consumers remembered per channel (as the SQLite log); the oldest-seen go first.
const MAX_CONSUMERS: usize = 64;
/// Attempts at a compare-and-set acknowledgement before giving up.
const ACK_ATTEMPTS: usize = 8;

/// How to reach the servers and what the streams must be.
#[derive(Debug, Clone)]
pub struct JetStreamSettings {
    /// `nats://HOST:PORT` URLs, tried in order.
    pub servers: Vec<String>,
    /// A NATS credentials file (JWT and seed).
    pub creds: Option<PathBuf>,
    /// Copies of every stream and bucket: 1 (with `sync_interval: always`) or 3.
    pub replicas: usize,
    /// The streams' `max_age`.
    pub retention: Duration,
    /// The streams' `max_bytes` per channel; 0 or less: no limit.
    pub channel_max_bytes: i64,
}

/// The JetStream log.
pub struct JetStreamLog {
    client: async_nats::Client,
    js: jetstream::Context,
    channels: kv::Store,
    acks: kv::Store,
    settings: JetStreamSettings,
    /// Channels whose stream this process has created or brought to `settings`.
    ready: Mutex<HashSet<String>>,
    /// Held while a stream is made.
    making: tokio::sync::Mutex<()>,
}

/// A channel's record in the bucket.
#[derive(serde::Serialize, serde::Deserialize)]
struct ChannelRecord {
    #[serde(default)]
    label: Option<String>,
    /// Hex SHA-256 of the read token.
    token_sha256: String,
    created_at_ms: i64,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    reject_invalid: bool,
}

impl ChannelRecord {
    fn edge(&self, id: &str) -> EdgeCheck {
        EdgeCheck::from_stored(
            id,
            self.secrets.iter().map(String::as_str),
            self.reject_invalid,
        )
    }
}

/// A consumer's acknowledgement in the bucket.
#[derive(serde::Serialize, serde::Deserialize)]
struct AckRecord {
    acked: Seq,
    seen_at_ms: i64,
}

fn stream_name(channel: &str) -> String {
    format!("HOOKSCOPE_RELAY_{channel}")
}

fn subject(channel: &str) -> String {
    format!("hookscope.relay.{channel}")
}

fn is_not_found(e: &stream::InfoError) -> bool {
    e.to_string().contains("stream not found")
}

impl JetStreamLog {
    /// Connects, and opens (or creates) the two buckets with `settings.replicas` copies. With
    /// `reconcile` (the serving relay) buckets that exist are brought to that count too; the
    /// channel commands leave them as they are.
    pub async fn open(
        settings: JetStreamSettings,
        reconcile: bool,
    ) -> Result<JetStreamLog, LogError> {
        let mut options = async_nats::ConnectOptions::new()
            .name("hookscope-relay")
            .connection_timeout(CONNECT_TIMEOUT);
        if let Some(creds) = &settings.creds {
            options = options
                .credentials_file(creds)
                .await
                .map_err(|e| LogError::Credentials {
                    path: creds.clone(),
                    // Its messages name the file and the fault, never its content.
                    why: e.to_string(),
                })?;
        }
        let addrs: Vec<async_nats::ServerAddr> = settings
            .servers
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()
            .map_err(|e: std::io::Error| LogError::Other(format!("a NATS server URL: {e}")))?;
        let client = options.connect(addrs).await.map_err(|e| {
            LogError::Nats(format!(
                "cannot connect to {}: {e}",
                settings.servers.join(", ")
            ))
        })?;
        let js = jetstream::new(client.clone());
        let channels = bucket(&js, CHANNELS, settings.replicas, reconcile).await?;
        let acks = bucket(&js, ACKS, settings.replicas, reconcile).await?;
        Ok(JetStreamLog {
            client,
            js,
            channels,
            acks,
            settings,
            ready: Mutex::new(HashSet::new()),
            making: tokio::sync::Mutex::new(()),
        })
    }

    /// The largest message the servers take (their `max_payload`).
    pub fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }

    /// Largest body a delivery may have so its message fits the servers' `max_payload`.
    pub fn max_body(&self) -> usize {
        self.max_payload()
            .saturating_sub(record::OVERHEAD + super::server::MAX_HEAD)
    }

    /// Refuses a log that cannot keep an answered delivery through a power loss: one replica
    /// on servers that are not confirmed (at `monitors`) to fsync before acknowledging; or
    /// streams and buckets whose replica count is not `settings.replicas`. Brings every
    /// channel's stream to the settings first.
    pub async fn check(&self, monitors: &[String]) -> Result<(), LogError> {
        if self.settings.replicas < 3 {
            // A single-replica stream may be placed on any server of a cluster: every one
            // must be confirmed, not only those the relay was told about.
            let servers = self.client.server_info().connect_urls.len().max(1);
            if !monitors.is_empty() && monitors.len() < servers {
                return Err(LogError::NotDurable {
                    server: format!("a cluster of {servers} NATS servers"),
                    problem: format!(
                        "with one replica a channel may be placed on any of them, and only {} of their monitoring addresses were given",
                        monitors.len()
                    ),
                    fix: "give every server's monitoring address, or run three replicas".into(),
                });
            }
            durable::check_sync_always(monitors).await?;
        }
        for bucket in [CHANNELS, ACKS] {
            self.check_replicas(&format!("KV_{bucket}")).await?;
        }
        for id in self.channel_ids().await? {
            self.ensure_stream(&id).await?;
            self.check_replicas(&stream_name(&id)).await?;
        }
        Ok(())
    }

    async fn check_replicas(&self, name: &str) -> Result<(), LogError> {
        let info = self
            .js
            .get_stream(name)
            .await
            .map_err(LogError::nats)?
            .get_info()
            .await
            .map_err(LogError::nats)?;
        let have = info.config.num_replicas.max(1);
        if have != self.settings.replicas {
            return Err(LogError::NotDurable {
                server: format!("the stream {name}"),
                problem: format!(
                    "it keeps {have} copies where the relay was asked for {}",
                    self.settings.replicas
                ),
                fix: "ask for the replica count it has, or let the relay update it (it does so at start when the cluster allows)".into(),
            });
        }
        Ok(())
    }

    async fn channel_ids(&self) -> Result<Vec<String>, LogError> {
        let mut keys = self.channels.keys().await.map_err(LogError::nats)?;
        let mut ids = Vec::new();
        while let Some(k) = keys.next().await {
            ids.push(k.map_err(LogError::nats)?);
        }
        Ok(ids)
    }

    fn stream_config(&self, channel: &str) -> stream::Config {
        stream::Config {
            name: stream_name(channel),
            subjects: vec![subject(channel)],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            num_replicas: self.settings.replicas,
            max_age: self.settings.retention,
            max_bytes: if self.settings.channel_max_bytes > 0 {
                self.settings.channel_max_bytes
            } else {
                -1
            },
            duplicate_window: DUPLICATE_WINDOW.min(self.settings.retention),
            max_message_size: -1,
            max_messages: -1,
            max_messages_per_subject: -1,
            max_consumers: -1,
            description: Some("hookscope relay channel".into()),
            ..Default::default()
        }
    }

    /// Creates the channel's stream or brings it to the settings, once per process.
    async fn ensure_stream(&self, channel: &str) -> Result<(), LogError> {
        if self.ready.lock().is_ok_and(|r| r.contains(channel)) {
            return Ok(());
        }
        // One at a time: a burst of first deliveries to a new channel makes its stream once.
        let _making = self.making.lock().await;
        if self.ready.lock().is_ok_and(|r| r.contains(channel)) {
            return Ok(());
        }
        let made = self
            .js
            .create_or_update_stream(self.stream_config(channel))
            .await
            .map_err(|e| LogError::Nats(format!("stream for channel {channel}: {e}")))?;
        // A replicated stream takes deliveries once its group has a leader.
        let mut leader = made.cluster.as_ref().is_none_or(|c| c.leader.is_some());
        let started = tokio::time::Instant::now();
        while !leader && started.elapsed() < LEADER_WAIT {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if let Ok(s) = self.js.get_stream(stream_name(channel)).await {
                if let Ok(info) = s.get_info().await {
                    leader = info.cluster.as_ref().is_none_or(|c| c.leader.is_some());
                }
            }
        }
        if let Ok(mut r) = self.ready.lock() {
            r.insert(channel.to_string());
        }
        Ok(())
    }

    async fn record(&self, channel: &str) -> Result<Option<ChannelRecord>, LogError> {
        let Some(bytes) = self.channels.get(channel).await.map_err(LogError::nats)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| LogError::Other(format!("channel {channel}: its record is damaged: {e}")))
    }

    /// (first, last) sequence of the channel's stream; (0, 0) when it has none yet.
    async fn bounds(&self, channel: &str) -> Result<(Seq, Seq), LogError> {
        match self.js.get_stream(stream_name(channel)).await {
            Ok(s) => match s.get_info().await {
                Ok(info) => Ok((info.state.first_sequence, info.state.last_sequence)),
                Err(e) if is_not_found(&e) => Ok((0, 0)),
                Err(e) => Err(LogError::nats(e)),
            },
            Err(e) if e.to_string().contains("stream not found") => Ok((0, 0)),
            Err(e) => Err(LogError::nats(e)),
        }
    }

    /// Publishes and waits for the `PubAck`. A failure (no stream leader yet just after the
    /// stream was made, a leader election after a server died, a lost ack) is retried for a few
    /// seconds with the same `Nats-Msg-Id`, so a retry of a message that was stored after all is
    /// recognised, not stored twice.
    async fn publish(&self, channel: &str, d: &Delivery) -> Result<Ingested, LogError> {
        let payload: bytes::Bytes = record::encode(d).into();
        let id = record::message_id(channel, d);
        let started = tokio::time::Instant::now();
        let mut wait = PUBLISH_RETRY_FIRST;
        let mut attempt = 0;
        loop {
            let message = jetstream::message::PublishMessage::build()
                .payload(payload.clone())
                .message_id(id.clone());
            let acked = match self.js.send_publish(subject(channel), message).await {
                Ok(ack) => ack
                    .await
                    .map_err(|e| format!("delivery not acknowledged: {e}")),
                Err(e) if e.kind() == jetstream::context::PublishErrorKind::MaxPayloadExceeded => {
                    return Err(LogError::Nats(format!("delivery not stored: {e}")))
                }
                Err(e) => Err(format!("delivery not stored: {e}")),
            };
            match acked {
                Ok(ack) => {
                    return Ok(Ingested {
                        seq: ack.sequence,
                        // A duplicate of an earlier attempt of ours is not the sender's retry.
                        duplicate: ack.duplicate && attempt == 0,
                    });
                }
                Err(e) if started.elapsed() + wait > PUBLISH_RETRY_FOR => {
                    return Err(LogError::Nats(e))
                }
                Err(e) => {
                    tracing::debug!("channel {channel}: {e}; publishing again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_millis(800));
                    attempt += 1;
                }
            }
        }
    }

    async fn ingest_inner(&self, channel: &str, d: Delivery) -> Result<Option<Ingested>, LogError> {
        if !self.ready.lock().is_ok_and(|r| r.contains(channel)) {
            if self.record(channel).await?.is_none() {
                return Ok(None);
            }
            self.ensure_stream(channel).await?;
        }
        match self.publish(channel, &d).await {
            Ok(stored) => Ok(Some(stored)),
            Err(e) => {
                // Removed through another relay since this one made its stream ready: the
                // same answer as any unknown channel, not a failure to retry.
                if self.record(channel).await.is_ok_and(|r| r.is_none()) {
                    if let Ok(mut r) = self.ready.lock() {
                        r.remove(channel);
                    }
                    return Ok(None);
                }
                Err(e)
            }
        }
    }

    async fn read_inner(&self, channel: &str, after: Seq) -> Result<Option<Reading>, LogError> {
        if self.record(channel).await?.is_none() {
            return Ok(None);
        }
        self.ensure_stream(channel).await?;
        let stream = self
            .js
            .get_stream(stream_name(channel))
            .await
            .map_err(LogError::nats)?;
        let info = stream.get_info().await.map_err(LogError::nats)?;
        let (first, last) = (info.state.first_sequence, info.state.last_sequence);
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: subject(channel),
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: after.saturating_add(1),
                },
                ..Default::default()
            })
            .await
            .map_err(LogError::nats)?;
        let messages = consumer.messages().await.map_err(LogError::nats)?;
        let (tx, events) = mpsc::channel(READ_QUEUE);
        tokio::spawn(follow(after, first, messages, tx));
        Ok(Some(Reading {
            last_seq: last,
            events,
        }))
    }

    async fn acked_inner(&self, channel: &str, consumer: &str) -> Result<Seq, LogError> {
        let key = format!("{channel}.{consumer}");
        match self.acks.get(key).await.map_err(LogError::nats)? {
            Some(bytes) => Ok(serde_json::from_slice::<AckRecord>(&bytes)
                .map(|a| a.acked)
                .unwrap_or(0)),
            None => Ok(0),
        }
    }

    async fn ack_inner(&self, ack: Ack) -> Result<bool, LogError> {
        if self.record(&ack.channel).await?.is_none() {
            return Ok(false);
        }
        let (_, last) = self.bounds(&ack.channel).await?;
        let key = format!("{}.{}", ack.channel, ack.consumer);
        for _ in 0..ACK_ATTEMPTS {
            let entry = self.acks.entry(key.clone()).await.map_err(LogError::nats)?;
            let live = entry.as_ref().filter(|e| e.operation == kv::Operation::Put);
            let before = live
                .and_then(|e| serde_json::from_slice::<AckRecord>(&e.value).ok())
                .map_or(0, |a| a.acked);
            let value = AckRecord {
                acked: ack.upto.min(last).max(before),
                seen_at_ms: ack.at_ms,
            };
            let bytes: bytes::Bytes = serde_json::to_vec(&value)
                .map_err(|e| LogError::Other(e.to_string()))?
                .into();
            let written = match &entry {
                Some(e) => self
                    .acks
                    .update(&key, bytes, e.revision)
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        (
                            e.kind() == kv::UpdateErrorKind::WrongLastRevision,
                            e.to_string(),
                        )
                    }),
                None => self
                    .acks
                    .create(&key, bytes)
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        (
                            e.kind() == kv::CreateErrorKind::AlreadyExists,
                            e.to_string(),
                        )
                    }),
            };
            match written {
                Ok(()) => {
                    if entry.is_none() {
                        // A new consumer: keep the channel's list bounded, as the SQLite log does.
                        if let Err(e) = self.forget_oldest_consumers(&ack.channel).await {
                            tracing::warn!("channel {}: {e}", ack.channel);
                        }
                    }
                    return Ok(true);
                }
                // Another instance acknowledged meanwhile: read again.
                Err((true, _)) => continue,
                Err((false, e)) => return Err(LogError::Nats(e)),
            }
        }
        Err(LogError::Nats(format!(
            "acknowledgement of {} not recorded: it kept changing under {ACK_ATTEMPTS} attempts",
            ack.consumer
        )))
    }

    /// Forgets a channel's consumers seen longest ago beyond [`MAX_CONSUMERS`].
    async fn forget_oldest_consumers(&self, channel: &str) -> Result<(), LogError> {
        let prefix = format!("{channel}.");
        let mut keys = self.acks.keys().await.map_err(LogError::nats)?;
        let mut mine = Vec::new();
        while let Some(k) = keys.next().await {
            let k = k.map_err(LogError::nats)?;
            if k.starts_with(&prefix) {
                mine.push(k);
            }
        }
        if mine.len() <= MAX_CONSUMERS {
            return Ok(());
        }
        let mut seen = Vec::new();
        for k in mine {
            let at = match self.acks.get(&k).await.map_err(LogError::nats)? {
                Some(bytes) => {
                    serde_json::from_slice::<AckRecord>(&bytes).map_or(0, |a| a.seen_at_ms)
                }
                None => continue,
            };
            seen.push((at, k));
        }
        seen.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        for (_, k) in seen.into_iter().skip(MAX_CONSUMERS) {
            self.acks.purge(k).await.map_err(LogError::nats)?;
        }
        Ok(())
    }

    async fn list_inner(&self) -> Result<Vec<ChannelInfo>, LogError> {
        let mut consumers: Vec<(String, String, AckRecord)> = Vec::new();
        let mut keys = self.acks.keys().await.map_err(LogError::nats)?;
        while let Some(k) = keys.next().await {
            let k = k.map_err(LogError::nats)?;
            let Some((channel, consumer)) = k.split_once('.') else {
                continue;
            };
            if let Some(bytes) = self.acks.get(&k).await.map_err(LogError::nats)? {
                if let Ok(a) = serde_json::from_slice::<AckRecord>(&bytes) {
                    consumers.push((channel.to_string(), consumer.to_string(), a));
                }
            }
        }
        let mut out = Vec::new();
        for id in self.channel_ids().await? {
            let Some(rec) = self.record(&id).await? else {
                continue;
            };
            let (mut stored, mut bytes, mut first, mut last) = (0, 0, 0, 0);
            if let Ok(s) = self.js.get_stream(stream_name(&id)).await {
                if let Ok(info) = s.get_info().await {
                    (stored, bytes) = (info.state.messages, info.state.bytes);
                    (first, last) = (info.state.first_sequence, info.state.last_sequence);
                }
            }
            let mut mine: Vec<(String, Seq, i64)> = consumers
                .iter()
                .filter(|(c, _, _)| *c == id)
                .map(|(_, name, a)| (name.clone(), a.acked, a.seen_at_ms))
                .collect();
            mine.sort_by_key(|c| std::cmp::Reverse(c.2));
            out.push(ChannelInfo {
                id,
                label: rec.label,
                created_at_ms: rec.created_at_ms,
                last_seq: last,
                pruned_upto: first.saturating_sub(1).min(last),
                stored,
                stored_bytes: bytes,
                consumers: mine,
            });
        }
        out.sort_by(|a, b| (a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)));
        Ok(out)
    }

    async fn remove_inner(&self, id: &str) -> Result<bool, LogError> {
        let existed = self.record(id).await?.is_some();
        match self.js.delete_stream(stream_name(id)).await {
            Ok(_) => {}
            Err(e) if e.to_string().contains("stream not found") => {}
            Err(e) => return Err(LogError::nats(e)),
        }
        if let Ok(mut r) = self.ready.lock() {
            r.remove(id);
        }
        let mut keys = self.acks.keys().await.map_err(LogError::nats)?;
        let prefix = format!("{id}.");
        let mut mine = Vec::new();
        while let Some(k) = keys.next().await {
            let k = k.map_err(LogError::nats)?;
            if k.starts_with(&prefix) {
                mine.push(k);
            }
        }
        for k in mine {
            self.acks.purge(k).await.map_err(LogError::nats)?;
        }
        if existed {
            self.channels.purge(id).await.map_err(LogError::nats)?;
        }
        Ok(existed)
    }

    async fn rotate_inner(&self, id: &str) -> Result<Option<Token>, LogError> {
        for _ in 0..ACK_ATTEMPTS {
            let Some(entry) = self.channels.entry(id).await.map_err(LogError::nats)? else {
                return Ok(None);
            };
            if entry.operation != kv::Operation::Put {
                return Ok(None);
            }
            let mut rec: ChannelRecord = serde_json::from_slice(&entry.value).map_err(|e| {
                LogError::Other(format!("channel {id}: its record is damaged: {e}"))
            })?;
            let token = Token::generate();
            rec.token_sha256 = hex::encode(token.hash());
            let bytes = serde_json::to_vec(&rec).map_err(|e| LogError::Other(e.to_string()))?;
            match self.channels.update(id, bytes.into(), entry.revision).await {
                Ok(_) => return Ok(Some(token)),
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                Err(e) => return Err(LogError::nats(e)),
            }
        }
        Err(LogError::Nats(format!(
            "channel {id}: its record kept changing; try again"
        )))
    }
}

/// Opens a key-value bucket, creating it with `replicas` copies when missing; with
/// `reconcile`, one with another count is updated to `replicas`.
async fn bucket(
    js: &jetstream::Context,
    name: &str,
    replicas: usize,
    reconcile: bool,
) -> Result<kv::Store, LogError> {
    if let Ok(store) = js.get_key_value(name).await {
        let have = store.stream.cached_info().config.num_replicas.max(1);
        if !reconcile || have == replicas {
            return Ok(store);
        }
    }
    js.create_or_update_key_value(kv::Config {
        bucket: name.to_string(),
        history: 1,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        ..Default::default()
    })
    .await
    .map_err(|e| LogError::Nats(format!("cannot create the bucket {name}: {e}")))
}

/// Hands a channel's messages to a reader in order, telling a gap where retention deleted
/// what the reader had not seen; ends when the reader goes or the stream fails.
async fn follow(
    mut cursor: Seq,
    first: Seq,
    mut messages: consumer::pull::Ordered,
    tx: mpsc::Sender<Result<LogEvent, LogError>>,
) {
    if first > cursor.saturating_add(1) {
        let gap = Gap {
            from: cursor + 1,
            to: first - 1,
        };
        if tx.send(Ok(LogEvent::Gap(gap))).await.is_err() {
            return;
        }
        cursor = gap.to;
    }
    loop {
        let next = tokio::select! {
            next = messages.next() => next,
            _ = tx.closed() => return,
        };
        let message = match next {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                let _ = tx.send(Err(LogError::nats(e))).await;
                return;
            }
            None => return,
        };
        let seq = match message.info() {
            Ok(info) => info.stream_sequence,
            Err(e) => {
                let _ = tx.send(Err(LogError::nats(e))).await;
                return;
            }
        };
        if seq <= cursor {
            continue;
        }
        if seq > cursor + 1 {
            let gap = Gap {
                from: cursor + 1,
                to: seq - 1,
            };
            if tx.send(Ok(LogEvent::Gap(gap))).await.is_err() {
                return;
            }
        }
        let event = record::decode(&message.payload, seq)
            .map(|d| LogEvent::Delivery(Box::new(d)))
            .map_err(|why| LogError::Other(format!("delivery {seq}: {why}")));
        let failed = event.is_err();
        if tx.send(event).await.is_err() || failed {
            return;
        }
        cursor = seq;
    }
}

impl DeliveryLog for JetStreamLog {
    fn ingest<'a>(
        &'a self,
        channel: &'a str,
        delivery: Delivery,
    ) -> LogFuture<'a, Result<Option<Ingested>, LogError>> {
        Box::pin(self.ingest_inner(channel, delivery))
    }

    fn access<'a>(
        &'a self,
        channel: &'a str,
    ) -> LogFuture<'a, Result<Option<ChannelAccess>, LogError>> {
        Box::pin(async move {
            let Some(rec) = self.record(channel).await? else {
                return Ok(None);
            };
            let token_sha256 = hex::decode(&rec.token_sha256).map_err(|_| {
                LogError::Other(format!("channel {channel}: its token hash is damaged"))
            })?;
            Ok(Some(ChannelAccess {
                edge: rec.edge(channel),
                token_sha256,
            }))
        })
    }

    fn read<'a>(
        &'a self,
        channel: &'a str,
        after: Seq,
    ) -> LogFuture<'a, Result<Option<Reading>, LogError>> {
        Box::pin(self.read_inner(channel, after))
    }

    fn acked<'a>(
        &'a self,
        channel: &'a str,
        consumer: &'a str,
    ) -> LogFuture<'a, Result<Seq, LogError>> {
        Box::pin(self.acked_inner(channel, consumer))
    }

    fn ack(&self, ack: Ack) -> LogFuture<'_, Result<bool, LogError>> {
        Box::pin(self.ack_inner(ack))
    }

    fn prune(&self, _cutoff_ms: i64) -> LogFuture<'_, Result<u64, LogError>> {
        // The streams' max_age deletes on the servers.
        Box::pin(async { Ok(0) })
    }

    fn health(&self) -> LogFuture<'_, Result<(), LogError>> {
        Box::pin(async move {
            if self.client.connection_state() != async_nats::connection::State::Connected {
                return Err(LogError::Nats("not connected to a NATS server".into()));
            }
            tokio::time::timeout(CONNECT_TIMEOUT, self.js.query_account())
                .await
                .map_err(|_| LogError::Nats("JetStream did not answer in time".into()))?
                .map_err(LogError::nats)?;
            Ok(())
        })
    }

    fn add_channel(
        &self,
        spec: ChannelSpec,
        now_ms: i64,
    ) -> LogFuture<'_, Result<NewChannel, LogError>> {
        Box::pin(async move {
            let id = new_channel_id();
            let token = Token::generate();
            let rec = ChannelRecord {
                label: spec.label,
                token_sha256: hex::encode(token.hash()),
                created_at_ms: now_ms,
                secrets: spec.secrets,
                reject_invalid: spec.reject_invalid,
            };
            let bytes = serde_json::to_vec(&rec).map_err(|e| LogError::Other(e.to_string()))?;
            self.channels
                .create(&id, bytes.into())
                .await
                .map_err(LogError::nats)?;
            Ok(NewChannel { id, token })
        })
    }

    fn list_channels(&self) -> LogFuture<'_, Result<Vec<ChannelInfo>, LogError>> {
        Box::pin(self.list_inner())
    }

    fn remove_channel<'a>(&'a self, id: &'a str) -> LogFuture<'a, Result<bool, LogError>> {
        Box::pin(self.remove_inner(id))
    }

    fn rotate_token<'a>(&'a self, id: &'a str) -> LogFuture<'a, Result<Option<Token>, LogError>> {
        Box::pin(self.rotate_inner(id))
    }
}
