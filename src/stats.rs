//! The numbers: deliveries per verdict, the app's answers per status class, and its latency
//! percentiles. [`Totals`] is the live accumulator the TUI header and the headless output both
//! feed from the report stream (since start); [`StoreStats`] is the same from the store, for
//! `hookscope stats`. Pure: no I/O, no clock; the store fills [`StoreStats`] with SQL.

use std::collections::VecDeque;

use serde_json::{json, Value};

use crate::capture::{AttemptBrief, CaptureSummary};
use crate::signature::Status;

/// How many of the latest answers the live latency percentiles are taken over.
pub const LATENCY_WINDOW: usize = 1000;

/// The app's answers, by status class. An attempt without a status got no answer (refused,
/// timed out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answers {
    pub s2xx: u64,
    pub s3xx: u64,
    pub s4xx: u64,
    pub s5xx: u64,
    /// 1xx or out of range: rare enough for one bucket.
    pub other: u64,
    pub no_answer: u64,
}

impl Answers {
    pub fn add(&mut self, status: Option<u16>) {
        self.add_n(status, 1);
    }

    pub fn add_n(&mut self, status: Option<u16>, n: u64) {
        let bucket = match status {
            None => &mut self.no_answer,
            Some(200..=299) => &mut self.s2xx,
            Some(300..=399) => &mut self.s3xx,
            Some(400..=499) => &mut self.s4xx,
            Some(500..=599) => &mut self.s5xx,
            Some(_) => &mut self.other,
        };
        *bucket += n;
    }

    pub fn total(&self) -> u64 {
        self.s2xx + self.s3xx + self.s4xx + self.s5xx + self.other + self.no_answer
    }

    /// The non-empty classes, in order: `("2xx", 9), ("5xx", 1)`.
    pub fn classes(&self) -> Vec<(&'static str, u64)> {
        [
            ("2xx", self.s2xx),
            ("3xx", self.s3xx),
            ("4xx", self.s4xx),
            ("5xx", self.s5xx),
            ("other", self.other),
            ("no answer", self.no_answer),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    pub fn to_json(self) -> Value {
        json!({
            "2xx": self.s2xx, "3xx": self.s3xx, "4xx": self.s4xx, "5xx": self.s5xx,
            "other": self.other, "no_answer": self.no_answer,
        })
    }
}

/// Deliveries per verdict status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdicts {
    counts: [u64; Status::ALL.len()],
}

impl Verdicts {
    pub fn add_n(&mut self, status: Status, n: u64) {
        if let Some(i) = Status::ALL.iter().position(|s| *s == status) {
            self.counts[i] += n;
        }
    }

    pub fn get(&self, status: Status) -> u64 {
        Status::ALL
            .iter()
            .position(|s| *s == status)
            .map_or(0, |i| self.counts[i])
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// PASS (valid), FAIL (invalid and unsigned), other (stale and unverified), as the badges.
    pub fn badges(&self) -> (u64, u64, u64) {
        (
            self.get(Status::Valid),
            self.get(Status::Invalid) + self.get(Status::Unsigned),
            self.get(Status::Stale) + self.get(Status::Unverified),
        )
    }

    pub fn to_json(self) -> Value {
        let mut m = serde_json::Map::new();
        for s in Status::ALL {
            m.insert(s.as_str().into(), json!(self.get(s)));
        }
        Value::Object(m)
    }
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `p`% at or below.
pub fn percentile<T: Copy>(sorted: &[T], p: u32) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p as usize * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Latency percentiles over a set of answers, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    /// How many answers they were taken over.
    pub of: usize,
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
}

impl Latency {
    /// From unsorted latencies (sorted here).
    pub fn of(mut ms: Vec<u64>) -> Latency {
        ms.sort_unstable();
        Latency {
            of: ms.len(),
            p50: percentile(&ms, 50),
            p90: percentile(&ms, 90),
            p99: percentile(&ms, 99),
        }
    }

    pub fn to_json(self) -> Value {
        json!({"of": self.of, "p50": self.p50, "p90": self.p90, "p99": self.p99})
    }

