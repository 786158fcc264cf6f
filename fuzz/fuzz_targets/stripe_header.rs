//! `Stripe-Signature` parsing and verification; see `common/scheme.rs` for the invariants.
//! Oracle: Stripe's documented algorithm, HMAC-SHA256 of `"{t}.{body}"` keyed by the secret's
//! text, `whsec_` included.
#![no_main]

#[path = "common/scheme.rs"]
mod common;

use common::{hmac, one, run, Reading};
use hookscope::headers::HeaderPair;
use hookscope::signature::Scheme;
use libfuzzer_sys::fuzz_target;

const A: &str = "whsec_test_secret";
const B: &str = "whsec_0123456789abcdef0123456789abcdef";

fn oracle(key: &[u8], headers: &[HeaderPair], body: &[u8]) -> Option<Reading> {
    let value = one(headers, "Stripe-Signature")?;
    let mut t = None;
    let mut received = Vec::new();
    for item in value.split(',') {
        let (name, val) = item.split_once('=')?;
        match name.trim() {
            "t" => t = Some(val.trim().parse::<i64>().ok()?),
            "v1" => {
                let mut d = [0u8; 32];
                if hex::decode_to_slice(val.trim(), &mut d).is_ok() {
                    received.push(d);
                }
            }
            _ => {}
        }
    }
    let t = t?;
    Some(Reading {
        received,
        expected: hmac(key, &[format!("{t}.").as_bytes(), body]),
        t: Some(t),
    })
}

fuzz_target!(|data: &[u8]| {
    run(
        Scheme::Stripe,
        [A, B],
        [A.as_bytes().to_vec(), B.as_bytes().to_vec()],
        oracle,
        data,
    );
});
