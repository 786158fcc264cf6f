//! The signing schemes hookscope knows, and the one place that dispatches to each scheme's
//! file. Adding a scheme: a file beside `dataspike.rs`, a variant here, one arm per method.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::{check, dataspike, github, shopify, slack, standard, stripe};
use super::{Diagnostics, Secret, SecretError, Verdict};
use crate::headers::HeaderPair;

/// A provider's way of signing webhooks. Stored by `Scheme::name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// The scheme assumed when nothing says otherwise: bare secrets, rows from before schemes.
    #[default]
    Dataspike,
    /// Stripe: `Stripe-Signature`.
    Stripe,
    /// Standard Webhooks, as sent by Svix and others.
    Standard,
    /// GitHub: `X-Hub-Signature-256`.
    Github,
    /// Slack: `X-Slack-Signature` and `X-Slack-Request-Timestamp`.
    Slack,
    /// Shopify: `X-Shopify-Hmac-Sha256`.
    Shopify,
}

impl Scheme {
    /// Every scheme, in detection order: when one delivery carries the signature headers of
    /// several, the first here is verified (Dataspike first, as before schemes existed), and the
    /// diagnostics say which others were present.
    pub(crate) const ALL: [Scheme; 6] = [
        Scheme::Dataspike,
        Scheme::Stripe,
        Scheme::Standard,
        Scheme::Github,
        Scheme::Slack,
        Scheme::Shopify,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Scheme::Dataspike => "dataspike",
            Scheme::Stripe => "stripe",
            Scheme::Standard => "standard",
            Scheme::Github => "github",
            Scheme::Slack => "slack",
            Scheme::Shopify => "shopify",
        }
    }

    /// Whether the scheme signs a timestamp (then `--sign stale` and tolerance apply).
    pub(crate) fn has_timestamp(self) -> bool {
        !matches!(self, Scheme::Github | Scheme::Shopify)
    }

    pub(crate) fn parse(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The headers the scheme reads and signs, the first being its signature header.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Scheme::Dataspike => dataspike::HEADERS,
            Scheme::Stripe => stripe::HEADERS,
            Scheme::Standard => standard::HEADERS,
            Scheme::Github => github::HEADERS,
            Scheme::Slack => slack::HEADERS,
            Scheme::Shopify => shopify::HEADERS,
        }
    }

    /// The headers whose presence says a delivery is signed with this scheme.
    pub(crate) fn signature_headers(self) -> &'static [&'static str] {
        match self {
            Scheme::Standard => standard::SIGNATURE_HEADERS,
            _ => &self.headers()[..1],
        }
    }

    /// The header that carries the signature itself.
    pub(crate) fn signature_header(self) -> &'static str {
        self.headers()[0]
    }

    /// True when `name` is one of this scheme's headers (case-insensitive).
    pub(crate) fn reads(self, name: &[u8]) -> bool {
        self.headers()
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h.as_bytes()))
    }

    /// The first scheme whose signature header is among `headers`.
    pub(crate) fn detect(headers: &[HeaderPair]) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.detects(headers))
    }

    /// True when `headers` carry one of this scheme's signature headers.
    pub fn detects(self, headers: &[HeaderPair]) -> bool {
        headers.iter().any(|(n, _)| {
            self.signature_headers()
                .iter()
                .any(|sig| n.eq_ignore_ascii_case(sig.as_bytes()))
        })
    }

    /// Every scheme whose signature header is among `headers`, in detection order.
    pub(crate) fn detect_all(headers: &[HeaderPair]) -> Vec<Scheme> {
        Scheme::ALL
            .into_iter()
            .filter(|s| s.detects(headers))
            .collect()
    }

    /// Every known signature header, for "no ... header".
    pub(crate) fn known_headers() -> String {
        let all: Vec<&str> = Scheme::ALL
            .iter()
            .flat_map(|s| s.signature_headers().iter().copied())
            .collect();
        match all.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
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
        let parsed = self.read_headers(headers);
        check::verify_parsed(self, parsed, body, secrets, now_s, tolerance_s)
    }

    /// This scheme's headers among `headers`, read by its own rules: what [`Scheme::verify`]
    /// checks, unsigned (`None`), or why they are malformed.
    fn read_headers(self, headers: &[HeaderPair]) -> check::Parsed {
        match self {
            Scheme::Dataspike => dataspike::parse(headers),
            Scheme::Stripe => stripe::parse(headers),
            Scheme::Standard => standard::parse(headers),
            Scheme::Github => github::SCHEME.parse(headers),
            Scheme::Slack => slack::parse(headers),
            Scheme::Shopify => shopify::SCHEME.parse(headers),
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
            Scheme::Stripe => stripe::sign_headers(secret, t, body),
            Scheme::Standard => standard::sign_headers(secret, t, body),
            // No timestamp: GitHub and Shopify sign none.
            Scheme::Github => github::SCHEME.sign_headers(secret, body),
            Scheme::Slack => slack::sign_headers(secret, t, body),
            Scheme::Shopify => shopify::SCHEME.sign_headers(secret, body),
        }
    }

    /// Like [`Scheme::sign_headers`], for a redelivery of `captured`: what the scheme lets a
    /// redelivery keep (Standard Webhooks' `webhook-id` and header names) is kept.
    pub(super) fn resign_headers(
        self,
        secret: &Secret,
        t: i64,
        body: &[u8],
        captured: &[HeaderPair],
    ) -> Vec<(&'static str, String)> {
        match self {
            Scheme::Standard => standard::resign_headers(secret, t, body, captured),
            _ => self.sign_headers(secret, t, body),
        }
    }

    /// Key bytes from the secret's text as the provider shows it.
    pub(super) fn parse_key(self, text: &str) -> Result<Vec<u8>, SecretError> {
        match self {
            Scheme::Dataspike => dataspike::parse_key(text),
            Scheme::Stripe => stripe::parse_key(text),
            Scheme::Standard => standard::parse_key(text),
            Scheme::Github => github::parse_key(text),
            Scheme::Slack => slack::parse_key(text),
            Scheme::Shopify => shopify::parse_key(text),
        }
    }

    /// A fresh random key and its text.
    pub(super) fn generate_key(self) -> (Vec<u8>, String) {
        match self {
            Scheme::Dataspike => dataspike::generate_key(),
            Scheme::Stripe => stripe::generate_key(),
            Scheme::Standard => standard::generate_key(),
            Scheme::Github => github::generate_key(),
            Scheme::Slack => slack::generate_key(),
            Scheme::Shopify => shopify::generate_key(),
        }
    }

    /// For an empty secret: where to find the right value.
    pub(super) fn secret_hint(self) -> &'static str {
        match self {
            Scheme::Dataspike => dataspike::SECRET_EMPTY_HINT,
            Scheme::Stripe => stripe::SECRET_EMPTY_HINT,
            Scheme::Standard => standard::SECRET_EMPTY_HINT,
            Scheme::Github => github::SECRET_EMPTY_HINT,
            Scheme::Slack => slack::SECRET_EMPTY_HINT,
            Scheme::Shopify => shopify::SECRET_EMPTY_HINT,
        }
    }

    /// For a malformed secret: what its text must look like.
    pub(super) fn secret_format(self) -> &'static str {
        match self {
            Scheme::Dataspike => dataspike::SECRET_FORMAT,
            Scheme::Stripe => stripe::SECRET_FORMAT,
            Scheme::Standard => standard::SECRET_FORMAT,
            Scheme::Github => github::SECRET_FORMAT,
            Scheme::Slack => slack::SECRET_FORMAT,
            Scheme::Shopify => shopify::SECRET_FORMAT,
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
        assert_eq!(
            Scheme::known_headers(),
            "X-Webhook-Signature, Stripe-Signature, webhook-signature, svix-signature, \
             X-Hub-Signature-256, X-Slack-Signature or X-Shopify-Hmac-Sha256"
        );
    }

    #[test]
    fn detection_order_is_documented_order() {
        let h = |n: &str| (n.as_bytes().to_vec(), b"x".to_vec());
        let both = vec![h("X-Hub-Signature-256"), h("Stripe-Signature")];
        assert_eq!(Scheme::detect(&both), Some(Scheme::Stripe));
        assert_eq!(Scheme::detect_all(&both), [Scheme::Stripe, Scheme::Github]);
        assert_eq!(
            Scheme::detect(&[h("svix-signature")]),
            Some(Scheme::Standard)
        );
        // GitHub's SHA-1 header alone is not a scheme hookscope verifies.
        assert_eq!(Scheme::detect(&[h("X-Hub-Signature")]), None);
        assert_eq!(Scheme::detect(&[h("X-Slack-Request-Timestamp")]), None);
    }
}
