//! `listen`, `list`, `show`, `verify` through the real binary and real sockets.

use crate::common::*;

#[test]
fn captures_verifies_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    // A given --db needs its folder (a typo must not start a new store elsewhere).
    std::fs::create_dir_all(dir.path().join("nested/folder")).unwrap();
    let db = dir.path().join("nested/folder/h.db");
    // A short test secret first: refused as a real one, so it needs --allow-short-secret.
    let l = Listener::start(
        &db,
        &[
            "--secret",
            "whsec_ffff",
            "--secret",
            SECRET,
            "--allow-short-secret",
        ],
    );

    // A fresh, valid delivery signed under the second (rotated-in) secret.
    let body = VECTOR_BODY.as_bytes();
    let good = sign(SECRET, now(), body);
    let r = post(
        &l.addr,
        "/dataspike/hook?x=1",
        &[
            ("X-Webhook-Signature", &good),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    assert_eq!(r.status, 200);
    let id_valid = r.json()["id"].as_i64().unwrap();
    let line = l.next_line();
    assert_eq!(line["id"], id_valid);
    assert_eq!(line["verdict"]["status"], "valid");
    assert_eq!(line["verdict"]["secret_index"], 1);
    assert_eq!(line["verdict"]["scheme"], "dataspike");
    assert_eq!(line["event_type"], "AML_SCREENING");
    assert_eq!(line["path"], "/dataspike/hook");
    assert_eq!(line["query"], "x=1");

    // The published vector: right MAC, old timestamp.
    let stale = format!("t={VECTOR_T},v1={VECTOR_V1}");
    let r = post(&l.addr, "/h", &[("x-webhook-signature", &stale)], body);
    assert_eq!(r.status, 200);
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "stale");
    assert!(line["verdict"]["skew_s"].as_i64().unwrap() > 300);

    // Body changed in transit.
    let mut tampered = body.to_vec();
    tampered[20] = b'X';
    let r = post(&l.addr, "/h", &[("X-Webhook-Signature", &good)], &tampered);
    assert_eq!(r.status, 200);
    let id_bad = r.json()["id"].as_i64().unwrap();
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "invalid");
    assert_eq!(line["verdict"]["reason"], "no secret matches the signature");

    // Unsigned, binary body, odd headers: stored exactly.
    // Descending, so the test secret's ascending key bytes cannot appear by accident.
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    let raw_head = format!(
        "PUT /bin HTTP/1.1\r\nHost: {}\r\nx-lower: a\r\nX-UPPER: b\r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        l.addr,
        binary.len()
    );
    let mut raw = raw_head.into_bytes();
    raw.extend_from_slice(&binary);
    let r = raw_request(&l.addr, &raw);
    assert_eq!(r.status, 200);
    let id_bin = r.json()["id"].as_i64().unwrap();
    assert_eq!(l.next_line()["verdict"]["status"], "unsigned");

    assert!(l.stop().success(), "Ctrl-C must exit 0");

    // Restart on the same file: everything is still there, and new ids continue.
    let l = Listener::start(&db, &[]);
    let r = post(&l.addr, "/after-restart", &[], b"{}");
    let id_after = r.json()["id"].as_i64().unwrap();
    // No header at all reads as unsigned, secret or not.
    assert_eq!(l.next_line()["verdict"]["status"], "unsigned");
    drop(l);
    assert!(id_after > id_bin);

    let rows = list_json(&db, &[]);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["id"], id_after, "newest first");
    // 'list --json' names each verdict's scheme; an unsigned capture has none.
    assert_eq!(rows[0]["verdict"]["scheme"], serde_json::Value::Null);
    assert_eq!(rows[1]["verdict"]["scheme"], serde_json::Value::Null);
    assert_eq!(rows[2]["verdict"]["scheme"], "dataspike");
    let invalid = list_json(&db, &["--verdict", "invalid"]);
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0]["id"], id_bad);
    assert_eq!(
        list_json(&db, &["--event", "AML_SCREENING", "--limit", "2"]).len(),
        2
    );
    assert!(rows[0]["received_at"].as_str().unwrap().ends_with('Z'));

    let shown = show_json(&db, id_bin);
    assert_eq!(b64(shown["body_base64"].as_str().unwrap()), binary);
    let names: Vec<&str> = shown["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Host",
            "x-lower",
            "X-UPPER",
            "X-Dup",
            "x-dup",
            "Content-Length",
            "Connection"
        ]
    );
    assert_eq!(shown["method"], "PUT");

    let raw_body = run(&[
        "show",
        &id_bin.to_string(),
        "--raw",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(raw_body.stdout, binary);

    let bad = show_json(&db, id_bad);
    let diag = &bad["diagnostics"];
    assert_eq!(
        diag["received"][0].as_str().unwrap(),
        &good[good.len() - 64..]
    );
    assert_eq!(diag["expected"].as_array().unwrap().len(), 2);
    assert!(diag["signed_preview"]
        .as_str()
        .unwrap()
        .contains(".{\"id\":\"01827ed4-c92"));
    assert!(diag["hint"].as_str().unwrap().contains("body differs"));

    let text = stdout(&run(&[
        "show",
        &id_valid.to_string(),
        "--db",
        db.to_str().unwrap(),
    ]));
    assert!(text.contains("PASS dataspike valid"), "{text}");
    assert!(
        text.contains("\"event_type\": \"AML_SCREENING\""),
        "pretty JSON body: {text}"
    );

    // The secret never reaches the database.
    let bytes = std::fs::read(&db).unwrap();
    let hex_key = SECRET.trim_start_matches("whsec_");
    assert!(!bytes
        .windows(hex_key.len())
        .any(|w| w == hex_key.as_bytes()));
    let key = hex::decode(hex_key).unwrap();
    assert!(!bytes.windows(key.len()).any(|w| w == key.as_slice()));
}

#[test]
fn oversized_body_gets_413_and_is_still_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--max-body", "1KiB"]);
    let body = vec![b'a'; 5000];
    let r = post(&l.addr, "/big", &[], &body);
    assert_eq!(r.status, 413);
    let msg = String::from_utf8_lossy(&r.body);
    assert!(
        msg.contains("1024-byte body limit") && msg.contains("stored as capture"),
        "{msg}"
    );
    let line = l.next_line();
    assert_eq!(line["truncated"], true);
    assert_eq!(line["rejected"]["status"], 413);
    // The listener keeps serving.
    assert_eq!(post(&l.addr, "/small", &[], b"ok").status, 200);
    drop(l);
    let shown = show_json(&db, line["id"].as_i64().unwrap());
    assert_eq!(b64(shown["body_base64"].as_str().unwrap()).len(), 1024);
}

