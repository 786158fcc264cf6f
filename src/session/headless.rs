//! Headless output: one line (or one JSON object) per capture, for a terminal without the UI
//! or a pipe. A consumer of the report stream like the UI; it must not touch the store.

use std::collections::HashMap;
use std::io::Write;

use crate::capture::{Answered, CaptureId, CaptureSummary};
use crate::intake::{ForwardConfig, Respond};

/// Shortest time between two totals lines in the headless text output.
pub const TOTALS_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// What a capture's line says when its event type is not among those `--events` forwards.
pub const NOT_FORWARDED: &str = "not forwarded: event type not selected";
/// What a capture's line says when no route of `hookscope.toml` took it.
pub const NO_ROUTE: &str = "not forwarded: no route";
use crate::conn::{state_text, ConnState};
use crate::hint::{Hint, Limit, Words};
use crate::listener::ListenConfig;
use crate::output;
use crate::report::{Report, ReportRx};
use crate::stats::Totals;

/// The lines printed at start: where to send, where captures go, what is checked.
pub fn intro(
    url: &str,
    db: &std::path::Path,
    cfg: &ListenConfig,
    dev_secret: Option<&std::path::Path>,
    retention: Option<std::time::Duration>,
    words: Words,
) -> String {
    let mut s = format!(
        "hookscope listening on {url}\n  database: {}\n",
        db.display()
    );
    s.push_str(&match cfg.intake.secrets.len() {
        _ if dev_secret.is_some() => format!(
            "  secrets:  the local development secret (not a Dataspike secret; {})\n            kept in '{}'\n",
            words(Hint::RealSecret),
            dev_secret.map(|p| p.display().to_string()).unwrap_or_default()
        ),
        0 => format!(
            "  secrets:  none (signatures are not checked; {})\n",
            words(Hint::PassSecret {
                scheme: Default::default()
            })
        ),
        n => {
            // Which schemes, never the secrets: `2 loaded (dataspike, stripe)`.
            let mut schemes: Vec<&str> = Vec::new();
            for s in &cfg.intake.secrets {
                if !schemes.contains(&s.scheme().name()) {
                    schemes.push(s.scheme().name());
                }
            }
            let mut line = format!("  secrets:  {n} loaded ({})\n", schemes.join(", "));
            // The stored Dataspike secrets by name: which webhook, current or previous.
            let now = crate::capture::now_ms();
            for (i, s) in cfg.intake.secrets.iter().enumerate() {
                if let crate::signature::Origin::Stored(_) = s.origin() {
                    line.push_str(&format!("            {}\n", s.origin().label(i, now)));
                }
            }
            line
        }
    });
    if let Some(c) = &cfg.intake.chosen {
        s.push_str(&format!(
            "  respond:  {}, by choice (not forwarded)\n",
            c.describe()
        ));
    }
    if let Some(f) = &cfg.intake.forward {
        let answer = match f.respond {
            Respond::App => "the app's answer",
            Respond::Ack => "200 at once",
        };
        match (f.single_target(), f.routes.routes()) {
            (Some(target), [only]) => {
                let via = only
                    .with
                    .route_note(&only.target)
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "  forward:  {target}{via} (sender gets {answer})\n"
                ));
                if let Some(only) = only.rule.events.describe() {
                    s.push_str(&format!(
                        "  events:   {only}; the others are captured and acknowledged, not forwarded\n"
                    ));
                }
            }
            (_, routes) => {
                s.push_str(&format!(
                    "  routes:   first match wins (sender gets {answer})\n"
                ));
                for r in routes {
                    let via = r
                        .with
                        .route_note(&r.target)
                        .map(|v| format!(" ({v})"))
                        .unwrap_or_default();
                    s.push_str(&format!("    {}{via}\n", crate::output::route_line(r)));
                }
                s.push_str("    anything else: captured and answered, not forwarded (no route)\n");
            }
        }
    }
    if let Some(keep) = retention {
        s.push_str(&format!(
            "  retention: captures older than {} are deleted, at start and hourly\n",
            humantime::format_duration(keep)
        ));
    }
    s.push_str("  Ctrl-C stops");
    s
}