    /// `p50 4 ms, p99 20 ms`, or `no latency yet`.
    pub fn short(&self) -> String {
        match (self.p50, self.p99) {
            (Some(p50), Some(p99)) => format!("p50 {p50} ms, p99 {p99} ms"),
            _ => "no latency yet".into(),
        }
    }
}

/// Live totals since start, fed capture by capture and attempt by attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub verdicts: Verdicts,
    /// Forwards and replays alike: every answer the app gave while this ran.
    pub answers: Answers,
    /// Latencies of the latest [`LATENCY_WINDOW`] answers, oldest first.
    recent_ms: VecDeque<u64>,
}

impl Totals {
    /// Feeds one report of the listener's stream: captures and attempts count, the rest not.
    pub fn on_report(&mut self, report: &crate::report::Report) {
        use crate::report::Report;
        match report {
            Report::Captured(s) => self.on_captured(s),
            Report::Attempted { attempt, .. } => self.on_attempt(attempt),
            _ => {}
        }
    }

    pub fn on_captured(&mut self, s: &CaptureSummary) {
        self.verdicts.add_n(s.verdict.status(), 1);
    }

    pub fn on_attempt(&mut self, a: &AttemptBrief) {
        self.answers.add(a.status);
        if let (Some(_), Some(ms)) = (a.status, a.latency_ms) {
            if self.recent_ms.len() == LATENCY_WINDOW {
                self.recent_ms.pop_front();
            }
            self.recent_ms.push_back(ms);
        }
    }

    /// Percentiles over the latest answers. Sorting a copy of at most [`LATENCY_WINDOW`]
    /// values costs microseconds, so the header can ask every frame.
    pub fn latency(&self) -> Latency {
        Latency::of(self.recent_ms.iter().copied().collect())
    }

    /// One line for the headless output and the TUI header:
    /// `12 deliveries: 10 PASS, 1 FAIL, 1 other · app: 2xx 9, 5xx 1 · p50 4 ms, p99 20 ms`.
    pub fn line(&self) -> String {
        let (pass, fail, other) = self.verdicts.badges();
        let mut s = format!(
            "{} {}: {pass} PASS, {fail} FAIL, {other} other",
            self.verdicts.total(),
            if self.verdicts.total() == 1 {
                "delivery"
            } else {
                "deliveries"
            }
        );
        let classes = self.answers.classes();
        if !classes.is_empty() {
            let parts: Vec<String> = classes.iter().map(|(c, n)| format!("{c} {n}")).collect();
            s.push_str(&format!(
                " · app: {} · {}",
                parts.join(", "),
                self.latency().short()
            ));
        }
        s
    }

    /// The counts as JSON, e.g. for `{"event":"stopped", "totals": ...}`.
    pub fn to_json(&self) -> Value {
        json!({
            "deliveries": self.verdicts.total(),
            "verdicts": self.verdicts.to_json(),
            "answers": self.answers.to_json(),
            "latency_ms": self.latency().to_json(),
        })
    }
}

/// What `hookscope stats` reports, read from the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Captures received in the window.
    pub deliveries: u64,
    /// Captures by event type, most first; `None`: no event type in the body.
    pub events: Vec<(Option<String>, u64)>,
    pub verdicts: Verdicts,
    /// Forwards and replays made in the window, by the app's answer.
    pub answers: Answers,
    pub latency: Latency,
}

impl StoreStats {
    pub fn to_json(&self, since_ms: Option<i64>) -> Value {
        json!({
            "since_ms": since_ms,
            "deliveries": self.deliveries,
            "events": self.events.iter().map(|(e, n)| json!({"event": e, "count": n})).collect::<Vec<_>>(),
            "verdicts": self.verdicts.to_json(),
            "answers": self.answers.to_json(),
            "latency_ms": self.latency.to_json(),
        })
    }

