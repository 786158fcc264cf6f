//! The relay's HTTP server (HTTP/1.1 and HTTP/2, optionally TLS). Its routes:
//! - `ANY /c/{channel}[/path][?query]`: ingest. Answers `200 {"id":seq}` only after the
//!   delivery is durable in the log (`super::log::DeliveryLog`: an fsynced commit, or a
//!   `PubAck`), with `"duplicate":true` when the log recognised a retry of a request it already
//!   holds; 413 over `--max-body` and 408 for a body that stalls (what arrived is stored and
//!   relayed, flagged); 404 for an unknown channel; 429 over a rate limit; 503 with
//!   `Retry-After` when the log fails, so the sender retries.
//! - `GET /healthz`: `200` while the log can take deliveries (with the certificate's expiry
//!   when the relay serves TLS), `503` otherwise (a load balancer's check).
//! - `GET /r/{channel}/events?after=N&consumer=C` (`Authorization: Bearer T`): the SSE stream
//!   of [`super::protocol`]. Without `after` (or `Last-Event-ID`) it starts after the consumer's
//!   last acknowledgement.
//! - `POST /r/{channel}/ack` `{"consumer":C,"upto":N}`: a cumulative acknowledgement.
//! - `/admin/channels[/{id}[/token]]` (`Authorization: Bearer ADMIN`): the remote channel API
//!   of [`super::admin`], through the same log; a 404 unless an admin token is configured.
//!
//! It is built for the hostile internet: every request counts against a per-IP limit, every
//! ingest against a per-channel limit; heads, bodies and reads are bounded in size and time;
//! connections are capped; nothing a client sends can panic it; tokens are compared by hash in
//! constant time and never logged. It does not parse or re-encode what it stores: header names,
//! order and body bytes are kept exactly (the listener's head recorder).

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame as BodyFrame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use serde_json::json;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};

use super::admin::Admin;
use super::certs::{CertSlot, ACME_TLS_ALPN};
use super::channel::{bearer, is_channel_id, token_matches};
use super::limit::{retry_after_secs, Rate, RateLimiter};
use super::log::{DeliveryLog, LogEvent, Reading};
use super::protocol::{self, Delivery, Hello, Seq};
use super::proxy_addr::TrustedProxies;
use super::store::Ack;
use crate::capture::{now_ms, RawRequest};
use crate::headers::HeaderPair;
use crate::listener::{accept, read_request_body, received_headers, HeadRecorder, RecordingIo};

/// Default `relay --port`.
pub const DEFAULT_RELAY_PORT: u16 = 8080;
/// How often an idle stream sends a heartbeat comment.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);
/// Default `--retention`: a laptop away for a week still gets everything.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Largest request head (request line and headers) accepted; hyper answers 431 beyond it.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Largest ack body.
const MAX_ACK_BODY: usize = 4 * 1024;
/// Events queued per stream before the reader waits for the subscriber.
const STREAM_QUEUE: usize = 16;
/// Distinct IPs / channels tracked by the rate limiters.
const MAX_TRACKED_KEYS: usize = 100_000;
/// What a sender is told to wait when the store fails.
const STORE_RETRY_AFTER_S: u64 = 5;
/// Longest consumer name.
const MAX_CONSUMER_LEN: usize = 64;
/// Requests in flight on one HTTP/2 connection; each still counts against the per-IP limit.
const H2_MAX_STREAMS: u32 = 128;
/// How often an idle HTTP/2 connection is pinged, and how long the answer may take.
const H2_KEEPALIVE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub max_body: usize,
    pub read_timeout: Duration,
    pub heartbeat: Duration,
    pub retention: Duration,
    pub ip_rate: Rate,
    pub channel_rate: Rate,
    pub max_connections: usize,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The certificate `tls` serves (file or ACME), reported by `/healthz`.
    pub certs: Option<Arc<CertSlot>>,
    /// The remote channel API (`/admin/...`), when an admin token was set up.
    pub admin: Option<Arc<Admin>>,
    /// Proxies whose `Forwarded`/`X-Forwarded-For` name the client (`--trust-proxy`).
    pub trusted_proxies: Option<TrustedProxies>,
    /// Trusted proxies open each connection with a PROXY protocol header.
    pub proxy_protocol: bool,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            max_body: crate::listener::DEFAULT_MAX_BODY,
            read_timeout: crate::listener::DEFAULT_READ_TIMEOUT,
            heartbeat: DEFAULT_HEARTBEAT,
            retention: DEFAULT_RETENTION,
            ip_rate: Rate::per_second(50),
            channel_rate: Rate::per_second(100),
            max_connections: 4096,
            tls: None,
            certs: None,
            admin: None,
            trusted_proxies: None,
            proxy_protocol: false,
        }
    }
}

