//! `X-Slack-Signature` / `X-Slack-Request-Timestamp` parsing and verification; see
//! `common/scheme.rs` for the invariants. Oracle: Slack's documented algorithm, `v0=` + hex
//! HMAC-SHA256 of `"v0:{timestamp as sent}:{body}"` keyed by the Signing Secret's text.
#![no_main]

#[path = "common/scheme.rs"]
mod common;

use common::{hmac, one, run, Reading};
use hookscope::headers::HeaderPair;
use hookscope::signature::Scheme;
use libfuzzer_sys::fuzz_target;

const A: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const B: &str = "0123456789abcdef0123456789abcdef";

fn oracle(key: &[u8], headers: &[HeaderPair], body: &[u8]) -> Option<Reading> {
    let value = one(headers, "X-Slack-Signature")?;
    let ts = one(headers, "X-Slack-Request-Timestamp")?.trim();
    let t: i64 = ts.parse().ok()?;
    let mut d = [0u8; 32];
    let received = match value.trim().strip_prefix("v0=") {
        Some(h) if hex::decode_to_slice(h, &mut d).is_ok() => vec![d],
        _ => Vec::new(),
    };
    Some(Reading {
        received,
        expected: hmac(key, &[format!("v0:{ts}:").as_bytes(), body]),
        t: Some(t),
    })
}

fuzz_target!(|data: &[u8]| {
    run(
        Scheme::Slack,
        [A, B],
        [A.as_bytes().to_vec(), B.as_bytes().to_vec()],
        oracle,
        data,
    );
});
