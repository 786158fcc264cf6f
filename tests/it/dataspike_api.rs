//! `hookscope dataspike register|rotate|webhooks|history` against a stand-in Dataspike API
//! (issue 22): from `register` to a PASS without `--secret`, rotation with both secrets
//! named, the history pulled once with Dataspike's delivery facts and replayed re-signed, each
//! error the issue lists, the token nowhere, and an API call through a real proxy.

use crate::common::*;
use crate::dataspike_stand_in::{Scripted, StandIn};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

const TOKEN: &str = "dstok_7f3a9c0e5b1d42_never_shown";
const RELAY_URL: &str = "https://relay.example.com/c/Xk3abc";

/// A developer's machine with its own config directory (the secret store) and database, and
/// a stand-in Dataspike account.
struct Account {
    home: tempfile::TempDir,
    api: StandIn,
    /// Everything every command printed, to search for the token.
    printed: Mutex<Vec<u8>>,
}

impl Account {
    fn new(page_size: usize) -> Account {
        Account {
            home: tempfile::tempdir().unwrap(),
            api: StandIn::start(TOKEN, page_size),
            printed: Mutex::new(Vec::new()),
        }
    }

    fn config(&self) -> PathBuf {
        self.home.path().join("config")
    }

    fn db(&self) -> PathBuf {
        self.home.path().join("h.db")
    }

