//! Slack's scheme: `X-Slack-Signature: v0={hex HMAC-SHA256("v0:{ts}:{raw body}")}` with the
//! timestamp in `X-Slack-Request-Timestamp`, keyed by the app's Signing Secret text. The
//! timestamp is judged both ways (5 minutes in Slack's SDKs). Pure.

use super::check::{self, encode_hex, hex_digest, Signed, Window, HEX};
use super::secret::{text_key, text_secret};
use super::{Scheme, Secret, SecretError};
use crate::headers::HeaderPair;

pub const SIGNATURE_HEADER: &str = "X-Slack-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Slack-Request-Timestamp";
pub const HEADERS: &[&str] = &[SIGNATURE_HEADER, TIMESTAMP_HEADER];

const VERSION: &str = "v0";

pub const SECRET_EMPTY_HINT: &str =
    "give the Signing Secret from the app's Basic Information page on api.slack.com";
pub const SECRET_FORMAT: &str = "the app's Signing Secret text";

/// The key is the secret's text (spaces around it trimmed).
pub fn parse_key(text: &str) -> Result<Vec<u8>, SecretError> {
    text_key(Scheme::Slack, text)
}

pub fn generate_key() -> (Vec<u8>, String) {
    text_secret(hex::encode(rand::random::<[u8; 16]>()))
}

/// `v0={hex}` of `"v0:{t}:{body}"`.
///
/// The example from Slack's "Verifying requests from Slack" guide:
/// ```
/// use hookscope::signature::{sign_headers, Scheme, Secret};
/// let secret = Secret::parse_for(Scheme::Slack, "8f742231b10e8888abcd99yyyzzz85a5").unwrap();
/// let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
/// assert_eq!(
///     sign_headers(&secret, 1_531_420_618, body)[0],
///     ("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503".to_string())
/// );
/// ```
pub fn sign(secret: &Secret, t: i64, body: &[u8]) -> String {
    let d = check::mac(secret.key(), format!("{VERSION}:{t}:").as_bytes(), body);
    format!("{VERSION}={}", hex::encode(d))
}

pub fn sign_headers(secret: &Secret, t: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        (SIGNATURE_HEADER, sign(secret, t, body)),
        (TIMESTAMP_HEADER, t.to_string()),
    ]
}