#[test]
fn verify_offline_exit_codes_and_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, VECTOR_BODY).unwrap();
    let header = format!("t={VECTOR_T},v1={VECTOR_V1}");
    let ok = run(&[
        "verify",
        "--secret",
        SECRET,
        "--header",
        &header,
        "--body-file",
        body.to_str().unwrap(),
        "--now",
        &(VECTOR_T + 10).to_string(),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("PASS dataspike valid"));

    let stale = run(&[
        "verify",
        "--secret",
        SECRET,
        "--header",
        &header,
        "--body-file",
        body.to_str().unwrap(),
    ]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(stdout(&stale).contains("s old, tolerance 300 s"));

    let wrong = run(&[
        "verify",
        "--secret",
        "whsec_abcd",
        "--allow-short-secret",
        "--header",
        &header,
        "--body-file",
        body.to_str().unwrap(),
        "--now",
        &VECTOR_T.to_string(),
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    let text = stdout(&wrong);
    assert!(
        text.contains("no secret matches") && text.contains("expected #0"),
        "{text}"
    );

    let usage = run(&["verify", "--secret", SECRET, "--header", &header]);
    assert_eq!(usage.status.code(), Some(2));

    let bad_secret = run(&[
        "verify",
        "--secret",
        SECRET,
        "--secret",
        "whsec_xyz1",
        "--header",
        &header,
        "--body-file",
        body.to_str().unwrap(),
    ]);
    assert_eq!(bad_secret.status.code(), Some(2));
    let err = stderr(&bad_secret);
    // Secrets count from #0, the first one given, as everywhere else.
    assert!(err.contains("--secret #1"), "{err}");
    assert!(
        !err.contains("xyz1"),
        "the secret must not be echoed: {err}"
    );
}

#[test]
fn verify_stored_capture_against_new_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &[]);
    let body = br#"{"event_type":"DOCVER"}"#;
    let sig = sign(SECRET, now(), body);
    let id = post(&l.addr, "/", &[("X-Webhook-Signature", &sig)], body).json()["id"]
        .as_i64()
        .unwrap();
    // Without --secret, listen checks with the local development secret, which did not sign it.
    assert_eq!(l.next_line()["verdict"]["status"], "invalid");
    drop(l);
    let o = run(&[
        "verify",
        &id.to_string(),
        "--db",
        db.to_str().unwrap(),
        "--secret",
        SECRET,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn read_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.db");
    for args in [vec!["list", "--db"], vec!["show", "1", "--db"]] {
        let mut a = args.clone();
        a.push(db.to_str().unwrap());
        let o = run(&a);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("missing.db"), "{}", stderr(&o));
    }
    assert!(!db.exists());
}

#[test]
fn port_in_use_and_bad_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &[]);
    let port = l.addr.rsplit(':').next().unwrap().to_string();
    let o = run(&[
        "listen",
        "--no-tui",
        "--port",
        &port,
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already in use"), "{}", stderr(&o));
    let o = run(&[
        "listen",
        "--no-tui",
        "--port",
        "0",
        "--secret",
        "whsec_nothex",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--secret #0"));
    let o = run(&["listen", "--bogus"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn headless_human_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let mut child = bin()
        .args([
            "listen", "--no-tui", "--port", "0", "--secret", SECRET, "--db",
        ])
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("hookscope listening on http://127.0.0.1:"),
        "{first}"
    );
    let addr = first.rsplit("http://").next().unwrap().to_string();
    for l in lines.by_ref() {
        if l.unwrap().contains("Ctrl-C") {
            break;
        }
    }
    post(
        &addr,
        "/hook",
        &[("X-Webhook-Signature", "t=1,v1=00")],
        br#"{"event_type":"DOCVER"}"#,
    );
    let line = lines.next().unwrap().unwrap();
    assert!(
        line.contains(" FAIL dataspike  POST /hook DOCVER 23 B #1"),
        "{line}"
    );
    assert!(
        line.contains("(invalid: v1 '00' is not 64 hex digits (got 2))"),
        "{line}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn binding_beyond_loopback_warns_about_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let mut child = bin()
        .args([
            "listen", "--json", "--host", "0.0.0.0", "--port", "0", "--db",
        ])
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"listening\""), "{first}");
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not loopback") && err.contains("personal data"),
        "{err}"
    );

    // The default binds loopback only and says nothing of the kind.
    let l = Listener::start(&db, &[]);
    assert!(l.url.starts_with("http://127.0.0.1:"));
}

#[test]
fn verify_judges_a_stored_capture_as_of_its_arrival() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    // The published vector, as if it had arrived 10 s after it was signed in 2023.
    let fixture = serde_json::json!({
        "hookscope_fixture": 1,
        "method": "POST",
        "path": "/hook",
        "received_at": "2023-11-14T22:13:30Z",
        "headers": [["X-Webhook-Signature", format!("t={VECTOR_T},v1={VECTOR_V1}")]],
        "body": VECTOR_BODY,
    });
    let file = dir.path().join("old.json");
    std::fs::write(&file, fixture.to_string()).unwrap();
    let o = run(&[
        "import",
        file.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let id = list_json(&db, &[])[0]["id"].as_i64().unwrap().to_string();
    let dbs = db.to_str().unwrap();
    let o = run(&["verify", &id, "--db", dbs, "--secret", SECRET]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("10 s before check"), "{}", stdout(&o));
    // Asked about today, the same signature is stale.
    let today = now().to_string();
    let o = run(&[
        "verify", &id, "--db", dbs, "--secret", SECRET, "--now", &today,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("STALE"), "{}", stdout(&o));
}

#[test]
fn secret_mistakes_are_told_in_the_users_terms_and_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("b.json");
    std::fs::write(&body, b"{}").unwrap();
    let verify = |secret: &str, extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--secret",
            secret,
            "--header",
            "t=1,v1=00",
            "--body-file",
            body.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    for (secret, needle) in [
        ("abc123", "does not start with 'whsec_'"),
        ("sk_live_123", "does not start with 'whsec_'"),
        ("whsec_xyz", "character 7 is not a hex digit"),
        ("whsec_abc", "odd number of hex digits"),
        ("whsec_00112233", "too short to be a real"),
    ] {
        let o = verify(secret, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{secret}: {err}");
        assert!(
            err.contains("--secret #0") && err.contains(needle),
            "{secret}: {err}"
        );
        assert!(!err.contains(secret), "the secret is not echoed: {err}");
    }
    let short = verify("whsec_00112233", &[]);
    assert!(stderr(&short).contains("--allow-short-secret"));
    // Allowed, a short secret is used: the header is judged (invalid), not refused.
    let allowed = verify("whsec_00112233", &["--allow-short-secret"]);
    assert_eq!(allowed.status.code(), Some(1), "{}", stderr(&allowed));
}

#[test]
fn listen_json_ends_with_a_stopped_event_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let mut l = Listener::start(&db, &["--secret", SECRET]);
    let body = VECTOR_BODY.as_bytes();
    let good = sign(SECRET, now(), body);
    post(&l.addr, "/", &[("X-Webhook-Signature", &good)], body);
    post(&l.addr, "/", &[], b"{}");
    l.next_line();
    l.next_line();
    assert!(l.stop_ref().success());
    let v = l.next_event();
    assert_eq!(v["event"], "stopped", "{v}");
    assert_eq!(v["captures"], 2, "{v}");
    assert_eq!(v["totals"]["verdicts"]["valid"], 1, "{v}");
    assert_eq!(v["totals"]["verdicts"]["unsigned"], 1, "{v}");
    assert_eq!(v["totals"]["verdicts"]["invalid"], 0, "{v}");
}

/// Writes `raw` and reads the answer without closing the sending side, as a client still
/// "sending" would.
fn answer_while_open(addr: &str, raw: &[u8]) -> (Resp, std::time::Duration) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let started = std::time::Instant::now();
    s.write_all(raw).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    (parse_response(&buf), started.elapsed())
}

#[test]
fn a_declared_huge_body_gets_a_json_413_at_once_and_a_slow_one_a_json_408() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--max-body", "1KiB", "--read-timeout", "2"]);
    let (r, took) = answer_while_open(
        &l.addr,
        b"POST /huge HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\nabc",
    );
    assert_eq!(r.status, 413, "{}", r.head);
    assert!(
        took < std::time::Duration::from_secs(2),
        "at once, not at the read timeout: {took:?}"
    );
    assert!(
        r.head
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{}",
        r.head
    );
    let v = r.json();
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("body limit") && error.contains("Content-Length"),
        "{error}"
    );
    let line = l.next_line();
    assert_eq!(line["rejected"]["status"], 413);
    assert_eq!(v["id"], line["id"]);
    let shown = show_json(&db, line["id"].as_i64().unwrap());
    assert_eq!(
        b64(shown["body_base64"].as_str().unwrap()),
        b"abc",
        "what arrived is kept"
    );

    // A body that stops coming: 408 after --read-timeout, in JSON too.
    let (r, _) = answer_while_open(
        &l.addr,
        b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
    );
    assert_eq!(r.status, 408, "{}", r.head);
    assert!(r.json()["error"].as_str().unwrap().contains("read timeout"));
    assert_eq!(l.next_line()["rejected"]["status"], 408);
}

#[test]
fn listen_retention_deletes_old_captures_at_start_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let fixture = |name: &str, at: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                r#"{{"hookscope_fixture":1,"method":"POST","path":"/{name}","headers":[["Content-Type","application/json"]],"body_encoding":"utf8","body":"{{}}","received_at":"{at}"}}"#
            ),
        )
        .unwrap();
        path
    };
    let old = fixture("old", "2020-01-01T00:00:00.000Z");
    let recent = fixture(
        "recent",
        &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    );
    let o = run(&[
        "import",
        old.to_str().unwrap(),
        recent.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(list_json(&db, &[]).len(), 2);

    let mut l = Listener::start(&db, &["--retention", "7d"]);
    let mut left = 2;
    for _ in 0..100 {
        left = list_json(&db, &[]).len();
        if left == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(left, 1, "the 2020 capture is deleted at start");
    assert_eq!(list_json(&db, &[])[0]["path"], "/recent");
    assert_eq!(post(&l.addr, "/new", &[], b"{}").status, 200);
    l.next_line();
    let mut err = l.child.stderr.take().unwrap();
    assert!(l.stop_ref().success());
    let mut text = String::new();
    std::io::Read::read_to_string(&mut err, &mut text).unwrap();
    assert!(
        text.contains("retention: captures older than 7days are deleted"),
        "{text}"
    );
    assert_eq!(list_json(&db, &[]).len(), 2, "new captures stay");
    let bad = run(&[
        "listen",
        "--retention",
        "soon",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--retention 'soon'"),
        "{}",
        stderr(&bad)
    );
}
