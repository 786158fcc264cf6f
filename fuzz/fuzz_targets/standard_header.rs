//! Standard Webhooks (`webhook-*` and `svix-*`) parsing and verification; see
//! `common/scheme.rs` for the invariants. Oracle: the spec's algorithm, HMAC-SHA256 of
//! `"{id}.{timestamp}.{body}"` keyed by the base64 after `whsec_`, base64 signatures after `v1,`.
#![no_main]

#[path = "common/scheme.rs"]
mod common;

use base64::Engine;
use common::{hmac, one, run, Reading};
use hookscope::headers::HeaderPair;
use hookscope::signature::Scheme;
use libfuzzer_sys::fuzz_target;

const A: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const B: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn key(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim_start_matches("whsec_"))
        .unwrap()
}

fn oracle(key: &[u8], headers: &[HeaderPair], body: &[u8]) -> Option<Reading> {
    let has = |n: &str| {
        headers
            .iter()
            .any(|(h, _)| h.eq_ignore_ascii_case(n.as_bytes()))
    };
    let p = if !has("webhook-signature") && has("svix-signature") {
        "svix"
    } else {
        "webhook"
    };
    let id = one(headers, &format!("{p}-id"))?.trim();
    let t: i64 = one(headers, &format!("{p}-timestamp"))?
        .trim()
        .parse()
        .ok()?;
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let received = one(headers, &format!("{p}-signature"))?
        .split_ascii_whitespace()
        .filter_map(|item| item.strip_prefix("v1,"))
        .filter_map(|sig| lenient.decode(sig).ok()?.try_into().ok())
        .collect();
    Some(Reading {
        received,
        expected: hmac(key, &[format!("{id}.{t}.").as_bytes(), body]),
        t: Some(t),
    })
}

fuzz_target!(|data: &[u8]| {
    run(Scheme::Standard, [A, B], [key(A), key(B)], oracle, data);
});
