//! `hookscope ... | head`: a reader that leaves early is not an error. Every command that writes
//! to stdout exits 0 with nothing on stderr when its stdout pipe closes, and a closed stderr
//! (`hookscope ... 2>&1 | head -1`) ends it as quietly: never a panic (exit 101).

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

/// A pipe whose reader is already gone: every write to it fails with EPIPE, at once and always,
/// as `2>&1 | head -1` does once `head` has its line.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    writer
}

/// Runs hookscope with stderr a closed pipe; stdout is captured.
fn run_without_stderr(args: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.args(args).stdout(Stdio::piped()).stderr(closed_pipe());
    finish(cmd, args)
}

/// Runs `cmd` to its end, which must come within 60 s.
fn finish(mut cmd: std::process::Command, args: &[&str]) -> Output {
    let mut child = cmd.stdin(Stdio::null()).spawn().expect("spawn hookscope");
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("hookscope {} went on with a closed pipe", args.join(" "));
}

fn assert_no_panic(o: &Output, what: &str) {
    assert_ne!(o.status.code(), Some(101), "{what}: panicked");
    let all = format!("{}{}", stdout(o), stderr(o));
    assert!(!all.contains("panicked"), "{what}: {all}");
}

#[test]
fn a_closed_stderr_ends_a_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    // A note on stderr before anything else (the local development secret), then a delivery
    // to a port nobody listens on: ended quietly at the note.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let to = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let o = run_without_stderr(&["send", "--event", "AML_SCREENING", "--to", &to]);
    assert_no_panic(&o, "send");
    assert_eq!(o.status.code(), Some(0), "send");
    // listen's intro goes to stderr with --json: it ends there instead of serving blind.
    let o = run_without_stderr(&["listen", "--port", "0", "--json", "--db", db]);
    assert_no_panic(&o, "listen");
    assert_eq!(o.status.code(), Some(0), "listen");
    // An error that cannot be told still fails: its exit status says so.
    let missing = dir.path().join("missing.db");
    let o = run_without_stderr(&["list", "--db", missing.to_str().unwrap()]);
    assert_no_panic(&o, "list");
    assert_eq!(o.status.code(), Some(1), "list on a missing store");
    let o = run_without_stderr(&["show", "x"]);
    assert_no_panic(&o, "a usage error");
    assert_eq!(o.status.code(), Some(2), "a usage error");
}

/// `relay --json` prints its first line with `println!`; a closed stdout ends it quietly too.
#[test]
fn a_closed_stdout_ends_a_println_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let db = db.to_str().unwrap();
    let args = ["relay", "--json", "--port", "0", "--db", db];
    let mut cmd = bin();
    cmd.args(args).stdout(closed_pipe()).stderr(Stdio::piped());
    let o = finish(cmd, &args);
    assert_quiet_success(&o, "relay --json");
    // Generated text, written whole: a closed stdout is the same quiet end.
    for args in [&["completions", "bash"][..], &["man"]] {
        let mut cmd = bin();
        cmd.args(args).stdout(closed_pipe()).stderr(Stdio::piped());
        let o = finish(cmd, args);
        assert_quiet_success(&o, &args.join(" "));
    }
}
