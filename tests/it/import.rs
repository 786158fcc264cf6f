//! `import` judges what it stores as `listen` would have: with the local development secret
//! when no secret is given, so a fixture exported from a `listen` that used it reads PASS.

use crate::common::*;

#[test]
fn an_import_without_a_secret_uses_the_local_development_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let body = VECTOR_BODY.as_bytes();
    // A delivery signed with the development secret, captured by a listen that uses it.
    let l = Listener::start(&db, &[]);
    let dev = dev_secret_in(config_home());
    post(
        &l.addr,
        "/hook",
        &[("X-Webhook-Signature", &sign(&dev, now(), body))],
        body,
    );
    let id = l.next_line()["id"].as_i64().unwrap();
    l.stop();
    assert_eq!(show_json(&db, id)["verdict"]["status"], "valid");
    let out = dir.path().join("fixtures");
    let o = run(&[
        "export",
        &id.to_string(),
        "--out",
        out.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fixture = stdout(&o).trim().to_string();

    // Into another store, no --secret: judged with the development secret as of arrival.
    let other = dir.path().join("other.db");
    let o = run(&["import", &fixture, "--db", other.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("#1 valid POST /hook"),
        "{}",
        stdout(&o)
    );
    assert_eq!(show_json(&other, 1)["verdict"]["status"], "valid");
}
