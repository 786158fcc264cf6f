//! The HTTP transport: hyper accepting connections, the head recorder that keeps header names
//! and order exactly, body limits and timeouts, graceful shutdown. Each request becomes a
//! transport-neutral `Received` for the `Intake`, whose `Answer` goes back as the
//! response. It must not judge, store, forward or report anything itself: that is the intake.

mod head;

pub use head::parse_head;
pub(crate) use head::{HeadRecorder, RecordingIo};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::capture::{now_ms, RawRequest, Rejection, Source};
use crate::headers::HeaderPair;
use crate::intake::{Answer, Intake, IntakeConfig, Received};
use crate::text::human_size;

/// A body declared too large is answered 413 at once; what arrives until the sender pauses
/// this long is kept.
const ARRIVED_QUIET: Duration = Duration::from_millis(100);

/// Default `--max-body`.
pub(crate) const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;
/// Where `listen` binds unless told otherwise: loopback, as captures hold personal data.
pub(crate) const DEFAULT_HOST: std::net::IpAddr =
    std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
/// Default `--read-timeout`: a client has this long for its head, and again for its body.
/// A slow head is cut off; a slow body gets 408 and what arrived is stored.
pub(crate) const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long Ctrl-C waits for in-flight requests before giving up on them.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// The transport's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_body: usize,
    pub(crate) read_timeout: Duration,
}

/// A listening session's settings: the transport's limits, and how the intake behind it
/// judges and forwards (the session builds that intake, as it does the relay feed's).
#[derive(Debug, Clone)]
pub(crate) struct ListenConfig {
    pub(crate) limits: Limits,
    pub(crate) intake: IntakeConfig,
}

struct Shared {
    limits: Limits,
    intake: Intake,
}

