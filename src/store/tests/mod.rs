use super::*;
use crate::capture::{Attempt, AttemptKind, Capture, EventInfo, Rejection};
use crate::signature::dataspike::HeaderError;
use crate::signature::{Reason, Scheme, Verdict};

fn capture(path: &str, event: Option<&str>, verdict: Verdict, body: &[u8]) -> Capture {
    let headers = vec![
        (b"Host".to_vec(), b"localhost".to_vec()),
        (b"X-Odd".to_vec(), b"\xff\x00".to_vec()),
        (b"host".to_vec(), b"second".to_vec()),
    ];
    let mut c = Capture {
        peer: Some("127.0.0.1:5555".into()),
        event: EventInfo {
            event_type: event.map(String::from),
            event_id: Some("id-1".into()),
        },
        verdict,
        ..Capture::new(1_700_000_000_000, "POST", path, headers, body.to_vec())
    };
    c.query = Some("a=1".into());
    c
}

fn q(text: &str) -> crate::query::Query {
    crate::query::parse(text, 1_700_000_000_000).unwrap()
}

/// A Dataspike capture that passed with the first secret.
fn pass() -> Verdict {
    Verdict::Valid {
        scheme: Scheme::Dataspike,
        secret_index: 0,
        skew_s: 1,
    }
}

/// A Dataspike capture no secret matched.
fn fail() -> Verdict {
    Verdict::Invalid {
        scheme: Scheme::Dataspike,
        reason: HeaderError::NoSecretMatches.into(),
    }
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sub/dir/h.db"), OpenMode::Create).unwrap();
    (dir, store)
}

fn attempt(capture_id: CaptureId, status: Option<u16>) -> Attempt {
    Attempt {
        capture_id,
        kind: AttemptKind::Forward,
        at_ms: 1_700_000_001_000,
        target: "http://127.0.0.1:3000/hook".into(),
        resigned: false,
        sent_body: None,
        sent_headers: None,
        status,
        response_headers: vec![(b"content-type".to_vec(), b"text/plain".to_vec())],
        response_body: b"ok".to_vec(),
        response_truncated: false,
        latency_ms: Some(3),
        error: status.is_none().then(|| "connection refused".to_string()),
    }
}

#[test]
fn round_trip_is_byte_exact() {
    let (_dir, mut store) = temp_store();
    let mut c = capture(
        "/hook",
        Some("DOCVER"),
        Verdict::Stale {
            scheme: Scheme::Dataspike,
            secret_index: 1,
            skew_s: 400,
            tolerance_s: 300,
        },
        b"\x00\xffbinary\r\n",
    );
    c.truncated = true;
    c.body_size = 99;
    c.rejected = Some(Rejection {
        status: 413,
        reason: "too big".into(),
    });
    c.diagnostics = Some(crate::signature::Diagnostics {
        timestamp: Some(5),
        signed_preview: "5.x".into(),
        signed_len: 3,
        expected: vec!["aa".into()],
        received: vec!["bb".into()],
        hint: Some("h".into()),
    });
    let id = store.insert_capture(&c).unwrap();
    let back = store.get(id).unwrap().unwrap();
    assert_eq!(back.id, id);
    assert_eq!(back.capture, c);
    assert!(store.get(id + 100).unwrap().is_none());
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let c = capture("/a", None, Verdict::Unsigned, b"{}");
    let id = {
        let mut s = Store::open(&path, OpenMode::Create).unwrap();
        s.insert_capture(&c).unwrap()
    };
    let s = Store::open(&path, OpenMode::Existing).unwrap();
    assert_eq!(s.get(id).unwrap().unwrap().capture, c);
}

#[test]
fn existing_mode_never_creates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.db");
    let err = Store::open(&path, OpenMode::Existing).err().unwrap();
    assert!(matches!(err, StoreError::Missing { .. }));
    assert!(err.to_string().contains("nope.db"));
    assert!(!path.exists());
}

#[test]
fn processes_opening_a_new_file_at_once_migrate_it_once() {
    // `listen` creating its database while `list` opens it raced the first migration
    // ("table captures already exists"); each step now re-reads the version under the lock.
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Store::open(&path, OpenMode::Create).map(|_| ()))
            })
            .collect();
        for o in openers {
            o.join().unwrap().unwrap();
        }
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        assert_eq!(schema::version(&store.conn).unwrap(), CURRENT_VERSION);
    }
}

