//! Dataspike's scheme: `X-Webhook-Signature: t={unix},v1={hex HMAC-SHA256("{t}.{raw body}")}`,
//! keyed by the hex-decoded secret after `whsec_`. Reads its header for the shared check
//! (`Scheme::verify`), with Dataspike's own reason codes, and signs; pure.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::check::{self, encode_hex, hex_digest, Signed, Window};
use super::timestamped::{self, ItemError, MAX_T_DIGITS};
use super::{Reason, Scheme, Secret, SecretError};
use crate::headers::HeaderPair;

/// The header Dataspike signs deliveries in: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";

/// The headers this scheme reads, in the order it signs them.
pub(crate) const HEADERS: &[&str] = &[SIGNATURE_HEADER];

const SECRET_PREFIX: &str = "whsec_";
const DIGEST_HEX_LEN: usize = 64;

/// Why a present signature header did not verify. Serialized with a `code` tag: rows stored
/// before schema version 3 hold this JSON as the invalid verdict's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum HeaderError {
    /// More than one signature header.
    SeveralHeaders {
        /// How many there were.
        count: usize,
    },
    /// The header value is not text.
    NotText,
    /// An item of the header has no `=`.
    ItemWithoutEquals {
        /// The item as sent.
        item: String,
    },
    /// No `t=` item.
    MissingTimestamp,
    /// More than one `t=` item.
    DuplicateTimestamp,
    /// `t=` is not a number.
    NonNumericTimestamp {
        /// The value as sent.
        value: String,
    },
    /// `t=` has too many digits to be a Unix time.
    OverlongTimestamp {
        /// How many digits it has.
        digits: usize,
    },
    /// No `v1=` item.
    MissingV1,
    /// A `v1=` value is not 64 hex digits.
    MalformedV1 {
        /// The value as sent.
        value: String,
    },
    /// Well-formed, but no configured secret produces any of its `v1` values.
    NoSecretMatches,
}

impl HeaderError {
    /// The stable code stored with the reason (the serde tag).
    pub(crate) fn code(&self) -> &'static str {
        match self {
            HeaderError::SeveralHeaders { .. } => "several_headers",
            HeaderError::NotText => "not_text",
            HeaderError::ItemWithoutEquals { .. } => "item_without_equals",
            HeaderError::MissingTimestamp => "missing_timestamp",
            HeaderError::DuplicateTimestamp => "duplicate_timestamp",
            HeaderError::NonNumericTimestamp { .. } => "non_numeric_timestamp",
            HeaderError::OverlongTimestamp { .. } => "overlong_timestamp",
            HeaderError::MissingV1 => "missing_v1",
            HeaderError::MalformedV1 { .. } => "malformed_v1",
            HeaderError::NoSecretMatches => "no_secret_matches",
        }
    }
}

impl From<HeaderError> for Reason {
    fn from(e: HeaderError) -> Reason {
        Reason::new(e.code(), e.to_string())
    }
}

impl From<ItemError> for HeaderError {
    fn from(e: ItemError) -> HeaderError {
        match e {
            ItemError::NotText => HeaderError::NotText,
            ItemError::ItemWithoutEquals { item } => HeaderError::ItemWithoutEquals { item },
            ItemError::MissingTimestamp => HeaderError::MissingTimestamp,
            ItemError::DuplicateTimestamp => HeaderError::DuplicateTimestamp,
            ItemError::NonNumericTimestamp { value } => HeaderError::NonNumericTimestamp { value },
            ItemError::OverlongTimestamp { digits } => HeaderError::OverlongTimestamp { digits },
            ItemError::MissingSignature => HeaderError::MissingV1,
            ItemError::MalformedSignature { value } => HeaderError::MalformedV1 { value },
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::SeveralHeaders { count } => {
                write!(
                    f,
                    "{count} {SIGNATURE_HEADER} headers; exactly one expected"
                )
            }
            HeaderError::NotText => write!(f, "{SIGNATURE_HEADER} is not ASCII text"),
            HeaderError::ItemWithoutEquals { item } => {
                write!(f, "malformed item '{item}': expected 'name=value'")
            }
            HeaderError::MissingTimestamp => write!(f, "missing t (expected 't=<unix seconds>')"),
            HeaderError::DuplicateTimestamp => write!(f, "duplicate t: the header carries t twice"),
            HeaderError::NonNumericTimestamp { value } => {
                write!(f, "t '{value}' is not a number of seconds")
            }
            HeaderError::OverlongTimestamp { digits } => {
                write!(f, "t has {digits} digits; at most {MAX_T_DIGITS} allowed")
            }
            HeaderError::MissingV1 => write!(f, "no v1 signature in the header"),
            HeaderError::MalformedV1 { value } => write!(
                f,
                "v1 '{value}' is not {DIGEST_HEX_LEN} hex digits (got {})",
                value.len()
            ),
            HeaderError::NoSecretMatches => write!(f, "no secret matches the signature"),
        }
    }
}

