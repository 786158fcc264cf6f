//! Standard Webhooks (Svix's scheme, also under `svix-` header names): `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,{base64} [v1,{base64}...]`, signing
//! `"{id}.{timestamp}.{raw body}"` with HMAC-SHA256 keyed by the base64 after `whsec_`.
//! Several space-separated signatures may come, any `v1` match passes, other versions are
//! ignored; `v1a` (ed25519) is reported as unsupported rather than failed silently. The
//! timestamp is judged both ways, as the reference libraries do. Pure.

use super::check::{self, base64_digest, encode_base64, Signed, Window};
use super::{Reason, Scheme, Secret, SecretError};
use crate::headers::{header_value, HeaderPair};

pub const SIGNATURE_HEADER: &str = "webhook-signature";
pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";

/// The same three under Svix's own names.
const SVIX: Names = Names {
    signature: "svix-signature",
    id: "svix-id",
    timestamp: "svix-timestamp",
};
const STANDARD: Names = Names {
    signature: SIGNATURE_HEADER,
    id: ID_HEADER,
    timestamp: TIMESTAMP_HEADER,
};

/// Every header the scheme reads and signs, the signature header first.
pub const HEADERS: &[&str] = &[
    SIGNATURE_HEADER,
    ID_HEADER,
    TIMESTAMP_HEADER,
    "svix-signature",
    "svix-id",
    "svix-timestamp",
];

/// The headers whose presence says a delivery uses this scheme.
pub const SIGNATURE_HEADERS: &[&str] = &[SIGNATURE_HEADER, "svix-signature"];

const SECRET_PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;

pub const SECRET_EMPTY_HINT: &str =
    "give the endpoint's 'whsec_...' signing secret from the sender's dashboard";
pub const SECRET_FORMAT: &str =
    "base64 after 'whsec_' (Standard Webhooks secrets are 'whsec_' + base64 of the key)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Names {
    signature: &'static str,
    id: &'static str,
    timestamp: &'static str,
}

impl Names {
    /// `webhook-*` when its signature header is there, else `svix-*`.
    fn of(headers: &[HeaderPair]) -> Names {
        if header_value(headers, SIGNATURE_HEADER).is_none()
            && header_value(headers, SVIX.signature).is_some()
        {
            SVIX
        } else {
            STANDARD
        }
    }
}

/// Key bytes: the base64 after `whsec_` (the prefix optional), padding optional.
pub fn parse_key(text: &str) -> Result<Vec<u8>, SecretError> {
    use base64::Engine;
    let text = text.trim();
    let malformed = |detail: &str| SecretError::Malformed {
        scheme: Scheme::Standard,
        detail: detail.to_string(),
    };
    if text.starts_with("whsk_") || text.starts_with("whpk_") {
        return Err(malformed(
            "'whsk_'/'whpk_' keys are for v1a (ed25519) signatures, which hookscope does not verify",
        ));
    }
    let b64 = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
    if b64.is_empty() {
        return Err(SecretError::Empty(Scheme::Standard));
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let key = engine
        .decode(b64)
        .map_err(|_| malformed("it does not decode as base64"))?;
    if key.is_empty() {
        return Err(SecretError::Empty(Scheme::Standard));
    }
    Ok(key)
}

pub fn generate_key() -> (Vec<u8>, String) {
    let key: [u8; SECRET_BYTES] = rand::random();
    (
        key.to_vec(),
        format!("{SECRET_PREFIX}{}", encode_base64(&key)),
    )
}

/// `v1,{base64}` for `"{id}.{t}.{body}"`. The unit test `SIG` below checks the vector from
/// the Standard Webhooks reference library's tests: secret
/// `whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD`, id `msg_27UH4WbU6Z5A5EzD8u03UvzRbpk`, t
/// `1649367553`, the body `{"email":"test@example.com","username":"test_user"}` sign as
/// `v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=`.
pub fn sign(secret: &Secret, id: &str, t: i64, body: &[u8]) -> String {
    let d = check::mac(secret.key(), format!("{id}.{t}.").as_bytes(), body);
    format!("v1,{}", encode_base64(&d))
}

/// A new message: a fresh `msg_` id.
pub fn sign_headers(secret: &Secret, t: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    let id = format!("msg_{}", hex::encode(rand::random::<[u8; 16]>()));
    headers_for(STANDARD, secret, &id, t, body)
}

/// A redelivery of a captured message: its `webhook-id` is kept (the spec keeps the id across
/// retries, so an app that deduplicates sees the same message), and its `svix-` names if it
/// used them; a fresh id only when it had none.
pub fn resign_headers(
    secret: &Secret,
    t: i64,
    body: &[u8],
    captured: &[HeaderPair],
) -> Vec<(&'static str, String)> {
    let names = Names::of(captured);
    let kept = header_value(captured, names.id)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::trim)
        .filter(|id| !id.is_empty());
    match kept {
        Some(id) => headers_for(names, secret, id, t, body),
        None => {
            let id = format!("msg_{}", hex::encode(rand::random::<[u8; 16]>()));
            headers_for(names, secret, &id, t, body)
        }
    }
}