#[test]
fn migrates_an_old_schema_and_keeps_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        schema::migrate(&mut conn, 1).unwrap();
        assert_eq!(schema::version(&conn).unwrap(), 1);
        conn.execute(
            "INSERT INTO captures (received_at_ms, method, path, headers, body, body_size, verdict, verdict_json)
             VALUES (1, 'POST', '/old', x'', x'6869', 2, 'unsigned', '{\"status\":\"unsigned\"}')",
            [],
        )
        .unwrap();
    }
    let mut store = Store::open(&path, OpenMode::Existing).unwrap();
    assert_eq!(schema::version(&store.conn).unwrap(), CURRENT_VERSION);
    let old = store.get(1).unwrap().unwrap();
    assert_eq!(old.capture.body, b"hi");
    assert_eq!(old.capture.verdict, Verdict::Unsigned);
    // The new table works on the migrated file.
    store.insert_attempt(&attempt(1, Some(200))).unwrap();
    assert_eq!(store.attempts(1).unwrap().len(), 1);
}

#[test]
fn migrates_version_2_verdicts_to_dataspike_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        schema::migrate(&mut conn, 2).unwrap();
        // Rows exactly as version 2 wrote them: no scheme, Dataspike's HeaderError as reason.
        for (verdict, json) in [
            ("valid", r#"{"status":"valid","secret_index":1,"skew_s":3}"#),
            (
                "invalid",
                r#"{"status":"invalid","reason":{"code":"several_headers","count":2}}"#,
            ),
            (
                "invalid",
                r#"{"status":"invalid","reason":{"code":"no_secret_matches"}}"#,
            ),
            ("unverified", r#"{"status":"unverified"}"#),
            ("unsigned", r#"{"status":"unsigned"}"#),
        ] {
            conn.execute(
                "INSERT INTO captures (received_at_ms, method, path, headers, body, body_size,
                   verdict, verdict_json)
                 VALUES (1, 'POST', '/old', x'', x'6869', 2, ?1, ?2)",
                [verdict, json],
            )
            .unwrap();
        }
    }
    let store = Store::open(&path, OpenMode::Existing).unwrap();
    assert_eq!(schema::version(&store.conn).unwrap(), CURRENT_VERSION);
    let ds = Scheme::Dataspike;
    let want = [
        Verdict::Valid {
            scheme: ds,
            secret_index: 1,
            skew_s: 3,
        },
        Verdict::Invalid {
            scheme: ds,
            reason: Reason::new(
                "several_headers",
                "2 X-Webhook-Signature headers; exactly one expected",
            ),
        },
        Verdict::Invalid {
            scheme: ds,
            reason: Reason::new("no_secret_matches", "no secret matches the signature"),
        },
        Verdict::Unverified { scheme: ds },
        Verdict::Unsigned,
    ];
    for (id, want) in (1..).zip(&want) {
        assert_eq!(&store.get(id).unwrap().unwrap().capture.verdict, want);
    }
    let listed: Vec<Verdict> = store
        .list(&ListQuery::default())
        .unwrap()
        .into_iter()
        .map(|s| s.verdict)
        .collect();
    assert!(want.iter().all(|w| listed.contains(w)), "{listed:?}");
    let scheme: Option<String> = store
        .conn
        .query_row("SELECT scheme FROM captures WHERE id = 5", [], |r| r.get(0))
        .unwrap();
    assert_eq!(scheme, None, "an unsigned row has no scheme");
}

#[test]
fn newer_schema_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path, OpenMode::Existing).err().unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("newer hookscope") && msg.contains("new.db"),
        "{msg}"
    );
}

#[test]
fn garbage_file_is_named_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.db");
    std::fs::write(&path, vec![0x42; 8192]).unwrap();
    let msg = Store::open(&path, OpenMode::Existing)
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("junk.db") && msg.contains("move it aside"),
        "{msg}"
    );
}

