//! A backlog replay after the app was down: only real deliveries whose signature held are sent
//! again, re-signed; forged and unsigned captures and `check`'s probes are left out and counted;
//! a capture with no target is skipped with a line and the batch goes on.

use crate::common::*;

#[test]
fn a_backlog_never_launders_a_forged_delivery_and_goes_on_past_the_odd_one() {
    let app = TestApp::start(Behaviour {
        status: 503,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let dbs = db.to_str().unwrap();
    let body = VECTOR_BODY.as_bytes();

    // While the app fails: a real delivery, a forged one and an unsigned one.
    let l = Listener::start(&db, &["--secret", SECRET, "--forward-to", &app.url()]);
    let real = sign(SECRET, now(), body);
    let post_to = |sig: Option<&str>, b: &[u8]| {
        let headers: Vec<(&str, &str)> = sig
            .map(|s| ("X-Webhook-Signature", s))
            .into_iter()
            .collect();
        let r = post(&l.addr, "/dataspike/hook", &headers, b);
        assert_eq!(r.status, 503);
        // The app's answer is mirrored; the capture's id is on the listener's line.
        l.next_line()["id"].as_i64().unwrap()
    };
    let good = post_to(Some(&real), body);
    let forged = post_to(Some("garbage"), br#"{"event_type":"DOCVER","forged":true}"#);
    let unsigned = post_to(None, br#"{"event_type":"DOCVER","unsigned":true}"#);
    l.stop();
    // `check` probes the failing app too; its probes are stored with their failed answers.
    let o = run(&["check", "--to", &app.url(), "--secret", SECRET, "--db", dbs]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // A real delivery that was never forwarded.
    let l = Listener::start(&db, &["--secret", SECRET]);
    post(
        &l.addr,
        "/lone",
        &[("X-Webhook-Signature", &sign(SECRET, now(), body))],
        body,
    );
    let lone = l.next_line()["id"].as_i64().unwrap();
    l.stop();

    app.set(Behaviour::default());
    let before = app.received().len();
    let o = run(&[
        "replay", "--failed", "--since", "5m", "--secret", SECRET, "--db", dbs,
    ]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.starts_with(&format!("#{good} -> 200")), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        err.contains("left out 2 captures whose own signature failed (invalid or unsigned)"),
        "{err}"
    );
    assert!(err.contains("--resign-failed"), "{err}");
    // The probes' failed answers are not deliveries' answers: never part of --failed.
    assert!(!err.contains("probe"), "{err}");
    let got = app.received();
    assert_eq!(got.len(), before + 1, "only the real delivery went out");
    let sent = got.last().unwrap();
    assert_eq!(sent.body, body);
    let sig = sent.header("x-webhook-signature").unwrap();
    let t: i64 = sig[2..12].parse().unwrap();
    assert_eq!(sig, sign(SECRET, t, body), "re-signed, and it verifies");

    // A query backlog: the probes are left out, the lone capture has no target and is
    // skipped with a line, and the batch goes on to the real delivery.
    let o = run(&[
        "replay",
        "--query",
        "event:AML_SCREENING",
        "--secret",
        SECRET,
        "--db",
        dbs,
    ]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(
        o.status.code(),
        Some(0),
        "everything sent got a 2xx: {out}{err}"
    );
    assert!(
        err.contains(&format!("#{lone} skipped: it was never forwarded")),
        "{err}"
    );
    assert!(out.contains(&format!("#{good} -> 200")), "{out}");
    assert!(
        err.contains("probes sent by 'hookscope check': not deliveries"),
        "{err}"
    );
    assert!(
        err.contains("replayed 1 capture: 0 failed, 1 skipped"),
        "{err}"
    );

    // By id, a forged capture goes as captured unless re-signing is asked for explicitly.
    let o = run(&[
        "replay",
        &forged.to_string(),
        "--resign",
        "--secret",
        SECRET,
        "--db",
        dbs,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("its own signature failed (invalid)"),
        "{}",
        stderr(&o)
    );
    let n = app.received().len();
    let o = run(&[
        "replay",
        &forged.to_string(),
        &unsigned.to_string(),
        "--resign-failed",
        "--secret",
        SECRET,
        "--db",
        dbs,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the app now accepts a body nobody signed"),
        "{}",
        stderr(&o)
    );
    assert_eq!(app.received().len(), n + 2);
    // --resign-failed is for captures named by id only.
    let o = run(&["replay", "--failed", "--resign-failed", "--db", dbs]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_replay_to_a_target_that_ends_with_the_path_does_not_double_it() {
    let app = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let body = VECTOR_BODY.as_bytes();
    let l = Listener::start(&db, &["--secret", SECRET]);
    let r = post(
        &l.addr,
        "/dataspike/hook?x=1",
        &[("X-Webhook-Signature", &sign(SECRET, now(), body))],
        body,
    );
    let id = r.json()["id"].as_i64().unwrap().to_string();
    l.stop();
    let to = format!("{}/dataspike/hook", app.url());
    let o = run(&[
        "replay",
        &id,
        "--to",
        &to,
        "--secret",
        SECRET,
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(app.received().pop().unwrap().uri, "/dataspike/hook?x=1");
    // A base URL still takes the capture's path after its own.
    let o = run(&[
        "replay",
        &id,
        "--to",
        &app.url(),
        "--secret",
        SECRET,
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(app.received().pop().unwrap().uri, "/dataspike/hook?x=1");
}
