//! Compare (`m`, `d`), copy (`c`, `C`), and what the header and the detail say about forwarding
//! (live numbers, forwarded event types, routes), key by key against a real store, with
//! snapshots of the compare screen wide (side by side) and narrow (unified).

use super::*;
use crate::tui::clipboard::{self, CopyRequest, CopyWhat};
use crate::tui::compare::SIDE_BY_SIDE_MIN_WIDTH;

const PENDING: &[u8] = br#"{"id":"e1","event_type":"DOCVER","payload":{"status":"pending","checks":[{"name":"face","ok":true},{"name":"doc","ok":true}],"note":"first"}}"#;
const VERIFIED: &[u8] = br#"{"id":"e1","event_type":"DOCVER","payload":{"status":"verified","checks":[{"name":"face","ok":true},{"name":"doc","ok":false}],"level":2}}"#;

/// The fixture plus two DOCVER captures whose JSON differs, the second with an edited replay.
fn with_docver() -> (Fixture, CaptureId, CaptureId) {
    let mut f = fixture();
    let pending = capture(T + 500, "/webhooks/dataspike", None, PENDING, &[]);
    let mut verified = capture(T + 510, "/webhooks/dataspike", None, VERIFIED, &[]);
    verified.headers.push((b"X-Retry".to_vec(), b"1".to_vec()));
    let ids = f.store.insert_captures(&[&pending, &verified]).unwrap();
    let edited = edited_replay(
        ids[1],
        T + 600,
        br#"{"id":"e1","event_type":"DOCVER","payload":{"status":"rejected"}}"#,
        None,
    );
    f.store.insert_attempt(&edited).unwrap();
    (f, ids[0], ids[1])
}

/// A re-signed replay of `capture_id` with an edited body, answered 200.
fn edited_replay(
    capture_id: CaptureId,
    at_s: i64,
    body: &[u8],
    sent_headers: Option<Vec<crate::headers::HeaderPair>>,
) -> Attempt {
    Attempt {
        capture_id,
        kind: AttemptKind::Replay,
        at_ms: at_s * 1000,
        target: "http://127.0.0.1:3000/hook".into(),
        resigned: true,
        sent_body: Some(body.to_vec()),
        sent_headers,
        status: Some(200),
        response_headers: Vec::new(),
        response_body: Vec::new(),
        response_truncated: false,
        latency_ms: Some(3),
        error: None,
    }
}

fn draw_at(app: &mut App, width: u16) -> Terminal<TestBackend> {
    update(app, Event::Resize(width, HEIGHT));
    let mut terminal = Terminal::new(TestBackend::new(width, HEIGHT)).unwrap();
    terminal.draw(|f| f.render_widget(&*app, f.area())).unwrap();
    terminal
}

#[test]
fn m_marks_and_d_compares_the_mark_with_the_selection() {
    let (f, pending, verified) = with_docver();
    let mut app = app(1);
    // Newest first: the verified one is on top, the pending one below it.
    let cmds = drive(&mut app, &f.store, [ch('j'), ch('m')]);
    assert!(cmds.is_empty());
    assert_eq!(app.mark, Some(pending));
    drive(&mut app, &f.store, [ch('k')]);
    // Screen rows: header 0-1, column titles 2, then newest first: the marked one is row 4.
    let screen = draw(&app);
    assert_eq!(
        screen.backend().buffer()[(0, 4)].fg,
        Color::Cyan,
        "the marked row"
    );
    let cmds = drive(&mut app, &f.store, [ch('d')]);
    assert!(
        cmds.is_empty(),
        "comparing reads the store, it sends nothing"
    );
    let c = app.stack.compare().expect("compare is open");
    assert_eq!((c.left, c.right), (pending, Some(verified)));
    let d = &c.data.as_ref().expect("loaded").diff;
    let paths: Vec<String> = match &d.body {
        crate::diff::BodyDiff::Json { paths, .. } => {
            paths.iter().map(crate::diff::PathChange::line).collect()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        paths,
        vec![
            r#"payload.status: "pending" -> "verified""#,
            "payload.checks[1].ok: true -> false",
            r#"- payload.note: "first""#,
            "+ payload.level: 2",
        ]
    );
    // Keys scroll the compare screen and act on nothing behind it.
    let cmds = drive(&mut app, &f.store, [ch('j'), ch('r'), ch('x')]);
    assert!(cmds.is_empty());
    assert_eq!(app.stack.compare().map(|c| c.scroll), Some(1));
    drive(&mut app, &f.store, [key(KeyCode::Esc)]);
    assert!(app.stack.compare().is_none());
    assert_eq!(
        app.mark,
        Some(pending),
        "the mark stays for the next compare"
    );
    drive(&mut app, &f.store, [ch('j'), ch('m')]);
    assert_eq!(app.mark, None, "m on the marked capture unmarks it");
}

#[test]
fn esc_walks_back_from_help_over_a_comparison_to_its_detail_then_the_list() {
    let (f, pending, verified) = with_docver();
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('j'), ch('m'), ch('k')]);
    drive(&mut app, &f.store, [key(KeyCode::Enter), ch('d'), ch('?')]);
    assert_eq!(app.stack.front(), Layer::Help);
    let c = app.stack.compare().expect("compare is open under the help");
    assert_eq!((c.left, c.right), (pending, Some(verified)));
    let cmds = drive(&mut app, &f.store, [ch('r'), ch('j')]);
    assert!(cmds.is_empty(), "nothing acts behind the help");
    let fronts: Vec<Layer> = (0..4)
        .map(|_| {
            drive(&mut app, &f.store, [key(KeyCode::Esc)]);
            app.stack.front()
        })
        .collect();
    assert_eq!(
        fronts,
        vec![Layer::Compare, Layer::Detail, Layer::List, Layer::List]
    );
    assert_eq!(app.mark, Some(pending));
}

