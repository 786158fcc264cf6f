//! Chosen failures and the sender's retries observed: `listen --respond 503,times=2` against
//! real senders that retry, `retries` printing the schedule they followed, `show` placing a
//! delivery among its event's, and `replay --schedule` hitting an app on that schedule.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{now, ok, p, post, sign, stdout, Behaviour, Listener, TestApp, SECRET};

/// A sender that redelivers like a webhook provider: the same event (same body, re-signed each
/// time) until it gets a 2xx, waiting `backoff[i]` after the `i`-th failed answer.
fn retrying_sender(addr: &str, body: &str, backoff: &[Duration]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for attempt in 0..=backoff.len() {
        let sig = sign(SECRET, now(), body.as_bytes());
        let r = post(
            addr,
            "/dataspike/hook",
            &[
                ("Content-Type", "application/json"),
                ("X-Webhook-Signature", &sig),
            ],
            body.as_bytes(),
        );
        statuses.push(r.status);
        if (200..300).contains(&r.status) {
            break;
        }
        if let Some(wait) = backoff.get(attempt) {
            std::thread::sleep(*wait);
        }
    }
    statuses
}

fn retries_json(db: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["retries", "--json", "--db", p(db)];
    args.extend_from_slice(extra);
    serde_json::from_str(&stdout(&ok(&args))).unwrap()
}

