//! Export, send and import end to end: the real binary, a real listener, a real test app, real
//! files and the real curl.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The hex part of the test secret: no export may contain it.
fn secret_hex() -> &'static str {
    SECRET.trim_start_matches("whsec_")
}

/// `t` of an `X-Webhook-Signature` value.
fn t_of(header: &str) -> i64 {
    header
        .split(',')
        .find_map(|item| item.trim().strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no t in '{header}'"))
}

/// Asserts that `header` is a fresh, correct signature of `body` under `secret`.
fn assert_fresh_signature(secret: &str, header: &str, body: &[u8], sent_after: i64) {
    let t = t_of(header);
    assert!(
        t >= sent_after && t <= now(),
        "t={t} is not fresh (sent after {sent_after})"
    );
    assert_eq!(header, sign(secret, t, body), "signature does not verify");
}

/// A capture of a signed delivery made by a real `listen`; returns its id.
fn capture(l: &Listener, path: &str, headers: &[(&str, &str)], body: &[u8]) -> i64 {
    let r = post(&l.addr, path, headers, body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    l.next_line()["id"].as_i64().unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn capture_export_fixture_send_is_byte_identical_and_freshly_signed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--secret", SECRET]);
    let body = VECTOR_BODY.as_bytes();
    // Signed long ago, as any capture is by the time it is replayed from a fixture.
    let old_sig = sign(SECRET, VECTOR_T, body);
    let id = capture(
        &l,
        "/dataspike/hook?x=1",
        &[
            ("Content-Type", "application/json"),
            ("X-Webhook-Signature", &old_sig),
            ("X-Custom", "kept"),
        ],
        body,
    );
    drop(l);

    let out = dir.path().join("fx");
    ok(&[
        "export",
        &id.to_string(),
        "--format",
        "fixture",
        "--out",
        p(&out),
        "--body-files",
        "--db",
        p(&db),
    ]);
    let name = format!("aml_screening-{id}");
    assert_eq!(
        files_in(&out),
        vec![format!("{name}.body.json"), format!("{name}.json")],
        "one fixture, one body file, no temporary files"
    );
    let file = out.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(secret_hex()), "a fixture holds no secret");
    let fx: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fx["hookscope_fixture"], 1);
    assert_eq!(fx["body"], VECTOR_BODY);
    assert_eq!(fx["path"], "/dataspike/hook");
    assert_eq!(fx["query"], "x=1");
    assert_eq!(fx["signature"]["captured"][0]["value"], old_sig);
    assert!(
        fx["headers"].as_array().unwrap().iter().all(|h| !h[0]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("x-webhook-signature")),
        "the stale signature is not among the headers: {text}"
    );
    assert_eq!(
        std::fs::read(out.join(format!("{name}.body.json"))).unwrap(),
        body
    );

    let app = TestApp::start(Behaviour::default());
    let before = now();
    let o = ok(&[
        "send",
        p(&file),
        "--to",
        &format!("{}/api", app.url()),
        "--secret",
        SECRET,
    ]);
    assert!(stdout(&o).contains("-> 200"), "{}", stdout(&o));
    assert!(
        !stderr(&o).contains("whsec_"),
        "with --secret nothing is generated or printed"
    );
    let got = app.received();
    assert_eq!(got.len(), 1);
    let g = &got[0];
    assert_eq!(g.method, "POST");
    assert_eq!(
        g.uri, "/api/dataspike/hook?x=1",
        "--to is a prefix, as in replay"
    );
    assert_eq!(g.body, body, "body byte-identical");
    assert_eq!(g.header("x-custom").as_deref(), Some("kept"));
    assert_eq!(
        g.header("content-type").as_deref(),
        Some("application/json")
    );
    let sig = g.header("x-webhook-signature").unwrap();
    assert_ne!(sig, old_sig);
    assert_fresh_signature(SECRET, &sig, body, before);

    // --as-captured sends the old header unchanged, so the app can test its timestamp check.
    ok(&["send", p(&file), "--to", &app.url(), "--as-captured"]);
    let got = app.received();
    assert_eq!(got[1].header("x-webhook-signature").unwrap(), old_sig);
    assert_eq!(got[1].body, body);
}