#[test]
fn list_filters_and_orders() {
    let (_dir, mut store) = temp_store();
    let (valid, invalid) = (pass(), fail());
    let a = store
        .insert_capture(&capture("/a", Some("DOCVER"), valid.clone(), b"alpha"))
        .unwrap();
    let b = store
        .insert_capture(&capture(
            "/b",
            Some("AML_SCREENING"),
            invalid.clone(),
            b"beta",
        ))
        .unwrap();
    let c = store
        .insert_capture(&capture("/c", Some("DOCVER"), invalid, b"Gamma"))
        .unwrap();
    let ids =
        |q: ListQuery| -> Vec<CaptureId> { store.list(&q).unwrap().iter().map(|s| s.id).collect() };
    assert_eq!(ids(ListQuery::default()), vec![c, b, a]);
    assert_eq!(
        ids(ListQuery {
            ascending: true,
            ..Default::default()
        }),
        vec![a, b, c]
    );
    assert_eq!(
        ids(ListQuery {
            limit: Some(2),
            ..Default::default()
        }),
        vec![c, b]
    );
    assert_eq!(
        ids(ListQuery {
            verdict: Some(Status::Invalid),
            ..Default::default()
        }),
        vec![c, b]
    );
    assert_eq!(
        ids(ListQuery {
            event: Some("DOCVER".into()),
            verdict: Some(Status::Valid),
            ..Default::default()
        }),
        vec![a]
    );
    assert_eq!(
        ids(ListQuery {
            before: Some(c),
            ..Default::default()
        }),
        vec![b, a]
    );
    assert_eq!(
        ids(ListQuery {
            query: q("GAMMA"),
            ..Default::default()
        }),
        vec![c]
    );
    assert_eq!(
        ids(ListQuery {
            query: q("event:aml_screening"),
            ..Default::default()
        }),
        vec![b]
    );
    assert_eq!(
        store
            .count(&ListQuery {
                verdict: Some(Status::Invalid),
                limit: Some(1),
                ..Default::default()
            })
            .unwrap(),
        2
    );
    let s = store.summary(b).unwrap().unwrap();
    assert_eq!(s.event_type.as_deref(), Some("AML_SCREENING"));
    assert_eq!(s.body_size, 4);
}

#[test]
fn list_after_reads_ranges_both_ways() {
    let (_dir, mut store) = temp_store();
    let mut ids = Vec::new();
    for (path, body) in [
        ("/a", "x"),
        ("/b", "needle"),
        ("/c", "y"),
        ("/d", "NEEDLE"),
        ("/e", "z"),
    ] {
        let c = capture(path, None, Verdict::Unsigned, body.as_bytes());
        ids.push(store.insert_capture(&c).unwrap());
    }
    let after = |q: ListQuery, id| -> Vec<CaptureId> {
        store
            .list_after(&q, id)
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect()
    };
    let up = |limit, before| ListQuery {
        ascending: true,
        limit,
        before,
        ..Default::default()
    };
    assert_eq!(after(up(None, None), ids[1]), ids[2..].to_vec());
    assert_eq!(after(up(Some(2), None), ids[0]), ids[1..3].to_vec());
    assert_eq!(
        after(up(None, Some(ids[3])), ids[0]),
        ids[1..3].to_vec(),
        "before bounds the range"
    );
    assert_eq!(
        after(ListQuery::default(), ids[2]),
        vec![ids[4], ids[3]],
        "newest first unless ascending"
    );
    assert_eq!(
        after(
            ListQuery {
                query: q("needle"),
                ascending: true,
                ..Default::default()
            },
            ids[0]
        ),
        vec![ids[1], ids[3]]
    );
    assert!(after(ListQuery::default(), ids[4]).is_empty());
}

#[test]
fn attempts_round_trip_and_failed_backlog() {
    let (_dir, mut store) = temp_store();
    let c = capture("/x", None, Verdict::Unsigned, b"x");
    let ok = store.insert_capture(&c).unwrap();
    let down = store.insert_capture(&c).unwrap();
    let recovered = store.insert_capture(&c).unwrap();
    let never = store.insert_capture(&c).unwrap();
    let _ = never;
    store.insert_attempt(&attempt(ok, Some(204))).unwrap();
    store.insert_attempt(&attempt(down, None)).unwrap();
    store.insert_attempt(&attempt(down, Some(500))).unwrap();
    store.insert_attempt(&attempt(recovered, None)).unwrap();
    store
        .insert_attempt(&attempt(recovered, Some(200)))
        .unwrap();
    assert_eq!(store.failed_ids(None).unwrap(), vec![down]);
    assert_eq!(
        store.failed_ids(Some(i64::MAX)).unwrap(),
        Vec::<CaptureId>::new()
    );
    let all = store.attempts(down).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], attempt(down, None));
    let latest = store
        .summary(down)
        .unwrap()
        .unwrap()
        .latest_attempt
        .unwrap();
    assert_eq!(latest.status, Some(500));
    assert_eq!(latest.latency_ms, Some(3));
    assert!(store
        .summary(never)
        .unwrap()
        .unwrap()
        .latest_attempt
        .is_none());
    assert_eq!(
        store.last_forward_target(down).unwrap().as_deref(),
        Some("http://127.0.0.1:3000/hook")
    );
    // A replay elsewhere does not move the default target.
    let replay = Attempt {
        kind: AttemptKind::Replay,
        target: "http://127.0.0.1:9999/typo".into(),
        ..attempt(down, Some(200))
    };
    store.insert_attempt(&replay).unwrap();
    assert_eq!(
        store.last_forward_target(down).unwrap().as_deref(),
        Some("http://127.0.0.1:3000/hook")
    );
    assert_eq!(store.last_forward_target(never).unwrap(), None);
}

