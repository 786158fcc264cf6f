//! `hookscope wait` through real processes: a running `listen` stores deliveries while `wait`
//! blocks on the same store, and CI reads its exit code and JSON.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{bin, post, run, show_json, stderr, stdout, Listener};

const QUERY: &str = "event:DOCVER payload.applicant_id=abc";

fn docver(applicant: &str) -> Vec<u8> {
    serde_json::json!({
        "id": format!("ev-{applicant}"),
        "event_type": "DOCVER",
        "payload": {"applicant_id": applicant, "status": "verified"},
    })
    .to_string()
    .into_bytes()
}

fn deliver(l: &Listener, applicant: &str) -> i64 {
    let r = post(
        &l.addr,
        "/dataspike/hook",
        &[("Content-Type", "application/json")],
        &docver(applicant),
    );
    r.json()["id"].as_i64().expect("the capture's id")
}

/// `wait` as a child process, returned once it has said it is waiting (its starting point is
/// taken), with the rest of its stderr.
fn start_wait(db: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = bin()
        .args(["wait", "--query", QUERY, "--db"])
        .arg(db)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wait");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(first.starts_with("waiting up to "), "{first}");
    // Drained meanwhile, so wait never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    (child, first)
}

/// Waits for the child to exit (at most `limit`): its status and stdout.
fn finish(mut child: Child, limit: Duration) -> (std::process::ExitStatus, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            return (status, out);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("wait still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn wait_returns_the_first_matching_delivery_stored_after_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let l = Listener::start(&db, &[]);
    let before = deliver(&l, "abc");

    let (mut child, said) = start_wait(&db, &["--json", "--timeout", "60s"]);
    assert!(
        said.contains(QUERY) && said.contains("stored from now on"),
        "{said}"
    );
    deliver(&l, "xyz");
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "neither the earlier match nor another applicant's delivery ends the wait"
    );

    let matching = deliver(&l, "abc");
    let posted = Instant::now();
    let (status, out) = finish(child, Duration::from_secs(10));
    let noticed = posted.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(noticed < Duration::from_secs(3), "took {noticed:?}");
    let found: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(found["id"].as_i64(), Some(matching));
    assert_ne!(matching, before);
    assert_eq!(
        found,
        show_json(&db, matching),
        "the object 'show --json' prints"
    );
    assert_eq!(out.lines().count(), 1);

    // With a window the matches already stored count: the newest one in it, at once.
    let db_s = db.to_str().unwrap();
    let o = run(&[
        "wait", "-q", QUERY, "--since", "10m", "--json", "--db", db_s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let found: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(found["id"].as_i64(), Some(matching));

    // The text is show's.
    let o = run(&["wait", "-q", QUERY, "--since", "10m", "--db", db_s]);
    let show = run(&["show", &matching.to_string(), "--db", db_s]);
    assert_eq!(stdout(&o), stdout(&show));
    l.stop();
}

#[test]
fn a_timeout_exits_3_and_says_what_it_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let l = Listener::start(&db, &[]);
    deliver(&l, "abc");
    let started = Instant::now();
    let o = run(&[
        "wait",
        "--query",
        QUERY,
        "--timeout",
        "1s",
        "--db",
        db.to_str().unwrap(),
    ]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    let last = err.lines().last().unwrap();
    assert!(
        last.contains(&format!("--query '{QUERY}'")) && last.contains("within 1s"),
        "{err}"
    );
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "{took:?}"
    );
    l.stop();
}

#[test]
fn a_bad_query_is_a_usage_error_and_the_store_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let db_s = db.to_str().unwrap();
    let missing = run(&["wait", "-q", "docver", "--timeout", "1s", "--db", db_s]);
    let list = run(&["list", "--db", db_s]);
    assert_eq!(missing.status.code(), list.status.code());
    assert_ne!(missing.status.code(), Some(0));
    assert!(!db.exists(), "nothing is created");

    let l = Listener::start(&db, &[]);
    let o = run(&["wait", "-q", "badge:FAIL status:6xx", "--db", db_s]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error: --query: status class must be 1xx-5xx")
            && stderr(&o).contains("                   ^^^"),
        "{}",
        stderr(&o)
    );
    l.stop();
}
