//! Signature verification, scheme-neutral: `verify_capture` finds the scheme a delivery is
//! signed with and checks it with that scheme's secrets. A bad signature is data (a
//! [`Verdict`] with the scheme and a neutral [`Reason`]), not an error. Pure and synchronous;
//! no CLI flag names or I/O here. Each scheme is one file; [`Scheme`] dispatches to it.

mod check;
pub mod dataspike;
pub(crate) mod github;
mod scheme;
mod secret;
pub(crate) mod shopify;
pub(crate) mod slack;
pub(crate) mod standard;
pub(crate) mod stripe;
pub(crate) mod timestamped;

pub use scheme::Scheme;
pub(crate) use secret::{parse_secrets, parse_secrets_as, secret_for, short_id, SecretError};
pub use secret::{Origin, Secret, StoredOrigin};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;
use std::time::Duration;

use crate::headers::HeaderPair;

/// Default allowed distance between the signed `t` and now.
pub(crate) const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// How many body bytes the signed-string preview shows.
pub(crate) const PREVIEW_BODY_BYTES: usize = 64;

/// The outcome of checking one delivery's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// A signature matched under secret `secret_index` (0 = the first secret given) and `t`
    /// is within tolerance.
    Valid {
        /// The scheme that signed it.
        scheme: Scheme,
        /// Which secret matched, 0 = the first given.
        secret_index: usize,
        /// Now minus `t`, in seconds (> 0: `t` is in the past).
        skew_s: i64,
    },
    /// The MAC matched but `t` is outside the tolerance. `skew_s` > 0 means `t` is in the past.
    Stale {
        /// The scheme that signed it.
        scheme: Scheme,
        /// Which secret matched, 0 = the first given.
        secret_index: usize,
        /// Now minus `t`, in seconds (> 0: `t` is in the past).
        skew_s: i64,
        /// The allowed distance, in seconds.
        tolerance_s: u64,
    },
    /// The scheme's header is present but malformed or matches no secret.
    Invalid {
        /// The scheme whose header it is.
        scheme: Scheme,
        /// What is wrong with it.
        reason: Reason,
    },
    /// No header of any known scheme.
    Unsigned,
    /// Signed with `scheme`, but no secret of that scheme was configured.
    Unverified {
        /// The scheme it is signed with.
        scheme: Scheme,
    },
}

/// Why a signature did not verify, in terms every scheme can fill: a stable snake_case `code`
/// (stored, matched by tools) and the sentence shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub(crate) code: String,
    pub(crate) message: String,
}