/// Every field HAR 1.2 marks required, for the log and each entry.
fn assert_har_1_2(har: &Value) {
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert!(log["creator"]["name"].is_string());
    assert!(log["creator"]["version"].is_string());
    let entries = log["entries"].as_array().expect("log.entries");
    for (i, e) in entries.iter().enumerate() {
        let has = |v: &Value, key: &str| {
            assert!(
                v.get(key).is_some_and(|x| !x.is_null()),
                "entry {i} misses '{key}' in {v}"
            )
        };
        for k in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "cache",
            "timings",
        ] {
            has(e, k);
        }
        assert!(
            chrono::DateTime::parse_from_rfc3339(e["startedDateTime"].as_str().unwrap()).is_ok()
        );
        let req = &e["request"];
        for k in [
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        ] {
            has(req, k);
        }
        if let Some(post) = req.get("postData") {
            has(post, "mimeType");
            has(post, "text");
        }
        let resp = &e["response"];
        for k in [
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        ] {
            has(resp, k);
        }
        has(&resp["content"], "size");
        has(&resp["content"], "mimeType");
        for k in ["send", "wait", "receive"] {
            has(&e["timings"], k);
        }
        for list in [&req["headers"], &req["queryString"], &resp["headers"]] {
            for h in list.as_array().unwrap() {
                has(h, "name");
                has(h, "value");
            }
        }
    }
}

#[test]
fn har_export_is_complete_har_1_2_and_imports_back_identical() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--secret", SECRET]);
    let json_body = VECTOR_BODY.as_bytes();
    let sig = sign(SECRET, now(), json_body);
    let first = capture(
        &l,
        "/hook?a=1&b",
        &[
            ("Content-Type", "application/json"),
            ("X-Webhook-Signature", &sig),
        ],
        json_body,
    );
    let binary: &[u8] = b"\xff\x00\xfe binary \r\n body";
    let second = capture(
        &l,
        "/bin",
        &[("Content-Type", "application/octet-stream")],
        binary,
    );
    drop(l);
    // The first capture gets a response to export; sent as captured, so the request stays the
    // capture (a re-signed replay's entry shows the request it sent).
    let app = TestApp::start(Behaviour {
        status: 202,
        body: "{\"queued\":1}",
        ..Default::default()
    });
    ok(&[
        "replay",
        &first.to_string(),
        "--to",
        &app.url(),
        "--as-is",
        "--db",
        p(&db),
    ]);

    let har_path = dir.path().join("out.har");
    ok(&[
        "export",
        "--all",
        "--format",
        "har",
        "--out",
        p(&har_path),
        "--db",
        p(&db),
    ]);
    let text = std::fs::read_to_string(&har_path).unwrap();
    assert!(!text.contains(secret_hex()), "a HAR export holds no secret");
    let har: Value = serde_json::from_str(&text).expect("HAR is JSON");
    assert_har_1_2(&har);
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["request"]["postData"]["text"], VECTOR_BODY);
    assert_eq!(entries[0]["response"]["status"], 202);
    assert_eq!(entries[0]["response"]["content"]["text"], "{\"queued\":1}");
    assert_eq!(entries[1]["response"]["status"], 0, "never forwarded");

    // '-' writes the same document to stdout.
    let o = ok(&[
        "export",
        "--all",
        "--format",
        "har",
        "--out",
        "-",
        "--db",
        p(&db),
    ]);
    let from_stdout: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(from_stdout["log"]["entries"], har["log"]["entries"]);

    // Import into a new database (created by import) gives back the exact bodies and headers.
    let db2 = dir.path().join("imported.db");
    let o = ok(&["import", p(&har_path), "--db", p(&db2)]);
    assert!(stdout(&o).contains("#1 "), "{}", stdout(&o));
    assert!(stdout(&o).contains("#2 "), "{}", stdout(&o));
    let list = list_json(&db2, &[]);
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|c| c["source"] == "imported"));
    for (new_id, old_id, body) in [(1, first, json_body), (2, second, binary)] {
        let shown = show_json(&db2, new_id);
        assert_eq!(b64(shown["body_base64"].as_str().unwrap()), body);
        let original = show_json(&db, old_id);
        assert_eq!(shown["headers"], original["headers"], "headers in order");
        assert_eq!(shown["path"], original["path"]);
        assert_eq!(shown["query"], original["query"]);
    }
    // Without a secret an import is judged with the local development secret, as `listen`
    // would have judged it (here: not the secret it was signed with); with one it is checked
    // as of the time it was received.
    assert_eq!(show_json(&db2, 1)["verdict"]["status"], "invalid");
    let db3 = dir.path().join("verified.db");
    ok(&["import", p(&har_path), "--db", p(&db3), "--secret", SECRET]);
    assert_eq!(show_json(&db3, 1)["verdict"]["status"], "valid");
    assert_eq!(show_json(&db3, 2)["verdict"]["status"], "unsigned");
}

