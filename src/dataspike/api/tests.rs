use super::*;

const SECRET: &str = "whsec_a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1";

fn sandbox() -> Target {
    Target::new(None, false).unwrap()
}

#[test]
fn targets_default_to_the_sandbox_and_production_is_asked_for() {
    let t = sandbox();
    assert_eq!(
        (t.base.as_str(), t.env, t.is_sandbox),
        (SANDBOX, Env::Sandbox, true)
    );
    assert_eq!(t.words(), "the sandbox API");
    let p = Target::new(None, true).unwrap();
    assert_eq!(
        (p.base.as_str(), p.env, p.is_sandbox),
        (PRODUCTION, Env::Production, false)
    );
    let c = Target::new(Some("http://127.0.0.1:8080/"), false).unwrap();
    assert_eq!(
        (c.base.as_str(), c.env, c.is_sandbox),
        ("http://127.0.0.1:8080", Env::Custom, true)
    );
    assert!(!c.token_in_clear(), "loopback");
    assert!(Target::new(Some("http://ds.corp:80"), false)
        .unwrap()
        .token_in_clear());
    assert!(Target::new(Some("ftp://x"), false).is_err());
    assert!(Target::new(Some("https://x/api/v3"), false)
        .unwrap_err()
        .contains("has a path"));
}

#[test]
fn the_token_is_never_shown() {
    let t = Token::new(" tok-123-secret ").unwrap();
    assert!(!format!("{t:?}").contains("tok-123"));
    assert!(t.appears_in("a tok-123-secret b"));
    assert!(Token::new("  ").is_err());
    let e = Token::new("zz9\nqq9").unwrap_err();
    assert!(!e.contains("zz9") && !e.contains("qq9"), "{e}");
}

#[test]
fn urls_dataspike_cannot_reach_are_refused_with_the_relay_hint() {
    assert!(check_webhook_url("https://relay.example.com/c/abc/dataspike").is_ok());
    assert!(check_webhook_url("https://203.0.113.1.nip.io/h").is_ok());
    for bad in [
        "http://relay.example.com/c/abc",
        "https://localhost:9474/h",
        "https://127.0.0.1/h",
        "https://10.1.2.3/h",
        "https://192.168.1.5/h",
        "https://172.16.0.1/h",
        "https://169.254.1.1/h",
        "https://100.64.1.1/h",
        "https://[::1]/h",
        "https://[fd00::1]/h",
        "https://[::ffff:10.0.0.1]/h",
        "https://myapp.local/h",
        "https://laptop/h",
        "not a url",
    ] {
        let e = check_webhook_url(bad).unwrap_err();
        assert!(e.contains("relay"), "{bad}: {e}");
    }
}

#[test]
fn the_create_body_is_the_documented_one() {
    let body = CreateWebhook {
        url: "https://r.example/c/x".into(),
        events: vec!["DOCVER".into()],
        enabled: false,
        is_sandbox: true,
    }
    .body();
    assert_eq!(
        body.to_string(),
        r#"{"is_sandbox":true,"webhook_url":"https://r.example/c/x","event_types":["DOCVER"],"enabled":false}"#
    );
}