/// How long the printer lets lines gather after writing some.
const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// `forwarding`: where deliveries go, `None` when nothing is forwarded; `secrets`: what the
/// intake verifies with, to name a stored secret a delivery matched.
pub fn print_reports(
    mut rx: ReportRx,
    json: bool,
    forwarding: Option<&ForwardConfig>,
    secrets: Vec<crate::signature::Secret>,
    words: Words,
) {
    let mut headless = Headless::new(json, forwarding.is_some(), words);
    headless.secrets = secrets;
    if let Some(f) = forwarding {
        headless.unrouted = unrouted_note(f);
    }
    let mut out = std::io::BufWriter::new(std::io::stdout());
    // Lines of one second share their time of day: local time is costly to work out per line.
    let second = std::cell::RefCell::new((i64::MIN, String::new()));
    let clock = |ms: i64| {
        let mut second = second.borrow_mut();
        if second.0 != ms.div_euclid(1000) {
            *second = (ms.div_euclid(1000), output::local_time(ms));
        }
        second.1.clone()
    };
    while let Some(first) = rx.blocking_recv() {
        // Drain whatever else is waiting and write it with one flush: a burst is one syscall.
        let mut next = Some(first);
        while let Some(report) = next {
            for line in headless.on_report(report, &clock) {
                if writeln!(out, "{line}").is_err() {
                    return;
                }
            }
            next = rx.try_recv().ok();
        }
        if let Some(line) = headless.totals_due(std::time::Instant::now()) {
            let _ = writeln!(out, "{line}");
        }
        if out.flush().is_err() {
            return;
        }
        // Let the next lines gather: a report sent while this thread sleeps wakes nobody,
        // where one sent to a thread blocked on the channel costs a wake-up each (a tenth of
        // listen's CPU under a burst, BENCHMARKS.md). Invisible to a reader.
        std::thread::sleep(LINGER);
    }
    // Every sender is gone: the listener has stopped.
    let _ = writeln!(out, "{}", headless.stopped()).and_then(|()| out.flush());
}

/// With only `--forward-to --events`, a delivery is left out by its event type; with routes,
/// by matching none.
pub fn unrouted_note(f: &ForwardConfig) -> &'static str {
    match f.single_target() {
        Some(_) => NOT_FORWARDED,
        None => NO_ROUTE,
    }
}

/// What a capture answered by choice says: `answered 503 by choice (not forwarded)`.
pub fn chosen_note(s: &CaptureSummary) -> String {
    match s.answered {
        Some(Answered::Chosen { status, delay_ms }) if delay_ms > 0 => {
            format!("answered {status} by choice after {delay_ms} ms, not forwarded")
        }
        Some(Answered::Chosen { status, .. }) => {
            format!("answered {status} by choice, not forwarded")
        }
        _ => String::new(),
    }
}

/// Turns reports into output lines. When forwarding, a capture's line waits for its forward
/// so it can carry the app's answer.
pub struct Headless {
    json: bool,
    /// How remedies are worded (the command line's flags).
    words: Words,
    forwarding: bool,
    pending: HashMap<CaptureId, CaptureSummary>,
    totals: Totals,
    /// What the line of a capture no route took says; it is printed at once.
    pub unrouted: &'static str,
    /// When the last totals line was printed (or the printer started), and what it said.
    last_totals: (std::time::Instant, Totals),
    /// The secrets verdicts were judged with: a delivery that matched a stored Dataspike
    /// secret says which (`"secret"` in JSON).
    pub secrets: Vec<crate::signature::Secret>,
}

impl Headless {
    pub fn new(json: bool, forwarding: bool, words: Words) -> Headless {
        Headless {
            json,
            words,
            forwarding,
            pending: HashMap::new(),
            totals: Totals::default(),
            unrouted: NO_ROUTE,
            last_totals: (std::time::Instant::now(), Totals::default()),
            secrets: Vec::new(),
        }
    }

    /// A `totals since start: ...` line, at most every `TOTALS_EVERY` and only when something
    /// changed, so a long-running log keeps the numbers without a line per idle minute. Not in
    /// JSON mode: there the numbers come once, in the `stopped` object.
    pub fn totals_due(&mut self, now: std::time::Instant) -> Option<String> {
        let (at, seen) = &self.last_totals;
        if self.json || now.duration_since(*at) < TOTALS_EVERY || *seen == self.totals {
            return None;
        }
        self.last_totals = (now, self.totals.clone());
        Some(format!("totals since start: {}", self.totals.line()))
    }

    /// The last line: totals since start, as `{"event":"stopped",...}` in JSON mode.
    pub fn stopped(&self) -> String {
        match self.json {
            true => {
                let captures = self.totals.verdicts.total();
                serde_json::json!({"event": "stopped", "captures": captures, "totals": self.totals.to_json()})
                    .to_string()
            }
            false => format!("totals since start: {}", self.totals.line()),
        }
    }