    fn store_file(&self) -> PathBuf {
        self.config().join("hookscope/secrets.json")
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("XDG_CONFIG_HOME", self.config().display().to_string()),
            ("DATASPIKE_API_TOKEN", TOKEN.to_string()),
            ("DATASPIKE_API_URL", self.api.url()),
            ("HOOKSCOPE_DATASPIKE_BACKOFF_MS", "10".to_string()),
        ]
    }

    fn cmd(&self) -> Command {
        let mut c = bin();
        c.envs(self.env());
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let o = self.cmd().args(args).output().unwrap();
        let mut p = self.printed.lock().unwrap();
        p.extend_from_slice(&o.stdout);
        p.extend_from_slice(&o.stderr);
        o
    }

    fn ok(&self, args: &[&str]) -> Output {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "hookscope {args:?} failed ({:?}):\n{}{}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        );
        o
    }

    /// `register --url RELAY_URL --json`, returning its JSON.
    fn register(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["dataspike", "register", "--url", RELAY_URL, "--json"];
        args.extend_from_slice(extra);
        serde_json::from_str(stdout(&self.ok(&args)).trim()).unwrap()
    }

    fn listen(&self, extra: &[&str]) -> Listener {
        Listener::start_env(&self.db(), extra, &self.env())
    }

    /// Everything printed so far, and the files hookscope wrote, must not hold the token.
    fn assert_token_nowhere(&self) {
        let printed = String::from_utf8_lossy(&self.printed.lock().unwrap()).into_owned();
        assert!(
            !printed.contains(TOKEN),
            "the token was printed:\n{printed}"
        );
        for f in walk(self.home.path()) {
            let bytes = std::fs::read(&f).unwrap();
            assert!(
                !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
                "the token is in '{}'",
                f.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn delivery(secret: &str, id: &str) -> (String, Vec<u8>) {
    let body = format!(
        r#"{{"id":"{id}","webhook_id":"w","event_type":"DOCVER","timestamp":"2024-01-02T03:04:05Z","payload":{{}}}}"#
    )
    .into_bytes();
    (sign(secret, now(), &body), body)
}

/// Posts a delivery signed with `secret` and returns the capture line `listen` printed.
fn deliver(l: &Listener, secret: &str, id: &str) -> serde_json::Value {
    let (sig, body) = delivery(secret, id);
    let r = post(
        &l.addr,
        "/dataspike",
        &[
            ("X-Webhook-Signature", &sig),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(r.status, 200);
    l.next_line()
}

#[test]
fn register_keeps_the_secret_and_listen_verifies_with_it_without_secret() {
    let a = Account::new(50);
    let out = a.register(&["--events", "docver,aml_screening"]);
    let id = out["id"].as_str().unwrap().to_string();
    assert_eq!(out["url"], RELAY_URL);
    assert_eq!(
        out["events"],
        serde_json::json!(["DOCVER", "AML_SCREENING"])
    );
    assert_eq!(out["secret_stored"], true);
    assert!(
        out.get("secret").is_none(),
        "not shown without --print-secret"
    );
    // What the API got: the documented request, the token in its header.
    let seen = a.api.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].uri.as_str()),
        ("POST", "/api/v3/organization/webhooks")
    );
    assert_eq!(seen[0].token.as_deref(), Some(TOKEN));
    assert_eq!(
        seen[0].body,
        serde_json::json!({"is_sandbox": true, "webhook_url": RELAY_URL, "event_types": ["DOCVER", "AML_SCREENING"], "enabled": true})
    );
    let secret = a.api.secret_of(&id);
    assert_eq!(a.api.hooks()[0].url, RELAY_URL);
    // The store: private, and holding it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(a.store_file())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(std::fs::read_to_string(a.store_file())
        .unwrap()
        .contains(&secret));
    // The text form says it is stored and does not show it.
    let text = stdout(&a.ok(&[
        "dataspike",
        "register",
        "--url",
        "https://relay.example.com/c/other",
    ]));
    assert!(text.contains("secret:  stored, not shown"), "{text}");
    assert!(
        text.starts_with("registered Dataspike custom webhook "),
        "{text}"
    );
    let second = a.api.hooks()[1].clone();
    assert!(!text.contains(&second.secret[6..]), "{text}");
    // --print-secret shows it once.
    let shown = a.register(&["--print-secret"]);
    let third = a.api.secret_of(shown["id"].as_str().unwrap());
    assert_eq!(shown["secret"], third.as_str());

    // listen without --secret verifies with the stored secrets: PASS, and says which.
    let l = a.listen(&[]);
    let line = deliver(&l, &secret, "e1");
    assert_eq!(line["verdict"]["status"], "valid", "{line}");
    let short = &id[..8];
    assert_eq!(
        line["secret"],
        format!("current secret of custom webhook {short}…"),
        "{line}"
    );
    // A delivery signed with an unknown secret fails: the dev secret is not loaded.
    let wrong = deliver(&l, &crate::dataspike_stand_in::fresh_secret(), "e2");
    assert_eq!(wrong["verdict"]["status"], "invalid", "{wrong}");
    let (_, _, err) = l.stop_with_output();
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains(&format!("current secret of custom webhook {short}…")),
        "{err}"
    );
    assert!(!err.contains("local development secret"), "{err}");
    let show = stdout(&a.ok(&["show", &line["id"].to_string(), "--db", p(&a.db())]));
    assert!(
        show.contains(&format!(
            "matched secret: current secret of custom webhook {short}…"
        )),
        "{show}"
    );
    // webhooks lists what the store knows, never a secret.
    let list = a.ok(&["dataspike", "webhooks", "--json"]);
    let rows: Vec<serde_json::Value> = stdout(&list)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(rows
        .iter()
        .any(|r| r["id"] == id.as_str() && r["url"] == RELAY_URL));
    assert!(!stdout(&list).contains(&secret[6..]));
    assert!(
        stderr(&list).contains("documents no list of webhooks"),
        "{}",
        stderr(&list)
    );
    a.assert_token_nowhere();
}

