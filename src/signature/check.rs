//! The check every HMAC-SHA256 scheme shares, once its header is parsed: MAC `{prefix}{body}`
//! under each of the scheme's secrets, compare with every received digest in constant time
//! (each exactly 32 bytes, so an empty or short signature can never pass), judge the timestamp
//! in the scheme's window, and explain a mismatch: a secret used in another provider's key
//! encoding, a body changed in transit, then the provider's own hint. Pure.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use super::{signed_preview, Diagnostics, Reason, Scheme, Secret, Verdict};

/// Bytes of an HMAC-SHA256 digest.
pub const DIGEST_LEN: usize = 32;
pub type Digest = [u8; DIGEST_LEN];

/// Which way a signed timestamp may be off before the delivery is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The scheme signs no timestamp.
    Untimed,
    /// Only too old is stale; a timestamp ahead of the clock passes (Stripe's libraries).
    PastOnly,
    /// Too old or too far ahead.
    BothWays,
}

impl Window {
    /// `skew_s` > 0 means the timestamp is in the past. `tolerance_s == 0` disables the check.
    pub fn is_stale(self, skew_s: i64, tolerance_s: u64) -> bool {
        if tolerance_s == 0 {
            return false;
        }
        match self {
            Window::Untimed => false,
            Window::PastOnly => skew_s > 0 && skew_s.unsigned_abs() > tolerance_s,
            Window::BothWays => skew_s.unsigned_abs() > tolerance_s,
        }
    }
}

/// HMAC-SHA256 of `prefix` then `body` under `key`.
pub fn mac(key: &[u8], prefix: &[u8], body: &[u8]) -> Digest {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    m.update(prefix);
    m.update(body);
    m.finalize().into_bytes().into()
}

/// True when `expected` equals one of `received`. Every comparison runs (constant time), and
/// all are whole 32-byte digests: no list, however short, can compare equal by running out.
pub fn any_matches(expected: &Digest, received: &[Digest]) -> bool {
    received
        .iter()
        .fold(Choice::from(0), |acc, got| acc | expected.ct_eq(got))
        .into()
}

