//! Screens rendered into `TestBackend` at fixed times in UTC (snapshots), and `update` driven
//! key by key against a real store in a temp dir.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

use super::app::{update, App, Setup, Tab, Theme, Zone};
use super::event::Event;
use super::stack::Layer;
use super::Command;
use crate::capture::{Attempt, AttemptKind, Capture, CaptureId};
use crate::forward::Signing;
use crate::report::Report;
use crate::signature::dataspike::SIGNATURE_HEADER;
use crate::signature::{verify_capture, Secret, Status};
use crate::store::{OpenMode, Store};

mod compare_copy_header;
mod edit;
mod redeliveries;
mod sizes;

// The published Dataspike test vector (shared/reference/dataspike.md).
const SECRET: &str = "whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const T: i64 = 1_700_000_000;
const BODY: &[u8] = br#"{"id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","webhook_id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","event_type":"AML_SCREENING","timestamp":"2023-07-18T15:32:13Z","payload":{}}"#;
const V1: &str = "ed2a117641bffc67be82b1ca58a1252d3a17ad89fdde76a3bec3eebf5f13c22a";

const WIDTH: u16 = 110;
const HEIGHT: u16 = 24;

/// A capture as the listener would record it, verified for real at `now_s`.
fn capture(
    at_s: i64,
    path: &str,
    signature: Option<&str>,
    body: &[u8],
    secrets: &[Secret],
) -> Capture {
    let mut headers = vec![
        (b"Host".to_vec(), b"127.0.0.1:8080".to_vec()),
        (b"Content-Type".to_vec(), b"application/json".to_vec()),
    ];
    if let Some(sig) = signature {
        headers.push((
            SIGNATURE_HEADER.as_bytes().to_vec(),
            sig.as_bytes().to_vec(),
        ));
    }
    headers.push((b"X-Odd-Bytes".to_vec(), b"\xff\x01ok".to_vec()));
    let (verdict, diagnostics) = verify_capture(&headers, body, secrets, at_s, 300);
    Capture {
        peer: Some("127.0.0.1:50123".into()),
        verdict,
        diagnostics,
        ..Capture::new(at_s * 1000 + 250, "POST", path, headers, body.to_vec())
    }
}

fn secret() -> Vec<Secret> {
    vec![Secret::parse(SECRET).unwrap()]
}

/// One capture of every verdict kind, oldest first, plus attempts on two of them.
struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    valid: CaptureId,
    invalid: CaptureId,
    ids: Vec<CaptureId>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("tui.db"), OpenMode::Create).unwrap();
    let sig = format!("t={T},v1={V1}");
    let mut newline = BODY.to_vec();
    newline.push(b'\n');
    let captures = [
        capture(T + 3, "/webhooks/dataspike", Some(&sig), BODY, &secret()),
        capture(
            T + 5,
            "/webhooks/dataspike",
            Some(&sig),
            &newline,
            &secret(),
        ),
        capture(T + 412, "/webhooks/dataspike", Some(&sig), BODY, &secret()),
        capture(T + 420, "/webhooks/other", None, b"plain text", &secret()),
        capture(T + 430, "/webhooks/dataspike", Some(&sig), BODY, &[]),
        capture(
            T + 440,
            "/bin",
            Some("t=abc"),
            b"\x00\xff\x10binary",
            &secret(),
        ),
    ];
    let refs: Vec<&Capture> = captures.iter().collect();
    let ids = store.insert_captures(&refs).unwrap();
    let forward = |capture_id, status: Option<u16>| Attempt {
        capture_id,
        kind: AttemptKind::Forward,
        at_ms: (T + 3) * 1000 + 400,
        target: "http://127.0.0.1:3000/hook".into(),
        resigned: false,
        sent_body: None,
        sent_headers: None,
        status,
        response_headers: vec![(b"content-type".to_vec(), b"application/json".to_vec())],
        response_body: if status.is_some() {
            br#"{"ok":true}"#.to_vec()
        } else {
            Vec::new()
        },
        response_truncated: false,
        latency_ms: Some(12),
        error: status.is_none().then(|| "connection refused".to_string()),
    };
    store.insert_attempt(&forward(ids[0], Some(200))).unwrap();
    store.insert_attempt(&forward(ids[1], None)).unwrap();
    Fixture {
        _dir: dir,
        store,
        valid: ids[0],
        invalid: ids[1],
        ids,
    }
}

fn empty_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("empty.db"), OpenMode::Create).unwrap();
    (dir, store)
}

