use serde_json::{json, Value};

use super::*;

fn defaults() -> Rules {
    Rules::new(true, &[], &[]).unwrap()
}

fn redact(rules: &Rules, value: &Value) -> (Value, Counts) {
    let (out, counts) = redact_body(
        serde_json::to_vec(value).unwrap().as_slice(),
        rules,
        &Salt::fixed(7),
    );
    (serde_json::from_slice(&out).unwrap(), counts)
}

/// Same JSON types everywhere, same keys in the same order.
fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.keys().eq(y.keys()) && x.values().zip(y.values()).all(|(p, q)| same_shape(p, q))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape(p, q))
        }
        (Value::String(_), Value::String(_)) => true,
        (Value::Number(x), Value::Number(y)) => x.is_f64() == y.is_f64(),
        (x, y) => x == y,
    }
}

fn sample(event: &str, variant: &str) -> Value {
    let body = crate::sample::build(event, Some(variant), 1_768_471_200_000, &[]).unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn fakes_keep_the_shape_of_the_value() {
    let r = Redactor::new(defaults(), Salt::fixed(1));
    let name = r.fake_string("Ivan Sample");
    assert!(
        is_name_like(&name) && name.split(' ').count() == 2,
        "{name}"
    );
    assert_ne!(name, "Ivan Sample");

    let date = r.fake_string("1968-07-12");
    assert!(
        chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_ok(),
        "{date}"
    );
    assert_ne!(date, "1968-07-12");
    let stamp = r.fake_string("1968-07-12T10:00:00Z");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&stamp).is_ok(),
        "{stamp}"
    );

    let email = r.fake_string("compliance@example.com");
    let (local, domain) = email.split_once('@').unwrap();
    assert_eq!(local.len(), "compliance".len());
    assert!(local.chars().all(|c| c.is_ascii_lowercase()), "{email}");
    assert!(EMAIL_DOMAINS.contains(&domain), "{email}");

    let phone = r.fake_string("+44 20 7946 0958");
    assert_eq!(phone.len(), 16);
    assert!(phone.starts_with('+'), "{phone}");
    assert_eq!(
        phone.char_indices().filter(|(_, c)| *c == ' ').count(),
        3,
        "{phone}"
    );
    assert_ne!(phone, "+44 20 7946 0958");

    let wallet = r.fake_string("0x52908400098527886E0F7030069857D2E4169EE7");
    assert!(wallet.starts_with("0x") && wallet.len() == 42, "{wallet}");
    assert!(
        wallet[2..].chars().all(|c| c.is_ascii_hexdigit()),
        "{wallet}"
    );

    let doc = r.fake_string("X98765432");
    assert!(doc.starts_with(|c: char| c.is_ascii_uppercase()), "{doc}");
    assert!(doc[1..].chars().all(|c| c.is_ascii_digit()) && doc.len() == 9);

    let n = r.fake_number(&serde_json::Number::from(95));
    assert!((10..100).contains(&n.as_u64().unwrap()), "{n}");
    let f = r.fake_number(&serde_json::Number::from_f64(0.93).unwrap());
    assert!(
        f.is_f64() && (0.0..1.0).contains(&f.as_f64().unwrap()),
        "{f}"
    );
}

#[test]
fn the_same_value_gets_the_same_fake_within_a_run_and_another_in_the_next() {
    let body = json!({"full_name": "Jane Example", "other": {"requested_name": "Jane Example"}});
    let (out, _) = redact(&defaults(), &body);
    assert_eq!(out["full_name"], out["other"]["requested_name"]);
    let (again, _) = redact(&defaults(), &body);
    assert_eq!(out, again, "one salt, one set of fakes");
    let (next, _) = redact_body(
        serde_json::to_vec(&body).unwrap().as_slice(),
        &defaults(),
        &Salt::fixed(8),
    );
    let next: Value = serde_json::from_slice(&next).unwrap();
    assert_ne!(out["full_name"], next["full_name"], "another salt");
}