    pub fn on_report(&mut self, report: Report, time: &dyn Fn(i64) -> String) -> Vec<String> {
        self.totals.on_report(&report);
        let summary = match report {
            Report::Listening { url } if self.json => {
                return vec![serde_json::json!({"event": "listening", "url": url}).to_string()]
            }
            Report::Captured(s) if matches!(s.answered, Some(Answered::Chosen { .. })) => {
                let note = chosen_note(&s);
                return vec![self.line(&s, time, Some(&note))];
            }
            Report::Captured(s) if self.forwarding && s.rejected.is_none() => {
                if s.route.is_none() {
                    return vec![self.line(&s, time, Some(self.unrouted))];
                }
                self.pending.insert(s.id, s);
                return vec![];
            }
            Report::Captured(s) => s,
            Report::Attempted {
                capture_id,
                attempt,
                replay: false,
            } => match self.pending.remove(&capture_id) {
                Some(mut s) => {
                    s.latest_attempt = Some(attempt);
                    s
                }
                None => return vec![],
            },
            Report::Relay { url, state } => {
                return vec![relay_line(&url, &state, self.json, self.words)]
            }
            Report::ForwardQueue { waiting } => {
                return vec![if self.json {
                    serde_json::json!({"event": "forward_queue", "waiting": waiting}).to_string()
                } else if waiting == 0 {
                    "forward queue drained".to_string()
                } else {
                    format!(
                        "forward queue: {waiting} waiting for the app ({})",
                        (self.words)(Hint::Limit(Limit::ForwardConcurrency))
                    )
                }]
            }
            Report::Notice { text, error } if !self.json => {
                return vec![if error {
                    format!("error: {text}")
                } else {
                    text
                }]
            }
            _ => return vec![],
        };
        vec![self.line(&summary, time, None)]
    }

    /// The capture's line or JSON object, with `note` when it says something the summary
    /// does not (`"note"` in JSON).
    fn line(&self, s: &CaptureSummary, time: &dyn Fn(i64) -> String, note: Option<&str>) -> String {
        let stored = self.stored_match(s);
        if self.json {
            let mut v = s.to_json();
            if let Some(m) = v.as_object_mut() {
                if let Some(note) = note {
                    m.insert("note".into(), note.into());
                }
                if let Some(label) = stored {
                    m.insert("secret".into(), label.into());
                }
            }
            v.to_string()
        } else {
            let mut line = output::capture_line(s, &time(s.received_at_ms), self.words);
            if let Some(label) = stored {
                line.push_str(&format!("  [{label}]"));
            }
            match note {
                Some(note) => format!("{line}  ({note})"),
                None => line,
            }
        }
    }

    /// The stored Dataspike secret the delivery matched, by name.
    fn stored_match(&self, s: &CaptureSummary) -> Option<String> {
        let i = s.verdict.secret_index()?;
        let secret = self.secrets.get(i)?;
        match secret.origin() {
            crate::signature::Origin::Stored(o) => Some(o.label(crate::capture::now_ms())),
            _ => None,
        }
    }
}

