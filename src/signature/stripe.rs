//! Stripe's scheme: `Stripe-Signature: t={unix},v1={hex HMAC-SHA256("{t}.{raw body}")}`, keyed
//! by the secret's own text, `whsec_` included (never decoded). Several `v1` may come (during a
//! secret roll), any match passes; `v0` and other tags are ignored. Like Stripe's libraries, only
//! a timestamp too far in the past is stale: one ahead of the clock passes. Pure.

use super::check::{self, encode_hex, hex_digest, Signed, Window, HEX};
use super::timestamped;
use super::{Scheme, Secret, SecretError};
use crate::headers::HeaderPair;

pub const SIGNATURE_HEADER: &str = "Stripe-Signature";
pub const HEADERS: &[&str] = &[SIGNATURE_HEADER];

const SECRET_PREFIX: &str = "whsec_";

pub const SECRET_EMPTY_HINT: &str =
    "give the endpoint's 'whsec_...' signing secret from the Stripe dashboard (or 'stripe listen')";
pub const SECRET_FORMAT: &str = "Stripe's signing secret text ('whsec_...')";

/// The key is the secret's text as given (spaces around it trimmed), `whsec_` included.
pub fn parse_key(text: &str) -> Result<Vec<u8>, SecretError> {
    let text = text.trim();
    if text.is_empty() || text == SECRET_PREFIX {
        return Err(SecretError::Empty(Scheme::Stripe));
    }
    Ok(text.as_bytes().to_vec())
}

/// A fresh `whsec_` secret; its text is the key.
pub fn generate_key() -> (Vec<u8>, String) {
    let random: [u8; 24] = rand::random();
    let text = format!("{SECRET_PREFIX}{}", hex::encode(random));
    (text.clone().into_bytes(), text)
}

/// Hex HMAC-SHA256 of `"{t}.{body}"` under the secret's text.
///
/// The payload and secret of Stripe's own library tests; the signature is what stripe-python's
/// `WebhookSignature.generate_signature_header` makes of them:
/// ```
/// use hookscope::signature::{sign_headers, Scheme, Secret};
/// let secret = Secret::parse_for(Scheme::Stripe, "whsec_test_secret").unwrap();
/// let body = b"{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";
/// assert_eq!(
///     sign_headers(&secret, 1_700_000_000, body),
///     [(
///         "Stripe-Signature",
///         "t=1700000000,v1=4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150".to_string()
///     )]
/// );
/// ```
pub fn sign(secret: &Secret, t: i64, body: &[u8]) -> String {
    hex::encode(check::mac(secret.key(), format!("{t}.").as_bytes(), body))
}

pub fn sign_headers(secret: &Secret, t: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![(
        SIGNATURE_HEADER,
        format!("t={t},v1={}", sign(secret, t, body)),
    )]
}

/// The `Stripe-Signature` header of `headers`, ready to check: `None` when absent.
pub(super) fn parse(headers: &[HeaderPair]) -> check::Parsed {
    let Some(value) = check::single(headers, SIGNATURE_HEADER)? else {
        return Ok(None);
    };
    let parsed = timestamped::parse(value, "v1", hex_digest)
        .map_err(|e| e.reason(SIGNATURE_HEADER, HEX.shape))?;
    Ok(Some(Signed {
        scheme: Scheme::Stripe,
        timestamp: Some(parsed.t),
        window: Window::PastOnly,
        prefix: format!("{}.", parsed.t),
        received: parsed.signatures,
        encode: encode_hex,
        key_variants,
        mismatch: "is the secret this endpoint's signing secret? Each endpoint, and 'stripe listen', has its own",
    }))
}

