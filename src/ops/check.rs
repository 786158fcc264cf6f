//! `check`, the go-live report card, as a use case: send the probes of [`crate::check`] to the
//! endpoint one after another and grade each answer. With a store, every probe is a capture
//! (source `check`) judged by the intake's own verification as of sending, and its answer is
//! recorded by [`Recorder`], the one send-and-record step live forwards and replays use.

use http::Uri;
use std::path::PathBuf;
use std::time::Duration;

use crate::capture::{now_ms, Capture, CaptureId, Source};
use crate::check::{self, build::Material, Answer, Probe, ProbeRequest, ProbeResult, Scheme};
use crate::forward::{AppResponse, ForwardError, Forwarder, Outgoing, Recorder, Shipment};
use crate::intake;
use crate::sample;
use crate::signature::{Secret, DEFAULT_TOLERANCE};
use crate::store::{StoreError, StoreWorker, WriteError};

/// Response body bytes kept for the report (the stored attempt keeps up to 1 MiB).
const ANSWER_HEAD_BYTES: usize = 256;

/// What a run needs, checked by the surface that asked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: Uri,
    pub scheme: Scheme,
    /// The endpoint's secrets: the current one first, the old one second while rotating.
    pub secrets: Vec<Secret>,
    pub body: BodySource,
    /// Answers slower than this fail the latency probe.
    pub deadline: Duration,
}

/// What the probes carry.
#[derive(Debug, Clone)]
pub enum BodySource {
    /// A built-in sample event, with fresh ids for every probe (checked when the settings
    /// were made: it builds).
    Sample { event: String },
    /// The same bytes for every probe.
    File { path: PathBuf, bytes: Vec<u8> },
}

impl BodySource {
    fn fresh(&self, now_ms: i64) -> Vec<u8> {
        match self {
            BodySource::Sample { event } => {
                sample::build(event, None, now_ms, &[]).unwrap_or_default()
            }
            BodySource::File { bytes, .. } => bytes.clone(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            BodySource::Sample { event } => format!("sample {event}, fresh ids per probe"),
            BodySource::File { path, .. } => format!("body from '{}'", path.display()),
        }
    }
}

/// Where probes are recorded: a store's connection and the recorder that stores attempts in it.
pub struct Recording {
    pub store: StoreWorker,
    pub recorder: Recorder,
}

/// A failure of the tool itself (the endpoint failing is a graded result, not this).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot store a probe: {0}")]
    Store(#[from] StoreError),
    #[error("cannot store a probe: {0}")]
    Write(#[from] WriteError),
}

/// What came of a run.
#[derive(Debug, Clone)]
pub struct Checked {
    pub results: Vec<ProbeResult>,
    /// The captures the probes were stored as, in the order sent.
    pub stored: Vec<CaptureId>,
}

/// Runs the plan in order; `report` sees each result as soon as it is graded. After a valid
/// probe that got no answer at all (refused, TLS), the rest are skipped: they would only
/// repeat the same error.
pub async fn run(
    s: &Settings,
    forwarder: &Forwarder,
    recording: Option<&Recording>,
    mut report: impl FnMut(&ProbeResult),
) -> Result<Checked, CheckError> {
    let other = loop {
        let (candidate, _) = Secret::generate_for(s.scheme);
        if !s.secrets.contains(&candidate) {
            break candidate;
        }
    };
    let base_headers = sample::delivery_headers();
    let body_is_json = serde_json::from_slice::<serde_json::Value>(&s.body.fresh(now_ms())).is_ok();
    let mut checked = Checked {
        results: Vec::new(),
        stored: Vec::new(),
    };
    let mut valid: Option<(ProbeRequest, Answer)> = None;
    let mut unreachable: Option<String> = None;
    for planned in check::plan(s.scheme, s.secrets.len(), body_is_json) {
        let probe = planned.probe;
        let result = if let Some(reason) = planned.skip {
            ProbeResult::skipped(probe, reason)
        } else if probe == Probe::Latency {
            let answer = valid.as_ref().map(|(_, a)| a.clone());
            ProbeResult {
                probe,
                sent: String::new(),
                grade: check::grade_latency(answer.as_ref(), s.deadline),
                answer,
            }
        } else if let Some(why) = &unreachable {
            ProbeResult::skipped(probe, format!("not sent: {why}"))
        } else {
            let at_ms = now_ms();
            let body = s.body.fresh(at_ms);
            let m = Material {
                body: &body,
                secrets: &s.secrets,
                other: &other,
                base_headers: &base_headers,
                now_s: at_ms.div_euclid(1000),
            };
            match check::request(probe, &m, valid.as_ref().map(|(r, _)| r)) {
                None => ProbeResult::skipped(probe, "not sent: the valid probe was not sent"),
                Some(request) => {
                    let (outcome, latency, id) =
                        send(s, forwarder, recording, &request, at_ms).await?;
                    checked.stored.extend(id);
                    let answer = answer_of(&outcome, latency);
                    if probe == Probe::Valid {
                        if let Answer::Failed { .. } = answer {
                            unreachable =
                                Some("the endpoint did not answer the valid probe".into());
                        }
                        valid = Some((request.clone(), answer.clone()));
                    }
                    ProbeResult {
                        probe,
                        sent: request.sent.clone(),
                        grade: check::grade(probe, &answer),
                        answer: Some(answer),
                    }
                }
            }
        };
        report(&result);
        checked.results.push(result);
    }
    Ok(checked)
}

type Sent = (
    Result<AppResponse, ForwardError>,
    Duration,
    Option<CaptureId>,
);

/// Sends one probe; with a store, first as a capture, then through the recorder.
async fn send(
    s: &Settings,
    forwarder: &Forwarder,
    recording: Option<&Recording>,
    request: &ProbeRequest,
    at_ms: i64,
) -> Result<Sent, CheckError> {
    let out = Outgoing {
        method: request.method.into(),
        headers: request.headers.clone(),
        body: request.body.clone().into(),
    };
    let Some(rec) = recording else {
        let (outcome, latency) = forwarder.send(&s.target, &out).await;
        return Ok((outcome, latency, None));
    };
    let capture = probe_capture(s, request, at_ms);
    let id = rec
        .store
        .call(move |st| st.insert_capture(&capture))
        .await??;
    let recorded = rec
        .recorder
        .record(&s.target, Shipment::probe(id, out))
        .await;
    recorded.stored?;
    let latency = Duration::from_millis(recorded.attempt.latency_ms.unwrap_or(0));
    Ok((recorded.outcome, latency, Some(id)))
}

/// A probe as the capture `listen` would have made of it, judged by the intake's own
/// verification as of sending.
pub fn probe_capture(s: &Settings, r: &ProbeRequest, at_ms: i64) -> Capture {
    let mut c = Capture::new(
        at_ms,
        r.method,
        s.target.path(),
        r.headers.clone(),
        r.body.clone(),
    );
    c.query = s.target.query().map(str::to_string);
    c.source = Source::Check;
    intake::verify(
        &mut c,
        &s.secrets,
        DEFAULT_TOLERANCE.as_secs(),
        at_ms.div_euclid(1000),
    );
    c
}

fn answer_of(outcome: &Result<AppResponse, ForwardError>, latency: Duration) -> Answer {
    match outcome {
        Ok(r) => Answer::Response {
            status: r.status,
            latency,
            body: r.body[..r.body.len().min(ANSWER_HEAD_BYTES)].to_vec(),
        },
        Err(ForwardError::Timeout { timeout, .. }) => Answer::Timeout { after: *timeout },
        Err(e) => Answer::Failed {
            error: e.to_string(),
            latency,
        },
    }
}