#[test]
fn d_without_a_mark_compares_with_the_latest_edited_replay() {
    let (f, pending, verified) = with_docver();
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('d')]);
    let c = app.stack.compare().expect("compare is open");
    assert_eq!((c.left, c.right), (verified, None));
    let d = &c.data.as_ref().expect("loaded").diff;
    assert_eq!(
        d.right,
        format!("#{verified} replay 1 (edited body, re-signed)")
    );
    assert_eq!(d.headers, crate::diff::HeaderDiff::NotRecorded);
    drive(&mut app, &f.store, [ch('d')]);
    assert!(app.stack.compare().is_none(), "d again closes it");
    // No edited replay: a notice, no screen.
    drive(&mut app, &f.store, [ch('j'), ch('d')]);
    assert!(app.stack.compare().is_none());
    let n = app.notice.clone().unwrap();
    assert!(n.error, "{n:?}");
    assert_eq!(
        n.text,
        format!("capture {pending} has no replay with an edited body (0 replays in all): mark another capture with m to compare with it")
    );
}

#[test]
fn d_compares_the_headers_a_replay_sent_when_it_kept_them() {
    let (mut f, _, verified) = with_docver();
    // A newer edited replay that kept its headers: X-Retry dropped, X-Env added by `-H`.
    let captured = f
        .store
        .get(verified)
        .unwrap()
        .unwrap()
        .capture
        .request
        .headers;
    let mut sent: Vec<_> = captured
        .iter()
        .filter(|(n, _)| n.as_slice() != b"Host" && n.as_slice() != b"X-Retry")
        .cloned()
        .collect();
    sent.push((b"X-Env".to_vec(), b"staging".to_vec()));
    let replay = edited_replay(verified, T + 700, br#"{"status":"rejected"}"#, Some(sent));
    f.store.insert_attempt(&replay).unwrap();
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('d')]);
    let c = app.stack.compare().expect("compare is open");
    let data = c.data.as_ref().expect("loaded");
    assert_eq!(
        data.diff.right,
        format!("#{verified} replay 2 (edited body, re-signed)")
    );
    let screen = draw_at(&mut app, SIDE_BY_SIDE_MIN_WIDTH - 40)
        .backend()
        .to_string();
    for line in [
        "  - X-Retry: 1",
        "  + X-Env: staging",
        "  (Host not compared: hop-by-hop, each connection sets its own)",
    ] {
        assert!(screen.contains(line), "{line:?} in {screen}");
    }
    assert!(!screen.contains("headers: not compared"), "{screen}");
}

#[test]
fn snapshot_compare_side_by_side_and_unified() {
    let (f, _, _) = with_docver();
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('j'), ch('m'), ch('k'), ch('d')]);
    let wide = draw_at(&mut app, SIDE_BY_SIDE_MIN_WIDTH + 10);
    insta::assert_snapshot!("compare_side_by_side", wide.backend());
    let narrow = draw_at(&mut app, SIDE_BY_SIDE_MIN_WIDTH - 40);
    insta::assert_snapshot!("compare_unified", narrow.backend());
    let text = narrow.backend().to_string();
    assert!(
        text.contains(r#"payload.status: "pending" -> "verified""#),
        "{text}"
    );
    assert!(wide.backend().to_string().contains(" │ "), "two halves");
}

