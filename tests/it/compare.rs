//! `diff`, `stats` and the final `stopped` line of `listen --json`, through the real binary
//! and a real store.

use crate::common::*;

const PENDING: &str =
    r#"{"id":"e1","event_type":"DOCVER","payload":{"status":"pending","checks":[{"ok":true}]}}"#;
const VERIFIED: &str = r#"{"id":"e1","event_type":"DOCVER","payload":{"status":"verified","checks":[{"ok":false}],"level":2}}"#;

#[test]
fn listen_stats_and_diff_on_a_real_store() {
    let app = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let target = app.url();
    let l = Listener::start(&db, &["--forward-to", &target]);
    let host = l.addr.clone();
    let mut ids = Vec::new();
    for (body, extra) in [(PENDING, "a"), (VERIFIED, "b"), (VECTOR_BODY, "c")] {
        let r = post(
            &l.addr,
            "/hook",
            &[("Content-Type", "application/json"), ("X-Extra", extra)],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "the app's answer passes through");
        ids.push(l.next_line()["id"].as_i64().unwrap());
    }
    let (status, rest) = l.stop_and_rest();
    assert!(status.success());
    let stopped = rest.last().expect("a final line");
    assert_eq!(stopped["event"], "stopped", "{rest:?}");
    assert_eq!(stopped["totals"]["deliveries"], 3);
    assert_eq!(stopped["totals"]["verdicts"]["unsigned"], 3);
    assert_eq!(stopped["totals"]["answers"]["2xx"], 3);
    assert_eq!(stopped["totals"]["latency_ms"]["of"], 3);

    let o = run(&["stats", "--json", "--db", db.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(s["deliveries"], 3);
    assert_eq!(s["verdicts"]["unsigned"], 3);
    assert_eq!(
        s["events"][0],
        serde_json::json!({"event": "DOCVER", "count": 2})
    );
    assert_eq!(s["events"][1]["event"], "AML_SCREENING");
    assert_eq!(s["answers"]["2xx"], 3);
    assert_eq!(s["latency_ms"]["of"], 3);
    assert!(s["latency_ms"]["p99"].as_u64().is_some());
    let o = run(&["stats", "--since", "1h", "--db", db.to_str().unwrap()]);
    let text = stdout(&o);
    assert!(text.starts_with("3 deliveries in the last 1h\n"), "{text}");
    assert!(text.contains("latency over 3 answers: p50 "), "{text}");

    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    let o = run(&["diff", &a, &b, "--json", "--db", db.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let paths: Vec<&str> = d["body"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["payload.status", "payload.checks[0].ok", "payload.level"]
    );
    assert_eq!(d["body"]["paths"][0]["from"], "pending");
    assert_eq!(d["headers"]["changes"][0]["name"], "X-Extra");
    let o = run(&["diff", &a, &b, "--db", db.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("  payload.status: \"pending\" -> \"verified\"\n"),
        "{}",
        stdout(&o)
    );

    // An edited replay, then the capture against what it sent.
    let edited = dir.path().join("edited.json");
    std::fs::write(
        &edited,
        r#"{"id":"e1","event_type":"DOCVER","payload":{"status":"rejected"}}"#,
    )
    .unwrap();
    let o = run(&[
        "replay",
        &a,
        "--to",
        &target,
        "--body-file",
        edited.to_str().unwrap(),
        "-H",
        "X-Env: staging",
        "--secret",
        SECRET,
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sent = app.received().pop().expect("the replay reached the app");
    let signature = sent.header("x-webhook-signature").expect("re-signed");
    let diff_replay_json = |id: &str| {
        run(&[
            "diff",
            id,
            "--replay",
            "--json",
            "--db",
            db.to_str().unwrap(),
        ])
    };
    let o = diff_replay_json(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        d["right"],
        format!("#{a} replay 1 (edited body, re-signed)")
    );
    // The headers the replay really sent, against the capture's: its new signature and the
    // edited header; the connection's own headers are left out, not called removed.
    assert_eq!(
        d["headers"],
        serde_json::json!({
            "changes": [
                {"change": "added", "name": "X-Forwarded-Host", "value": host},
                {"change": "added", "name": "X-Env", "value": "staging"},
                {"change": "added", "name": "X-Webhook-Signature", "value": signature},
            ],
            "reordered": false,
            "left_out": ["Host", "Content-Length", "Connection"],
        })
    );
    assert_eq!(d["identical"], false);
    assert_eq!(d["body"]["paths"][0]["to"], "rejected");
    let o = run(&["diff", &a, "--replay", "--db", db.to_str().unwrap()]);
    let text = stdout(&o);
    assert!(
        text.contains(&format!(
            "headers:\n  + X-Forwarded-Host: {}\n  + X-Env: staging\n  + X-Webhook-Signature: {signature}\n  (Host, Content-Length, Connection not compared: hop-by-hop, each connection sets its own)\n",
            host
        )),
        "{text}"
    );

    // A replay stored before hookscope kept the headers it sent compares bodies only, and says why.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE attempts SET sent_headers = NULL", [])
        .unwrap();
    let o = diff_replay_json(&a);
    let d: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(d["headers"], serde_json::Value::Null);
    assert_eq!(d["body"]["paths"][0]["to"], "rejected");
    let o = run(&["diff", &a, "--replay", "--db", db.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("headers: not compared (this replay was recorded before hookscope kept the headers a replay sends)\n"),
        "{}",
        stdout(&o)
    );

    // Mistakes say what to do.
    let o = run(&["diff", &b, "--replay", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("has no replay with an edited body"),
        "{}",
        stderr(&o)
    );
    let o = run(&["diff", &a, "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("give two capture ids"),
        "{}",
        stderr(&o)
    );
    let o = run(&["diff", &a, "999", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("capture 999 is not in"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn listen_events_forwards_only_the_chosen_types() {
    let app = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let target = app.url();
    let l = Listener::start(
        &db,
        &["--forward-to", &target, "--events", "docver,AML_SCREENING"],
    );
    let kyt = r#"{"id":"k1","event_type":"KYT_WALLET_CHECK"}"#;
    let r = post(&l.addr, "/hook", &[], kyt.as_bytes());
    assert_eq!(r.status, 200);
    assert!(
        r.json()["id"].as_i64().is_some(),
        "hookscope acknowledges it itself"
    );
    let line = l.next_line();
    assert_eq!(line["event_type"], "KYT_WALLET_CHECK");
    assert_eq!(line["note"], "not forwarded: event type not selected");
    let r = post(&l.addr, "/hook", &[], PENDING.as_bytes());
    assert_eq!(r.json()["received"], true, "the app's answer");
    let line = l.next_line();
    assert_eq!(line["latest_attempt"]["status"], 200);
    assert_eq!(app.received().len(), 1);
    let (status, rest) = l.stop_and_rest();
    assert!(status.success());
    assert_eq!(rest.last().unwrap()["totals"]["answers"]["2xx"], 1);

    let o = run(&["listen", "--events", "DOCVER", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "--events needs --forward-to");
    assert!(stderr(&o).contains("--forward-to"), "{}", stderr(&o));
}
