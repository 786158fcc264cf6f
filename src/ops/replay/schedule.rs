//! Replaying one capture on a schedule: the same event sent to the app several times, with the
//! gaps a sender leaves between its redeliveries, to test the app's idempotency the way the
//! sender will hit it. The schedule is the one observed for the capture's event
//! ([`observed`]), or read from a file ([`parse`]).
//!
//! The file format, one wait per attempt, each from the previous attempt's start (the first
//! from now, usually `0s`); durations as `humantime` reads them (`500ms`, `2s`, `1m 30s`);
//! separated by newlines or commas; `#` starts a comment:
//!
//! ```text
//! # what Dataspike did on 2026-12-07
//! 0s
//! 2s
//! 10s, 1m
//! ```
//!
//! At most [`MAX_ATTEMPTS`] attempts, each wait at most [`MAX_WAIT`]. Parsing is pure; [`run`]
//! sleeps and sends through `replay_one`, reporting each attempt to the caller as it is made.

use std::fmt;
use std::time::Duration;

use super::{replay_one, Outcome, ReplayError, Settings};
use crate::capture::CaptureId;
use crate::forward::Recorder;
use crate::redelivery;
use crate::store::StoreWorker;

/// Most attempts one schedule may hold.
pub const MAX_ATTEMPTS: usize = 100;
/// Longest wait between two attempts.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// When each attempt is made: its wait after the previous attempt's start (the first's after
/// the start). Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    waits: Vec<Duration>,
}

/// A mistake in a schedule file: where, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    /// 1-based; 0 for the file as a whole.
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            n => write!(f, "line {n}: {}", self.message),
        }
    }
}

impl std::error::Error for ScheduleError {}

impl Schedule {
    /// The waits, one per attempt.
    pub fn waits(&self) -> &[Duration] {
        &self.waits
    }

    /// How many attempts.
    pub fn attempts(&self) -> usize {
        self.waits.len()
    }

    /// When each attempt starts, from the start of the run.
    pub fn offsets(&self) -> Vec<Duration> {
        let mut at = Duration::ZERO;
        self.waits
            .iter()
            .map(|w| {
                at = at.saturating_add(*w);
                at
            })
            .collect()
    }

    /// `0s, +2s, +10s` as the file would have it.
    pub fn text(&self) -> String {
        let parts: Vec<String> = self
            .waits
            .iter()
            .map(|w| humantime::format_duration(*w).to_string())
            .collect();
        parts.join(", ")
    }
}

/// Reads a schedule file's text (the format is in this module's documentation).
pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
    let mut waits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let content = line.split('#').next().unwrap_or_default();
        for item in content.split(',').map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let wait = humantime::parse_duration(item).map_err(|_| ScheduleError {
                line: line_no,
                message: format!(
                    "'{item}' is not a duration; write one wait per attempt, e.g. 0s, 2s, 1m 30s"
                ),
            })?;
            if wait > MAX_WAIT {
                return Err(ScheduleError {
                    line: line_no,
                    message: format!(
                        "'{item}' is longer than {}; no sender waits that long",
                        humantime::format_duration(MAX_WAIT)
                    ),
                });
            }
            if waits.len() == MAX_ATTEMPTS {
                return Err(ScheduleError {
                    line: line_no,
                    message: format!("more than {MAX_ATTEMPTS} attempts; keep it shorter"),
                });
            }
            waits.push(wait);
        }
    }
    if waits.is_empty() {
        return Err(ScheduleError {
            line: 0,
            message: "the schedule has no attempts; write one wait per line, e.g. 0s, then 2s"
                .into(),
        });
    }
    Ok(Schedule { waits })
}

/// Why an observed schedule cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotObserved {
    /// The capture carries no event id, so no redelivery of it can be told apart.
    NoEvent,
    /// Its event was delivered once: there are no gaps to repeat.
    Once {
        /// The event's key.
        key: String,
    },
}

impl fmt::Display for NotObserved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotObserved::NoEvent => f.write_str(
                "it carries no event id the sender gives (Dataspike's or Stripe's id, webhook-id, X-GitHub-Delivery, ...), so none of its redeliveries can be told apart",
            ),
            NotObserved::Once { key } => write!(
                f,
                "its event {} was delivered only once, so there are no gaps to repeat",
                redelivery::short_key(key)
            ),
        }
    }
}