/// The next connection. A failed accept (out of file descriptors and the like) is logged and
/// tried again a little later: a server keeps serving. Shared with the relay.
pub(crate) async fn accept(listener: &TcpListener) -> (tokio::net::TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(a) => return a,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish. Every request goes to
/// `intake`; when this returns, the intake (and the writer and report handles it holds) is gone.
pub(crate) async fn serve(
    listener: TcpListener,
    limits: Limits,
    intake: Intake,
    shutdown: impl Future<Output = ()>,
) {
    let shared = Arc::new(Shared { limits, intake });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper's default limit of 100 headers stays: webhook senders send a dozen or so, and a
        // higher limit makes hyper allocate room for it on every request. More get 431.
        .header_read_timeout(shared.limits.read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            (stream, peer) = accept(&listener) => {
                let _ = stream.set_nodelay(true);
                let recorder = HeadRecorder::default();
                let io = TokioIo::new(RecordingIo::new(stream, recorder.clone()));
                let shared = shared.clone();
                let svc = service_fn(move |req| {
                    let shared = shared.clone();
                    let recorder = recorder.clone();
                    async move { Ok::<_, Infallible>(handle(&shared, &recorder, peer, req).await) }
                });
                let conn = graceful.watch(builder.serve_connection(io, svc).into_owned());
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection from {peer}: {e}");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "some requests were still running after {SHUTDOWN_GRACE:?}; stopping anyway"
        );
    }
}

type HttpAnswer = Response<Full<Bytes>>;

/// The transport's half of a request: read the head and body within the limits, hand the
/// intake a [`Received`], and put its [`Answer`] on the wire.
async fn handle(
    shared: &Shared,
    recorder: &HeadRecorder,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> HttpAnswer {
    let received_at_ms = now_ms();
    let (parts, body) = req.into_parts();
    let headers = received_headers(recorder, &parts);
    let Limits {
        max_body,
        read_timeout,
    } = shared.limits;
    let read = read_request_body(&parts.headers, body, max_body, read_timeout).await;
    // HTTP/2 heads are binary frames hyper already decoded; only HTTP/1 heads are recorded.
    if parts.version < http::Version::HTTP_2 {
        recorder.rearm();
    }
    let received = Received {
        request: RawRequest {
            method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(String::from),
            headers,
            body: read.bytes,
            body_size: read.size,
        },
        rejection: read.rejection,
        peer: Some(peer),
        received_at_ms,
        source: Source::Live,
        relay: None,
    };
    to_http(shared.intake.receive(received).await)
}

fn to_http(answer: Answer) -> HttpAnswer {
    let mut resp = Response::new(Full::new(answer.body));
    *resp.status_mut() = answer.status;
    *resp.headers_mut() = answer.headers;
    resp
}

/// A request's headers exactly as received (names, order, repeats) from the recorded head;
/// hyper's parsed map only when no head was recorded (HTTP/2).
pub(crate) fn received_headers(
    recorder: &HeadRecorder,
    parts: &http::request::Parts,
) -> Vec<HeaderPair> {
    recorder
        .take_headers(parts.method.as_str(), &parts.uri.to_string())
        .unwrap_or_else(|| {
            parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect()
        })
}

/// Reads a request body within `max` bytes and `timeout`, keeping what arrived when it is
/// refused; a body declared larger than `max` is refused at once. Shared by every hyper
/// transport (the listener, the relay's ingest).
pub(crate) async fn read_request_body(
    headers: &http::HeaderMap,
    body: Incoming,
    max: usize,
    timeout: Duration,
) -> BodyRead {
    match declared_too_large(headers, max) {
        Some(declared) => read_arrived(body, max, declared).await,
        None => read_body(body, max, timeout).await,
    }
}

/// A request body as far as it was read.
#[derive(Debug, Default)]
pub(crate) struct BodyRead {
    pub(crate) bytes: Vec<u8>,
    /// Bytes the client sent, including any beyond the limit that were read and dropped.
    pub(crate) size: u64,
    pub(crate) rejection: Option<Rejection>,
}

/// The `Content-Length` a request declares, when it is above `max`.
fn declared_too_large(headers: &http::HeaderMap, max: usize) -> Option<u64> {
    let declared: u64 = headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (declared > max as u64).then_some(declared)
}

/// A body declared larger than `max` is refused without waiting for it (as nginx does): keep
/// what has already arrived (up to `max`), stopping at the first pause, and answer 413.
async fn read_arrived(mut body: Incoming, max: usize, declared: u64) -> BodyRead {
    let mut read = BodyRead::default();
    while read.bytes.len() < max {
        let Ok(Some(Ok(frame))) = tokio::time::timeout(ARRIVED_QUIET, body.frame()).await else {
            break;
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        read.size += data.len() as u64;
        let room = max.saturating_sub(read.bytes.len());
        read.bytes.extend_from_slice(&data[..data.len().min(room)]);
    }
    read.rejection = Some(Rejection {
        status: 413,
        reason: format!(
            "request declares a {declared}-byte body (Content-Length), larger than the {max}-byte body limit; the {} bytes that had arrived were kept",
            read.bytes.len()
        ),
    });
    read
}

async fn read_body(mut body: Incoming, max: usize, timeout: Duration) -> BodyRead {
    let mut read = BodyRead::default();
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    loop {
        let frame = tokio::select! {
            f = body.frame() => f,
            _ = &mut deadline => {
                read.rejection = Some(Rejection {
                    status: 408,
                    reason: format!(
                        "request body not complete within the {} s read timeout; {} bytes arrived and were kept",
                        timeout.as_secs(), read.size
                    ),
                });
                return read;
            }
        };
        match frame {
            None => return read,
            Some(Err(e)) => {
                read.rejection = Some(Rejection {
                    status: 400,
                    reason: format!("request body could not be read: {e}"),
                });
                return read;
            }
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                read.size += data.len() as u64;
                let room = max.saturating_sub(read.bytes.len());
                read.bytes.extend_from_slice(&data[..data.len().min(room)]);
                if read.size > max as u64 {
                    read.rejection = Some(Rejection {
                        status: 413,
                        reason: format!(
                            "request body is larger than the {} body limit ({max} bytes): {} arrived before reading stopped, and the first {} were kept",
                            human_size(max as u64),
                            human_size(read.size),
                            human_size(max as u64),
                        ),
                    });
                    return read;
                }
            }
        }
    }
}