#[test]
fn a_docver_body_loses_its_personal_fields_and_keeps_the_rest() {
    for variant in ["verified", "failed"] {
        let body = sample("DOCVER", variant);
        let (out, counts) = redact(&defaults(), &body);
        assert!(same_shape(&body, &out), "{variant}: {out:#}");
        let p = &body["payload"];
        let q = &out["payload"];
        assert_ne!(p["account_email"], q["account_email"]);
        let number = "/payload/checks/document_mrz/data/document_number";
        assert_ne!(body.pointer(number), out.pointer(number));
        // Not personal: ids, statuses, types, times, the verification URL.
        for key in [
            "id",
            "applicant_id",
            "status",
            "document_type",
            "created_at",
            "documents",
            "verification_url",
        ] {
            assert_eq!(p[key], q[key], "{variant}: {key}");
        }
        assert_eq!(body["event_type"], out["event_type"]);
        assert_eq!(
            counts.fields,
            vec![
                ("account_email".to_string(), 1),
                ("document_number".to_string(), 1)
            ]
        );
    }
}

#[test]
fn an_aml_body_loses_names_birth_dates_and_who_was_hit() {
    let body = sample("AML_SCREENING", "high_risk");
    let original = serde_json::to_string(&body).unwrap();
    let (out, counts) = redact(&defaults(), &body);
    assert!(same_shape(&body, &out), "{out:#}");
    let text = serde_json::to_string(&out).unwrap();
    for personal in [
        "Ivan Sample",
        "Sampleov",
        "1968-01-01",
        "1968-12-31",
        "1968-07-12",
    ] {
        assert!(original.contains(personal));
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let hit = &out["payload"]["search_result"]["data"][0];
    let was = &body["payload"]["search_result"]["data"][0];
    // How it matched and how risky it is stay, for the app's logic.
    for key in [
        "entity_type",
        "match_score",
        "risk_score",
        "tags",
        "sources",
    ] {
        assert_eq!(hit[key], was[key], "{key}");
    }
    assert_ne!(hit["id"], was["id"]);
    assert_eq!(out["payload"]["risk_score"], body["payload"]["risk_score"]);
    assert_eq!(
        out["payload"]["search_request"]["countries"],
        body["payload"]["search_request"]["countries"]
    );
    assert_eq!(
        counts.summary(),
        "full_name x1, date_of_birth x2, requested_name x1, search_result.data x4"
    );
}

#[test]
fn every_built_in_sample_keeps_its_shape() {
    for (event, variant, _) in crate::sample::list() {
        let body = sample(event, variant);
        let (out, _) = redact(&defaults(), &body);
        assert!(same_shape(&body, &out), "{event} {variant}");
    }
    let kyt = sample("KYT_WALLET_CHECK", "high_risk");
    let (out, _) = redact(&defaults(), &kyt);
    assert_ne!(kyt["payload"]["address"], out["payload"]["address"]);
    let tx = sample("TRANSACTION_MONITORING", "alert");
    let (out, counts) = redact(&defaults(), &tx);
    assert_ne!(
        tx["payload"]["counterparty"]["account"],
        out["payload"]["counterparty"]["account"]
    );
    assert_eq!(counts.fields.len(), 2, "{}", counts.summary());
}

#[test]
fn user_paths_and_headers_are_redacted_and_defaults_can_be_left_out() {
    let rules = Rules::new(
        false,
        &[
            "payload.custom.field".into(),
            "payload.items[].secret".into(),
        ],
        &["X-Tenant".into()],
    )
    .unwrap();
    let body = json!({"payload": {
        "custom": {"field": "Alice", "other": "kept"},
        "items": [{"secret": 12345, "id": 1}, {"secret": true}],
        "full_name": "Jane Example"
    }});
    let (out, counts) = redact(&rules, &body);
    assert_ne!(out["payload"]["custom"]["field"], "Alice");
    assert_eq!(out["payload"]["custom"]["other"], "kept");
    assert_ne!(out["payload"]["items"][0]["secret"], 12345);
    assert_eq!(out["payload"]["items"][1]["secret"], true, "booleans stay");
    assert_eq!(out["payload"]["full_name"], "Jane Example", "no defaults");
    assert_eq!(
        counts.summary(),
        "payload.custom.field x1, payload.items[].secret x1"
    );

    let headers = vec![
        (b"Content-Type".to_vec(), b"application/json".to_vec()),
        (b"x-tenant".to_vec(), b"acme-42".to_vec()),
    ];
    let (out, counts) = redact_headers(&headers, &rules, &Salt::fixed(7));
    assert_eq!(out[0], headers[0]);
    assert_eq!(out[1].0, b"x-tenant");
    assert_ne!(out[1].1, b"acme-42");
    assert_eq!(out[1].1.len(), 7);
    assert_eq!(out[1].1[4], b'-');
    assert_eq!(counts.summary(), "header x-tenant x1");

    let defaults_only = defaults();
    let auth = vec![(b"Authorization".to_vec(), b"Bearer abc".to_vec())];
    let (out, _) = redact_headers(&auth, &defaults_only, &Salt::fixed(7));
    assert_ne!(out[0].1, auth[0].1);
}

#[test]
fn bad_paths_and_headers_are_refused_with_the_reason() {
    let err = Rules::new(false, &["payload..x".into()], &[]).unwrap_err();
    assert!(err.contains("empty key"), "{err}");
    let err = Rules::new(false, &["**".into()], &[]).unwrap_err();
    assert!(err.contains("whole body"), "{err}");
    let err = Rules::new(false, &[], &["X Tenant".into()]).unwrap_err();
    assert!(err.contains("not a header name"), "{err}");
}

#[test]
fn a_body_that_is_not_json_is_left_as_it_is_and_counted() {
    let (out, counts) = redact_body(b"name=Ivan+Sample", &defaults(), &Salt::fixed(1));
    assert_eq!(out, b"name=Ivan+Sample");
    assert_eq!(counts.not_json, 1);
    let (out, counts) = redact_body(b"", &defaults(), &Salt::fixed(1));
    assert!(out.is_empty() && counts == Counts::default());
}

#[test]
fn untouched_bodies_keep_their_bytes_and_key_order_is_kept() {
    let body = b"{ \"b\": 1,\"a\": [1, 2] }";
    let (out, counts) = redact_body(body, &defaults(), &Salt::fixed(1));
    assert_eq!(out, body, "nothing matched: bytes as they were");
    assert_eq!(counts.summary(), "nothing");
    let body = br#"{"z":1,"email":"a@b.co","a":2}"#;
    let (out, _) = redact_body(body, &defaults(), &Salt::fixed(1));
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(r#"{"z":1,"email":""#), "{text}");
    assert!(text.ends_with(r#"","a":2}"#), "{text}");
}

#[test]
fn a_capture_is_redacted_with_its_size_and_content_length() {
    let body = br#"{"payload":{"full_name":"Bo Li"}}"#.to_vec();
    let headers = vec![(
        b"Content-Length".to_vec(),
        body.len().to_string().into_bytes(),
    )];
    let mut capture = Capture::new(0, "POST", "/hook", headers, body);
    let mut r = Redactor::new(defaults(), Salt::fixed(3));
    r.capture(&mut capture);
    let v: Value = serde_json::from_slice(&capture.body).unwrap();
    assert_ne!(v["payload"]["full_name"], "Bo Li");
    assert_eq!(capture.body_size, capture.body.len() as u64);
    assert_eq!(
        capture.headers[0].1,
        capture.body.len().to_string().into_bytes()
    );
    assert_eq!(r.counts().summary(), "full_name x1");
}

#[test]
fn one_copys_share_of_a_sessions_counts() {
    let mut r = Redactor::new(defaults(), Salt::fixed(3));
    r.body(br#"{"payload":{"full_name":"Bo Li"}}"#);
    let before = r.counts().clone();
    r.body(br#"{"payload":{"full_name":"Al Wu","date_of_birth":"1990-01-02"}}"#);
    r.body(b"not json");
    let share = r.counts().since(&before);
    assert_eq!(share.summary(), "full_name x1, date_of_birth x1");
    assert_eq!(share.not_json, 1);
    assert_eq!(r.counts().since(r.counts()).summary(), "nothing");
}