/// One line about the relay connection: `{"event":"relay",...}` with `json`.
fn relay_line(url: &str, state: &ConnState, json: bool, words: Words) -> String {
    let (text, trouble) = state_text(state, words);
    if !json {
        let prefix = if trouble { "error: " } else { "" };
        return format!("{prefix}relay {url}: {text}");
    }
    let mut v =
        serde_json::json!({"event": "relay", "url": url, "state": state.name(), "detail": text});
    if let ConnState::Refused { hint: Some(h), .. } = state {
        v["hint"] = h.to_json();
    }
    if let ConnState::Connected { backlog } = state {
        v["backlog"] = serde_json::json!(backlog);
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::AttemptBrief;
    use crate::commands::hint::words as cli;
    use crate::signature::Verdict;

    fn summary(id: i64) -> CaptureSummary {
        CaptureSummary {
            id,
            received_at_ms: 0,
            method: "POST".into(),
            path: "/h".into(),
            query: None,
            event_type: None,
            event_id: None,
            body_size: 2,
            truncated: false,
            rejected: None,
            source: Default::default(),
            verdict: Verdict::Unverified {
                scheme: Default::default(),
            },
            latest_attempt: None,
            // The catch-all route of `--forward-to` took it.
            route: Some("/".into()),
            event_key: None,
            answered: None,
            delivery: None,
        }
    }

    #[test]
    fn forwarding_lines_wait_for_the_attempt() {
        let mut h = Headless::new(false, true, cli);
        let t = |_| "T".to_string();
        assert!(h.on_report(Report::Captured(summary(1)), &t).is_empty());
        let lines = h.on_report(
            Report::Attempted {
                capture_id: 1,
                attempt: AttemptBrief {
                    status: Some(201),
                    latency_ms: Some(4),
                    error: None,
                },
                replay: false,
            },
            &t,
        );
        assert_eq!(lines.len(), 1);
        assert!(lines[0].ends_with("-> 201 (4 ms)"), "{}", lines[0]);
    }

    #[test]
    fn json_mode_prints_listening_then_objects() {
        let mut h = Headless::new(true, false, cli);
        let t = |_| String::new();
        let first = h.on_report(
            Report::Listening {
                url: "http://127.0.0.1:1".into(),
            },
            &t,
        );
        assert_eq!(
            first,
            vec![r#"{"event":"listening","url":"http://127.0.0.1:1"}"#.to_string()]
        );
        let obj: serde_json::Value =
            serde_json::from_str(&h.on_report(Report::Captured(summary(3)), &t)[0]).unwrap();
        assert_eq!(obj["id"], 3);
        assert_eq!(obj["verdict"]["status"], "unverified");
    }

    #[test]
    fn the_stopped_line_carries_the_totals() {
        let t = |_| String::new();
        let mut h = Headless::new(false, false, cli);
        h.on_report(Report::Captured(summary(1)), &t);
        assert_eq!(
            h.stopped(),
            "totals since start: 1 delivery: 0 PASS, 0 FAIL, 1 other"
        );
        let mut j = Headless::new(true, false, cli);
        j.on_report(Report::Captured(summary(2)), &t);
        let v: serde_json::Value = serde_json::from_str(&j.stopped()).unwrap();
        assert_eq!(v["event"], "stopped");
        assert_eq!(v["totals"]["verdicts"]["unverified"], 1);
        assert_eq!(v["captures"], 1);
    }

    #[test]
    fn a_capture_answered_by_choice_prints_at_once_and_says_so() {
        let t = |_| "T".to_string();
        let mut h = Headless::new(false, true, cli);
        let chosen = CaptureSummary {
            route: None,
            answered: Some(Answered::Chosen {
                status: 503,
                delay_ms: 0,
            }),
            ..summary(1)
        };
        let lines = h.on_report(Report::Captured(chosen.clone()), &t);
        assert_eq!(lines.len(), 1, "no attempt will come");
        assert!(
            lines[0].ends_with("(answered 503 by choice, not forwarded)"),
            "{}",
            lines[0]
        );
        let mut j = Headless::new(true, true, cli);
        let v: serde_json::Value =
            serde_json::from_str(&j.on_report(Report::Captured(chosen), &t)[0]).unwrap();
        assert_eq!(v["answered"]["by"], "chosen");
        assert_eq!(v["answered"]["status"], 503);
    }

    #[test]
    fn a_capture_of_an_unselected_event_type_prints_at_once_and_says_why() {
        let t = |_| "T".to_string();
        let mut h = Headless::new(false, true, cli);
        h.unrouted = NOT_FORWARDED;
        let unrouted = |id| CaptureSummary {
            route: None,
            event_key: None,
            answered: None,
            delivery: None,
            ..summary(id)
        };
        let lines = h.on_report(Report::Captured(unrouted(1)), &t);
        assert_eq!(lines.len(), 1, "no attempt will come");
        assert!(
            lines[0].ends_with("(not forwarded: event type not selected)"),
            "{}",
            lines[0]
        );
        let mut j = Headless::new(true, true, cli);
        let v: serde_json::Value =
            serde_json::from_str(&j.on_report(Report::Captured(unrouted(2)), &t)[0]).unwrap();
        assert_eq!(v["note"], NO_ROUTE);
    }

    #[test]
    fn a_totals_line_comes_at_most_every_minute_and_only_after_news() {
        let t = |_| String::new();
        let start = std::time::Instant::now();
        let mut h = Headless::new(false, false, cli);
        assert_eq!(h.totals_due(start + TOTALS_EVERY), None, "nothing new");
        h.on_report(Report::Captured(summary(1)), &t);
        assert_eq!(h.totals_due(start + TOTALS_EVERY / 2), None, "too soon");
        let later = start + TOTALS_EVERY * 2;
        assert_eq!(
            h.totals_due(later).as_deref(),
            Some("totals since start: 1 delivery: 0 PASS, 0 FAIL, 1 other")
        );
        assert_eq!(h.totals_due(later + TOTALS_EVERY), None, "unchanged since");
        let mut j = Headless::new(true, false, cli);
        j.on_report(Report::Captured(summary(2)), &t);
        assert_eq!(j.totals_due(later), None, "JSON waits for 'stopped'");
    }
}
