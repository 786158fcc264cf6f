//! A newcomer's first hour (issue 13, part A): private store files, purge, `--db` typos,
//! refusing to overwrite exports, plurals, exit codes, URL checks, import dedupe, `send --expect`
//! and one verdict vocabulary. All through the real binary.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

/// A fixture file received at `received_at` (RFC 3339), with an event type.
fn fixture(dir: &Path, name: &str, received_at: &str, event: &str) -> PathBuf {
    let path = dir.join(name);
    let body = format!("{{\\\"id\\\":\\\"{name}\\\",\\\"event_type\\\":\\\"{event}\\\"}}");
    std::fs::write(
        &path,
        format!(
            r#"{{"hookscope_fixture": 1, "method": "POST", "path": "/h", "query": "a=1", "received_at": "{received_at}", "headers": [["Content-Type", "application/json"]], "body": "{body}"}}"#
        ),
    )
    .unwrap();
    path
}

/// A store holding two DOCVER captures and one AML_SCREENING one, imported.
fn store_with_three(dir: &Path) -> PathBuf {
    let db = dir.join("h.db");
    let a = fixture(dir, "a.json", "2026-01-01T00:00:00.000Z", "DOCVER");
    let b = fixture(dir, "b.json", "2026-01-02T00:00:00.000Z", "DOCVER");
    let c = fixture(dir, "c.json", "2026-01-03T00:00:00.000Z", "AML_SCREENING");
    ok(&["import", p(&a), p(&b), p(&c), "--db", p(&db)]);
    db
}

#[test]
fn counts_in_messages_use_the_right_plural() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_three(dir.path());
    let har = dir.path().join("out.har");
    let o = ok(&[
        "export",
        "--all",
        "--format",
        "har",
        "--out",
        p(&har),
        "--db",
        p(&db),
    ]);
    assert!(
        stderr(&o).contains("exported 3 HAR entries"),
        "{}",
        stderr(&o)
    );
    let one = dir.path().join("one.har");
    let o = ok(&[
        "export",
        "1",
        "--format",
        "har",
        "--out",
        p(&one),
        "--db",
        p(&db),
    ]);
    assert!(
        stderr(&o).contains("exported 1 HAR entry "),
        "{}",
        stderr(&o)
    );
    let curl = dir.path().join("c.sh");
    ok(&[
        "export",
        "1",
        "--format",
        "curl",
        "--out",
        p(&curl),
        "--db",
        p(&db),
    ]);
    let script = std::fs::read_to_string(&curl).unwrap();
    assert!(script.contains("replays 1 captured delivery "), "{script}");
}
