//! What every command does the same way, through the real binary: store files kept private and a
//! mistyped `--db` folder refused, `purge` and `import` saying how many, exports that refuse to
//! overwrite, plurals, exit codes, URL checks, `send --expect` and one verdict vocabulary.

use crate::common::*;
use std::path::{Path, PathBuf};

/// `export WHICH --format FORMAT --out OUT --db DB`, then `extra`.
fn export<'a>(
    db: &'a Path,
    which: &'a str,
    format: &'a str,
    out: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "export",
        which,
        "--format",
        format,
        "--out",
        p(out),
        "--db",
        p(db),
    ];
    args.extend_from_slice(extra);
    args
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
    let o = ok(&export(&db, "--all", "har", &har, &[]));
    assert!(
        stderr(&o).contains("exported 3 HAR entries"),
        "{}",
        stderr(&o)
    );
    let one = dir.path().join("one.har");
    let o = ok(&export(&db, "1", "har", &one, &[]));
    assert!(
        stderr(&o).contains("exported 1 HAR entry "),
        "{}",
        stderr(&o)
    );
    let curl = dir.path().join("c.sh");
    ok(&export(&db, "1", "curl", &curl, &[]));
    let script = std::fs::read_to_string(&curl).unwrap();
    assert!(script.contains("replays 1 captured delivery "), "{script}");
}

#[test]
fn purge_deletes_for_good_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_three(dir.path());
    // No received_at: it arrives now.
    let fresh = dir.path().join("fresh.json");
    std::fs::write(
        &fresh,
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/new", "headers": [], "body": "{}"}"#,
    )
    .unwrap();
    ok(&["import", p(&fresh), "--db", p(&db)]);

    let o = run(&["purge", "--db", p(&db)]);
    assert_eq!(o.status.code(), Some(2), "say what to purge");
    let o = run(&["purge", "--before", "a week", "--db", p(&db)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--before 'a week'"), "{}", stderr(&o));

    let o = ok(&["purge", "--before", "7d", "--db", p(&db)]);
    assert_eq!(stdout(&o), "deleted 3 captures older than 7d; 1 remains\n");
    let left = list_json(&db, &[]);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["path"], "/new");
    let o = ok(&["purge", "--all", "--db", p(&db)]);
    assert_eq!(stdout(&o), "deleted 1 capture; 0 remain\n");
    assert!(list_json(&db, &[]).is_empty());
    let o = run(&["purge", "--all", "--db", p(&dir.path().join("nope.db"))]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a missing database is not created"
    );
    assert!(!dir.path().join("nope.db").exists());
}

#[test]
fn a_given_db_in_a_missing_folder_is_refused_but_the_default_folder_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture(dir.path(), "a.json", "2026-01-01T00:00:00.000Z", "DOCVER");
    let typo = dir.path().join("dtaa").join("h.db");
    for args in [
        vec!["import", p(&fixture), "--db", p(&typo)],
        vec!["list", "--db", p(&typo)],
        vec!["listen", "--no-tui", "--port", "0", "--db", p(&typo)],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("dtaa' does not exist"),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("mkdir -p"), "{}", stderr(&o));
    }
    // The same through the environment.
    let o = bin()
        .args(["import", p(&fixture)])
        .env("HOOKSCOPE_DB", &typo)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!dir.path().join("dtaa").exists(), "nothing created");
}

/// No --db: the platform data folder (here Linux's) is created, readable by the user only.
#[cfg(target_os = "linux")]
#[test]
fn the_default_data_folder_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture(dir.path(), "a.json", "2026-01-01T00:00:00.000Z", "DOCVER");
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let o = bin()
        .args(["import", p(&fixture)])
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let data = home.join(".local/share/hookscope");
    assert!(data.join("hookscope.db").exists(), "{}", stderr(&o));
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hookscope.db")), 0o600);
}

#[test]
fn a_missing_capture_exits_1_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_three(dir.path());
    let out = dir.path().join("x.har");
    for args in [
        vec!["show", "9999", "--db", p(&db)],
        vec!["verify", "9999", "--secret", SECRET, "--db", p(&db)],
        vec![
            "replay",
            "9999",
            "--to",
            "http://127.0.0.1:9",
            "--db",
            p(&db),
        ],
        export(&db, "9999", "har", &out, &[]),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("capture 9999 is not in '"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("'hookscope list' shows the ids"));
    }
    assert!(!out.exists());
}

