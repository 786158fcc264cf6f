//! The laptop side of the relay: connect to a channel's stream, hand each delivery to the
//! local intake, acknowledge what the intake committed, reconnect on its own.
//!
//! Contract:
//! - it starts after the sequence the caller says was last committed locally, and only moves
//!   that position once the intake has answered `Ok` for a delivery (in order), so a crash at
//!   any instant loses nothing; a delivery may arrive twice across a reconnect, and the intake
//!   deduplicates by relay + channel + sequence;
//! - acknowledgements to the relay are cumulative and sent after the local commit; they are
//!   advisory (the local position is the truth);
//! - a stream silent for three heartbeats is treated as dead and replaced; reconnects back off
//!   exponentially (with jitter) and reset after a stream that worked;
//! - `401` and `404` end the client with an error naming what to fix; the token is never
//!   printed, logged or put in a URL;
//! - a certificate the relay presents that is not trusted ends the client too, in words (why,
//!   and what to do): no retry can fix it, a person must (trust a certificate here, or give the
//!   relay a new one). Other TLS failures are retried like any broken connection.
//!
//! It reports what it is doing as [`ClientEvent::State`] so the TUI and the headless log can
//! say it; it knows nothing about either.

use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

use super::channel::is_channel_id;
use super::protocol::{max_event_size, Delivery, Frame, Gap, Seq, SseDecoder};
pub use crate::conn::ConnState;
use crate::hint::Hint;

/// Time to get the stream's response head.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries handed to the intake and not yet committed, per connection.
const IN_FLIGHT: usize = 64;
/// Longest wait between acknowledgements while deliveries keep coming.
const ACK_EVERY: Duration = Duration::from_millis(250);
/// Silent heartbeats after which a stream is not trusted.
const DEAD_AFTER_HEARTBEATS: u32 = 3;

/// Where the channel is: `https://relay.example.com[/prefix]/c/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayUrl {
    /// Scheme, authority and any path prefix before `/c/`, without a trailing `/`.
    pub(crate) base: String,
    pub(crate) channel: String,
}

impl RelayUrl {
    /// Parses the channel URL printed by `relay channel add`.
    pub fn parse(text: &str) -> Result<RelayUrl, String> {
        let hint = "use the channel URL printed by 'hookscope relay channel add', like https://relay.example.com/c/ID";
        let uri: Uri = text
            .trim()
            .parse()
            .map_err(|e| format!("'{text}' is not a URL ({e}); {hint}"))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => {
                return Err(format!(
                    "'{text}' must start with https:// or http://; {hint}"
                ))
            }
        }
        if uri.query().is_some() {
            return Err(format!("'{text}' must not have a query; {hint}"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("'{text}' has no host; {hint}"))?;
        let path = uri.path().trim_end_matches('/');
        let (prefix, id) = path
            .rsplit_once("/c/")
            .ok_or_else(|| format!("'{text}' has no '/c/ID' path; {hint}"))?;
        if !is_channel_id(id) {
            return Err(format!(
                "'{text}': '{id}' is not a channel id (22 characters); {hint}"
            ));
        }
        Ok(RelayUrl {
            base: format!(
                "{}://{}{}",
                uri.scheme_str().unwrap_or("https"),
                authority,
                prefix
            ),
            channel: id.to_string(),
        })
    }

    /// The public URL senders post to.
    pub(crate) fn ingest(&self) -> String {
        format!("{}/c/{}", self.base, self.channel)
    }

    fn events(&self, after: Seq, consumer: &str) -> String {
        format!(
            "{}/r/{}/events?after={after}&consumer={consumer}",
            self.base, self.channel
        )
    }

    fn ack(&self) -> String {
        format!("{}/r/{}/ack", self.base, self.channel)
    }
}

/// The channel's read token. Its `Debug` shows only its length.
#[derive(Clone)]
pub struct ReadToken(String);

impl ReadToken {
    /// A token as given; an error says why it is not one (empty, or not printable ASCII).
    pub fn new(text: &str) -> Result<ReadToken, String> {
        let t = text.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the relay token must be the printable text 'relay channel add' showed".into(),
            );
        }
        Ok(ReadToken(t.to_string()))
    }

    fn header(&self) -> Option<HeaderValue> {
        let mut v = HeaderValue::from_str(&format!("Bearer {}", self.0)).ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}