    /// The text report.
    pub fn text(&self, window: &str) -> String {
        let mut s = format!("{} deliveries {window}\n", self.deliveries);
        if self.deliveries > 0 {
            s.push_str("\nby event type\n");
            for (event, n) in &self.events {
                s.push_str(&format!(
                    "  {:<28} {n:>8}\n",
                    event.as_deref().unwrap_or("(none)")
                ));
            }
            s.push_str("\nby verdict\n");
            for st in Status::ALL {
                s.push_str(&format!(
                    "  {:<28} {:>8}\n",
                    st.as_str(),
                    self.verdicts.get(st)
                ));
            }
        }
        s.push_str(&format!(
            "\napp answers (forwards and replays): {}\n",
            self.answers.total()
        ));
        for (class, n) in self.answers.classes() {
            s.push_str(&format!("  {class:<28} {n:>8}\n"));
        }
        let l = &self.latency;
        match (l.p50, l.p90, l.p99) {
            (Some(p50), Some(p90), Some(p99)) => s.push_str(&format!(
                "\nlatency over {} answers: p50 {p50} ms, p90 {p90} ms, p99 {p99} ms\n",
                l.of
            )),
            _ => s.push_str("\nlatency: no answers yet\n"),
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Verdict;

    fn captured(verdict: Verdict) -> CaptureSummary {
        CaptureSummary {
            id: 1,
            received_at_ms: 0,
            method: "POST".into(),
            path: "/".into(),
            query: None,
            event_type: None,
            event_id: None,
            body_size: 0,
            truncated: false,
            rejected: None,
            source: Default::default(),
            verdict,
            latest_attempt: None,
            route: None,
            event_key: None,
            answered: None,
            delivery: None,
        }
    }

    fn answer(status: Option<u16>, ms: u64) -> AttemptBrief {
        AttemptBrief {
            status,
            latency_ms: Some(ms),
            error: status.is_none().then(|| "connection refused".to_string()),
        }
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 90), Some(90));
        assert_eq!(percentile(&v, 99), Some(99));
        assert_eq!(percentile(&v, 100), Some(100));
        assert_eq!(percentile(&[7u64], 1), Some(7));
        assert_eq!(percentile(&[3u64, 9], 50), Some(3));
        assert_eq!(percentile::<u64>(&[], 50), None);
    }

    #[test]
    fn totals_count_verdicts_and_answer_classes() {
        let mut t = Totals::default();
        for v in [
            Verdict::Unsigned,
            Verdict::Unverified {
                scheme: Default::default(),
            },
        ] {
            t.on_captured(&captured(v));
        }
        for (status, ms) in [(Some(200), 4), (Some(204), 6), (Some(503), 40), (None, 1)] {
            t.on_attempt(&answer(status, ms));
        }
        assert_eq!(t.verdicts.badges(), (0, 1, 1));
        assert_eq!(
            t.answers.classes(),
            vec![("2xx", 2), ("5xx", 1), ("no answer", 1)]
        );
        // A refused connection's time is not the app's latency.
        assert_eq!(
            t.latency(),
            Latency {
                of: 3,
                p50: Some(6),
                p90: Some(40),
                p99: Some(40)
            }
        );
        assert_eq!(
            t.line(),
            "2 deliveries: 0 PASS, 1 FAIL, 1 other · app: 2xx 2, 5xx 1, no answer 1 · p50 6 ms, p99 40 ms"
        );
        let j = t.to_json();
        assert_eq!(j["deliveries"], 2);
        assert_eq!(j["verdicts"]["unsigned"], 1);
        assert_eq!(j["answers"]["5xx"], 1);
        assert_eq!(j["latency_ms"]["p99"], 40);
    }

    #[test]
    fn latency_window_keeps_only_the_latest_answers() {
        let mut t = Totals::default();
        for _ in 0..LATENCY_WINDOW {
            t.on_attempt(&answer(Some(200), 1000));
        }
        for _ in 0..LATENCY_WINDOW {
            t.on_attempt(&answer(Some(200), 5));
        }
        let l = t.latency();
        assert_eq!((l.of, l.p99), (LATENCY_WINDOW, Some(5)));
        assert_eq!(t.answers.s2xx, 2 * LATENCY_WINDOW as u64);
    }

    #[test]
    fn an_empty_start_reads_plainly() {
        let t = Totals::default();
        assert_eq!(t.line(), "0 deliveries: 0 PASS, 0 FAIL, 0 other");
        assert_eq!(t.to_json()["latency_ms"]["p50"], Value::Null);
    }
}
