//! The intake in-process: no socket in front of it, a real SQLite store behind it.

use super::*;
use crate::capture::{now_ms, RawRequest};
use crate::forward::testing::start_app;
use crate::headers::header_value;
use crate::headers::HeaderPair;
use crate::report::ReportRx;
use crate::routes::{Route, RouteTable, Rule};
use crate::signature::dataspike::sign_header;
use crate::signature::Status;
use crate::store::{spawn_writer, OpenMode, Store};
use std::time::Duration;

const SECRET: &str = "whsec_00112233";

fn received(headers: Vec<HeaderPair>, body: &[u8]) -> Received {
    Received {
        request: RawRequest {
            method: "POST".into(),
            path: "/dataspike/hook".into(),
            query: Some("x=1".into()),
            headers,
            body: body.to_vec(),
            body_size: body.len() as u64,
        },
        rejection: None,
        peer: Some("127.0.0.9:5555".parse().unwrap()),
        received_at_ms: now_ms(),
        source: Source::Live,
        relay: None,
    }
}

fn signed(body: &[u8]) -> Vec<HeaderPair> {
    let secret = Secret::parse(SECRET).unwrap();
    let sig = sign_header(&secret, chrono::Utc::now().timestamp(), body);
    vec![
        (b"Host".to_vec(), b"hooks.example".to_vec()),
        (b"X-Webhook-Signature".to_vec(), sig.into_bytes()),
    ]
}

struct Rig {
    dir: tempfile::TempDir,
    intake: Intake,
    reports: ReportRx,
}

/// `--forward-to target` as a route table of one.
fn catch_all(target: Uri, events: EventFilter, respond: Respond, timeout_s: u64) -> ForwardConfig {
    ForwardConfig {
        routes: RouteTable::new(vec![Route {
            name: "/".into(),
            rule: Rule::catch_all(events),
            target,
            strip_prefix: false,
            headers: Vec::new(),
            respond: None,
            with: Forwarder::new(Duration::from_secs(timeout_s)),
        }]),
        respond,
        concurrency: crate::forward::DEFAULT_FORWARD_CONCURRENCY,
    }
}

fn rig(forward: Option<ForwardConfig>) -> Rig {
    rig_choosing(forward, None)
}

fn rig_choosing(forward: Option<ForwardConfig>, chosen: Option<Chosen>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("h.db"), OpenMode::Create).unwrap();
    let (writer, _thread) = spawn_writer(store).unwrap();
    let (tx, reports) = crate::report::channel();
    let cfg = IntakeConfig {
        secrets: vec![Secret::parse(SECRET).unwrap()],
        tolerance_s: 300,
        forward,
        chosen,
    };
    Rig {
        dir,
        intake: Intake::new(cfg, writer, tx),
        reports,
    }
}

impl Rig {
    fn store(&self) -> Store {
        Store::open(&self.dir.path().join("h.db"), OpenMode::Existing).unwrap()
    }
}

fn capture_id(a: &Answer) -> i64 {
    a.headers[CAPTURE_HEADER].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn valid_and_invalid_deliveries_are_committed_then_acknowledged() {
    let mut rig = rig(None);
    let body = br#"{"id":"e1","event_type":"AML_SCREENING"}"#;
    let mut bad = signed(body);
    bad[1].1 = b"t=1,v1=00".to_vec();
    for (headers, status) in [(signed(body), Status::Valid), (bad, Status::Invalid)] {
        let answer = rig.intake.receive(received(headers, body)).await;
        assert_eq!(answer.status, StatusCode::OK);
        let id = capture_id(&answer);
        assert_eq!(answer.body, Bytes::from(format!("{{\"id\":{id}}}\n")));
        // Answered, so already committed: a fresh connection reads it back byte for byte.
        let stored = rig.store().get(id).unwrap().unwrap().capture;
        assert_eq!(stored.body, body);
        assert_eq!(stored.query.as_deref(), Some("x=1"));
        assert_eq!(stored.peer.as_deref(), Some("127.0.0.9:5555"));
        assert_eq!(stored.verdict.status(), status);
        assert_eq!(stored.event.event_type.as_deref(), Some("AML_SCREENING"));
        let Some(Report::Captured(s)) = rig.reports.recv().await else {
            panic!("no report")
        };
        assert_eq!((s.id, s.verdict.status()), (id, status));
    }
}

#[tokio::test]
async fn a_rejected_delivery_is_stored_then_refused() {
    let mut rig = rig(None);
    let mut r = received(vec![], b"{\"partial");
    r.request.body_size = 20_000;
    r.rejection = Some(Rejection {
        status: 413,
        reason: "too large".into(),
    });
    let answer = rig.intake.receive(r).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.headers["connection"], "close");
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(
        answer.body,
        Bytes::from("{\"error\":\"too large; stored as capture 1\",\"id\":1}\n")
    );
    let stored = rig.store().get(1).unwrap().unwrap().capture;
    assert_eq!(
        stored.answered, None,
        "the refusal says what the sender got"
    );
    assert!(stored.truncated);
    assert_eq!(stored.body_size, 20_000);
    assert_eq!(stored.rejected.unwrap().status, 413);
    assert!(matches!(rig.reports.recv().await, Some(Report::Captured(s)) if s.id == 1));
}

