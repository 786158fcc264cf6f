//! Deliberately good or bad signatures for `send --sign`, so developers can check that their app
//! accepts the good one and rejects each bad one. Pure: no I/O, the clock is a parameter.

use std::time::Duration;

use crate::signature::{sign_headers, Scheme, Secret, Status};

/// How old a `--sign stale` timestamp is: well beyond the 300 s tolerance most verifiers use.
pub const STALE_AGE: Duration = Duration::from_secs(3600);

/// Characters cut off the end of each signature value for `--sign malformed`: half of a hex
/// SHA-256 digest, so Dataspike's `v1` keeps 32 of its 64 digits.
const MALFORMED_CUT_CHARS: usize = 32;

/// Which signature a sender attaches, in the secret's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignMode {
    /// Signed with the secret and a fresh `t`: the app should accept it.
    #[default]
    Valid,
    /// Right MAC, but the timestamp is one hour old: the app's timestamp check should reject
    /// it (only for schemes that sign a timestamp).
    Stale,
    /// Fresh `t`, signed with a different random secret: the MAC check should reject it.
    WrongSecret,
    /// A signature cut by 32 characters (Dataspike's `v1` of 32 hex digits, not 64): should be
    /// rejected.
    Malformed,
    /// No signature header at all: should be rejected as unsigned.
    None,
}

impl SignMode {
    pub const ALL: [SignMode; 5] = [
        SignMode::Valid,
        SignMode::Stale,
        SignMode::WrongSecret,
        SignMode::Malformed,
        SignMode::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignMode::Valid => "valid",
            SignMode::Stale => "stale",
            SignMode::WrongSecret => "wrong-secret",
            SignMode::Malformed => "malformed",
            SignMode::None => "none",
        }
    }

    /// The verdict `hookscope listen` (with the right secret) gives a delivery signed this way.
    pub fn expected_status(self) -> Status {
        match self {
            SignMode::Valid => Status::Valid,
            SignMode::Stale => Status::Stale,
            SignMode::WrongSecret | SignMode::Malformed => Status::Invalid,
            SignMode::None => Status::Unsigned,
        }
    }
}

/// A mode that makes no sense for a scheme: only a signed timestamp can be stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a 'stale' signature needs a signed timestamp to age, and {0} signatures carry none: choose valid, wrong-secret, malformed or none")]
pub struct NothingToAge(pub Scheme);

impl SignMode {
    /// Whether this mode can be made in `scheme`.
    pub fn applies_to(self, scheme: Scheme) -> Result<(), NothingToAge> {
        match self {
            SignMode::Stale if !scheme.has_timestamp() => Err(NothingToAge(scheme)),
            _ => Ok(()),
        }
    }
}

/// The signature headers for `body` sent at `now_s` (Unix seconds) under the secret's scheme,
/// none for [`SignMode::None`]. `secret` is the one the receiving app checks with.
pub fn signature_for(
    mode: SignMode,
    secret: &Secret,
    now_s: i64,
    body: &[u8],
) -> Result<Vec<(&'static str, String)>, NothingToAge> {
    mode.applies_to(secret.scheme())?;
    Ok(match mode {
        SignMode::Valid => sign_headers(secret, now_s, body),
        SignMode::Stale => {
            let age_s = i64::try_from(STALE_AGE.as_secs()).unwrap_or(i64::MAX);
            sign_headers(secret, now_s.saturating_sub(age_s), body)
        }
        SignMode::WrongSecret => {
            let other = loop {
                let (candidate, _) = Secret::generate_for(secret.scheme());
                if candidate != *secret {
                    break candidate;
                }
            };
            sign_headers(&other, now_s, body)
        }
        SignMode::Malformed => {
            // A truncated digest in the signature header (always first): looks like a real
            // header, fails to parse. The scheme's other headers (id, timestamp) stay whole.
            let mut headers = sign_headers(secret, now_s, body);
            if let Some((_, value)) = headers.first_mut() {
                let keep = value.len().saturating_sub(MALFORMED_CUT_CHARS);
                value.truncate(keep);
            }
            headers
        }
        SignMode::None => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::HeaderPair;
    use crate::signature::dataspike::HeaderError;
    use crate::signature::{verify_capture, Scheme, Verdict, DEFAULT_TOLERANCE};

    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"event_type":"AML_SCREENING","payload":{}}"#;

    fn verdict_of(mode: SignMode, secret: &Secret) -> Verdict {
        let headers: Vec<HeaderPair> = signature_for(mode, secret, NOW, BODY)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.into_bytes()))
            .collect();
        verify_capture(
            &headers,
            BODY,
            std::slice::from_ref(secret),
            NOW,
            DEFAULT_TOLERANCE.as_secs(),
        )
        .0
    }

    #[test]
    fn every_mode_yields_the_verdict_it_promises_in_every_scheme() {
        for scheme in Scheme::ALL {
            let (secret, _) = Secret::generate_for(scheme);
            for mode in SignMode::ALL {
                if mode.applies_to(scheme).is_err() {
                    continue;
                }
                let verdict = verdict_of(mode, &secret);
                assert_eq!(
                    verdict.status(),
                    mode.expected_status(),
                    "{scheme} {mode:?}"
                );
                if mode != SignMode::None {
                    assert_eq!(verdict.scheme(), Some(scheme));
                }
            }
        }
    }

    #[test]
    fn stale_needs_a_timestamp() {
        for scheme in [Scheme::Github, Scheme::Shopify] {
            let (secret, _) = Secret::generate_for(scheme);
            let e = signature_for(SignMode::Stale, &secret, NOW, BODY).unwrap_err();
            assert_eq!(e, NothingToAge(scheme));
            assert!(e
                .to_string()
                .contains(&format!("{scheme} signatures carry none")));
        }
        let (secret, _) = Secret::generate_for(Scheme::Stripe);
        assert!(signature_for(SignMode::Stale, &secret, NOW, BODY).is_ok());
    }

    #[test]
    fn modes_fail_for_the_stated_reason() {
        let (secret, _) = Secret::generate();
        assert_eq!(
            verdict_of(SignMode::Valid, &secret),
            Verdict::Valid {
                scheme: Scheme::Dataspike,
                secret_index: 0,
                skew_s: 0
            }
        );
        assert_eq!(
            verdict_of(SignMode::Stale, &secret),
            Verdict::Stale {
                scheme: Scheme::Dataspike,
                secret_index: 0,
                skew_s: 3600,
                tolerance_s: 300
            }
        );
        assert_eq!(
            verdict_of(SignMode::WrongSecret, &secret),
            Verdict::Invalid {
                scheme: Scheme::Dataspike,
                reason: HeaderError::NoSecretMatches.into()
            }
        );
        assert!(matches!(
            verdict_of(SignMode::Malformed, &secret),
            Verdict::Invalid { reason, .. } if reason.code == "malformed_v1"
        ));
        assert_eq!(verdict_of(SignMode::None, &secret), Verdict::Unsigned);
    }
}
