//! Deliberately good or bad signatures for `send --sign`, so developers can check that their app
//! accepts the good one and rejects each bad one. Pure: no I/O, the clock is a parameter.

use std::time::Duration;

use crate::signature::{sign, sign_header, Secret, Status};

/// How old a `--sign stale` timestamp is: well beyond the 300 s tolerance most verifiers use.
pub const STALE_AGE: Duration = Duration::from_secs(3600);

/// Hex digits kept from a real digest in a `--sign malformed` header (a full `v1` has 64).
const MALFORMED_V1_DIGITS: usize = 32;

/// Which `X-Webhook-Signature` a sender attaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignMode {
    /// Signed with the secret and a fresh `t`: the app should accept it.
    #[default]
    Valid,
    /// Right MAC, but `t` is one hour old: the app's timestamp check should reject it.
    Stale,
    /// Fresh `t`, signed with a different random secret: the MAC check should reject it.
    WrongSecret,
    /// A header that does not parse (`v1` is 32 hex digits, not 64): should be rejected.
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

/// The `X-Webhook-Signature` value for `body` sent at `now_s` (Unix seconds), or `None` for no
/// header. `secret` is the one the receiving app checks with.
pub fn signature_for(mode: SignMode, secret: &Secret, now_s: i64, body: &[u8]) -> Option<String> {
    match mode {
        SignMode::Valid => Some(sign_header(secret, now_s, body)),
        SignMode::Stale => {
            let age_s = i64::try_from(STALE_AGE.as_secs()).unwrap_or(i64::MAX);
            Some(sign_header(secret, now_s.saturating_sub(age_s), body))
        }
        SignMode::WrongSecret => {
            let other = loop {
                let (candidate, _) = Secret::generate();
                if candidate != *secret {
                    break candidate;
                }
            };
            Some(sign_header(&other, now_s, body))
        }
        SignMode::Malformed => {
            // A truncated digest: looks like a real header, fails to parse as v1.
            let digest = sign(secret, now_s, body);
            Some(format!("t={now_s},v1={}", &digest[..MALFORMED_V1_DIGITS]))
        }
        SignMode::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{verify, HeaderError, Verdict, DEFAULT_TOLERANCE};

    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"event_type":"AML_SCREENING","payload":{}}"#;

    fn verdict_of(mode: SignMode, secret: &Secret) -> Verdict {
        let header = signature_for(mode, secret, NOW, BODY);
        let values: Vec<&[u8]> = header.iter().map(|h| h.as_bytes()).collect();
        verify(
            &values,
            BODY,
            std::slice::from_ref(secret),
            NOW,
            DEFAULT_TOLERANCE.as_secs(),
        )
        .0
    }

    #[test]
    fn every_mode_yields_the_verdict_it_promises() {
        let (secret, _) = Secret::generate();
        for mode in SignMode::ALL {
            let verdict = verdict_of(mode, &secret);
            assert_eq!(verdict.status(), mode.expected_status(), "mode {mode:?}");
        }
    }

    #[test]
    fn modes_fail_for_the_stated_reason() {
        let (secret, _) = Secret::generate();
        assert_eq!(
            verdict_of(SignMode::Valid, &secret),
            Verdict::Valid {
                secret_index: 0,
                skew_s: 0
            }
        );
        assert_eq!(
            verdict_of(SignMode::Stale, &secret),
            Verdict::Stale {
                secret_index: 0,
                skew_s: 3600,
                tolerance_s: 300
            }
        );
        assert_eq!(
            verdict_of(SignMode::WrongSecret, &secret),
            Verdict::Invalid {
                reason: HeaderError::NoSecretMatches
            }
        );
        assert!(matches!(
            verdict_of(SignMode::Malformed, &secret),
            Verdict::Invalid {
                reason: HeaderError::MalformedV1 { .. }
            }
        ));
        assert_eq!(verdict_of(SignMode::None, &secret), Verdict::Unsigned);
    }
}
