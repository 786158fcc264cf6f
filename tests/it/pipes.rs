//! `hookscope ... | head`: a reader that leaves early is not an error. Every command that writes
//! to stdout exits 0 with nothing on stderr when its stdout pipe closes.

use crate::common::*;
use std::io::Read;
use std::path::Path;
use std::process::{Output, Stdio};

/// Small captures stored after the big one: `list` prints far more than a pipe buffer (64 KiB
/// on Linux).
const SMALL_CAPTURES: usize = 2000;
/// The first capture's body: far more than a pipe buffer in one `show`.
const BIG_BODY_BYTES: usize = 256 * 1024;

fn write_fixture(path: &Path, body: &str) {
    std::fs::write(
        path,
        format!(
            r#"{{"hookscope_fixture": 1, "method": "POST", "path": "/h", "headers": [["Content-Type", "application/json"]], "body": "{body}"}}"#
        ),
    )
    .unwrap();
}

/// A store holding capture 1 with a large body, then `SMALL_CAPTURES` small ones.
fn store_many(dir: &Path) -> std::path::PathBuf {
    let big = dir.join("big.json");
    let pad = "x".repeat(BIG_BODY_BYTES);
    write_fixture(
        &big,
        &format!(r#"{{\"event_type\":\"AML_SCREENING\",\"pad\":\"{pad}\"}}"#),
    );
    let small = dir.join("small.json");
    write_fixture(&small, r#"{\"event_type\":\"DOCVER\"}"#);
    let db = dir.join("h.db");
    let mut args = vec![
        "import",
        "--db",
        db.to_str().unwrap(),
        big.to_str().unwrap(),
    ];
    args.extend(std::iter::repeat_n(small.to_str().unwrap(), SMALL_CAPTURES));
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    db
}

/// Runs hookscope with stdout a pipe whose reader takes `keep` bytes and then closes it.
fn run_reading(args: &[&str], keep: usize) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hookscope");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0; keep];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    child.wait_with_output().unwrap()
}

fn assert_quiet_success(o: &Output, what: &str) {
    assert_eq!(
        (o.status.code(), stderr(o).as_str()),
        (Some(0), ""),
        "{what}"
    );
}

#[test]
fn every_command_exits_0_quietly_when_the_reader_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_many(dir.path());
    let db = db.to_str().unwrap();
    let n = (SMALL_CAPTURES + 1).to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["list", "--db", db, "-n", &n],
        vec!["list", "--db", db, "-n", &n, "--json"],
        vec!["show", "1", "--db", db],
        vec!["show", "1", "--db", db, "--json"],
        vec!["show", "1", "--db", db, "--raw"],
        vec![
            "export", "--all", "--format", "har", "--out", "-", "--db", db,
        ],
        vec![
            "export", "--all", "--format", "curl", "--out", "-", "--db", db,
        ],
    ];
    for args in &cases {
        let o = run_reading(args, 100);
        assert_quiet_success(&o, &args.join(" "));
    }
}

#[test]
fn a_pipe_closed_before_the_first_line_is_quiet_too() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, VECTOR_BODY).unwrap();
    let header = format!("t={VECTOR_T},v1={VECTOR_V1}");
    let now = VECTOR_T.to_string();
    let args = [
        "verify",
        "--secret",
        SECRET,
        "--header",
        &header,
        "--body-file",
        body.to_str().unwrap(),
        "--now",
        &now,
    ];
    let o = run_reading(&args, 0);
    assert_quiet_success(&o, "verify");
    let o = run_reading(&["send", "--list"], 0);
    assert_quiet_success(&o, "send --list");
}