fn app(secrets_loaded: usize) -> App {
    let setup = Setup {
        listen_url: Some("http://127.0.0.1:8080".into()),
        forward_target: Some("http://127.0.0.1:3000/hook".into()),
        forward_events: None,
        routes: Vec::new(),
        secrets_loaded,
        dev_secret: None,
        known: secret(),
        registered: None,
        db_path: Some("/tmp/hookscope.db".into()),
        chosen: None,
    };
    let mut app = App::new(setup, Zone::utc(), Theme { color: true });
    update(&mut app, Event::Resize(WIDTH, HEIGHT));
    app
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

/// Applies events, refreshing from the store after each as the loop does.
fn drive(app: &mut App, store: &Store, events: impl IntoIterator<Item = Event>) -> Vec<Command> {
    let mut commands = Vec::new();
    app.refresh(store);
    for ev in events {
        commands.extend(update(app, ev));
        app.refresh(store);
    }
    commands
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal
}

fn selected(app: &App) -> Option<CaptureId> {
    app.window.selected().map(|r| r.id)
}

fn tally_reports(app: &mut App, store: &Store, ids: &[CaptureId]) {
    let reports = ids
        .iter()
        .map(|id| Event::Report(Report::Captured(store.summary(*id).unwrap().unwrap())));
    drive(app, store, reports);
}

#[test]
fn snapshot_empty_state() {
    let (_dir, store) = empty_store();
    let mut app = app(1);
    drive(&mut app, &store, []);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn snapshot_list_with_every_badge() {
    let f = fixture();
    let mut app = app(1);
    tally_reports(&mut app, &f.store, &f.ids);
    drive(
        &mut app,
        &f.store,
        [Event::Report(Report::TargetReachable(true))],
    );
    let terminal = draw(&app);
    insta::assert_snapshot!(terminal.backend());
    for badge in ["PASS", "FAIL", "STALE", "--"] {
        assert!(
            terminal.backend().to_string().contains(badge),
            "missing {badge}"
        );
    }
}

#[test]
fn snapshot_detail_of_a_valid_capture() {
    let f = fixture();
    let mut app = app(1);
    drive(
        &mut app,
        &f.store,
        [key(KeyCode::Char('G')), key(KeyCode::Enter)],
    );
    assert_eq!(app.stack.detail().map(|d| d.id), Some(f.valid));
    insta::assert_snapshot!("detail_valid_overview", draw(&app).backend());
    drive(&mut app, &f.store, [key(KeyCode::Tab)]);
    insta::assert_snapshot!("detail_valid_headers", draw(&app).backend());
    drive(&mut app, &f.store, [key(KeyCode::Tab)]);
    insta::assert_snapshot!("detail_valid_body", draw(&app).backend());
    drive(&mut app, &f.store, [key(KeyCode::Tab)]);
    insta::assert_snapshot!("detail_valid_attempts", draw(&app).backend());
}

#[test]
fn a_pass_under_the_dev_secret_says_so_in_the_detail() {
    let f = fixture();
    let mut app = app(1);
    app.setup.dev_secret = secret().into_iter().next();
    app.setup.known = secret()
        .into_iter()
        .map(|s| s.with_origin(crate::signature::Origin::Dev))
        .collect();
    drive(
        &mut app,
        &f.store,
        [key(KeyCode::Char('G')), key(KeyCode::Enter)],
    );
    assert_eq!(app.stack.detail().map(|d| d.id), Some(f.valid));
    let screen = format!("{:?}", draw(&app).backend());
    assert!(
        screen.contains("matched the local development secret"),
        "{screen}"
    );
}

#[test]
fn snapshot_detail_of_an_invalid_capture() {
    let f = fixture();
    let mut app = app(1);
    drive(
        &mut app,
        &f.store,
        [
            key(KeyCode::Char('G')),
            key(KeyCode::Up),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(app.stack.detail().map(|d| d.id), Some(f.invalid));
    let terminal = draw(&app);
    insta::assert_snapshot!("detail_invalid_overview", terminal.backend());
    let screen = terminal.backend().to_string();
    assert!(screen.contains("gained a trailing newline"), "{screen}");
    assert!(screen.contains(V1), "received digest shown");
}

#[test]
fn snapshot_detail_of_a_binary_body() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, [key(KeyCode::Enter), key(KeyCode::Tab)]);
    drive(&mut app, &f.store, [key(KeyCode::Tab)]);
    insta::assert_snapshot!("detail_binary_body", draw(&app).backend());
}

#[test]
fn snapshot_help_overlay() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('?')]);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn snapshot_filter_prompt() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('/'), ch('o'), ch('t'), ch('h')]);
    insta::assert_snapshot!(draw(&app).backend());
}

/// The colour of the badge of a row, found under the `SIG` title; row 3 is the first capture.
fn badge_fg(terminal: &Terminal<TestBackend>, row: u16) -> Color {
    let buffer = terminal.backend().buffer();
    let titles: String = (0..buffer.area.width)
        .map(|x| buffer[(x, 2)].symbol().to_string())
        .collect();
    let column = titles.find("SIG").expect("a SIG column") as u16;
    buffer[(column, row)].fg
}

