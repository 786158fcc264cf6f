//! Replaying stored captures to the app: which captures a backlog takes, the one rule for
//! whether a replay is re-signed (decided here from each capture's own scheme and signature,
//! for the CLI and the TUI alike), where it goes, and the send-and-record step. Surfaces give
//! [`Settings`] and word the typed [`Replayed`], [`Outcome::Skipped`] and [`Refusal`] themselves.

use http::Uri;
use std::sync::Arc;

use crate::capture::{Attempt, Capture, CaptureId, Source};
use crate::forward::{replay_target, Recorder, ReplayPlan, Shipment, Signing};
use crate::hint::Hint;
use crate::query::Query;
use crate::signature::{secret_for, verify_capture, Scheme, Secret, Status, DEFAULT_TOLERANCE};
use crate::store::{ListQuery, Store, StoreError, StoreWorker, WriteError};

/// How replays are made, checked by the surface that asked.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Re-sign by the default rule, always, or never.
    pub signing: Signing,
    /// An edited body (always re-signed: the old signature cannot match it).
    pub body: Option<Vec<u8>>,
    /// Extra or replacing headers.
    pub headers: Vec<(String, String)>,
    /// Where replays go (a captured path is added unless the URL ends with it); `None`: each
    /// capture's last forward target.
    pub to: Option<Uri>,
    /// Re-sign a capture whose own signature failed (invalid or unsigned). Only ever for
    /// captures named one by one; a backlog never re-signs them.
    pub resign_failed: bool,
    /// The secrets that re-sign; each capture takes the first of its own scheme.
    pub secrets: Vec<Secret>,
}

/// Which captures to replay.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These, in this order, each asked for by id.
    Ids(Vec<CaptureId>),
    /// A backlog: real deliveries (live or relayed) whose latest answer from the app failed
    /// (`failed`), received at or after `since_ms`, and/or matching `query`.
    Backlog {
        failed: bool,
        since_ms: Option<i64>,
        query: Option<Query>,
    },
}

/// Why a capture's replay was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Never forwarded and no target given.
    NoTarget,
    /// Re-signing was asked for (or a body edited) and no secret of its scheme is loaded.
    NeedsSecret { scheme: Scheme },
    /// Re-signing was asked for, but the capture's own signature failed: re-signing it would
    /// make a body nobody signed pass.
    FailedSignature { status: Status },
    /// The target URL could not be used.
    BadTarget(String),
    /// Not in the store (any more).
    Missing,
}

impl Refusal {
    /// What to do about it, for the surface to word.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Refusal::NoTarget => Some(Hint::NoTarget),
            Refusal::NeedsSecret { scheme } => Some(Hint::PassSecret { scheme: *scheme }),
            Refusal::FailedSignature { .. } => Some(Hint::ResignFailed),
            Refusal::BadTarget(_) | Refusal::Missing => None,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoTarget => {
                f.write_str("it was never forwarded, so there is no target to replay to")
            }
            Refusal::NeedsSecret { scheme } => write!(
                f,
                "it is signed with {scheme}, but no {scheme} secret is loaded to re-sign it"
            ),
            Refusal::FailedSignature { status } => write!(
                f,
                "its own signature failed ({}), and re-signing it would make a body nobody signed pass",
                status.as_str()
            ),
            Refusal::BadTarget(why) => write!(f, "bad target: {why}"),
            Refusal::Missing => f.write_str("it is not in the store"),
        }
    }
}

/// Something worth saying about a replay that was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// Sent as captured because no secret of its scheme is loaded: a strict app sees a stale
    /// timestamp.
    NoSecret { scheme: Scheme },
    /// Sent as captured, not re-signed, because its own signature failed.
    FailedSignatureAsCaptured { status: Status },
    /// Re-signed although its own signature failed, because that was asked for.
    FailedSignatureResigned { status: Status },
}

impl Warning {
    pub fn hint(self) -> Option<Hint> {
        match self {
            Warning::NoSecret { scheme } => Some(Hint::PassSecret { scheme }),
            Warning::FailedSignatureAsCaptured { .. } => Some(Hint::ResignFailed),
            Warning::FailedSignatureResigned { .. } => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Warning::NoSecret { .. } => "no_secret",
            Warning::FailedSignatureAsCaptured { .. } => "failed_signature_as_captured",
            Warning::FailedSignatureResigned { .. } => "failed_signature_resigned",
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::NoSecret { scheme } => write!(
                f,
                "no {scheme} secret loaded, so it went as captured and a strict app sees a stale timestamp"
            ),
            Warning::FailedSignatureAsCaptured { status } => write!(
                f,
                "its own signature failed ({}), so it went as captured, not re-signed",
                status.as_str()
            ),
            Warning::FailedSignatureResigned { status } => write!(
                f,
                "re-signed on request although its own signature failed ({}): the app now accepts a body nobody signed",
                status.as_str()
            ),
        }
    }
}