#[test]
fn rotate_keeps_the_old_secret_for_keep_old_and_names_which_matched() {
    let a = Account::new(50);
    let id = a.register(&[])["id"].as_str().unwrap().to_string();
    let old = a.api.secret_of(&id);
    let text = stdout(&a.ok(&["dataspike", "rotate", "--keep-old", "2h"]));
    assert!(
        text.starts_with("rotated the signing secret of Dataspike custom webhook"),
        "{text}"
    );
    assert!(text.contains("old secret: still verifies until"), "{text}");
    let new = a.api.secret_of(&id);
    assert_ne!(old, new);
    let seen = a.api.seen();
    assert_eq!(
        seen[1].uri,
        format!("/api/v3/organization/webhooks/{id}/hmac/rotate")
    );
    assert_eq!(seen[1].token.as_deref(), Some(TOKEN));
    let l = a.listen(&[]);
    let short = &id[..8];
    let with_new = deliver(&l, &new, "e1");
    assert_eq!(with_new["verdict"]["status"], "valid");
    assert_eq!(
        with_new["secret"],
        format!("current secret of custom webhook {short}…")
    );
    let with_old = deliver(&l, &old, "e2");
    assert_eq!(with_old["verdict"]["status"], "valid", "{with_old}");
    let named = with_old["secret"].as_str().unwrap();
    assert!(
        named.starts_with(&format!(
            "previous secret of custom webhook {short}…, rotated "
        )) && named.ends_with(" s ago"),
        "{named}"
    );
    l.stop();
    let show = stdout(&a.ok(&["show", &with_old["id"].to_string(), "--db", p(&a.db())]));
    assert!(
        show.contains("matched secret: previous secret of custom webhook"),
        "{show}"
    );
    // verify finds it with the stored secrets too.
    let v = a.ok(&[
        "verify",
        &with_old["id"].to_string(),
        "--db",
        p(&a.db()),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert!(
        v["secret"].as_str().unwrap().starts_with("previous secret"),
        "{v}"
    );

    // --keep-old 0: the old one is gone at once, and a delivery signed with it fails.
    a.ok(&["dataspike", "rotate", &id, "--keep-old", "0"]);
    let newest = a.api.secret_of(&id);
    let l = a.listen(&[]);
    assert_eq!(deliver(&l, &new, "e3")["verdict"]["status"], "invalid");
    assert_eq!(deliver(&l, &newest, "e4")["verdict"]["status"], "valid");
    l.stop();
    assert!(!std::fs::read_to_string(a.store_file())
        .unwrap()
        .contains(&new[6..]));
    a.assert_token_nowhere();
}

fn entry(id: &str, webhook: &str, code: u16, attempts: i64) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "webhook_id": webhook,
        "event_type": "DOCVER",
        "timestamp": "2024-05-06T07:08:09.000Z",
        "payload": {"status": "verified", "applicant_id": format!("app-{id}")},
        "attempts": attempts,
        "response_code": code,
        "last_attempt_at": "2024-05-06T07:20:00.000Z",
        "is_sandbox": true,
        "retry_policy": "exponential"
    })
}