#[test]
fn badges_are_coloured_unless_no_color() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, []);
    let terminal = draw(&app);
    // Newest first: binary (invalid header), unverified, unsigned, stale, invalid, valid.
    let expected = [
        Color::Red,
        Color::DarkGray,
        Color::Red,
        Color::Yellow,
        Color::Red,
        Color::Green,
    ];
    for (i, color) in expected.into_iter().enumerate() {
        assert_eq!(badge_fg(&terminal, 3 + i as u16), color, "row {i}");
    }
    app.theme = Theme { color: false };
    let terminal = draw(&app);
    for i in 0..6 {
        assert_eq!(badge_fg(&terminal, 3 + i), Color::Reset, "row {i}");
    }
    assert!(terminal.backend().to_string().contains("STALE"));
}

#[test]
fn keys_move_the_selection() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, []);
    let newest = f.ids[5];
    assert_eq!(selected(&app), Some(newest));
    drive(&mut app, &f.store, [ch('j')]);
    assert_eq!(selected(&app), Some(f.ids[4]));
    assert!(!app.follow, "moving away stops following");
    drive(&mut app, &f.store, [key(KeyCode::Down)]);
    assert_eq!(selected(&app), Some(f.ids[3]));
    drive(&mut app, &f.store, [ch('k')]);
    assert_eq!(selected(&app), Some(f.ids[4]));
    drive(&mut app, &f.store, [key(KeyCode::Up)]);
    assert_eq!(selected(&app), Some(newest));
    drive(&mut app, &f.store, [ch('G')]);
    assert_eq!(selected(&app), Some(f.ids[0]));
    drive(&mut app, &f.store, [ch('g')]);
    assert_eq!(selected(&app), Some(newest));
    drive(&mut app, &f.store, [key(KeyCode::PageDown)]);
    assert_eq!(
        selected(&app),
        Some(f.ids[0]),
        "one short page: PgDn ends at the last"
    );
    drive(&mut app, &f.store, [key(KeyCode::PageUp)]);
    assert_eq!(selected(&app), Some(newest));
}

#[test]
fn paging_through_more_rows_than_fit() {
    let f = fixture();
    let mut store = f.store;
    let template = store.get(f.valid).unwrap().unwrap().capture;
    let more: Vec<Capture> = (0..100).map(|_| template.clone()).collect();
    let refs: Vec<&Capture> = more.iter().collect();
    let ids = store.insert_captures(&refs).unwrap();
    let mut app = app(1);
    let rows = super::view::list_rows((WIDTH, HEIGHT));
    drive(&mut app, &store, [key(KeyCode::PageDown)]);
    assert_eq!(selected(&app), Some(ids[99] - rows as i64));
    assert!(app.window.more_above());
    drive(&mut app, &store, [key(KeyCode::PageUp)]);
    assert_eq!(selected(&app), Some(ids[99]));
    for _ in 0..rows {
        drive(&mut app, &store, [ch('j')]);
    }
    assert_eq!(selected(&app), Some(ids[99] - rows as i64));
    assert_eq!(app.window.cursor(), rows - 1, "scrolled by one row");
}

#[test]
fn enter_and_tab_walk_into_the_detail_and_its_tabs() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, [key(KeyCode::Enter)]);
    let tab = |app: &App| app.stack.detail().map(|d| d.tab);
    assert_eq!(tab(&app), Some(Tab::Overview));
    drive(&mut app, &f.store, [key(KeyCode::Tab)]);
    assert_eq!(tab(&app), Some(Tab::Headers));
    drive(&mut app, &f.store, [key(KeyCode::Enter)]);
    assert_eq!(tab(&app), Some(Tab::Body));
    drive(&mut app, &f.store, [key(KeyCode::BackTab)]);
    assert_eq!(tab(&app), Some(Tab::Headers));
    drive(
        &mut app,
        &f.store,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Tab)],
    );
    assert_eq!(tab(&app), Some(Tab::Overview), "tabs wrap around");
    drive(&mut app, &f.store, [key(KeyCode::Esc)]);
    assert!(app.stack.detail().is_none());
}

#[test]
fn detail_keys_scroll_the_text() {
    let f = fixture();
    let mut app = app(1);
    // The valid capture's body is long enough to scroll once pretty-printed.
    drive(
        &mut app,
        &f.store,
        [
            ch('G'),
            key(KeyCode::Enter),
            key(KeyCode::Tab),
            key(KeyCode::Tab),
        ],
    );
    let scroll = |app: &App| app.stack.detail().map(|d| d.scroll()).unwrap_or(99);
    assert_eq!(scroll(&app), 0);
    drive(&mut app, &f.store, [ch('j'), ch('j')]);
    assert_eq!(scroll(&app), 2);
    drive(&mut app, &f.store, [ch('k')]);
    assert_eq!(scroll(&app), 1);
    drive(&mut app, &f.store, [key(KeyCode::PageDown)]);
    let lines = app.stack.detail().map(|d| d.lines().len()).unwrap_or(0);
    assert_eq!(scroll(&app), lines - 1, "clamped to the last line");
    drive(&mut app, &f.store, [key(KeyCode::PageUp), ch('g')]);
    assert_eq!(scroll(&app), 0);
    drive(&mut app, &f.store, [ch('G')]);
    let page = super::view::detail_rows((WIDTH, HEIGHT));
    assert_eq!(scroll(&app), lines.saturating_sub(page));
}