/// Decodes `text` as exactly [`DIGEST_LEN`] bytes of hex (either case).
pub fn hex_digest(text: &str) -> Option<Digest> {
    if text.len() != DIGEST_LEN * 2 {
        return None;
    }
    let mut out = [0u8; DIGEST_LEN];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// Decodes `text` as standard base64 (padding optional) of exactly [`DIGEST_LEN`] bytes.
pub fn base64_digest(text: &str) -> Option<Digest> {
    use base64::Engine;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(text).ok()?.try_into().ok()
}

pub fn encode_hex(d: &[u8]) -> String {
    hex::encode(d)
}

pub fn encode_base64(d: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(d)
}

/// Another way a sender may have turned a secret into key bytes, and what to tell them then.
pub type KeyVariants = fn(&[u8]) -> Vec<(Vec<u8>, &'static str)>;

/// A parsed delivery of one scheme, ready to check.
pub struct Signed {
    pub scheme: Scheme,
    /// The signed timestamp, where the scheme has one.
    pub timestamp: Option<i64>,
    pub window: Window,
    /// What is signed before the body: `{t}.`, `v0:{t}:`, nothing.
    pub prefix: String,
    /// Each received signature as shown (in the same encoding as `encode` writes), and its bytes.
    pub received: Vec<(String, Digest)>,
    /// How a digest is written in this scheme's header (hex or base64).
    pub encode: fn(&[u8]) -> String,
    /// The keys a sender gets by mistaking this provider's key encoding, each with its hint.
    pub key_variants: KeyVariants,
    /// The provider's own words for a mismatch nothing else explains.
    pub mismatch: &'static str,
}

/// The reason every scheme gives when no secret's MAC matches.
pub fn no_secret_matches() -> Reason {
    Reason::new("no_secret_matches", "no secret matches the signature")
}

/// Checks `s` against `body` with the secrets of its scheme among `secrets`; a matched
/// `secret_index` is a position in `secrets`.
pub fn check(
    s: &Signed,
    body: &[u8],
    secrets: &[Secret],
    now_s: i64,
    tolerance_s: u64,
) -> (Verdict, Option<Diagnostics>) {
    let scheme = s.scheme;
    let mine: Vec<(usize, &Secret)> = secrets
        .iter()
        .enumerate()
        .filter(|(_, k)| k.scheme() == scheme)
        .collect();
    let digests: Vec<Digest> = s.received.iter().map(|(_, d)| *d).collect();
    let prefix = s.prefix.as_bytes();
    let mut diag = Diagnostics {
        timestamp: s.timestamp,
        signed_preview: signed_preview(&s.prefix, body),
        signed_len: prefix.len() + body.len(),
        expected: Vec::with_capacity(mine.len()),
        received: s.received.iter().map(|(t, _)| t.clone()).collect(),
        hint: None,
    };
    if mine.is_empty() {
        return (Verdict::Unverified { scheme }, Some(diag));
    }
    let mut matched = None;
    for (i, secret) in &mine {
        let expected = mac(secret.key(), prefix, body);
        diag.expected.push((s.encode)(&expected));
        if matched.is_none() && any_matches(&expected, &digests) {
            matched = Some(*i);
        }
    }
    let skew_s = s.timestamp.map_or(0, |t| now_s.saturating_sub(t));
    let verdict = match matched {
        None => {
            diag.hint = Some(mismatch_hint(s, body, &mine, &digests));
            return (
                Verdict::Invalid {
                    scheme,
                    reason: no_secret_matches(),
                },
                Some(diag),
            );
        }
        Some(secret_index) if s.window.is_stale(skew_s, tolerance_s) => Verdict::Stale {
            scheme,
            secret_index,
            skew_s,
            tolerance_s,
        },
        Some(secret_index) => Verdict::Valid {
            scheme,
            secret_index,
            skew_s,
        },
    };
    if let Verdict::Stale { .. } = verdict {
        diag.hint = Some(format!(
            "the MAC is right but the timestamp is outside the tolerance; re-signing with a fresh timestamp fixes it. {}",
            verdict.reason().unwrap_or_default()
        ));
    }
    (verdict, Some(diag))
}

fn mismatch_hint(s: &Signed, body: &[u8], mine: &[(usize, &Secret)], got: &[Digest]) -> String {
    let prefix = s.prefix.as_bytes();
    for (_, secret) in mine {
        for (key, hint) in (s.key_variants)(secret.key()) {
            if any_matches(&mac(&key, prefix, body), got) {
                return hint.to_string();
            }
        }
    }
    let matches = |b: &[u8]| {
        mine.iter()
            .any(|(_, k)| any_matches(&mac(k.key(), prefix, b), got))
    };
    match body_hint(body, matches) {
        Some(h) => h.to_string(),
        None => format!(
            "the body differs from what was signed, or it was signed with another secret; {}",
            s.mismatch
        ),
    }
}

/// The body changes that break every scheme's signature alike: a trailing newline gained or
/// lost, JSON re-serialized. `matches` says whether a body would verify.
pub fn body_hint(body: &[u8], matches: impl Fn(&[u8]) -> bool) -> Option<&'static str> {
    if let Some(stripped) = body.strip_suffix(b"\n") {
        if matches(stripped) {
            return Some("the body gained a trailing newline after it was signed");
        }
    }
    let mut with_nl = body.to_vec();
    with_nl.push(b'\n');
    if matches(&with_nl) {
        return Some("the body lost a trailing newline after it was signed");
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Ok(compact) = serde_json::to_vec(&v) {
            if compact != body && matches(&compact) {
                return Some("the body was re-serialized (whitespace or key order changed) after it was signed");
            }
        }
    }
    None
}

/// For schemes keyed by the secret's text: a sender that kept the newline after it.
pub fn text_key_variants(key: &[u8]) -> Vec<(Vec<u8>, &'static str)> {
    let mut nl = key.to_vec();
    nl.push(b'\n');
    vec![(
        nl,
        "the signature was made with the secret plus a trailing newline (read from a file?); the key is the secret's text alone",
    )]
}

/// What a scheme makes of a delivery's headers: `None` when its signature header is absent
/// (unsigned), the reason when they are malformed, else what to [`check`].
pub type Parsed = Result<Option<Signed>, Reason>;

/// Judges a scheme's [`Parsed`] headers: unsigned, invalid for the parser's reason, or checked.
pub fn verify_parsed(
    scheme: Scheme,
    parsed: Parsed,
    body: &[u8],
    secrets: &[Secret],
    now_s: i64,
    tolerance_s: u64,
) -> (Verdict, Option<Diagnostics>) {
    match parsed {
        Ok(Some(signed)) => check(&signed, body, secrets, now_s, tolerance_s),
        Ok(None) => (Verdict::Unsigned, None),
        Err(reason) => (Verdict::Invalid { scheme, reason }, None),
    }
}

/// [`one_header`] with a repeated header as its reason.
pub fn single<'a>(
    headers: &'a [crate::headers::HeaderPair],
    name: &str,
) -> Result<Option<&'a [u8]>, Reason> {
    one_header(headers, name).map_err(|count| reason::several(name, count))
}

