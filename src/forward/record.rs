//! Sending one request for one capture and recording it: the attempt is stored and reported.
//! The one way an attempt is made: live forwards, `hookscope replay`, the TUI's replay keys and
//! `check`'s probes all come through [`Recorder::record`]. It does not decide what is sent (that is
//! [`super::request`]) and it answers no webhook sender (that is the intake).

use http::Uri;
use std::sync::Arc;
use std::time::Duration;

use super::request::replay_request;
use super::{AppResponse, ForwardError, Forwarder, Outgoing, ReplayPlan};
use crate::capture::{
    now_ms, Attempt, AttemptId, AttemptKind, Capture, CaptureId, MAX_STORED_RESPONSE_BODY,
};
use crate::report::{Report, ReportTx};
use crate::store::{StoreWorker, WriteError, Writer};

/// One request for one capture, and how it differs from the capture.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub capture_id: CaptureId,
    pub kind: AttemptKind,
    pub request: Outgoing,
    /// Whether the signature was replaced with a fresh one.
    pub resigned: bool,
    /// The body sent, when it is not the captured one; stored with the attempt.
    pub edited_body: Option<Vec<u8>>,
}

impl Shipment {
    /// A live delivery passed on as received.
    pub fn forward(capture_id: CaptureId, request: Outgoing) -> Shipment {
        Shipment {
            capture_id,
            kind: AttemptKind::Forward,
            request,
            resigned: false,
            edited_body: None,
        }
    }

    /// A probe of `hookscope check`, stored as capture `capture_id`, sent as built.
    pub fn probe(capture_id: CaptureId, request: Outgoing) -> Shipment {
        Shipment {
            capture_id,
            kind: AttemptKind::Check,
            request,
            resigned: false,
            edited_body: None,
        }
    }

    /// A stored capture sent again as `plan` says, signed (if at all) at `now_s`.
    pub fn replay(
        capture_id: CaptureId,
        capture: &Capture,
        plan: &ReplayPlan,
        now_s: i64,
    ) -> Shipment {
        Shipment {
            capture_id,
            kind: AttemptKind::Replay,
            request: replay_request(capture, plan, now_s),
            resigned: plan.resign_with.is_some(),
            edited_body: plan.body.clone(),
        }
    }
}

/// Where attempts are stored: the listener's group-commit writer while listening, else one
/// long-lived connection of their own.
#[derive(Clone)]
pub enum Attempts {
    Writer(Writer),
    Worker(StoreWorker),
}

impl Attempts {
    async fn store(&self, attempt: Arc<Attempt>) -> Result<AttemptId, WriteError> {
        match self {
            Attempts::Writer(w) => w.record_attempt(attempt).await,
            Attempts::Worker(w) => w
                .call(move |s| s.insert_attempt(&attempt))
                .await?
                .map_err(WriteError::from),
        }
    }
}

/// Everything an attempt goes through: the client, the store, and who hears about it.
#[derive(Clone)]
pub struct Recorder {
    pub forwarder: Forwarder,
    pub attempts: Attempts,
    /// `None` when nobody listens (the `replay` command prints instead).
    pub reports: Option<ReportTx>,
}

/// What came of one attempt.
#[derive(Debug)]
pub struct Recorded {
    /// What was stored (or failed to be).
    pub attempt: Arc<Attempt>,
    /// The app's whole answer, for a sender waiting on it (`--respond app`).
    pub outcome: Result<AppResponse, ForwardError>,
    pub stored: Result<AttemptId, WriteError>,
}

impl Recorder {
    /// Sends `shipment` to `target`, stores the attempt, then reports it.
    pub async fn record(&self, target: &Uri, shipment: Shipment) -> Recorded {
        self.record_holding(target, shipment, ()).await
    }

    /// [`Recorder::record`] holding `slot` (a forward queue's permit) only while the app is
    /// being asked: storing the attempt does not keep the app's next request waiting.
    pub async fn record_holding<S>(&self, target: &Uri, shipment: Shipment, slot: S) -> Recorded {
        let Shipment {
            capture_id,
            kind,
            request,
            resigned,
            edited_body,
        } = shipment;
        let at_ms = now_ms();
        let (outcome, latency) = self.forwarder.send(target, &request).await;
        drop(slot);
        let mut attempt = attempt_from(
            capture_id,
            kind,
            at_ms,
            target,
            resigned,
            edited_body,
            &outcome,
            latency,
        );
        // What a replay really sent, so exports pair the answer with its request.
        attempt.sent_headers = (kind == AttemptKind::Replay).then(|| request.headers.clone());
        let attempt = Arc::new(attempt);
        let stored = self.attempts.store(attempt.clone()).await;
        // A live forward is reported even when unstored: its capture's headless line waits for
        // it. A replay that was not stored is reported by its caller, as a failure.
        let report = stored.is_ok() || kind == AttemptKind::Forward;
        if let (Some(reports), true) = (&self.reports, report) {
            let _ = reports.send(Report::Attempted {
                capture_id,
                attempt: attempt.brief(),
                replay: kind == AttemptKind::Replay,
            });
        }
        Recorded {
            attempt,
            outcome,
            stored,
        }
    }
}

/// Turns the outcome of one send into the attempt stored for the capture.
#[allow(clippy::too_many_arguments)]
pub fn attempt_from(
    capture_id: CaptureId,
    kind: AttemptKind,
    at_ms: i64,
    target: &Uri,
    resigned: bool,
    sent_body: Option<Vec<u8>>,
    outcome: &Result<AppResponse, ForwardError>,
    latency: Duration,
) -> Attempt {
    let (status, response_headers, response_body, response_truncated, error) = match outcome {
        Ok(r) => {
            let keep = r.body.len().min(MAX_STORED_RESPONSE_BODY);
            (
                Some(r.status),
                r.headers.clone(),
                r.body[..keep].to_vec(),
                r.body.len() > keep,
                None,
            )
        }
        Err(e) => (None, Vec::new(), Vec::new(), false, Some(e.to_string())),
    };
    Attempt {
        capture_id,
        kind,
        at_ms,
        target: target.to_string(),
        resigned,
        sent_body,
        sent_headers: None,
        status,
        response_headers,
        response_body,
        response_truncated,
        latency_ms: Some(latency.as_millis() as u64),
        error,
    }
}

#[cfg(test)]
mod tests;
