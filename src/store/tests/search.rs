//! The query language against a real SQLite file: the FTS index, JSON fields, the app's
//! status, negation, and the migration that builds the index for an existing store.

use super::*;
use crate::capture::Source;

fn found(store: &Store, text: &str) -> Vec<CaptureId> {
    store
        .list(&ListQuery {
            query: q(text),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .iter()
        .map(|s| s.id)
        .collect()
}

fn add(store: &mut Store, path: &str, event: Option<&str>, verdict: Verdict, body: &[u8]) -> i64 {
    store
        .insert_capture(&capture(path, event, verdict, body))
        .unwrap()
}

/// After indexing what is pending, the index holds exactly the captures' words.
fn fts_is_consistent(store: &Store) {
    store.catch_up_index().unwrap();
    store
        .conn
        .execute(
            "INSERT INTO captures_fts (captures_fts, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .expect("the FTS index matches the captures table");
}

#[test]
fn bundled_sqlite_has_fts5_and_json() {
    let (_dir, store) = temp_store();
    let fts5: bool = store
        .conn
        .query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(fts5);
    let v: String = store
        .conn
        .query_row("SELECT json_extract('{\"a\":\"b\"}', '$.a')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(v, "b");
}

#[test]
fn a_rare_word_is_found_through_the_index() {
    let (_dir, mut store) = temp_store();
    let rows: Vec<Capture> = (0..3000)
        .map(|i| {
            let body = if i == 1234 {
                r#"{"note":"the Zebra-Crossing case"}"#.to_string()
            } else {
                format!(r#"{{"note":"ordinary {i}"}}"#)
            };
            capture("/hook", None, Verdict::Unsigned, body.as_bytes())
        })
        .collect();
    let refs: Vec<&Capture> = rows.iter().collect();
    let ids = store.insert_captures(&refs).unwrap();
    assert_eq!(found(&store, "zebra"), vec![ids[1234]]);
    assert_eq!(found(&store, "ZEBRA-crossing"), vec![ids[1234]]);
    assert_eq!(found(&store, "\"zebra crossing\""), vec![ids[1234]]);
    assert_eq!(found(&store, "zeb*"), vec![ids[1234]]);
    assert!(found(&store, "zeb").is_empty(), "whole words only");
    assert!(
        found(&store, "\"crossing zebra\"").is_empty(),
        "phrases keep order"
    );
    assert_eq!(found(&store, "ordinary 17"), vec![ids[17]]);
    let plan = crate::store::search::plan(&ListQuery {
        query: q("zebra"),
        ..Default::default()
    });
    let detail: Vec<String> = {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT c.id FROM {} {} ORDER BY {} DESC LIMIT 10",
            plan.from,
            plan.where_sql(),
            plan.key
        );
        let mut stmt = store.conn.prepare(&sql).unwrap();
        stmt.query_map(params_from_iter(plan.params.iter()), |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    assert!(
        detail[0].contains("VIRTUAL TABLE INDEX")
            && !detail.iter().any(|d| d.contains("TEMP B-TREE")),
        "{detail:?}"
    );
    // Words match the path too.
    let p = add(
        &mut store,
        "/webhooks/rare-path",
        None,
        Verdict::Unsigned,
        b"x",
    );
    assert_eq!(found(&store, "rare-path"), vec![p]);
}

#[test]
fn json_fields_compare_members_of_the_body() {
    let (_dir, mut store) = temp_store();
    let u = || Verdict::Unsigned;
    let high = add(
        &mut store,
        "/a",
        None,
        u(),
        br#"{"payload":{"risk_score":{"type":"High","score":80},"status":"verified","pep":true,"items":[{"id":"x1"}]}}"#,
    );
    let low = add(
        &mut store,
        "/a",
        None,
        u(),
        br#"{"payload":{"risk_score":{"type":"low","score":"80"},"status":"pending","pep":false,"note":null}}"#,
    );
    let missing = add(&mut store, "/a", None, u(), br#"{"payload":{}}"#);
    let text = add(
        &mut store,
        "/a",
        None,
        u(),
        b"High status=verified, not JSON",
    );
    let binary = add(&mut store, "/a", None, u(), b"\xff\xfe{\"payload\"}");
    assert_eq!(found(&store, "payload.risk_score.type=high"), vec![high]);
    assert_eq!(found(&store, "payload.risk_score.type=HIGH"), vec![high]);
    assert_eq!(
        found(&store, "payload.risk_score.score=80"),
        vec![low, high]
    );
    assert_eq!(found(&store, "payload.risk_score.score=\"80\""), vec![low]);
    assert_eq!(
        found(&store, "payload.risk_score.score=80.0"),
        vec![low, high].split_off(1)
    );
    assert_eq!(found(&store, "payload.pep=true"), vec![high]);
    assert_eq!(found(&store, "payload.note=null"), vec![low]);
    assert_eq!(found(&store, "payload.items.0.id=x1"), vec![high]);
    // Inequality: whatever is not that value, missing members and non-JSON bodies included.
    assert_eq!(
        found(&store, "payload.status!=verified"),
        vec![binary, text, missing, low]
    );
    assert_eq!(found(&store, "-payload.status!=verified"), vec![high]);
    assert_eq!(
        found(
            &store,
            "payload.status=verified payload.risk_score.type=High"
        ),
        vec![high]
    );
}

#[test]
fn status_is_the_apps_latest_answer() {
    let (_dir, mut store) = temp_store();
    let u = || Verdict::Unsigned;
    let recovered = add(&mut store, "/a", None, u(), b"one");
    let down = add(&mut store, "/a", None, u(), b"two");
    let rejected = add(&mut store, "/a", None, u(), b"three 401");
    let never = add(&mut store, "/a", None, u(), b"four");
    let refused = add(&mut store, "/a", None, u(), b"five");
    for (id, status) in [
        (recovered, Some(500)),
        (recovered, Some(200)),
        (down, Some(502)),
        (down, Some(503)),
        (rejected, Some(401)),
        (refused, None),
    ] {
        store.insert_attempt(&attempt(id, status)).unwrap();
    }
    assert_eq!(found(&store, "status:5xx"), vec![down]);
    assert_eq!(found(&store, "status:2xx"), vec![recovered]);
    assert_eq!(found(&store, "status:503"), vec![down]);
    assert!(
        found(&store, "status:500").is_empty(),
        "500 was not the latest"
    );
    assert_eq!(found(&store, "status:401"), vec![rejected]);
    assert_eq!(found(&store, "status:none"), vec![refused, never]);
    assert_eq!(
        found(&store, "-status:5xx"),
        vec![refused, never, rejected, recovered]
    );
    assert_eq!(found(&store, "status:4xx three"), vec![rejected]);
    // A bare code is the app's answer or a word of the body.
    assert_eq!(found(&store, "503"), vec![down]);
    let body_401 = add(&mut store, "/a", None, u(), b"code 401 in the text");
    assert_eq!(found(&store, "401"), vec![body_401, rejected]);
    assert_eq!(found(&store, "\"401\""), vec![body_401, rejected]);
    assert_eq!(found(&store, "status:401"), vec![rejected]);
}

#[test]
fn verdicts_events_paths_times_and_negation() {
    let (_dir, mut store) = temp_store();
    let (valid, invalid) = (pass(), fail());
    let pass = add(
        &mut store,
        "/dataspike/hook",
        Some("DOCVER"),
        valid,
        br#"{"event_type":"DOCVER","note":"sandbox"}"#,
    );
    let fail = add(
        &mut store,
        "/dataspike/other",
        Some("AML_SCREENING"),
        invalid,
        br#"{"event_type":"AML_SCREENING"}"#,
    );
    let unsigned = add(
        &mut store,
        "/other",
        None,
        Verdict::Unsigned,
        b"the check failed: FAIL",
    );
    let unverified = add(
        &mut store,
        "/other",
        None,
        Verdict::Unverified {
            scheme: Scheme::Dataspike,
        },
        b"x",
    );
    let mut old = capture("/old", None, Verdict::Unsigned, b"imported one");
    old.received_at_ms = 1_600_000_000_000;
    old.source = Source::Imported;
    let imported = store.insert_capture(&old).unwrap();

    assert_eq!(found(&store, "badge:FAIL"), vec![imported, unsigned, fail]);
    assert_eq!(found(&store, "verdict:INVALID"), vec![fail]);
    assert_eq!(found(&store, "badge:pass"), vec![pass]);
    assert_eq!(found(&store, "badge:--"), vec![unverified]);
    // A bare badge word: the verdict, or the word in the body.
    assert_eq!(found(&store, "fail"), vec![imported, unsigned, fail]);
    assert_eq!(found(&store, "--"), vec![unverified]);
    assert_eq!(
        found(&store, "\"FAIL\""),
        vec![unsigned],
        "quoted: text only"
    );
    assert_eq!(found(&store, "-badge:FAIL"), vec![unverified, pass]);
    assert_eq!(found(&store, "event:docver"), vec![pass]);
    assert_eq!(found(&store, "event:Aml_Screening"), vec![fail]);
    assert_eq!(
        found(&store, "-event:docver"),
        vec![imported, unverified, unsigned, fail]
    );
    assert_eq!(found(&store, "docver"), vec![pass]);
    assert_eq!(found(&store, "path:/dataspike"), vec![fail, pass]);
    assert!(
        found(&store, "path:/DATASPIKE").is_empty(),
        "paths are case-sensitive"
    );
    assert_eq!(found(&store, "source:imported"), vec![imported]);
    assert_eq!(found(&store, "before:2020-09-14"), vec![imported]);
    assert_eq!(
        found(&store, "since:2020-09-14"),
        vec![unverified, unsigned, fail, pass]
    );
    assert_eq!(
        found(&store, "scheme:dataspike"),
        vec![unverified, fail, pass]
    );
    assert_eq!(found(&store, "dataspike -sandbox"), vec![fail]);
    assert_eq!(
        found(&store, "-sandbox -imported"),
        vec![unverified, unsigned, fail]
    );
    assert_eq!(
        found(&store, "event:DOCVER badge:FAIL"),
        Vec::<CaptureId>::new()
    );
    // The flags' filters are the same terms.
    let flags = ListQuery {
        query: q("event:docver"),
        verdict: Some(Status::Valid),
        ..Default::default()
    };
    assert_eq!(store.count(&flags).unwrap(), 1);
}

#[test]
fn the_index_follows_deletes_updates_and_binary_bodies() {
    let (_dir, mut store) = temp_store();
    let bin = add(
        &mut store,
        "/b",
        None,
        Verdict::Unsigned,
        b"\xff\xfe\x00binaryword \xc3 more",
    );
    let keep = add(&mut store, "/k", None, Verdict::Unsigned, b"keepword");
    assert_eq!(found(&store, "binaryword"), vec![bin]);
    assert_eq!(found(&store, "more"), vec![bin]);
    fts_is_consistent(&store);
    store
        .conn
        .execute(
            "UPDATE captures SET body = x'6e6577776f7264' WHERE id = ?1",
            [keep],
        )
        .unwrap();
    assert!(found(&store, "keepword").is_empty());
    assert_eq!(found(&store, "newword"), vec![keep]);
    store
        .conn
        .execute("DELETE FROM captures WHERE id = ?1", [bin])
        .unwrap();
    assert!(found(&store, "binaryword").is_empty());
    fts_is_consistent(&store);
}

#[test]
fn a_capture_is_indexed_after_its_commit_and_a_search_never_misses_it() {
    let (_dir, mut store) = temp_store();
    let a = add(&mut store, "/a", None, Verdict::Unsigned, b"first walrus");
    assert_eq!(store.unindexed().unwrap(), 1, "committing does not index");
    assert_eq!(
        found(&store, "walrus"),
        vec![a],
        "the search indexes it first"
    );
    assert_eq!(store.unindexed().unwrap(), 0);
    let b = add(&mut store, "/b", None, Verdict::Unsigned, b"second walrus");
    let counted = store
        .count(&ListQuery {
            query: q("walrus"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(counted, 2, "a count indexes first too");
    assert_eq!(found(&store, "walrus"), vec![b, a]);
    // Queries without words leave the index alone.
    add(&mut store, "/c", None, Verdict::Unsigned, b"third");
    assert_eq!(found(&store, "path:/c").len(), 1);
    assert_eq!(store.unindexed().unwrap(), 1);
    fts_is_consistent(&store);
}

#[test]
fn an_indexing_chunk_ends_once_its_bodies_pass_the_byte_budget() {
    let (_dir, mut store) = temp_store();
    let big = vec![b'x'; 300 * 1024];
    let first = add(&mut store, "/big", None, Verdict::Unsigned, &big);
    for _ in 1..10 {
        add(&mut store, "/big", None, Verdict::Unsigned, &big);
    }
    let huge = add(
        &mut store,
        "/huge",
        None,
        Verdict::Unsigned,
        &vec![b'y'; 3 << 20],
    );
    add(
        &mut store,
        "/small",
        None,
        Verdict::Unsigned,
        b"tail walrus",
    );
    // 300 KiB bodies: the fourth starts below 1 MiB, the fifth would not.
    let chunk = text_index::index_some(&store.conn, 512).unwrap();
    assert_eq!((chunk.indexed, chunk.done), (4, false));
    let mut chunks = vec![chunk.indexed];
    loop {
        let chunk = text_index::index_some(&store.conn, 512).unwrap();
        chunks.push(chunk.indexed);
        if chunk.done {
            break;
        }
        assert!(chunks.len() < 20, "never done: {chunks:?}");
    }
    // 4 + 4 of the big ones; the last 2 with the 3 MiB one (what comes before it is under
    // the budget), which ends that chunk; then the small one.
    assert_eq!(chunks, vec![4, 4, 3, 1]);
    assert_eq!(store.unindexed().unwrap(), 0);
    assert_eq!(found(&store, "walrus").len(), 1);
    assert!(huge > first);
    fts_is_consistent(&store);
}

#[test]
fn ids_that_come_back_after_the_newest_are_deleted_get_indexed() {
    // Captures have no AUTOINCREMENT: deleting the newest rows gives their ids out again, and
    // the index's mark must not count a reused id as indexed.
    for newest_first in [false, true] {
        let (_dir, mut store) = temp_store();
        for i in 0..6 {
            if i == 4 {
                store.catch_up_index().unwrap();
            }
            let body = format!("old{i}");
            add(&mut store, "/old", None, Verdict::Unsigned, body.as_bytes());
        }
        assert_eq!(store.unindexed().unwrap(), 2);
        // Indexed rows 3 and 4 and unindexed rows 5 and 6 go, in either order.
        let ids: &[i64] = if newest_first {
            &[6, 5, 4, 3]
        } else {
            &[3, 4, 5, 6]
        };
        for id in ids {
            store
                .conn
                .execute("DELETE FROM captures WHERE id = ?1", [id])
                .unwrap();
        }
        let reborn = add(&mut store, "/new", None, Verdict::Unsigned, b"reborn okapi");
        assert_eq!(reborn, 3, "the id comes back");
        assert_eq!(
            found(&store, "okapi"),
            vec![3],
            "newest first: {newest_first}"
        );
        assert_eq!(found(&store, "old1"), vec![2]);
        assert!(found(&store, "old2").is_empty() && found(&store, "old3").is_empty());
        fts_is_consistent(&store);
    }
}

/// A store file at schema `version` holding unsigned captures with `bodies` on `path`, as an
/// older hookscope left it; its connection, for more rows.
fn old_store(
    file: &std::path::Path,
    version: i64,
    path: &str,
    bodies: &[&str],
) -> rusqlite::Connection {
    let mut conn = rusqlite::Connection::open(file).unwrap();
    schema::migrate(&mut conn, version).unwrap();
    for body in bodies {
        conn.execute(
            "INSERT INTO captures (received_at_ms, method, path, headers, body, body_size,
               verdict, verdict_json)
             VALUES (1, 'POST', ?1, x'', CAST(?2 AS BLOB), 2, 'unsigned', '{\"status\":\"unsigned\"}')",
            [path, body],
        )
        .unwrap();
    }
    conn
}

#[test]
fn migration_8_keeps_what_the_trigger_indexed_and_indexes_the_rest_later() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v7.db");
    old_store(
        &path,
        7,
        "/p",
        &["before upgrade", "indexed by the trigger"],
    );
    let mut store = Store::open(&path, OpenMode::Existing).unwrap();
    assert_eq!(store.unindexed().unwrap(), 0);
    fts_is_consistent(&store);
    let new = add(&mut store, "/n", None, Verdict::Unsigned, b"after upgrade");
    assert_eq!(store.unindexed().unwrap(), 1);
    assert_eq!(found(&store, "upgrade"), vec![new, 1]);
    assert_eq!(found(&store, "trigger"), vec![2]);
}

#[test]
fn migration_builds_the_index_for_an_existing_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    {
        let conn = old_store(
            &path,
            3,
            "/old/path",
            &["first needle", "second", "\u{1F600} third"],
        );
        conn.execute(
            "INSERT INTO attempts (capture_id, kind, at_ms, target, resigned, status,
               response_headers, response_body)
             VALUES (2, 'forward', 1, 'http://x', 0, 502, x'', x'')",
            [],
        )
        .unwrap();
    }
    let mut store = Store::open(&path, OpenMode::Existing).unwrap();
    assert_eq!(schema::version(&store.conn).unwrap(), CURRENT_VERSION);
    assert_eq!(found(&store, "needle"), vec![1]);
    assert_eq!(found(&store, "third"), vec![3]);
    assert_eq!(found(&store, "old"), vec![3, 2, 1], "paths are indexed too");
    assert_eq!(found(&store, "status:5xx"), vec![2]);
    fts_is_consistent(&store);
    let new = add(&mut store, "/n", None, Verdict::Unsigned, b"needle again");
    assert_eq!(found(&store, "needle"), vec![new, 1]);
}

#[test]
fn purge_leaves_no_word_in_the_index_or_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let mut store = Store::open(&path, OpenMode::Create).unwrap();
    let mut old = capture(
        "/a",
        None,
        Verdict::Unsigned,
        b"applicant Qwzxjvkplm born 1990",
    );
    old.received_at_ms = 1_000;
    store.insert_capture(&old).unwrap();
    let rows: Vec<Capture> = (0..500)
        .map(|i| {
            capture(
                "/a",
                None,
                Verdict::Unsigned,
                format!("filler {i}").as_bytes(),
            )
        })
        .collect();
    let refs: Vec<&Capture> = rows.iter().collect();
    store.insert_captures(&refs).unwrap();
    assert_eq!(found(&store, "qwzxjvkplm").len(), 1);
    assert_eq!(store.purge_before(2_000).unwrap(), 1);
    assert!(found(&store, "qwzxjvkplm").is_empty());
    fts_is_consistent(&store);
    store.compact().unwrap();
    drop(store);
    for file in crate::store::database_files(&path) {
        if let Ok(bytes) = std::fs::read(&file) {
            let hit = bytes
                .windows(10)
                .any(|w| w.eq_ignore_ascii_case(b"qwzxjvkplm"));
            assert!(!hit, "'{}' still holds the purged word", file.display());
        }
    }
}

#[test]
fn odd_words_never_make_a_bad_fts_query() {
    let (_dir, mut store) = temp_store();
    add(
        &mut store,
        "/a",
        None,
        Verdict::Unsigned,
        "x² café ﬁ Ⅻ".as_bytes(),
    );
    for q in [
        "\u{0345}",
        "²",
        "x²",
        "café",
        "cafe",
        "ﬁ",
        "Ⅻ",
        "a\u{200b}b",
        "\"\u{0345}\"",
        "\u{0345}*",
        "x -\u{0345}",
        "\"\"\"\"",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "a:b:c",
        "^x",
        "x+y",
        "(x)",
    ] {
        let query = match crate::query::parse(q, 0) {
            Ok(query) => query,
            Err(_) => continue,
        };
        store
            .list(&ListQuery {
                query,
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
}

#[test]
fn event_names_an_event_type_or_the_event_a_delivery_belongs_to() {
    let (_dir, mut store) = temp_store();
    let mut keyed = |key: &str, event: Option<&str>| {
        let mut c = capture("/hook", event, Verdict::Unsigned, b"{}");
        c.event_key = Some(key.to_string());
        store.insert_capture(&c).unwrap()
    };
    let a1 = keyed("01927c3e-aaaa", Some("DOCVER"));
    let b = keyed("01927c3e-bbbb", None);
    let a2 = keyed("01927c3e-aaaa", None);
    let docver = keyed("DOCVER", None);
    assert_eq!(found(&store, "event:01927c3e-aaaa"), vec![a2, a1]);
    assert_eq!(found(&store, "event:01927c3e…"), vec![a2, b, a1]);
    assert_eq!(found(&store, "event:01927c3e-b*"), vec![b]);
    assert_eq!(
        found(&store, "event:01927c3e"),
        Vec::<CaptureId>::new(),
        "exact without *"
    );
    assert_eq!(
        found(&store, "event:docver"),
        vec![a1],
        "the type in any case"
    );
    assert_eq!(
        found(&store, "event:DOCVER"),
        vec![docver, a1],
        "or the key, exactly"
    );
    assert_eq!(found(&store, "-event:01927c3e*"), vec![docver]);
}
