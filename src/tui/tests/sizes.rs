//! The screens at the sizes people use: a default 80x24 terminal and a large 200x60 one. At 80
//! columns nothing may be cut mid-word: list columns are dropped by rank, the path is cut from
//! the middle, header and footer items go whole.

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::*;

fn draw_at(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal
}

/// List, detail and help at one size, as insta snapshots named `{screen}_{w}x{h}`.
fn snapshot_screens_at(width: u16, height: u16) -> [String; 3] {
    let f = fixture();
    let mut app = app(1);
    update(&mut app, Event::Resize(width, height));
    tally_reports(&mut app, &f.store, &f.ids);
    drive(
        &mut app,
        &f.store,
        [Event::Report(Report::TargetReachable(true))],
    );
    let list = draw_at(&app, width, height).backend().to_string();
    insta::assert_snapshot!(format!("list_{width}x{height}"), list);
    drive(&mut app, &f.store, [ch('G'), key(KeyCode::Enter)]);
    let detail = draw_at(&app, width, height).backend().to_string();
    insta::assert_snapshot!(format!("detail_{width}x{height}"), detail);
    drive(&mut app, &f.store, [key(KeyCode::Esc), ch('?')]);
    let help = draw_at(&app, width, height).backend().to_string();
    insta::assert_snapshot!(format!("help_{width}x{height}"), help);
    [list, detail, help]
}

#[test]
fn screens_at_80x24() {
    let [list, detail, help] = snapshot_screens_at(80, 24);
    // Event names whole, an ID column, header and footer without cut words.
    assert_eq!(list.matches("AML_SCREENING").count(), 4, "{list}");
    assert!(list.contains("ID"), "{list}");
    assert!(list.contains("? help  q quit"), "{list}");
    assert!(list.contains("listening http://127.0.0.1:8080"), "{list}");
    assert!(detail.contains("#1"), "{detail}");
    assert!(help.contains("byte for byte"), "{help}");
}

#[test]
fn the_dev_secret_label_stays_at_80x24() {
    let f = fixture();
    let mut app = app(1);
    app.setup.dev_secret = secret().into_iter().next();
    update(&mut app, Event::Resize(80, 24));
    drive(
        &mut app,
        &f.store,
        [Event::Report(Report::TargetReachable(true))],
    );
    let screen = draw_at(&app, 80, 24).backend().to_string();
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains(
            "listening http://127.0.0.1:8080  secrets local dev secret (not Dataspike's)"
        ),
        "{header}"
    );
    assert!(
        !header.contains("forward"),
        "the forward target gives way: {header}"
    );
    // Wide enough for both, both show.
    let wide = draw_at(&app, 200, 24).backend().to_string();
    let header = wide.lines().next().unwrap_or_default();
    assert!(
        header.contains("forward http://127.0.0.1:3000/hook (reachable)  secrets local dev secret"),
        "{header}"
    );
}

#[test]
fn screens_at_200x60() {
    let [list, ..] = snapshot_screens_at(200, 60);
    for title in [
        "ID", "TIME", "SIG", "METHOD", "PATH", "EVENT", "SIZE", "APP",
    ] {
        assert!(list.contains(title), "{title} missing:\n{list}");
    }
    assert!(list.contains("hookscope  listening"), "{list}");
}

#[test]
fn a_long_path_is_cut_from_the_middle_and_low_ranks_go_first() {
    let f = fixture();
    let mut store = f.store;
    let long = "/dataspike/webhooks/production/eu-west-1/tenants/acme/hook";
    let id = store
        .insert_capture(&capture(T + 500, long, None, BODY, &secret()))
        .unwrap();
    let mut app = app(1);
    update(&mut app, Event::Resize(80, 24));
    drive(&mut app, &store, []);
    let screen = draw_at(&app, 80, 24).backend().to_string();
    let row = screen
        .lines()
        .find(|l| l.contains(&format!(" {id} ")))
        .unwrap_or_else(|| panic!("no row for #{id}:\n{screen}"));
    assert!(row.contains("/dataspike/"), "{row}");
    assert!(row.contains("acme/hook"), "{row}");
    assert!(row.contains('…'), "{row}");
    assert!(row.contains("AML_SCREENING"), "{row}");
    let titles = screen.lines().nth(2).unwrap_or_default();
    assert!(
        !titles.contains("METHOD"),
        "method goes before the path: {titles}"
    );
    // The detail's title keeps both ends of the path too.
    drive(&mut app, &store, [key(KeyCode::Enter)]);
    let screen = draw_at(&app, 80, 24).backend().to_string();
    let tabs = screen.lines().nth(2).unwrap_or_default();
    assert!(tabs.contains(&format!("#{id} POST /dataspike/")), "{tabs}");
    assert!(tabs.contains("acme/hook"), "{tabs}");
}

/// `listen --relay` as the README runs it: a real secret, the app on :3000, a relay channel
/// caught up.
fn relay_app(width: u16, dev_secret: bool) -> App {
    let mut app = app(1);
    app.setup.forward_target = Some("http://127.0.0.1:3000".into());
    if dev_secret {
        app.setup.dev_secret = secret().into_iter().next();
    }
    update(&mut app, Event::Resize(width, 24));
    update(&mut app, Event::Report(Report::TargetReachable(true)));
    update(
        &mut app,
        Event::Report(Report::Relay {
            url: "https://relay.example.com/c/AAAAAAAAAAAAAAAAAAAAAA".into(),
            state: crate::conn::ConnState::CaughtUp,
        }),
    );
    app
}

