//! `X-Webhook-Signature` parsing and verification.
//!
//! Input: the header value(s) up to the first `\n` (several values separated by NUL bytes; an
//! empty head means no header at all), then the raw body. Invariants:
//! - nothing panics, whatever the bytes and whatever `now` and tolerance;
//! - a `Valid` (or `Stale`) verdict is confirmed by an independent HMAC-SHA256 over
//!   `"{t as sent}." + body` with the named secret, computed here with `hmac` + `sha2`, and
//!   `Valid` only when `|now - t| <= tolerance` (or tolerance 0);
//! - conversely, a header that parses and whose `v1` the oracle confirms is never `Invalid`;
//! - with no secret the verdict is never `Valid`/`Stale`;
//! - `sign_header` output always verifies;
//! - diagnostics and reasons never contain a secret key.
#![no_main]

use hmac::{Hmac, Mac};
use hookscope::headers::HeaderPair;
use hookscope::signature::dataspike::{parse_header, sign_header, SIGNATURE_HEADER};
use hookscope::signature::{Diagnostics, Scheme, Secret, Verdict};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

/// The test vector secret from shared/reference/dataspike.md.
const SECRET_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// A second, 31-byte secret (as long as the one in Dataspike's own docs), for rotation.
const SECRET_B: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f";
const NOW: i64 = 1_700_000_100;

fn oracle_mac(key_hex: &str, t_text: &str, body: &[u8]) -> [u8; 32] {
    let key = hex::decode(key_hex).unwrap();
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    m.update(t_text.as_bytes());
    m.update(b".");
    m.update(body);
    m.finalize().into_bytes().into()
}

/// Independent reading of the header: every `t` text and every `v1` that hex-decodes to 32
/// bytes. Deliberately simple; it only has to be right about the cryptography.
fn oracle_items(value: &[u8]) -> Option<(Vec<String>, Vec<[u8; 32]>)> {
    let text = std::str::from_utf8(value).ok()?;
    let mut ts = Vec::new();
    let mut v1s = Vec::new();
    for item in text.split(',') {
        let Some((name, val)) = item.split_once('=') else {
            continue;
        };
        match name.trim() {
            "t" => ts.push(val.trim().to_string()),
            "v1" => {
                let mut out = [0u8; 32];
                if hex::decode_to_slice(val.trim(), &mut out).is_ok() {
                    v1s.push(out);
                }
            }
            _ => {}
        }
    }
    Some((ts, v1s))
}

/// The verdict on a delivery carrying these `X-Webhook-Signature` values, one header each.
fn verify(
    values: &[&[u8]],
    body: &[u8],
    secrets: &[Secret],
    now: i64,
    tolerance: u64,
) -> (Verdict, Option<Diagnostics>) {
    let headers: Vec<HeaderPair> = values
        .iter()
        .map(|v| (SIGNATURE_HEADER.as_bytes().to_vec(), v.to_vec()))
        .collect();
    Scheme::Dataspike.verify(&headers, body, secrets, now, tolerance)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let values: Vec<&[u8]> = if head.is_empty() {
        Vec::new()
    } else {
        head.split(|&b| b == 0).collect()
    };
    let keys = [SECRET_A, SECRET_B];
    let secrets: Vec<Secret> = keys
        .iter()
        .map(|k| Secret::parse(&format!("whsec_{k}")).unwrap())
        .collect();

    // The parser alone, on each value.
    for v in &values {
        if let Ok(p) = parse_header(v) {
            assert!(p.t >= 0 && p.t <= 9_999_999_999, "t out of range: {}", p.t);
            assert!(!p.v1.is_empty());
            assert!(p.v1.iter().all(|s| s.len() == 64));
        }
    }

    let may_leak_check = !keys.iter().any(|k| contains(data, k.as_bytes()));
    for (now, tolerance) in [(NOW, 300), (i64::MIN, 300), (i64::MAX, 0), (NOW, u64::MAX)] {
        let (verdict, diag) = verify(&values, body, &secrets, now, tolerance);
        let reason = verdict.reason();
        let json = verdict.to_json().to_string();
        if may_leak_check {
            let shown = format!("{verdict:?} {diag:?} {reason:?} {json}");
            for k in keys {
                assert!(!shown.contains(k), "a secret leaked into {shown}");
            }
        }

        // With no secret nothing can be valid.
        let (unkeyed, _) = verify(&values, body, &[], now, tolerance);
        assert!(
            !matches!(unkeyed, Verdict::Valid { .. } | Verdict::Stale { .. }),
            "{unkeyed:?} without any secret"
        );

        match &verdict {
            Verdict::Valid {
                secret_index,
                skew_s,
                ..
            }
            | Verdict::Stale {
                secret_index,
                skew_s,
                ..
            } => {
                assert_eq!(values.len(), 1);
                let (ts, v1s) = oracle_items(values[0]).expect("valid header is not UTF-8");
                assert_eq!(ts.len(), 1, "verdict {verdict:?} with t items {ts:?}");
                let t: i64 = ts[0].parse().expect("t not numeric");
                let mac = oracle_mac(keys[*secret_index], &ts[0], body);
                assert!(
                    v1s.contains(&mac),
                    "{verdict:?} but the oracle HMAC under secret {secret_index} matches no v1"
                );
                // The first matching secret is the one reported.
                for k in &keys[..*secret_index] {
                    assert!(!v1s.contains(&oracle_mac(k, &ts[0], body)));
                }
                assert_eq!(*skew_s, now.saturating_sub(t));
                let within = tolerance == 0 || skew_s.unsigned_abs() <= tolerance;
                assert_eq!(
                    matches!(verdict, Verdict::Valid { .. }),
                    within,
                    "{verdict:?} at now={now} tolerance={tolerance}"
                );
            }
            Verdict::Invalid { .. } => {
                // Whatever parses and carries a MAC the oracle confirms must not be Invalid.
                if let [one] = values.as_slice() {
                    if let (Ok(p), Some((ts, v1s))) = (parse_header(one), oracle_items(one)) {
                        if ts.len() == 1 && ts[0] == p.t.to_string() {
                            for k in keys {
                                assert!(
                                    !v1s.contains(&oracle_mac(k, &ts[0], body)),
                                    "oracle confirms a v1 but the verdict is {verdict:?}"
                                );
                            }
                        }
                    }
                }
            }
            Verdict::Unsigned => assert!(values.is_empty()),
            Verdict::Unverified { .. } => panic!("Unverified although secrets were given"),
        }
    }

    // What hookscope signs, it verifies.
    let t = values
        .first()
        .and_then(|v| parse_header(v).ok())
        .map_or(1_700_000_000, |p| p.t);
    let header = sign_header(&secrets[1], t, body);
    let (v, _) = verify(&[header.as_bytes()], body, &secrets, t, 300);
    assert_eq!(
        v,
        Verdict::Valid {
            scheme: Scheme::Dataspike,
            secret_index: 1,
            skew_s: 0
        }
    );
});