/// Header `name`'s `value` as ASCII text, spaces around it trimmed.
pub fn ascii_text<'a>(name: &str, value: &'a [u8]) -> Result<&'a str, Reason> {
    std::str::from_utf8(value)
        .ok()
        .filter(|t| t.is_ascii())
        .map(str::trim)
        .ok_or_else(|| reason::not_text(name))
}

/// How a scheme writes a digest in its header.
pub struct Encoding {
    pub name: &'static str,
    pub decode: fn(&str) -> Option<Digest>,
    pub encode: fn(&[u8]) -> String,
    /// What a well-formed digest looks like, for the malformed reason.
    pub shape: &'static str,
}

pub const HEX: Encoding = Encoding {
    name: "hex",
    decode: hex_digest,
    encode: encode_hex,
    shape: "64 hex digits",
};

pub const BASE64: Encoding = Encoding {
    name: "base64",
    decode: base64_digest,
    encode: encode_base64,
    shape: "base64 of 32 bytes (44 characters)",
};

/// A scheme that signs the body alone, keyed by the secret's text, into one header as
/// `{tag}{digest}` (GitHub, Shopify): no timestamp, so nothing is ever stale.
pub struct BodyOnly {
    pub scheme: Scheme,
    pub header: &'static str,
    /// Written before the digest (`sha256=`), or nothing.
    pub tag: &'static str,
    pub encoding: Encoding,
    /// The provider's own words for a mismatch nothing else explains.
    pub mismatch: &'static str,
}

impl BodyOnly {
    pub fn sign(&self, secret: &Secret, body: &[u8]) -> String {
        let digest = mac(secret.key(), b"", body);
        format!("{}{}", self.tag, (self.encoding.encode)(&digest))
    }

    pub fn sign_headers(&self, secret: &Secret, body: &[u8]) -> Vec<(&'static str, String)> {
        vec![(self.header, self.sign(secret, body))]
    }

    /// The header of `headers`, ready to [`check`]: `None` when absent.
    pub fn parse(&self, headers: &[crate::headers::HeaderPair]) -> Parsed {
        let Some(value) = single(headers, self.header)? else {
            return Ok(None);
        };
        let text = ascii_text(self.header, value)?;
        let missing = || {
            if self.tag.is_empty() {
                reason::missing_signature(self.header, self.encoding.name)
            } else {
                reason::missing_signature(self.header, &format!("'{}'", self.tag))
            }
        };
        let digest_text = match text.strip_prefix(self.tag) {
            Some("") if self.tag.is_empty() => return Err(missing()),
            Some(rest) => rest,
            None => return Err(missing()),
        };
        let Some(digest) = (self.encoding.decode)(digest_text) else {
            return Err(reason::malformed_signature(
                digest_text,
                self.encoding.shape,
            ));
        };
        Ok(Some(Signed {
            scheme: self.scheme,
            timestamp: None,
            window: Window::Untimed,
            prefix: String::new(),
            received: vec![((self.encoding.encode)(&digest), digest)],
            encode: self.encoding.encode,
            key_variants: text_key_variants,
            mismatch: self.mismatch,
        }))
    }
}

