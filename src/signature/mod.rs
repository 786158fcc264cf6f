//! Signature verification. A bad signature is data (a [`Verdict`]), not an error.
//! Everything here is pure and synchronous.

mod dataspike;

pub use dataspike::{
    parse_header, sign, sign_header, verify, verify_capture, HeaderError, ParsedHeader,
    SIGNATURE_HEADER,
};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;
use std::time::Duration;

/// Default allowed distance between the signed `t` and now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// How many body bytes the signed-string preview shows.
pub const PREVIEW_BODY_BYTES: usize = 64;

/// The outcome of checking one delivery's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// A `v1` matched under secret `secret_index` and `t` is within tolerance.
    Valid { secret_index: usize, skew_s: i64 },
    /// The MAC matched but `t` is outside the tolerance. `skew_s` > 0 means `t` is in the past.
    Stale {
        secret_index: usize,
        skew_s: i64,
        tolerance_s: u64,
    },
    /// The header is present but malformed or matches no secret.
    Invalid { reason: HeaderError },
    /// No `X-Webhook-Signature` header.
    Unsigned,
    /// No secret configured, so nothing could be checked.
    Unverified,
}

impl Verdict {
    pub fn status(&self) -> Status {
        match self {
            Verdict::Valid { .. } => Status::Valid,
            Verdict::Stale { .. } => Status::Stale,
            Verdict::Invalid { .. } => Status::Invalid,
            Verdict::Unsigned => Status::Unsigned,
            Verdict::Unverified => Status::Unverified,
        }
    }

    /// Human reason; `None` for a valid signature.
    pub fn reason(&self) -> Option<String> {
        match self {
            Verdict::Valid { .. } => None,
            Verdict::Stale {
                skew_s,
                tolerance_s,
                ..
            } => Some(stale_reason(*skew_s, *tolerance_s)),
            Verdict::Invalid { reason } => Some(reason.to_string()),
            Verdict::Unsigned => Some(format!("no {SIGNATURE_HEADER} header")),
            Verdict::Unverified => {
                Some("no secret configured (pass --secret or set HOOKSCOPE_SECRET)".into())
            }
        }
    }

    pub fn secret_index(&self) -> Option<usize> {
        match self {
            Verdict::Valid { secret_index, .. } | Verdict::Stale { secret_index, .. } => {
                Some(*secret_index)
            }
            _ => None,
        }
    }

    pub fn skew_s(&self) -> Option<i64> {
        match self {
            Verdict::Valid { skew_s, .. } | Verdict::Stale { skew_s, .. } => Some(*skew_s),
            _ => None,
        }
    }

    /// `{status, reason, secret_index, skew_s}` as printed by `list --json`.
    pub fn to_json(&self) -> Value {
        json!({
            "status": self.status().as_str(),
            "reason": self.reason(),
            "secret_index": self.secret_index(),
            "skew_s": self.skew_s(),
        })
    }
}

fn stale_reason(skew_s: i64, tolerance_s: u64) -> String {
    if skew_s >= 0 {
        format!("timestamp {skew_s} s old, tolerance {tolerance_s} s")
    } else {
        format!(
            "timestamp {} s in the future, tolerance {tolerance_s} s",
            skew_s.unsigned_abs()
        )
    }
}

/// The verdict kinds, as stored and as accepted by `--verdict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Valid,
    Stale,
    Invalid,
    Unsigned,
    Unverified,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Valid,
        Status::Stale,
        Status::Invalid,
        Status::Unsigned,
        Status::Unverified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Stale => "stale",
            Status::Invalid => "invalid",
            Status::Unsigned => "unsigned",
            Status::Unverified => "unverified",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Short badge readable without colour.
    pub fn badge(self) -> &'static str {
        match self {
            Status::Valid => "PASS",
            Status::Stale => "STALE",
            Status::Invalid | Status::Unsigned => "FAIL",
            Status::Unverified => "--",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a developer needs to see why a signature did or did not match.
/// Holds digests, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// The `t` from the header, when it parsed.
    pub timestamp: Option<i64>,
    /// `{t}.` followed by the first body bytes, non-printable bytes escaped.
    pub signed_preview: String,
    /// Length in bytes of the whole signed string.
    pub signed_len: usize,
    /// HMAC-SHA256 hex digest expected under each configured secret, in order.
    pub expected: Vec<String>,
    /// The `v1` values the header carried.
    pub received: Vec<String>,
    /// A one-line hint about the likely cause.
    pub hint: Option<String>,
}