#[test]
fn a_mistyped_url_is_refused_when_given_naming_the_flag_and_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_three(dir.path());
    let bad = "http://127.0.0.1:3000x";
    for args in [
        vec!["replay", "1", "--to", bad, "--db", p(&db)],
        vec!["send", "--event", "DOCVER", "--secret", SECRET, "--to", bad],
        vec![
            "export",
            "1",
            "--format",
            "curl",
            "--out",
            "-",
            "--to",
            bad,
            "--db",
            p(&db),
        ],
        vec![
            "listen",
            "--no-tui",
            "--port",
            "0",
            "--forward-to",
            bad,
            "--db",
            p(&db),
        ],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("to: target URL 'http://127.0.0.1:3000x'"),
            "{err}"
        );
        assert!(
            err.contains("port '3000x' is not a number from 1 to 65535"),
            "{err}"
        );
    }
    assert!(
        show_json(&db, 1)["attempts"].as_array().unwrap().is_empty(),
        "nothing sent"
    );
}

#[test]
fn export_refuses_to_overwrite_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_three(dir.path());
    let har = dir.path().join("out.har");
    std::fs::write(&har, b"precious").unwrap();
    let o = run(&export(&db, "--all", "har", &har, &[]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("out.har' already exists: pass --force to overwrite"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&har).unwrap(), b"precious");
    ok(&export(&db, "--all", "har", &har, &["--force"]));
    assert!(std::fs::read_to_string(&har)
        .unwrap()
        .contains("\"entries\""));

    // Fixtures: one existing file refuses the whole export; nothing else is written.
    let out = dir.path().join("fx");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("docver-2.json"), b"mine").unwrap();
    let o = run(&["export", "--all", "--out", p(&out), "--db", p(&db)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("docver-2.json' already exists"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "nothing written"
    );
    ok(&[
        "export",
        "--all",
        "--out",
        p(&out),
        "--force",
        "--db",
        p(&db),
    ]);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3);
    assert_ne!(std::fs::read(out.join("docver-2.json")).unwrap(), b"mine");
}