#[test]
fn history_is_pulled_once_with_dataspikes_facts_and_replays_re_signed() {
    let a = Account::new(2);
    let id = a.register(&[])["id"].as_str().unwrap().to_string();
    a.api.add_history([
        entry("ev-1", &id, 500, 3),
        entry("ev-2", &id, 200, 1),
        entry("ev-3", &id, 503, 5),
    ]);
    let o = a.ok(&["dataspike", "history", "--db", p(&a.db()), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pages"], 2, "{v}");
    assert_eq!(v["added"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["not_understood"], serde_json::json!(["retry_policy"]));
    let err = stderr(&o);
    assert!(
        err.contains(
            "from Dataspike's history: the JSON as Dataspike reports it, not the bytes it sent"
        ),
        "{err}"
    );
    // Paged with has_next: the second request asks after the last id of the first page.
    let history: Vec<_> = a
        .api
        .seen()
        .into_iter()
        .filter(|s| s.method == "GET")
        .collect();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1].uri,
        "/api/v3/notifications/webhook/history?after=ev-2"
    );
    // Pulled twice: nothing stored twice.
    let again = a.ok(&["dataspike", "history", "--db", p(&a.db()), "--json"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (
            again["added"].as_array().unwrap().len(),
            again["unchanged"].as_u64()
        ),
        (0, Some(3)),
        "{again}"
    );
    assert_eq!(list_json(&a.db(), &[]).len(), 3);
    // Queryable: the source, and what Dataspike saw fail.
    assert_eq!(
        list_json(&a.db(), &["--query", "source:dataspike"]).len(),
        3
    );
    let failed = list_json(&a.db(), &["--query", "source:dataspike delivery:failed"]);
    assert_eq!(failed.len(), 2);
    assert_eq!(list_json(&a.db(), &["--query", "delivery:503"]).len(), 1);
    // show --json and show: the facts as reported.
    let first = v["added"][0].as_i64().unwrap();
    let shown = show_json(&a.db(), first);
    assert_eq!(shown["source"], "dataspike");
    assert_eq!(shown["dataspike"]["attempts"], 3);
    assert_eq!(shown["dataspike"]["response_code"], 500);
    assert_eq!(shown["dataspike"]["failed"], true);
    assert_eq!(shown["dataspike"]["facts"]["retry_policy"], "exponential");
    let text = stdout(&a.ok(&["show", &first.to_string(), "--db", p(&a.db())]));
    assert!(text.contains("Dataspike tried 3 times"), "{text}");
    assert!(
        text.contains("not signed: Dataspike's history gives the event as JSON"),
        "{text}"
    );

    // Replay to the app: re-signed with the webhook's stored secret, which the app holds.
    let app = TestApp::start(Behaviour::default());
    let o = a.ok(&[
        "replay",
        &first.to_string(),
        "--to",
        &format!("{}/hook", app.url()),
        "--db",
        p(&a.db()),
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(r["resigned_with"]["matched"], true, "{r}");
    let got = &app.received()[0];
    let sig = got.header("x-webhook-signature").unwrap();
    let t: i64 = sig
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("t=")
        .parse()
        .unwrap();
    assert_eq!(
        sig,
        sign(&a.api.secret_of(&id), t, &got.body),
        "verifies with the stored secret"
    );
    // A backlog takes them too (authentic by where they came from, not left out as unsigned).
    let o = a.ok(&[
        "replay",
        "--query",
        "source:dataspike delivery:failed",
        "--to",
        &app.url(),
        "--db",
        p(&a.db()),
    ]);
    assert!(!stderr(&o).contains("left out"), "{}", stderr(&o));
    assert_eq!(app.received().len(), 3);
    a.assert_token_nowhere();
}

#[test]
fn a_history_entry_of_a_webhook_without_a_stored_secret_says_which_secret_it_used() {
    let a = Account::new(10);
    a.api.add_hook("dash-made", "https://x.example/h");
    a.api.add_history([entry("ev-9", "dash-made", 500, 1)]);
    let o = a.ok(&["dataspike", "history", "--db", p(&a.db()), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = v["added"][0].as_i64().unwrap();
    let app = TestApp::start(Behaviour::default());
    let o = a.ok(&[
        "replay",
        &id.to_string(),
        "--to",
        &app.url(),
        "--db",
        p(&a.db()),
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("the secret of webhook dash-mad… is not loaded, so it was re-signed with the local development secret"),
        "{err}"
    );
}

#[test]
fn replay_of_a_capture_that_matched_a_given_secret_says_it_used_another() {
    let a = Account::new(10);
    let l = a.listen(&["--secret", SECRET]);
    let line = deliver(&l, SECRET, "e1");
    l.stop();
    let app = TestApp::start(Behaviour::default());
    // Replayed without --secret: the development secret is all there is; said, not silent.
    let o = a.ok(&[
        "replay",
        &line["id"].to_string(),
        "--to",
        &app.url(),
        "--db",
        p(&a.db()),
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("the secret that signed it is not loaded, so it was re-signed with the"),
        "{err}"
    );
    assert!(err.contains("local development secret"), "{err}");
}

// The errors the issue lists, each with its words and exit status.

fn failing(a: &Account, args: &[&str], code: i32) -> String {
    let o = a.run(args);
    assert_eq!(
        o.status.code(),
        Some(code),
        "{args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    stderr(&o)
}

#[test]
fn a_rejected_token_names_the_variable_and_is_a_sandbox_question() {
    let a = Account::new(10);
    let mut c = a.cmd();
    let o = c
        .env("DATASPIKE_API_TOKEN", "wrong-token-123")
        .env_remove("DATASPIKE_API_URL")
        .args([
            "dataspike",
            "register",
            "--url",
            RELAY_URL,
            "--api-url",
            &a.api.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("DATASPIKE_API_TOKEN was rejected by the Dataspike API at"),
        "{err}"
    );
    assert!(err.contains("(401)"), "{err}");
    assert!(!err.contains("wrong-token-123"), "{err}");
    assert!(!a.store_file().exists(), "nothing stored");
    a.api.script([Scripted::Answer(403, vec![], "{}".into())]);
    let err = failing(&a, &["dataspike", "history", "--db", p(&a.db())], 4);
    assert!(
        err.contains("(403)") && err.contains("is it a custom key?"),
        "{err}"
    );
}

#[test]
fn no_token_is_a_usage_error_naming_the_variable() {
    let a = Account::new(10);
    let o = a
        .cmd()
        .env_remove("DATASPIKE_API_TOKEN")
        .args(["dataspike", "register", "--url", RELAY_URL])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("set DATASPIKE_API_TOKEN"),
        "{}",
        stderr(&o)
    );
    assert!(a.api.seen().is_empty());
}

#[test]
fn the_token_can_come_from_the_config_file_by_reference() {
    let a = Account::new(10);
    let token_file = a.home.path().join("ds.token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let cfg = a.home.path().join("hookscope.toml");
    std::fs::write(&cfg, "[dataspike]\ntoken = \"file:./ds.token\"\n").unwrap();
    let o = a
        .cmd()
        .env_remove("DATASPIKE_API_TOKEN")
        .args([
            "dataspike",
            "register",
            "--url",
            RELAY_URL,
            "--config",
            p(&cfg),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(a.api.seen()[0].token.as_deref(), Some(TOKEN));
    // A value written into the file is refused, without repeating it.
    std::fs::write(&cfg, "[dataspike]\ntoken = \"dstok_literal_value\"\n").unwrap();
    let o = a
        .cmd()
        .env_remove("DATASPIKE_API_TOKEN")
        .args([
            "dataspike",
            "register",
            "--url",
            RELAY_URL,
            "--config",
            p(&cfg),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("'token' looks like a secret written into the file"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("dstok_literal_value"));
}

#[test]
fn an_unknown_webhook_is_a_404_naming_it() {
    let a = Account::new(10);
    let err = failing(&a, &["dataspike", "rotate", "no-such-hook"], 4);
    assert!(
        err.contains("knows no webhook 'no-such-hook' (404)"),
        "{err}"
    );
    assert!(!a.store_file().exists());
    // Without an id and nothing stored: say what to give.
    let err = failing(&a, &["dataspike", "rotate"], 2);
    assert!(err.contains("name the webhook's id"), "{err}");
}

#[test]
fn a_url_the_api_refuses_shows_its_message_and_one_dataspike_cannot_reach_is_refused_first() {
    let a = Account::new(10);
    a.api.script([Scripted::Answer(
        422,
        vec![("content-type", "application/json".into())],
        r#"{"message":"webhook_url is already registered"}"#.into(),
    )]);
    let err = failing(&a, &["dataspike", "register", "--url", RELAY_URL], 4);
    assert!(
        err.contains("refused the request (422): webhook_url is already registered"),
        "{err}"
    );
    for bad in [
        "http://relay.example.com/c/x",
        "https://127.0.0.1:9474/h",
        "https://192.168.1.20/h",
        "https://localhost/h",
    ] {
        let err = failing(&a, &["dataspike", "register", "--url", bad], 2);
        assert!(err.contains("relay"), "{bad}: {err}");
    }
    assert_eq!(a.api.seen().len(), 1, "refused before calling the API");
}

#[test]
fn rate_limits_are_honoured_then_a_clear_error() {
    let a = Account::new(10);
    a.api.script([Scripted::Answer(
        429,
        vec![("retry-after", "1".into())],
        "{}".into(),
    )]);
    let start = std::time::Instant::now();
    a.ok(&["dataspike", "register", "--url", RELAY_URL]);
    assert!(
        start.elapsed() >= std::time::Duration::from_secs(1),
        "waited as asked"
    );
    assert_eq!(a.api.seen().len(), 2);
    a.api.script(
        (0..4).map(|_| Scripted::Answer(429, vec![("retry-after", "0".into())], "{}".into())),
    );
    let err = failing(&a, &["dataspike", "history", "--db", p(&a.db())], 5);
    assert!(
        err.contains("is limiting the rate of requests (429)"),
        "{err}"
    );
    // A wait longer than hookscope waits ends at once, saying how long to wait.
    a.api.script([Scripted::Answer(
        429,
        vec![("retry-after", "3600".into())],
        "{}".into(),
    )]);
    let err = failing(&a, &["dataspike", "history", "--db", p(&a.db())], 5);
    assert!(err.contains("asks to wait 3600 s"), "{err}");
}

#[test]
fn server_errors_are_retried_with_backoff_then_a_clear_error() {
    let a = Account::new(10);
    a.api
        .script([Scripted::Answer(502, vec![], "bad gateway".into())]);
    a.ok(&["dataspike", "register", "--url", RELAY_URL]);
    assert_eq!(a.api.seen().len(), 2, "one retry was enough");
    let before = a.api.seen().len();
    a.api
        .script((0..4).map(|_| Scripted::Answer(500, vec![], "boom".into())));
    let err = failing(&a, &["dataspike", "history", "--db", p(&a.db())], 5);
    assert!(
        err.contains("failed (500) in 4 tries; try again later"),
        "{err}"
    );
    assert_eq!(a.api.seen().len() - before, 4);
    // A create that failed with a plain 500 is not repeated: it may have happened.
    let before = a.api.seen().len();
    a.api.script([Scripted::Answer(500, vec![], "boom".into())]);
    let err = failing(&a, &["dataspike", "register", "--url", RELAY_URL], 5);
    assert!(err.contains("may have done it anyway"), "{err}");
    assert_eq!(a.api.seen().len() - before, 1);
}

#[test]
fn no_answer_in_time_is_retried_then_a_clear_error() {
    let a = Account::new(10);
    a.api.script((0..4).map(|_| Scripted::Hang));
    let err = failing(
        &a,
        &["dataspike", "history", "--timeout", "1", "--db", p(&a.db())],
        5,
    );
    assert!(
        err.contains("did not answer within 1 s in 4 tries"),
        "{err}"
    );
}

#[test]
fn an_answer_that_is_not_the_documented_json_stores_nothing() {
    let a = Account::new(10);
    a.api
        .script([Scripted::Answer(200, vec![], r#"{"id":"abc"}"#.into())]);
    let err = failing(&a, &["dataspike", "register", "--url", RELAY_URL], 5);
    assert!(
        err.contains("'hmac_signing_secret' is missing); nothing was stored"),
        "{err}"
    );
    assert!(!a.store_file().exists());
    a.api
        .script([Scripted::Answer(200, vec![], "<html>oops</html>".into())]);
    let err = failing(&a, &["dataspike", "history", "--db", p(&a.db())], 5);
    assert!(err.contains("not JSON"), "{err}");
}

#[test]
fn no_network_is_a_clear_error() {
    let a = Account::new(10);
    let o = a
        .cmd()
        .env("DATASPIKE_API_URL", dead_port_url())
        .args(["dataspike", "register", "--url", RELAY_URL])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot reach the Dataspike API at"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains(TOKEN));
}

#[test]
fn production_must_be_asked_for_and_says_so_first() {
    let a = Account::new(10);
    let o = a.ok(&[
        "dataspike",
        "register",
        "--url",
        RELAY_URL,
        "--production",
        "--api-url",
        &a.api.url(),
    ]);
    // --api-url decides where; --production decides what kind of webhook.
    assert_eq!(a.api.seen()[0].body["is_sandbox"], false);
    assert!(
        stderr(&o).starts_with("PRODUCTION: registering a webhook"),
        "{}",
        stderr(&o)
    );
    let o = a.ok(&["dataspike", "register", "--url", RELAY_URL]);
    assert!(!stderr(&o).contains("PRODUCTION"), "{}", stderr(&o));
}

/// Issue 25: a Dataspike API call through a real HTTP proxy, the API's name resolving only
/// there; the token reaches the API, and the proxy is said in no error with its credentials.
#[test]
fn an_api_call_goes_through_an_http_proxy() {
    use crate::proxy::TestProxy;
    let a = Account::new(10);
    let proxy = TestProxy::start(&[("dataspike.internal", a.api.addr)], None);
    let api = format!("http://dataspike.internal:{}", a.api.addr.port());
    let o = a
        .cmd()
        .env("DATASPIKE_API_URL", &api)
        .env("HTTP_PROXY", proxy.url())
        .env("NO_PROXY", "")
        .args(["dataspike", "register", "--url", RELAY_URL, "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the API token travels unencrypted"),
        "{}",
        stderr(&o)
    );
    let seen = proxy.seen();
    assert_eq!(
        seen[0].line,
        format!("POST {api}/api/v3/organization/webhooks HTTP/1.1")
    );
    assert_eq!(a.api.seen()[0].token.as_deref(), Some(TOKEN));
    // --proxy on the command line, for the history too.
    let o = a
        .cmd()
        .env("DATASPIKE_API_URL", &api)
        .args([
            "dataspike",
            "history",
            "--proxy",
            &proxy.url(),
            "--db",
            p(&a.db()),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(proxy.seen().len(), 2);
    assert!(proxy.seen()[1]
        .line
        .starts_with(&format!("GET {api}/api/v3/notifications/webhook/history")));
    // Without the proxy the name does not resolve: the API cannot be reached, said plainly.
    let o = a
        .cmd()
        .env("DATASPIKE_API_URL", &api)
        .args([
            "dataspike",
            "history",
            "--proxy",
            "none",
            "--db",
            p(&a.db()),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot reach the Dataspike API at"),
        "{}",
        stderr(&o)
    );
}

/// `listen --relay URL --register`: the relay channel's public URL becomes a sandbox webhook
/// (once: a second run reuses it), its secret is loaded, and a delivery Dataspike signs with
/// it ("Send Test") lands as PASS, named. The relay's name resolves only at a proxy, as a
/// public host's would only on the internet.
#[test]
fn listen_register_makes_the_relay_channel_a_webhook_once_and_verifies_with_its_secret() {
    use crate::proxy::TestProxy;
    use crate::relay::{add_channel, make_cert, next_capture, tmp, wait_relay_state, Relay};
    let a = Account::new(10);
    let (dir, rdb) = tmp();
    let (channel, token) = add_channel(&rdb);
    let (cert, key) = make_cert(dir.path(), "relay", &["relay.example.com"], false);
    let relay = Relay::start(&rdb, &["--tls-cert", p(&cert), "--tls-key", p(&key)]);
    let relay_addr: std::net::SocketAddr = relay.addr.parse().unwrap();
    let proxy = TestProxy::start(&[("relay.example.com", relay_addr)], None);
    let url = format!(
        "https://relay.example.com:{}/c/{channel}",
        relay_addr.port()
    );
    let mut env = a.env();
    env.push(("HTTPS_PROXY", proxy.url()));
    env.push(("NO_PROXY", String::new()));
    let args = [
        "--relay",
        url.as_str(),
        "--relay-token",
        token.as_str(),
        "--register",
        "--register-events",
        "DOCVER",
        "--ca-cert",
        p(&cert),
    ];
    let listen = Listener::start_env(&a.db(), &args, &env);
    let hooks = a.api.hooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].url, url);
    assert_eq!(
        a.api.seen()[0].body["event_types"],
        serde_json::json!(["DOCVER"])
    );
    assert_eq!(a.api.seen()[0].body["is_sandbox"], true);
    wait_relay_state(&listen, "connected");
    // Dataspike's "Send Test": a delivery signed with the secret it gave, to the webhook URL.
    let o = bin()
        .args([
            "send",
            "--event",
            "DOCVER",
            "--secret",
            &hooks[0].secret,
            "--to",
            &url,
        ])
        .args(["--ca-cert", p(&cert), "--proxy", &proxy.url()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let c = next_capture(&listen);
    assert_eq!(c["source"], "relay");
    assert_eq!(c["verdict"]["status"], "valid", "{c}");
    let short = &hooks[0].id[..8];
    assert_eq!(
        c["secret"],
        format!("current secret of custom webhook {short}…")
    );
    let (_, _, err) = listen.stop_with_output();
    let err = String::from_utf8_lossy(&err);
    assert!(err.contains("registered Dataspike custom webhook"), "{err}");
    assert!(
        err.contains(&format!(
            "dataspike: Dataspike custom webhook {short}… → this relay channel"
        )),
        "{err}"
    );
    assert!(
        !err.contains(&hooks[0].secret[6..]) && !err.contains(TOKEN),
        "{err}"
    );

    // A second run reuses it: no new webhook.
    let listen = Listener::start_env(&a.db(), &args, &env);
    wait_relay_state(&listen, "connected");
    let (_, _, err) = listen.stop_with_output();
    assert!(String::from_utf8_lossy(&err).contains("reusing Dataspike custom webhook"));
    assert_eq!(a.api.hooks().len(), 1);
    assert_eq!(a.api.seen().len(), 1, "no API call the second time");
    drop(relay);
}

/// `send` and `check` sign with the stored secret by themselves, and say which; `listen`
/// verifies the same: PASS end to end with no secret typed anywhere.
#[test]
fn send_and_check_sign_with_the_stored_secret_and_say_which() {
    let a = Account::new(10);
    let id = a.register(&[])["id"].as_str().unwrap().to_string();
    let short = &id[..8];
    let l = a.listen(&[]);
    let o = a.ok(&[
        "send",
        "--event",
        "DOCVER",
        "--to",
        &format!("{}/dataspike", l.url),
    ]);
    assert!(
        stderr(&o).contains(&format!(
            "signing with the current secret of custom webhook {short}…"
        )),
        "{}",
        stderr(&o)
    );
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "valid", "{line}");
    l.stop();
    let app = TestApp::start(Behaviour::default());
    let o = a.run(&["check", "--to", &app.url(), "--no-store"]);
    assert!(
        stderr(&o).contains(&format!(
            "probes signed with the current secret of custom webhook {short}…"
        )),
        "{}",
        stderr(&o)
    );
    let got = &app.received()[0];
    let sig = got.header("x-webhook-signature").unwrap();
    let t: i64 = sig
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("t=")
        .parse()
        .unwrap();
    assert_eq!(sig, sign(&a.api.secret_of(&id), t, &got.body));
}

#[test]
fn config_check_says_where_the_token_is_and_whether_it_resolves_never_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("hookscope.toml");
    std::fs::write(
        &cfg,
        "[dataspike]\ntoken = \"env:HOOKSCOPE_TEST_DS_TOKEN\"\napi-url = \"https://ds.example.test\"\n",
    )
    .unwrap();
    let check = |value: Option<&str>| {
        let mut c = bin();
        c.args(["config", "check", "--config"]).arg(&cfg);
        c.env_remove("DATASPIKE_API_TOKEN");
        match value {
            Some(v) => c.env("HOOKSCOPE_TEST_DS_TOKEN", v),
            None => c.env_remove("HOOKSCOPE_TEST_DS_TOKEN"),
        };
        c.output().unwrap()
    };
    let o = check(Some("tok_config_check_never_shown"));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(
        out.contains("token            env:HOOKSCOPE_TEST_DS_TOKEN (line 2)  set"),
        "{out}"
    );
    assert!(
        out.contains("api-url          https://ds.example.test"),
        "{out}"
    );
    assert!(!out.contains("tok_config_check_never_shown"), "{out}");
    let out = stdout(&check(None));
    assert!(
        out.contains("NOT RESOLVED: environment variable 'HOOKSCOPE_TEST_DS_TOKEN' is not set"),
        "{out}"
    );
}