#[tokio::test]
async fn a_store_failure_is_503_and_nothing_is_acknowledged() {
    let (target, seen) = start_app().await;
    let mut rig = rig(Some(catch_all(
        target,
        EventFilter::default(),
        Respond::App,
        5,
    )));
    // Another connection breaks the schema under the writer: every insert now fails.
    rusqlite::Connection::open(rig.dir.path().join("h.db"))
        .unwrap()
        .execute_batch("DROP TABLE attempts; DROP TABLE captures;")
        .unwrap();
    let answer = rig.intake.receive(received(signed(b"{}"), b"{}")).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.headers.get(CAPTURE_HEADER).is_none());
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    assert!(text.contains("capture not stored"), "{text}");
    // Not reported, not forwarded.
    assert!(rig.reports.try_recv().is_err());
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn forwarding_mirrors_the_apps_answer_after_the_commit() {
    let (target, seen) = start_app().await;
    let mut rig = rig(Some(catch_all(
        format!("{target}/api").parse().unwrap(),
        EventFilter::default(),
        Respond::App,
        5,
    )));
    let body = br#"{"id":"e2"}"#;
    let answer = rig.intake.receive(received(signed(body), body)).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.body, Bytes::from_static(b"{\"ok\":true}"));
    assert_eq!(answer.headers["x-app"], "yes");
    assert!(answer.headers.get("content-length").is_none());
    let id = capture_id(&answer);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1, "/hook/api/dataspike/hook?x=1");
    assert_eq!(seen[0].3, Bytes::from_static(body));
    assert_eq!(
        header_value(&seen[0].2, "x-forwarded-for"),
        Some(&b"127.0.0.9"[..])
    );
    // Captured first, then the forward's attempt; both in the store.
    assert!(matches!(rig.reports.recv().await, Some(Report::Captured(s)) if s.id == id));
    let Some(Report::Attempted {
        capture_id,
        attempt,
        replay: false,
    }) = rig.reports.recv().await
    else {
        panic!("no attempt report")
    };
    assert_eq!((capture_id, attempt.status), (id, Some(201)));
    let attempts = rig.store().attempts(id).unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, Some(201));
    assert!(!attempts[0].resigned);
}

