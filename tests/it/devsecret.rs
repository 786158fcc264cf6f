//! The quick start ends in PASS: `listen` and `send` with no secret anywhere share the local
//! development secret, made once in the config directory (0600), across restarts.

use crate::common::*;

#[test]
fn quick_start_without_secrets_ends_in_pass_across_restarts() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let env: [(&str, &std::path::Path); 2] = [("HOME", home.path()), ("XDG_CONFIG_HOME", &config)];
    let db = home.path().join("h.db");
    for round in 0..2 {
        let l = Listener::start_env(&db, &[], &env);
        let mut send = bin();
        for (k, v) in &env {
            send.env(k, v);
        }
        let o = send
            .args(["send", "--event", "AML_SCREENING", "--to"])
            .arg(format!("{}/dataspike/hook", l.url))
            .output()
            .unwrap();
        assert!(o.status.success(), "round {round}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("local development secret") && err.contains("dev-secret"),
            "send says which secret it used and where: {err}"
        );
        let secret = dev_secret_in(&config);
        assert!(
            !err.contains(&secret[6..]),
            "the secret is never printed: {err}"
        );
        let line = l.next_line();
        assert_eq!(line["verdict"]["status"], "valid", "round {round}: {line}");
        l.stop();
        let mut show = bin();
        let o = show
            .env("XDG_CONFIG_HOME", &config)
            .args(["show", &line["id"].to_string(), "--db"])
            .arg(&db)
            .output()
            .unwrap();
        let text = stdout(&o);
        assert!(
            text.contains("PASS") && text.contains("matched the local development secret"),
            "{text}"
        );
    }
    let file = config.join("hookscope/dev-secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir = std::fs::metadata(file.parent().unwrap()).unwrap();
        assert_eq!(dir.permissions().mode() & 0o777, 0o700);
    }
    let secret = dev_secret_in(&config);
    assert!(secret.starts_with("whsec_") && secret.len() == 6 + 64);
}

#[test]
fn a_real_secret_replaces_the_dev_secret_and_the_intro_says_which() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let db = home.path().join("h.db");
    let mut l = Listener::start_env(&db, &[], &[("XDG_CONFIG_HOME", &config)]);
    let mut err = l.child.stderr.take().unwrap();
    l.stop_ref();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut err, &mut text).unwrap();
    assert!(
        text.contains("secrets:  the local development secret (not a Dataspike secret; pass --secret for real deliveries)"),
        "{text}"
    );

    // With --secret, nothing about the dev secret, and a dev-signed delivery fails.
    let l = Listener::start_env(&db, &["--secret", SECRET], &[("XDG_CONFIG_HOME", &config)]);
    let body = br#"{"event_type":"DOCVER"}"#;
    let sig = sign(&dev_secret_in(&config), now(), body);
    post(&l.addr, "/", &[("X-Webhook-Signature", &sig)], body);
    assert_eq!(l.next_line()["verdict"]["status"], "invalid");
}

#[test]
fn without_a_usable_config_dir_commands_go_on_without_a_secret_and_replays_go_as_captured() {
    let home = tempfile::tempdir().unwrap();
    // A file where the config folder should be: no dev secret can be made.
    let config = home.path().join("not-a-dir");
    std::fs::write(&config, b"").unwrap();
    let env: [(&str, &std::path::Path); 1] = [("XDG_CONFIG_HOME", &config)];
    let db = home.path().join("h.db");
    let l = Listener::start_env(&db, &[], &env);
    let body = VECTOR_BODY.as_bytes();
    let sig = format!("t={VECTOR_T},v1={VECTOR_V1}");
    let id = post(&l.addr, "/hook", &[("X-Webhook-Signature", &sig)], body).json()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(l.next_line()["verdict"]["status"], "unverified");
    drop(l);

    let app = TestApp::start(Behaviour::default());
    let o = bin()
        .env("XDG_CONFIG_HOME", &config)
        .args(["replay", &id.to_string(), "--to", &app.url(), "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("going on without a secret"), "{err}");
    assert!(
        err.contains("a strict app will see a stale timestamp"),
        "one-line warning: {err}"
    );
    let got = app.received().pop().unwrap();
    assert_eq!(
        got.header("x-webhook-signature").unwrap(),
        sig,
        "sent as captured"
    );
}

#[test]
fn verify_without_a_secret_uses_the_dev_secret_when_one_exists_and_never_makes_one() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let body = home.path().join("body.json");
    std::fs::write(&body, VECTOR_BODY).unwrap();
    let verify = |sig: &str| {
        bin()
            .env("XDG_CONFIG_HOME", &config)
            .args(["verify", "--now", &VECTOR_T.to_string(), "--body-file"])
            .arg(&body)
            .args(["--header", &format!("X-Webhook-Signature: {sig}")])
            .output()
            .unwrap()
    };
    // No dev secret yet: a usage error that says how to give one, and none is made.
    let o = verify(&format!("t={VECTOR_T},v1={VECTOR_V1}"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--secret"), "{}", stderr(&o));
    assert!(!config.join("hookscope/dev-secret").exists());
    // `send` makes it (its target refusing does not matter here); then a delivery signed with
    // it verifies offline with no secret given.
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = refused.local_addr().unwrap().port();
    drop(refused);
    bin()
        .env("XDG_CONFIG_HOME", &config)
        .args(["send", "--event", "AML_SCREENING", "--to"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .unwrap();
    let dev = dev_secret_in(&config);
    let o = verify(&sign(&dev, VECTOR_T, VECTOR_BODY.as_bytes()));
    let text = stdout(&o);
    assert!(o.status.success(), "{text}{}", stderr(&o));
    assert!(
        text.contains("PASS") && text.contains("local development secret"),
        "{text}"
    );
    assert!(!text.contains(&dev[6..]), "the secret is never printed");
}