/// Slack's two headers, ready to check: `None` when the signature header is absent.
pub(super) fn parse(headers: &[HeaderPair]) -> check::Parsed {
    let Some(value) = check::single(headers, SIGNATURE_HEADER)? else {
        return Ok(None);
    };
    let Some(ts) = check::single(headers, TIMESTAMP_HEADER)? else {
        return Err(check::reason::missing(TIMESTAMP_HEADER, "Slack"));
    };
    let t = check::parse_timestamp(TIMESTAMP_HEADER, ts)?;
    // Slack's SDKs sign the header's text as sent (digits only, checked above).
    let t_text = String::from_utf8_lossy(ts).trim().to_string();
    let text = check::ascii_text(SIGNATURE_HEADER, value)?;
    let Some(hex_part) = text.strip_prefix("v0=") else {
        return Err(check::reason::missing_signature(SIGNATURE_HEADER, "'v0='"));
    };
    let Some(digest) = hex_digest(hex_part) else {
        return Err(check::reason::malformed_signature(hex_part, HEX.shape));
    };
    Ok(Some(Signed {
        scheme: Scheme::Slack,
        timestamp: Some(t),
        window: Window::BothWays,
        prefix: format!("{VERSION}:{t_text}:"),
        received: vec![(encode_hex(&digest), digest)],
        encode: encode_hex,
        key_variants: check::text_key_variants,
        mismatch: "is the secret the app's Signing Secret (Basic Information), not its Verification Token or Client Secret?",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::HeaderPair;
    use crate::signature::{Status, Verdict};
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    // Slack's documented example.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const T: i64 = 1_531_420_618;
    const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn secret() -> Secret {
        Secret::parse_for(Scheme::Slack, SECRET).unwrap()
    }

    fn h(sig: &str, ts: &str) -> Vec<HeaderPair> {
        vec![
            (
                b"X-Slack-Request-Timestamp".to_vec(),
                ts.as_bytes().to_vec(),
            ),
            (b"X-Slack-Signature".to_vec(), sig.as_bytes().to_vec()),
        ]
    }

    fn independent(secret: &str, t: i64, body: &[u8]) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        m.update(format!("v0:{t}:").as_bytes());
        m.update(body);
        format!("v0={}", hex::encode(m.finalize().into_bytes()))
    }

    #[test]
    fn published_vector() {
        assert_eq!(sign(&secret(), T, BODY), SIG);
        assert_eq!(independent(SECRET, T, BODY), SIG);
        let (v, d) = Scheme::Slack.verify(&h(SIG, &T.to_string()), BODY, &[secret()], T + 1, 300);
        assert_eq!(
            v,
            Verdict::Valid {
                scheme: Scheme::Slack,
                secret_index: 0,
                skew_s: 1
            }
        );
        assert!(d
            .unwrap()
            .signed_preview
            .starts_with("v0:1531420618:token="));
    }

    #[test]
    fn tolerance_both_ways() {
        let hs = h(SIG, &T.to_string());
        assert_eq!(
            Scheme::Slack
                .verify(&hs, BODY, &[secret()], T + 301, 300)
                .0
                .status(),
            Status::Stale
        );
        assert_eq!(
            Scheme::Slack
                .verify(&hs, BODY, &[secret()], T - 301, 300)
                .0
                .status(),
            Status::Stale
        );
        assert_eq!(
            Scheme::Slack
                .verify(&hs, BODY, &[secret()], T - 300, 300)
                .0
                .status(),
            Status::Valid
        );
    }

    #[test]
    fn malformed_headers() {
        let t = T.to_string();
        let table = [
            (h("", &t), "missing_signature"),
            (h(&SIG[3..], &t), "missing_signature"),
            (h("v1=abc", &t), "missing_signature"),
            (h("v0=", &t), "malformed_signature"),
            (h("v0=abcd", &t), "malformed_signature"),
            (h(SIG, ""), "non_numeric_timestamp"),
            (h(SIG, "later"), "non_numeric_timestamp"),
            (h(SIG, "15314206180"), "overlong_timestamp"),
            (vec![h(SIG, &t)[1].clone()], "missing_header"),
            ([h(SIG, &t), h(SIG, &t)].concat(), "several_headers"),
        ];
        for (hs, code) in table {
            match Scheme::Slack.verify(&hs, BODY, &[secret()], T, 300).0 {
                Verdict::Invalid { reason, .. } => assert_eq!(reason.code, code, "{hs:?}"),
                v => panic!("{hs:?}: {v:?}"),
            }
        }
    }

    #[test]
    fn rotation_bodies_hints() {
        let t = T.to_string();
        let old = Secret::parse_for(Scheme::Slack, "old").unwrap();
        assert_eq!(
            Scheme::Slack
                .verify(&h(SIG, &t), BODY, &[old, secret()], T, 300)
                .0
                .secret_index(),
            Some(1)
        );
        for body in [&b""[..], b"\xff\x00"] {
            let sig = independent(SECRET, T, body);
            assert_eq!(
                Scheme::Slack
                    .verify(&h(&sig, &t), body, &[secret()], T, 300)
                    .0
                    .status(),
                Status::Valid
            );
        }
        let (_, d) = Scheme::Slack.verify(&h(SIG, &t), b"x=1", &[secret()], T, 300);
        assert!(d.unwrap().hint.unwrap().contains("Signing Secret"));
        // The timestamp is signed as sent, leading zeros and all, as Slack's SDKs do.
        let zero = "0000000042";
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
        m.update(format!("v0:{zero}:").as_bytes());
        m.update(BODY);
        let sig = format!("v0={}", hex::encode(m.finalize().into_bytes()));
        assert_eq!(
            Scheme::Slack
                .verify(&h(&sig, zero), BODY, &[secret()], 42, 300)
                .0
                .status(),
            Status::Valid
        );
        // The timestamp header is signed: another value breaks the MAC.
        let (v, _) = Scheme::Slack.verify(&h(SIG, &(T + 1).to_string()), BODY, &[secret()], T, 300);
        assert_eq!(v.status(), Status::Invalid);
    }
}