#[test]
fn replay_keys_emit_commands() {
    let f = fixture();
    let newest = f.ids[5];
    // With or without a secret, r asks for the default rule: whether it re-signs is decided
    // where the capture's scheme is known (ops::replay), as for 'hookscope replay'.
    for secrets in [1, 0] {
        let mut app = app(secrets);
        let cmds = drive(&mut app, &f.store, [ch('r')]);
        assert_eq!(
            cmds,
            vec![Command::Replay {
                id: newest,
                signing: Signing::Default,
                body: None
            }]
        );
        let cmds = drive(&mut app, &f.store, [ch('R')]);
        assert_eq!(
            cmds,
            vec![Command::Replay {
                id: newest,
                signing: Signing::AsIs,
                body: None
            }]
        );
        assert!(app.notice.is_none(), "the outcome's notice is the only one");
    }
}

#[test]
fn replay_in_the_detail_targets_the_open_capture() {
    let f = fixture();
    let mut app = app(1);
    let cmds = drive(&mut app, &f.store, [ch('G'), key(KeyCode::Enter), ch('x')]);
    assert_eq!(cmds, vec![Command::Export { id: f.valid }]);
}

#[test]
fn edit_requests_the_editor_then_replays_resigned() {
    let f = fixture();
    let mut app = app(1);
    assert!(drive(&mut app, &f.store, [ch('e')]).is_empty());
    let id = app.take_edit_request();
    assert_eq!(id, Some(f.ids[5]));
    assert_eq!(app.take_edit_request(), None, "taken once");
    // The newest capture's body is binary, not JSON: an edit is sent as saved, at once.
    let cmds = drive(
        &mut app,
        &f.store,
        [Event::Edited {
            id: f.ids[5],
            original: b"\x00\xff\x10binary".to_vec(),
            edited: Ok(b"{}".to_vec()),
        }],
    );
    assert_eq!(
        cmds,
        vec![Command::Replay {
            id: f.ids[5],
            signing: Signing::Default,
            body: Some(super::EditedBody {
                bytes: b"{}".to_vec(),
                note: "as edited, 2 bytes".into()
            })
        }]
    );
    let cmds = drive(
        &mut app,
        &f.store,
        [Event::Edited {
            id: f.ids[5],
            original: Vec::new(),
            edited: Err("editor 'vi' exited with 1".into()),
        }],
    );
    assert!(cmds.is_empty());
    assert!(app.notice.as_ref().is_some_and(|n| n.error));
}

#[test]
fn export_key_emits_export() {
    let f = fixture();
    let mut app = app(1);
    let cmds = drive(&mut app, &f.store, [ch('x')]);
    assert_eq!(cmds, vec![Command::Export { id: f.ids[5] }]);
}

#[test]
fn nothing_selected_means_no_command() {
    let (_dir, store) = empty_store();
    let mut app = app(1);
    let cmds = drive(
        &mut app,
        &store,
        [ch('r'), ch('R'), ch('x'), ch('e'), key(KeyCode::Enter)],
    );
    assert!(cmds.is_empty());
    assert_eq!(app.take_edit_request(), None);
    assert!(app.stack.detail().is_none());
    assert!(app.notice.as_ref().is_some_and(|n| n.error));
}

