//! The one way a delivery comes in: build the capture from what a transport received, verify
//! it, commit it, report it, then answer (an ack, the app's answer when forwarding, the
//! rejection, or a status chosen in advance for the first deliveries of each event, given
//! after its delay instead of forwarding: `crate::chosen`). Each capture records how its sender
//! was answered. The transport (`listener`, later a relay client) only turns its wire format into
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

use crate::capture::{
    Answered, Capture, CaptureSummary, EventInfo, RawRequest, Rejection, RelayOrigin, Source,
};
use crate::chosen::{Chosen, ChosenAnswer, Tally};
use crate::forward::{
    forward_request, AppResponse, Attempts, ForwardError, ForwardQueue, Forwarder, Outgoing,
    Recorder, Shipment,
};
use crate::headers::{set_header, HopByHop};
use crate::report::{Report, ReportTx};
pub use crate::routes::EventFilter;
use crate::routes::RouteTable;
use crate::signature::{verify_capture, Secret, Verdict};
use crate::store::Writer;

/// A delivery as a transport received it, before hookscope judged it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// As received; only the first bytes of the body when rejected as too large.
    pub request: RawRequest,
    /// Why the transport did not take the request whole (too large, too slow, broken).
    pub rejection: Option<Rejection>,
    pub peer: Option<SocketAddr>,
    /// Milliseconds since the Unix epoch, UTC, when the request began to arrive.
    pub received_at_ms: i64,
    pub source: Source,
    /// For a delivery that came through a relay: where it sits there.
    pub relay: Option<RelayOrigin>,
}

impl std::ops::Deref for Received {
    type Target = RawRequest;

    fn deref(&self) -> &RawRequest {
        &self.request
    }
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

/// Where accepted deliveries are forwarded and who answers their sender.
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    /// The first route that takes a delivery forwards it; one no route takes is captured and
    /// answered, not forwarded. `--forward-to` is one catch-all route.
    pub routes: RouteTable<Forwarder>,
    pub respond: Respond,
    /// Requests in flight to each route's app at once; more wait in arrival order.
    pub concurrency: usize,
}

impl ForwardConfig {
    /// The client replays use when they go through the live forward's settings: the first
    /// route's (every route gets the same timeout and trusted CAs).
    pub fn forwarder(&self) -> Option<&Forwarder> {
        self.routes.routes().first().map(|r| &r.with)
    }

    /// The one base URL replays go to, when every delivery goes to one place.
    pub fn single_target(&self) -> Option<&Uri> {
        match self.routes.routes() {
            [only] if only.rule.prefix() == "/" && !only.strip_prefix => Some(&only.target),
            _ => None,
        }
    }
}

/// How deliveries are judged and passed on.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub secrets: Vec<Secret>,
    pub tolerance_s: u64,
    pub forward: Option<ForwardConfig>,
    /// A status to answer by choice to the first deliveries of each event, for deliveries no
    /// route with a chosen answer of its own takes; `None`: answer as usual.
    pub chosen: Option<Chosen>,
}

/// Response header naming the capture, also when the body is the app's.
pub const CAPTURE_HEADER: &str = "x-hookscope-capture";

struct Forwarding {
    routes: RouteTable<ForwardQueue>,
    respond: Respond,
}

/// The intake: shared by every connection of a transport.
pub struct Intake {
    secrets: Vec<Secret>,
    tolerance_s: u64,
    writer: Writer,
    reports: ReportTx,
    forward: Option<Forwarding>,
    chosen: Option<Chosen>,
    /// Deliveries of each event so far, for chosen answers.
    tally: std::sync::Mutex<Tally>,
}

impl Intake {
    /// Captures go to `writer`, reports to `reports`; a forward's attempt goes the same ways.
    /// Forwarding starts its queue on the current tokio runtime.
    pub fn new(cfg: IntakeConfig, writer: Writer, reports: ReportTx) -> Intake {
        let forward = cfg.forward.map(|f| Forwarding {
            routes: f.routes.map(|r| {
                ForwardQueue::start(
                    Recorder {
                        forwarder: r.with.clone(),
                        attempts: Attempts::Writer(writer.clone()),
                        reports: Some(reports.clone()),
                    },
                    f.concurrency,
                    writer.clone(),
                )
            }),
            respond: f.respond,
        });
        Intake {
            secrets: cfg.secrets,
            tolerance_s: cfg.tolerance_s,
            writer,
            reports,
            forward,
            chosen: cfg.chosen,
            tally: std::sync::Mutex::new(Tally::default()),
        }
    }