fn headers_for(
    names: Names,
    secret: &Secret,
    id: &str,
    t: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    vec![
        (names.signature, sign(secret, id, t, body)),
        (names.id, id.to_string()),
        (names.timestamp, t.to_string()),
    ]
}

/// A syntactically valid `webhook-signature`: the `v1` digests and how many `v1a` came along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSignatures {
    pub v1: Vec<[u8; 32]>,
    pub v1a: usize,
}

/// Parses a `webhook-signature` value: space-separated `version,signature` items.
pub fn parse_signatures(header: &str, value: &[u8]) -> Result<ParsedSignatures, Reason> {
    let text = std::str::from_utf8(value)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or_else(|| check::reason::not_text(header))?;
    let mut out = ParsedSignatures {
        v1: Vec::new(),
        v1a: 0,
    };
    for item in text.split_ascii_whitespace() {
        let Some((version, sig)) = item.split_once(',') else {
            return Err(Reason::new(
                "item_without_comma",
                format!(
                    "malformed item '{}': expected 'v1,<base64>'",
                    super::timestamped::clip(item, 40)
                ),
            ));
        };
        match version {
            "v1" => out.v1.push(base64_digest(sig).ok_or_else(|| {
                check::reason::malformed_signature(sig, "base64 of 32 bytes (44 characters)")
            })?),
            "v1a" => out.v1a += 1,
            _ => {}
        }
    }
    if out.v1.is_empty() {
        return Err(if out.v1a > 0 {
            Reason::new(
                "unsupported_v1a",
                format!("{header} carries only v1a (ed25519) signatures, which hookscope does not verify; ask the sender for v1 (HMAC) signatures"),
            )
        } else {
            check::reason::missing_signature(header, "v1")
        });
    }
    Ok(out)
}

/// A Standard Webhooks delivery's headers (either family), ready to check: `None` when its
/// signature header is absent.
pub(super) fn parse(headers: &[HeaderPair]) -> check::Parsed {
    let names = Names::of(headers);
    // A repeated header is reported before a missing one, whichever it is.
    let (sig, id, ts) = (
        check::single(headers, names.signature),
        check::single(headers, names.id),
        check::single(headers, names.timestamp),
    );
    let (Some(sig), id, ts) = (sig?, id?, ts?) else {
        return Ok(None);
    };
    let missing = |name| check::reason::missing(name, "Standard Webhooks");
    let id = id.ok_or_else(|| missing(names.id))?;
    let ts = ts.ok_or_else(|| missing(names.timestamp))?;
    let id = match std::str::from_utf8(id).ok().map(str::trim) {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_graphic()) => id,
        Some("") => return Err(missing(names.id)),
        _ => return Err(check::reason::not_text(names.id)),
    };
    let t = check::parse_timestamp(names.timestamp, ts)?;
    let parsed = parse_signatures(names.signature, sig)?;
    Ok(Some(Signed {
        scheme: Scheme::Standard,
        timestamp: Some(t),
        window: Window::BothWays,
        prefix: format!("{id}.{t}."),
        received: parsed
            .v1
            .into_iter()
            .map(|d| (encode_base64(&d), d))
            .collect(),
        encode: encode_base64,
        key_variants,
        mismatch: "is webhook-id the one that was signed? The id, the timestamp and the body are all signed",
    }))
}