#[test]
fn importing_the_same_captures_twice_skips_them_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_three(dir.path());
    let har = dir.path().join("all.har");
    ok(&export(&db, "--all", "har", &har, &[]));
    let fresh = fixture(dir.path(), "d.json", "2026-01-04T00:00:00.000Z", "DOCVER");
    let o = ok(&["import", p(&har), p(&fresh), "--db", p(&db)]);
    assert!(
        stderr(&o).contains("imported 1 capture into '")
            && stderr(&o).contains("', skipped 3 already in the store"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("already in the store as #1"),
        "{}",
        stdout(&o)
    );
    assert_eq!(list_json(&db, &[]).len(), 4);
    // Twice in one import: the second is skipped too.
    let db2 = dir.path().join("two.db");
    let o = ok(&["import", p(&fresh), p(&fresh), "--db", p(&db2)]);
    assert!(
        stderr(&o).contains("imported 1 capture into '"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("skipped 1 already in the store"),
        "{}",
        stderr(&o)
    );
    assert_eq!(list_json(&db2, &[]).len(), 1);
}

#[test]
fn send_expect_lets_ci_assert_a_rejection() {
    let app = TestApp::start(Behaviour {
        status: 401,
        ..Default::default()
    });
    let send = |extra: &[&str]| {
        let mut args = vec![
            "send", "--event", "DOCVER", "--sign", "stale", "--secret", SECRET, "--to",
        ];
        let url = app.url();
        args.push(&url);
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = send(&[]);
    assert_eq!(o.status.code(), Some(1), "a 401 is not the default 2xx");
    let o = send(&["--expect", "4xx"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("as expected (4xx): 1 of 1 delivery"),
        "{}",
        stdout(&o)
    );
    let o = send(&["--expect", "401,403", "--count", "3"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("as expected (401,403): 3 of 3 deliveries"),
        "{}",
        stdout(&o)
    );
    let o = send(&["--expect", "200"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("as expected (200): 0 of 1 delivery"),
        "{}",
        stdout(&o)
    );
    let o = send(&["--expect", "4x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--expect"), "{}", stderr(&o));
    // No answer never matches.
    let o = run(&[
        "send",
        "--event",
        "DOCVER",
        "--secret",
        SECRET,
        "--expect",
        "4xx",
        "--to",
        &dead_port_url(),
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn list_and_export_speak_the_badge_words_and_say_why_nothing_matched() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    let a = fixture(dir.path(), "a.json", "2026-01-01T00:00:00.000Z", "DOCVER");
    // An empty store keeps its advice.
    ok(&["import", p(&a), "--db", p(&empty)]);
    ok(&["purge", "--all", "--db", p(&empty)]);
    let o = ok(&["list", "--db", p(&empty)]);
    assert!(
        stdout(&o).contains("send a webhook to 'hookscope listen' first"),
        "{}",
        stdout(&o)
    );

    let db = store_with_three(dir.path());
    // Imported without a secret: every one is unsigned, which the badge calls FAIL.
    for word in ["FAIL", "fail", "unsigned", "Unsigned"] {
        assert_eq!(list_json(&db, &["--verdict", word]).len(), 3, "{word}");
    }
    for word in [
        "PASS",
        "valid",
        "STALE",
        "--",
        "none",
        "UNVERIFIED",
        "invalid",
    ] {
        assert!(list_json(&db, &["--verdict", word]).is_empty(), "{word}");
    }
    let o = run(&["list", "--verdict", "ok", "--db", p(&db)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("'ok' is not a verdict"),
        "{}",
        stderr(&o)
    );
    for event in ["docver", "DOCVER", "DocVer"] {
        assert_eq!(list_json(&db, &["--event", event]).len(), 2, "{event}");
    }

    let o = ok(&[
        "list",
        "--event",
        "docver",
        "--verdict",
        "PASS",
        "--db",
        p(&db),
    ]);
    let text = stdout(&o);
    assert!(text.starts_with("3 captures in '"), "{text}");
    assert!(
        text.contains(", none match --verdict PASS and --event docver"),
        "{text}"
    );
    let o = ok(&["export", "--verdict", "pass", "--db", p(&db)]);
    assert!(
        stdout(&o).contains("nothing to export: 3 captures in '")
            && stdout(&o).contains("none match --verdict pass"),
        "{}",
        stdout(&o)
    );
    let out = dir.path().join("fx");
    ok(&[
        "export",
        "--event",
        "docver",
        "--verdict",
        "FAIL",
        "--out",
        p(&out),
        "--db",
        p(&db),
    ]);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);

    // One name for the app's answer: APP, as in the TUI.
    let o = ok(&["list", "--db", p(&db)]);
    let header = stdout(&o).lines().next().unwrap().to_string();
    assert!(
        header.contains(" APP ") && header.ends_with("REASON"),
        "{header}"
    );
}

/// `list` fits COLUMNS (a terminal's width), dropping the least useful columns first; piped
/// without COLUMNS it keeps every column at a fixed width, and so does `--wide`.
#[test]
fn list_fits_the_terminal_and_wide_shows_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.json");
    std::fs::write(
        &long,
        r#"{"hookscope_fixture": 1, "method": "POST", "path": "/dataspike/webhooks/verification/results/with/a/long/path", "query": "tenant=acme&attempt=1", "headers": [["Content-Type", "application/json"]], "body": "{\"event_type\":\"AML_SCREENING\"}"}"#,
    )
    .unwrap();
    let db = dir.path().join("h.db");
    ok(&["import", p(&long), "--db", p(&db)]);
    let all = [
        "ID", "RECEIVED", "SIG", "METHOD", "PATH", "EVENT", "SIZE", "APP", "REASON",
    ];
    let header = |o: &std::process::Output| -> Vec<String> {
        let text = stdout(o);
        let first = text.lines().next().unwrap_or_default();
        first.split_whitespace().map(str::to_string).collect()
    };

    let o = bin()
        .args(["list", "--db", p(&db)])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    for line in stdout(&o).lines() {
        assert!(line.chars().count() <= 80, "{} > 80: {line}", line.len());
    }
    let fitted = header(&o);
    assert!(
        ["ID", "SIG", "EVENT"]
            .iter()
            .all(|c| fitted.iter().any(|h| h == c)),
        "{fitted:?}"
    );
    assert!(!fitted.iter().any(|h| h == "METHOD"), "{fitted:?}");

    let o = bin()
        .args(["list", "--wide", "--db", p(&db)])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert_eq!(header(&o), all);
    let wide = stdout(&o);
    assert!(wide.lines().any(|l| l.chars().count() > 80), "{wide}");
    // Piped, no COLUMNS: the same full layout, line for line.
    assert_eq!(stdout(&ok(&["list", "--db", p(&db)])), wide);
    // --json is what it was.
    let o = ok(&["list", "--json", "--db", p(&db)]);
    assert!(stdout(&o).starts_with("{\"id\":1,"), "{}", stdout(&o));
}
