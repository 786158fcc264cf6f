use super::*;
use crate::capture::{Attempt, AttemptKind, Capture};
use crate::store::OpenMode;

const NOW_MS: i64 = 1_700_000_000_000;

/// Two connections to one file: `listen`'s writer and the waiting command.
fn stores() -> (tempfile::TempDir, Store, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let writer = Store::open(&path, OpenMode::Create).unwrap();
    let waiter = Store::open(&path, OpenMode::Existing).unwrap();
    (dir, writer, waiter)
}

fn add(store: &mut Store, at_ms: i64, body: &str) -> CaptureId {
    let c = Capture::new(at_ms, "POST", "/hook", vec![], body.as_bytes().to_vec());
    store.insert_capture(&c).unwrap()
}

fn answer(store: &mut Store, capture_id: CaptureId, status: u16) {
    store
        .insert_attempt(&Attempt {
            capture_id,
            kind: AttemptKind::Forward,
            at_ms: NOW_MS,
            target: "http://127.0.0.1:3000/hook".into(),
            resigned: false,
            sent_body: None,
            sent_headers: None,
            status: Some(status),
            response_headers: vec![],
            response_body: vec![],
            response_truncated: false,
            latency_ms: Some(1),
            error: None,
        })
        .unwrap();
}

fn settings(query: &str, since: Option<Duration>) -> Settings {
    Settings {
        query: crate::query::parse(query, NOW_MS).unwrap(),
        timeout: Duration::from_secs(5),
        since,
    }
}

fn id(found: Option<StoredCapture>) -> Option<CaptureId> {
    found.map(|c| c.id)
}

#[test]
fn only_captures_committed_after_the_start_count() {
    let (_dir, mut writer, waiter) = stores();
    add(&mut writer, NOW_MS - 1000, "okapi before");
    let mut watch = Watch::start(&waiter, &settings("okapi", None), NOW_MS).unwrap();
    assert_eq!(id(watch.first_round(&waiter).unwrap()), None);
    assert!(!watch.changed(&waiter).unwrap(), "nothing committed yet");

    add(&mut writer, NOW_MS + 10, "walrus");
    assert!(
        watch.changed(&waiter).unwrap(),
        "another connection committed"
    );
    assert_eq!(id(watch.round(&waiter).unwrap()), None);
    assert!(!watch.changed(&waiter).unwrap());

    // Not indexed by anyone yet: the word search indexes it first.
    let okapi = add(&mut writer, NOW_MS + 20, "okapi after");
    add(&mut writer, NOW_MS + 30, "okapi later");
    assert!(watch.changed(&waiter).unwrap());
    assert_eq!(
        id(watch.round(&waiter).unwrap()),
        Some(okapi),
        "the oldest new match"
    );
}

#[test]
fn a_window_counts_captures_received_within_it_before_the_start() {
    let (_dir, mut writer, waiter) = stores();
    add(&mut writer, NOW_MS - 20 * 60_000, "okapi long ago");
    let recent = add(&mut writer, NOW_MS - 5 * 60_000, "okapi recently");
    add(&mut writer, NOW_MS - 60_000, "walrus");
    let window = |since: Option<Duration>| {
        let mut watch = Watch::start(&waiter, &settings("okapi", since), NOW_MS).unwrap();
        id(watch.first_round(&waiter).unwrap())
    };
    assert_eq!(window(None), None);
    assert_eq!(window(Some(Duration::from_secs(60))), None);
    assert_eq!(window(Some(Duration::from_secs(600))), Some(recent));
}

#[test]
fn ids_given_out_again_after_a_purge_still_count_by_arrival() {
    let (_dir, mut writer, waiter) = stores();
    for i in 0..3 {
        add(&mut writer, NOW_MS - 60_000, &format!("okapi old{i}"));
    }
    let mut watch = Watch::start(&waiter, &settings("okapi", None), NOW_MS).unwrap();
    assert_eq!(id(watch.first_round(&waiter).unwrap()), None);
    writer.purge_before(NOW_MS).unwrap();
    let reborn = add(&mut writer, NOW_MS + 1000, "okapi new");
    assert_eq!(reborn, 1, "the id came back");
    assert!(watch.changed(&waiter).unwrap());
    assert_eq!(id(watch.round(&waiter).unwrap()), Some(reborn));

    // An old capture stored again (an import keeps its time) does not count.
    let mut watch = Watch::start(&waiter, &settings("okapi", None), NOW_MS + 2000).unwrap();
    writer.purge_before(i64::MAX).unwrap();
    add(&mut writer, NOW_MS - 60_000, "okapi imported");
    assert_eq!(id(watch.round(&waiter).unwrap()), None);
}

#[test]
fn a_new_answer_to_a_capture_already_seen_is_looked_at_again() {
    let (_dir, mut writer, waiter) = stores();
    let before = add(&mut writer, NOW_MS - 1000, "old");
    let mut watch = Watch::start(&waiter, &settings("status:2xx", None), NOW_MS).unwrap();
    assert_eq!(id(watch.first_round(&waiter).unwrap()), None);
    let new = add(&mut writer, NOW_MS + 10, "new");
    assert_eq!(id(watch.round(&waiter).unwrap()), None, "not answered yet");

    answer(&mut writer, before, 200);
    answer(&mut writer, new, 503);
    assert_eq!(
        id(watch.round(&waiter).unwrap()),
        None,
        "the old one does not count"
    );
    answer(&mut writer, new, 200);
    assert_eq!(id(watch.round(&waiter).unwrap()), Some(new));
}

#[test]
fn wait_returns_soon_after_the_commit_and_times_out_otherwise() {
    let (dir, mut writer, waiter) = stores();
    let quick = Settings {
        timeout: Duration::from_millis(300),
        ..settings("okapi", None)
    };
    let started = Instant::now();
    assert_eq!(wait(&waiter, &quick, || ()).unwrap(), Outcome::TimedOut);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(2));

    let path = dir.path().join("h.db");
    let waiting = std::thread::spawn(move || {
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        let started = Instant::now();
        (
            wait(&store, &settings("okapi", None), || ()).unwrap(),
            started,
        )
    });
    // Quiet long enough for the pause to reach its longest.
    std::thread::sleep(Duration::from_millis(1500));
    add(&mut writer, now_ms(), "walrus");
    let okapi = add(&mut writer, now_ms(), "okapi");
    let committed = Instant::now();
    let (outcome, _) = waiting.join().unwrap();
    match outcome {
        Outcome::Found(c) => assert_eq!(c.id, okapi),
        other => panic!("{other:?}"),
    }
    assert!(
        committed.elapsed() < MAX_PAUSE + Duration::from_secs(1),
        "noticed {:?} after the commit",
        committed.elapsed()
    );
}