/// A sender that used the secret's text as the key (as Stripe does) instead of its base64.
fn key_variants(key: &[u8]) -> Vec<(Vec<u8>, &'static str)> {
    let text = encode_base64(key);
    let hint = "the signature was made with the secret's text as the key; Standard Webhooks keys are the base64 after 'whsec_', decoded";
    vec![
        (format!("{SECRET_PREFIX}{text}").into_bytes(), hint),
        (text.into_bytes(), hint),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{verify_capture, Status, Verdict};
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    // libraries/rust/src/lib.rs test_sign in standard-webhooks.
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const T: i64 = 1_649_367_553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const SIG: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn secret() -> Secret {
        Secret::parse_for(Scheme::Standard, SECRET).unwrap()
    }

    fn hp(n: &str, v: &str) -> HeaderPair {
        (n.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    fn delivery(sig: &str) -> Vec<HeaderPair> {
        vec![
            hp("webhook-id", ID),
            hp("webhook-timestamp", &T.to_string()),
            hp("webhook-signature", sig),
        ]
    }

    fn at(headers: &[HeaderPair], body: &[u8], secrets: &[Secret], now: i64) -> Verdict {
        Scheme::Standard.verify(headers, body, secrets, now, 300).0
    }

    /// The documented algorithm, straight from `hmac`, `sha2` and `base64`.
    fn independent(secret_b64: &str, id: &str, t: i64, body: &[u8]) -> String {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD
            .decode(secret_b64)
            .unwrap();
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        m.update(format!("{id}.{t}.").as_bytes());
        m.update(body);
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
        )
    }

    #[test]
    fn published_vectors() {
        assert_eq!(sign(&secret(), ID, T, BODY), SIG);
        assert_eq!(independent(&SECRET[6..], ID, T, BODY), SIG);
        assert_eq!(
            at(&delivery(SIG), BODY, &[secret()], T + 2),
            Verdict::Valid {
                scheme: Scheme::Standard,
                secret_index: 0,
                skew_s: 2
            }
        );
        // standard-webhooks PR #23: a secret without the prefix, a body with spaces.
        let s = Secret::parse_for(Scheme::Standard, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"type": "example.created", "timestamp":"2023-09-28T19:20:22+00:00", "data":{"str":"string","bool":true,"int":42}}"#;
        assert_eq!(
            sign(&s, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_696_200_454, body),
            "v1,GgjvufBlIj71MBIVQotYGb+xEC3LNXCsIZp0HsDC8qs="
        );
    }

    #[test]
    fn several_signatures_and_svix_names() {
        let other = format!("v1,{}", encode_base64(&[0; 32]));
        let h = delivery(&format!("{other} v2,abc {SIG}"));
        assert_eq!(at(&h, BODY, &[secret()], T).status(), Status::Valid);
        let svix = vec![
            hp("svix-id", ID),
            hp("svix-timestamp", &T.to_string()),
            hp("svix-signature", SIG),
        ];
        let (v, _) = verify_capture(&svix, BODY, &[secret()], T, 300);
        assert_eq!(v.status(), Status::Valid);
        assert_eq!(v.scheme(), Some(Scheme::Standard));
    }

    #[test]
    fn v1a_is_unsupported_not_silently_failed() {
        let h = delivery("v1a,AAAA");
        match at(&h, BODY, &[secret()], T) {
            Verdict::Invalid { reason, .. } => assert_eq!(reason.code, "unsupported_v1a"),
            v => panic!("{v:?}"),
        }
        // Alongside a v1, the v1 decides.
        let h = delivery(&format!("v1a,AAAA {SIG}"));
        assert_eq!(at(&h, BODY, &[secret()], T).status(), Status::Valid);
    }

    #[test]
    fn malformed_headers() {
        let t = T.to_string();
        let table: Vec<(Vec<HeaderPair>, &str)> = vec![
            (delivery(""), "missing_signature"),
            (delivery("v2,abc"), "missing_signature"),
            (delivery("v1,"), "malformed_signature"),
            (delivery("v1,AAAA"), "malformed_signature"),
            (delivery("v1,!!!!"), "malformed_signature"),
            (delivery("garbage"), "item_without_comma"),
            (
                vec![hp("webhook-timestamp", &t), hp("webhook-signature", SIG)],
                "missing_header",
            ),
            (
                vec![hp("webhook-id", ID), hp("webhook-signature", SIG)],
                "missing_header",
            ),
            (
                vec![
                    hp("webhook-id", ID),
                    hp("webhook-timestamp", "soon"),
                    hp("webhook-signature", SIG),
                ],
                "non_numeric_timestamp",
            ),
            (
                vec![
                    hp("webhook-id", ID),
                    hp("webhook-timestamp", "16493675530"),
                    hp("webhook-signature", SIG),
                ],
                "overlong_timestamp",
            ),
            (
                [delivery(SIG), vec![hp("webhook-signature", SIG)]].concat(),
                "several_headers",
            ),
            (
                [delivery(SIG), vec![hp("webhook-id", "msg_2")]].concat(),
                "several_headers",
            ),
            (
                vec![
                    hp("webhook-id", ""),
                    hp("webhook-timestamp", &t),
                    hp("webhook-signature", SIG),
                ],
                "missing_header",
            ),
            (
                vec![
                    (b"webhook-id".to_vec(), b"msg_\xff".to_vec()),
                    hp("webhook-timestamp", &t),
                    hp("webhook-signature", SIG),
                ],
                "not_text",
            ),
        ];
        for (h, code) in table {
            match at(&h, BODY, &[secret()], T) {
                Verdict::Invalid { reason, scheme } => {
                    assert_eq!(
                        (reason.code.as_str(), scheme),
                        (code, Scheme::Standard),
                        "{h:?}"
                    )
                }
                v => panic!("{h:?}: {v:?}"),
            }
        }
    }

    #[test]
    fn empty_signature_never_passes() {
        // svix PR #1190 / standard-webhooks PR #115: an empty signature compared by zip().fold.
        for sig in ["v1,", "v1,=", "v1,dA=="] {
            assert_eq!(
                at(&delivery(sig), BODY, &[secret()], T).status(),
                Status::Invalid,
                "{sig}"
            );
        }
    }

    #[test]
    fn tolerance_both_ways() {
        let h = delivery(SIG);
        assert_eq!(at(&h, BODY, &[secret()], T + 301).status(), Status::Stale);
        assert_eq!(at(&h, BODY, &[secret()], T - 301).status(), Status::Stale);
        assert_eq!(at(&h, BODY, &[secret()], T - 300).status(), Status::Valid);
    }

    #[test]
    fn rotation_and_hints() {
        let old =
            Secret::parse_for(Scheme::Standard, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert_eq!(
            at(&delivery(SIG), BODY, &[old, secret()], T),
            Verdict::Valid {
                scheme: Scheme::Standard,
                secret_index: 1,
                skew_s: 0
            }
        );
        // Another id than the one signed.
        let mut h = delivery(SIG);
        h[0] = hp("webhook-id", "msg_other");
        let (v, d) = Scheme::Standard.verify(&h, BODY, &[secret()], T, 300);
        assert_eq!(v.status(), Status::Invalid);
        let d = d.unwrap();
        assert!(d
            .hint
            .unwrap()
            .contains("is webhook-id the one that was signed?"));
        assert_eq!(d.received, [&SIG[3..]]);
        assert!(d.signed_preview.starts_with("msg_other.1649367553.{"));
        // Signed with the secret's text as key, as Stripe would.
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
        m.update(format!("{ID}.{T}.").as_bytes());
        m.update(BODY);
        let wrong = format!("v1,{}", encode_base64(&m.finalize().into_bytes()));
        let (_, d) = Scheme::Standard.verify(&delivery(&wrong), BODY, &[secret()], T, 300);
        assert!(d
            .unwrap()
            .hint
            .unwrap()
            .contains("secret's text as the key"));
    }

    #[test]
    fn bodies_and_resigning() {
        let s = secret();
        for body in [&b""[..], b"\xff\xfe\x00"] {
            let headers: Vec<HeaderPair> = sign_headers(&s, T, body)
                .into_iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.into_bytes()))
                .collect();
            assert_eq!(
                at(&headers, body, std::slice::from_ref(&s), T).status(),
                Status::Valid
            );
        }
        // Re-signing keeps the captured id and the svix- names.
        let captured = vec![hp("svix-id", "msg_keep"), hp("svix-signature", SIG)];
        let fresh = resign_headers(&s, T + 60, BODY, &captured);
        assert_eq!(fresh[0].0, "svix-signature");
        assert_eq!(fresh[1], ("svix-id", "msg_keep".to_string()));
        assert_eq!(fresh[2], ("svix-timestamp", (T + 60).to_string()));
        assert_eq!(
            fresh[0].1,
            independent(&SECRET[6..], "msg_keep", T + 60, BODY)
        );
        let new = sign_headers(&s, T, BODY);
        assert!(new[1].1.starts_with("msg_"));
        assert_ne!(new[1].1, sign_headers(&s, T, BODY)[1].1);
    }

    #[test]
    fn secret_formats() {
        assert_eq!(secret().key().len(), 24);
        assert!(
            Secret::parse_for(Scheme::Standard, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").is_ok()
        );
        assert!(matches!(
            Secret::parse_for(Scheme::Standard, "whsec_"),
            Err(SecretError::Empty(Scheme::Standard))
        ));
        let e = Secret::parse_for(Scheme::Standard, "whsec_not base64!").unwrap_err();
        assert!(!e.to_string().contains("not base64!"), "{e}");
        assert!(Secret::parse_for(Scheme::Standard, "whpk_abc")
            .unwrap_err()
            .to_string()
            .contains("v1a"));
        let (s, text) = Secret::generate_for(Scheme::Standard);
        assert_eq!(Secret::parse_for(Scheme::Standard, &text).unwrap(), s);
    }
}
