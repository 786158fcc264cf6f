//! Redeliveries in the TUI: the list's TRY column (`2/3`) and a chosen answer in APP, the
//! detail's Retries and Answered lines, and `E` filtering to every delivery of the event.

use super::*;
use crate::capture::Answered;

/// Three deliveries of one event (two answered 503 by choice), one of another, one without
/// an event id; oldest first.
fn redelivered() -> (tempfile::TempDir, Store, Vec<CaptureId>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("tui.db"), OpenMode::Create).unwrap();
    let sig = format!("t={T},v1={V1}");
    let chosen = Some(Answered::Chosen {
        status: 503,
        delay_ms: 0,
    });
    let mut ids = Vec::new();
    for (at, key, answered) in [
        (T + 1, Some("evt_retried"), chosen),
        (T + 3, Some("evt_retried"), chosen),
        (T + 4, Some("evt_other"), Some(Answered::Ack)),
        (T + 9, Some("evt_retried"), Some(Answered::Ack)),
        (T + 10, None, Some(Answered::Ack)),
    ] {
        let mut c = capture(at, "/webhooks/dataspike", Some(&sig), BODY, &secret());
        c.event_key = key.map(str::to_string);
        c.answered = answered;
        ids.push(store.insert_capture(&c).unwrap());
    }
    (dir, store, ids)
}

#[test]
fn the_list_marks_each_delivery_of_a_retried_event_and_chosen_answers() {
    let (_dir, store, ids) = redelivered();
    let mut app = app(1);
    drive(&mut app, &store, []);
    let screen = draw(&app).backend().to_string();
    let row = |id: CaptureId| {
        screen
            .lines()
            .find(|l| {
                l.trim_start_matches('"')
                    .trim_start()
                    .starts_with(&format!("{id} "))
            })
            .unwrap_or_else(|| panic!("no row for #{id}:\n{screen}"))
            .to_string()
    };
    assert!(screen.contains("TRY"), "{screen}");
    assert!(row(ids[0]).contains("1/3"), "{}", row(ids[0]));
    assert!(row(ids[1]).contains("2/3"), "{}", row(ids[1]));
    assert!(row(ids[3]).contains("3/3"), "{}", row(ids[3]));
    assert!(row(ids[0]).contains("503 chosen"), "{}", row(ids[0]));
    assert!(!row(ids[2]).contains("1/1"), "one delivery: no mark");

    // Without a retried event on screen, the column is not drawn.
    let (_d, plain) = empty_store();
    let mut other = super::app(1);
    drive(&mut other, &plain, []);
    assert!(!draw(&other).backend().to_string().contains("TRY"));
}

#[test]
fn the_detail_places_a_delivery_and_e_lists_its_events_deliveries() {
    let (_dir, store, ids) = redelivered();
    let mut app = app(1);
    // The newest first: down to #2 (the second delivery of evt_retried), then open it.
    drive(
        &mut app,
        &store,
        [ch('j'), ch('j'), ch('j'), key(KeyCode::Enter)],
    );
    assert_eq!(app.stack.detail().map(|d| d.id), Some(ids[1]));
    let screen = draw(&app).backend().to_string();
    assert!(
        screen.contains("delivery 2 of event evt_retried, +2.0 s after the first"),
        "{screen}"
    );
    assert!(screen.contains("503 by choice, not forwarded"), "{screen}");

    // E: back to the list, filtered to the event's three deliveries.
    drive(&mut app, &store, [ch('E')]);
    assert!(app.stack.detail().is_none());
    assert_eq!(app.filter.applied, "event:evt_retried");
    let shown: Vec<CaptureId> = app.window.visible().iter().map(|s| s.id).collect();
    assert_eq!(shown, [ids[3], ids[1], ids[0]]);

    // A capture without an event id says why E cannot list anything.
    drive(&mut app, &store, [key(KeyCode::Esc), ch('g'), ch('E')]);
    assert_eq!(selected(&app), Some(ids[4]));
    assert!(app.filter.applied.is_empty());
    let said = draw(&app).backend().to_string();
    assert!(said.contains("carries no event id"), "{said}");
}

#[test]
fn the_header_says_what_the_listener_answers_by_choice() {
    let (_dir, store, _) = redelivered();
    let mut app = app(1);
    app.setup.chosen = Some("503 to each event's first 2 deliveries".into());
    drive(&mut app, &store, []);
    update(&mut app, Event::Resize(180, HEIGHT));
    let mut terminal = Terminal::new(TestBackend::new(180, HEIGHT)).unwrap();
    terminal.draw(|f| f.render_widget(&app, f.area())).unwrap();
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains("answering 503 to each event's first 2 deliveries"),
        "{screen}"
    );
}