#[tokio::test]
async fn respond_ack_answers_at_once_and_forwards_in_the_background() {
    let (target, seen) = start_app().await;
    let mut rig = rig(Some(catch_all(
        target,
        EventFilter::default(),
        Respond::Ack,
        5,
    )));
    let answer = rig.intake.receive(received(signed(b"{}"), b"{}")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let id = capture_id(&answer);
    assert_eq!(answer.body, Bytes::from(format!("{{\"id\":{id}}}\n")));
    assert!(matches!(
        rig.reports.recv().await,
        Some(Report::Captured(_))
    ));
    assert!(matches!(
        rig.reports.recv().await,
        Some(Report::Attempted { replay: false, .. })
    ));
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(rig.store().attempts(id).unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_app_gets_502_and_the_capture_is_kept() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rig = rig(Some(catch_all(
        format!("http://127.0.0.1:{port}").parse().unwrap(),
        EventFilter::default(),
        Respond::App,
        5,
    )));
    let answer = rig.intake.receive(received(signed(b"{}"), b"{}")).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    let id = capture_id(&answer);
    assert!(rig.store().get(id).unwrap().is_some());
    assert!(rig.store().attempts(id).unwrap()[0].error.is_some());
}

#[test]
fn import_and_live_share_one_verification() {
    let secret = Secret::parse(SECRET).unwrap();
    let body = b"{}".to_vec();
    let r = Received {
        received_at_ms: 1_800_000_000_000,
        ..received(
            vec![(
                b"X-Webhook-Signature".to_vec(),
                sign_header(&secret, 1_800_000_000, &body).into_bytes(),
            )],
            &body,
        )
    };
    let live = build_capture(r, std::slice::from_ref(&secret), 300, 1_800_000_010);
    let mut imported = live.clone();
    imported.verdict = Verdict::Unsigned;
    verify(&mut imported, &[secret], 300, 1_800_000_010);
    assert_eq!(live.verdict.status(), Status::Valid);
    assert_eq!(imported.verdict, live.verdict);
}

#[tokio::test]
async fn only_the_chosen_event_types_are_forwarded_the_rest_are_captured() {
    let (target, seen) = start_app().await;
    let rig = rig(Some(catch_all(
        target,
        EventFilter::only(["docver".to_string(), "AML_SCREENING".to_string()]),
        Respond::App,
        5,
    )));
    let kyt = br#"{"id":"e1","event_type":"KYT_WALLET_CHECK"}"#;
    let answer = rig.intake.receive(received(signed(kyt), kyt)).await;
    assert_eq!(answer.status, StatusCode::OK, "acknowledged by hookscope");
    let id = capture_id(&answer);
    assert!(rig.store().get(id).unwrap().is_some(), "captured");
    assert!(
        rig.store().attempts(id).unwrap().is_empty(),
        "not forwarded"
    );
    assert!(seen.lock().unwrap().is_empty());
    let docver = br#"{"id":"e2","event_type":"DOCVER"}"#;
    let answer = rig.intake.receive(received(signed(docver), docver)).await;
    assert_eq!(rig.store().attempts(capture_id(&answer)).unwrap().len(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1, "any case matches");
    let answer = rig.intake.receive(received(signed(b"x"), b"x")).await;
    assert!(
        rig.store()
            .attempts(capture_id(&answer))
            .unwrap()
            .is_empty(),
        "no event type"
    );
}

#[test]
fn an_empty_event_filter_forwards_everything() {
    let all = EventFilter::default();
    assert!(all.forwards(None) && all.forwards(Some("DOCVER")));
    assert_eq!(all.describe(), None);
    let some = EventFilter::only(["DOCVER".to_string(), " ".to_string()]);
    assert_eq!(some.describe().as_deref(), Some("DOCVER only"));
    assert!(!some.forwards(None));
}

#[tokio::test]
async fn the_first_route_that_takes_a_delivery_forwards_it_and_is_recorded() {
    let (kyc, kyc_seen) = start_app().await;
    let (rest, rest_seen) = start_app().await;
    let route = |name: &str, prefix: &str, target: &Uri, strip: bool| Route {
        name: name.into(),
        rule: Rule::new(prefix, None, EventFilter::default()),
        target: target.clone(),
        strip_prefix: strip,
        // What a route of hookscope.toml (or --forward-header) adds to its forwards.
        headers: vec![
            ("X-Route".to_string(), name.to_string()),
            (
                "Content-Type".to_string(),
                "application/json; route".to_string(),
            ),
        ],
        respond: None,
        with: Forwarder::new(Duration::from_secs(5)),
    };
    let rig = rig(Some(ForwardConfig {
        routes: RouteTable::new(vec![
            route("kyc", "/dataspike", &kyc, true),
            route("rest", "/other", &rest, false),
        ]),
        respond: Respond::App,
        concurrency: crate::forward::DEFAULT_FORWARD_CONCURRENCY,
    }));
    let answer = rig.intake.receive(received(signed(b"{}"), b"{}")).await;
    let id = capture_id(&answer);
    let stored = rig.store().get(id).unwrap().unwrap().capture;
    assert_eq!(stored.route.as_deref(), Some("kyc"));
    let attempts = rig.store().attempts(id).unwrap();
    // '/dataspike/hook' with the prefix stripped is '/hook', which the target already ends
    // with: not doubled.
    assert_eq!(attempts[0].target, format!("{kyc}?x=1"), "prefix stripped");
    assert_eq!(kyc_seen.lock().unwrap().len(), 1);
    let headers = kyc_seen.lock().unwrap()[0].2.clone();
    assert_eq!(
        header_value(&headers, "x-route"),
        Some(&b"kyc"[..]),
        "added"
    );
    assert_eq!(
        header_value(&headers, "content-type"),
        Some(&b"application/json; route"[..]),
        "replaced, not doubled"
    );
    assert!(rest_seen.lock().unwrap().is_empty());

    let mut elsewhere = received(signed(b"{}"), b"{}");
    elsewhere.request.path = "/nowhere".into();
    let answer = rig.intake.receive(elsewhere).await;
    assert_eq!(answer.status, StatusCode::OK, "acknowledged by hookscope");
    let id = capture_id(&answer);
    let stored = rig.store().get(id).unwrap().unwrap().capture;
    assert_eq!(stored.route, None, "no route");
    assert!(rig.store().attempts(id).unwrap().is_empty());
    assert_eq!(kyc_seen.lock().unwrap().len(), 1);
    assert!(rest_seen.lock().unwrap().is_empty());
}

#[test]
fn a_sender_waiting_on_the_app_gets_504_for_a_timeout_and_502_otherwise() {
    let timeout = ForwardError::Timeout {
        target: "http://a/".into(),
        timeout: Duration::from_secs(10),
    };
    assert_eq!(super::gateway_status(&timeout), StatusCode::GATEWAY_TIMEOUT);
    let refused = ForwardError::BadRequest("x".into());
    assert_eq!(super::gateway_status(&refused), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn a_chosen_status_answers_each_events_first_deliveries_then_the_app_does() {
    let (target, seen) = start_app().await;
    let rig = rig_choosing(
        Some(catch_all(target, EventFilter::default(), Respond::App, 5)),
        Some(Chosen::parse("503,delay=20ms,times=2").unwrap()),
    );
    let evt = br#"{"id":"evt_1","event_type":"DOCVER"}"#;
    let other = br#"{"id":"evt_2","event_type":"DOCVER"}"#;
    let mut statuses = Vec::new();
    for body in [&evt[..], other, evt, evt, other] {
        let answer = rig.intake.receive(received(signed(body), body)).await;
        statuses.push(answer.status.as_u16());
        let stored = rig
            .store()
            .get(capture_id(&answer))
            .unwrap()
            .unwrap()
            .capture;
        let key = std::str::from_utf8(&body[7..12]).unwrap();
        assert_eq!(stored.event_key.as_deref(), Some(key));
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            let text = String::from_utf8_lossy(&answer.body).into_owned();
            assert!(text.contains("\"chosen\":true"), "{text}");
            assert_eq!(
                stored.answered,
                Some(Answered::Chosen {
                    status: 503,
                    delay_ms: 20
                })
            );
            assert_eq!(stored.route, None, "not forwarded");
        } else {
            assert_eq!(stored.answered, Some(Answered::App));
        }
    }
    assert_eq!(statuses, [503, 503, 503, 201, 503]);
    // Only the third delivery of evt_1 reached the app.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].3, Bytes::from_static(evt));
}

#[tokio::test]
async fn a_routes_own_chosen_status_wins_and_no_forwarding_still_chooses() {
    let (target, seen) = start_app().await;
    let mut cfg = catch_all(target, EventFilter::default(), Respond::Ack, 5);
    cfg.routes = RouteTable::new(
        cfg.routes
            .routes()
            .iter()
            .map(|r| Route {
                name: r.name.clone(),
                rule: r.rule.clone(),
                target: r.target.clone(),
                strip_prefix: false,
                headers: Vec::new(),
                respond: Some(Chosen::parse("429,times=1").unwrap()),
                with: r.with.clone(),
            })
            .collect(),
    );
    let rig = rig_choosing(Some(cfg), Some(Chosen::parse("500").unwrap()));
    let body = br#"{"id":"evt_9"}"#;
    let first = rig.intake.receive(received(signed(body), body)).await;
    let second = rig.intake.receive(received(signed(body), body)).await;
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (429, 200));
    let stored = rig
        .store()
        .get(capture_id(&second))
        .unwrap()
        .unwrap()
        .capture;
    assert_eq!(stored.answered, Some(Answered::Ack));

    // Without forwarding, the listener's own; a delivery without an event id is its own event.
    let rig = rig_choosing(None, Some(Chosen::parse("502,times=1").unwrap()));
    for _ in 0..2 {
        let answer = rig.intake.receive(received(signed(b"{}"), b"{}")).await;
        assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    }
    let answer = rig.intake.receive(received(signed(body), body)).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    let answer = rig.intake.receive(received(signed(body), body)).await;
    assert_eq!(answer.status, StatusCode::OK);
    let stored = rig
        .store()
        .get(capture_id(&answer))
        .unwrap()
        .unwrap()
        .capture;
    assert_eq!(stored.answered, Some(Answered::Ack));
    // The app-less rig and the routed one: only the routed second delivery was forwarded.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(seen.lock().unwrap().len() <= 1);
}

#[test]
fn a_timed_out_forward_reads_back_as_the_504_the_sender_got() {
    let timeout = ForwardError::Timeout {
        target: "http://127.0.0.1:1/".into(),
        timeout: Duration::from_secs(10),
    };
    assert_eq!(gateway_status_of(&timeout.to_string()), 504);
    assert_eq!(gateway_status(&timeout).as_u16(), 504);
    let refused = ForwardError::BadRequest("x".into());
    assert_eq!(gateway_status_of(&refused.to_string()), 502);
}