/// Which secret re-signs a replay, when it is re-signed: the one that signed the capture
/// (named by its origin), or, when that one is not loaded, which was used instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resigned {
    /// The secret that matched the capture's own signature (or, for a capture pulled from
    /// Dataspike's history, its webhook's stored secret).
    Matched(String),
    /// The secret that signed it is not loaded (it matched a secret given another time, or a
    /// webhook whose secret is not stored): re-signed with this one, which the app may not
    /// hold.
    Instead {
        /// The secret used, by its origin.
        used: String,
        /// What is not loaded ("the secret that signed it", "webhook 01927ed4…'s secret").
        missing: String,
    },
}

impl Resigned {
    /// What to tell the user, if anything: only a secret used instead is news.
    pub fn note(&self) -> Option<String> {
        match self {
            Resigned::Matched(_) => None,
            Resigned::Instead { used, missing } => Some(format!(
                "{missing} is not loaded, so it was re-signed with {used} instead: an app that holds only the other secret rejects it"
            )),
        }
    }

    /// `{"matched"|"instead": label}` for `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Resigned::Matched(l) => serde_json::json!({"secret": l, "matched": true}),
            Resigned::Instead { used, missing } => {
                serde_json::json!({"secret": used, "matched": false, "missing": missing})
            }
        }
    }
}

/// What the rule decided for one capture.
#[derive(Debug, Clone)]
pub struct Decision {
    pub plan: ReplayPlan,
    pub target: Uri,
    pub warning: Option<Warning>,
    /// Which secret re-signs it, when it is re-signed.
    pub resigned: Option<Resigned>,
}

/// Whether a capture's own signature failed (invalid or unsigned). A capture judged without
/// a secret of its scheme is judged again, as of its arrival, with the secrets loaded now; a
/// stale signature is a real one, just old.
pub fn failed_signature(capture: &Capture, secrets: &[Secret]) -> Option<Status> {
    // Pulled from Dataspike's history: no signature, but authentic by where it came from
    // (Dataspike's API, with the account's token, over TLS).
    if capture.source == Source::Dataspike {
        return None;
    }
    let status = match capture.verdict.status() {
        Status::Unverified => {
            let at_s = capture
                .relay
                .as_ref()
                .map_or(capture.received_at_ms, |r| r.received_at_ms)
                .div_euclid(1000);
            let (v, _) = verify_capture(
                &capture.headers,
                &capture.body,
                secrets,
                at_s,
                DEFAULT_TOLERANCE.as_secs(),
            );
            v.status()
        }
        s => s,
    };
    matches!(status, Status::Invalid | Status::Unsigned).then_some(status)
}

/// The one re-signing rule, for every surface. By default a capture is re-signed with the
/// first loaded secret of its own scheme, else sent as captured (with a warning); an edited
/// body or `Signing::Resign` must be re-signed; `Signing::AsIs` never is. A capture whose own
/// signature failed is never re-signed unless `resign_failed` says so or its body was edited
/// (then with a warning).
pub fn decide(
    capture: &Capture,
    last_target: Option<&str>,
    s: &Settings,
) -> Result<Decision, Refusal> {
    let target = replay_target(s.to.as_ref(), last_target, capture)
        .map_err(Refusal::BadTarget)?
        .ok_or(Refusal::NoTarget)?;
    let scheme = Scheme::detect(&capture.headers);
    let must_resign = s.signing == Signing::Resign || s.body.is_some();
    let failed = match s.signing {
        Signing::AsIs => None,
        _ => failed_signature(capture, &s.secrets),
    };
    // An edited body is a new request the developer wrote: signing it is deliberate.
    let (signing, mut warning) = match failed {
        Some(status) if s.resign_failed || s.body.is_some() => (
            Signing::Resign,
            Some(Warning::FailedSignatureResigned { status }),
        ),
        Some(status) if must_resign => return Err(Refusal::FailedSignature { status }),
        Some(status) => (
            Signing::AsIs,
            Some(Warning::FailedSignatureAsCaptured { status }),
        ),
        None => (s.signing, None),
    };
    // An unsigned capture has no scheme of its own: it re-signs (when asked) in the default one.
    let (secret, choice) = resign_secret(capture, scheme, &s.secrets);
    let plan =
        ReplayPlan::new(signing, s.body.clone(), s.headers.clone(), secret).map_err(|_| {
            Refusal::NeedsSecret {
                scheme: scheme.unwrap_or_default(),
            }
        })?;
    if plan.as_is_without_secret {
        warning = Some(Warning::NoSecret {
            scheme: scheme.unwrap_or_default(),
        });
    }
    let resigned = plan.resign_with.as_ref().and(choice);
    Ok(Decision {
        plan,
        target,
        warning,
        resigned,
    })
}