struct Shared {
    cfg: RelayConfig,
    log: Arc<dyn DeliveryLog>,
    ip_limit: Mutex<RateLimiter<IpAddr>>,
    channel_limit: Mutex<RateLimiter<String>>,
}

/// Everything `serve` needs besides the socket.
pub struct RelayParts {
    pub cfg: RelayConfig,
    /// Where deliveries, channels and acknowledgements are kept.
    pub log: Arc<dyn DeliveryLog>,
}

/// Serves until `shutdown` resolves. Open streams end with it.
pub async fn serve(listener: TcpListener, parts: RelayParts, shutdown: impl Future<Output = ()>) {
    let RelayParts { cfg, log } = parts;
    let shared = Arc::new(Shared {
        ip_limit: Mutex::new(RateLimiter::new(cfg.ip_rate, MAX_TRACKED_KEYS)),
        channel_limit: Mutex::new(RateLimiter::new(cfg.channel_rate, MAX_TRACKED_KEYS)),
        log,
        cfg,
    });
    let retention = tokio::spawn(prune_forever(shared.clone()));
    let permits = Arc::new(Semaphore::new(shared.cfg.max_connections.max(1)));
    let tls = shared.cfg.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    let (stop_tx, stop_rx) = watch::channel(false);
    loop {
        tokio::select! {
            (stream, peer) = accept(&listener) => {
                // Over the connection cap: close at once rather than queue.
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (shared, tls, mut stop) = (shared.clone(), tls.clone(), stop_rx.clone());
                tokio::spawn(async move {
                    let _permit = permit;
                    let conn = async {
                        let Some((stream, peer)) = proxied(&shared.cfg, stream, peer).await else {
                            return;
                        };
                        match tls {
                            None => serve_connection(shared, stream, peer).await,
                            Some(acceptor) => {
                                let timeout = shared.cfg.read_timeout;
                                match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                                    // A TLS-ALPN-01 validation is over once it has seen the
                                    // challenge certificate (RFC 8737): no HTTP on it.
                                    Ok(Ok(tls_stream)) if tls_stream.get_ref().1.alpn_protocol() == Some(ACME_TLS_ALPN) => {
                                        tracing::debug!("answered a TLS-ALPN-01 validation from {peer}");
                                    }
                                    Ok(Ok(tls_stream)) => serve_connection(shared, tls_stream, peer).await,
                                    Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                                    Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                                }
                            }
                        }
                    };
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.wait_for(|s| *s) => {}
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    let _ = stop_tx.send(true);
    retention.abort();
}

/// The connection's client: from a trusted proxy that speaks the PROXY protocol, the address
/// its header names (`None`: no valid header in time, the connection is dropped); else the peer.
async fn proxied(
    cfg: &RelayConfig,
    mut stream: tokio::net::TcpStream,
    peer: SocketAddr,
) -> Option<(tokio::net::TcpStream, SocketAddr)> {
    let from_proxy = cfg.proxy_protocol
        && cfg
            .trusted_proxies
            .as_ref()
            .is_some_and(|t| t.trusts(peer.ip()));
    if !from_proxy {
        return Some((stream, peer));
    }
    match super::proxy_addr::read_proxy_header(&mut stream, cfg.read_timeout).await {
        Ok(h) => Some((stream, h.source.unwrap_or(peer))),
        Err(e) => {
            tracing::debug!("connection from the proxy {peer}: {e}");
            None
        }
    }
}

async fn serve_connection<S>(shared: Arc<Shared>, stream: S, peer: SocketAddr)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let shared_timeout = shared.cfg.read_timeout;
    let recorder = HeadRecorder::default();
    let io = TokioIo::new(RecordingIo::new(stream, recorder.clone()));
    let svc = service_fn(move |req| {
        let (shared, recorder) = (shared.clone(), recorder.clone());
        async move { Ok::<_, Infallible>(route(&shared, &recorder, peer, req).await) }
    });
    // HTTP/1.1, or HTTP/2 when the client starts with its preface (ALPN `h2` over TLS).
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(shared_timeout)
        .max_buf_size(MAX_HEAD);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEAD as u32)
        .max_concurrent_streams(H2_MAX_STREAMS)
        // Pings find a dead peer of a long-lived stream, as heartbeats do for the laptop.
        .keep_alive_interval(Some(H2_KEEPALIVE))
        .keep_alive_timeout(H2_KEEPALIVE);
    if let Err(e) = builder.serve_connection(io, svc).await {
        tracing::debug!("connection from {peer}: {e}");
    }
}

/// hyper's own head timeout; the configured read timeout is applied per request as well.
const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);

type Answer = Response<BoxBody<Bytes, Infallible>>;

enum Route<'a> {
    Ingest { channel: &'a str, rest: &'a str },
    Events { channel: &'a str },
    Ack { channel: &'a str },
    Health,
    Admin,
    Unknown,
}

/// Splits a request path into a route. Pure.
fn route_of<'a>(method: &Method, path: &'a str) -> Route<'a> {
    if let Some(after) = path.strip_prefix("/c/") {
        let (channel, rest) = match after.find('/') {
            Some(i) => after.split_at(i),
            None => (after, ""),
        };
        return if is_channel_id(channel) {
            Route::Ingest { channel, rest }
        } else {
            Route::Unknown
        };
    }
    if let Some(after) = path.strip_prefix("/r/") {
        let Some((channel, what)) = after.split_once('/') else {
            return Route::Unknown;
        };
        if !is_channel_id(channel) {
            return Route::Unknown;
        }
        return match (method, what) {
            (&Method::GET, "events") => Route::Events { channel },
            (&Method::POST, "ack") => Route::Ack { channel },
            _ => Route::Unknown,
        };
    }
    if path == "/healthz" {
        return Route::Health;
    }
    if path.starts_with("/admin/") {
        return Route::Admin;
    }
    Route::Unknown
}

