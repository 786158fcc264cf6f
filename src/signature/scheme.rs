//! The signing schemes hookscope knows, and the one place that dispatches to each scheme's
//! file. Adding a scheme: a file beside `dataspike.rs`, a variant here, one arm per method.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::{dataspike, Diagnostics, Secret, SecretError, Verdict};
use crate::headers::{header_values, HeaderPair};

/// A provider's way of signing webhooks. Stored by [`Scheme::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// The scheme assumed when nothing says otherwise: bare secrets, rows from before schemes.
    #[default]
    Dataspike,
}

impl Scheme {
    /// Every scheme, in detection order.
    pub const ALL: [Scheme; 1] = [Scheme::Dataspike];

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dataspike => "dataspike",
        }
    }

    pub fn parse(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The headers the scheme reads and signs, the first being its signature header.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Scheme::Dataspike => dataspike::HEADERS,
        }
    }

    /// The header that carries the signature itself.
    pub fn signature_header(self) -> &'static str {
        self.headers()[0]
    }

    /// True when `name` is one of this scheme's headers (case-insensitive).
    pub fn reads(self, name: &[u8]) -> bool {
        self.headers()
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h.as_bytes()))
    }

    /// The first scheme whose signature header is among `headers`.
    pub fn detect(headers: &[HeaderPair]) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.detects(headers))
    }

    /// True when `headers` carry this scheme's signature header.
    pub fn detects(self, headers: &[HeaderPair]) -> bool {
        let sig = self.signature_header().as_bytes();
        headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(sig))
    }

    /// Every known signature header, for "no ... header": `X-Webhook-Signature`.
    pub fn known_headers() -> String {
        Scheme::ALL
            .iter()
            .map(|s| s.signature_header())
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// Verifies `headers` under this scheme with the secrets of this scheme among `secrets`.
    pub fn verify(
        self,
        headers: &[HeaderPair],
        body: &[u8],
        secrets: &[Secret],
        now_s: i64,
        tolerance_s: u64,
    ) -> (Verdict, Option<Diagnostics>) {
        match self {
            Scheme::Dataspike => {
                let values = header_values(headers, dataspike::SIGNATURE_HEADER);
                dataspike::verify(&values, body, secrets, now_s, tolerance_s)
            }
        }
    }

    /// The headers to set on `body` signed at `t` (Unix seconds) under `secret`.
    pub(super) fn sign_headers(
        self,
        secret: &Secret,
        t: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        match self {
            Scheme::Dataspike => dataspike::sign_headers(secret, t, body),
        }
    }

    /// Key bytes from the secret's text as the provider shows it.
    pub(super) fn parse_key(self, text: &str) -> Result<Vec<u8>, SecretError> {
        match self {
            Scheme::Dataspike => dataspike::parse_key(text),
        }
    }

    /// A fresh random key and its text.
    pub(super) fn generate_key(self) -> (Vec<u8>, String) {
        match self {
            Scheme::Dataspike => dataspike::generate_key(),
        }
    }

    /// For an empty secret: where to find the right value.
    pub(super) fn secret_hint(self) -> &'static str {
        match self {
            Scheme::Dataspike => dataspike::SECRET_EMPTY_HINT,
        }
    }

    /// For a malformed secret: what its text must look like.
    pub(super) fn secret_format(self) -> &'static str {
        match self {
            Scheme::Dataspike => dataspike::SECRET_FORMAT,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_detect() {
        for s in Scheme::ALL {
            assert_eq!(Scheme::parse(s.name()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
        let h = vec![(b"x-webhook-SIGNATURE".to_vec(), b"t=1".to_vec())];
        assert_eq!(Scheme::detect(&h), Some(Scheme::Dataspike));
        assert_eq!(Scheme::detect(&[]), None);
        assert_eq!(Scheme::known_headers(), "X-Webhook-Signature");
    }
}
