//! `--redact` end to end: real captures from `send --event`, redacted fixtures, HAR files,
//! curl scripts and `show`, and a redacted fixture sent back to `listen`, where it verifies.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

/// Personal values of the built-in DOCVER `failed` and AML_SCREENING `high_risk` samples.
pub(crate) const PERSONAL: &[&str] = &[
    "compliance@example.com",
    "X98765432",
    "Ivan Sample",
    "Sampleov",
    "1968-01-01",
    "1968-12-31",
    "1968-07-12",
];

/// Same JSON types everywhere, same keys in the same order.
fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.keys().eq(y.keys()) && x.values().zip(y.values()).all(|(p, q)| same_shape(p, q))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape(p, q))
        }
        (Value::String(_), Value::String(_)) => true,
        (Value::Number(x), Value::Number(y)) => x.is_f64() == y.is_f64(),
        (x, y) => x == y,
    }
}

/// Captures of a DOCVER and an AML_SCREENING sample sent by `send` to a real `listen`.
pub(crate) fn two_samples(db: &Path) -> (i64, i64) {
    let l = Listener::start(db, &["--secret", SECRET]);
    let mut ids = Vec::new();
    for (event, variant) in [("DOCVER", "failed"), ("AML_SCREENING", "high_risk")] {
        ok(&[
            "send",
            "--event",
            event,
            "--variant",
            variant,
            "--to",
            &format!("{}/hook", l.url),
            "--secret",
            SECRET,
        ]);
        let line = l.next_line();
        assert_eq!(line["verdict"]["status"], "valid", "{line}");
        ids.push(line["id"].as_i64().unwrap());
    }
    (ids[0], ids[1])
}

fn stored_body(db: &Path, id: i64) -> Value {
    let o = ok(&["show", &id.to_string(), "--raw", "--db", p(db)]);
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn a_redacted_fixture_holds_no_personal_value_keeps_its_shape_and_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (docver, aml) = two_samples(&db);
    let out = dir.path().join("fx");
    let o = ok(&[
        "export",
        &docver.to_string(),
        &aml.to_string(),
        "--redact",
        "--out",
        p(&out),
        "--db",
        p(&db),
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("redacted: account_email x1, document_number x1, full_name x1, date_of_birth x2, requested_name x1, search_result.data x4"),
        "{err}"
    );
    assert!(err.contains("re-signed when sent"), "{err}");

    for (id, stem) in [(docver, "docver"), (aml, "aml_screening")] {
        let file = out.join(format!("{stem}-{id}.json"));
        let text = std::fs::read_to_string(&file).unwrap();
        for personal in PERSONAL {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
        let fx: Value = serde_json::from_str(&text).unwrap();
        let body: Value = serde_json::from_str(fx["body"].as_str().unwrap()).unwrap();
        let original = stored_body(&db, id);
        assert!(same_shape(&original, &body), "{body:#}");
        assert_ne!(original, body);
        assert_eq!(body["payload"]["status"], original["payload"]["status"]);
    }

    // Sent to a listener with the same secret, the redacted fixture is re-signed and verifies.
    let l = Listener::start(&dir.path().join("again.db"), &["--secret", SECRET]);
    let file = out.join(format!("docver-{docver}.json"));
    let o = ok(&["send", p(&file), "--to", &l.url, "--secret", SECRET]);
    assert!(stdout(&o).contains("-> 200"), "{}", stdout(&o));
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "valid", "{line}");
    assert_eq!(line["event_type"], "DOCVER");
}

#[test]
fn redacted_har_and_curl_say_their_signatures_no_longer_match() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (docver, aml) = two_samples(&db);
    let ids = [docver.to_string(), aml.to_string()];
    for (format, note_in) in [("har", "\"comment\""), ("curl", "# redacted")] {
        let o = ok(&[
            "export",
            &ids[0],
            &ids[1],
            "--redact",
            "--format",
            format,
            "--out",
            "-",
            "--db",
            p(&db),
        ]);
        let text = stdout(&o);
        for personal in PERSONAL {
            assert!(!text.contains(personal), "{format}: {personal} in {text}");
        }
        assert!(text.contains(note_in), "{format}: {text}");
        assert!(
            stderr(&o).contains("signatures no longer match"),
            "{}",
            stderr(&o)
        );
        if format == "har" {
            let har: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(har["log"]["entries"].as_array().unwrap().len(), 2);
        } else {
            assert!(text.starts_with("#!/bin/sh\n"), "{text}");
        }
    }
    // Without --redact, the values are there (the test would prove nothing otherwise).
    let o = ok(&[
        "export",
        &ids[0],
        "--format",
        "har",
        "--out",
        "-",
        "--db",
        p(&db),
    ]);
    assert!(stdout(&o).contains("X98765432"));
}