#[test]
fn c_and_shift_c_ask_the_loop_to_copy() {
    let f = fixture();
    let mut app = app(1);
    let cmds = drive(&mut app, &f.store, [ch('c')]);
    assert!(
        cmds.is_empty(),
        "copying is the loop's, not the effects worker's"
    );
    assert_eq!(
        app.take_copy_request(),
        Some(CopyRequest {
            id: f.ids[5],
            what: CopyWhat::Curl
        })
    );
    assert_eq!(app.take_copy_request(), None, "taken once");
    let shift_c = Event::Key(KeyEvent::new(KeyCode::Char('C'), KeyModifiers::SHIFT));
    drive(&mut app, &f.store, [ch('G'), key(KeyCode::Enter), shift_c]);
    assert_eq!(
        app.take_copy_request(),
        Some(CopyRequest {
            id: f.valid,
            what: CopyWhat::Body
        }),
        "in the detail, the open capture"
    );
}

#[test]
fn a_copy_opens_the_popup_which_scrolls_and_closes() {
    let f = fixture();
    let mut app = app(1);
    let text = (1..=40).map(|i| format!("line {i}\n")).collect::<String>();
    let copied = clipboard::outcome(text, "#6 as curl (re-signed)".into(), Ok(()));
    drive(&mut app, &f.store, [Event::Copied(copied)]);
    let notice = app.notice.clone().unwrap();
    assert_eq!(
        notice.text,
        "copied #6 as curl (re-signed) to the clipboard through the terminal (OSC 52)"
    );
    assert_eq!(app.stack.popup().map(|p| p.lines.len()), Some(40));
    let cmds = drive(&mut app, &f.store, [ch('j'), ch('j'), ch('r')]);
    assert!(cmds.is_empty(), "keys behind the popup do nothing");
    assert_eq!(app.stack.popup().map(|p| p.scroll), Some(2));
    let screen = draw(&app).backend().to_string();
    assert!(screen.contains("copied via OSC 52"), "{screen}");
    assert!(screen.contains("line 3"), "{screen}");
    drive(&mut app, &f.store, [ch('G')]);
    let page = usize::from(HEIGHT - 4);
    assert_eq!(
        app.stack.popup().map(|p| p.scroll),
        Some(40 - page),
        "the last page"
    );
    assert!(draw(&app).backend().to_string().contains("line 40"));
    drive(&mut app, &f.store, [key(KeyCode::Esc)]);
    assert!(app.stack.popup().is_none());
    let failed = clipboard::outcome("x".into(), "the body of #6".into(), Err("too big".into()));
    drive(&mut app, &f.store, [Event::Copied(failed)]);
    assert_eq!(
        app.notice.map(|n| n.text),
        Some("the body of #6 not copied (too big): select it in the popup".to_string())
    );
}