impl Reason {
    pub(crate) fn new(code: impl Into<String>, message: impl Into<String>) -> Reason {
        Reason {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Verdict {
    pub(crate) fn status(&self) -> Status {
        match self {
            Verdict::Valid { .. } => Status::Valid,
            Verdict::Stale { .. } => Status::Stale,
            Verdict::Invalid { .. } => Status::Invalid,
            Verdict::Unsigned => Status::Unsigned,
            Verdict::Unverified { .. } => Status::Unverified,
        }
    }

    /// The scheme the delivery is signed with; `None` when unsigned.
    pub fn scheme(&self) -> Option<Scheme> {
        match self {
            Verdict::Valid { scheme, .. }
            | Verdict::Stale { scheme, .. }
            | Verdict::Invalid { scheme, .. }
            | Verdict::Unverified { scheme } => Some(*scheme),
            Verdict::Unsigned => None,
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
            Verdict::Invalid { reason, .. } => Some(reason.to_string()),
            Verdict::Unsigned => Some("no known signature header".into()),
            Verdict::Unverified { scheme } => {
                Some(format!("no secret configured for {}", scheme.name()))
            }
        }
    }

    pub(crate) fn secret_index(&self) -> Option<usize> {
        match self {
            Verdict::Valid { secret_index, .. } | Verdict::Stale { secret_index, .. } => {
                Some(*secret_index)
            }
            _ => None,
        }
    }

    /// How old the signed timestamp was; `None` for schemes that sign none.
    pub fn skew_s(&self) -> Option<i64> {
        match self {
            Verdict::Valid { skew_s, scheme, .. } | Verdict::Stale { skew_s, scheme, .. }
                if scheme.has_timestamp() =>
            {
                Some(*skew_s)
            }
            _ => None,
        }
    }

    /// `PASS stripe`: the badge and, when the delivery is signed, its scheme.
    pub(crate) fn badge(&self) -> String {
        match self.scheme() {
            Some(s) => format!("{} {s}", self.status().badge()),
            None => self.status().badge().to_string(),
        }
    }

    /// `{status, scheme, reason, secret_index, skew_s}` as printed by `list --json`.
    pub fn to_json(&self) -> Value {
        json!({
            "status": self.status().as_str(),
            "scheme": self.scheme().map(Scheme::name),
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
    /// A signature matched within tolerance (PASS).
    Valid,
    /// A signature matched but its timestamp is too old or too new.
    Stale,
    /// Malformed, or no secret matches (FAIL).
    Invalid,
    /// No signature header of any known scheme (FAIL).
    Unsigned,
    /// Signed, but no secret of that scheme was given.
    Unverified,
}

impl Status {
    pub(crate) const ALL: [Status; 5] = [
        Status::Valid,
        Status::Stale,
        Status::Invalid,
        Status::Unsigned,
        Status::Unverified,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Stale => "stale",
            Status::Invalid => "invalid",
            Status::Unsigned => "unsigned",
            Status::Unverified => "unverified",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Short badge readable without colour.
    pub(crate) fn badge(self) -> &'static str {
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
    /// The signed timestamp, when the scheme has one and it parsed.
    pub(crate) timestamp: Option<i64>,
    /// What the scheme signs before the body (`{t}.`, `{id}.{t}.`, `v0:{t}:`, nothing) followed
    /// by the first body bytes, non-printable bytes escaped.
    pub(crate) signed_preview: String,
    /// Length in bytes of the whole signed string.
    pub(crate) signed_len: usize,
    /// The digest expected under each configured secret of the scheme, in order.
    pub(crate) expected: Vec<String>,
    /// The signatures the header carried (`v1` for Dataspike), in the scheme's encoding.
    pub(crate) received: Vec<String>,
    /// A one-line hint about the likely cause; also names other schemes' headers present.
    pub(crate) hint: Option<String>,
}

/// Checks the signature of a request given its headers: detects the scheme from the headers
/// (unsigned when none is known) and verifies with that scheme's secrets among `secrets`.
/// When the headers of several schemes are present, the first in [`Scheme::ALL`] is verified
/// and the hint names the others. A matched `secret_index` is a position in `secrets`.
/// `tolerance_s == 0` disables the timestamp check.
pub(crate) fn verify_capture(
    headers: &[HeaderPair],
    body: &[u8],
    secrets: &[Secret],
    now_s: i64,
    tolerance_s: u64,
) -> (Verdict, Option<Diagnostics>) {
    let found = Scheme::detect_all(headers);
    let Some((&scheme, others)) = found.split_first() else {
        return (Verdict::Unsigned, None);
    };
    let (verdict, mut diag) = scheme.verify(headers, body, secrets, now_s, tolerance_s);
    if let (Some(d), false) = (diag.as_mut(), others.is_empty()) {
        let names: Vec<String> = others
            .iter()
            .map(|o| format!("{} ({o})", o.signature_header()))
            .collect();
        let note = format!(
            "the delivery also carries {}; it was checked as {scheme}, the first in hookscope's detection order",
            names.join(", ")
        );
        d.hint = Some(match d.hint.take() {
            Some(h) => format!("{h}. Also: {note}"),
            None => note,
        });
    }
    (verdict, diag)
}

/// What the headers alone say, before any secret is applied (import labels a capture so):
/// unsigned, invalid when the header does not parse, else unverified with what was signed.
pub(crate) fn label(headers: &[HeaderPair], body: &[u8]) -> (Verdict, Option<Diagnostics>) {
    verify_capture(headers, body, &[], 0, 0)
}

/// The diagnostics of the usual valid delivery, from its headers and body alone: one signature
/// in the header, verified with the one secret of its scheme, so the digest expected is the one
/// received. The store keeps no diagnostics for a valid capture that has exactly these and
/// computes them again on read; any other valid capture (several secrets or signatures) keeps
/// its own, since the digests under other secrets cannot be computed without them.
pub(crate) fn usual_valid_diagnostics(headers: &[HeaderPair], body: &[u8]) -> Option<Diagnostics> {
    let (_, diag) = label(headers, body);
    let mut diag = diag?;
    diag.expected = diag.received.clone();
    Some(diag)
}

/// Whether `diag`, a valid verdict's, is the usual kind that [`usual_valid_diagnostics`] gives
/// back from the headers and body of its delivery (`body_len` bytes). Cheap, because every
/// scheme takes the timestamp, preview, length and received signatures from the headers and
/// body; only the digests expected under the secrets, and the hint, need more.
pub(crate) fn is_usual_valid(diag: &Diagnostics, body_len: usize) -> bool {
    let digits =
        |t: i64| t.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 1 + usize::from(t < 0);
    diag.hint.is_none()
        && diag.expected.len() == 1
        && diag.expected == diag.received
        && diag
            .timestamp
            .is_some_and(|t| diag.signed_len == digits(t) + 1 + body_len)
}

/// The headers to set on a new delivery of `body` signed at `t` under `secret`, by its scheme
/// (the signature header first). Standard Webhooks gets a fresh `webhook-id`.
pub fn sign_headers(secret: &Secret, t: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    secret.scheme().sign_headers(secret, t, body)
}

/// The headers that re-sign a redelivery of a capture with `captured` headers: as
/// [`sign_headers`], but Standard Webhooks keeps the captured `webhook-id` (a redelivery is
/// the same message) and the `svix-` names when the capture used them.
pub(crate) fn resign_headers(
    secret: &Secret,
    t: i64,
    body: &[u8],
    captured: &[HeaderPair],
) -> Vec<(&'static str, String)> {
    secret.scheme().resign_headers(secret, t, body, captured)
}

/// `prefix` and the first body bytes, with non-printable bytes shown as `\xNN`.
pub(crate) fn signed_preview(prefix: &str, body: &[u8]) -> String {
    let mut out = prefix.to_string();
    let shown = &body[..body.len().min(PREVIEW_BODY_BYTES)];
    for &b in shown {
        match b {
            b' '..=b'~' => out.push(b as char),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if body.len() > shown.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn json_names_the_scheme() {
        let v = Verdict::Invalid {
            scheme: Scheme::Dataspike,
            reason: Reason::new("no_secret_matches", "no secret matches the signature"),
        };
        let j = v.to_json();
        assert_eq!(j["scheme"], "dataspike");
        assert_eq!(j["reason"], "no secret matches the signature");
        assert_eq!(j["status"], "invalid");
        assert_eq!(
            Verdict::Unsigned.to_json()["scheme"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn usual_valid_diagnostics_are_what_verification_gives_with_one_secret() {
        // Dataspike's (and Stripe's) usual delivery is recomputable; for every scheme, whatever
        // is_usual_valid accepts must come back exactly from the headers and body.
        let mut usual = 0;
        for scheme in Scheme::ALL {
            let (secret, _) = Secret::generate_for(scheme);
            let (other, _) = Secret::generate_for(scheme);
            for (t, body) in [
                (1_700_000_000, b"{\"a\":1}".to_vec()),
                (0, Vec::new()),
                (1_234_567, vec![0xff; 100]),
                (9, b"x\n".to_vec()),
            ] {
                let headers = pairs(sign_headers(&secret, t, &body));
                let one = std::slice::from_ref(&secret);
                let (v, d) = verify_capture(&headers, &body, one, t, 0);
                let d = d.unwrap();
                assert_eq!(v.status(), Status::Valid, "{scheme}");
                if is_usual_valid(&d, body.len()) {
                    usual += 1;
                    assert_eq!(
                        usual_valid_diagnostics(&headers, &body),
                        Some(d),
                        "{scheme}"
                    );
                } else {
                    assert_ne!(scheme, Scheme::Dataspike);
                }
                // With a second secret the other digest is not in the headers: not usual.
                let two = [other.clone(), secret.clone()];
                let (_, d) = verify_capture(&headers, &body, &two, t, 0);
                assert!(!is_usual_valid(&d.unwrap(), body.len()), "{scheme}");
            }
        }
        assert!(usual >= 4, "{usual}");
    }

    #[test]
    fn label_without_secrets() {
        let sig = b"X-Webhook-Signature".to_vec();
        let h = vec![(
            sig.clone(),
            format!("t=5,v1={}", "ab".repeat(32)).into_bytes(),
        )];
        let (v, d) = label(&h, b"{}");
        assert_eq!(
            v,
            Verdict::Unverified {
                scheme: Scheme::Dataspike
            }
        );
        assert_eq!(d.unwrap().timestamp, Some(5));
        let (v, _) = label(&[(sig, b"t=x".to_vec())], b"{}");
        assert_eq!(v.status(), Status::Invalid);
        assert_eq!(label(&[], b"{}").0, Verdict::Unsigned);
    }

    fn pairs(h: Vec<(&'static str, String)>) -> Vec<HeaderPair> {
        h.into_iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.into_bytes()))
            .collect()
    }

    #[test]
    fn signed_for_one_scheme_carrying_anothers_header() {
        const T: i64 = 1_700_000_000;
        let body = b"{}";
        let github = Secret::parse_for(Scheme::Github, "gh").unwrap();
        let stripe = Secret::parse_for(Scheme::Stripe, "whsec_st").unwrap();
        // Signed for GitHub, but a Stripe-Signature (from elsewhere) rides along: Stripe comes
        // first in detection order, so Stripe is checked, and fails; the hint says why.
        let mut h = pairs(sign_headers(&github, T, body));
        h.push((
            b"Stripe-Signature".to_vec(),
            format!("t={T},v1={}", "0".repeat(64)).into_bytes(),
        ));
        let secrets = [github.clone(), stripe.clone()];
        let (v, d) = verify_capture(&h, body, &secrets, T, 300);
        assert_eq!(v.scheme(), Some(Scheme::Stripe));
        assert_eq!(v.status(), Status::Invalid);
        let hint = d.unwrap().hint.unwrap();
        assert!(
            hint.contains("also carries X-Hub-Signature-256 (github)"),
            "{hint}"
        );
        // Valid deliveries say so too.
        let mut h = pairs(sign_headers(&stripe, T, body));
        h.extend(pairs(sign_headers(&github, T, body)));
        let (v, d) = verify_capture(&h, body, &secrets, T, 300);
        assert_eq!(v.badge(), "PASS stripe");
        assert!(d.unwrap().hint.unwrap().contains("checked as stripe"));
        // A GitHub header whose value is a Stripe signature does not pass.
        let stripe_value = sign_headers(&stripe, T, body).remove(0).1;
        let h = vec![(b"X-Hub-Signature-256".to_vec(), stripe_value.into_bytes())];
        let (v, _) = verify_capture(&h, body, &secrets, T, 300);
        assert_eq!(
            (v.scheme(), v.status()),
            (Some(Scheme::Github), Status::Invalid)
        );
    }

    #[test]
    fn every_scheme_signs_what_it_verifies() {
        const T: i64 = 1_700_000_000;
        for scheme in Scheme::ALL {
            let (secret, _) = Secret::generate_for(scheme);
            for body in [&b""[..], b"{\"a\":1}", b"\xff\x00 binary"] {
                let h = pairs(sign_headers(&secret, T, body));
                assert_eq!(Scheme::detect(&h), Some(scheme));
                let (v, _) = verify_capture(&h, body, std::slice::from_ref(&secret), T + 1, 300);
                assert_eq!(v.status(), Status::Valid, "{scheme}");
                assert_eq!(v.scheme(), Some(scheme));
                assert_eq!(v.skew_s(), scheme.has_timestamp().then_some(1));
                // Without its secret: unverified, the scheme named.
                let (v, _) = label(&h, body);
                assert_eq!(v, Verdict::Unverified { scheme });
                assert_eq!(v.badge(), format!("-- {scheme}"));
            }
        }
    }
}