    /// Whether this delivery gets a chosen answer: the route's rule, else the listener's,
    /// applied to its number among its event's deliveries. Never for a relayed delivery (the
    /// relay answered it) or a refused one.
    fn choose(
        &self,
        capture: &Capture,
        rule: Option<&Chosen>,
        relayed: bool,
    ) -> Option<ChosenAnswer> {
        if relayed || capture.rejected.is_some() {
            return None;
        }
        let rule = rule.or(self.chosen.as_ref())?;
        let n = match self.tally.lock() {
            Ok(mut t) => t.next(capture.event_key.as_deref()),
            // A panic elsewhere while counting: count on from what it left.
            Err(poisoned) => poisoned.into_inner().next(capture.event_key.as_deref()),
        };
        rule.answer(n)
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
        let mut capture = build_capture(received, &self.secrets, self.tolerance_s, now_s);
        let route = match (&self.forward, &capture.rejected) {
            (Some(f), None) => f.routes.pick(
                &capture.path,
                capture.verdict.scheme(),
                capture.event.event_type.as_deref(),
            ),
            _ => None,
        };
        let chosen = self.choose(&capture, route.and_then(|r| r.respond.as_ref()), relayed);
        // A chosen answer stands for the app failing: nothing is forwarded.
        let route = route.filter(|_| chosen.is_none());
        capture.route = route.map(|r| r.name.clone());
        capture.answered = match (chosen, &self.forward, route) {
            // The relay answered; a refusal is its `rejected` status.
            _ if relayed || capture.rejected.is_some() => None,
            (Some(c), _, _) => Some(Answered::Chosen {
                status: c.status,
                delay_ms: c.delay.as_millis().min(u64::MAX as u128) as u64,
            }),
            (None, Some(f), Some(_)) if f.respond == Respond::App => Some(Answered::App),
            _ => Some(Answered::Ack),
        };
        // Built before the capture moves to the writer: the body's one clone.
        let outgoing = route.map(|r| {
            let mut out = forward_request(&capture, peer.map(|p| p.ip()));
            for (name, value) in &r.headers {
                set_header(&mut out.headers, name, value.as_bytes().to_vec());
            }
            (r, out)
        });
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
            (Some(f), Some((route, out))) => Some((
                f.respond,
                &route.with,
                route.url_for(&summary.path, summary.query.as_deref()),
                out,
            )),
            _ => None,
        };
        let _ = self.reports.send(Report::Captured(summary));
        let mut answer = match (chosen, forward) {
            (Some(c), _) => {
                tokio::time::sleep(c.delay).await;
                let status =
                    StatusCode::from_u16(c.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                json_answer(status, json!({ "id": id, "chosen": true }))
            }
            (None, None) => json_answer(StatusCode::OK, json!({ "id": id })),
            (None, Some((respond, queue, target, out))) => {
                // The relay answered its sender long ago: nobody waits for the app's answer.
                let respond = if relayed { Respond::Ack } else { respond };
                forward_and_answer(respond, queue, id, target, out).await
            }
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
        EventInfo::inspect(&received.request.body)
    };
    let mut capture = Capture {
        request: received.request,
        received_at_ms: received.received_at_ms,
        truncated,
        rejected: received.rejection,
        peer: received.peer.map(|p| p.to_string()),
        source: received.source,
        relay: received.relay,
        dataspike: None,
        event,
        // Judged just below, by the step import shares.
        verdict: Verdict::Unsigned,
        diagnostics: None,
        // Picked by the intake once the verdict's scheme is known.
        route: None,
        event_key: None,
        // Decided by the intake, with the route.
        answered: None,
    };
    capture.event_key = crate::redelivery::event_key(&capture.request, &capture.event);
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
    respond: Respond,
    queue: &ForwardQueue,
    id: i64,
    target: Uri,
    out: Outgoing,
) -> Answer {
    let shipment = Shipment::forward(id, out);
    match respond {
        Respond::Ack => {
            // The outcome is stored as an attempt and reported; nobody else waits for it.
            queue.push(target, shipment);
            json_answer(StatusCode::OK, json!({ "id": id }))
        }
        Respond::App => {
            let r = queue.send(&target, shipment).await;
            if let Err(e) = &r.stored {
                tracing::error!("attempt of capture {id} not stored: {e}");
            }
            match r.outcome {
                Ok(app) => mirror(app),
                Err(e) => json_answer(
                    gateway_status(&e),
                    json!({"error": e.to_string(), "id": id, "target": target.to_string()}),
                ),
            }
        }
    }
}

/// What a sender waiting on the app is answered when the app gave no answer: a gateway that
/// waited too long (504), or one that could not get an answer at all (502). The intake decides
/// what senders are answered; forwarding only reports what happened.
fn gateway_status(e: &ForwardError) -> StatusCode {
    match e {
        ForwardError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// The status a sender waiting on the app got, from its forward attempt's stored error (the
/// app gave no answer): [`gateway_status`]'s choice, read back from the error's words.
pub(crate) fn gateway_status_of(error: &str) -> u16 {
    let timed_out = error.starts_with("no answer from ");
    if timed_out {
        StatusCode::GATEWAY_TIMEOUT.as_u16()
    } else {
        StatusCode::BAD_GATEWAY.as_u16()
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