impl std::fmt::Debug for ReadToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReadToken(<{} chars>)", self.0.len())
    }
}

/// This laptop's name at the relay: the host name and a digest of the database path, so two
/// databases (or two laptops) keep separate acknowledged positions. Letters, digits, '-'.
pub(crate) fn consumer_name(db: &std::path::Path, host: &str) -> String {
    use sha2::{Digest, Sha256};
    let path = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    let digest = Sha256::digest(path.to_string_lossy().as_bytes());
    let host: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect();
    let host = if host.is_empty() {
        "laptop".into()
    } else {
        host
    };
    format!("{host}-{}", hex::encode(&digest[..4]))
}

/// How long a stream may stay silent, given the relay's heartbeat interval; a hostile value
/// is clamped to between 100 ms and an hour. Pure.
pub(crate) fn dead_after(heartbeat_ms: u64) -> Duration {
    Duration::from_millis(heartbeat_ms.clamp(100, 3_600_000)) * DEAD_AFTER_HEARTBEATS
}

/// How long to wait before reconnect number `attempt` (0-based): doubling from `initial`,
/// capped at `max`. Pure; the caller adds jitter.
pub(crate) fn backoff_delay(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
    initial.saturating_mul(factor).min(max)
}

#[derive(Debug, Clone)]
/// How to reach and follow one relay channel.
pub struct ClientConfig {
    /// The channel's stream URL.
    pub url: RelayUrl,
    /// The channel's read token.
    pub token: ReadToken,
    /// This subscriber's name at the relay (its acknowledged position is kept under it).
    pub consumer: String,
    /// The TLS client configuration (trusted roots) for an https relay.
    pub tls: Arc<rustls::ClientConfig>,
    /// How connections to the relay leave this machine (direct or through a proxy).
    pub egress: crate::egress::Egress,
    /// First wait before reconnecting; it doubles after each failure.
    pub backoff_initial: Duration,
    /// Longest wait between reconnects.
    pub backoff_max: Duration,
    /// Largest body the relay may send (its `--max-body`); bounds memory per event.
    pub max_body: usize,
}

/// What the client hands to its owner.
#[derive(Debug)]
pub enum ClientEvent {
    /// What the connection is doing, for the user.
    State(ConnState),
    /// Deliveries in this range were deleted by retention before this laptop read them.
    Gap(Gap),
    /// Commit it, then answer `Ok` (also for a duplicate already stored); `Err` makes the client
    /// reconnect and ask again from the last committed sequence.
    Delivery(Box<Delivery>, oneshot::Sender<Result<(), String>>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why the client stopped for good (a retry would not help).
pub enum ClientError {
    #[error("cannot trust the relay at '{url}': {}; {}", .untrusted.describe("the relay"), .untrusted.fix("the relay"))]
    /// The relay's certificate is not trusted.
    Untrusted {
        /// The relay URL.
        url: String,
        /// What is wrong with the certificate.
        untrusted: crate::tls::Untrusted,
    },
    #[error("the relay at '{url}' rejected the token (401)")]
    /// The relay refused the read token (401).
    TokenRejected {
        /// The relay URL.
        url: String,
    },
    #[error("the relay at '{url}' has no such channel (404)")]
    /// The relay has no such channel (404).
    UnknownChannel {
        /// The relay URL.
        url: String,
    },
}

impl ClientError {
    /// What to do about it, for the surface to word.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            ClientError::Untrusted { untrusted, .. } if untrusted.needs_trust() => {
                Some(Hint::TrustCert)
            }
            ClientError::Untrusted { .. } => None,
            ClientError::TokenRejected { .. } => Some(Hint::RelayToken),
            ClientError::UnknownChannel { .. } => Some(Hint::RelayChannel),
        }
    }
}

type HttpClient = crate::egress::Client;

/// Why one connection ended.
enum SessionEnd {
    /// The owner dropped the event receiver: stop quietly.
    Stopped,
    Fatal(ClientError),
    /// Reconnect; `worked` says whether the stream delivered its hello (resets the backoff).
    Retry {
        reason: String,
        worked: bool,
    },
}

