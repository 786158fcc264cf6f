//! GitHub's scheme: `X-Hub-Signature-256: sha256={hex HMAC-SHA256(raw body)}`, keyed by the
//! webhook secret's text. No timestamp, so nothing is ever stale. The SHA-1
//! `X-Hub-Signature` GitHub also sends is ignored. Pure.

use super::check::{BodyOnly, HEX};
use super::secret::{text_key, text_secret};
use super::{Scheme, SecretError};

pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";
pub const HEADERS: &[&str] = &[SIGNATURE_HEADER];

/// How the header is read and written (`sha256={hex}` of the body); the scheme signs and
/// verifies through it.
///
/// The example from GitHub's "Validating webhook deliveries" guide:
/// ```
/// use hookscope::signature::{sign_headers, Scheme, Secret};
/// let secret = Secret::parse_for(Scheme::Github, "It's a Secret to Everybody").unwrap();
/// assert_eq!(
///     sign_headers(&secret, 0, b"Hello, World!"),
///     [(
///         "X-Hub-Signature-256",
///         "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".to_string()
///     )]
/// );
/// ```
pub(super) const SCHEME: BodyOnly = BodyOnly {
    scheme: Scheme::Github,
    header: SIGNATURE_HEADER,
    tag: "sha256=",
    encoding: HEX,
    mismatch: "X-Hub-Signature (SHA-1) is ignored; is the secret the webhook's secret?",
};

pub const SECRET_EMPTY_HINT: &str = "give the secret set in the webhook's settings on GitHub";
pub const SECRET_FORMAT: &str = "the webhook's secret text";

/// The key is the secret's text (spaces around it trimmed).
pub fn parse_key(text: &str) -> Result<Vec<u8>, SecretError> {
    text_key(Scheme::Github, text)
}

pub fn generate_key() -> (Vec<u8>, String) {
    text_secret(hex::encode(rand::random::<[u8; 20]>()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::HeaderPair;
    use crate::signature::{Secret, Status, Verdict};
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    // GitHub's documented example.
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn secret() -> Secret {
        Secret::parse_for(Scheme::Github, SECRET).unwrap()
    }

    fn h(v: &str) -> Vec<HeaderPair> {
        vec![(b"X-Hub-Signature-256".to_vec(), v.as_bytes().to_vec())]
    }

    fn independent(secret: &[u8], body: &[u8]) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap();
        m.update(body);
        format!("sha256={}", hex::encode(m.finalize().into_bytes()))
    }

    #[test]
    fn published_vector() {
        assert_eq!(SCHEME.sign(&secret(), BODY), SIG);
        assert_eq!(independent(SECRET.as_bytes(), BODY), SIG);
        let (v, d) = Scheme::Github.verify(&h(SIG), BODY, &[secret()], 1_900_000_000, 300);
        assert_eq!(
            v,
            Verdict::Valid {
                scheme: Scheme::Github,
                secret_index: 0,
                skew_s: 0
            }
        );
        let d = d.unwrap();
        assert_eq!(d.timestamp, None);
        assert_eq!(d.signed_preview, "Hello, World!");
        assert_eq!(v.skew_s(), None);
    }

    #[test]
    fn malformed_headers() {
        let table = [
            ("", "missing_signature"),
            (
                "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                "missing_signature",
            ),
            ("sha1=757107ea", "missing_signature"),
            ("sha256=", "malformed_signature"),
            ("sha256=abc", "malformed_signature"),
            (&format!("sha256={}", "x".repeat(64)), "malformed_signature"),
        ];
        for (value, code) in table {
            match Scheme::Github
                .verify(&h(value), BODY, &[secret()], 0, 300)
                .0
            {
                Verdict::Invalid { reason, .. } => assert_eq!(reason.code, code, "{value}"),
                v => panic!("{value}: {v:?}"),
            }
        }
        let two = [h(SIG), h(SIG)].concat();
        assert!(matches!(
            Scheme::Github.verify(&two, BODY, &[secret()], 0, 300).0,
            Verdict::Invalid { reason, .. } if reason.code == "several_headers"
        ));
        let bad = vec![(b"X-Hub-Signature-256".to_vec(), b"sha256=\xff".to_vec())];
        assert!(matches!(
            Scheme::Github.verify(&bad, BODY, &[secret()], 0, 300).0,
            Verdict::Invalid { reason, .. } if reason.code == "not_text"
        ));
    }

    #[test]
    fn rotation_uppercase_no_staleness() {
        let old = Secret::parse_for(Scheme::Github, "old").unwrap();
        let (v, _) = Scheme::Github.verify(
            &h(&SIG.to_uppercase().replace("SHA256", "sha256")),
            BODY,
            &[old, secret()],
            i64::MAX,
            1,
        );
        assert_eq!(v.secret_index(), Some(1));
        assert_eq!(v.status(), Status::Valid);
    }

    #[test]
    fn bodies_and_hints() {
        for body in [&b""[..], b"\xff\x00\xfe"] {
            let sig = independent(SECRET.as_bytes(), body);
            assert_eq!(SCHEME.sign(&secret(), body), sig);
            assert_eq!(
                Scheme::Github
                    .verify(&h(&sig), body, &[secret()], 0, 300)
                    .0
                    .status(),
                Status::Valid
            );
        }
        let (_, d) = Scheme::Github.verify(&h(SIG), b"Hello, World!\n", &[secret()], 0, 300);
        assert!(d
            .unwrap()
            .hint
            .unwrap()
            .contains("gained a trailing newline"));
        let (_, d) = Scheme::Github.verify(&h(SIG), b"other", &[secret()], 0, 300);
        assert!(d
            .unwrap()
            .hint
            .unwrap()
            .contains("X-Hub-Signature (SHA-1) is ignored"));
        let nl = independent(format!("{SECRET}\n").as_bytes(), BODY);
        let (_, d) = Scheme::Github.verify(&h(&nl), BODY, &[secret()], 0, 300);
        assert!(d
            .unwrap()
            .hint
            .unwrap()
            .contains("trailing newline (read from a file?)"));
    }
}
