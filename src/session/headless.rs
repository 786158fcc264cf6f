//! Headless output: one line (or one JSON object) per capture, for a terminal without the UI
//! or a pipe. A consumer of the report stream like the UI; it must not touch the store.

use std::collections::HashMap;
use std::io::Write;

use crate::capture::{CaptureId, CaptureSummary};
use crate::intake::Respond;
use crate::listener::ListenConfig;
use crate::output;
use crate::report::{Report, ReportRx};
use crate::signature::Status;

/// The lines printed at start: where to send, where captures go, what is checked.
pub fn intro(
    url: &str,
    db: &std::path::Path,
    cfg: &ListenConfig,
    dev_secret: Option<&std::path::Path>,
) -> String {
    let mut s = format!(
        "hookscope listening on {url}\n  database: {}\n",
        db.display()
    );
    s.push_str(&match cfg.intake.secrets.len() {
        _ if dev_secret.is_some() => format!(
            "  secrets:  the local development secret (not a Dataspike secret; pass --secret for real deliveries)\n            kept in '{}'\n",
            dev_secret.map(|p| p.display().to_string()).unwrap_or_default()
        ),
        0 => "  secrets:  none (signatures are not checked; pass --secret whsec_...)\n".to_string(),
        n => format!("  secrets:  {n} loaded\n"),
    });
    if let Some(f) = &cfg.intake.forward {
        s.push_str(&format!(
            "  forward:  {} (sender gets {})\n",
            f.target,
            match f.respond {
                Respond::App => "the app's answer",
                Respond::Ack => "200 at once",
            }
        ));
    }
    s.push_str("  Ctrl-C stops");
    s
}

pub fn print_reports(mut rx: ReportRx, json: bool, forwarding: bool) {
    let mut headless = Headless::new(json, forwarding);
    let mut out = std::io::BufWriter::new(std::io::stdout());
    print_until_closed(&mut rx, &mut headless, &mut out);
    // The stream closes when the listener and every forward are done: the last word.
    if let Some(line) = headless.stopped() {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

fn print_until_closed(rx: &mut ReportRx, headless: &mut Headless, out: &mut impl Write) {
    while let Some(first) = rx.blocking_recv() {
        // Drain whatever else is waiting and write it with one flush: a burst is one syscall.
        let mut next = Some(first);
        while let Some(report) = next {
            for line in headless.on_report(report, &output::local_time) {
                if writeln!(out, "{line}").is_err() {
                    return;
                }
            }
            next = rx.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
    }
}

/// Turns reports into output lines. When forwarding, a capture's line waits for its forward
/// so it can carry the app's answer.
pub struct Headless {
    json: bool,
    forwarding: bool,
    pending: HashMap<CaptureId, CaptureSummary>,
    counts: Counts,
}

/// What a session took in, for its `stopped` event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub captures: u64,
    /// By verdict status (`valid`, `invalid`, ...), in [`Status::ALL`] order.
    pub by_verdict: Vec<(Status, u64)>,
    /// Refused by the transport (too large, too slow, broken) but stored.
    pub rejected: u64,
    /// Live forwards whose app answered 2xx, and those that did not.
    pub forwarded_ok: u64,
    pub forward_failed: u64,
}

impl Counts {
    fn captured(&mut self, s: &CaptureSummary) {
        self.captures += 1;
        if s.rejected.is_some() {
            self.rejected += 1;
        }
        let status = s.verdict.status();
        match self.by_verdict.iter_mut().find(|(v, _)| *v == status) {
            Some((_, n)) => *n += 1,
            None => self.by_verdict.push((status, 1)),
        }
    }
}

/// The last NDJSON line of `listen --json`: `{"event":"stopped","captures":N,...}`.
pub fn stopped_event(c: &Counts) -> String {
    let by_verdict: serde_json::Map<String, serde_json::Value> = Status::ALL
        .iter()
        .map(|s| {
            let n = c
                .by_verdict
                .iter()
                .find(|(v, _)| v == s)
                .map_or(0, |(_, n)| *n);
            (s.as_str().to_string(), n.into())
        })
        .collect();
    serde_json::json!({
        "event": "stopped",
        "captures": c.captures,
        "verdicts": by_verdict,
        "rejected": c.rejected,
        "forwarded_ok": c.forwarded_ok,
        "forward_failed": c.forward_failed,
    })
    .to_string()
}

impl Headless {
    pub fn new(json: bool, forwarding: bool) -> Headless {
        Headless {
            json,
            forwarding,
            pending: HashMap::new(),
            counts: Counts::default(),
        }
    }

    /// The closing line, once the stream has ended (JSON mode only).
    pub fn stopped(&self) -> Option<String> {
        self.json.then(|| stopped_event(&self.counts))
    }

    pub fn on_report(&mut self, report: Report, time: &dyn Fn(i64) -> String) -> Vec<String> {
        match &report {
            Report::Captured(s) => self.counts.captured(s),
            Report::Attempted {
                attempt,
                replay: false,
                ..
            } if attempt.succeeded() => self.counts.forwarded_ok += 1,
            Report::Attempted { replay: false, .. } => self.counts.forward_failed += 1,
            _ => {}
        }
        let summary = match report {
            Report::Listening { url } if self.json => {
                return vec![serde_json::json!({"event": "listening", "url": url}).to_string()]
            }
            Report::Captured(s) if self.forwarding && s.rejected.is_none() => {
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
            Report::ForwardQueue { waiting } => {
                return vec![if self.json {
                    serde_json::json!({"event": "forward_queue", "waiting": waiting}).to_string()
                } else if waiting == 0 {
                    "forward queue drained".to_string()
                } else {
                    format!("forward queue: {waiting} waiting for the app (--forward-concurrency)")
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
        if self.json {
            vec![summary.to_json().to_string()]
        } else {
            vec![output::capture_line(
                &summary,
                &time(summary.received_at_ms),
            )]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::AttemptBrief;
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
        }
    }

    #[test]
    fn forwarding_lines_wait_for_the_attempt() {
        let mut h = Headless::new(false, true);
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
        let mut h = Headless::new(true, false);
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
    fn the_stopped_event_counts_by_verdict() {
        let mut h = Headless::new(true, false);
        let t = |_| String::new();
        h.on_report(Report::Captured(summary(1)), &t);
        let mut rejected = summary(2);
        rejected.rejected = Some(crate::capture::Rejection {
            status: 413,
            reason: "big".into(),
        });
        h.on_report(Report::Captured(rejected), &t);
        let v: serde_json::Value = serde_json::from_str(&h.stopped().unwrap()).unwrap();
        assert_eq!(v["event"], "stopped");
        assert_eq!(v["captures"], 2);
        assert_eq!(v["verdicts"]["unverified"], 2);
        assert_eq!(v["verdicts"]["valid"], 0);
        assert_eq!(v["rejected"], 1);
        assert!(Headless::new(false, false).stopped().is_none());
    }
}