/// Runs until the owner drops `events` (Ok) or the relay refuses us (Err).
pub async fn run(
    cfg: ClientConfig,
    committed: Seq,
    events: mpsc::Sender<ClientEvent>,
) -> Result<(), ClientError> {
    let client = http_client(&cfg);
    let committed = Arc::new(AtomicU64::new(committed));
    let mut attempt = 0u32;
    loop {
        if events
            .send(ClientEvent::State(ConnState::Connecting))
            .await
            .is_err()
        {
            return Ok(());
        }
        match session(&client, &cfg, &committed, &events).await {
            SessionEnd::Stopped => return Ok(()),
            SessionEnd::Fatal(e) => {
                let _ = events
                    .send(ClientEvent::State(ConnState::Refused {
                        reason: e.to_string(),
                        hint: e.hint(),
                    }))
                    .await;
                return Err(e);
            }
            SessionEnd::Retry { reason, worked } => {
                if worked {
                    attempt = 0;
                }
                let base = backoff_delay(attempt, cfg.backoff_initial, cfg.backoff_max);
                let delay = base.mul_f64(rand::random_range(0.8..=1.0));
                attempt = attempt.saturating_add(1);
                tracing::info!("relay: {reason}; reconnecting in {delay:?}");
                if events
                    .send(ClientEvent::State(ConnState::Reconnecting {
                        delay,
                        reason,
                    }))
                    .await
                    .is_err()
                {
                    return Ok(());
                }
                tokio::time::sleep(delay).await;
            }
        }
    }
}

fn http_client(cfg: &ClientConfig) -> HttpClient {
    cfg.egress.client_h2(
        &cfg.tls,
        CONNECT_TIMEOUT,
        &Client::builder(TokioExecutor::new()),
    )
}

async fn session(
    client: &HttpClient,
    cfg: &ClientConfig,
    committed: &Arc<AtomicU64>,
    events: &mpsc::Sender<ClientEvent>,
) -> SessionEnd {
    let after = committed.load(Ordering::SeqCst);
    let retry = |reason: String| SessionEnd::Retry {
        reason,
        worked: false,
    };
    let Some(auth) = cfg.token.header() else {
        return SessionEnd::Fatal(ClientError::TokenRejected {
            url: cfg.url.ingest(),
        });
    };
    let req = Request::get(cfg.url.events(after, &cfg.consumer))
        .header(http::header::ACCEPT, "text/event-stream")
        .header(http::header::AUTHORIZATION, auth)
        .body(Full::new(Bytes::new()));
    let req = match req {
        Ok(r) => r,
        Err(e) => return retry(format!("cannot build the request: {e}")),
    };
    let resp = match tokio::time::timeout(CONNECT_TIMEOUT, client.request(req)).await {
        Ok(Ok(r)) => r,
        Ok(Err(crate::egress::RequestError::Egress(e))) => return retry(e.to_string()),
        Ok(Err(crate::egress::RequestError::Client(e))) => {
            if let Some(untrusted) = crate::tls::untrusted_in(&e) {
                return SessionEnd::Fatal(ClientError::Untrusted {
                    url: cfg.url.base.clone(),
                    untrusted: untrusted.clone(),
                });
            }
            return retry(format!(
                "cannot reach the relay: {}",
                crate::egress::error_chain(&e)
            ));
        }
        Err(_) => {
            return retry(format!(
                "no answer from the relay within {CONNECT_TIMEOUT:?}"
            ))
        }
    };
    match resp.status() {
        StatusCode::OK => {}
        StatusCode::UNAUTHORIZED => {
            return SessionEnd::Fatal(ClientError::TokenRejected {
                url: cfg.url.ingest(),
            })
        }
        StatusCode::NOT_FOUND => {
            return SessionEnd::Fatal(ClientError::UnknownChannel {
                url: cfg.url.ingest(),
            })
        }
        other => return retry(format!("the relay answered {other}")),
    }
    let (commit_tx, commit_rx) = mpsc::channel(IN_FLIGHT);
    let catch_up = Arc::new(AtomicU64::new(u64::MAX));
    let reader = read_stream(resp.into_body(), cfg, after, events, commit_tx, &catch_up);
    let committer = commit_in_order(client, cfg, committed, events, commit_rx, &catch_up);
    tokio::pin!(reader, committer);
    tokio::select! {
        end = &mut reader => {
            // Let what was handed over finish committing, so the next connection starts after it.
            match committer.await {
                Ok(()) => end,
                Err(e) => e,
            }
        }
        failed = &mut committer => match failed {
            Ok(()) => SessionEnd::Stopped,
            Err(e) => e,
        },
    }
}

