//! The record step against a real hyper server on loopback and a real SQLite store.

use super::*;
use crate::forward::testing::start_app;
use crate::forward::Signing;
use crate::headers::{header_value, HeaderPair};
use crate::signature::dataspike::SIGNATURE_HEADER;
use crate::signature::{verify_capture, Secret, Status};
use crate::store::{OpenMode, Store};
use bytes::Bytes;

fn hp(n: &str, v: &str) -> HeaderPair {
    (n.as_bytes().to_vec(), v.as_bytes().to_vec())
}

/// A store in a temp dir holding one signed capture, and a recorder on its own connection.
fn setup() -> (
    tempfile::TempDir,
    Capture,
    CaptureId,
    Recorder,
    crate::report::ReportRx,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.db"), OpenMode::Create).unwrap();
    let capture = Capture::new(
        0,
        "POST",
        "/hook",
        vec![
            hp("Host", "x"),
            hp("X-Webhook-Signature", "t=1,v1=00"),
            hp("Content-Type", "application/json"),
        ],
        b"{\"a\":1}".to_vec(),
    );
    let id = store.insert_capture(&capture).unwrap();
    let (tx, rx) = crate::report::channel();
    let recorder = Recorder {
        forwarder: Forwarder::new(Duration::from_secs(5)),
        attempts: Attempts::Worker(StoreWorker::spawn(store).unwrap()),
        reports: Some(tx),
    };
    (dir, capture, id, recorder, rx)
}

fn stored_attempts(dir: &tempfile::TempDir, id: CaptureId) -> Vec<Attempt> {
    Store::open(&dir.path().join("h.db"), OpenMode::Existing)
        .unwrap()
        .attempts(id)
        .unwrap()
}

#[tokio::test]
async fn as_is_resigned_and_edited_replays_are_sent_stored_and_reported() {
    let (dir, capture, id, recorder, mut reports) = setup();
    let (target, seen) = start_app().await;
    let secret = Secret::parse("whsec_00112233").unwrap();
    let now = chrono::Utc::now().timestamp();
    let plans = [
        ReplayPlan::new(Signing::AsIs, None, vec![], Some(&secret)).unwrap(),
        ReplayPlan::new(Signing::Resign, None, vec![], Some(&secret)).unwrap(),
        ReplayPlan::new(
            Signing::AsIs,
            Some(b"{\"edited\":1}".to_vec()),
            vec![],
            Some(&secret),
        )
        .unwrap(),
    ];
    for plan in &plans {
        let r = recorder
            .record(&target, Shipment::replay(id, &capture, plan, now))
            .await;
        assert_eq!(r.outcome.as_ref().unwrap().status, 201);
        assert!(r.stored.is_ok());
        assert_eq!(r.attempt.status, Some(201));
        assert_eq!(
            reports.recv().await,
            Some(Report::Attempted {
                capture_id: id,
                attempt: r.attempt.brief(),
                replay: true
            })
        );
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    // As captured: body and the stale signature byte for byte.
    assert_eq!(seen[0].1, "/hook");
    assert_eq!(seen[0].3, Bytes::from_static(b"{\"a\":1}"));
    assert_eq!(
        header_value(&seen[0].2, SIGNATURE_HEADER),
        Some(&b"t=1,v1=00"[..])
    );
    // Re-signed and edited: a fresh signature that verifies over what was sent.
    for (_, _, headers, body) in &seen[1..] {
        let (v, _) = verify_capture(headers, body, std::slice::from_ref(&secret), now, 300);
        assert_eq!(v.status(), Status::Valid);
    }
    assert_eq!(seen[2].3, Bytes::from_static(b"{\"edited\":1}"));

    let stored = stored_attempts(&dir, id);
    assert_eq!(stored.len(), 3);
    let resigned: Vec<bool> = stored.iter().map(|a| a.resigned).collect();
    assert_eq!(resigned.iter().filter(|r| **r).count(), 2);
    assert!(stored
        .iter()
        .all(|a| a.kind == AttemptKind::Replay && a.status == Some(201)));
    assert!(stored
        .iter()
        .any(|a| a.sent_body.as_deref() == Some(&b"{\"edited\":1}"[..])));
    assert!(stored.iter().all(|a| a.response_body == b"{\"ok\":true}"));
}

#[tokio::test]
async fn an_unreachable_target_is_recorded_as_an_error() {
    let (dir, capture, id, recorder, mut reports) = setup();
    // A port that was free a moment ago and has nobody listening now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target: Uri = format!("http://127.0.0.1:{port}/hook").parse().unwrap();
    let r = recorder
        .record(
            &target,
            Shipment::replay(id, &capture, &ReplayPlan::default(), 0),
        )
        .await;
    assert!(
        matches!(r.outcome, Err(ForwardError::Unreachable { .. })),
        "{:?}",
        r.outcome
    );
    assert!(r.stored.is_ok());
    let Some(Report::Attempted {
        attempt,
        replay: true,
        ..
    }) = reports.recv().await
    else {
        panic!("no report");
    };
    assert_eq!(attempt.status, None);
    let stored = stored_attempts(&dir, id);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status, None);
    assert!(
        stored[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("is your app running"),
        "{:?}",
        stored[0].error
    );
    assert_eq!(stored[0].target, target.to_string());
}

#[test]
fn attempt_caps_stored_body() {
    let target: Uri = "http://a/".parse().unwrap();
    let big = AppResponse {
        status: 200,
        headers: vec![],
        body: Bytes::from(vec![b'x'; MAX_STORED_RESPONSE_BODY + 10]),
    };
    let a = attempt_from(
        1,
        AttemptKind::Forward,
        0,
        &target,
        false,
        None,
        &Ok(big),
        Duration::from_millis(5),
    );
    assert!(a.response_truncated);
    assert_eq!(a.response_body.len(), MAX_STORED_RESPONSE_BODY);
    let err = ForwardError::Timeout {
        target: "http://a/".into(),
        timeout: Duration::from_secs(10),
    };
    let a = attempt_from(
        1,
        AttemptKind::Replay,
        0,
        &target,
        true,
        None,
        &Err(err),
        Duration::from_secs(10),
    );
    assert!(a.error.unwrap().contains("within 10 s"));
    assert_eq!(a.status, None);
}