#[test]
fn show_redact_hides_the_values_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (docver, _) = two_samples(&db);
    let id = docver.to_string();
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["show", &id, "--db", p(&db)];
        args.extend_from_slice(extra);
        let text = stdout(&ok(&args));
        assert!(text.contains("X98765432"), "without --redact: {text}");
    }
    for extra in [&[][..], &["--json"][..], &["--raw"][..]] {
        let mut args = vec!["show", &id, "--redact", "--db", p(&db)];
        args.extend_from_slice(extra);
        let o = ok(&args);
        let text = stdout(&o);
        assert!(!text.contains("X98765432"), "{extra:?}: {text}");
        assert!(
            !text.contains("compliance@example.com"),
            "{extra:?}: {text}"
        );
        assert!(
            stderr(&o).contains("redacted: account_email x1, document_number x1"),
            "{}",
            stderr(&o)
        );
    }
    let raw = ok(&["show", &id, "--raw", "--redact", "--db", p(&db)]);
    let body: Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert!(same_shape(&stored_body(&db, docver), &body));
}

#[test]
fn wait_redact_prints_what_it_found_as_show_redact_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (docver, _) = two_samples(&db);
    let wait = |extra: &[&str]| {
        let mut args = vec![
            "wait",
            "-q",
            "event:DOCVER",
            "--since",
            "10m",
            "--db",
            p(&db),
        ];
        args.extend_from_slice(extra);
        ok(&args)
    };
    for extra in [&[][..], &["--json"][..]] {
        let text = stdout(&wait(extra));
        assert!(text.contains("X98765432"), "without --redact: {text}");
    }
    let shown: Value = serde_json::from_str(&stdout(&wait(&["--json"]))).unwrap();
    assert_eq!(shown["id"].as_i64(), Some(docver));
    for extra in [&["--redact"][..], &["--redact", "--json"][..]] {
        let o = wait(extra);
        let text = stdout(&o);
        for personal in PERSONAL {
            assert!(
                !text.contains(personal),
                "{extra:?} shows {personal}: {text}"
            );
        }
        assert!(
            stderr(&o).contains("redacted: account_email x1, document_number x1"),
            "{}",
            stderr(&o)
        );
    }
    let o = wait(&["--redact", "--json"]);
    let found: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(found["id"].as_i64(), Some(docver));
}

#[test]
fn the_config_files_redact_table_adds_paths_and_headers_and_can_drop_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--secret", SECRET]);
    let body = br#"{"event_type":"DOCVER","payload":{"custom":{"field":"Alice Smith"},"account_email":"a@b.example","status":"verified"}}"#;
    let sig = sign(SECRET, now(), body);
    let r = post(
        &l.addr,
        "/hook",
        &[
            ("Content-Type", "application/json"),
            ("X-Webhook-Signature", &sig),
            ("X-Tenant", "acme-corp-42"),
        ],
        body,
    );
    assert_eq!(r.status, 200);
    let id = l.next_line()["id"].as_i64().unwrap().to_string();
    let form = b"name=Ivan+Sample";
    let sig = sign(SECRET, now(), form);
    let r = post(
        &l.addr,
        "/hook",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Webhook-Signature", &sig),
        ],
        form,
    );
    assert_eq!(r.status, 200);
    let form_id = l.next_line()["id"].as_i64().unwrap().to_string();
    drop(l);

    let config = dir.path().join("hookscope.toml");
    std::fs::write(
        &config,
        "[redact]\ndefaults = false\npaths = [\"payload.custom.field\"]\nheaders = [\"X-Tenant\"]\n",
    )
    .unwrap();
    let described = stdout(&ok(&["config", "check", "--config", p(&config)]));
    assert!(
        described.contains("paths            payload.custom.field"),
        "{described}"
    );
    assert!(described.contains("dataspike fields no"), "{described}");
    let o = ok(&[
        "export",
        &id,
        "--redact",
        "--config",
        p(&config),
        "--format",
        "har",
        "--out",
        "-",
        "--db",
        p(&db),
    ]);
    let text = stdout(&o);
    assert!(!text.contains("Alice Smith"), "{text}");
    assert!(!text.contains("acme-corp-42"), "{text}");
    assert!(text.contains("a@b.example"), "defaults = false: {text}");
    assert!(
        stderr(&o).contains("redacted: payload.custom.field x1, header X-Tenant x1"),
        "{}",
        stderr(&o)
    );

    // A body that is not JSON is left as it is, and the export says so.
    let o = ok(&[
        "export",
        &form_id,
        "--redact",
        "--format",
        "curl",
        "--out",
        "-",
        "--db",
        p(&db),
    ]);
    assert!(
        stderr(&o).contains("not JSON, so left as captured"),
        "{}",
        stderr(&o)
    );

    // A mistake in the table fails before anything is written, naming the line.
    std::fs::write(&config, "[redact]\npaths = [\"payload..x\"]\n").unwrap();
    let out = dir.path().join("fx");
    let o = run(&[
        "export",
        &id,
        "--redact",
        "--config",
        p(&config),
        "--out",
        p(&out),
        "--db",
        p(&db),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
    assert!(!out.exists());
}