/// Reads events and hands deliveries over, in order, at most [`IN_FLIGHT`] uncommitted.
async fn read_stream(
    mut body: hyper::body::Incoming,
    cfg: &ClientConfig,
    after: Seq,
    events: &mpsc::Sender<ClientEvent>,
    commits: mpsc::Sender<(Seq, oneshot::Receiver<Result<(), String>>)>,
    catch_up: &AtomicU64,
) -> SessionEnd {
    let mut decoder = SseDecoder::new(max_event_size(cfg.max_body, 1024 * 1024));
    let mut silent_limit = CONNECT_TIMEOUT;
    let mut worked = false;
    let mut last = after;
    loop {
        let frame = match tokio::time::timeout(silent_limit, body.frame()).await {
            Err(_) => {
                return SessionEnd::Retry {
                    reason: format!("the relay stream was silent for {silent_limit:?}"),
                    worked,
                }
            }
            Ok(None) => {
                return SessionEnd::Retry {
                    reason: "the relay closed the stream".into(),
                    worked,
                }
            }
            Ok(Some(Err(e))) => {
                return SessionEnd::Retry {
                    reason: format!("the relay stream broke: {e}"),
                    worked,
                }
            }
            Ok(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        decoder.push(&data);
        loop {
            let ev = match decoder.next_event() {
                Ok(Some(ev)) => ev,
                Ok(None) => break,
                Err(e) => {
                    return SessionEnd::Retry {
                        reason: e.to_string(),
                        worked,
                    }
                }
            };
            let frame = match Frame::decode(&ev) {
                Ok(f) => f,
                Err(e) => {
                    return SessionEnd::Retry {
                        reason: e.to_string(),
                        worked,
                    }
                }
            };
            match frame {
                Frame::Heartbeat => {}
                Frame::Hello(h) => {
                    worked = true;
                    silent_limit = dead_after(h.heartbeat_ms);
                    let backlog = h.last_seq.saturating_sub(h.after);
                    // Nothing waiting: "connected" says it all; no "caught up" later.
                    let target = if backlog == 0 { u64::MAX } else { h.last_seq };
                    catch_up.store(target, Ordering::SeqCst);
                    if events
                        .send(ClientEvent::State(ConnState::Connected { backlog }))
                        .await
                        .is_err()
                    {
                        return SessionEnd::Stopped;
                    }
                }
                Frame::Gap(g) => {
                    if events.send(ClientEvent::Gap(g)).await.is_err() {
                        return SessionEnd::Stopped;
                    }
                    // Nothing to commit for a gap: the position moves past it in order.
                    let (tx, rx) = oneshot::channel();
                    let _ = tx.send(Ok(()));
                    if commits.send((g.to, rx)).await.is_err() {
                        return SessionEnd::Stopped;
                    }
                    last = last.max(g.to);
                }
                Frame::Delivery(d) => {
                    // Anything at or before our position was already handed over.
                    if d.seq <= last {
                        continue;
                    }
                    last = d.seq;
                    let (tx, rx) = oneshot::channel();
                    if events.send(ClientEvent::Delivery(d, tx)).await.is_err()
                        || commits.send((last, rx)).await.is_err()
                    {
                        return SessionEnd::Stopped;
                    }
                }
            }
        }
    }
}

/// Waits for each handed-over delivery's commit in order, moves the position, acknowledges.
/// Ends `Ok` when the reader is done and everything handed over is settled.
async fn commit_in_order(
    client: &HttpClient,
    cfg: &ClientConfig,
    committed: &AtomicU64,
    events: &mpsc::Sender<ClientEvent>,
    mut commits: mpsc::Receiver<(Seq, oneshot::Receiver<Result<(), String>>)>,
    catch_up: &AtomicU64,
) -> Result<(), SessionEnd> {
    let mut last_ack = Instant::now();
    let mut acked = committed.load(Ordering::SeqCst);
    let mut caught_up = false;
    while let Some((seq, reply)) = commits.recv().await {
        match reply.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(SessionEnd::Retry {
                    reason: format!("delivery {seq} was not stored locally: {e}"),
                    worked: true,
                })
            }
            Err(_) => return Err(SessionEnd::Stopped),
        }
        committed.fetch_max(seq, Ordering::SeqCst);
        let idle = commits.is_empty();
        if seq > acked && (idle || last_ack.elapsed() >= ACK_EVERY) {
            send_ack(client, cfg, seq);
            acked = seq;
            last_ack = Instant::now();
        }
        if !caught_up && seq >= catch_up.load(Ordering::SeqCst) {
            caught_up = true;
            let _ = events.send(ClientEvent::State(ConnState::CaughtUp)).await;
        }
    }
    let now = committed.load(Ordering::SeqCst);
    if now > acked {
        send_ack(client, cfg, now);
    }
    Ok(())
}