/// Keys a sender gets by decoding Stripe's secret text, or by dropping or adding `whsec_`.
fn key_variants(key: &[u8]) -> Vec<(Vec<u8>, &'static str)> {
    let decoded = "the secret is used as text, whsec_ included: did you hex-decode it? (the signature was made with the secret decoded after 'whsec_')";
    let mut out = Vec::new();
    let Ok(text) = std::str::from_utf8(key) else {
        return out;
    };
    match text.strip_prefix(SECRET_PREFIX) {
        Some(rest) => {
            if let Ok(k) = hex::decode(rest) {
                out.push((k, decoded));
            }
            if let Some(k) = decode_base64(rest) {
                out.push((k, decoded));
            }
            out.push((
                rest.as_bytes().to_vec(),
                "the signature was made without the 'whsec_' prefix; Stripe's key is the whole secret text, whsec_ included",
            ));
        }
        None => out.push((
            format!("{SECRET_PREFIX}{text}").into_bytes(),
            "the signature was made with 'whsec_' in front of the secret: give the secret whole, 'whsec_...' as Stripe shows it",
        )),
    }
    out
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{verify_capture, Status, Verdict};
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    // Stripe's library test fixture; signature from stripe-python's generate_signature_header.
    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = b"{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";
    const T: i64 = 1_700_000_000;
    const V1: &str = "4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150";

    fn secret() -> Secret {
        Secret::parse_for(Scheme::Stripe, SECRET).unwrap()
    }

    fn headers(value: &str) -> Vec<HeaderPair> {
        vec![(b"Stripe-Signature".to_vec(), value.as_bytes().to_vec())]
    }

    fn check_at(value: &str, body: &[u8], secrets: &[Secret], now: i64) -> Verdict {
        Scheme::Stripe
            .verify(&headers(value), body, secrets, now, 300)
            .0
    }

    /// Stripe's documented algorithm, straight from `hmac` and `sha2`.
    fn independent(secret: &str, t: i64, body: &[u8]) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        m.update(format!("{t}.").as_bytes());
        m.update(body);
        hex::encode(m.finalize().into_bytes())
    }

    #[test]
    fn published_vector_and_independent_mac() {
        assert_eq!(sign(&secret(), T, BODY), V1);
        assert_eq!(independent(SECRET, T, BODY), V1);
        assert_eq!(
            check_at(&format!("t={T},v1={V1}"), BODY, &[secret()], T + 4),
            Verdict::Valid {
                scheme: Scheme::Stripe,
                secret_index: 0,
                skew_s: 4
            }
        );
    }

    #[test]
    fn several_v1_any_passes_v0_ignored() {
        let wrong = "0".repeat(64);
        let h = format!("t={T},v1={wrong},v1={V1},v0={wrong}");
        assert_eq!(check_at(&h, BODY, &[secret()], T).status(), Status::Valid);
        let v0_only = format!("t={T},v0={V1}");
        assert_eq!(
            check_at(&v0_only, BODY, &[secret()], T),
            Verdict::Invalid {
                scheme: Scheme::Stripe,
                reason: crate::signature::Reason::new(
                    "missing_v1",
                    "no v1 signature in the header"
                )
            }
        );
    }

    #[test]
    fn tolerance_is_past_only() {
        let h = format!("t={T},v1={V1}");
        let old = check_at(&h, BODY, &[secret()], T + 301);
        assert_eq!(old.status(), Status::Stale);
        assert_eq!(old.skew_s(), Some(301));
        // A timestamp ahead of the clock passes, as in Stripe's libraries.
        assert_eq!(
            check_at(&h, BODY, &[secret()], T - 10_000).status(),
            Status::Valid
        );
        assert_eq!(
            check_at(&h, BODY, &[secret()], T + 300).status(),
            Status::Valid
        );
    }

    #[test]
    fn rotation_and_other_schemes_secrets() {
        let old = Secret::parse_for(Scheme::Stripe, "whsec_old").unwrap();
        let ds = Secret::parse("whsec_00ff").unwrap();
        let h = format!("t={T},v1={V1}");
        assert_eq!(
            check_at(&h, BODY, &[ds.clone(), old, secret()], T),
            Verdict::Valid {
                scheme: Scheme::Stripe,
                secret_index: 2,
                skew_s: 0
            }
        );
        // Only a Dataspike secret: the Stripe delivery is unverified, not failed.
        assert_eq!(
            check_at(&h, BODY, &[ds], T),
            Verdict::Unverified {
                scheme: Scheme::Stripe
            }
        );
    }

    #[test]
    fn malformed_headers() {
        let table = [
            (format!("v1={V1}"), "missing_timestamp"),
            (format!("t={T},t={T},v1={V1}"), "duplicate_timestamp"),
            (format!("t=x,v1={V1}"), "non_numeric_timestamp"),
            (format!("t=12345678901,v1={V1}"), "overlong_timestamp"),
            (format!("t={T}"), "missing_v1"),
            (format!("t={T},v1="), "malformed_v1"),
            (format!("t={T},v1={}", &V1[..62]), "malformed_v1"),
            (format!("t={T},v1={}", "z".repeat(64)), "malformed_v1"),
            (format!("t={T},junk,v1={V1}"), "item_without_equals"),
            (String::new(), "missing_timestamp"),
        ];
        for (h, code) in table {
            match check_at(&h, BODY, &[secret()], T) {
                Verdict::Invalid { reason, scheme } => {
                    assert_eq!(
                        (reason.code.as_str(), scheme),
                        (code, Scheme::Stripe),
                        "{h}"
                    )
                }
                v => panic!("{h}: {v:?}"),
            }
        }
        let two = [headers(&format!("t={T},v1={V1}")), headers("t=1,v1=0")].concat();
        let (v, _) = Scheme::Stripe.verify(&two, BODY, &[secret()], T, 300);
        assert!(
            matches!(v, Verdict::Invalid { ref reason, .. } if reason.code == "several_headers"),
            "{v:?}"
        );
        let (v, _) = Scheme::Stripe.verify(
            &[(b"stripe-signature".to_vec(), b"t=1,\xff".to_vec())],
            BODY,
            &[secret()],
            T,
            300,
        );
        assert!(matches!(v, Verdict::Invalid { ref reason, .. } if reason.code == "not_text"));
    }

    #[test]
    fn hex_decoded_secret_is_spotted() {
        let text = "whsec_00112233445566778899aabbccddeeff";
        let s = Secret::parse_for(Scheme::Stripe, text).unwrap();
        let decoded = hex::decode(&text[6..]).unwrap();
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&decoded).unwrap();
        m.update(format!("{T}.").as_bytes());
        m.update(BODY);
        let sig = hex::encode(m.finalize().into_bytes());
        let (v, d) =
            Scheme::Stripe.verify(&headers(&format!("t={T},v1={sig}")), BODY, &[s], T, 300);
        assert_eq!(v.status(), Status::Invalid);
        let hint = d.unwrap().hint.unwrap();
        assert!(hint.contains("did you hex-decode it?"), "{hint}");
    }

    #[test]
    fn empty_and_binary_bodies_and_hints() {
        let s = secret();
        for body in [&b""[..], b"\x00\xff\x80 not utf-8"] {
            let h = sign_headers(&s, T, body).remove(0).1;
            assert_eq!(
                check_at(&h, body, std::slice::from_ref(&s), T).status(),
                Status::Valid
            );
            assert_eq!(sign(&s, T, body), independent(SECRET, T, body));
        }
        let h = format!("t={T},v1={V1}");
        let mut nl = BODY.to_vec();
        nl.push(b'\n');
        let (_, d) = Scheme::Stripe.verify(&headers(&h), &nl, &[secret()], T, 300);
        assert!(d
            .unwrap()
            .hint
            .unwrap()
            .contains("gained a trailing newline"));
        let (_, d) = Scheme::Stripe.verify(&headers(&h), b"{}", &[secret()], T, 300);
        let d = d.unwrap();
        assert!(d.hint.unwrap().contains("Each endpoint"));
        assert_eq!(d.received, [V1]);
        assert_eq!(d.expected, [independent(SECRET, T, b"{}")]);
        assert_eq!(d.signed_preview, format!("{T}.{{}}"));
    }

    #[test]
    fn detected_among_headers_case_insensitively() {
        let h = vec![(
            b"STRIPE-signature".to_vec(),
            format!("t={T},v1={V1}").into_bytes(),
        )];
        let (v, _) = verify_capture(&h, BODY, &[secret()], T, 300);
        assert_eq!(v.status(), Status::Valid);
    }

    #[test]
    fn secret_text_is_the_key() {
        assert_eq!(secret().key(), SECRET.as_bytes());
        assert!(matches!(
            Secret::parse_for(Scheme::Stripe, "  "),
            Err(SecretError::Empty(Scheme::Stripe))
        ));
        let (s, text) = Secret::generate_for(Scheme::Stripe);
        assert_eq!(s.key(), text.as_bytes());
        assert!(text.starts_with("whsec_"));
    }
}