/// Row `y` of the screen as text.
fn row(terminal: &Terminal<TestBackend>, y: u16) -> String {
    let buf = terminal.backend().buffer();
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

#[test]
fn the_copy_popup_wraps_long_lines_so_selecting_by_hand_gets_every_character() {
    let f = fixture();
    // A body line far wider than the screen, with spaces where rows may break.
    let body = r#"{"id": "e1", "note": "a b  c"} "#.repeat(9);
    let text = format!("printf '%s' '{body}' |\n  curl -i 'http://127.0.0.1:3000/x'\n");
    for width in [80, 120] {
        let mut app = app(1);
        let copied = clipboard::outcome(text.clone(), "#6 as curl".into(), Ok(()));
        drive(&mut app, &f.store, [Event::Copied(copied)]);
        let screen = draw_at(&mut app, width);
        // Inside the popup's top and bottom borders; a selection drops each row's end blanks.
        let rows: Vec<String> = (2..HEIGHT - 2).map(|y| row(&screen, y)).collect();
        let selected: String = rows.iter().map(|r| r.trim_end()).collect();
        let want: String = text.lines().collect();
        assert_eq!(selected, want, "at {width}:\n{}", rows.join("\n"));
        // The last row can be scrolled to.
        drive(&mut app, &f.store, [ch('G')]);
        let screen = draw_at(&mut app, width);
        let last = (2..HEIGHT - 2).map(|y| row(&screen, y));
        assert!(
            last.into_iter().any(|r| r.contains("curl -i")),
            "at {width}"
        );
    }
}

#[test]
fn the_header_keeps_app_answers_and_latency_since_start() {
    let f = fixture();
    let mut app = app(1);
    tally_reports(&mut app, &f.store, &f.ids);
    let answer = |status, ms| {
        Event::Report(Report::Attempted {
            capture_id: f.ids[0],
            attempt: crate::capture::AttemptBrief {
                status,
                latency_ms: Some(ms),
                error: status.is_none().then(|| "refused".to_string()),
            },
            replay: false,
        })
    };
    drive(
        &mut app,
        &f.store,
        [
            answer(Some(200), 4),
            answer(Some(200), 8),
            answer(Some(500), 30),
            answer(None, 1),
        ],
    );
    assert_eq!(app.totals.verdicts.total(), 6);
    let screen = draw(&app).backend().to_string();
    assert!(
        screen.contains("app 2xx 2 5xx 1 no answer 1  p50 8 ms, p99 30 ms"),
        "{screen}"
    );
}

#[test]
fn the_header_says_which_event_types_are_forwarded() {
    let (_dir, store) = empty_store();
    let mut app = app(1);
    app.setup.forward_events = Some("DOCVER, AML_SCREENING only".into());
    drive(&mut app, &store, []);
    let screen = draw_at(&mut app, 140).backend().to_string();
    assert!(
        screen.contains(
            "forward http://127.0.0.1:3000/hook (not probed yet) DOCVER, AML_SCREENING only"
        ),
        "{screen}"
    );
}

#[test]
fn c_copies_a_re_signed_curl_through_the_backend_and_shows_it() {
    use ratatui::backend::CrosstermBackend;
    let f = fixture();
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('G'), ch('c')]);
    let req = app.take_copy_request().expect("a copy request");
    let secrets = secret();
    let to: http::Uri = "http://127.0.0.1:3000/app".parse().unwrap();
    let how = crate::tui::CopyHow {
        secrets: &secrets,
        to: Some(&to),
        now_s: T,
        osc52: true,
    };
    let mut written = Vec::<u8>::new();
    let copied = crate::tui::copy(
        &mut CrosstermBackend::new(&mut written),
        &f.store,
        &how,
        None,
        req,
    );
    let Event::Copied(c) = copied.clone() else {
        panic!("{copied:?}")
    };
    assert_eq!(
        written,
        clipboard::osc52(&c.text).into_bytes(),
        "exactly one escape"
    );
    assert!(c.text.starts_with("printf '%s' '{\"id\""), "{}", c.text);
    assert!(
        c.text
            .contains(&format!("X-Webhook-Signature: t={T},v1={V1}")),
        "re-signed at T: {}",
        c.text
    );
    assert!(
        c.text
            .contains("'http://127.0.0.1:3000/app/webhooks/dataspike'"),
        "{}",
        c.text
    );
    assert!(c.notice.contains("re-signed"), "{}", c.notice);
    drive(&mut app, &f.store, [copied]);
    assert!(app.stack.popup().is_some());

    // A terminal known to ignore OSC 52: nothing is written, the popup still shows it.
    let how = crate::tui::CopyHow {
        osc52: false,
        ..how
    };
    let mut written = Vec::<u8>::new();
    let req = CopyRequest {
        id: f.valid,
        what: CopyWhat::Body,
    };
    let Event::Copied(c) = crate::tui::copy(
        &mut CrosstermBackend::new(&mut written),
        &f.store,
        &how,
        None,
        req,
    ) else {
        panic!("no copy")
    };
    assert!(written.is_empty());
    assert_eq!(c.text.as_bytes(), BODY);
    assert!(
        c.notice.contains("not copied (this terminal ignores"),
        "{}",
        c.notice
    );
}

/// The body of a copied curl command (`printf '%s' 'BODY' | curl ...`) and its signature.
fn curl_body_and_signature(text: &str) -> (String, String) {
    let body = text
        .split_once("printf '%s' '")
        .and_then(|(_, rest)| rest.split_once("' |"))
        .map(|(b, _)| b.to_string())
        .unwrap_or_else(|| panic!("no body in {text}"));
    let sig = text
        .split_once("X-Webhook-Signature: ")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| panic!("no signature in {text}"));
    (body, sig)
}