/// Fire and forget: an ack that is lost only means the relay's record lags.
fn send_ack(client: &HttpClient, cfg: &ClientConfig, upto: Seq) {
    let body = serde_json::json!({"consumer": cfg.consumer, "upto": upto}).to_string();
    let Some(auth) = cfg.token.header() else {
        return;
    };
    let req = Request::post(cfg.url.ack())
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::AUTHORIZATION, auth)
        .body(Full::new(Bytes::from(body)));
    let Ok(req) = req else { return };
    let client = client.clone();
    tokio::spawn(async move {
        match tokio::time::timeout(CONNECT_TIMEOUT, client.request(req)).await {
            Ok(Ok(r)) if r.status().is_success() => {}
            Ok(Ok(r)) => tracing::debug!("relay ack answered {}", r.status()),
            Ok(Err(e)) => tracing::debug!("relay ack failed: {e}"),
            Err(_) => tracing::debug!("relay ack timed out"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn relay_urls() {
        let u = RelayUrl::parse(&format!("https://relay.example.com/c/{ID}")).unwrap();
        assert_eq!(u.base, "https://relay.example.com");
        assert_eq!(u.channel, ID);
        assert_eq!(u.ingest(), format!("https://relay.example.com/c/{ID}"));
        assert_eq!(
            u.events(5, "lap"),
            format!("https://relay.example.com/r/{ID}/events?after=5&consumer=lap")
        );
        let p = RelayUrl::parse(&format!("http://127.0.0.1:8080/hooks/c/{ID}/")).unwrap();
        assert_eq!(p.base, "http://127.0.0.1:8080/hooks");
        for bad in [
            "relay.example.com".to_string(),
            format!("ftp://x/c/{ID}"),
            "https://x/c/short".to_string(),
            "https://x/".to_string(),
            format!("https://x/c/{ID}?a=1"),
        ] {
            let e = RelayUrl::parse(&bad).unwrap_err();
            assert!(e.contains("relay channel add"), "{e}");
        }
    }

    #[test]
    fn dead_stream_timeout_is_bounded() {
        assert_eq!(dead_after(200), Duration::from_millis(600));
        assert_eq!(dead_after(0), Duration::from_millis(300));
        assert_eq!(dead_after(u64::MAX), Duration::from_secs(3 * 3600));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let (i, m) = (Duration::from_millis(100), Duration::from_secs(5));
        assert_eq!(backoff_delay(0, i, m), Duration::from_millis(100));
        assert_eq!(backoff_delay(3, i, m), Duration::from_millis(800));
        assert_eq!(backoff_delay(10, i, m), m);
        assert_eq!(backoff_delay(u32::MAX, i, m), m);
    }

    #[test]
    fn consumer_names_are_safe_and_differ_per_database() {
        let a = consumer_name(std::path::Path::new("/tmp/a.db"), "my laptop.local");
        let b = consumer_name(std::path::Path::new("/tmp/b.db"), "my laptop.local");
        assert_ne!(a, b);
        assert!(a.starts_with("mylaptoplocal-"), "{a}");
        assert!(a.len() <= 64 && a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
        assert!(consumer_name(std::path::Path::new("x"), "").starts_with("laptop-"));
    }

    #[test]
    fn token_never_prints() {
        let t = ReadToken::new(" hsr_secretvalue ").unwrap();
        assert!(!format!("{t:?}").contains("secretvalue"));
        assert!(t.header().unwrap().is_sensitive());
        assert!(ReadToken::new("a b").is_err());
        assert!(ReadToken::new("").is_err());
    }
}