#[test]
fn a_chosen_503_makes_the_sender_retry_and_retries_prints_its_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let app = TestApp::start(Behaviour::default());
    let l = Listener::start(
        &db,
        &[
            "--secret",
            SECRET,
            "--respond",
            "503,times=2",
            "--forward-to",
            &app.url(),
        ],
    );
    let event = r#"{"id":"0192ab12-7d1a-7c2b-9a30-7ab7cc169d11","webhook_id":"w","event_type":"DOCVER","timestamp":"2026-12-07T10:00:00Z","payload":{}}"#;
    let other = r#"{"id":"evt-single","webhook_id":"w","event_type":"DOCVER","payload":{}}"#;
    let backoff = [Duration::from_millis(300), Duration::from_millis(700)];
    let statuses = retrying_sender(&l.addr, event, &backoff);
    assert_eq!(
        statuses,
        [503, 503, 200],
        "two chosen failures, then the app"
    );
    // Another event is counted apart: its first delivery gets the chosen answer too.
    let lone = sign(SECRET, now(), other.as_bytes());
    let r = post(
        &l.addr,
        "/dataspike/hook",
        &[("X-Webhook-Signature", &lone)],
        other.as_bytes(),
    );
    assert_eq!(r.status, 503);
    // The listener's own lines say which were answered by choice.
    let lines: Vec<serde_json::Value> = (0..4).map(|_| l.next_line()).collect();
    let chosen = lines
        .iter()
        .filter(|v| v["answered"]["by"] == "chosen")
        .count();
    assert_eq!(chosen, 3, "{lines:?}");
    assert!(l.stop().success());

    // Only the delivery the app was given reached it.
    assert_eq!(app.received().len(), 1);

    // The schedule the sender followed.
    let v = retries_json(&db, &[]);
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "the lone event was delivered once: {v}");
    let e = &events[0];
    assert_eq!(e["event"], "0192ab12-7d1a-7c2b-9a30-7ab7cc169d11");
    assert_eq!(e["scheme"], "dataspike");
    assert_eq!(e["attempts"], 3);
    let answers: Vec<(u64, &str)> = e["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["answer"]["status"].as_u64().unwrap(),
                d["answer"]["by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(answers, [(503, "chosen"), (503, "chosen"), (200, "app")]);
    assert_eq!(e["final_answer"]["status"], 200);
    // Each gap is at least the sender's wait (it waited after the answer came).
    let gaps: Vec<u64> = e["gaps_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_u64().unwrap())
        .collect();
    assert_eq!(gaps.len(), 2);
    assert!(gaps[0] >= 300 && gaps[1] >= 700, "{gaps:?}");

    // As a table, and for one event named by the beginning of its id.
    let text = stdout(&ok(&["retries", "--db", p(&db), "--event", "0192ab12…"]));
    assert!(
        text.starts_with("event 0192ab12-7d1a-7c2b-9a30-7ab7cc169d11 (dataspike, /dataspike/hook): 3 deliveries over"),
        "{text}"
    );
    assert!(text.contains("final answer 200 (app)"), "{text}");
    assert_eq!(text.matches("503 (chosen)").count(), 2, "{text}");
    let single = retries_json(&db, &["--event", "evt-single"]);
    assert_eq!(single["events"][0]["attempts"], 1);
    let missing = crate::common::run(&["retries", "--db", p(&db), "--event", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(crate::common::stderr(&missing).contains("no delivery of an event 'nope'"));

    // show places a delivery among its event's, and says how it was answered.
    let shown = stdout(&ok(&["show", "3", "--db", p(&db)]));
    assert!(
        shown.contains("delivery 3 of event 0192ab12…, +"),
        "{shown}"
    );
    assert!(shown.contains("after the first (also #1, #2)"), "{shown}");
    let first = stdout(&ok(&["show", "1", "--db", p(&db)]));
    assert!(
        first.contains("answered: 503 by choice, not forwarded"),
        "{first}"
    );
    let j = crate::common::show_json(&db, 2);
    assert_eq!(j["delivery"]["n"], 2);
    assert_eq!(j["delivery"]["of"], 3);
    assert_eq!(j["answered"]["by"], "chosen");
    // The query language finds an event's deliveries.
    let found = crate::common::list_json(&db, &["--query", "event:0192ab12*"]);
    assert_eq!(found.len(), 3);
    assert_eq!(found[0]["delivery"], serde_json::json!({"n": 3, "of": 3}));
    assert_eq!(found[2]["answered"]["by"], "chosen");
    let table = stdout(&ok(&["list", "--db", p(&db), "--query", "event:0192ab12*"]));
    assert_eq!(table.matches("503 chosen").count(), 2, "{table}");

    // Replayed on the observed schedule: as many attempts, each no earlier than its offset.
    let replayed = Instant::now();
    let out = ok(&[
        "replay",
        "1",
        "--schedule",
        "observed",
        "--secret",
        SECRET,
        "--json",
        "--db",
        p(&db),
    ]);
    let took = replayed.elapsed();
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&out));
    let at: Vec<u64> = lines
        .iter()
        .map(|l| l["schedule"]["at_ms"].as_u64().unwrap())
        .collect();
    assert!(
        at[1] >= gaps[0] && at[2] >= gaps[0] + gaps[1],
        "{at:?} {gaps:?}"
    );
    assert!(took >= Duration::from_millis(gaps[0] + gaps[1]));
    for l in &lines {
        assert_eq!(l["attempt"]["status"], 200);
        assert_eq!(l["attempt"]["resigned"], true);
    }
    // The app got the same event three more times, in that order.
    let got = app.received();
    assert_eq!(got.len(), 4);
    assert!(got[1..].iter().all(|r| r.body == event.as_bytes()));
}

#[test]
fn curl_retrying_on_its_own_schedule_is_linked_by_webhook_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--respond", "503,times=2", "--respond", "ack"]);
    // curl retries a 503 after --retry-delay each time: a real sender process on a known
    // schedule.
    // Into a file: curl 7.88 cannot truncate /dev/null before a retry (exit 23).
    let answer = dir.path().join("answer.json");
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            p(&answer),
            "-w",
            "%{http_code}",
            "--retry",
            "3",
            "--retry-delay",
            "1",
            "-H",
            "webhook-id: msg_2hXbC5",
            "-H",
            "Content-Type: application/json",
            "--data",
            r#"{"type":"user.created"}"#,
            &format!("{}/hooks", l.url),
        ])
        .output()
        .expect("curl runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    assert!(l.stop().success());
    let v = retries_json(&db, &["--event", "msg_2hXbC5"]);
    let e = &v["events"][0];
    assert_eq!(e["attempts"], 3);
    let statuses: Vec<u64> = e["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["answer"]["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert!(e["gaps_ms"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g.as_u64().unwrap() >= 900));

    // A schedule file: two attempts, the second half a second after the first.
    let app = TestApp::start(Behaviour::default());
    let file = dir.path().join("schedule.txt");
    std::fs::write(&file, "# twice\n0s\n500ms\n").unwrap();
    let out = ok(&[
        "replay",
        "3",
        "--schedule",
        p(&file),
        "--to",
        &app.url(),
        "--db",
        p(&db),
    ]);
    let text = stdout(&out);
    assert!(text.starts_with("attempt 1/2 +"), "{text}");
    assert!(text.contains("attempt 2/2 +"), "{text}");
    assert_eq!(app.received().len(), 2);
    let missing =
        crate::common::run(&["replay", "3", "--schedule", "no-such-file", "--db", p(&db)]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(crate::common::stderr(&missing).contains("cannot read 'no-such-file'"));
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "0s\nsoon\n").unwrap();
    let o = crate::common::run(&["replay", "3", "--schedule", p(&bad), "--db", p(&db)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        crate::common::stderr(&o).contains("line 2: 'soon' is not a duration"),
        "{}",
        crate::common::stderr(&o)
    );
}