fn header_at(app: &mut App, store: &Store, width: u16) -> (String, String) {
    drive(app, store, []);
    let screen = draw_at(app, width, 24).backend().to_string();
    // The backend prints each row in quotes.
    let mut lines = screen.lines().map(|l| l.trim_matches('"').to_string());
    (lines.next().unwrap(), lines.next().unwrap())
}

#[test]
fn relay_mode_keeps_the_target_and_the_secrets_and_cuts_the_relay_url_first() {
    let (_dir, store) = empty_store();
    for width in [80, 120] {
        let (top, second) = header_at(&mut relay_app(width, false), &store, width);
        for item in ["forward http://127.0.0.1:3000 (reachable)", "secrets 1"] {
            assert!(top.contains(item), "{item} at {width}: {top}");
        }
        // Cut from the middle: the host's start and the channel's end stay.
        assert!(top.contains("relay https://re"), "{width}: {top}");
        assert!(top.contains("…AAAA"), "{width}: {top}");
        assert!(
            second.starts_with("relay connected, caught up   PASS 0"),
            "the state and the counts apart at {width}: {second}"
        );
    }
    // At 120 there is room for the local listen URL too; at 80 it gives way.
    let (top, _) = header_at(&mut relay_app(120, false), &store, 120);
    assert!(top.contains("listening http://127.0.0.1:8080"), "{top}");
    // Wide enough, nothing is cut.
    let (top, _) = header_at(&mut relay_app(200, false), &store, 200);
    assert!(
        top.contains("relay https://relay.example.com/c/AAAAAAAAAAAAAAAAAAAAAA"),
        "{top}"
    );
}

#[test]
fn relay_mode_keeps_the_dev_secret_label_at_80_columns() {
    let (_dir, store) = empty_store();
    let (top, _) = header_at(&mut relay_app(80, true), &store, 80);
    assert!(
        top.contains("secrets local dev secret (not Dataspike's)"),
        "{top}"
    );
    assert!(top.contains("relay https://re"), "{top}");
}

/// The status line (the row above the footer), without the backend's quotes and end blanks.
fn status_at(app: &App, width: u16) -> String {
    let screen = draw_at(app, width, 24).backend().to_string();
    let line = screen.lines().nth(22).unwrap_or_default();
    line.trim_matches('"').trim_end().to_string()
}

#[test]
fn a_long_notice_is_cut_between_words_and_shown_whole_on_a_key() {
    let f = fixture();
    // The UI's own warning when listening beyond loopback: longer than 120 columns.
    let text = crate::tui::hint::with(
        "listening on 0.0.0.0, not loopback. Dataspike captures hold personal data (names, birth dates, documents), and anyone who can reach this port can send requests and read what your app answers",
        Some(crate::hint::Hint::Loopback),
    );
    let text = text.as_str();
    for width in [80, 120] {
        let mut app = app(1);
        update(&mut app, Event::Resize(width, 24));
        let notice = Event::Report(Report::Notice {
            text: text.into(),
            error: false,
        });
        drive(&mut app, &f.store, [notice]);
        let status = status_at(&app, width);
        let (shown, rest) = status.split_once('…').unwrap_or_else(|| panic!("{status}"));
        assert!(
            text.starts_with(shown) && text[shown.len()..].starts_with(' '),
            "cut between words at {width}: {status}"
        );
        assert_eq!(rest, " (! shows all)", "at {width}: {status}");
        // The whole notice, in the popup, even once it has aged out of the status line.
        drive(&mut app, &f.store, std::iter::repeat_n(Event::Tick, 20));
        drive(&mut app, &f.store, [ch('!')]);
        let popup = app.stack.popup().expect("the notice in a popup");
        assert_eq!(popup.lines.concat(), text);
        let rows = popup.rows(width);
        assert!(rows.len() > 1, "wrapped at {width}");
        assert_eq!(rows.join(" "), text, "broken between words at {width}");
        drive(&mut app, &f.store, [key(KeyCode::Esc)]);
        assert!(app.stack.popup().is_none());
    }
    // Short enough, it is shown as it is.
    let mut app = app(1);
    update(&mut app, Event::Resize(80, 24));
    drive(&mut app, &f.store, [ch('!'), ch('!')]);
    assert!(
        app.stack.popup().is_none(),
        "no notice yet, nothing to show"
    );
    assert_eq!(
        app.notice.as_ref().map(|n| n.text.as_str()),
        Some("no notice yet")
    );
    let short = "exported to ./fixtures/x.json";
    let notice = Event::Report(Report::Notice {
        text: short.into(),
        error: false,
    });
    drive(&mut app, &f.store, [notice]);
    assert_eq!(status_at(&app, 80), short);
}

#[test]
fn the_filter_prompt_fits_its_hint_without_cut_words() {
    let f = fixture();
    for width in [80, 120] {
        let mut app = app(1);
        update(&mut app, Event::Resize(width, 24));
        let keys: Vec<Event> = [ch('/')]
            .into_iter()
            .chain("badge:FAIL status:5xx".chars().map(ch))
            .collect();
        drive(&mut app, &f.store, keys);
        let status = status_at(&app, width);
        assert!(status.starts_with("/badge:FAIL status:5xx█"), "{status}");
        assert!(
            status.ends_with("Enter applies · Esc cancels"),
            "at {width}: {status}"
        );
        // A query longer than the line keeps its end, where the cursor is, in view.
        let long: Vec<Event> = " payload.applicant.address.city=Berlin"
            .repeat(3)
            .chars()
            .map(ch)
            .collect();
        drive(&mut app, &f.store, long);
        let status = status_at(&app, width);
        assert!(status.starts_with("/…"), "{status}");
        assert!(status.contains("city=Berlin█"), "at {width}: {status}");
        assert!(status.chars().count() <= usize::from(width), "{status}");
    }
}