/// What the secret text must look like, for [`SecretError`] messages.
pub(crate) const SECRET_EMPTY_HINT: &str =
    "give the 'whsec_...' value from Dataspike's webhook settings";
pub(crate) const SECRET_FORMAT: &str =
    "a Dataspike secret ('whsec_' followed by hex digits, as Dataspike's webhook settings show it)";
/// The shortest key taken without `--allow-short-secret`: real secrets are 31 or 32 bytes
/// (62 or 64 hex digits), so anything under 16 bytes is a typo or a test value.
pub(crate) const MIN_KEY_BYTES: usize = 16;

/// Parses `whsec_<hex>` into key bytes, saying what is wrong in the user's terms. The error
/// never echoes the text.
pub(crate) fn parse_key(text: &str) -> Result<Vec<u8>, SecretError> {
    let text = text.trim();
    let malformed = |detail: String| SecretError::Malformed {
        scheme: Scheme::Dataspike,
        detail,
    };
    let Some(hex_part) = text.strip_prefix(SECRET_PREFIX) else {
        return Err(malformed(if text.is_empty() {
            "it is empty".into()
        } else {
            "it does not start with 'whsec_' (an API key or another provider's secret is not \
             the webhook secret)"
                .into()
        }));
    };
    if hex_part.is_empty() {
        return Err(SecretError::Empty(Scheme::Dataspike));
    }
    if let Some(pos) = hex_part.bytes().position(|b| !b.is_ascii_hexdigit()) {
        return Err(malformed(format!(
            "character {} is not a hex digit (0-9, a-f)",
            pos + 1 + SECRET_PREFIX.len()
        )));
    }
    if !hex_part.len().is_multiple_of(2) {
        return Err(malformed(format!(
            "it has an odd number of hex digits after 'whsec_' ({}): one is missing or extra",
            hex_part.len()
        )));
    }
    hex::decode(hex_part).map_err(|e| malformed(e.to_string()))
}

/// Refuses a key too short to be a real Dataspike secret (the caller may allow it for tests).
pub(crate) fn check_key_len(key: &[u8]) -> Result<(), SecretError> {
    if key.len() >= MIN_KEY_BYTES {
        return Ok(());
    }
    Err(SecretError::TooShort {
        scheme: Scheme::Dataspike,
        detail: format!(
            "{} bytes ({} hex digits after 'whsec_'); real ones have 31 or 32 bytes, and fewer than {MIN_KEY_BYTES} is taken only for tests",
            key.len(),
            key.len() * 2
        ),
    })
}

/// A fresh random key and its `whsec_` text.
pub(crate) fn generate_key() -> (Vec<u8>, String) {
    let key: [u8; 32] = rand::random();
    (key.to_vec(), format!("{SECRET_PREFIX}{}", hex::encode(key)))
}

/// A syntactically valid header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHeader {
    /// The signed Unix time, in seconds.
    pub t: i64,
    /// Lower-case hex of each `v1`, in order.
    pub v1: Vec<String>,
    v1_bytes: Vec<[u8; 32]>,
}

/// Parses a header value (see `timestamped`); every `v1` must be exactly 64 hex digits.
pub fn parse_header(value: &[u8]) -> Result<ParsedHeader, HeaderError> {
    let parsed = timestamped::parse(value, "v1", decode_digest)?;
    let (v1, v1_bytes) = parsed.signatures.into_iter().unzip();
    Ok(ParsedHeader {
        t: parsed.t,
        v1,
        v1_bytes,
    })
}

fn decode_digest(val: &str) -> Option<[u8; 32]> {
    hex_digest(val)
}

fn mac(secret: &Secret, t: i64, body: &[u8]) -> [u8; 32] {
    check::mac(secret.key(), format!("{t}.").as_bytes(), body)
}

