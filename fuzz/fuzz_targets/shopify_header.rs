//! `X-Shopify-Hmac-Sha256` parsing and verification; see `common/scheme.rs` for the
//! invariants. Oracle: Shopify's documented algorithm, base64 HMAC-SHA256 of the body keyed by
//! the secret's text.
#![no_main]

#[path = "common/scheme.rs"]
mod common;

use base64::Engine;
use common::{hmac, one, run, Reading};
use hookscope::headers::HeaderPair;
use hookscope::signature::Scheme;
use libfuzzer_sys::fuzz_target;

const A: &str = "shopify-fuzz-secret-a-91c2";
const B: &str = "shpss_0123456789abcdef0123456789abcdef";

fn oracle(key: &[u8], headers: &[HeaderPair], body: &[u8]) -> Option<Reading> {
    let value = one(headers, "X-Shopify-Hmac-Sha256")?;
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let received = lenient
        .decode(value.trim())
        .ok()
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
        .into_iter()
        .collect();
    Some(Reading {
        received,
        expected: hmac(key, &[body]),
        t: None,
    })
}

fuzz_target!(|data: &[u8]| {
    run(
        Scheme::Shopify,
        [A, B],
        [A.as_bytes().to_vec(), B.as_bytes().to_vec()],
        oracle,
        data,
    );
});