/// The secret that re-signs `capture` (of `scheme`, `None` when unsigned) and how to name the
/// choice. The one that signed it, when it is among `secrets` (whatever its age); for a
/// capture pulled from Dataspike's history, its webhook's stored current secret; else the
/// first of its scheme (`secret_for`), said as used instead of the missing one.
fn resign_secret<'s>(
    capture: &Capture,
    scheme: Option<Scheme>,
    secrets: &'s [Secret],
) -> (Option<&'s Secret>, Option<Resigned>) {
    let now = crate::capture::now_ms();
    let label = |i: usize, s: &Secret| s.origin().name(i, now);
    let fallback = secret_for(Some(scheme.unwrap_or_default()), secrets);
    let fallback_label = || {
        let s = fallback?;
        let i = secrets.iter().position(|x| std::ptr::eq(x, s))?;
        Some(label(i, s))
    };
    if capture.source == Source::Dataspike {
        let webhook = capture
            .dataspike
            .as_ref()
            .and_then(|d| d.webhook_id.clone())
            .or_else(|| webhook_of(&capture.body));
        let stored = webhook.as_deref().and_then(|w| {
            secrets.iter().enumerate().find(|(_, s)| {
                matches!(s.origin(), crate::signature::Origin::Stored(o)
                    if o.webhook_id == w && o.rotated_ms.is_none())
            })
        });
        return match stored {
            Some((i, s)) => (Some(s), Some(Resigned::Matched(label(i, s)))),
            None => (
                fallback,
                fallback_label().map(|used| Resigned::Instead {
                    used,
                    missing: match &webhook {
                        Some(w) => {
                            format!("the secret of webhook {}", crate::signature::short_id(w))
                        }
                        None => "the secret of its webhook (the entry names none)".into(),
                    },
                }),
            ),
        };
    }
    // Which loaded secret signed it, whatever its age.
    let (v, _) = verify_capture(&capture.headers, &capture.body, secrets, 0, 0);
    if let Some(i) = v.secret_index() {
        if let Some(s) = secrets.get(i) {
            return (Some(s), Some(Resigned::Matched(label(i, s))));
        }
    }
    // Signed, by a secret not loaded now (or its signature failed: the warnings say that).
    let signed_unknown = scheme.is_some()
        && matches!(
            capture.verdict.status(),
            Status::Valid | Status::Stale | Status::Unverified
        );
    let choice = match (signed_unknown, fallback_label()) {
        (true, Some(used)) => Some(Resigned::Instead {
            used,
            missing: "the secret that signed it".into(),
        }),
        (_, Some(used)) => Some(Resigned::Matched(used)),
        _ => None,
    };
    (fallback, choice)
}

/// The envelope's `webhook_id`, when the body is a Dataspike event.
fn webhook_of(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("webhook_id")?.as_str().map(str::to_string)
}

/// Why a backlog left a capture out before anything was decided for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    /// A probe `check` sent: not a delivery.
    Probe,
    /// Its own signature failed: a backlog never re-signs a forged or unsigned request.
    FailedSignature,
}

/// The captures a selection names, and how many of a backlog's were left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picked {
    pub ids: Vec<CaptureId>,
    pub probes: usize,
    pub failed_signatures: usize,
}

