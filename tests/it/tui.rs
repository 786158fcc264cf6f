//! The terminal UI end to end: the real binary in a real terminal (tmux), real captures from a
//! real sender, a key press, and the replay arriving at a real test server.

use crate::common::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server running one command in a window (140x40 unless sized); killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        Tmux::start_sized(cmd, "main", 140, 40)
    }

    /// `name` keeps the servers of tests running at once apart.
    fn start_sized(cmd: &str, name: &str, width: u16, height: u16) -> Tmux {
        let socket = format!("hookscope-test-{}-{name}", std::process::id());
        let (width, height) = (width.to_string(), height.to_string());
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                &width,
                "-y",
                &height,
                cmd,
            ])
            .env("NO_COLOR", "1")
            .status()
            .expect("tmux is installed (.ci/run installs it)");
        assert!(ok.success());
        Tmux { socket }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["-L", &self.socket, "has-session", "-t", "t"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Waits until the screen satisfies `ok`, or panics showing the last screen.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn wait_until(what: &str, ok: impl Fn() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn listen_tui_shows_captures_and_r_replays_to_the_app() {
    let app = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // An editor that saves nothing: `e` must then send nothing.
    let cmd = format!(
        "EDITOR=true {} listen --port {port} --db {} --secret {SECRET} --forward-to {}",
        env!("CARGO_BIN_EXE_hookscope"),
        db.display(),
        app.url()
    );
    let tmux = Tmux::start(&cmd);
    tmux.wait_for("the header", |s| s.contains(&format!("127.0.0.1:{port}")));
    // The database's path is in the help overlay (and a notice at start).
    tmux.keys(&["?"]);
    let db_text = db.display().to_string();
    tmux.wait_for("the database in the help", |s| s.contains(&db_text));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the help closed", |s| !s.contains("closes this help"));

    // One valid and one tampered delivery from a real sender.
    let addr = format!("127.0.0.1:{port}");
    let body = VECTOR_BODY.as_bytes();
    let good = sign(SECRET, now(), body);
    assert_eq!(
        post(
            &addr,
            "/dataspike/hook",
            &[("X-Webhook-Signature", &good)],
            body
        )
        .status,
        200
    );
    let mut tampered = body.to_vec();
    tampered[10] = b'9';
    assert_eq!(
        post(
            &addr,
            "/dataspike/hook",
            &[("X-Webhook-Signature", &good)],
            &tampered
        )
        .status,
        200
    );
    assert_eq!(app.received().len(), 2);

    let screen = tmux.wait_for("both rows", |s| s.matches("AML_SCREENING").count() == 2);
    assert!(screen.contains("PASS 1  FAIL 1"), "{screen}");
    assert!(screen.contains("(reachable)"), "{screen}");

    // The newest (tampered) row is selected; its detail explains the failure.
    tmux.keys(&["Enter"]);
    tmux.wait_for("the diagnostics", |s| {
        s.contains("no secret matches") && s.contains("Expected")
    });

    // `r` on the tampered one never launders it: it goes as captured, with its failing
    // signature, and the one notice says why.
    tmux.keys(&["r"]);
    wait_until("the replay at the app", || app.received().len() == 3);
    let got = app.received().pop().unwrap();
    assert_eq!(got.body, tampered);
    assert_eq!(got.header("x-webhook-signature").unwrap(), good);
    tmux.wait_for("the replay's result", |s| {
        s.contains("replayed #2 as captured") && s.contains("its own signature failed")
    });
    // `r` on the valid one re-signs it (a secret is loaded): a fresh, valid signature.
    // Esc alone first: Esc and a key sent together read as Alt and that key.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the detail closed", |s| !s.contains("Expected"));
    tmux.keys(&["j", "r"]);
    wait_until("the second replay at the app", || app.received().len() == 4);
    let got = app.received().pop().unwrap();
    assert_eq!(got.body, body);
    let sig = got.header("x-webhook-signature").unwrap();
    let t: i64 = sig[2..12].parse().unwrap();
    assert!((now() - t).abs() < 60);
    assert_eq!(sig, sign(SECRET, t, body));
    tmux.wait_for("the re-signed replay's result", |s| {
        s.contains("replayed #1 re-signed")
    });
    tmux.keys(&["k", "Enter"]);

    // `e` with an editor that changes nothing sends nothing, and says so.
    tmux.keys(&["e"]);
    tmux.wait_for("the unchanged notice", |s| {
        s.contains("#2 unchanged, not sent")
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(app.received().len(), 4, "an unchanged edit is not sent");

    // `q` quits the UI and stops the listener; the replay is stored as an attempt.
    tmux.keys(&["q"]);
    wait_until("listen to exit", || !tmux.alive());
    let shown = show_json(&db, 2);
    let attempts = shown["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1]["kind"], "replay");
    assert_eq!(
        attempts[1]["resigned"], false,
        "a tampered capture is never re-signed"
    );
    let shown = show_json(&db, 1);
    assert_eq!(shown["attempts"][1]["resigned"], true);
}

#[test]
fn tui_on_a_missing_database_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("absent.db");
    let o = run(&["tui", "--db", db.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("absent.db"), "{}", stderr(&o));
    assert!(!db.exists());
}

#[test]
fn the_copy_popup_at_80_columns_wraps_the_curl_so_a_selection_gets_every_character() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // The popup only: the escape is not written, as on a terminal known to ignore it.
    let cmd = format!(
        "HOOKSCOPE_OSC52=0 {} listen --port {port} --db {} --secret {SECRET}",
        env!("CARGO_BIN_EXE_hookscope"),
        db.display(),
    );
    let tmux = Tmux::start_sized(&cmd, "copy", 80, 24);
    tmux.wait_for("the header", |s| s.contains(&format!("127.0.0.1:{port}")));
    // A body three rows wide, with spaces where rows may break.
    let body = r#"{"event_type": "DOCVER", "payload": {"note": "a  b c"}} "#.repeat(4);
    let addr = format!("127.0.0.1:{port}");
    let good = sign(SECRET, now(), body.as_bytes());
    let headers = [("X-Webhook-Signature", good.as_str())];
    assert_eq!(post(&addr, "/hook", &headers, body.as_bytes()).status, 200);
    tmux.wait_for("the row", |s| s.contains(" /hook "));
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("the popup", |s| s.contains("select by hand"));
    // What a mouse selection of the popup's rows gives, each row's end blanks dropped (as
    // capture-pane does).
    let rows: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("select by hand"))
        .skip(1)
        .take_while(|l| !l.starts_with("────"))
        .collect();
    let selected: String = rows.iter().map(|r| r.trim_end()).collect();
    assert!(
        selected.contains(&format!("printf '%s' '{body}' |")),
        "the whole body line:\n{}",
        rows.join("\n")
    );
    assert!(rows.iter().all(|r| r.chars().count() <= 80));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the popup closed", |s| !s.contains("select by hand"));
    tmux.keys(&["q"]);
    wait_until("listen to exit", || !tmux.alive());
}

#[test]
fn listen_redact_makes_the_copy_keys_copy_fakes_and_the_status_line_says_what() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cmd = format!(
        "HOOKSCOPE_OSC52=0 {} listen --redact --port {port} --db {} --secret {SECRET}",
        env!("CARGO_BIN_EXE_hookscope"),
        db.display(),
    );
    let tmux = Tmux::start_sized(&cmd, "redact", 160, 30);
    tmux.wait_for("the header", |s| s.contains(&format!("127.0.0.1:{port}")));
    let body = r#"{"id":"e1","event_type":"DOCVER","payload":{"full_name":"Jane Doe"}}"#;
    let addr = format!("127.0.0.1:{port}");
    let good = sign(SECRET, now(), body.as_bytes());
    let headers = [("X-Webhook-Signature", good.as_str())];
    assert_eq!(post(&addr, "/hook", &headers, body.as_bytes()).status, 200);
    tmux.wait_for("the row", |s| s.contains(" /hook "));
    tmux.keys(&["C"]);
    let screen = tmux.wait_for("the popup", |s| s.contains("select by hand"));
    assert!(!screen.contains("Jane Doe"), "{screen}");
    assert!(screen.contains("full_name"), "{screen}");
    tmux.keys(&["Escape"]);
    // The popup closed, the status line says what the copy replaced.
    tmux.wait_for("the notice", |s| s.contains("redacted: full_name x1"));
    tmux.keys(&["q"]);
    wait_until("listen to exit", || !tmux.alive());
    // The store keeps what was sent.
    let stored = show_json(&db, 1);
    assert_eq!(stored["body"], body);
}