/// Hex HMAC-SHA256 of `"{t}.{body}"` under `secret`.
///
/// The test vector from Dataspike's reference:
/// ```
/// use hookscope::signature::{dataspike::sign, sign_headers, Secret};
/// let secret =
///     Secret::parse("whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
///         .unwrap();
/// let body = br#"{"id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","webhook_id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","event_type":"AML_SCREENING","timestamp":"2023-07-18T15:32:13Z","payload":{}}"#;
/// assert_eq!(
///     sign(&secret, 1_700_000_000, body),
///     "ed2a117641bffc67be82b1ca58a1252d3a17ad89fdde76a3bec3eebf5f13c22a"
/// );
/// // Callers sign through the scheme, which names the header.
/// assert_eq!(
///     sign_headers(&secret, 1_700_000_000, body),
///     [(
///         "X-Webhook-Signature",
///         "t=1700000000,v1=ed2a117641bffc67be82b1ca58a1252d3a17ad89fdde76a3bec3eebf5f13c22a".to_string()
///     )]
/// );
/// ```
pub fn sign(secret: &Secret, t: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, t, body))
}

/// A full header value: `t={t},v1={hex}`.
pub fn sign_header(secret: &Secret, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", sign(secret, t, body))
}

/// The headers a delivery signed at `t` carries.
pub(crate) fn sign_headers(secret: &Secret, t: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![(SIGNATURE_HEADER, sign_header(secret, t, body))]
}

/// The `X-Webhook-Signature` header of `headers`, ready to check: `None` when absent, the
/// reason (Dataspike's codes) when repeated or malformed.
pub(super) fn parse(headers: &[HeaderPair]) -> check::Parsed {
    let Some(value) = check::one_header(headers, SIGNATURE_HEADER)
        .map_err(|count| HeaderError::SeveralHeaders { count })?
    else {
        return Ok(None);
    };
    let parsed = parse_header(value)?;
    Ok(Some(Signed {
        scheme: Scheme::Dataspike,
        timestamp: Some(parsed.t),
        window: Window::BothWays,
        prefix: format!("{}.", parsed.t),
        received: parsed.v1.into_iter().zip(parsed.v1_bytes).collect(),
        encode: encode_hex,
        key_variants,
        mismatch: "is the secret this webhook's current one (Dataspike rotates by replacing it)?",
    }))
}