/// Reads the ids a selection names. A backlog holds real deliveries only: `check`'s probes
/// and captures whose own signature failed are counted, not taken.
pub fn pick(store: &Store, sel: &Selection, secrets: &[Secret]) -> Result<Picked, StoreError> {
    let (failed, since_ms, query) = match sel {
        Selection::Ids(ids) => {
            return Ok(Picked {
                ids: ids.clone(),
                ..Picked::default()
            })
        }
        Selection::Backlog {
            failed,
            since_ms,
            query,
        } => (*failed, *since_ms, query),
    };
    let mut ids = match failed {
        true => store.failed_ids(since_ms)?,
        false => Vec::new(),
    };
    if let Some(query) = query {
        let matching: Vec<CaptureId> = store
            .list(&ListQuery {
                query: query.clone(),
                ascending: true,
                ..ListQuery::default()
            })?
            .into_iter()
            .map(|s| s.id)
            .collect();
        ids = match failed {
            true => ids
                .into_iter()
                .filter(|id| matching.binary_search(id).is_ok())
                .collect(),
            false => matching,
        };
    }
    let mut picked = Picked::default();
    for id in ids {
        // The summary says most of it without reading the body; only a capture judged without
        // its scheme's secret is read whole, to be judged again with today's.
        let Some(summary) = store.summary(id)? else {
            continue;
        };
        let why = match (summary.source, summary.verdict.status()) {
            (Source::Check, _) => Some(LeftOut::Probe),
            (Source::Dataspike, _) => None,
            (_, Status::Invalid | Status::Unsigned) => Some(LeftOut::FailedSignature),
            (_, Status::Unverified) => match store.get(id)? {
                Some(stored) => left_out(&stored.capture, secrets),
                None => continue,
            },
            _ => None,
        };
        match why {
            Some(LeftOut::Probe) => picked.probes += 1,
            Some(LeftOut::FailedSignature) => picked.failed_signatures += 1,
            None => picked.ids.push(id),
        }
    }
    Ok(picked)
}

/// Whether a backlog leaves this capture out.
pub fn left_out(capture: &Capture, secrets: &[Secret]) -> Option<LeftOut> {
    if capture.source == Source::Check {
        return Some(LeftOut::Probe);
    }
    failed_signature(capture, secrets).map(|_| LeftOut::FailedSignature)
}

/// One replay that went out.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub id: CaptureId,
    pub target: Uri,
    pub attempt: Arc<Attempt>,
    pub warning: Option<Warning>,
    /// Which secret re-signed it, when it was re-signed.
    pub resigned: Option<Resigned>,
    /// Whether the app's answer counts as success (2xx).
    pub succeeded: bool,
}

/// What came of one capture of a replay.
#[derive(Debug)]
pub enum Outcome {
    Sent(Replayed),
    /// Not sent, and why.
    Skipped {
        id: CaptureId,
        why: Refusal,
    },
}

/// A failure of the tool itself while replaying (not of the app, not of one capture).
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read the capture from the store: {0}")]
    Read(#[from] StoreError),
    #[error("the database thread stopped: {0}")]
    Worker(#[from] WriteError),
    #[error("the replay of #{id} was sent but its attempt was not stored: {source}")]
    NotStored { id: CaptureId, source: WriteError },
}

/// Reads, decides, sends and records one capture's replay. A capture the rule refuses is an
/// `Outcome::Skipped`, not an error: a batch goes on.
pub async fn replay_one(
    store: &StoreWorker,
    recorder: &Recorder,
    id: CaptureId,
    s: &Settings,
) -> Result<Outcome, ReplayError> {
    let (stored, last) = store
        .call(move |st| {
            let stored = st.get(id)?;
            let last = st.last_forward_target(id)?;
            Ok::<_, StoreError>((stored, last))
        })
        .await??;
    let Some(stored) = stored else {
        return Ok(Outcome::Skipped {
            id,
            why: Refusal::Missing,
        });
    };
    let decision = match decide(&stored.capture, last.as_deref(), s) {
        Ok(d) => d,
        Err(why) => return Ok(Outcome::Skipped { id, why }),
    };
    let shipment = Shipment::replay(
        id,
        &stored.capture,
        &decision.plan,
        chrono::Utc::now().timestamp(),
    );
    let recorded = recorder.record(&decision.target, shipment).await;
    recorded
        .stored
        .map_err(|source| ReplayError::NotStored { id, source })?;
    let succeeded = recorded.attempt.succeeded();
    Ok(Outcome::Sent(Replayed {
        id,
        target: decision.target,
        attempt: recorded.attempt,
        warning: decision.warning,
        resigned: decision.resigned,
        succeeded,
    }))
}

/// How a batch went: the exit code says whether everything sent got a 2xx.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Sent(r) => {
                self.sent += 1;
                if !r.succeeded {
                    self.failed += 1;
                }
            }
            Outcome::Skipped { .. } => self.skipped += 1,
        }
    }
}

pub mod schedule;

#[cfg(test)]
mod tests;
