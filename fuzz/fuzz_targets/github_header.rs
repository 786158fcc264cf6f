//! `X-Hub-Signature-256` parsing and verification; see `common/scheme.rs` for the invariants.
//! Oracle: GitHub's documented algorithm, `sha256=` + hex HMAC-SHA256 of the body keyed by the
//! secret's text.
#![no_main]

#[path = "common/scheme.rs"]
mod common;

use common::{hmac, one, run, Reading};
use hookscope::headers::HeaderPair;
use hookscope::signature::Scheme;
use libfuzzer_sys::fuzz_target;

const A: &str = "It's a Secret to Everybody";
const B: &str = "gh-fuzz-secret-b-7f3a";

fn oracle(key: &[u8], headers: &[HeaderPair], body: &[u8]) -> Option<Reading> {
    let value = one(headers, "X-Hub-Signature-256")?;
    let mut d = [0u8; 32];
    let received = match value.trim().strip_prefix("sha256=") {
        Some(h) if hex::decode_to_slice(h, &mut d).is_ok() => vec![d],
        _ => Vec::new(),
    };
    Some(Reading {
        received,
        expected: hmac(key, &[body]),
        t: None,
    })
}

fuzz_target!(|data: &[u8]| {
    run(
        Scheme::Github,
        [A, B],
        [A.as_bytes().to_vec(), B.as_bytes().to_vec()],
        oracle,
        data,
    );
});
