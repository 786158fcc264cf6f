//! Forwarding and replay end to end: real listener, real test app, real files.

use crate::common::*;
use std::time::Duration;

#[test]
fn forwards_byte_exact_with_prefix_and_mirrors_status() {
    let app = TestApp::start(Behaviour {
        status: 202,
        body: "{\"queued\":1}",
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(
        &db,
        &[
            "--secret",
            SECRET,
            "--forward-to",
            &format!("{}/api/", app.url()),
        ],
    );
    let body = VECTOR_BODY.as_bytes();
    let sig = sign(SECRET, now(), body);
    let r = post(
        &l.addr,
        "/dataspike/hook?x=1",
        &[
            ("X-Webhook-Signature", &sig),
            ("Content-Type", "application/json"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "drop me"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Authorization", "Basic x"),
            ("X-Custom", "kept"),
        ],
        body,
    );
    // The sender sees the app's answer, as through a tunnel.
    assert_eq!(r.status, 202);
    assert_eq!(r.body, b"{\"queued\":1}");
    assert!(
        r.head.to_ascii_lowercase().contains("x-app: test"),
        "{}",
        r.head
    );

    let got = app.received();
    assert_eq!(got.len(), 1);
    let g = &got[0];
    assert_eq!(g.uri, "/api/dataspike/hook?x=1");
    assert_eq!(g.body, body, "body forwarded byte for byte");
    assert_eq!(g.header("x-webhook-signature").unwrap(), sig);
    assert_eq!(g.header("x-custom").as_deref(), Some("kept"));
    assert_eq!(g.header("host").unwrap(), app.addr.to_string());
    assert_eq!(g.header("x-forwarded-host").unwrap(), l.addr);
    assert_eq!(g.header("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    assert_eq!(g.header("x-forwarded-proto").as_deref(), Some("http"));
    for hop in ["x-hop", "keep-alive", "proxy-authorization"] {
        assert!(g.header(hop).is_none(), "{hop} must not be forwarded");
    }
    let line = l.next_line();
    assert_eq!(line["latest_attempt"]["status"], 202);
    drop(l);

    let shown = show_json(&db, line["id"].as_i64().unwrap());
    let attempts = shown["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    let a = &attempts[0];
    assert_eq!(a["status"], 202);
    assert_eq!(a["target"], format!("{}/api/dataspike/hook?x=1", app.url()));
    assert_eq!(a["resigned"], false);
    assert_eq!(a["response_body"], "{\"queued\":1}");
    assert!(a["latency_ms"].as_u64().is_some());
    assert!(a["at"].as_str().unwrap().ends_with('Z'));
    let list = list_json(&db, &[]);
    assert_eq!(list[0]["latest_attempt"]["status"], 202);
}

#[test]
fn app_down_gives_502_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--forward-to", &dead_port_url()]);
    let r = post(&l.addr, "/hook", &[], b"{\"event_type\":\"DOCVER\"}");
    assert_eq!(r.status, 502);
    let err = r.json();
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("is your app running"),
        "{err}"
    );
    let id = err["id"].as_i64().unwrap();
    let line = l.next_line();
    assert_eq!(line["id"], id);
    assert!(line["latest_attempt"]["error"]
        .as_str()
        .unwrap()
        .contains("refused"));
    drop(l);
    let shown = show_json(&db, id);
    assert_eq!(
        b64(shown["body_base64"].as_str().unwrap()),
        b"{\"event_type\":\"DOCVER\"}"
    );
    assert_eq!(shown["attempts"][0]["status"], serde_json::Value::Null);
}

#[test]
fn slow_app_gives_504() {
    let app = TestApp::start(Behaviour {
        delay: Duration::from_secs(5),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--forward-to", &app.url(), "--forward-timeout", "1"]);
    let r = post(&l.addr, "/slow", &[], b"x");
    assert_eq!(r.status, 504);
    assert!(r.json()["error"].as_str().unwrap().contains("within 1 s"));
    let line = l.next_line();
    assert!(line["latest_attempt"]["error"]
        .as_str()
        .unwrap()
        .contains("no answer"));
}

#[test]
fn respond_ack_answers_at_once_and_forwards_in_background() {
    let app = TestApp::start(Behaviour {
        status: 500,
        delay: Duration::from_millis(300),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--forward-to", &app.url(), "--respond", "ack"]);
    let r = post(&l.addr, "/ack", &[], b"{}");
    assert_eq!(r.status, 200);
    let id = r.json()["id"].as_i64().unwrap();
    let line = l.next_line();
    assert_eq!(line["id"], id);
    assert_eq!(line["latest_attempt"]["status"], 500);
    assert_eq!(app.received().len(), 1);
}

#[test]
fn replay_as_is_resigned_edited_and_failed_backlog() {
    let app = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let dbs = db.to_str().unwrap();
    let dead = dead_port_url();

    // Two deliveries while the app is down, one while it is up.
    let l = Listener::start(&db, &["--secret", SECRET, "--forward-to", &dead]);
    let old_sig = format!("t={VECTOR_T},v1={VECTOR_V1}");
    let first = post(
        &l.addr,
        "/hook?a=1",
        &[("X-Webhook-Signature", &old_sig)],
        VECTOR_BODY.as_bytes(),
    );
    assert_eq!(first.status, 502);
    let first = first.json()["id"].as_i64().unwrap();
    let second = post(&l.addr, "/hook", &[], b"second").json()["id"]
        .as_i64()
        .unwrap();
    drop(l);
    let l = Listener::start(&db, &["--forward-to", &app.url()]);
    let r = post(&l.addr, "/hook", &[], b"fine");
    // In tunnel mode the body is the app's; the capture id rides in a header.
    assert_eq!(r.body, b"{\"received\":true}");
    let ok = l.next_line()["id"].as_i64().unwrap();
    assert!(
        r.head.contains(&format!("x-hookscope-capture: {ok}")),
        "{}",
        r.head
    );
    drop(l);
    assert_eq!(app.received().len(), 1);

    // Without --to, the last target (the dead one) is used, and failure exits non-zero.
    let o = run(&["replay", &second.to_string(), "--db", dbs]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));

    // --as-is: the original request byte for byte, stale signature included.
    let o = run(&[
        "replay",
        &first.to_string(),
        "--to",
        &app.url(),
        "--as-is",
        "--db",
        dbs,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("-> 200"), "{}", stdout(&o));
    let got = app.received().pop().unwrap();
    assert_eq!(got.uri, "/hook?a=1");
    assert_eq!(got.body, VECTOR_BODY.as_bytes());
    assert_eq!(got.header("x-webhook-signature").unwrap(), old_sig);

    // By default, with a secret loaded: a fresh t that passes an independent Dataspike check.
    let before = now();
    let o = run(&[
        "replay",
        &first.to_string(),
        "--to",
        &app.url(),
        "--secret",
        SECRET,
        "--db",
        dbs,
    ]);
    assert!(stdout(&o).contains("(re-signed)"), "{}", stdout(&o));
    assert!(o.status.success(), "{}", stderr(&o));
    let got = app.received().pop().unwrap();
    let header = got.header("x-webhook-signature").unwrap();
    let t: i64 = header
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("t=")
        .parse()
        .unwrap();
    assert!(t >= before && t <= now());
    assert_eq!(header, sign(SECRET, t, VECTOR_BODY.as_bytes()));

    // --resign without a secret signs with the local development secret.
    let o = run(&[
        "replay",
        &first.to_string(),
        "--to",
        &app.url(),
        "--resign",
        "--db",
        dbs,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = app.received();
    let header = got.last().unwrap().header("x-webhook-signature").unwrap();
    let t: i64 = header[2..header.find(',').unwrap()].parse().unwrap();
    assert_eq!(
        header,
        sign(&dev_secret_in(config_home()), t, VECTOR_BODY.as_bytes())
    );

    // Edit and replay: new body, re-signed, stored with the attempt.
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, b"{\"edited\":true}").unwrap();
    let o = run(&[
        "replay",
        &first.to_string(),
        "--to",
        &app.url(),
        "--body-file",
        edited.to_str().unwrap(),
        "--secret",
        SECRET,
        "-H",
        "X-Extra: 1",
        "--db",
        dbs,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = app.received().pop().unwrap();
    assert_eq!(got.body, b"{\"edited\":true}");
    assert_eq!(got.header("x-extra").as_deref(), Some("1"));
    let t: i64 = got.header("x-webhook-signature").unwrap()[2..12]
        .parse()
        .unwrap();
    assert_eq!(
        got.header("x-webhook-signature").unwrap(),
        sign(SECRET, t, b"{\"edited\":true}")
    );

    // The history of one delivery reads in order.
    let shown = show_json(&db, first);
    let attempts = shown["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 5);
    assert_eq!(attempts[0]["kind"], "forward");
    assert_eq!(attempts[4]["kind"], "replay");
    assert_eq!(attempts[4]["resigned"], true);
    assert_eq!(
        b64(attempts[4]["sent_body_base64"].as_str().unwrap()),
        b"{\"edited\":true}"
    );
    assert_eq!(attempts[4]["edited_body"], true);

    // An edited replay reads as such everywhere: replay's line, show, and the HAR export,
    // which pairs the app's answer with the request really sent.
    assert!(
        stdout(&o).contains("(edited body, re-signed)"),
        "{}",
        stdout(&o)
    );
    let shown = stdout(&run(&["show", &first.to_string(), "--db", dbs]));
    assert!(shown.contains("(edited body, re-signed)"), "{shown}");
    assert!(shown.contains("sent an edited body: body: JSON"), "{shown}");
    assert!(shown.contains("+   \"edited\": true"), "{shown}");
    // By default a HAR export is the capture itself, with its own answer...
    let plain = dir.path().join("plain.har");
    let o = run(&[
        "export",
        &first.to_string(),
        "--format",
        "har",
        "--out",
        plain.to_str().unwrap(),
        "--db",
        dbs,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plain: serde_json::Value = serde_json::from_slice(&std::fs::read(&plain).unwrap()).unwrap();
    assert_eq!(
        plain["log"]["entries"][0]["request"]["postData"]["text"],
        VECTOR_BODY
    );
    // ...and with --edited, the latest edited replay as it was really sent.
    let har = dir.path().join("e.har");
    let o = run(&[
        "export",
        &first.to_string(),
        "--format",
        "har",
        "--edited",
        "--out",
        har.to_str().unwrap(),
        "--db",
        dbs,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let har: serde_json::Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    let request = &har["log"]["entries"][0]["request"];
    assert_eq!(request["postData"]["text"], "{\"edited\":true}");
    let sent_sig = request["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "X-Webhook-Signature")
        .map(|h| h["value"].as_str().unwrap().to_string());
    assert_eq!(sent_sig, got.header("x-webhook-signature"));

    // --failed takes the deliveries whose latest attempt failed, but never re-signs an
    // unsigned one: `second` is left out, and counted.
    let n_before = app.received().len();
    let o = run(&["replay", "--failed", "--to", &app.url(), "--db", dbs]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("nothing to replay"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("left out 1 capture whose own signature failed (invalid or unsigned)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(app.received().len(), n_before);
    // Named by id it goes as captured, with a warning, and is not re-signed.
    let o = run(&[
        "replay",
        &second.to_string(),
        "--to",
        &app.url(),
        "--db",
        dbs,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("its own signature failed (unsigned), so it went as captured"),
        "{}",
        stderr(&o)
    );
    let got = app.received().pop().unwrap();
    assert_eq!(got.body, b"second");
    assert_eq!(got.header("x-webhook-signature"), None, "not re-signed");
    assert_eq!(show_json(&db, ok)["attempts"].as_array().unwrap().len(), 1);
    // Nothing left to replay.
    let o = run(&["replay", "--failed", "--to", &app.url(), "--db", dbs]);
    assert!(stdout(&o).contains("nothing to replay"));

    // A capture never forwarded needs --to: skipped with a line saying so, exit 1.
    let l = Listener::start(&db, &[]);
    let lone = post(&l.addr, "/x", &[], b"x").json()["id"]
        .as_i64()
        .unwrap();
    drop(l);
    let o = run(&["replay", &lone.to_string(), "--db", dbs]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!("#{lone} skipped: it was never forwarded")),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("pass --to URL"), "{}", stderr(&o));

    // One mistyped --to does not stick: the default target stays the live forward's route.
    let o = run(&["replay", &ok.to_string(), "--to", &dead, "--db", dbs]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let n_before = app.received().len();
    let o = run(&["replay", &ok.to_string(), "--db", dbs]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains(&app.url()), "{}", stdout(&o));
    assert_eq!(app.received().len(), n_before + 1);
}

#[test]
fn a_burst_with_respond_ack_is_forwarded_in_bounded_order_and_nothing_times_out() {
    const DELIVERIES: usize = 200;
    const LIMIT: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    // A slow app on one thread: 20 ms per request.
    let app = TestApp::start(Behaviour {
        delay: std::time::Duration::from_millis(20),
        ..Default::default()
    });
    let l = Listener::start(
        &db,
        &[
            "--forward-to",
            &app.url(),
            "--respond",
            "ack",
            "--forward-concurrency",
            &LIMIT.to_string(),
        ],
    );
    let senders: Vec<_> = (0..8)
        .map(|s| {
            let addr = l.addr.clone();
            std::thread::spawn(move || {
                for i in 0..DELIVERIES / 8 {
                    let body = format!("{{\"n\":{}}}", s * 1000 + i);
                    assert_eq!(post(&addr, "/hook", &[], body.as_bytes()).status, 200);
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut forwarded = 0;
    let mut saw_queue = false;
    while forwarded < DELIVERIES {
        assert!(
            std::time::Instant::now() < deadline,
            "{forwarded} forwarded"
        );
        let v = l.next_event();
        if v["event"] == "forward_queue" {
            saw_queue = true;
            continue;
        }
        let latest = &v["latest_attempt"];
        assert_eq!(latest["status"], 200, "not timed out: {v}");
        forwarded += 1;
    }
    assert!(
        saw_queue,
        "the queue length was shown while the app was busy"
    );
    assert_eq!(app.received().len(), DELIVERIES);
    assert!(
        app.max_in_flight() <= LIMIT,
        "at most {LIMIT} at once, saw {}",
        app.max_in_flight()
    );
    let listed = list_json(&db, &["--limit", "500"]);
    assert_eq!(listed.len(), DELIVERIES);
    assert!(listed.iter().all(|c| c["latest_attempt"]["status"] == 200));
}

/// `listen --forward-header 'Name: value'` adds (or replaces) a header on every live forward;
/// the capture keeps what the sender sent.
#[test]
fn forward_header_adds_to_every_live_forward() {
    let app = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(
        &db,
        &[
            "--forward-to",
            &app.url(),
            "--forward-header",
            "X-Env: dev",
            "--forward-header",
            "Content-Type: application/json; charset=utf-8",
        ],
    );
    let r = post(
        &l.addr,
        "/hook",
        &[("Content-Type", "application/json")],
        b"{}",
    );
    assert_eq!(r.status, 200);
    let id = l.next_line()["id"].as_i64().unwrap();
    let got = app.received().pop().unwrap();
    assert_eq!(got.header("x-env").as_deref(), Some("dev"));
    assert_eq!(
        got.header("content-type").as_deref(),
        Some("application/json; charset=utf-8")
    );
    let shown = show_json(&db, id);
    let headers = shown["headers"].to_string();
    assert!(
        !headers.contains("X-Env"),
        "the capture is what the sender sent: {headers}"
    );
    let o = run(&[
        "listen",
        "--forward-header",
        "no colon",
        "--forward-to",
        &app.url(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
