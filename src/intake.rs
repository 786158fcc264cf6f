//! The one way a delivery comes in: build the capture from what a transport received, verify
//! it, commit it, report it, then answer (an ack, the app's answer when forwarding, or the
//! rejection). The transport (`listener`, later a relay client) only turns its wire format into
//! a [`Received`] and an [`Answer`] back into its own; it decides nothing here.
//!
//! Invariants kept here: an answer other than 503 is given only after the capture is committed;
//! a failed commit is 503 and never reported or forwarded; the body is moved, not copied, into
//! the capture (cloned once, only when forwarding); secrets are used, never stored or logged.
//!
//! `hookscope import` shares [`verify`] (the same verdict, judged as of each capture's arrival)
//! but not the commit-and-answer step: it stores every file's captures in one transaction so a
//! bad file stores nothing, and it has no sender to answer. Its captures are built by the
//! fixture and HAR readers, which carry facts a transport does not (recorded event, original
//! size).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use serde_json::json;
use std::net::SocketAddr;

use crate::capture::{Capture, CaptureSummary, EventInfo, Rejection, RelayOrigin, Source};
use crate::forward::{
    forward_request, join_target, AppResponse, Attempts, ForwardQueue, Forwarder, Outgoing,
    Recorder, Shipment,
};
use crate::headers::{HeaderPair, HopByHop};
use crate::report::{Report, ReportTx};
use crate::signature::{verify_capture, Secret, Verdict};
use crate::store::Writer;

/// A delivery as a transport received it, before hookscope judged it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Without the `?`, still percent-encoded.
    pub query: Option<String>,
    /// In received order, names exactly as sent.
    pub headers: Vec<HeaderPair>,
    /// As received; only the first `--max-body` bytes when rejected as too large.
    pub body: Vec<u8>,
    /// Body bytes the sender sent, including any beyond the limit that were dropped.
    pub body_size: u64,
    /// Why the transport did not take the request whole (too large, too slow, broken).
    pub rejection: Option<Rejection>,
    pub peer: Option<SocketAddr>,
    /// Milliseconds since the Unix epoch, UTC, when the request began to arrive.
    pub received_at_ms: i64,
    pub source: Source,
    /// For a delivery that came through a relay: where it sits there.
    pub relay: Option<RelayOrigin>,
}

/// What the sender is told, for the transport to put on the wire. Uses the `http` crate's
/// types (no transport), so a hyper listener passes it through without copying.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Who answers the webhook sender when forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Respond {
    /// The sender gets the app's answer (502/504 when the app fails).
    App,
    /// The sender gets 200 once the capture is stored; forwarding runs in the background.
    Ack,
}

/// Which event types are forwarded; the others are captured and acknowledged, not forwarded
/// (as `stripe listen --events` does). Empty forwards everything. Matched in any case; a
/// delivery without an event type is not forwarded once a list is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    only: Vec<String>,
}

impl EventFilter {
    pub fn only(types: impl IntoIterator<Item = String>) -> EventFilter {
        EventFilter {
            only: types
                .into_iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }

    pub fn forwards(&self, event_type: Option<&str>) -> bool {
        self.only.is_empty()
            || event_type.is_some_and(|e| self.only.iter().any(|o| o.eq_ignore_ascii_case(e)))
    }

    /// `DOCVER, AML_SCREENING only`, or `None` when everything is forwarded.
    pub fn describe(&self) -> Option<String> {
        (!self.only.is_empty()).then(|| format!("{} only", self.only.join(", ")))
    }
}

/// Where accepted deliveries are forwarded and who answers their sender.
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    pub target: Uri,
    pub respond: Respond,
    /// Which event types go to the app.
    pub events: EventFilter,
    /// The client, with its timeout and the CAs it trusts for https targets.
    pub forwarder: Forwarder,
    /// Requests in flight to the app at once; more wait in arrival order.
    pub concurrency: usize,
}

/// How deliveries are judged and passed on.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub secrets: Vec<Secret>,
    pub tolerance_s: u64,
    pub forward: Option<ForwardConfig>,
}

/// Response header naming the capture, also when the body is the app's.
pub const CAPTURE_HEADER: &str = "x-hookscope-capture";

struct Forwarding {
    target: Uri,
    respond: Respond,
    queue: ForwardQueue,
    events: EventFilter,
}

/// The intake: shared by every connection of a transport.
pub struct Intake {
    secrets: Vec<Secret>,
    tolerance_s: u64,
    writer: Writer,
    reports: ReportTx,
    forward: Option<Forwarding>,
}

impl Intake {
    /// Captures go to `writer`, reports to `reports`; a forward's attempt goes the same ways.
    /// Forwarding starts its queue on the current tokio runtime.
    pub fn new(cfg: IntakeConfig, writer: Writer, reports: ReportTx) -> Intake {
        let forward = cfg.forward.map(|f| Forwarding {
            queue: ForwardQueue::start(
                Recorder {
                    forwarder: f.forwarder,
                    attempts: Attempts::Writer(writer.clone()),
                    reports: Some(reports.clone()),
                },
                f.concurrency,
                writer.clone(),
            ),
            target: f.target,
            respond: f.respond,
            events: f.events,
        });
        Intake {
            secrets: cfg.secrets,
            tolerance_s: cfg.tolerance_s,
            writer,
            reports,
            forward,
        }
    }