async fn route(
    shared: &Shared,
    recorder: &HeadRecorder,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Answer {
    // Behind a trusted proxy, the client it names; from anyone else, the peer itself.
    let peer = match &shared.cfg.trusted_proxies {
        Some(t) => t.client(peer, req.headers()),
        None => peer,
    };
    if let Err(wait) = limited(&shared.ip_limit, &peer.ip()) {
        recorder.rearm();
        return too_many(wait, "too many requests from your address");
    }
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    match route_of(&method, &path) {
        Route::Ingest { channel, rest } => {
            let (channel, rest) = (channel.to_string(), rest.to_string());
            ingest(shared, recorder, peer, req, &channel, &rest).await
        }
        Route::Events { channel } => {
            recorder.rearm();
            let channel = channel.to_string();
            events(shared, &req, &channel).await
        }
        Route::Ack { channel } => {
            let channel = channel.to_string();
            let answer = ack(shared, req, &channel).await;
            recorder.rearm();
            answer
        }
        Route::Health => {
            recorder.rearm();
            match shared.log.health().await {
                Ok(()) => {
                    let (status, body) = health(shared.cfg.certs.as_deref());
                    json_answer(status, body)
                }
                Err(e) => store_failed(&e.to_string()),
            }
        }
        Route::Admin => match &shared.cfg.admin {
            Some(admin) => {
                let (status, body, wait) =
                    super::admin::handle(admin, shared.log.as_ref(), peer.ip(), req).await;
                recorder.rearm();
                let mut a = json_answer(status, body);
                if let Some(secs) = wait {
                    a.headers_mut()
                        .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
                }
                a
            }
            // Off: the same answer as any unknown path.
            None => {
                recorder.rearm();
                not_found()
            }
        },
        Route::Unknown => {
            recorder.rearm();
            not_found()
        }
    }
}

fn limited<K: std::hash::Hash + Eq + Clone>(
    limiter: &Mutex<RateLimiter<K>>,
    key: &K,
) -> Result<(), Duration> {
    match limiter.lock() {
        Ok(mut l) => l.check(key, Instant::now()),
        // A poisoned limiter cannot happen (check does not panic); if it did, do not limit.
        Err(_) => Ok(()),
    }
}

async fn ingest(
    shared: &Shared,
    recorder: &HeadRecorder,
    peer: SocketAddr,
    req: Request<Incoming>,
    channel: &str,
    rest: &str,
) -> Answer {
    let received_at_ms = now_ms();
    let edge = match shared.log.access(channel).await {
        Ok(Some(access)) => access.edge,
        Ok(None) => {
            recorder.rearm();
            return not_found();
        }
        Err(e) => {
            recorder.rearm();
            return store_failed(&e.to_string());
        }
    };
    if let Err(wait) = limited(&shared.channel_limit, &channel.to_string()) {
        recorder.rearm();
        return too_many(wait, "too many deliveries to this channel");
    }
    let (parts, body) = req.into_parts();
    let headers: Vec<HeaderPair> = received_headers(recorder, &parts);
    let read = read_request_body(
        &parts.headers,
        body,
        shared.cfg.max_body,
        shared.cfg.read_timeout,
    )
    .await;
    recorder.rearm();
    let relay_verdict = edge_verdict(&edge, &headers, &read.bytes, received_at_ms);
    if edge.reject_invalid && read.rejection.is_none() {
        if let Some(v @ ("invalid" | "unsigned")) = relay_verdict.as_deref() {
            return json_answer(
                StatusCode::UNAUTHORIZED,
                json!({"error": format!("signature {v}: this channel refuses deliveries that do not verify; nothing was stored")}),
            );
        }
    }
    let delivery = Delivery {
        seq: 0,
        received_at_ms,
        request: RawRequest {
            method: parts.method.as_str().to_string(),
            path: if rest.is_empty() {
                "/".into()
            } else {
                rest.to_string()
            },
            query: parts.uri.query().map(String::from),
            headers,
            body: read.bytes,
            body_size: read.size,
        },
        rejected: read.rejection.clone(),
        peer: Some(peer.to_string()),
        relay_verdict,
    };
    match shared.log.ingest(channel, delivery).await {
        Ok(Some(stored)) => {
            let mut body = json!({ "id": stored.seq });
            if stored.duplicate {
                // A retry of a request already stored: the first copy's id, nothing new kept.
                body["duplicate"] = json!(true);
            }
            match read.rejection {
                Some(r) => {
                    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
                    body["error"] = json!(r.reason);
                    let mut a = json_answer(status, body);
                    a.headers_mut()
                        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                    a
                }
                None => json_answer(StatusCode::OK, body),
            }
        }
        Ok(None) => not_found(),
        Err(e) => store_failed(&e.to_string()),
    }
}

/// Default timestamp tolerance of the edge check, as `listen`'s.
const EDGE_TOLERANCE_S: u64 = 300;

/// The signature's verdict on arrival when the channel checks signatures. Pure.
fn edge_verdict(
    edge: &super::store::EdgeCheck,
    headers: &[HeaderPair],
    body: &[u8],
    received_at_ms: i64,
) -> Option<String> {
    if edge.secrets.is_empty() {
        return None;
    }
    let (verdict, _) = crate::signature::verify_capture(
        headers,
        body,
        &edge.secrets,
        received_at_ms.div_euclid(1000),
        EDGE_TOLERANCE_S,
    );
    Some(verdict.status().as_str().to_string())
}

/// Checks the bearer token of a stream or ack request against the channel's stored hash;
/// the refusal to send when it does not pass.
async fn refusal<B>(shared: &Shared, req: &Request<B>, channel: &str) -> Option<Answer> {
    let stored = match shared.log.access(channel).await {
        Ok(Some(access)) => access.token_sha256,
        Ok(None) => return Some(not_found()),
        Err(e) => return Some(store_failed(&e.to_string())),
    };
    let presented = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| bearer(v.as_bytes()));
    match presented {
        Some(t) if token_matches(t, &stored) => None,
        _ => {
            let mut a = json_answer(
                StatusCode::UNAUTHORIZED,
                json!({"error": "token rejected: send 'Authorization: Bearer <the channel's read token>'"}),
            );
            a.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
            Some(a)
        }
    }
}

