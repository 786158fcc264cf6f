//! The hyper server: request -> Capture -> verify -> store -> answer (and forward).
//! It reports what it stored over a channel and knows nothing about who consumes it.

mod head;

pub use head::{parse_head, HeadRecorder, RecordingIo};

use bytes::Bytes;
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::capture::{now_ms, AttemptKind, Capture, EventInfo, Rejection, Source};
use crate::forward::{
    attempt_from, forward_headers, join_target, ForwardError, Forwarder, Outgoing,
};
use crate::headers::{HeaderPair, HopByHop};
use crate::report::{Report, ReportTx};
use crate::signature::{verify_capture, Secret};
use crate::store::Writer;

/// Default `--max-body`.
pub const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;
/// Default `--read-timeout`: a client has this long for its head, and again for its body.
/// A slow head is cut off; a slow body gets 408 and what arrived is stored.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long Ctrl-C waits for in-flight requests before giving up on them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// Who answers the webhook sender when forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Respond {
    /// The sender gets the app's answer (502/504 when the app fails).
    App,
    /// The sender gets 200 once the capture is stored; forwarding runs in the background.
    Ack,
}

#[derive(Debug, Clone)]
pub struct ForwardConfig {
    pub target: Uri,
    pub respond: Respond,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct ListenConfig {
    pub max_body: usize,
    pub read_timeout: Duration,
    pub secrets: Vec<Secret>,
    pub tolerance_s: u64,
    pub forward: Option<ForwardConfig>,
}

struct Shared {
    cfg: ListenConfig,
    writer: Writer,
    reports: ReportTx,
    forwarder: Option<Forwarder>,
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    cfg: ListenConfig,
    writer: Writer,
    reports: ReportTx,
    shutdown: impl Future<Output = ()>,
) {
    let forwarder = cfg.forward.as_ref().map(|f| Forwarder::new(f.timeout));
    let shared = Arc::new(Shared {
        cfg,
        writer,
        reports,
        forwarder,
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper's default limit of 100 headers stays: webhook senders send a dozen or so, and a
        // higher limit makes hyper allocate room for it on every request. More get 431.
        .header_read_timeout(shared.cfg.read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, keep serving.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
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

type Answer = Response<Full<Bytes>>;

async fn handle(
    shared: &Shared,
    recorder: &HeadRecorder,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Answer {
    let received_at_ms = now_ms();
    let (parts, body) = req.into_parts();
    let target = parts.uri.to_string();
    let headers = recorder
        .take_headers(parts.method.as_str(), &target)
        .unwrap_or_else(|| {
            parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect()
        });
    let read = read_body(body, shared.cfg.max_body, shared.cfg.read_timeout).await;
    // HTTP/2 heads are binary frames hyper already decoded; only HTTP/1 heads are recorded.
    if parts.version < http::Version::HTTP_2 {
        recorder.rearm();
    }

    let capture = build_capture(
        &shared.cfg,
        received_at_ms,
        parts.method.as_str(),
        &parts.uri,
        headers,
        read,
        peer,
        chrono::Utc::now().timestamp(),
    );
    let outgoing = match (&shared.cfg.forward, &capture.rejected) {
        (Some(_), None) => Some(Outgoing {
            method: capture.method.clone(),
            headers: forward_headers(&capture.headers, Some(peer.ip())),
            body: Bytes::from(capture.body.clone()),
        }),
        _ => None,
    };
    let (path, query, rejected) = (
        capture.path.clone(),
        capture.query.clone(),
        capture.rejected.clone(),
    );
    let summary_base = capture.summary(0);
    let id = match shared.writer.record(capture).await {
        Ok(id) => id,
        Err(e) => {
            // Never acknowledge what is not stored: the sender will retry.
            return json_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": format!("capture not stored: {e}")}),
            );
        }
    };
    let _ = shared
        .reports
        .send(Report::Captured(crate::capture::CaptureSummary {
            id,
            ..summary_base
        }));

    if let Some(r) = rejected {
        let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut resp = plain_answer(status, format!("{}; stored as capture {id}\n", r.reason));
        resp.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
        return resp;
    }
    let mut resp = respond(shared, id, &path, query.as_deref(), outgoing).await;
    if let Ok(v) = http::HeaderValue::from_str(&id.to_string()) {
        resp.headers_mut().insert(CAPTURE_HEADER, v);
    }
    resp
}

/// Response header naming the capture, also when the body is the app's.
const CAPTURE_HEADER: &str = "x-hookscope-capture";

/// The answer for a stored, accepted capture: an ack, or the app's answer when forwarding.
async fn respond(
    shared: &Shared,
    id: i64,
    path: &str,
    query: Option<&str>,
    outgoing: Option<Outgoing>,
) -> Answer {
    let (Some(fwd), Some(forwarder), Some(out)) =
        (&shared.cfg.forward, &shared.forwarder, outgoing)
    else {
        return json_answer(StatusCode::OK, json!({ "id": id }));
    };
    let target = join_target(&fwd.target, path, query);
    match fwd.respond {
        Respond::Ack => {
            let (forwarder, writer, reports) = (
                forwarder.clone(),
                shared.writer.clone(),
                shared.reports.clone(),
            );
            tokio::spawn(async move {
                // The outcome is stored as an attempt and reported; nobody else waits for it.
                let _ = forward_and_record(&forwarder, &writer, &reports, id, &target, &out).await;
            });
            json_answer(StatusCode::OK, json!({ "id": id }))
        }
        Respond::App => {
            let outcome = forward_and_record(
                forwarder,
                &shared.writer,
                &shared.reports,
                id,
                &target,
                &out,
            )
            .await;
            match outcome {
                Ok(app) => mirror(app),
                Err(e) => json_answer(
                    StatusCode::from_u16(e.gateway_status()).unwrap_or(StatusCode::BAD_GATEWAY),
                    json!({"error": e.to_string(), "id": id, "target": target.to_string()}),
                ),
            }
        }
    }
}

/// Sends a live delivery to the app, stores the attempt and reports it.
async fn forward_and_record(
    forwarder: &Forwarder,
    writer: &Writer,
    reports: &ReportTx,
    id: i64,
    target: &Uri,
    out: &Outgoing,
) -> Result<crate::forward::AppResponse, ForwardError> {
    let at_ms = now_ms();
    let (outcome, latency) = forwarder.send(target, out).await;
    let attempt = attempt_from(
        id,
        AttemptKind::Forward,
        at_ms,
        target,
        false,
        None,
        &outcome,
        latency,
    );
    let brief = attempt.brief();
    if let Err(e) = writer.record_attempt(attempt).await {
        tracing::error!("attempt of capture {id} not stored: {e}");
    }
    let _ = reports.send(Report::Attempted {
        capture_id: id,
        attempt: brief,
        replay: false,
    });
    outcome
}

/// The app's answer, passed back to the sender as through a tunnel.
fn mirror(app: crate::forward::AppResponse) -> Answer {
    let mut resp = Response::new(Full::new(app.body));
    *resp.status_mut() = StatusCode::from_u16(app.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = resp.headers_mut();
    // hyper frames the body itself; the app's hop-by-hop headers describe another connection.
    let hop = HopByHop::of(&app.headers);
    for (n, v) in &app.headers {
        if hop.contains(n) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(n),
            http::HeaderValue::from_bytes(v),
        ) {
            headers.append(n, v);
        }
    }
    resp
}

fn json_answer(status: StatusCode, body: serde_json::Value) -> Answer {
    let mut resp = Response::new(Full::new(Bytes::from(format!("{body}\n"))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

fn plain_answer(status: StatusCode, text: String) -> Answer {
    let mut resp = Response::new(Full::new(Bytes::from(text)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// A request body as far as it was read.
#[derive(Debug, Default)]
pub struct BodyRead {
    pub bytes: Vec<u8>,
    /// Bytes the client sent, including any beyond the limit that were read and dropped.
    pub size: u64,
    pub rejection: Option<Rejection>,
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
                        "request body not complete after {} s (--read-timeout); {} bytes arrived and were kept",
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
                            "request body is larger than the {max}-byte limit (--max-body); the first {max} bytes were kept"
                        ),
                    });
                    return read;
                }
            }
        }
    }
}

/// Assembles and verifies a capture. Pure: everything it needs is passed in.
#[allow(clippy::too_many_arguments)]
pub fn build_capture(
    cfg: &ListenConfig,
    received_at_ms: i64,
    method: &str,
    uri: &Uri,
    headers: Vec<HeaderPair>,
    read: BodyRead,
    peer: SocketAddr,
    now_s: i64,
) -> Capture {
    let truncated = read.rejection.is_some();
    let (verdict, diagnostics) =
        verify_capture(&headers, &read.bytes, &cfg.secrets, now_s, cfg.tolerance_s);
    let event = if truncated {
        EventInfo::default()
    } else {
        EventInfo::inspect(&read.bytes)
    };
    Capture {
        received_at_ms,
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(String::from),
        headers,
        body: read.bytes,
        body_size: read.size,
        truncated,
        rejected: read.rejection,
        peer: Some(peer.to_string()),
        source: Source::Live,
        event,
        verdict,
        diagnostics,
    }
}
