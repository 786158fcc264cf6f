//! Grading an endpoint's answer to a probe: PASS, FAIL with what it means and how to fix it in
//! one sentence, or skipped. Pure.

use crate::hint::Hint;
use std::time::Duration;

use super::{Expect, Probe};

/// What came back for one probe.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// An HTTP answer; `body` holds at least the first bytes of the response body.
    Response {
        status: u16,
        latency: Duration,
        body: Vec<u8>,
    },
    /// No answer within the client's timeout.
    Timeout { after: Duration },
    /// No answer at all: connection refused, TLS failure, broken HTTP.
    Failed { error: String, latency: Duration },
}

impl Answer {
    pub fn status(&self) -> Option<u16> {
        match self {
            Answer::Response { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn latency(&self) -> Duration {
        match self {
            Answer::Response { latency, .. } | Answer::Failed { latency, .. } => *latency,
            Answer::Timeout { after } => *after,
        }
    }
}

/// Why a probe failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A good delivery got a 4xx.
    Refused,
    /// A good delivery got a 5xx.
    ServerError,
    /// A bad delivery got a 2xx.
    Accepted,
    /// A bad delivery got a 5xx: the sender will retry it.
    Crashed,
    /// A 3xx: redirects are not followed.
    Redirected,
    /// A status that fits nothing above (1xx, out of range).
    Unexpected,
    /// No answer within the timeout.
    TimedOut,
    /// No answer at all (refused, TLS, broken HTTP).
    NoAnswer,
    /// The valid probe's answer came after the deadline.
    Slow,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Refused => "refused",
            Failure::ServerError => "server_error",
            Failure::Accepted => "accepted",
            Failure::Crashed => "crashed",
            Failure::Redirected => "redirected",
            Failure::Unexpected => "unexpected_status",
            Failure::TimedOut => "timeout",
            Failure::NoAnswer => "no_answer",
            Failure::Slow => "slow",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grade {
    Pass,
    Fail(Failure),
    Skip(String),
}

/// One line of the report card.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    pub probe: Probe,
    /// What was sent, in words (empty when nothing was).
    pub sent: String,
    pub answer: Option<Answer>,
    pub grade: Grade,
}

impl ProbeResult {
    pub fn skipped(probe: Probe, reason: impl Into<String>) -> ProbeResult {
        ProbeResult {
            probe,
            sent: String::new(),
            answer: None,
            grade: Grade::Skip(reason.into()),
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.grade, Grade::Fail(_))
    }
}

/// Grades the answer to a probe that sent a request (every probe but `latency`).
pub fn grade(probe: Probe, answer: &Answer) -> Grade {
    let status = match answer {
        Answer::Timeout { .. } => return Grade::Fail(Failure::TimedOut),
        Answer::Failed { .. } => return Grade::Fail(Failure::NoAnswer),
        Answer::Response { status, .. } => *status,
    };
    let fail = |f| Grade::Fail(f);
    match (probe.expects(), status) {
        (_, 300..=399) if probe.expects() != Expect::Refuse => fail(Failure::Redirected),
        (Expect::Accept, 200..=299) => Grade::Pass,
        (Expect::Accept, 400..=499) => fail(Failure::Refused),
        (Expect::Accept, 500..=599) => fail(Failure::ServerError),
        (Expect::Reject, 400..=499) => Grade::Pass,
        (Expect::Reject | Expect::Refuse, 200..=299) => fail(Failure::Accepted),
        (Expect::Reject | Expect::Refuse, 500..=599) => fail(Failure::Crashed),
        (Expect::Refuse, 300..=499) => Grade::Pass,
        _ => fail(Failure::Unexpected),
    }
}

/// Grades `latency` from the valid probe's answer.
pub fn grade_latency(valid: Option<&Answer>, deadline: Duration) -> Grade {
    match valid {
        Some(Answer::Response { latency, .. }) if *latency <= deadline => Grade::Pass,
        Some(Answer::Response { .. }) => Grade::Fail(Failure::Slow),
        Some(Answer::Timeout { .. }) => Grade::Fail(Failure::TimedOut),
        Some(Answer::Failed { .. }) => Grade::Fail(Failure::NoAnswer),
        None => Grade::Skip("the valid probe was not sent".into()),
    }
}

/// What the developer can do in hookscope about a failure, beside fixing the handler.
pub fn hint(probe: Probe, failure: Failure) -> Option<Hint> {
    match (failure, probe) {
        (Failure::Redirected, _) => Some(Hint::FinalUrl),
        (Failure::NoAnswer, Probe::Valid | Probe::Latency) => Some(Hint::TrustCert),
        _ => None,
    }
}

/// What a failure means and how to fix it, in one sentence.
pub fn explain(probe: Probe, failure: Failure) -> &'static str {
    use Failure as F;
    use Probe as P;
    match (failure, probe) {
        (F::Crashed, P::WrongMethod) => "Your handler crashed on a GET: answer 405 to any method but POST before reading the body.",
        (F::Crashed, P::Malformed) => "Your handler crashed on a garbage signature header and the sender will retry it: treat any header that does not parse as invalid and answer 400.",
        (F::Crashed, _) => "Your handler crashed on a bad signature and the sender will retry it: answer 400 (or 401) when verification fails, never let it throw.",
        (F::Accepted, P::Stale) => "Your handler accepts old deliveries, so a captured one can be replayed forever: reject when t is more than 300 s before now.",
        (F::Accepted, P::Future) => "Your handler accepts timestamps far in the future, which stay replayable until then: reject when t is more than 300 s from now in either direction.",
        (F::Accepted, P::WrongSecret) => "Your handler accepts a signature made with another secret, so it does not really verify: compare the HMAC under your secret in constant time and reject a mismatch.",
        (F::Accepted, P::Tampered) => "Your handler accepts a body that differs from what was signed: compute the HMAC over the raw body bytes and reject a mismatch.",
        (F::Accepted, P::Reserialized) => "Your handler verifies re-serialized JSON instead of the raw bytes, so real deliveries formatted differently will fail: compute the HMAC over the request body exactly as received, before parsing it.",
        (F::Accepted, P::Unsigned) => "Your handler accepts a delivery with no signature at all: reject a request without X-Webhook-Signature with 400 or 401.",
        (F::Accepted, P::Malformed) => "Your handler accepts a signature header that does not even parse: reject it with 400.",
        (F::Accepted, P::WrongMethod) => "Your endpoint answers a GET with 2xx, so anything that probes it looks like a delivered webhook: accept only POST and answer 405 otherwise.",
        (F::Accepted, _) => "Your handler accepts a delivery it should reject: verify the signature before acting on the body.",
        (F::Refused, P::Duplicate) | (F::ServerError, P::Duplicate) => "Your handler is not idempotent: the sender retries a delivery it is unsure about, so answer 2xx for an id you already processed and skip the work.",
        (F::Refused, P::Rotation) | (F::ServerError, P::Rotation) => "Your handler rejects the old secret while rotating: verify against the new and the old secret until every sender uses the new one.",
        (F::Refused, _) => "Your handler rejects a correctly signed delivery: compute HMAC-SHA256 of \"{t}.{raw body}\" with the hex key after 'whsec_' and compare it with v1 (hookscope listen shows the expected digest).",
        (F::ServerError, _) => "Your handler fails on a correctly signed delivery and the sender will retry it: see your server log for this request.",
        (F::Redirected, _) => "The endpoint answered with a redirect, which senders do not follow: point the endpoint's URL (and the webhook URL) at the final URL (https, or the trailing slash it wants).",
        (F::Unexpected, _) => "The endpoint answered with a status that is neither success nor error: answer 2xx to a good delivery and 4xx to a bad one.",
        (F::TimedOut, _) => "No answer arrived in time, so the sender would give up and retry: answer within a few seconds and do slow work after answering.",
        (F::NoAnswer, P::Valid | P::Latency) => "The endpoint could not be reached: check the URL, that the server runs, and for https its certificate.",
        (F::NoAnswer, P::Duplicate | P::Rotation) => "The endpoint answered the valid probe but dropped this one without an answer, so its handler probably died on it: see your server log for this request.",
        (F::NoAnswer, P::WrongMethod) => "The endpoint dropped a GET without an answer, so its handler probably died on it: answer 405 to any method but POST.",
        (F::NoAnswer, _) => "The endpoint answered the valid probe but dropped this one without an answer, so its handler probably died on it and the sender will retry it: answer 4xx when verification fails.",
        (F::Slow, _) => "The endpoint answers more slowly than the deadline, and Dataspike asks for 200 within a few seconds: acknowledge first and do slow work in the background.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, ms: u64) -> Answer {
        Answer::Response {
            status,
            latency: Duration::from_millis(ms),
            body: Vec::new(),
        }
    }

    #[test]
    fn good_deliveries_pass_on_2xx_only() {
        assert_eq!(grade(Probe::Valid, &resp(200, 1)), Grade::Pass);
        assert_eq!(grade(Probe::Valid, &resp(204, 1)), Grade::Pass);
        assert_eq!(
            grade(Probe::Valid, &resp(401, 1)),
            Grade::Fail(Failure::Refused)
        );
        assert_eq!(
            grade(Probe::Duplicate, &resp(500, 1)),
            Grade::Fail(Failure::ServerError)
        );
        assert_eq!(
            grade(Probe::Valid, &resp(301, 1)),
            Grade::Fail(Failure::Redirected)
        );
    }

    #[test]
    fn bad_deliveries_pass_on_4xx_and_5xx_is_its_own_failure() {
        for p in [
            Probe::Stale,
            Probe::Future,
            Probe::WrongSecret,
            Probe::Tampered,
            Probe::Reserialized,
            Probe::Unsigned,
            Probe::Malformed,
        ] {
            assert_eq!(grade(p, &resp(400, 1)), Grade::Pass, "{p:?}");
            assert_eq!(grade(p, &resp(401, 1)), Grade::Pass, "{p:?}");
            assert_eq!(grade(p, &resp(200, 1)), Grade::Fail(Failure::Accepted));
            assert_eq!(grade(p, &resp(500, 1)), Grade::Fail(Failure::Crashed));
            assert_eq!(grade(p, &resp(302, 1)), Grade::Fail(Failure::Redirected));
            assert_eq!(grade(p, &resp(101, 1)), Grade::Fail(Failure::Unexpected));
        }
    }

    #[test]
    fn wrong_method_passes_on_anything_but_2xx_and_5xx() {
        assert_eq!(grade(Probe::WrongMethod, &resp(405, 1)), Grade::Pass);
        assert_eq!(grade(Probe::WrongMethod, &resp(404, 1)), Grade::Pass);
        assert_eq!(grade(Probe::WrongMethod, &resp(301, 1)), Grade::Pass);
        assert_eq!(
            grade(Probe::WrongMethod, &resp(200, 1)),
            Grade::Fail(Failure::Accepted)
        );
        assert_eq!(
            grade(Probe::WrongMethod, &resp(503, 1)),
            Grade::Fail(Failure::Crashed)
        );
    }

    #[test]
    fn timeouts_and_errors_are_never_a_status() {
        let t = Answer::Timeout {
            after: Duration::from_secs(10),
        };
        assert_eq!(grade(Probe::Stale, &t), Grade::Fail(Failure::TimedOut));
        assert_eq!(t.status(), None);
        let e = Answer::Failed {
            error: "refused".into(),
            latency: Duration::ZERO,
        };
        assert_eq!(grade(Probe::Valid, &e), Grade::Fail(Failure::NoAnswer));
    }

    #[test]
    fn latency_against_the_deadline() {
        let d = Duration::from_millis(300);
        assert_eq!(grade_latency(Some(&resp(200, 300)), d), Grade::Pass);
        assert_eq!(
            grade_latency(Some(&resp(500, 301)), d),
            Grade::Fail(Failure::Slow)
        );
        assert!(matches!(grade_latency(None, d), Grade::Skip(_)));
    }

    #[test]
    fn every_failure_has_one_sentence() {
        let failures = [
            Failure::Refused,
            Failure::ServerError,
            Failure::Accepted,
            Failure::Crashed,
            Failure::Redirected,
            Failure::Unexpected,
            Failure::TimedOut,
            Failure::NoAnswer,
            Failure::Slow,
        ];
        for p in Probe::ALL {
            for f in failures {
                let s = explain(p, f);
                assert!(s.ends_with('.') && s.contains(':'), "{p:?} {f:?}: {s}");
                assert_eq!(s.matches(". ").count(), 0, "one sentence: {s}");
            }
        }
        assert!(explain(Probe::Stale, Failure::Crashed).contains("will retry"));
    }
}
