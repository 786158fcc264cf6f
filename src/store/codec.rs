//! How values become columns, pure and total. Headers are kept in one BLOB: for each header, a
//! little-endian u32 name length, the name bytes, a u32 value length, the value bytes; exact
//! bytes and order survive the round trip. Verdicts and diagnostics are JSON text; a verdict
//! written before schema version 3 (no scheme, Dataspike's `HeaderError` as the reason) reads
//! back as the same verdict under the `dataspike` scheme with a neutral reason.

use serde_json::Value;

use crate::headers::HeaderPair;
use crate::signature::dataspike::HeaderError;
use crate::signature::{Reason, Scheme, Verdict};

/// Headers as the store keeps them: a length-prefixed byte encoding that keeps order and exact bytes (`decode_headers` reads it back).
pub fn encode_headers(headers: &[HeaderPair]) -> Vec<u8> {
    let size = headers.iter().map(|(n, v)| 8 + n.len() + v.len()).sum();
    let mut out = Vec::with_capacity(size);
    for (name, value) in headers {
        for part in [name, value] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// `None` when the blob is not a valid encoding (a damaged row).
pub fn decode_headers(mut blob: &[u8]) -> Option<Vec<HeaderPair>> {
    let take = |blob: &mut &[u8]| -> Option<Vec<u8>> {
        let (len, rest) = blob.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return None;
        }
        let (part, rest) = rest.split_at(len);
        *blob = rest;
        Some(part.to_vec())
    };
    let mut out = Vec::new();
    while !blob.is_empty() {
        let name = take(&mut blob)?;
        let value = take(&mut blob)?;
        out.push((name, value));
    }
    Some(out)
}

/// JSON text of one of our own plain structs.
pub fn to_json_text<T: serde::Serialize>(v: &T) -> String {
    // Serializing our own plain structs to JSON cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub fn encode_verdict(v: &Verdict) -> String {
    to_json_text(v)
}

/// Reads `verdict_json`, upgrading the pre-version-3 shape; `scheme` is the row's column (NULL
/// in rows that are unsigned). Anything unreadable is unverified rather than failing a listing.
pub fn decode_verdict(text: &str, scheme: Option<&str>) -> Verdict {
    let fallback = || Verdict::Unverified {
        scheme: scheme.and_then(Scheme::parse).unwrap_or_default(),
    };
    let Ok(Value::Object(mut v)) = serde_json::from_str::<Value>(text) else {
        return fallback();
    };
    let signed = v.get("status").and_then(Value::as_str) != Some("unsigned");
    if signed && !v.contains_key("scheme") {
        let name = scheme.unwrap_or(Scheme::default().name());
        v.insert("scheme".into(), Value::from(name));
    }
    if let Some(old) = v.get("reason").filter(|r| r.get("message").is_none()) {
        if let Ok(e) = serde_json::from_value::<HeaderError>(old.clone()) {
            let reason: Reason = e.into();
            v.insert("reason".into(), serde_json::json!(reason));
        }
    }
    serde_json::from_value(Value::Object(v)).unwrap_or_else(|_| fallback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_round_trip() {
        let ds = Scheme::Dataspike;
        for v in [
            Verdict::Valid {
                scheme: ds,
                secret_index: 1,
                skew_s: -3,
            },
            Verdict::Stale {
                scheme: ds,
                secret_index: 0,
                skew_s: 400,
                tolerance_s: 300,
            },
            Verdict::Invalid {
                scheme: ds,
                reason: HeaderError::SeveralHeaders { count: 2 }.into(),
            },
            Verdict::Unsigned,
            Verdict::Unverified { scheme: ds },
        ] {
            let scheme = v.scheme().map(Scheme::name);
            assert_eq!(decode_verdict(&encode_verdict(&v), scheme), v);
        }
    }

    #[test]
    fn pre_scheme_verdicts_read_as_dataspike_with_reasons() {
        let old = r#"{"status":"invalid","reason":{"code":"non_numeric_timestamp","value":"abc"}}"#;
        let v = decode_verdict(old, Some("dataspike"));
        assert_eq!(
            v,
            Verdict::Invalid {
                scheme: Scheme::Dataspike,
                reason: Reason::new(
                    "non_numeric_timestamp",
                    "t 'abc' is not a number of seconds"
                ),
            }
        );
        let old = r#"{"status":"valid","secret_index":1,"skew_s":2}"#;
        assert_eq!(decode_verdict(old, None).scheme(), Some(Scheme::Dataspike));
        assert_eq!(
            decode_verdict(r#"{"status":"unverified"}"#, Some("dataspike")),
            Verdict::Unverified {
                scheme: Scheme::Dataspike
            }
        );
        assert_eq!(
            decode_verdict(r#"{"status":"unsigned"}"#, None),
            Verdict::Unsigned
        );
        assert_eq!(
            decode_verdict("garbage", None).status().as_str(),
            "unverified"
        );
    }

    #[test]
    fn round_trip_keeps_bytes_and_order() {
        let h = vec![
            (b"Host".to_vec(), b"x".to_vec()),
            (b"X-Bin".to_vec(), b"\xff\x00\x80".to_vec()),
            (b"host".to_vec(), Vec::new()),
        ];
        assert_eq!(decode_headers(&encode_headers(&h)).unwrap(), h);
        assert_eq!(decode_headers(&[]).unwrap(), Vec::<HeaderPair>::new());
    }

    #[test]
    fn damaged_blob_is_rejected_not_panicking() {
        assert_eq!(decode_headers(&[1, 0, 0]), None);
        assert_eq!(decode_headers(&[9, 0, 0, 0, b'a']), None);
        assert_eq!(decode_headers(&[1, 0, 0, 0, b'a']), None);
    }
}
