//! Edit-and-replay through `update`: an unchanged body is not sent, an edited JSON body waits
//! for the user's answer (as saved, compacted, or cancelled), broken JSON warns first.

use super::*;
use crate::tui::editor::editor_text;
use crate::tui::stack::PendingEdit;
use crate::tui::EditedBody;

/// The app after `e` on the oldest capture (valid JSON) and the editor closing with `edited`.
fn edited(f: &Fixture, edited: &[u8]) -> (App, Vec<Command>) {
    let mut app = app(1);
    drive(&mut app, &f.store, [ch('G'), ch('e')]);
    assert_eq!(app.take_edit_request(), Some(f.valid));
    let cmds = drive(
        &mut app,
        &f.store,
        [Event::Edited {
            id: f.valid,
            original: BODY.to_vec(),
            edited: Ok(edited.to_vec()),
        }],
    );
    (app, cmds)
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn status_line(app: &App) -> String {
    let screen = draw(app).backend().to_string();
    screen
        .lines()
        .nth(usize::from(HEIGHT) - 2)
        .unwrap_or_default()
        .to_string()
}

/// The pretty-printed body with the event type changed, as a user would save it.
fn changed_pretty() -> Vec<u8> {
    String::from_utf8(editor_text(BODY))
        .unwrap()
        .replace("AML_SCREENING", "DOCVER")
        .into_bytes()
}

#[test]
fn an_unchanged_body_is_not_sent() {
    let f = fixture();
    // `EDITOR=true` and `:q!` leave the pretty-printed text the editor was given.
    for saved in [editor_text(BODY), BODY.to_vec()] {
        let (app, cmds) = edited(&f, &saved);
        assert!(cmds.is_empty());
        assert_eq!(app.stack.pending_edit(), None);
        assert_eq!(notice(&app), format!("#{} unchanged, not sent", f.valid));
        assert!(!app.notice.as_ref().is_some_and(|n| n.error));
    }
}

#[test]
fn edited_json_waits_then_y_sends_it_as_saved() {
    let f = fixture();
    let saved = changed_pretty();
    let (mut app, cmds) = edited(&f, &saved);
    assert!(cmds.is_empty(), "nothing is sent before the answer");
    assert!(matches!(app.stack.pending_edit(), Some(PendingEdit { id, .. }) if *id == f.valid));
    let status = status_line(&app);
    assert!(
        status.contains(&format!("send edited #{}?", f.valid)),
        "{status}"
    );
    assert!(
        status.contains("y as saved") && status.contains("c compacted"),
        "{status}"
    );
    assert!(status.contains("n cancel"), "{status}");
    // Keys answer the question; `j` does not move the list meanwhile.
    let cursor = app.window.cursor();
    assert!(drive(&mut app, &f.store, [ch('j')]).is_empty());
    assert_eq!(app.window.cursor(), cursor);
    let cmds = drive(&mut app, &f.store, [ch('y')]);
    let note = format!("pretty-printed, {} bytes", saved.len());
    assert_eq!(
        cmds,
        vec![Command::Replay {
            id: f.valid,
            signing: Signing::Default,
            body: Some(EditedBody {
                bytes: saved,
                note: note.clone()
            })
        }]
    );
    assert_eq!(app.stack.pending_edit(), None);
    // The note travels with the command: the replay's one notice (from the effect) says it.
}

#[test]
fn c_sends_the_edit_compacted_and_says_so() {
    let f = fixture();
    let (mut app, _) = edited(&f, &changed_pretty());
    let cmds = drive(&mut app, &f.store, [ch('c')]);
    let compact = String::from_utf8(BODY.to_vec())
        .unwrap()
        .replace("AML_SCREENING", "DOCVER")
        .into_bytes();
    let note = format!("compacted, {} bytes", compact.len());
    assert_eq!(
        cmds,
        vec![Command::Replay {
            id: f.valid,
            signing: Signing::Default,
            body: Some(EditedBody {
                bytes: compact,
                note: note.clone()
            })
        }]
    );
}

#[test]
fn n_or_esc_cancels_and_enter_also_sends() {
    let f = fixture();
    for cancel in [ch('n'), key(KeyCode::Esc)] {
        let (mut app, _) = edited(&f, &changed_pretty());
        assert!(drive(&mut app, &f.store, [cancel]).is_empty());
        assert_eq!(app.stack.pending_edit(), None);
        assert!(notice(&app).contains("not sent"), "{}", notice(&app));
        assert!(
            app.stack.detail().is_none() && app.running,
            "Esc answered the question only"
        );
    }
    let (mut app, _) = edited(&f, &changed_pretty());
    assert_eq!(drive(&mut app, &f.store, [key(KeyCode::Enter)]).len(), 1);
}

#[test]
fn json_that_no_longer_parses_warns_and_asks() {
    let f = fixture();
    let broken = b"{\"event_type\": \"DOCVER\",\n".to_vec();
    let (mut app, cmds) = edited(&f, &broken);
    assert!(cmds.is_empty(), "not sent without a yes");
    let why = app
        .stack
        .pending_edit()
        .and_then(|p| p.confirm.json_error.clone())
        .unwrap_or_default();
    assert!(why.contains("EOF"), "{why}");
    let status = status_line(&app);
    assert!(
        status.contains("y send anyway") && status.contains("n cancel"),
        "{status}"
    );
    assert!(!status.contains("compacted"), "{status}");
    assert!(status.contains("is no longer valid JSON"), "{status}");
    assert!(
        drive(&mut app, &f.store, [ch('c')]).is_empty(),
        "nothing to compact"
    );
    assert!(app.stack.pending_edit().is_some());
    let cmds = drive(&mut app, &f.store, [ch('y')]);
    assert_eq!(
        cmds,
        vec![Command::Replay {
            id: f.valid,
            signing: Signing::Default,
            body: Some(EditedBody {
                bytes: broken,
                note: "not JSON, 25 bytes".into()
            })
        }]
    );
}

#[test]
fn ctrl_c_quits_from_the_question() {
    let f = fixture();
    let (mut app, _) = edited(&f, &changed_pretty());
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(drive(&mut app, &f.store, [ctrl_c]).is_empty());
    assert!(!app.running);
}

#[test]
fn the_question_fits_80_columns_without_cut_words() {
    let f = fixture();
    let (mut app, _) = edited(&f, &changed_pretty());
    update(&mut app, Event::Resize(80, 24));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|fr| fr.render_widget(&app, fr.area()))
        .unwrap();
    let screen = terminal.backend().to_string();
    let status = screen.lines().nth(22).unwrap_or_default();
    assert!(
        status.contains("c compacted") && status.contains("n cancel"),
        "{status}"
    );
}
