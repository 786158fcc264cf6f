//! `hookscope check`: the go-live report card for a webhook endpoint. This module is the pure
//! core: which probes a scheme runs ([`plan`]), the request each probe sends
//! ([`build::request`]), how an answer is graded ([`mod@grade`]) and the reports ([`report`]).
//! Sync, no I/O, the clock a parameter; sending and storing live in `commands/check.rs`.

pub mod build;
pub mod grade;
pub mod report;

pub use build::{request, ProbeRequest};
pub use grade::{grade, grade_latency, Answer, Grade, ProbeResult};

use std::time::Duration;

pub use crate::signature::Scheme;

/// How far from now the `stale` and `future` probes put `t`: twice the 300 s tolerance most
/// verifiers use, so a handler that checks the timestamp at all rejects them.
pub const SKEW: Duration = Duration::from_secs(600);

/// Header naming the probe on every request, so the endpoint's logs and the stored capture say
/// which probe it was.
pub const PROBE_HEADER: &str = "X-Hookscope-Check";

/// One thing `check` tries, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    Valid,
    Duplicate,
    Rotation,
    Stale,
    Future,
    WrongSecret,
    Tampered,
    Reserialized,
    Unsigned,
    Malformed,
    WrongMethod,
    Latency,
}

/// What a passing endpoint does with a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Answers 2xx.
    Accept,
    /// Answers 4xx.
    Reject,
    /// Answers neither 2xx nor 5xx.
    Refuse,
    /// The valid probe's answer came within the deadline (nothing extra is sent).
    InTime,
}

impl Probe {
    pub const ALL: [Probe; 12] = [
        Probe::Valid,
        Probe::Duplicate,
        Probe::Rotation,
        Probe::Stale,
        Probe::Future,
        Probe::WrongSecret,
        Probe::Tampered,
        Probe::Reserialized,
        Probe::Unsigned,
        Probe::Malformed,
        Probe::WrongMethod,
        Probe::Latency,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Probe::Valid => "valid",
            Probe::Duplicate => "duplicate",
            Probe::Rotation => "rotation",
            Probe::Stale => "stale",
            Probe::Future => "future",
            Probe::WrongSecret => "wrong_secret",
            Probe::Tampered => "tampered",
            Probe::Reserialized => "reserialized",
            Probe::Unsigned => "unsigned",
            Probe::Malformed => "malformed",
            Probe::WrongMethod => "wrong_method",
            Probe::Latency => "latency",
        }
    }

    pub fn expects(self) -> Expect {
        match self {
            Probe::Valid | Probe::Duplicate | Probe::Rotation => Expect::Accept,
            Probe::WrongMethod => Expect::Refuse,
            Probe::Latency => Expect::InTime,
            _ => Expect::Reject,
        }
    }

    /// Whether the probe needs the signature's timestamp to mean something.
    fn needs_timestamp(self) -> bool {
        matches!(self, Probe::Stale | Probe::Future)
    }
}

/// Whether `scheme` signs a timestamp, so that `stale` and `future` mean something for it.
fn has_timestamp(scheme: Scheme) -> bool {
    scheme.has_timestamp()
}

/// A probe of the run, or the reason it is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub probe: Probe,
    pub skip: Option<String>,
}

/// Every probe, in order, each either to run or skipped with the reason.
pub fn plan(scheme: Scheme, secret_count: usize, body_is_json: bool) -> Vec<Planned> {
    Probe::ALL
        .into_iter()
        .map(|probe| {
            let skip = if probe.needs_timestamp() && !has_timestamp(scheme) {
                Some(format!(
                    "the {} scheme signs no timestamp, so there is nothing to be stale",
                    scheme.name()
                ))
            } else if probe == Probe::Future && scheme == Scheme::Stripe {
                Some("Stripe's own libraries accept a timestamp ahead of the clock, so there is no answer to expect".into())
            } else if probe == Probe::Rotation && secret_count < 2 {
                Some("needs two secrets: the new one first, the old one second".into())
            } else if probe == Probe::Reserialized && !body_is_json {
                Some("the body is not JSON, so it cannot be re-formatted".into())
            } else {
                None
            };
            Planned { probe, skip }
        })
        .collect()
}

/// Parses `--deadline`: `3s`, `300ms`, `1m`, or plain seconds (`3`).
pub fn parse_deadline(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let d = match t.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(t)
            .map_err(|e| format!("'{text}' is not a duration ({e}); use e.g. 3s or 500ms"))?,
    };
    if d.is_zero() {
        return Err("the deadline must be above zero, e.g. 3s".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = Probe::ALL.iter().map(|p| p.name()).collect();
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Probe::ALL.len());
    }

    #[test]
    fn plan_skips_rotation_without_two_secrets() {
        let p = plan(Scheme::Dataspike, 1, true);
        assert_eq!(p.len(), 12);
        let skipped: Vec<Probe> = p
            .iter()
            .filter(|e| e.skip.is_some())
            .map(|e| e.probe)
            .collect();
        assert_eq!(skipped, vec![Probe::Rotation]);
        assert!(plan(Scheme::Dataspike, 2, true)
            .iter()
            .all(|e| e.skip.is_none()));
        let not_json = plan(Scheme::Dataspike, 2, false);
        assert!(not_json
            .iter()
            .any(|e| e.probe == Probe::Reserialized && e.skip.is_some()));
    }

    #[test]
    fn plan_skips_what_a_scheme_cannot_mean() {
        let skipped = |scheme| -> Vec<Probe> {
            plan(scheme, 2, true)
                .into_iter()
                .filter(|e| e.skip.is_some())
                .map(|e| e.probe)
                .collect()
        };
        assert_eq!(skipped(Scheme::Github), [Probe::Stale, Probe::Future]);
        assert_eq!(skipped(Scheme::Shopify), [Probe::Stale, Probe::Future]);
        assert_eq!(skipped(Scheme::Stripe), [Probe::Future]);
        assert!(skipped(Scheme::Standard).is_empty());
        assert!(skipped(Scheme::Slack).is_empty());
    }

    #[test]
    fn deadlines() {
        assert_eq!(parse_deadline("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_deadline("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_deadline("2"), Ok(Duration::from_secs(2)));
        assert!(parse_deadline("0").is_err());
        assert!(parse_deadline("soon").unwrap_err().contains("'soon'"));
    }
}