/// What a stream request asked for: where to start and who is asking.
#[derive(Debug, PartialEq, Eq)]
struct StreamParams {
    after: Option<Seq>,
    consumer: Option<String>,
}

/// Reads `after` and `consumer` from the query and `Last-Event-ID`. Pure.
fn stream_params(
    query: Option<&str>,
    last_event_id: Option<&[u8]>,
) -> Result<StreamParams, String> {
    let mut p = StreamParams {
        after: None,
        consumer: None,
    };
    for pair in query.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "after" => {
                p.after = Some(
                    v.parse()
                        .map_err(|_| format!("'after' must be a sequence number, not '{v}'"))?,
                )
            }
            "consumer" => {
                if v.is_empty()
                    || v.len() > MAX_CONSUMER_LEN
                    || !v
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(format!(
                        "'consumer' must be 1 to {MAX_CONSUMER_LEN} letters, digits, '-' or '_'"
                    ));
                }
                p.consumer = Some(v.to_string());
            }
            _ => {}
        }
    }
    if p.after.is_none() {
        if let Some(id) = last_event_id {
            let text = std::str::from_utf8(id).map_err(|_| "Last-Event-ID is not text")?;
            p.after = Some(
                text.trim()
                    .parse()
                    .map_err(|_| "Last-Event-ID must be a sequence number")?,
            );
        }
    }
    Ok(p)
}