#[tokio::test]
async fn writer_group_commits_and_answers_each() {
    let (_dir, store) = temp_store();
    let path = store.path().to_path_buf();
    let (writer, handle) = spawn_writer(store).unwrap();
    let mut tasks = Vec::new();
    for i in 0..100u8 {
        let w = writer.clone();
        tasks.push(tokio::spawn(async move {
            w.record(capture("/w", None, Verdict::Unsigned, &[i])).await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);
    writer
        .record_attempt(attempt(ids[0], Some(200)))
        .await
        .unwrap();
    drop(writer);
    handle.join().unwrap();
    let reader = Store::open(&path, OpenMode::Existing).unwrap();
    assert_eq!(reader.count(&ListQuery::default()).unwrap(), 100);
    assert_eq!(reader.attempts(ids[0]).unwrap().len(), 1);
}

#[test]
fn durability_sets_the_sync_level() {
    let (_dir, store) = temp_store();
    let level = |s: &Store| -> i64 {
        s.conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(level(&store), 1, "NORMAL by default");
    assert_eq!(store.durability(), Durability::Normal);
    store.set_durability(Durability::Full).unwrap();
    assert_eq!(level(&store), 2);
    // What the writer's checkpoint thread is started with.
    assert_eq!(store.durability(), Durability::Full);
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn usual_valid_diagnostics_are_computed_on_read_and_the_rest_are_stored() {
    use crate::signature::{sign_headers, verify_capture, Secret};
    let (_dir, mut store) = temp_store();
    let one = Secret::parse("whsec_000102030405060708090a0b0c0d0e0f").unwrap();
    let other = Secret::parse("whsec_ffee").unwrap();
    let body = b"{\"event_type\":\"DOCVER\",\"x\":\"\\u00e9\\n\"}".to_vec();
    let t = 1_700_000_000;
    let signed: Vec<_> = sign_headers(&one, t, &body)
        .into_iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.into_bytes()))
        .collect();
    let judged = |secrets: &[Secret]| {
        let mut c = Capture::new(t * 1000, "POST", "/hook", signed.clone(), body.clone());
        (c.verdict, c.diagnostics) = verify_capture(&c.headers, &c.body, secrets, t + 2, 300);
        assert_eq!(c.verdict.status(), Status::Valid);
        c
    };
    let column = |store: &Store, id: CaptureId| -> Option<String> {
        store
            .conn
            .query_row(
                "SELECT diagnostics FROM captures WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };
    // One secret: everything in the diagnostics follows from the headers and body.
    let usual = judged(std::slice::from_ref(&one));
    let id = store.insert_capture(&usual).unwrap();
    assert_eq!(column(&store, id), None);
    assert_eq!(store.get(id).unwrap().unwrap().capture, usual);
    // Two secrets: the digest under the other one cannot be computed again, so it is stored.
    let rotated = judged(&[other, one]);
    assert_eq!(rotated.diagnostics.as_ref().unwrap().expected.len(), 2);
    let id = store.insert_capture(&rotated).unwrap();
    assert!(column(&store, id).is_some());
    assert_eq!(store.get(id).unwrap().unwrap().capture, rotated);
    // A valid capture stored without diagnostics reads back without them.
    let bare = Capture {
        diagnostics: None,
        ..usual.clone()
    };
    let id = store.insert_capture(&bare).unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().capture, bare);
    // Other verdicts keep theirs as they are.
    let stale = Capture {
        verdict: Verdict::Stale {
            scheme: Scheme::Dataspike,
            secret_index: 0,
            skew_s: 999,
            tolerance_s: 300,
        },
        ..usual
    };
    let id = store.insert_capture(&stale).unwrap();
    assert!(column(&store, id).is_some());
    assert_eq!(store.get(id).unwrap().unwrap().capture, stale);
}

#[cfg(unix)]
mod files;
mod search;