/// The schedule the sender followed for an event, as waits: the first at once, then the gaps
/// between its deliveries' arrivals (capped at [`MAX_WAIT`], at most [`MAX_ATTEMPTS`]).
pub fn observed(event: Option<&redelivery::Schedule>) -> Result<Schedule, NotObserved> {
    let event = event.ok_or(NotObserved::NoEvent)?;
    if event.deliveries.len() < 2 {
        return Err(NotObserved::Once {
            key: event.key.clone(),
        });
    }
    let waits = std::iter::once(Duration::ZERO)
        .chain(
            event
                .gaps_ms()
                .into_iter()
                .map(|ms| Duration::from_millis(ms.max(0) as u64).min(MAX_WAIT)),
        )
        .take(MAX_ATTEMPTS)
        .collect();
    Ok(Schedule { waits })
}

/// Replays capture `id` once per attempt of `schedule`, each at its offset from the start
/// (at once when the previous attempt took longer), calling `each` with the attempt's number
/// (from 1), when it was sent (from the start) and its outcome as soon as it is stored. Stops
/// at the first error that is the tool's (a store failure); a skipped replay ends the run too,
/// as every attempt would be skipped alike.
pub async fn run(
    store: &StoreWorker,
    recorder: &Recorder,
    id: CaptureId,
    settings: &Settings,
    schedule: &Schedule,
    mut each: impl FnMut(usize, Duration, &Outcome),
) -> Result<Vec<Outcome>, ReplayError> {
    let start = tokio::time::Instant::now();
    let mut outcomes = Vec::with_capacity(schedule.attempts());
    for (i, offset) in schedule.offsets().into_iter().enumerate() {
        tokio::time::sleep_until(start + offset).await;
        let sent_at = start.elapsed();
        let outcome = replay_one(store, recorder, id, settings).await?;
        each(i + 1, sent_at, &outcome);
        let skipped = matches!(outcome, Outcome::Skipped { .. });
        outcomes.push(outcome);
        if skipped {
            break;
        }
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redelivery::{AnsweredBy, Delivery, Told};

    #[test]
    fn a_file_holds_one_wait_per_attempt_by_line_or_comma_with_comments() {
        let s = parse("# observed\n0s\n 2s # then\n\n10s, 1m 30s\n").unwrap();
        let secs: Vec<u64> = s.waits().iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [0, 2, 10, 90]);
        assert_eq!(
            s.offsets()
                .iter()
                .map(Duration::as_secs)
                .collect::<Vec<_>>(),
            [0, 2, 12, 102]
        );
        assert_eq!(s.text(), "0s, 2s, 10s, 1m 30s");
        assert_eq!(parse(&s.text()).unwrap(), s);
        assert_eq!(parse("500ms").unwrap().attempts(), 1);
    }

    #[test]
    fn a_bad_file_names_the_line_and_what_to_write() {
        for (text, line, says) in [
            ("0s\nsoon\n", 2, "'soon' is not a duration"),
            ("0s\n2\n", 2, "'2' is not a duration"),
            ("0s,\n-1s\n", 2, "'-1s' is not a duration"),
            ("2d\n", 1, "longer than 1day"),
            ("# nothing\n\n", 0, "no attempts"),
            ("", 0, "no attempts"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(says), "{text:?}: {e}");
        }
        let many = "1s\n".repeat(MAX_ATTEMPTS + 1);
        let e = parse(&many).unwrap_err();
        assert_eq!(e.line, MAX_ATTEMPTS + 1);
        assert!(e
            .to_string()
            .starts_with("line 101: more than 100 attempts"));
    }

    fn event(arrivals: &[i64]) -> redelivery::Schedule {
        redelivery::Schedule {
            key: "evt_1".into(),
            scheme: None,
            path: "/hook".into(),
            deliveries: arrivals
                .iter()
                .enumerate()
                .map(|(i, at)| Delivery {
                    capture_id: i as i64 + 1,
                    received_at_ms: *at,
                    told: Some(Told {
                        status: Some(503),
                        by: AnsweredBy::Chosen,
                    }),
                })
                .collect(),
        }
    }

    #[test]
    fn the_observed_schedule_repeats_the_gaps_between_arrivals() {
        let s = observed(Some(&event(&[10_000, 11_000, 13_500]))).unwrap();
        let ms: Vec<u128> = s.waits().iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 1_000, 2_500]);
        assert_eq!(observed(None), Err(NotObserved::NoEvent));
        let once = observed(Some(&event(&[1]))).unwrap_err();
        assert_eq!(
            once,
            NotObserved::Once {
                key: "evt_1".into()
            }
        );
        assert!(once.to_string().contains("delivered only once"));
    }
}