async fn events(shared: &Shared, req: &Request<Incoming>, channel: &str) -> Answer {
    if let Some(a) = refusal(shared, req, channel).await {
        return a;
    }
    tracing::debug!("stream of channel {channel} over {:?}", req.version());
    let params = match stream_params(
        req.uri().query(),
        req.headers().get("last-event-id").map(|v| v.as_bytes()),
    ) {
        Ok(p) => p,
        Err(e) => return json_answer(StatusCode::BAD_REQUEST, json!({ "error": e })),
    };
    let after = match (params.after, &params.consumer) {
        (Some(a), _) => a,
        (None, Some(c)) => match shared.log.acked(channel, c).await {
            Ok(a) => a,
            Err(e) => return store_failed(&e.to_string()),
        },
        (None, None) => 0,
    };
    let reading = match shared.log.read(channel, after).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => return store_failed(&e.to_string()),
    };
    let (tx, rx) = mpsc::channel(STREAM_QUEUE);
    let stream = StreamTask {
        cursor: after,
        heartbeat: shared.cfg.heartbeat,
        tx,
    };
    tokio::spawn(stream.run(reading));
    let mut resp = Response::new(SseBody { rx }.boxed());
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    // nginx buffers responses unless told not to; SSE must flow event by event.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// One subscriber's stream: the hello, then the log's events as they come, heartbeats while
/// it is quiet.
struct StreamTask {
    cursor: Seq,
    heartbeat: Duration,
    tx: mpsc::Sender<Bytes>,
}

impl StreamTask {
    async fn run(self, mut reading: Reading) {
        let hello = Hello {
            after: self.cursor,
            last_seq: reading.last_seq,
            heartbeat_ms: self.heartbeat.as_millis() as u64,
        };
        if !self.send(protocol::encode_hello(&hello)).await {
            return;
        }
        loop {
            tokio::select! {
                event = reading.events.recv() => {
                    let bytes = match event {
                        Some(Ok(LogEvent::Delivery(d))) => protocol::encode_delivery(&d),
                        Some(Ok(LogEvent::Gap(gap))) => protocol::encode_gap(&gap),
                        Some(Err(e)) => {
                            tracing::error!("{e}");
                            return;
                        }
                        // The channel was removed, or the log stopped: the client reconnects.
                        None => return,
                    };
                    if !self.send(bytes).await {
                        return;
                    }
                }
                _ = tokio::time::sleep(self.heartbeat) => {
                    if !self.send(protocol::encode_heartbeat()).await {
                        return;
                    }
                }
                _ = self.tx.closed() => return,
            }
        }
    }

    /// False once the subscriber is gone.
    async fn send(&self, bytes: Vec<u8>) -> bool {
        self.tx.send(Bytes::from(bytes)).await.is_ok()
    }
}

/// A response body fed by a stream task.
struct SseBody {
    rx: mpsc::Receiver<Bytes>,
}

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<BodyFrame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|o| o.map(|b| Ok(BodyFrame::data(b))))
    }
}

#[derive(serde::Deserialize)]
struct AckBody {
    consumer: String,
    upto: Seq,
}

async fn ack(shared: &Shared, req: Request<Incoming>, channel: &str) -> Answer {
    if let Some(a) = refusal(shared, &req, channel).await {
        return a;
    }
    let (parts, body) = req.into_parts();
    let read = read_request_body(&parts.headers, body, MAX_ACK_BODY, DEFAULT_HEADER_TIMEOUT).await;
    if read.rejection.is_some() {
        return json_answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": "ack body too large or incomplete"}),
        );
    }
    let body: AckBody = match serde_json::from_slice(&read.bytes) {
        Ok(b) => b,
        Err(e) => {
            return json_answer(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("ack must be {{\"consumer\":\"...\",\"upto\":N}}: {e}")}),
            )
        }
    };
    if let Err(e) = stream_params(Some(&format!("consumer={}", body.consumer)), None) {
        return json_answer(StatusCode::BAD_REQUEST, json!({ "error": e }));
    }
    let ack = Ack {
        channel: channel.to_string(),
        consumer: body.consumer,
        upto: body.upto,
        at_ms: now_ms(),
    };
    match shared.log.ack(ack).await {
        Ok(true) => json_answer(StatusCode::OK, json!({"acked": body.upto})),
        Ok(false) => not_found(),
        Err(e) => store_failed(&e.to_string()),
    }
}