#[test]
fn slash_filters_by_text_and_esc_clears() {
    let f = fixture();
    let mut app = app(1);
    drive(
        &mut app,
        &f.store,
        [ch('/'), ch('O'), ch('t'), ch('h'), ch('x')],
    );
    assert_eq!(app.stack.prompt().map(|p| p.text.as_str()), Some("Othx"));
    assert_eq!(
        app.window.visible().len(),
        6,
        "typing alone does not filter"
    );
    drive(
        &mut app,
        &f.store,
        [
            key(KeyCode::Backspace),
            ch('E'),
            ch('r'),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(app.filter.applied, "OthEr");
    let paths: Vec<&str> = app
        .window
        .visible()
        .iter()
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        paths,
        vec!["/webhooks/other"],
        "a word of the path, any case"
    );
    // Verdict and body text match too.
    drive(&mut app, &f.store, [ch('/')]);
    assert_eq!(
        app.stack.prompt().map(|p| p.text.as_str()),
        Some("OthEr"),
        "edits the current filter"
    );
    let ctrl_u = Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    drive(&mut app, &f.store, [ctrl_u]);
    drive(&mut app, &f.store, "stale".chars().map(ch));
    drive(&mut app, &f.store, [key(KeyCode::Enter)]);
    assert_eq!(app.window.visible().len(), 1);
    assert_eq!(
        app.window.selected().map(|r| r.verdict.status()),
        Some(Status::Stale)
    );
    drive(&mut app, &f.store, [ch('/'), ch('z'), key(KeyCode::Esc)]);
    assert_eq!(app.stack.prompt(), None);
    assert_eq!(
        app.filter.applied, "stale",
        "Esc in the prompt cancels the edit"
    );
    drive(&mut app, &f.store, [key(KeyCode::Esc)]);
    assert_eq!(app.filter.applied, "");
    assert_eq!(app.window.visible().len(), 6);
}

#[test]
fn follow_shows_new_captures_at_the_top_unless_scrolled_away() {
    let f = fixture();
    let mut store = f.store;
    let mut app = app(1);
    drive(&mut app, &store, []);
    assert!(app.follow);
    let template = store.get(f.valid).unwrap().unwrap().capture;
    let arrive = |app: &mut App, store: &mut Store| {
        let id = store.insert_capture(&template).unwrap();
        let summary = store.summary(id).unwrap().unwrap();
        drive(app, store, [Event::Report(Report::Captured(summary))]);
        id
    };
    let first = arrive(&mut app, &mut store);
    assert_eq!(
        selected(&app),
        Some(first),
        "following: the new capture is selected"
    );
    drive(&mut app, &store, [ch('j')]);
    let watched = selected(&app);
    assert!(!app.follow);
    arrive(&mut app, &mut store);
    assert_eq!(
        selected(&app),
        watched,
        "scrolled away: the selection stays put"
    );
    drive(&mut app, &store, [ch('f')]);
    assert!(app.follow);
    let third = arrive(&mut app, &mut store);
    assert_eq!(selected(&app), Some(third));
    drive(&mut app, &store, [ch('f')]);
    assert!(!app.follow);
    let before = selected(&app);
    let fourth = arrive(&mut app, &mut store);
    assert_eq!(
        selected(&app),
        before,
        "follow off: the selection stays put"
    );
    // Everything fits on one screen, so the new row shows above the selection.
    assert_eq!(app.window.visible().first().map(|r| r.id), Some(fourth));
    assert_eq!(app.tally.pass, 4);
}

#[test]
fn help_overlay_swallows_other_keys() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('?')]);
    assert!(app.stack.is_open(Layer::Help));
    let cmds = drive(&mut app, &f.store, [ch('j'), ch('r'), key(KeyCode::Enter)]);
    assert!(cmds.is_empty());
    assert_eq!(selected(&app), Some(f.ids[5]));
    assert!(app.stack.detail().is_none());
    drive(&mut app, &f.store, [key(KeyCode::Esc)]);
    assert!(!app.stack.is_open(Layer::Help));
    drive(&mut app, &f.store, [ch('?'), ch('?')]);
    assert!(!app.stack.is_open(Layer::Help), "? toggles");
}

#[test]
fn esc_closes_the_innermost_thing_first() {
    let f = fixture();
    let mut app = app(1);
    drive(
        &mut app,
        &f.store,
        [ch('/'), ch('p'), ch('*'), key(KeyCode::Enter)],
    );
    drive(&mut app, &f.store, [key(KeyCode::Enter), ch('?')]);
    assert!(app.stack.is_open(Layer::Help) && app.stack.detail().is_some());
    drive(&mut app, &f.store, [key(KeyCode::Esc)]);
    assert!(!app.stack.is_open(Layer::Help) && app.stack.detail().is_some());
    drive(&mut app, &f.store, [key(KeyCode::Esc)]);
    assert!(app.stack.detail().is_none());
    assert_eq!(app.filter.applied, "p*");
    drive(&mut app, &f.store, [key(KeyCode::Esc)]);
    assert_eq!(app.filter.applied, "");
}

#[test]
fn q_and_ctrl_c_quit() {
    let (_dir, store) = empty_store();
    let mut app = app(1);
    drive(&mut app, &store, [ch('q')]);
    assert!(!app.running);
    let ctrl_c = || Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    let mut app = self::app(1);
    drive(&mut app, &store, [ctrl_c()]);
    assert!(!app.running);
    let mut app = self::app(1);
    drive(&mut app, &store, [ch('/'), ch('q')]);
    assert!(app.running, "q is text inside the filter prompt");
    drive(&mut app, &store, [ctrl_c()]);
    assert!(!app.running, "Ctrl-C quits even from the prompt");
}

