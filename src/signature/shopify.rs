//! Shopify's scheme: `X-Shopify-Hmac-Sha256: {base64 HMAC-SHA256(raw body)}`, keyed by the
//! app's secret text. No timestamp, so nothing is ever stale. Pure.

use super::check::{BodyOnly, BASE64};
use super::secret::{text_key, text_secret};
use super::{Scheme, SecretError};

pub const SIGNATURE_HEADER: &str = "X-Shopify-Hmac-Sha256";
pub const HEADERS: &[&str] = &[SIGNATURE_HEADER];

/// How the header is read and written (base64 HMAC-SHA256 of the body); the scheme signs and
/// verifies through it.
///
/// ```
/// use hookscope::signature::{sign_headers, Scheme, Secret};
/// let secret = Secret::parse_for(Scheme::Shopify, "hush").unwrap();
/// // printf '{"id":1}' | openssl dgst -sha256 -hmac hush -binary | base64
/// assert_eq!(
///     sign_headers(&secret, 0, br#"{"id":1}"#),
///     [("X-Shopify-Hmac-Sha256", "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=".to_string())]
/// );
/// ```
pub(super) const SCHEME: BodyOnly = BodyOnly {
    scheme: Scheme::Shopify,
    header: SIGNATURE_HEADER,
    tag: "",
    encoding: BASE64,
    mismatch: "is the secret the app's client secret (or the signing key shown in the shop's webhook settings)?",
};

pub const SECRET_EMPTY_HINT: &str =
    "give the app's client secret (or the webhook signing key from the shop's notification settings)";
pub const SECRET_FORMAT: &str = "Shopify's secret text";

/// The key is the secret's text (spaces around it trimmed).
pub fn parse_key(text: &str) -> Result<Vec<u8>, SecretError> {
    text_key(Scheme::Shopify, text)
}

pub fn generate_key() -> (Vec<u8>, String) {
    text_secret(format!("shpss_{}", hex::encode(rand::random::<[u8; 16]>())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::HeaderPair;
    use crate::signature::{Secret, Status, Verdict};
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const SECRET: &str = "hush";
    const BODY: &[u8] = br#"{"id":1}"#;
    // printf '{"id":1}' | openssl dgst -sha256 -hmac hush -binary | base64
    const SIG: &str = "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=";

    fn secret() -> Secret {
        Secret::parse_for(Scheme::Shopify, SECRET).unwrap()
    }

    fn h(v: &str) -> Vec<HeaderPair> {
        vec![(b"x-shopify-hmac-sha256".to_vec(), v.as_bytes().to_vec())]
    }

    fn independent(secret: &[u8], body: &[u8]) -> String {
        use base64::Engine;
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap();
        m.update(body);
        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
    }

    #[test]
    fn vector_and_independent_mac() {
        assert_eq!(SCHEME.sign(&secret(), BODY), SIG);
        assert_eq!(independent(SECRET.as_bytes(), BODY), SIG);
        let (v, _) = Scheme::Shopify.verify(&h(SIG), BODY, &[secret()], 0, 300);
        assert_eq!(
            v,
            Verdict::Valid {
                scheme: Scheme::Shopify,
                secret_index: 0,
                skew_s: 0
            }
        );
        // Padding is optional on the way in.
        let (v, _) =
            Scheme::Shopify.verify(&h(SIG.trim_end_matches('=')), BODY, &[secret()], 0, 300);
        assert_eq!(v.status(), Status::Valid);
    }

    #[test]
    fn malformed_headers() {
        for (value, code) in [
            ("", "missing_signature"),
            ("abc", "malformed_signature"),
            ("AAAA", "malformed_signature"),
            (
                "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                "malformed_signature",
            ),
        ] {
            match Scheme::Shopify
                .verify(&h(value), BODY, &[secret()], 0, 300)
                .0
            {
                Verdict::Invalid { reason, .. } => assert_eq!(reason.code, code, "{value}"),
                v => panic!("{value}: {v:?}"),
            }
        }
        assert!(matches!(
            Scheme::Shopify.verify(&[h(SIG), h(SIG)].concat(), BODY, &[secret()], 0, 300).0,
            Verdict::Invalid { reason, .. } if reason.code == "several_headers"
        ));
    }

    #[test]
    fn rotation_bodies_hints() {
        let old = Secret::parse_for(Scheme::Shopify, "old").unwrap();
        assert_eq!(
            Scheme::Shopify
                .verify(&h(SIG), BODY, &[old, secret()], 0, 300)
                .0
                .secret_index(),
            Some(1)
        );
        for body in [&b""[..], b"\x80\xff"] {
            let sig = independent(SECRET.as_bytes(), body);
            assert_eq!(
                Scheme::Shopify
                    .verify(&h(&sig), body, &[secret()], 0, 300)
                    .0
                    .status(),
                Status::Valid
            );
        }
        let pretty = b"{\n  \"id\": 1\n}";
        let (_, d) = Scheme::Shopify.verify(&h(SIG), pretty, &[secret()], 0, 300);
        assert!(d.unwrap().hint.unwrap().contains("re-serialized"));
        let (_, d) = Scheme::Shopify.verify(&h(SIG), b"x", &[secret()], 0, 300);
        assert!(d.unwrap().hint.unwrap().contains("client secret"));
    }
}