#[test]
fn curl_script_run_with_real_curl_reproduces_the_requests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &[]);
    let body = VECTOR_BODY.as_bytes();
    let sig = sign(SECRET, now(), body);
    capture(
        &l,
        "/dataspike/hook?x=1",
        &[
            ("Content-Type", "application/json"),
            ("X-Webhook-Signature", &sig),
            ("X-Quote", "it's \"quoted\" $HOME `x`"),
        ],
        body,
    );
    let binary: &[u8] = b"\x00\xff'\"$(echo hi)\n\r\x7f";
    capture(
        &l,
        "/bin",
        &[("Content-Type", "application/octet-stream")],
        binary,
    );
    drop(l);

    let app = TestApp::start(Behaviour::default());
    let script = dir.path().join("replay.sh");
    ok(&[
        "export",
        "--all",
        "--format",
        "curl",
        "--to",
        &format!("{}/from-curl", app.url()),
        "--out",
        p(&script),
        "--db",
        p(&db),
    ]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&script).unwrap().permissions().mode();
        assert_eq!(mode & 0o100, 0o100, "the script is executable");
    }
    assert!(!std::fs::read_to_string(&script)
        .unwrap()
        .contains(secret_hex()));

    let o = Command::new("sh").arg(&script).output().expect("run sh");
    assert!(
        o.status.success(),
        "script failed: {}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stdout(&o).contains("capture 1: 200"), "{}", stdout(&o));
    assert!(stdout(&o).contains("capture 2: 200"), "{}", stdout(&o));
    let got = app.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].uri, "/from-curl", "--to is used as-is by the script");
    assert_eq!(got[0].body, body);
    assert_eq!(got[0].header("x-webhook-signature").unwrap(), sig);
    assert_eq!(
        got[0].header("x-quote").as_deref(),
        Some("it's \"quoted\" $HOME `x`")
    );
    assert_eq!(
        got[0].header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(
        got[0].header("user-agent").is_none(),
        "curl's own headers are off"
    );
    assert_eq!(got[1].body, binary, "binary body byte-exact");

    // When the app fails, so does the script.
    app.set(Behaviour {
        status: 500,
        ..Default::default()
    });
    let o = Command::new("sh").arg(&script).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

#[test]
fn every_sign_mode_gets_the_verdict_it_promises_from_listen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--secret", SECRET]);
    let mut reasons = Vec::new();
    for (mode, expected) in [
        ("valid", "valid"),
        ("stale", "stale"),
        ("wrong-secret", "invalid"),
        ("malformed", "invalid"),
        ("none", "unsigned"),
    ] {
        ok(&[
            "send",
            "--event",
            "DOCVER",
            "--sign",
            mode,
            "--to",
            &format!("{}/hook", l.url),
            "--secret",
            SECRET,
        ]);
        let line = l.next_line();
        assert_eq!(line["verdict"]["status"], expected, "--sign {mode}: {line}");
        assert_eq!(line["event_type"], "DOCVER");
        assert_eq!(line["path"], "/hook");
        if expected == "invalid" {
            reasons.push(line["verdict"]["reason"].to_string());
        }
    }
    assert_ne!(
        reasons[0], reasons[1],
        "wrong secret and malformed fail for different reasons"
    );
    // A fixture sent with a bad signature is judged the same way.
    let fixture = dir.path().join("f.json");
    std::fs::write(
        &fixture,
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/fx", "headers": [["Content-Type", "application/json"]], "body": "{}"}"#,
    )
    .unwrap();
    ok(&[
        "send",
        p(&fixture),
        "--sign",
        "stale",
        "--to",
        &l.url,
        "--secret",
        SECRET,
    ]);
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "stale");
    assert_eq!(line["path"], "/fx");
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn malformed_files_are_rejected_naming_file_and_field_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.json",
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/h", "headers": [["Content-Type", "application/json"]], "body": "{\"id\":\"e1\",\"event_type\":\"DOCVER\"}"}"#,
    );
    let no_body = write(
        dir.path(),
        "no_body.json",
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/h", "headers": []}"#,
    );
    let not_json = write(
        dir.path(),
        "not_json.json",
        "{\"hookscope_fixture\": 1,\n oops",
    );
    let bad_header = write(
        dir.path(),
        "bad_header.json",
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/h", "headers": [["Bad Name", "x"]], "body": ""}"#,
    );
    let bad_b64 = write(
        dir.path(),
        "bad_b64.json",
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/h", "headers": [], "body_base64": "!!!"}"#,
    );
    let bad_har = write(
        dir.path(),
        "bad.har",
        r#"{"log": {"version": "1.2", "entries": [{"startedDateTime": "2026-01-01T00:00:00Z", "request": {"method": "POST", "url": "/relative", "headers": []}}]}}"#,
    );
    let db = dir.path().join("h.db");
    let o = run(&[
        "import",
        p(&good),
        p(&no_body),
        p(&not_json),
        p(&bad_header),
        p(&bad_b64),
        p(&bad_har),
        "--db",
        p(&db),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("nothing was imported: 5 of 6 files"), "{err}");
    for (file, says) in [
        (&no_body, "missing field 'body'"),
        (&not_json, "not valid JSON at line 2"),
        (&bad_header, "'headers[0][0]'"),
        (&bad_b64, "'body_base64' is not valid base64"),
        (&bad_har, "'log.entries[0].request.url'"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("'{}'", file.display())))
            .unwrap_or_else(|| panic!("no line names {}: {err}", file.display()));
        assert!(line.contains(says), "'{says}' expected in: {line}");
    }
    assert!(!err.contains("good.json"), "{err}");
    assert!(!db.exists(), "nothing stored, not even an empty database");

    // The good file alone imports, marked imported, into a database import creates.
    let o = ok(&["import", p(&good), "--db", p(&db)]);
    assert!(stdout(&o).starts_with("#1 "), "{}", stdout(&o));
    let list = list_json(&db, &[]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["source"], "imported");
    assert_eq!(list[0]["verdict"]["status"], "unsigned");
    assert_eq!(list[0]["event_type"], "DOCVER");

    // send refuses a malformed fixture before sending anything.
    let app = TestApp::start(Behaviour::default());
    let o = run(&[
        "send",
        p(&good),
        p(&bad_header),
        "--to",
        &app.url(),
        "--secret",
        SECRET,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("fixture '{}'", bad_header.display())),
        "{}",
        stderr(&o)
    );
    assert!(app.received().is_empty(), "nothing sent");
}