/// Deletes what is older than `--retention`, a few times per retention period.
async fn prune_forever(shared: Arc<Shared>) {
    let every =
        (shared.cfg.retention / 4).clamp(Duration::from_millis(100), Duration::from_secs(60));
    loop {
        let cutoff = now_ms().saturating_sub(shared.cfg.retention.as_millis() as i64);
        match shared.log.prune(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                "retention: deleted {n} deliveries older than {:?}",
                shared.cfg.retention
            ),
            Err(e) => tracing::error!("retention: {e}"),
        }
        tokio::time::sleep(every).await;
    }
}

/// `/healthz`: `{"ok":true}`, with the served certificate's expiry over TLS. Without a
/// certificate yet (an ACME relay still obtaining its first) it is not ok.
fn health(certs: Option<&CertSlot>) -> (StatusCode, serde_json::Value) {
    let Some(certs) = certs else {
        return (StatusCode::OK, json!({"ok": true}));
    };
    match certs.current() {
        Some((v, origin)) => (
            StatusCode::OK,
            json!({
                "ok": true,
                "certificate": {
                    "source": origin.as_str(),
                    "not_after": v.not_after_text(),
                    "not_after_unix": v.not_after_s,
                    "expires_in_s": v.expires_in_s(super::certs::now_s()),
                }
            }),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"ok": false, "certificate": null, "error": "no certificate yet: the relay is still obtaining one"}),
        ),
    }
}

fn json_answer(status: StatusCode, body: serde_json::Value) -> Answer {
    let mut resp = Response::new(Full::new(Bytes::from(format!("{body}\n"))).boxed());
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The same answer for every path that is not a channel: no hint about which exist.
fn not_found() -> Answer {
    json_answer(StatusCode::NOT_FOUND, json!({"error": "not found"}))
}

fn too_many(wait: Duration, what: &str) -> Answer {
    let secs = retry_after_secs(wait);
    let mut a = json_answer(
        StatusCode::TOO_MANY_REQUESTS,
        json!({"error": format!("{what}; retry after {secs} s")}),
    );
    a.headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    a
}

fn store_failed(detail: &str) -> Answer {
    let mut a = json_answer(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"error": format!("not stored, retry later: {detail}")}),
    );
    a.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from(STORE_RETRY_AFTER_S),
    );
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn routes() {
        let post = Method::POST;
        let get = Method::GET;
        assert!(matches!(
            route_of(&post, &format!("/c/{ID}")),
            Route::Ingest { rest: "", .. }
        ));
        assert!(matches!(
            route_of(&get, &format!("/c/{ID}/dataspike/hook")),
            Route::Ingest {
                rest: "/dataspike/hook",
                ..
            }
        ));
        assert!(matches!(
            route_of(&post, &format!("/c/{ID}x")),
            Route::Unknown
        ));
        assert!(matches!(route_of(&post, "/c/short/x"), Route::Unknown));
        assert!(matches!(
            route_of(&get, &format!("/r/{ID}/events")),
            Route::Events { .. }
        ));
        assert!(matches!(
            route_of(&post, &format!("/r/{ID}/events")),
            Route::Unknown
        ));
        assert!(matches!(
            route_of(&post, &format!("/r/{ID}/ack")),
            Route::Ack { .. }
        ));
        assert!(matches!(route_of(&get, "/healthz"), Route::Health));
        assert!(matches!(route_of(&get, "/"), Route::Unknown));
    }

    #[test]
    fn stream_params_from_query_and_last_event_id() {
        assert_eq!(
            stream_params(Some("after=5&consumer=lap-1"), Some(b"9")).unwrap(),
            StreamParams {
                after: Some(5),
                consumer: Some("lap-1".into())
            }
        );
        assert_eq!(stream_params(None, Some(b" 9 ")).unwrap().after, Some(9));
        assert_eq!(stream_params(Some("x=1"), None).unwrap().after, None);
        assert!(stream_params(Some("after=-1"), None).is_err());
        assert!(stream_params(Some("consumer=a/b"), None).is_err());
        assert!(stream_params(Some("consumer="), None).is_err());
        assert!(stream_params(None, Some(b"\xff")).is_err());
    }
}