#[test]
fn a_created_answer_parses_or_says_what_is_missing() {
    let t = sandbox();
    let ok = format!(
        r#"{{"id":"01927ed4-c928-7a3c-9a30-7ab7cc169d11","hmac_signing_secret":"{SECRET}","extra":1}}"#
    );
    let c = parse_created(&t, 200, ok.as_bytes()).unwrap();
    assert_eq!(c.id, "01927ed4-c928-7a3c-9a30-7ab7cc169d11");
    assert_eq!(c.secret.expose(), SECRET);
    assert_eq!(c.not_understood, vec!["extra".to_string()]);
    for (body, what) in [
        ("<html>", "not JSON"),
        ("[]", "not a JSON object"),
        (r#"{"hmac_signing_secret":"whsec_00"}"#, "'id' is missing"),
        (r#"{"id":"x"}"#, "'hmac_signing_secret' is missing"),
        (r#"{"id":"x","hmac_signing_secret":5}"#, "is not a string"),
        (
            r#"{"id":"x","hmac_signing_secret":"sk_live_zz"}"#,
            "not a Dataspike signing secret",
        ),
    ] {
        let e = parse_created(&t, 200, body.as_bytes()).unwrap_err();
        assert_eq!(e.code(), "malformed_answer");
        let text = e.to_string();
        assert!(
            text.contains(what) && text.contains("nothing was stored"),
            "{body}: {text}"
        );
        assert!(!text.contains("sk_live"), "{text}");
    }
    let r = parse_rotated(
        &t,
        200,
        format!(r#"{{"hmac_signing_secret":"{SECRET}"}}"#).as_bytes(),
    )
    .unwrap();
    assert_eq!(r.secret.expose(), SECRET);
}

#[test]
fn statuses_become_the_errors_the_issue_names() {
    let t = sandbox();
    let e = classify(&t, &Call::Create, 401, b"{}");
    assert_eq!(
        e.to_string(),
        "DATASPIKE_API_TOKEN was rejected by the sandbox API (401); is it a sandbox key?"
    );
    assert_eq!(e.exit_code(), 4);
    assert_eq!(classify(&t, &Call::History, 403, b"").code(), "bad_token");
    let e = classify(&t, &Call::Rotate("w-1".into()), 404, b"");
    assert!(
        e.to_string().contains("knows no webhook 'w-1' (404)"),
        "{e}"
    );
    let e = classify(
        &t,
        &Call::Create,
        422,
        br#"{"message":"webhook_url must be https"}"#,
    );
    assert_eq!(
        e.to_string(),
        "the sandbox API refused the request (422): webhook_url must be https"
    );
    let e = classify(
        &t,
        &Call::Create,
        400,
        br#"{"errors":[{"message":"bad events"}]}"#,
    );
    assert!(e.to_string().ends_with("bad events"), "{e}");
    assert_eq!(
        classify(&t, &Call::Create, 400, b"plain words").to_string(),
        "the sandbox API refused the request (400): plain words"
    );
    let e = classify(&t, &Call::Create, 500, b"");
    assert!(e.to_string().contains("may have done it anyway"), "{e}");
    assert_eq!(e.exit_code(), 5);
    let e = classify(&t, &Call::Create, 503, b"");
    assert!(!e.to_string().contains("may have"), "{e}");
}

#[test]
fn history_pages_keep_the_delivery_facts_as_received() {
    let t = sandbox();
    let page = br#"{"data":[{"id":"e1","webhook_id":"w1","event_type":"DOCVER","timestamp":"2024-01-02T03:04:05Z","payload":{"status":"verified"},"attempts":3,"response_code":500,"last_attempt_at":"2024-01-02T03:10:00Z","is_sandbox":true,"mystery":{"a":1}}],"has_next":true}"#;
    let p = parse_history(&t, 200, page).unwrap();
    assert!(p.has_next);
    let e = &p.entries[0];
    assert_eq!((e.id.as_str(), e.webhook_id.as_deref()), ("e1", Some("w1")));
    assert_eq!(
        String::from_utf8(e.body.clone()).unwrap(),
        r#"{"id":"e1","webhook_id":"w1","event_type":"DOCVER","timestamp":"2024-01-02T03:04:05Z","payload":{"status":"verified"}}"#
    );
    let f = DeliveryFacts::read(&e.delivery);
    assert_eq!(f.attempts, Some(3));
    assert_eq!(f.response_code, Some(500));
    assert_eq!(f.last_attempt_at.as_deref(), Some("2024-01-02T03:10:00Z"));
    assert_eq!(f.failed, Some(true));
    assert_eq!(f.not_understood, vec!["mystery".to_string()]);
    assert_eq!(
        e.delivery["mystery"],
        serde_json::json!({"a":1}),
        "kept as received"
    );
    // No has_next: the last page. Other shapes of the facts are read too, or left alone.
    let p = parse_history(
        &t,
        200,
        br#"{"data":[{"id":"e2","attempts":[{},{}],"success":true}]}"#,
    )
    .unwrap();
    assert!(!p.has_next);
    let f = DeliveryFacts::read(&p.entries[0].delivery);
    assert_eq!(
        (f.attempts, f.failed, f.response_code),
        (Some(2), Some(false), None)
    );
    for (body, what) in [
        (&br#"{"has_next":false}"#[..], "'data' is missing"),
        (br#"{"data":{}}"#, "'data' is not a list"),
        (br#"{"data":[1]}"#, "data[0] is not an object"),
        (br#"{"data":[{"event_type":"X"}]}"#, "data[0].id is missing"),
        (br#"{"data":[],"has_next":"yes"}"#, "'has_next'"),
    ] {
        let e = parse_history(&t, 200, body).unwrap_err().to_string();
        assert!(e.contains(what), "{e}");
    }
}

#[test]
fn paths_are_the_documented_ones_with_ids_encoded() {
    assert_eq!(
        rotate_path("01927ed4-c928"),
        "/api/v3/organization/webhooks/01927ed4-c928/hmac/rotate"
    );
    assert_eq!(
        rotate_path("a/b"),
        "/api/v3/organization/webhooks/a%2Fb/hmac/rotate"
    );
    assert_eq!(
        history_path(None, None),
        "/api/v3/notifications/webhook/history"
    );
    assert_eq!(
        history_path(Some("w 1"), Some("e9")),
        "/api/v3/notifications/webhook/history?webhook=w%201&after=e9"
    );
    assert_eq!(
        backoff(Duration::from_millis(100), 1),
        Duration::from_millis(100)
    );
    assert_eq!(
        backoff(Duration::from_millis(100), 3),
        Duration::from_millis(400)
    );
}
