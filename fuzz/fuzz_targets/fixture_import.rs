//! Fixture and HAR import.
//!
//! The same bytes go to `Fixture::parse` and to `har::parse`. Invariants:
//! - neither panics;
//! - a fixture that parses becomes a capture (`to_capture`), and that capture exported again
//!   (`from_capture` -> `to_json_pretty`) parses back with the same body, headers (in order,
//!   signature header in its place), method, path and query;
//! - every capture a HAR file yields exports to a fixture that parses back with the same request.
#![no_main]

use hookscope::capture::Capture;
use hookscope::fixture::{har, Fixture};
use libfuzzer_sys::fuzz_target;

const IMPORTED_AT_MS: i64 = 1_700_000_000_000;

fn export_and_reimport(what: &str, capture: &Capture) {
    let text = Fixture::from_capture(7, capture).to_json_pretty();
    let back = match Fixture::parse(text.as_bytes()) {
        Ok(f) => f,
        Err(e) => panic!("{what}: exported fixture does not import: {e}\n{text}"),
    };
    assert_eq!(back.body, capture.body, "{what}: body changed\n{text}");
    assert_eq!(
        back.full_headers(),
        capture.headers,
        "{what}: headers changed\n{text}"
    );
    assert_eq!(back.method, capture.method, "{what}: method changed");
    assert_eq!(back.path, capture.path, "{what}: path changed");
    assert_eq!(back.query, capture.query, "{what}: query changed");
    let again = back.to_capture(IMPORTED_AT_MS);
    assert_eq!(again.body, capture.body);
    assert_eq!(again.headers, capture.headers);
    assert_eq!(
        again.received_at_ms, capture.received_at_ms,
        "{what}: time changed\n{text}"
    );
    assert_eq!(
        again.body_size, capture.body_size,
        "{what}: body size changed\n{text}"
    );
    assert_eq!(again.truncated, capture.truncated);
    assert_eq!(again.verdict, capture.verdict);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(fixture) = Fixture::parse(data) {
        let capture = fixture.to_capture(IMPORTED_AT_MS);
        assert_eq!(capture.body, fixture.body);
        assert!(capture.body_size >= capture.body.len() as u64);
        export_and_reimport("fixture", &capture);
        // Building the outgoing request must not panic either.
        let _ = fixture.request(None, 1_700_000_000, hookscope::fixture::Signing::AsCaptured);
        let _ = fixture.file_name();
        let _ = fixture.body_file_name();
    }
    if let Ok(captures) = har::parse(data) {
        for c in &captures {
            assert!(c.body_size >= c.body.len() as u64);
            export_and_reimport("har", c);
        }
    }
});