/// Exactly one value of header `name`: `Ok(None)` when absent, `Err(count)` when repeated.
pub fn one_header<'a>(
    headers: &'a [crate::headers::HeaderPair],
    name: &str,
) -> Result<Option<&'a [u8]>, usize> {
    match crate::headers::header_values(headers, name).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        many => Err(many.len()),
    }
}

/// Reasons shared by the header-per-field schemes (Standard Webhooks, GitHub, Slack, Shopify).
pub mod reason {
    use super::super::timestamped::{clip, MAX_T_DIGITS};
    use super::Reason;

    pub fn several(header: &str, count: usize) -> Reason {
        Reason::new(
            "several_headers",
            format!("{count} {header} headers; exactly one expected"),
        )
    }

    pub fn not_text(header: &str) -> Reason {
        Reason::new("not_text", format!("{header} is not ASCII text"))
    }

    pub fn missing(header: &str, scheme: &str) -> Reason {
        Reason::new(
            "missing_header",
            format!("no {header} header, which {scheme} signs"),
        )
    }

    pub fn missing_signature(header: &str, what: &str) -> Reason {
        Reason::new(
            "missing_signature",
            format!("no {what} signature in {header}"),
        )
    }

    pub fn malformed_signature(value: &str, what: &str) -> Reason {
        Reason::new(
            "malformed_signature",
            format!("signature '{}' is not {what}", clip(value, 80)),
        )
    }

    /// `value` of header `header` is not 1-10 ASCII digits of Unix seconds.
    pub fn timestamp(header: &str, value: &[u8]) -> Option<Reason> {
        let text = String::from_utf8_lossy(value);
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Reason::new(
                "non_numeric_timestamp",
                format!("{header} '{}' is not a number of seconds", clip(text, 40)),
            ));
        }
        if text.len() > MAX_T_DIGITS {
            return Some(Reason::new(
                "overlong_timestamp",
                format!(
                    "{header} has {} digits; at most {MAX_T_DIGITS} allowed",
                    text.len()
                ),
            ));
        }
        None
    }
}

/// Unix seconds from a timestamp header value: 1-10 ASCII digits, spaces trimmed.
pub fn parse_timestamp(header: &str, value: &[u8]) -> Result<i64, Reason> {
    if let Some(r) = reason::timestamp(header, value) {
        return Err(r);
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|t| t.trim().parse::<i64>().ok())
        .ok_or_else(|| Reason::new("non_numeric_timestamp", format!("{header} is not a number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert!(Window::BothWays.is_stale(-301, 300));
        assert!(!Window::PastOnly.is_stale(-10_000, 300));
        assert!(Window::PastOnly.is_stale(301, 300));
        assert!(!Window::PastOnly.is_stale(300, 300));
        assert!(!Window::Untimed.is_stale(1_000_000, 300));
        assert!(!Window::BothWays.is_stale(1_000_000, 0));
    }

    #[test]
    fn empty_list_never_matches() {
        let d = mac(b"k", b"", b"x");
        assert!(!any_matches(&d, &[]));
        assert!(any_matches(&d, &[[0; 32], d]));
    }

    #[test]
    fn digests_must_be_whole() {
        assert!(hex_digest(&"ab".repeat(32)).is_some());
        assert!(hex_digest(&"AB".repeat(32)).is_some());
        assert!(hex_digest("ab").is_none());
        assert!(hex_digest("").is_none());
        let b = encode_base64(&[7; 32]);
        assert_eq!(base64_digest(&b), Some([7; 32]));
        assert_eq!(base64_digest(b.trim_end_matches('=')), Some([7; 32]));
        assert!(base64_digest("").is_none());
        assert!(base64_digest(&encode_base64(&[7; 31])).is_none());
        assert!(base64_digest("!!!").is_none());
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("ts", b" 42 "), Ok(42));
        assert_eq!(
            parse_timestamp("ts", b"-1").unwrap_err().code,
            "non_numeric_timestamp"
        );
        assert_eq!(
            parse_timestamp("ts", b"12345678901").unwrap_err().code,
            "overlong_timestamp"
        );
        assert_eq!(
            parse_timestamp("ts", b"").unwrap_err().code,
            "non_numeric_timestamp"
        );
        assert_eq!(
            parse_timestamp("ts", b"\xff").unwrap_err().code,
            "non_numeric_timestamp"
        );
    }
}