#[test]
fn with_redaction_c_copies_fakes_re_signed_so_they_verify_and_says_what_it_replaced() {
    use ratatui::backend::CrosstermBackend;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("r.db"), OpenMode::Create).unwrap();
    let body = br#"{"id":"e1","event_type":"DOCVER","payload":{"full_name":"Jane Doe","date_of_birth":"1990-01-02","status":"verified"}}"#;
    let sig = crate::signature::dataspike::sign_header(&secret()[0], T, body);
    let id = store
        .insert_capture(&capture(T, "/hook", Some(&sig), body, &secret()))
        .unwrap();
    let secrets = secret();
    let how = crate::tui::CopyHow {
        secrets: &secrets,
        to: None,
        now_s: T + 60,
        osc52: true,
    };
    let rules = crate::redact::Rules::new(true, &[], &[]).unwrap();
    let mut redactor = crate::redact::Redactor::new(rules, crate::redact::Salt::fixed(7));
    let copy_curl = |redactor: &mut crate::redact::Redactor| {
        let mut written = Vec::<u8>::new();
        let req = CopyRequest {
            id,
            what: CopyWhat::Curl,
        };
        match crate::tui::copy(
            &mut CrosstermBackend::new(&mut written),
            &store,
            &how,
            Some(redactor),
            req,
        ) {
            Event::Copied(c) => c,
            other => panic!("{other:?}"),
        }
    };
    let c = copy_curl(&mut redactor);
    assert!(
        !c.text.contains("Jane Doe") && !c.text.contains("1990-01-02"),
        "{}",
        c.text
    );
    assert!(
        c.text.contains("\"status\":\"verified\""),
        "the rest is kept: {}",
        c.text
    );
    assert!(
        c.notice.contains("redacted: ") && c.notice.contains("x1"),
        "{}",
        c.notice
    );
    // Re-signed over the fakes: the copied request verifies.
    let (sent_body, sent_sig) = curl_body_and_signature(&c.text);
    let headers = vec![(b"X-Webhook-Signature".to_vec(), sent_sig.into_bytes())];
    let (verdict, _) = verify_capture(&headers, sent_body.as_bytes(), &secrets, T + 60, 300);
    assert_eq!(verdict.status(), Status::Valid, "{}", c.text);
    // One key per session: the same capture copied again gets the same fakes.
    let again = copy_curl(&mut redactor);
    assert_eq!(curl_body_and_signature(&again.text).0, sent_body);

    // The body alone (C) is redacted the same way.
    let mut written = Vec::<u8>::new();
    let Event::Copied(b) = crate::tui::copy(
        &mut CrosstermBackend::new(&mut written),
        &store,
        &how,
        Some(&mut redactor),
        CopyRequest {
            id,
            what: CopyWhat::Body,
        },
    ) else {
        panic!("no copy")
    };
    assert_eq!(b.text, sent_body);
    assert!(b.notice.contains("redacted: "), "{}", b.notice);
}

#[test]
fn the_header_lists_the_routes_and_drops_later_ones_when_narrow() {
    let (_dir, store) = empty_store();
    let mut app = app(1);
    app.setup.forward_target = None;
    app.setup.routes = vec!["/stripe→:4001".into(), "/dataspike→:4002".into()];
    drive(&mut app, &store, []);
    let wide = draw_at(&mut app, 140).backend().to_string();
    assert!(
        wide.contains("routes /stripe→:4001  /dataspike→:4002"),
        "{wide}"
    );
    let narrow = draw_at(&mut app, 80).backend().to_string();
    assert!(narrow.contains("routes /stripe→:4001"), "{narrow}");
    assert!(!narrow.contains("/dataspike→"), "{narrow}");
}

#[test]
fn the_detail_says_which_route_a_capture_took_or_that_none_did() {
    let mut f = fixture();
    let routed = Capture {
        route: Some("payments".into()),
        ..capture(T + 500, "/stripe/x", None, b"{}", &[])
    };
    let unrouted = capture(T + 510, "/elsewhere", None, b"{}", &[]);
    f.store.insert_captures(&[&routed, &unrouted]).unwrap();
    let mut app = app(1);
    app.setup.routes = vec!["/stripe→:4001".into()];
    // Newest first: the unrouted one is on top.
    drive(&mut app, &f.store, [key(KeyCode::Enter)]);
    let screen = draw_at(&mut app, 120).backend().to_string();
    assert!(
        screen.contains("no route: captured, not forwarded"),
        "{screen}"
    );
    drive(
        &mut app,
        &f.store,
        [key(KeyCode::Esc), ch('j'), key(KeyCode::Enter)],
    );
    let screen = draw_at(&mut app, 120).backend().to_string();
    assert!(screen.contains("payments"), "{screen}");
}
