//! The report card as text lines, JSON objects and JUnit XML. Pure formatting.

use serde_json::{json, Value};
use std::time::Duration;

use super::grade::{explain, hint};
use super::{Answer, Grade, ProbeResult};
use crate::hint::Words;

/// How many response body characters a report shows.
pub const BODY_HEAD_CHARS: usize = 60;

/// Totals of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Totals {
    pub fn of(results: &[ProbeResult]) -> Totals {
        let mut t = Totals::default();
        for r in results {
            match r.grade {
                Grade::Pass => t.passed += 1,
                Grade::Fail(_) => t.failed += 1,
                Grade::Skip(_) => t.skipped += 1,
            }
        }
        t
    }
}

/// The first characters of a response body on one line: control characters and bytes that
/// are not UTF-8 escaped (as the TUI shows them), cut with `…`.
pub fn body_head(body: &[u8]) -> String {
    let text = crate::text::escape_bytes(body.trim_ascii_end());
    match text.char_indices().nth(BODY_HEAD_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// What came back, in words: `200 in 12 ms: {"ok":true}`, `no answer within 10 s`.
pub fn answer_text(answer: &Answer) -> String {
    match answer {
        Answer::Response {
            status,
            latency,
            body,
        } => {
            let head = body_head(body);
            if head.is_empty() {
                format!("{status} in {} ms, empty body", ms(*latency))
            } else {
                format!("{status} in {} ms: {head}", ms(*latency))
            }
        }
        Answer::Timeout { after } => {
            format!("no answer within {} s (timeout)", after.as_secs_f64())
        }
        Answer::Failed { error, .. } => format!("no answer: {error}"),
    }
}

/// One probe's line (and, for a failure, the explanation on the next, with what hookscope can
/// do about it in the surface's `words`).
pub fn text_line(r: &ProbeResult, deadline: Duration, words: Words) -> String {
    let name = r.probe.name();
    match &r.grade {
        Grade::Skip(reason) => format!("SKIP {name:<13} {reason}"),
        grade => {
            let badge = if *grade == Grade::Pass {
                "PASS"
            } else {
                "FAIL"
            };
            let what = match (&r.answer, r.probe) {
                (Some(Answer::Response { latency, .. }), super::Probe::Latency) => format!(
                    "the valid probe: {} ms, deadline {} ms",
                    ms(*latency),
                    ms(deadline)
                ),
                (Some(a), super::Probe::Latency) => {
                    format!("the valid probe: {}", answer_text(a))
                }
                (Some(a), _) => format!("{} -> {}", r.sent, answer_text(a)),
                (None, _) => r.sent.clone(),
            };
            let mut line = format!("{badge} {name:<13} {what}");
            if let Grade::Fail(f) = grade {
                let mut fix = explain(r.probe, *f).to_string();
                if let Some(h) = hint(r.probe, *f) {
                    fix = format!("{} ({}).", fix.trim_end_matches('.'), words(h));
                }
                line.push_str(&format!("\n     {:<13} {fix}", ""));
            }
            line
        }
    }
}

/// The summary line of the text report.
pub fn text_summary(t: Totals) -> String {
    let verdict = if t.failed == 0 {
        "ready to go live"
    } else {
        "not ready: fix the failures above"
    };
    format!(
        "{} passed, {} failed, {} skipped: {verdict}",
        t.passed, t.failed, t.skipped
    )
}

/// One probe as a JSON object: `probe`, `ok`, `status`, `latency_ms`, `detail`, and more.
pub fn json_object(r: &ProbeResult) -> Value {
    let (outcome, failure, detail) = match &r.grade {
        Grade::Pass => ("pass", None, r.answer.as_ref().map(answer_text)),
        Grade::Fail(f) => (
            "fail",
            Some(f.as_str()),
            Some(explain(r.probe, *f).to_string()),
        ),
        Grade::Skip(reason) => ("skip", None, Some(reason.clone())),
    };
    let remedy = match &r.grade {
        Grade::Fail(f) => hint(r.probe, *f).map(|h| h.to_json()),
        _ => None,
    };
    json!({
        "probe": r.probe.name(),
        "ok": !r.failed(),
        "outcome": outcome,
        "status": r.answer.as_ref().and_then(Answer::status),
        "latency_ms": r.answer.as_ref().map(|a| a.latency().as_millis() as u64),
        "detail": detail,
        "failure": failure,
        "hint": remedy,
        "sent": (!r.sent.is_empty()).then_some(r.sent.as_str()),
        "answer": r.answer.as_ref().map(answer_text),
    })
}

/// The closing JSON object.
pub fn json_summary(t: Totals, target: &str) -> Value {
    json!({
        "summary": true,
        "target": target,
        "ok": t.failed == 0,
        "passed": t.passed,
        "failed": t.failed,
        "skipped": t.skipped,
    })
}

/// A JUnit XML report: one test suite, one test case per probe.
pub fn junit(results: &[ProbeResult], target: &str, timestamp: &str) -> String {
    let t = Totals::of(results);
    let total_s: f64 = results
        .iter()
        .filter(|r| r.probe != super::Probe::Latency)
        .filter_map(|r| r.answer.as_ref())
        .map(|a| a.latency().as_secs_f64())
        .sum();
    let suite = format!("hookscope check {target}");
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"hookscope check\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{total_s:.3}\">\n",
        results.len(), t.failed, t.skipped
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{total_s:.3}\" timestamp=\"{}\">\n",
        xml(&suite), results.len(), t.failed, t.skipped, xml(timestamp)
    ));
    for r in results {
        let time = r
            .answer
            .as_ref()
            .map(|a| a.latency().as_secs_f64())
            .unwrap_or(0.0);
        let open = format!(
            "    <testcase classname=\"hookscope.check\" name=\"{}\" time=\"{time:.3}\"",
            r.probe.name()
        );
        let what = format!(
            "sent: {}\ngot: {}",
            r.sent,
            r.answer.as_ref().map(answer_text).unwrap_or_default()
        );
        match &r.grade {
            Grade::Pass => out.push_str(&format!("{open}/>\n")),
            Grade::Skip(reason) => out.push_str(&format!(
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml(reason)
            )),
            Grade::Fail(f) => out.push_str(&format!(
                "{open}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                f.as_str(),
                xml(explain(r.probe, *f)),
                xml(&what)
            )),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes text for an XML attribute or element; characters XML 1.0 forbids become U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::grade::Failure;
    use crate::check::Probe;

    fn results() -> Vec<ProbeResult> {
        vec![
            ProbeResult {
                probe: Probe::Valid,
                sent: "POST, signed now with secret #0 (the current one)".into(),
                answer: Some(Answer::Response {
                    status: 200,
                    latency: Duration::from_millis(12),
                    body: b"{\"ok\":true}\n".to_vec(),
                }),
                grade: Grade::Pass,
            },
            ProbeResult {
                probe: Probe::Stale,
                sent: "POST, signed with t 600 s ago".into(),
                answer: Some(Answer::Response {
                    status: 500,
                    latency: Duration::from_millis(3),
                    body: b"<h1>boom & \x01</h1>".to_vec(),
                }),
                grade: Grade::Fail(Failure::Crashed),
            },
            ProbeResult::skipped(Probe::Rotation, "needs two secrets"),
            ProbeResult {
                probe: Probe::Tampered,
                sent: "POST".into(),
                answer: Some(Answer::Timeout {
                    after: Duration::from_secs(10),
                }),
                grade: Grade::Fail(Failure::TimedOut),
            },
        ]
    }

    #[test]
    fn text_lines_say_what_was_sent_what_came_back_and_the_fix() {
        let r = results();
        let d = Duration::from_secs(3);
        assert_eq!(
            text_line(&r[0], d, crate::commands::hint::words),
            "PASS valid         POST, signed now with secret #0 (the current one) -> 200 in 12 ms: {\"ok\":true}"
        );
        let fail = text_line(&r[1], d, crate::commands::hint::words);
        assert!(fail.starts_with("FAIL stale "), "{fail}");
        assert!(
            fail.contains("-> 500 in 3 ms: <h1>boom & \\u{1}</h1>"),
            "{fail}"
        );
        assert!(fail.contains("will retry"), "{fail}");
        assert_eq!(
            text_line(&r[2], d, crate::commands::hint::words),
            "SKIP rotation      needs two secrets"
        );
        assert!(text_line(&r[3], d, crate::commands::hint::words)
            .contains("no answer within 10 s (timeout)"));
        assert_eq!(
            text_summary(Totals::of(&r)),
            "1 passed, 2 failed, 1 skipped: not ready: fix the failures above"
        );
    }

    #[test]
    fn body_head_is_cut() {
        let long = "x".repeat(100);
        let h = body_head(long.as_bytes());
        assert_eq!(h.chars().count(), BODY_HEAD_CHARS + 1);
        assert!(h.ends_with('…'));
    }

    #[test]
    fn json_has_the_promised_fields() {
        let r = results();
        let v = json_object(&r[1]);
        assert_eq!(v["probe"], "stale");
        assert_eq!(v["ok"], false);
        assert_eq!(v["status"], 500);
        assert_eq!(v["latency_ms"], 3);
        assert_eq!(v["failure"], "crashed");
        assert!(v["detail"].as_str().unwrap().contains("retry"));
        let t = json_object(&r[3]);
        assert_eq!(t["status"], Value::Null, "a timeout is never a status");
        assert_eq!(t["failure"], "timeout");
        let s = json_object(&r[2]);
        assert_eq!(
            (s["ok"].clone(), s["outcome"].clone()),
            (json!(true), json!("skip"))
        );
        let sum = json_summary(Totals::of(&r), "http://x/");
        assert_eq!(sum["failed"], 2);
        assert_eq!(sum["ok"], false);
    }

    #[test]
    fn junit_is_escaped_and_counts() {
        let x = junit(&results(), "http://x/?a=1&b=2", "2026-01-01T00:00:00Z");
        assert!(
            x.contains("tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\""),
            "{x}"
        );
        assert!(
            x.contains("name=\"hookscope check http://x/?a=1&amp;b=2\""),
            "{x}"
        );
        assert!(x.contains("<failure type=\"crashed\""), "{x}");
        assert!(x.contains("&lt;h1&gt;boom &amp; \\u{1}&lt;/h1&gt;"), "{x}");
        assert!(
            x.contains("<skipped message=\"needs two secrets\"/>"),
            "{x}"
        );
        assert!(!x.contains('\u{1}'));
        assert_eq!(x.matches("<testcase ").count(), 4);
    }
}
