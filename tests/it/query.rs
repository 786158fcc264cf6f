//! The query language through the real binary: `list --query`, `export --query`, the flags as
//! terms, and errors that point at the token.

use crate::common::{run, stderr, stdout};
use std::path::Path;

fn fixture(dir: &Path, name: &str, path: &str, body: &str) -> String {
    let f = dir.join(format!("{name}.json"));
    let json = serde_json::json!({
        "hookscope_fixture": 1,
        "method": "POST",
        "path": path,
        "headers": [["Content-Type", "application/json"]],
        "body": body,
    });
    std::fs::write(&f, json.to_string()).unwrap();
    f.to_str().unwrap().to_string()
}

fn ids(db: &str, args: &[&str]) -> Vec<i64> {
    let mut all = vec!["list", "--json", "--db", db];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[test]
fn list_and_export_take_a_query() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        fixture(
            dir.path(),
            "a",
            "/dataspike/hook",
            r#"{"event_type":"DOCVER","payload":{"status":"verified","applicant":"Zelda Quux"}}"#,
        ),
        fixture(
            dir.path(),
            "b",
            "/dataspike/hook",
            r#"{"event_type":"AML_SCREENING","payload":{"risk_score":{"type":"High"}}}"#,
        ),
        fixture(dir.path(), "c", "/other", "plain text, not JSON"),
    ];
    let db = dir.path().join("q.db");
    let db = db.to_str().unwrap();
    let mut args = vec!["import", "--db", db];
    args.extend(files.iter().map(String::as_str));
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));

    assert_eq!(ids(db, &["--query", "zelda"]), vec![1]);
    assert_eq!(ids(db, &["-q", "\"zelda quux\" event:docver"]), vec![1]);
    assert_eq!(
        ids(db, &["--query", "payload.risk_score.type=high"]),
        vec![2]
    );
    assert_eq!(
        ids(db, &["--query", "payload.status!=verified"]),
        vec![3, 2]
    );
    assert_eq!(ids(db, &["--query", "path:/dataspike -docver"]), vec![2]);
    assert_eq!(
        ids(db, &["--query", "status:none source:imported"]),
        vec![3, 2, 1]
    );
    // Imported captures without a secret are unsigned: FAIL.
    assert_eq!(ids(db, &["--query", "badge:fail"]), vec![3, 2, 1]);
    assert_eq!(
        ids(db, &["--event", "docver"]),
        vec![1],
        "--event is any case too"
    );
    assert_eq!(
        ids(db, &["--event", "AML_SCREENING", "--query", "high"]),
        vec![2],
        "flags and the query AND together"
    );

    let o = run(&["list", "--db", db, "--query", "badge:FAIL status:6xx"]);
    assert_eq!(o.status.code(), Some(2), "a bad query is a usage error");
    let err = stderr(&o);
    assert!(
        err.contains("--query: status class must be 1xx-5xx, e.g. status:5xx\n  badge:FAIL status:6xx\n                    ^^^"),
        "{err}"
    );

    assert!(
        ids(db, &["--query", "high zelda"]).is_empty(),
        "words AND together"
    );
    let o = run(&[
        "export", "--db", db, "--query", "zelda", "--format", "curl", "--out", "-",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let script = stdout(&o);
    assert!(
        script.contains("Zelda Quux") && !script.contains("AML_SCREENING"),
        "{script}"
    );
}

#[test]
fn a_word_query_after_a_burst_indexes_it_first_and_says_so() {
    use hookscope::capture::Capture;
    use hookscope::store::{OpenMode, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("burst.db");
    // Committed as listen commits a burst: stored, not yet indexed.
    let mut store = Store::open(&db, OpenMode::Create).unwrap();
    let rows: Vec<Capture> = (0..20_000)
        .map(|i| {
            let body = if i == 12_345 {
                "the okapi case".to_string()
            } else {
                format!("filler {i}")
            };
            Capture::new(
                1_700_000_000_000,
                "POST",
                "/hook",
                Vec::new(),
                body.into_bytes(),
            )
        })
        .collect();
    let refs: Vec<&Capture> = rows.iter().collect();
    store.insert_captures(&refs).unwrap();
    drop(store);
    let db = db.to_str().unwrap();
    let o = run(&["list", "--query", "okapi", "--db", db]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("indexing 20000 captures for search first"),
        "{}",
        stderr(&o)
    );
    assert_eq!(ids(db, &["--query", "okapi"]), vec![12_346]);
    let again = run(&["list", "--query", "okapi", "--db", db]);
    assert!(
        stderr(&again).is_empty(),
        "indexed once: {}",
        stderr(&again)
    );
}