#[test]
fn relay_state_shows_in_the_header() {
    let f = fixture();
    let mut app = app(1);
    let url = "https://relay.example.com/c/AAAAAAAAAAAAAAAAAAAAAA".to_string();
    drive(
        &mut app,
        &f.store,
        [Event::Report(Report::Relay {
            url: url.clone(),
            state: crate::conn::ConnState::Connected { backlog: 3 },
        })],
    );
    let screen = format!("{:?}", draw(&app).backend().buffer());
    assert!(
        screen.contains("relay connected, catching up on 3"),
        "{screen}"
    );
    drive(
        &mut app,
        &f.store,
        [Event::Report(Report::Relay {
            url,
            state: crate::conn::ConnState::Refused {
                reason: "token rejected (401)".into(),
                hint: Some(crate::hint::Hint::RelayToken),
            },
        })],
    );
    let screen = format!("{:?}", draw(&app).backend().buffer());
    assert!(
        screen.contains("relay stopped: token rejected (401)"),
        "{screen}"
    );
    // The whole reason and its fix, in the TUI's words, are a notice ('!' shows it in full).
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        notice.contains("token rejected (401)")
            && notice.contains("check the relay token, or rotate it on the relay host"),
        "{notice}"
    );
}

#[test]
fn reports_update_header_rows_and_detail() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, [key(KeyCode::Enter)]);
    let id = f.ids[5];
    drive(
        &mut app,
        &f.store,
        [
            Event::Report(Report::Listening {
                url: "http://127.0.0.1:9999".into(),
            }),
            Event::Report(Report::TargetReachable(false)),
        ],
    );
    assert_eq!(
        app.setup.listen_url.as_deref(),
        Some("http://127.0.0.1:9999")
    );
    assert_eq!(app.reachable, Some(false));
    let mut store = f.store;
    let attempt = Attempt {
        capture_id: id,
        kind: AttemptKind::Replay,
        at_ms: T * 1000,
        target: "http://127.0.0.1:3000/hook".into(),
        resigned: true,
        sent_body: None,
        sent_headers: None,
        status: Some(503),
        response_headers: Vec::new(),
        response_body: b"down".to_vec(),
        response_truncated: false,
        latency_ms: Some(7),
        error: None,
    };
    store.insert_attempt(&attempt).unwrap();
    drive(
        &mut app,
        &store,
        [Event::Report(Report::Attempted {
            capture_id: id,
            attempt: attempt.brief(),
            replay: true,
        })],
    );
    let row = app.window.visible().iter().find(|r| r.id == id).cloned();
    assert_eq!(
        row.and_then(|r| r.latest_attempt).and_then(|a| a.status),
        Some(503)
    );
    let attempts = app
        .stack
        .detail()
        .and_then(|d| d.data.as_ref())
        .map(|d| d.attempts.len());
    assert_eq!(attempts, Some(1), "the open detail reloads its attempts");
    assert!(
        app.notice.is_none(),
        "a replay's one notice comes from its effect, not from the attempt's report"
    );
    drive(
        &mut app,
        &store,
        [Event::Report(Report::Notice {
            text: "exported to ./fixtures/x.json".into(),
            error: false,
        })],
    );
    assert_eq!(app.notice.as_ref().map(|n| n.error), Some(false));
    drive(&mut app, &store, std::iter::repeat_n(Event::Tick, 20));
    assert_eq!(app.notice, None, "notices age out");
}

#[test]
fn resize_changes_the_page() {
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, [Event::Resize(80, 7)]);
    assert_eq!(app.window.visible().len(), super::view::list_rows((80, 7)));
    assert_eq!(app.window.visible().len(), 2);
}

#[test]
fn a_word_filter_on_a_read_only_store_says_what_it_left_out() {
    let mut f = fixture();
    f.store.catch_up_index().unwrap();
    let newest = f.store.get(1).unwrap().unwrap().capture;
    f.store.insert_capture(&newest).unwrap();
    f.store.insert_capture(&newest).unwrap();
    f.store.refuse_writes_for_tests();
    let mut app = app(1);
    update(&mut app, Event::Resize(WIDTH, HEIGHT));
    type_filter(&mut app, &f.store, "pending");
    while app.needs_refresh() {
        app.refresh(&f.store);
    }
    let screen = draw(&app).backend().to_string();
    assert!(
        screen.contains("words not searched in the 2 newest captures (read-only store)"),
        "{screen}"
    );
    // Cleared with the filter.
    update(&mut app, key(KeyCode::Esc));
    while app.needs_refresh() {
        app.refresh(&f.store);
    }
    let screen = draw(&app).backend().to_string();
    assert!(!screen.contains("not searched"), "{screen}");
}

#[test]
fn a_slow_filter_says_it_is_searching_and_keys_still_work() {
    let f = fixture();
    let mut app = app(1);
    // One tiny range per frame, as a huge store would behave.
    app.window = super::window::Window::with_budget(super::window::ScanBudget {
        chunk_ids: 1,
        time: std::time::Duration::ZERO,
    });
    update(&mut app, Event::Resize(WIDTH, HEIGHT));
    // `path:` has no index, so it is read in budgeted id ranges.
    for ev in [ch('/')]
        .into_iter()
        .chain("path:/rare".chars().map(ch))
        .chain([key(KeyCode::Enter)])
    {
        update(&mut app, ev);
    }
    app.refresh(&f.store);
    assert!(app.window.searching() && app.needs_refresh());
    let screen = draw(&app).backend().to_string();
    assert!(screen.contains("searching for 'path:/rare'"), "{screen}");
    assert!(screen.contains("Searching for 'path:/rare'…"), "{screen}");
    update(&mut app, key(KeyCode::Esc));
    let mut frames = 0;
    while app.needs_refresh() {
        app.refresh(&f.store);
        frames += 1;
        assert!(frames < 100);
    }
    assert!(
        app.filter.applied.is_empty(),
        "Esc cleared the filter mid-search"
    );
    assert_eq!(app.window.visible().len(), 6);
}

