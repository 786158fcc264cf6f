//! `hookscope.toml` through the real binary: `config check` on good and bad files, and
//! `listen --config` with two routes to two real apps.

use crate::common::*;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn config_check_prints_settings_secret_references_and_routes() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = write(dir.path(), "stripe.secret", "whsec_dGVzdHNlY3JldHZhbHVl\n");
    let cfg = write(
        dir.path(),
        "hookscope.toml",
        &format!(
            r#"port = 8088
respond = "ack"

[[secret]]
scheme = "stripe"
secret = "file:{secret_file}"

[[secret]]
secret = "env:HOOKSCOPE_TEST_UNSET_SECRET"

[[route]]
prefix = "/stripe"
scheme = "stripe"
to = "http://127.0.0.1:4001"

[[route]]
name = "kyc"
prefix = "/dataspike"
to = "http://127.0.0.1:4002/in"
strip-prefix = true
"#
        ),
    );
    let o = bin()
        .args(["config", "check", "--config", &cfg])
        .env_remove("HOOKSCOPE_TEST_UNSET_SECRET")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("is valid"), "{out}");
    assert!(out.contains("port             8088"), "{out}");
    assert!(out.contains("respond          ack"), "{out}");
    assert!(
        out.contains("host             127.0.0.1 (default)"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "#0 stripe    file:{secret_file}  (line 6)  resolved"
        )),
        "{out}"
    );
    assert!(
        out.contains("env:HOOKSCOPE_TEST_UNSET_SECRET  (line 9)  NOT RESOLVED: environment variable 'HOOKSCOPE_TEST_UNSET_SECRET' is not set"),
        "{out}"
    );
    assert!(
        !out.contains("dGVzdHNlY3JldHZhbHVl"),
        "never the value: {out}"
    );
    assert!(
        out.contains("1. /stripe (stripe) → http://127.0.0.1:4001/"),
        "{out}"
    );
    assert!(
        out.contains("2. kyc: /dataspike → http://127.0.0.1:4002/in (prefix stripped)"),
        "{out}"
    );
    assert!(out.contains("anything else: captured and answered, not forwarded (no route)"));
}

#[test]
fn config_check_refuses_a_literal_secret_and_an_unknown_key_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let literal = write(
        dir.path(),
        "literal.toml",
        "port = 1\n\n[[secret]]\nscheme = \"stripe\"\nsecret = \"whsec_bGl0ZXJhbHNlY3JldA\"\n",
    );
    let o = run(&["config", "check", "--config", &literal]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "literal.toml', line 5, column 10: 'secret' looks like a secret written into the file"
        ),
        "{err}"
    );
    assert!(err.contains("secret = \"env:NAME\""), "{err}");
    assert!(!err.contains("bGl0ZXJhbHNlY3JldA"), "never echoed: {err}");

    let unknown = write(
        dir.path(),
        "unknown.toml",
        "port = 1\n[[route]]\nprefix = \"/a\"\nto = \"http://127.0.0.1:1\"\nstrip_prefx = true\n",
    );
    let o = run(&["config", "check", "--config", &unknown]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 5, column 1: unknown key 'strip_prefx': did you mean 'strip-prefix'?"),
        "{err}"
    );

    // Nothing to check is a usage error too, saying how to give a file.
    let o = bin()
        .args(["config", "check"])
        .current_dir(dir.path())
        .env_remove("HOOKSCOPE_CONFIG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pass --config PATH"), "{}", stderr(&o));
}

#[test]
fn each_prefix_reaches_only_its_app_and_an_unmatched_delivery_is_stored_not_forwarded() {
    let payments = TestApp::start(Behaviour::default());
    let kyc = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "hookscope.toml",
        &format!(
            r#"# flags given by the test (--port 0, --db) win over these
port = 1
[[secret]]
secret = "env:ROUTES_TEST_SECRET"

[[route]]
name = "payments"
prefix = "/stripe"
to = "{}"

[[route]]
prefix = "/dataspike"
to = "{}/kyc"
strip-prefix = true
"#,
            payments.url(),
            kyc.url()
        ),
    );
    let db = dir.path().join("h.db");
    // The file's secret resolves from the environment the listener runs in: the child's own,
    // never this test process's, which every other test shares.
    let l = Listener::start_env(&db, &["--config", &cfg], &[("ROUTES_TEST_SECRET", SECRET)]);

    let body = br#"{"id":"e1","event_type":"DOCVER"}"#;
    let sig = sign(SECRET, now(), body);
    let to_stripe = post(&l.addr, "/stripe/events?x=1", &[], b"{}");
    assert_eq!(to_stripe.status, 200);
    let first = l.next_line();
    assert_eq!(first["route"], "payments", "{first}");
    let to_kyc = post(
        &l.addr,
        "/dataspike/hook",
        &[("X-Webhook-Signature", &sig)],
        body,
    );
    assert_eq!(to_kyc.status, 200);
    let second = l.next_line();
    assert_eq!(second["route"], "/dataspike", "{second}");
    assert_eq!(second["verdict"]["status"], "valid", "{second}");
    let elsewhere = post(&l.addr, "/github/push", &[], b"{}");
    assert_eq!(elsewhere.status, 200, "captured and acknowledged");
    let third = l.next_line();
    assert_eq!(third["route"], serde_json::Value::Null, "{third}");
    assert_eq!(third["note"], "not forwarded: no route", "{third}");
    l.stop();

    let p = payments.received();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].uri, "/stripe/events?x=1", "path kept as received");
    let k = kyc.received();
    assert_eq!(k.len(), 1, "{k:?}");
    assert_eq!(k[0].uri, "/kyc/hook", "prefix stripped, target path kept");
    assert_eq!(k[0].body, body);

    let listed = list_json(&db, &[]);
    assert_eq!(listed.len(), 3, "every delivery is stored");
    let routes: Vec<&serde_json::Value> = listed.iter().map(|c| &c["route"]).collect();
    assert_eq!(
        routes,
        [
            &serde_json::Value::Null,
            &serde_json::json!("/dataspike"),
            &serde_json::json!("payments")
        ],
        "newest first"
    );
    let shown = run(&["show", "3", "--db", db.to_str().unwrap()]);
    assert!(!stdout(&shown).contains("route:"), "{}", stdout(&shown));
    let shown = run(&["show", "1", "--db", db.to_str().unwrap()]);
    assert!(
        stdout(&shown).contains("route: payments"),
        "{}",
        stdout(&shown)
    );
}