    /// Takes one delivery in: build, verify, commit, report, then answer or forward.
    pub async fn receive(&self, received: Received) -> Answer {
        let peer = received.peer;
        // A relayed delivery is judged as of its arrival at the relay, however long it waited.
        let now_s = match &received.relay {
            Some(r) => r.received_at_ms.div_euclid(1000),
            None => chrono::Utc::now().timestamp(),
        };
        // The relay answered its sender long ago: nobody waits for the app's answer.
        let relayed = received.relay.is_some();
        let capture = build_capture(received, &self.secrets, self.tolerance_s, now_s);
        // Built before the capture moves to the writer: the body's one clone.
        let outgoing = match (&self.forward, &capture.rejected) {
            (Some(f), None) if f.events.forwards(capture.event.event_type.as_deref()) => {
                Some(forward_request(&capture, peer.map(|p| p.ip())))
            }
            _ => None,
        };
        let summary = capture.summary(0);
        let id = match self.writer.record(capture).await {
            Ok(id) => id,
            // Never acknowledge what is not stored: the sender will retry.
            Err(e) => {
                return json_answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"error": format!("capture not stored: {e}")}),
                )
            }
        };
        let summary = CaptureSummary { id, ..summary };
        if let Some(r) = &summary.rejected {
            let answer = rejected_answer(id, r);
            let _ = self.reports.send(Report::Captured(summary));
            return answer;
        }
        let forward = match (&self.forward, outgoing) {
            (Some(f), Some(out)) => Some((
                f,
                join_target(&f.target, &summary.path, summary.query.as_deref()),
                out,
            )),
            _ => None,
        };
        let _ = self.reports.send(Report::Captured(summary));
        let mut answer = match forward {
            None => json_answer(StatusCode::OK, json!({ "id": id })),
            Some((f, target, out)) => forward_and_answer(f, id, target, out, relayed).await,
        };
        if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
            answer.headers.insert(CAPTURE_HEADER, v);
        }
        answer
    }
}

/// Assembles and verifies a capture. Pure: everything it needs is passed in.
pub fn build_capture(
    received: Received,
    secrets: &[Secret],
    tolerance_s: u64,
    now_s: i64,
) -> Capture {
    let truncated = received.rejection.is_some();
    let event = if truncated {
        EventInfo::default()
    } else {
        EventInfo::inspect(&received.body)
    };
    let mut capture = Capture {
        received_at_ms: received.received_at_ms,
        method: received.method,
        path: received.path,
        query: received.query,
        headers: received.headers,
        body: received.body,
        body_size: received.body_size,
        truncated,
        rejected: received.rejection,
        peer: received.peer.map(|p| p.to_string()),
        source: received.source,
        relay: received.relay,
        event,
        // Judged just below, by the step import shares.
        verdict: Verdict::Unsigned,
        diagnostics: None,
    };
    verify(&mut capture, secrets, tolerance_s, now_s);
    capture
}

/// Sets the capture's verdict and diagnostics, its timestamp judged as of `now_s`.
pub fn verify(capture: &mut Capture, secrets: &[Secret], tolerance_s: u64, now_s: i64) {
    let (verdict, diagnostics) =
        verify_capture(&capture.headers, &capture.body, secrets, now_s, tolerance_s);
    capture.verdict = verdict;
    capture.diagnostics = diagnostics;
}

/// Forwards an accepted capture: the sender gets an ack at once, or the app's answer.
async fn forward_and_answer(
    f: &Forwarding,
    id: i64,
    target: Uri,
    out: Outgoing,
    relayed: bool,
) -> Answer {
    let shipment = Shipment::forward(id, out);
    let respond = if relayed { Respond::Ack } else { f.respond };
    match respond {
        Respond::Ack => {
            // The outcome is stored as an attempt and reported; nobody else waits for it.
            f.queue.push(target, shipment);
            json_answer(StatusCode::OK, json!({ "id": id }))
        }
        Respond::App => {
            let r = f.queue.send(&target, shipment).await;
            if let Err(e) = &r.stored {
                tracing::error!("attempt of capture {id} not stored: {e}");
            }
            match r.outcome {
                Ok(app) => mirror(app),
                Err(e) => json_answer(
                    StatusCode::from_u16(e.gateway_status()).unwrap_or(StatusCode::BAD_GATEWAY),
                    json!({"error": e.to_string(), "id": id, "target": target.to_string()}),
                ),
            }
        }
    }
}

/// The app's answer, passed back to the sender as through a tunnel.
fn mirror(app: AppResponse) -> Answer {
    let mut headers = HeaderMap::new();
    // The transport frames the body itself; the app's hop-by-hop headers describe another
    // connection.
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
    Answer {
        status: StatusCode::from_u16(app.status).unwrap_or(StatusCode::BAD_GATEWAY),
        headers,
        body: app.body,
    }
}

/// A rejected request is stored but refused, in JSON like every other answer; the connection
/// closes, its body left unread.
fn rejected_answer(id: i64, r: &Rejection) -> Answer {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut answer = json_answer(
        status,
        json!({"error": format!("{}; stored as capture {id}", r.reason), "id": id}),
    );
    answer
        .headers
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    answer
}

fn json_answer(status: StatusCode, body: serde_json::Value) -> Answer {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Answer {
        status,
        headers,
        body: Bytes::from(format!("{body}\n")),
    }
}

#[cfg(test)]
mod tests;