#[test]
fn every_screen_draws_at_any_size() {
    let f = fixture();
    for (w, h) in [(1, 1), (2, 3), (20, 5), (60, 15), (300, 80)] {
        let mut app = app(1);
        update(&mut app, Event::Resize(w, h));
        // The question after an edit of a JSON body, on top of the detail.
        let edited = Event::Edited {
            id: f.valid,
            original: BODY.to_vec(),
            edited: Ok(b"{\"edited\": true}".to_vec()),
        };
        let screens: [&[Event]; 6] = [
            &[],
            &[ch('?')],
            &[key(KeyCode::Esc), ch('/'), ch('x')],
            &[key(KeyCode::Esc), key(KeyCode::Enter)],
            &[key(KeyCode::Tab), key(KeyCode::Tab), ch('G')],
            &[edited],
        ];
        for events in screens {
            drive(&mut app, &f.store, events.iter().cloned());
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            terminal
                .draw(|frame| frame.render_widget(&app, frame.area()))
                .unwrap();
        }
        assert!(app.stack.pending_edit().is_some());
    }
}

fn type_filter(app: &mut App, store: &Store, text: &str) {
    let clear = Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    let keys: Vec<Event> = [ch('/'), clear]
        .into_iter()
        .chain(text.chars().map(ch))
        .chain([key(KeyCode::Enter)])
        .collect();
    drive(app, store, keys);
}

#[test]
fn the_body_highlights_the_filters_words_and_n_jumps_between_them() {
    let f = fixture();
    let mut app = app(1);
    type_filter(&mut app, &f.store, "9a30 aml_screening");
    assert!(app.stack.prompt().and_then(|p| p.error.as_ref()).is_none());
    let shown: Vec<CaptureId> = app.window.visible().iter().map(|r| r.id).collect();
    assert_eq!(shown, vec![f.ids[4], f.ids[2], f.ids[1], f.ids[0]]);
    drive(&mut app, &f.store, [key(KeyCode::Enter)]);
    let d = app.stack.detail().unwrap();
    let data = d.data.as_ref().unwrap();
    // Line 0 is the size summary, 1 the opening brace: ids on 2 and 3, the event type on 4.
    assert_eq!(data.matches, vec![2, 3, 4]);
    let body = &data.lines[2];
    let marked: Vec<&str> = body
        .iter()
        .flat_map(|l| &l.spans)
        .filter(|s| s.style.add_modifier.contains(Modifier::REVERSED))
        .map(|s| s.content.as_ref())
        .collect();
    assert_eq!(marked, vec!["9a30", "9a30", "AML", "SCREENING"]);
    let text: String = body[4].spans.iter().map(|s| s.content.as_ref()).collect();
    assert_eq!(
        text, "  \"event_type\": \"AML_SCREENING\",",
        "text unchanged"
    );

    let at = |app: &App| {
        let d = app.stack.detail().unwrap();
        (d.tab, d.scroll())
    };
    drive(&mut app, &f.store, [ch('n')]);
    assert_eq!(
        at(&app),
        (Tab::Body, 2),
        "n from the overview opens the body"
    );
    assert_eq!(app.notice.as_ref().unwrap().text, "match 1 of 3 (line 3)");
    drive(&mut app, &f.store, [ch('n'), ch('n')]);
    assert_eq!(at(&app), (Tab::Body, 4));
    drive(&mut app, &f.store, [ch('n')]);
    assert_eq!(at(&app), (Tab::Body, 2), "round the end");
    drive(&mut app, &f.store, [ch('N')]);
    assert_eq!(at(&app), (Tab::Body, 4), "and back");
    let screen = draw(&app);
    let buf = screen.backend().buffer();
    let row = (0..HEIGHT)
        .find(|&y| {
            (0..WIDTH)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .contains("AML_SCREENING")
        })
        .expect("the matched line is on screen");
    let cells: Vec<_> = (0..WIDTH).map(|x| &buf[(x, row)]).collect();
    let a = cells.iter().position(|c| c.symbol() == "A").unwrap();
    assert!(cells[a].modifier.contains(Modifier::REVERSED));
    assert!(!cells[a - 1].modifier.contains(Modifier::REVERSED));

    // Without words there is nothing to jump to, and the list says how to get some.
    let mut plain = super::app::App::new(Setup::default(), Zone::utc(), Theme { color: false });
    update(&mut plain, Event::Resize(WIDTH, HEIGHT));
    drive(&mut plain, &f.store, [ch('n')]);
    assert!(plain
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("open a capture"));
    drive(&mut plain, &f.store, [key(KeyCode::Enter), ch('n')]);
    assert!(plain
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("filter with / first"));
}