/// The local development secret `send` signed with: named on stderr, never printed.
fn dev_secret_used(stderr: &str) -> String {
    assert!(
        stderr.contains("the local development secret"),
        "send says it signed with the local development secret: {stderr}"
    );
    let secret = dev_secret_in(&config_home().join(""));
    assert!(!stderr.contains(&secret[6..]), "never printed: {stderr}");
    secret
}

#[test]
fn send_event_with_overrides_reaches_the_app_with_fresh_ids_and_the_dev_secret() {
    let app = TestApp::start(Behaviour::default());
    let url = format!("{}/hooks/dataspike?src=test", app.url());
    let mut ids = Vec::new();
    for _ in 0..2 {
        let before = now();
        let o = ok(&[
            "send",
            "--event",
            "AML_SCREENING",
            "--variant",
            "high_risk",
            "--set",
            "payload.risk_score.type=Medium",
            "--set",
            "payload.search_result.max_risk_score=42",
            "--to",
            &url,
        ]);
        let secret = dev_secret_used(&stderr(&o));
        let got = app.received();
        let g = got.last().unwrap();
        assert_eq!(g.uri, "/hooks/dataspike?src=test", "--to is the full URL");
        assert_eq!(
            g.header("content-type").as_deref(),
            Some("application/json")
        );
        assert_fresh_signature(
            &secret,
            &g.header("x-webhook-signature").unwrap(),
            &g.body,
            before,
        );
        let event: Value = serde_json::from_slice(&g.body).unwrap();
        assert_eq!(event["event_type"], "AML_SCREENING");
        assert_eq!(event["payload"]["risk_score"]["type"], "Medium");
        assert_eq!(event["payload"]["search_result"]["max_risk_score"], 42);
        let ts = chrono::DateTime::parse_from_rfc3339(event["timestamp"].as_str().unwrap())
            .unwrap()
            .timestamp();
        assert!((ts - before).abs() <= 5, "timestamp is now: {ts}");
        ids.push((event["id"].clone(), event["webhook_id"].clone()));
        assert!(
            stdout(&o).contains(event["id"].as_str().unwrap()),
            "the line names the event id: {}",
            stdout(&o)
        );
    }
    assert_ne!(ids[0].0, ids[1].0, "fresh id per send");
    assert_ne!(ids[0].1, ids[1].1, "fresh webhook_id per send");

    let o = run(&[
        "send",
        "--event",
        "AML_SCREENING",
        "--set",
        "payload.search_request.countries.5=FR",
        "--to",
        &app.url(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("index 5 does not exist"),
        "{}",
        stderr(&o)
    );
    assert!(
        !stderr(&o).contains("whsec_"),
        "no secret made for a send that cannot happen"
    );
    assert_eq!(app.received().len(), 2, "nothing sent");
    let o = run(&["send", "--event", "NOPE", "--to", &app.url()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown event 'NOPE'"),
        "{}",
        stderr(&o)
    );
    let o = ok(&["send", "--list"]);
    for event in [
        "AML_SCREENING",
        "DOCVER",
        "TRANSACTION_MONITORING",
        "KYT_WALLET_CHECK",
    ] {
        assert!(stdout(&o).contains(event), "{}", stdout(&o));
    }
}

#[test]
fn count_and_concurrency_make_a_load_generator_with_a_summary() {
    let app = TestApp::start(Behaviour::default());
    let before = now();
    let o = ok(&[
        "send",
        "--event",
        "KYT_WALLET_CHECK",
        "--count",
        "20",
        "--concurrency",
        "4",
        "--to",
        &app.url(),
        "--secret",
        SECRET,
    ]);
    let out = stdout(&o);
    assert!(out.contains("sent 20 deliveries in "), "{out}");
    assert!(out.contains("deliveries/s, concurrency 4)"), "{out}");
    assert!(out.contains("status codes: 200 x20"), "{out}");
    assert!(out.contains("latency: p50 "), "{out}");
    assert!(out.contains(" p90 ") && out.contains(" p99 "), "{out}");
    let got = app.received();
    assert_eq!(got.len(), 20);
    let mut ids: Vec<String> = got
        .iter()
        .map(|g| {
            assert_fresh_signature(
                SECRET,
                &g.header("x-webhook-signature").unwrap(),
                &g.body,
                before,
            );
            let v: Value = serde_json::from_slice(&g.body).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "every delivery has its own id");
}

#[test]
fn a_non_2xx_answer_or_no_answer_makes_send_exit_non_zero() {
    let app = TestApp::start(Behaviour {
        status: 500,
        ..Default::default()
    });
    let o = run(&[
        "send",
        "--event",
        "DOCVER",
        "--to",
        &app.url(),
        "--secret",
        SECRET,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("-> 500"), "{}", stdout(&o));

    let o = run(&[
        "send",
        "--event",
        "DOCVER",
        "--count",
        "3",
        "--to",
        &app.url(),
        "--secret",
        SECRET,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("status codes: 500 x3"),
        "{}",
        stdout(&o)
    );

    let o = run(&[
        "send",
        "--event",
        "DOCVER",
        "--to",
        &dead_port_url(),
        "--secret",
        SECRET,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("is your app running"), "{}", stdout(&o));
}

#[test]
fn export_says_what_is_wrong_and_selects_by_filter() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let docver = write(
        dir.path(),
        "a.json",
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/a", "headers": [], "body": "{\"id\":\"d1\",\"event_type\":\"DOCVER\"}"}"#,
    );
    let aml = write(
        dir.path(),
        "b.json",
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/b", "headers": [], "body": "{\"id\":\"a1\",\"event_type\":\"AML_SCREENING\"}"}"#,
    );
    ok(&["import", p(&docver), p(&aml), "--db", p(&db)]);

    let o = run(&["export", "--format", "har", "--db", p(&db)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("say what to export"), "{}", stderr(&o));
    let o = run(&[
        "export",
        "1",
        "99",
        "--db",
        p(&db),
        "--out",
        p(&dir.path().join("x")),
    ]);
    // A missing capture is not a usage error (README, "Exit status").
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("capture 99 is not in"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("x").exists(), "nothing written");
    let o = run(&["export", "--all", "--out", "-", "--db", p(&db)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("need a folder"), "{}", stderr(&o));

    let out = dir.path().join("only-docver");
    let o = ok(&[
        "export",
        "--event",
        "DOCVER",
        "--out",
        p(&out),
        "--db",
        p(&db),
    ]);
    assert_eq!(files_in(&out), vec!["docver-1.json"]);
    assert!(stdout(&o).contains("docver-1.json"), "{}", stdout(&o));
    // An exported fixture of an imported capture imports again, unchanged.
    let db2 = dir.path().join("again.db");
    ok(&["import", p(&out.join("docver-1.json")), "--db", p(&db2)]);
    assert_eq!(
        show_json(&db2, 1)["body_base64"],
        show_json(&db, 1)["body_base64"]
    );
}