/// A sender that used the secret's text as the key, as Stripe does.
fn key_variants(key: &[u8]) -> Vec<(Vec<u8>, &'static str)> {
    let hint = "the signature was made with the secret's text as the key; Dataspike's key is the hex after 'whsec_', decoded";
    let hex_text = hex::encode(key);
    vec![
        (format!("{SECRET_PREFIX}{hex_text}").into_bytes(), hint),
        (hex_text.into_bytes(), hint),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{verify_capture, Diagnostics, Status, Verdict};
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    /// The scheme's verdict on a delivery carrying these `X-Webhook-Signature` values, one
    /// header each.
    fn verify(
        values: &[&[u8]],
        body: &[u8],
        secrets: &[Secret],
        now_s: i64,
        tolerance_s: u64,
    ) -> (Verdict, Option<Diagnostics>) {
        let headers: Vec<HeaderPair> = values
            .iter()
            .map(|v| (SIGNATURE_HEADER.as_bytes().to_vec(), v.to_vec()))
            .collect();
        Scheme::Dataspike.verify(&headers, body, secrets, now_s, tolerance_s)
    }

    fn invalid(e: HeaderError) -> Verdict {
        Verdict::Invalid {
            scheme: Scheme::Dataspike,
            reason: e.into(),
        }
    }

    // The test vector from shared/reference/dataspike.md.
    const SECRET: &str = "whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const T: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","webhook_id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","event_type":"AML_SCREENING","timestamp":"2023-07-18T15:32:13Z","payload":{}}"#;
    const V1: &str = "ed2a117641bffc67be82b1ca58a1252d3a17ad89fdde76a3bec3eebf5f13c22a";

    fn secret() -> Secret {
        Secret::parse(SECRET).unwrap()
    }

    fn check(header: &str, body: &[u8], secrets: &[Secret], now: i64) -> Verdict {
        verify(&[header.as_bytes()], body, secrets, now, 300).0
    }

    #[test]
    fn published_vector_signs_and_verifies() {
        assert_eq!(sign(&secret(), T, BODY), V1);
        let header = format!("t={T},v1={V1}");
        assert_eq!(
            check(&header, BODY, &[secret()], T + 5),
            Verdict::Valid {
                scheme: Scheme::Dataspike,
                secret_index: 0,
                skew_s: 5
            }
        );
    }

    #[test]
    fn independent_vector_from_rfc4231_style_key() {
        // Computed independently with: printf '%s' '42.hello' | openssl dgst -sha256 -mac HMAC
        //   -macopt hexkey:0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b
        let s = Secret::parse("whsec_0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b").unwrap();
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&[0x0b; 20]).unwrap();
        m.update(b"42.hello");
        assert_eq!(
            sign(&s, 42, b"hello"),
            hex::encode(m.finalize().into_bytes())
        );
    }

    #[test]
    fn tolerant_spacing_and_uppercase_hex() {
        let header = format!("  t = {T} ,  v1 = {} ", V1.to_uppercase());
        assert_eq!(check(&header, BODY, &[secret()], T).status(), Status::Valid);
    }

    #[test]
    fn rotation_reports_which_secret_matched() {
        let old = Secret::parse("whsec_ffff").unwrap();
        let header = format!("t={T},v1={V1}");
        assert_eq!(
            check(&header, BODY, &[old, secret()], T),
            Verdict::Valid {
                scheme: Scheme::Dataspike,
                secret_index: 1,
                skew_s: 0
            }
        );
    }

    #[test]
    fn any_of_several_v1_passes_and_unknown_schemes_are_ignored() {
        let wrong = "0".repeat(64);
        let header = format!("t={T},v0=abc,v1={wrong},v1={V1},v2=zzz");
        assert_eq!(check(&header, BODY, &[secret()], T).status(), Status::Valid);
        // v0 alone never stands in for v1.
        let header = format!("t={T},v0={V1}");
        assert_eq!(
            check(&header, BODY, &[secret()], T),
            invalid(HeaderError::MissingV1)
        );
    }

    #[test]
    fn tolerance_both_ways_and_disabled() {
        let header = format!("t={T},v1={V1}");
        let old = check(&header, BODY, &[secret()], T + 412);
        assert_eq!(
            old,
            Verdict::Stale {
                scheme: Scheme::Dataspike,
                secret_index: 0,
                skew_s: 412,
                tolerance_s: 300
            }
        );
        assert_eq!(
            old.reason().unwrap(),
            "timestamp 412 s old, tolerance 300 s"
        );
        let future = check(&header, BODY, &[secret()], T - 301);
        assert_eq!(future.status(), Status::Stale);
        assert!(future.reason().unwrap().contains("301 s in the future"));
        // Exactly at the edge is still valid.
        assert_eq!(
            check(&header, BODY, &[secret()], T + 300).status(),
            Status::Valid
        );
        // Tolerance 0 disables the check.
        let (v, _) = verify(&[header.as_bytes()], BODY, &[secret()], T + 1_000_000, 0);
        assert_eq!(v.status(), Status::Valid);
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let good = format!("v1={V1}");
        let table: Vec<(String, HeaderError)> = vec![
            (good.clone(), HeaderError::MissingTimestamp),
            (String::new(), HeaderError::MissingTimestamp),
            (
                format!("t={T},t={T},{good}"),
                HeaderError::DuplicateTimestamp,
            ),
            (
                format!("t=abc,{good}"),
                HeaderError::NonNumericTimestamp {
                    value: "abc".into(),
                },
            ),
            (
                format!("t=,{good}"),
                HeaderError::NonNumericTimestamp { value: "".into() },
            ),
            (
                format!("t=-5,{good}"),
                HeaderError::NonNumericTimestamp { value: "-5".into() },
            ),
            (
                format!("t=12345678901,{good}"),
                HeaderError::OverlongTimestamp { digits: 11 },
            ),
            (
                format!("t=99999999999999999999999,{good}"),
                HeaderError::OverlongTimestamp { digits: 23 },
            ),
            (format!("t={T}"), HeaderError::MissingV1),
            (
                format!("t={T},v1="),
                HeaderError::MalformedV1 { value: "".into() },
            ),
            (
                format!("t={T},v1=abcd"),
                HeaderError::MalformedV1 {
                    value: "abcd".into(),
                },
            ),
            (
                format!("t={T},v1={}", "g".repeat(64)),
                HeaderError::MalformedV1 {
                    value: "g".repeat(64),
                },
            ),
            (
                format!("t={T},v1={V1}00"),
                HeaderError::MalformedV1 {
                    value: format!("{V1}00"),
                },
            ),
            (
                format!("t={T},garbage,{good}"),
                HeaderError::ItemWithoutEquals {
                    item: "garbage".into(),
                },
            ),
        ];
        for (header, want) in table {
            assert_eq!(
                check(&header, BODY, &[secret()], T),
                invalid(want.clone()),
                "header {header:?}"
            );
            assert!(!want.to_string().is_empty());
        }
        let v = verify(&[b"t=1,v1=\xff"], BODY, &[secret()], T, 300).0;
        assert_eq!(v, invalid(HeaderError::NotText));
    }

    #[test]
    fn empty_signature_never_passes() {
        // The zip().fold() pitfall: an empty or short signature must not compare equal.
        for header in [format!("t={T},v1="), format!("t={T},v1={}", &V1[..2])] {
            assert_eq!(
                check(&header, BODY, &[secret()], T).status(),
                Status::Invalid
            );
        }
    }

    #[test]
    fn mismatch_carries_diagnostics() {
        let header = format!("t={T},v1={V1}");
        let mut changed = BODY.to_vec();
        changed[10] = b'X';
        let (v, d) = verify(&[header.as_bytes()], &changed, &[secret()], T, 300);
        assert_eq!(v, invalid(HeaderError::NoSecretMatches));
        let d = d.unwrap();
        assert_eq!(d.received, vec![V1.to_string()]);
        assert_eq!(d.expected, vec![sign(&secret(), T, &changed)]);
        assert!(d
            .signed_preview
            .starts_with("1700000000.{\"id\":\"018X7ed4"));
        assert!(d.signed_preview.ends_with('…'));
        assert_eq!(d.signed_len, 11 + changed.len());
        assert!(d.hint.unwrap().contains("body differs"));
    }

    #[test]
    fn hints_spot_newline_and_reserialization() {
        let header = format!("t={T},v1={V1}");
        let mut nl = BODY.to_vec();
        nl.push(b'\n');
        let (_, d) = verify(&[header.as_bytes()], &nl, &[secret()], T, 300);
        assert!(d
            .unwrap()
            .hint
            .unwrap()
            .contains("gained a trailing newline"));
        let pretty =
            serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(BODY).unwrap())
                .unwrap();
        let (_, d) = verify(&[header.as_bytes()], &pretty, &[secret()], T, 300);
        assert!(d.unwrap().hint.unwrap().contains("re-serialized"));
    }

    #[test]
    fn unsigned_unverified_and_several_headers() {
        assert_eq!(verify(&[], BODY, &[secret()], T, 300).0, Verdict::Unsigned);
        let header = format!("t={T},v1={V1}");
        let (v, d) = verify(&[header.as_bytes()], BODY, &[], T, 300);
        assert_eq!(
            v,
            Verdict::Unverified {
                scheme: Scheme::Dataspike
            }
        );
        assert!(d.unwrap().expected.is_empty());
        let h = header.as_bytes();
        assert_eq!(
            verify(&[h, h], BODY, &[secret()], T, 300).0,
            invalid(HeaderError::SeveralHeaders { count: 2 })
        );
    }

    #[test]
    fn empty_and_binary_bodies() {
        let s = secret();
        for body in [&b""[..], b"\x00\xff\xfe binary \x80"] {
            let header = sign_header(&s, T, body);
            let (v, d) = verify(&[header.as_bytes()], body, std::slice::from_ref(&s), T, 300);
            assert_eq!(v.status(), Status::Valid);
            let d = d.unwrap();
            assert!(!d.signed_preview.contains('\u{fffd}'));
        }
        let (_, d) = verify(
            &[sign_header(&s, T, b"\xff").as_bytes()],
            b"\xff",
            &[s],
            T,
            300,
        );
        assert_eq!(d.unwrap().signed_preview, "1700000000.\\xff");
    }

    #[test]
    fn header_name_is_case_insensitive() {
        let headers = vec![(
            b"x-WEBHOOK-signature".to_vec(),
            format!("t={T},v1={V1}").into_bytes(),
        )];
        let (v, _) = verify_capture(&headers, BODY, &[secret()], T, 300);
        assert_eq!(v.status(), Status::Valid);
    }
}