#[test]
fn a_bad_query_keeps_the_prompt_and_marks_the_token() {
    let f = fixture();
    let mut app = app(1);
    type_filter(&mut app, &f.store, "badge:FAIL status:6xx");
    let e = app
        .stack
        .prompt()
        .and_then(|p| p.error.clone())
        .expect("an error");
    assert_eq!(e.message, "status class must be 1xx-5xx, e.g. status:5xx");
    assert_eq!(
        app.stack.prompt().map(|p| p.text.as_str()),
        Some("badge:FAIL status:6xx")
    );
    assert!(app.filter.applied.is_empty(), "nothing applied");
    let screen = draw(&app);
    let text = screen.backend().to_string();
    assert!(text.contains("status class must be 1xx-5xx"), "{text}");
    let buf = screen.backend().buffer();
    let y = HEIGHT - 2;
    let line: String = (0..WIDTH).map(|x| buf[(x, y)].symbol()).collect();
    let x = line.find("6xx").unwrap() as u16;
    for dx in 0..3 {
        assert!(buf[(x + dx, y)].modifier.contains(Modifier::UNDERLINED));
    }
    assert!(!buf[(x - 1, y)].modifier.contains(Modifier::UNDERLINED));
    // Fixing it applies it.
    let keys: Vec<Event> = (0..3)
        .map(|_| key(KeyCode::Backspace))
        .chain("5xx".chars().map(ch))
        .collect();
    drive(&mut app, &f.store, keys);
    assert!(
        app.stack.prompt().and_then(|p| p.error.as_ref()).is_none(),
        "typing clears the mark"
    );
    drive(&mut app, &f.store, [key(KeyCode::Enter)]);
    assert_eq!(app.filter.applied, "badge:FAIL status:5xx");
    assert!(app.stack.prompt().is_none());
    assert!(app.window.visible().is_empty());
}

#[test]
fn badges_statuses_and_events_filter_in_any_case() {
    let f = fixture();
    let mut app = app(1);
    let ids = |app: &App| -> Vec<CaptureId> { app.window.visible().iter().map(|r| r.id).collect() };
    type_filter(&mut app, &f.store, "FAIL");
    assert_eq!(ids(&app), vec![f.ids[5], f.ids[3], f.ids[1]]);
    type_filter(&mut app, &f.store, "--");
    assert_eq!(ids(&app), vec![f.ids[4]]);
    type_filter(&mut app, &f.store, "200");
    assert_eq!(ids(&app), vec![f.valid]);
    type_filter(&mut app, &f.store, "status:none -badge:fail");
    assert_eq!(ids(&app), vec![f.ids[4], f.ids[2]]);
    type_filter(&mut app, &f.store, "event:aml_screening badge:pass");
    assert_eq!(ids(&app), vec![f.valid]);
    let _ = f.invalid;
}

#[test]
fn a_probe_in_the_list_shows_where_it_came_from() {
    let mut f = fixture();
    let mut probe = capture(T + 9, "/probe", None, BODY, &secret());
    probe.source = crate::capture::Source::Check;
    f.store.insert_capture(&probe).unwrap();
    let mut app = app(1);
    drive(&mut app, &f.store, []);
    let screen = format!("{:?}", draw(&app).backend().buffer());
    assert!(screen.contains("[check] /probe"), "{screen}");
}

#[test]
fn the_header_names_the_webhook_listen_registered_and_the_detail_the_stored_secret() {
    use crate::signature::{Origin, StoredOrigin};
    let f = fixture();
    let mut app = app(1);
    app.setup.registered = Some("Dataspike sandbox webhook 01927ed4… → this relay channel".into());
    // The fixture's valid capture was signed with SECRET: here it is a stored webhook's
    // previous secret, rotated an hour ago.
    app.setup.known = secret()
        .into_iter()
        .map(|s| {
            s.with_origin(Origin::Stored(StoredOrigin {
                environment: "sandbox".into(),
                webhook_id: "01927ed4-c928-7a3c-9a30-7ab7cc169d11".into(),
                rotated_ms: Some(crate::capture::now_ms() - 3_600_000),
            }))
        })
        .collect();
    drive(
        &mut app,
        &f.store,
        [key(KeyCode::Char('G')), key(KeyCode::Enter)],
    );
    assert_eq!(app.stack.detail().map(|d| d.id), Some(f.valid));
    let screen = format!("{:?}", draw(&app).backend());
    assert!(
        screen.contains("Dataspike sandbox webhook 01927ed4… → this relay channel"),
        "{screen}"
    );
    assert!(
        screen.contains("previous secret of sandbox webhook 01927ed4…, rotated 1 h ago"),
        "{screen}"
    );
}
