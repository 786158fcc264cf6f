//! The relay's delivery log as the server sees it: one trait, [`DeliveryLog`], with two
//! implementations, the embedded SQLite file (`super::sqlite_log`, the default) and NATS
//! JetStream (`super::jetstream`), so several relay processes can share one log.
//!
//! Contract every implementation keeps:
//! - `ingest` resolves with the delivery's sequence only once the delivery is durable (an
//!   fsynced commit, or a `PubAck` from a server that fsyncs or from a quorum); sequences are
//!   per channel, start at 1, have no gaps between stored deliveries and are never reused;
//! - `read` yields a channel's deliveries after a sequence, in order, and a `gap` before the
//!   first one after anything retention deleted; it follows new deliveries until the reader
//!   drops it, the channel goes, or the log fails (the subscriber then reconnects);
//! - acknowledgements are cumulative per consumer, never move backwards, never pass the
//!   channel's newest sequence;
//! - a token is kept only as its SHA-256.
//!
//! The HTTP layer, limits and edge verification stay in `super::server`; nothing here answers
//! a request. Where the log is (`--store`'s value) is parsed by `super::spec`.

use std::future::Future;
use std::pin::Pin;
use tokio::sync::mpsc;

use super::channel::Token;
use super::protocol::{Delivery, Gap, Seq};
use crate::sqlite::StoreError;

/// What a log's async methods return: boxed, so the server holds an `Arc<dyn DeliveryLog>`.
pub type LogFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Events of a channel read by [`DeliveryLog::read`], in order.
#[derive(Debug)]
pub enum LogEvent {
    /// The next delivery.
    Delivery(Box<Delivery>),
    /// Retention deleted these before the reader saw them.
    Gap(Gap),
}

/// A channel being read: its newest sequence when reading began, and the events.
pub struct Reading {
    /// The channel's newest sequence when the read began (the hello's `last_seq`).
    pub last_seq: Seq,
    /// Ends when the channel is removed or the log fails (an `Err` first, when it failed).
    pub events: mpsc::Receiver<Result<LogEvent, LogError>>,
}

/// What the server needs to let a request in: the token hash and the channel's edge check.
#[derive(Debug, Clone)]
pub struct ChannelAccess {
    /// SHA-256 of the read token.
    pub token_sha256: Vec<u8>,
    /// How deliveries are checked on arrival.
    pub edge: super::store::EdgeCheck,
}

/// A stored delivery: its sequence, and whether it was already stored (a sender's retry the
/// log recognised; the first copy's sequence is returned and nothing new is stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// The delivery's sequence in its channel.
    pub seq: Seq,
    /// True when the same request was already stored within the log's duplicate window.
    pub duplicate: bool,
}

/// A new channel: its id and its read token (shown once; only the hash is kept).
pub struct NewChannel {
    /// The channel id (the ingest URL's `/c/{id}`).
    pub id: String,
    /// The read token.
    pub token: Token,
}

/// A channel's settings as `channel add` gives them.
#[derive(Debug, Clone, Default)]
pub struct ChannelSpec {
    /// A name to recognise it by.
    pub label: Option<String>,
    /// Signing secrets to verify on arrival (already checked), kept as given.
    pub secrets: Vec<String>,
    /// Refuse deliveries that do not verify.
    pub reject_invalid: bool,
}

/// Why the log could not do something.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The SQLite file failed (it names the file and the fault).
    #[error(transparent)]
    Sqlite(#[from] StoreError),
    /// The JetStream servers failed or refused; the text says what, never a credential.
    #[error("NATS JetStream: {0}")]
    Nats(String),
    /// The JetStream servers cannot keep the durability promise; `fix` names the server
    /// setting to change.
    #[error("{server} cannot keep an answered delivery through a power loss: {problem}; {fix}")]
    NotDurable {
        /// Which server or stream, in words ("the NATS server at URL", "the stream NAME").
        server: String,
        /// What was found.
        problem: String,
        /// The setting to change.
        fix: String,
    },
    /// The NATS credentials file could not be read (named; its content never shown).
    #[error("cannot read the NATS credentials file '{path}': {why}")]
    Credentials {
        /// The file.
        path: std::path::PathBuf,
        /// Why, in words.
        why: String,
    },
    /// Another failure, in words.
    #[error("{0}")]
    Other(String),
}

impl LogError {
    pub(crate) fn nats(e: impl std::fmt::Display) -> LogError {
        LogError::Nats(e.to_string())
    }
}

/// The relay's storage seam. Every method is cancel-safe in the sense the server needs: a
/// dropped `ingest` may or may not have stored the delivery, and the sender, never answered,
/// retries.
pub trait DeliveryLog: Send + Sync {
    /// Stores a delivery (its `seq` is ignored) for `channel`; `Ok(None)` when there is no
    /// such channel. Resolves only once the delivery is durable.
    fn ingest<'a>(
        &'a self,
        channel: &'a str,
        delivery: Delivery,
    ) -> LogFuture<'a, Result<Option<Ingested>, LogError>>;

    /// The channel's token hash and edge check; `None` when there is no such channel.
    fn access<'a>(
        &'a self,
        channel: &'a str,
    ) -> LogFuture<'a, Result<Option<ChannelAccess>, LogError>>;

    /// Reads the channel after `after`; `None` when there is no such channel.
    fn read<'a>(
        &'a self,
        channel: &'a str,
        after: Seq,
    ) -> LogFuture<'a, Result<Option<Reading>, LogError>>;

    /// The acknowledged position of `consumer` (0 when unknown).
    fn acked<'a>(
        &'a self,
        channel: &'a str,
        consumer: &'a str,
    ) -> LogFuture<'a, Result<Seq, LogError>>;

    /// Records a cumulative acknowledgement; false when the channel does not exist.
    fn ack(&self, ack: super::store::Ack) -> LogFuture<'_, Result<bool, LogError>>;

    /// Deletes what arrived before `cutoff_ms`, where the log does not do it by itself;
    /// returns how many deliveries went.
    fn prune(&self, cutoff_ms: i64) -> LogFuture<'_, Result<u64, LogError>>;

    /// Whether the log can take deliveries now (the load balancer's health check).
    fn health(&self) -> LogFuture<'_, Result<(), LogError>>;

    /// Creates a channel.
    fn add_channel(
        &self,
        spec: ChannelSpec,
        now_ms: i64,
    ) -> LogFuture<'_, Result<NewChannel, LogError>>;

    /// Every channel with what it holds and its consumers.
    fn list_channels(&self) -> LogFuture<'_, Result<Vec<super::store::ChannelInfo>, LogError>>;

    /// Deletes a channel and every delivery it holds; false when there was none.
    fn remove_channel<'a>(&'a self, id: &'a str) -> LogFuture<'a, Result<bool, LogError>>;

    /// Replaces a channel's token; `None` when there is no such channel.
    fn rotate_token<'a>(&'a self, id: &'a str) -> LogFuture<'a, Result<Option<Token>, LogError>>;
}