/// A Dataspike signing secret: `whsec_` + hex. Debug never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    key: Vec<u8>,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes, redacted)", self.key.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("secret is empty: give the 'whsec_...' value from Dataspike's webhook settings")]
    Empty,
    #[error(
        "secret is not hex after 'whsec_' (Dataspike secrets are 'whsec_' + an even number of hex digits): {0}"
    )]
    NotHex(String),
}

impl Secret {
    /// Parses `whsec_<hex>` (the prefix is optional). The error never echoes the secret.
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let text = text.trim();
        let hex_part = text.strip_prefix("whsec_").unwrap_or(text);
        if hex_part.is_empty() {
            return Err(SecretError::Empty);
        }
        if !hex_part.len().is_multiple_of(2) {
            return Err(SecretError::NotHex(format!(
                "odd number of hex digits ({})",
                hex_part.len()
            )));
        }
        if let Some(pos) = hex_part.bytes().position(|b| !b.is_ascii_hexdigit()) {
            return Err(SecretError::NotHex(format!(
                "character {} is not a hex digit",
                pos + 1 + (text.len() - hex_part.len())
            )));
        }
        let key = hex::decode(hex_part).map_err(|e| SecretError::NotHex(e.to_string()))?;
        Ok(Secret { key })
    }

    /// Makes a fresh random secret and its `whsec_` text (for `send` without `--secret`).
    pub fn generate() -> (Secret, String) {
        let key: [u8; 32] = rand::random();
        let text = format!("whsec_{}", hex::encode(key));
        (Secret { key: key.to_vec() }, text)
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }
}

/// Parses every secret, naming the bad one by position: `--secret #2`.
pub fn parse_secrets<S: AsRef<str>>(texts: &[S], origin: &str) -> Result<Vec<Secret>, String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Secret::parse(t.as_ref()).map_err(|e| format!("{origin} #{} is invalid: {e}", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_parse_rules() {
        assert!(Secret::parse("whsec_00ff").is_ok());
        assert!(Secret::parse("00ff").is_ok());
        assert_eq!(Secret::parse("whsec_"), Err(SecretError::Empty));
        assert!(matches!(
            Secret::parse("whsec_abc"),
            Err(SecretError::NotHex(_))
        ));
        let err = Secret::parse("whsec_zz11").unwrap_err().to_string();
        assert!(err.contains("character 7"), "{err}");
        assert!(
            !err.contains("zz11"),
            "error must not echo the secret: {err}"
        );
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::parse("whsec_deadbeef").unwrap();
        assert!(!format!("{s:?}").contains("dead"));
    }

    #[test]
    fn parse_secrets_names_position() {
        let err = parse_secrets(&["whsec_00", "whsec_0g"], "--secret").unwrap_err();
        assert!(err.starts_with("--secret #2 is invalid"), "{err}");
    }

    #[test]
    fn generated_secret_round_trips() {
        let (s, text) = Secret::generate();
        assert_eq!(Secret::parse(&text).unwrap(), s);
    }

    #[test]
    fn stale_reason_reads_both_ways() {
        assert_eq!(
            stale_reason(412, 300),
            "timestamp 412 s old, tolerance 300 s"
        );
        assert_eq!(
            stale_reason(-500, 300),
            "timestamp 500 s in the future, tolerance 300 s"
        );
    }

    #[test]
    fn badges() {
        assert_eq!(Status::Unsigned.badge(), "FAIL");
        assert_eq!(Status::Unverified.badge(), "--");
        assert_eq!(Status::parse("stale"), Some(Status::Stale));
    }
}
