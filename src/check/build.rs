//! The request each probe sends, built from a body, the secrets and the clock. Pure.

use serde_json::Value;

use super::{Probe, PROBE_HEADER, SKEW};
use crate::headers::HeaderPair;
use crate::signature::{sign_headers, Secret};

/// The `malformed` probe's header: looks like a signature, parses as nothing (a `t` that is not
/// a number, a `v1` that is not hex, an item without `=`).
pub const GARBAGE_SIGNATURE: &str = "t=yesterday,v1=not-hex,garbage";

/// What one probe sends.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRequest {
    pub method: &'static str,
    pub headers: Vec<HeaderPair>,
    pub body: Vec<u8>,
    /// What was sent, in words, for the report.
    pub sent: String,
}

/// What a probe is built from.
pub struct Material<'a> {
    /// A fresh delivery body (fresh ids), as the sender would send it.
    pub body: &'a [u8],
    /// The endpoint's secrets: the first is current, the second (if any) the old one.
    pub secrets: &'a [Secret],
    /// A secret the endpoint does not know.
    pub other: &'a Secret,
    /// Headers every delivery carries (`Content-Type`, `User-Agent`).
    pub base_headers: &'a [HeaderPair],
    pub now_s: i64,
}

/// The request for `probe`; `None` for `latency`, which sends nothing, and for a probe whose
/// material is missing (`rotation` without a second secret). `duplicate` is the `valid` request
/// again, byte for byte: pass the valid one as `valid`.
pub fn request(
    probe: Probe,
    m: &Material<'_>,
    valid: Option<&ProbeRequest>,
) -> Option<ProbeRequest> {
    let skew_s = i64::try_from(SKEW.as_secs()).unwrap_or(i64::MAX);
    let first = m.secrets.first()?;
    let signature_header = first.scheme().signature_header();
    let (body, signature, sent) = match probe {
        Probe::Latency => return None,
        Probe::Duplicate => {
            let v = valid?;
            let mut again = v.clone();
            set_probe_header(&mut again.headers, probe);
            again.sent = "POST, the valid delivery again (same id, same signature)".into();
            return Some(again);
        }
        Probe::WrongMethod => {
            let mut headers: Vec<HeaderPair> = m
                .base_headers
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case(b"content-type"))
                .cloned()
                .collect();
            set_probe_header(&mut headers, probe);
            return Some(ProbeRequest {
                method: "GET",
                headers,
                body: Vec::new(),
                sent: "GET, no body, no signature".into(),
            });
        }
        Probe::Valid => (
            m.body.to_vec(),
            Some(sign_headers(first, m.now_s, m.body)),
            "POST, signed now with secret #0 (the current one)".to_string(),
        ),
        Probe::Rotation => (
            m.body.to_vec(),
            Some(sign_headers(m.secrets.get(1)?, m.now_s, m.body)),
            "POST, signed now with secret #1 (the old one)".to_string(),
        ),
        Probe::Stale => (
            m.body.to_vec(),
            Some(sign_headers(first, m.now_s.saturating_sub(skew_s), m.body)),
            format!("POST, signed with t {} s ago", skew_s),
        ),
        Probe::Future => (
            m.body.to_vec(),
            Some(sign_headers(first, m.now_s.saturating_add(skew_s), m.body)),
            format!("POST, signed with t {} s ahead", skew_s),
        ),
        Probe::WrongSecret => (
            m.body.to_vec(),
            Some(sign_headers(m.other, m.now_s, m.body)),
            "POST, signed now with a secret the endpoint does not know".to_string(),
        ),
        Probe::Tampered => {
            let (body, at, was, now) = tamper(m.body);
            (
                body,
                Some(sign_headers(first, m.now_s, m.body)),
                format!(
                    "POST, signed, then body byte {at} changed '{}' -> '{}'",
                    was.escape_ascii(),
                    now.escape_ascii()
                ),
            )
        }
        Probe::Reserialized => (
            reformat(m.body)?,
            Some(sign_headers(first, m.now_s, m.body)),
            "POST, the same JSON pretty-printed, with the signature of the compact original"
                .to_string(),
        ),
        Probe::Unsigned => (
            m.body.to_vec(),
            None,
            format!("POST, no {signature_header} header"),
        ),
        Probe::Malformed => (
            m.body.to_vec(),
            Some(vec![(signature_header, GARBAGE_SIGNATURE.to_string())]),
            format!("POST, {signature_header}: {GARBAGE_SIGNATURE}"),
        ),
    };
    let mut headers = m.base_headers.to_vec();
    for (name, value) in signature.unwrap_or_default() {
        headers.push((name.as_bytes().to_vec(), value.into_bytes()));
    }
    set_probe_header(&mut headers, probe);
    Some(ProbeRequest {
        method: "POST",
        headers,
        body,
        sent,
    })
}

fn set_probe_header(headers: &mut Vec<HeaderPair>, probe: Probe) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(PROBE_HEADER.as_bytes()));
    headers.push((
        PROBE_HEADER.as_bytes().to_vec(),
        probe.name().as_bytes().to_vec(),
    ));
}

/// One byte changed so the JSON stays valid: the first digit goes up by one (a 9 down to 8, so
/// a number never gains a leading zero). Without a digit the last byte has its low bit flipped;
/// an empty body becomes a space. Returns the body, the offset, the old and the new byte.
pub fn tamper(body: &[u8]) -> (Vec<u8>, usize, u8, u8) {
    let mut out = body.to_vec();
    let Some(last) = out.len().checked_sub(1) else {
        return (b" ".to_vec(), 0, b' ', b' ');
    };
    let at = out.iter().position(u8::is_ascii_digit).unwrap_or(last);
    let was = out[at];
    let now = match was {
        b'9' => b'8',
        b'0'..=b'8' => was + 1,
        _ => was ^ 1,
    };
    out[at] = now;
    (out, at, was, now)
}

/// The same JSON value pretty-printed (key order kept): what a handler that re-serializes
/// before verifying would turn back into the signed bytes. `None` when the body is not JSON or
/// prints the same.
pub fn reformat(body: &[u8]) -> Option<Vec<u8>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let pretty = serde_json::to_vec_pretty(&v).ok()?;
    (pretty != body).then_some(pretty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::header_value;
    use crate::signature::{verify_capture, Status, Verdict};

    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"id":"0190a1b2","event_type":"AML_SCREENING","payload":{"n":9}}"#;

    fn secrets() -> Vec<Secret> {
        vec![
            Secret::parse("whsec_00112233").unwrap(),
            Secret::parse("whsec_44556677").unwrap(),
        ]
    }

    fn build(probe: Probe, valid: Option<&ProbeRequest>) -> Option<ProbeRequest> {
        let s = secrets();
        let other = Secret::parse("whsec_8899aabb").unwrap();
        let base = vec![(b"Content-Type".to_vec(), b"application/json".to_vec())];
        let m = Material {
            body: BODY,
            secrets: &s,
            other: &other,
            base_headers: &base,
            now_s: NOW,
        };
        request(probe, &m, valid)
    }

    /// What hookscope's own verifier, holding both secrets, says of a probe.
    fn verdict(r: &ProbeRequest) -> Verdict {
        verify_capture(&r.headers, &r.body, &secrets(), NOW, 300).0
    }

    #[test]
    fn each_probe_gets_the_verdict_it_is_named_for() {
        let valid = build(Probe::Valid, None).unwrap();
        assert_eq!(verdict(&valid).status(), Status::Valid);
        assert_eq!(verdict(&valid).secret_index(), Some(0));
        assert_eq!(verdict(&valid).skew_s(), Some(0));
        let rotation = build(Probe::Rotation, None).unwrap();
        assert_eq!(verdict(&rotation).secret_index(), Some(1));
        let stale = build(Probe::Stale, None).unwrap();
        assert_eq!(verdict(&stale).skew_s(), Some(600));
        assert_eq!(verdict(&stale).status(), Status::Stale);
        let future = build(Probe::Future, None).unwrap();
        assert_eq!(verdict(&future).skew_s(), Some(-600));
        for p in [Probe::WrongSecret, Probe::Tampered, Probe::Reserialized] {
            let r = build(p, None).unwrap();
            let v = verdict(&r);
            assert_eq!(v.status(), Status::Invalid, "{p:?}");
            assert_eq!(
                v.reason().as_deref(),
                Some("no secret matches the signature"),
                "{p:?}"
            );
        }
        assert_eq!(
            verdict(&build(Probe::Unsigned, None).unwrap()),
            Verdict::Unsigned
        );
        assert_eq!(
            verdict(&build(Probe::Malformed, None).unwrap()).status(),
            Status::Invalid
        );
        let get = build(Probe::WrongMethod, None).unwrap();
        assert_eq!(get.method, "GET");
        assert!(get.body.is_empty());
        assert_eq!(verdict(&get), Verdict::Unsigned);
        assert_eq!(build(Probe::Latency, None), None);
    }

    #[test]
    fn duplicate_is_the_valid_delivery_again() {
        let valid = build(Probe::Valid, None).unwrap();
        assert_eq!(build(Probe::Duplicate, None), None);
        let dup = build(Probe::Duplicate, Some(&valid)).unwrap();
        assert_eq!(dup.body, valid.body);
        assert_eq!(
            header_value(&dup.headers, "X-Webhook-Signature"),
            header_value(&valid.headers, "X-Webhook-Signature")
        );
        assert_eq!(
            header_value(&dup.headers, PROBE_HEADER),
            Some(&b"duplicate"[..])
        );
        assert_eq!(dup.headers.len(), valid.headers.len());
    }

    #[test]
    fn rotation_needs_a_second_secret() {
        let one = vec![Secret::parse("whsec_00112233").unwrap()];
        let other = Secret::parse("whsec_8899aabb").unwrap();
        let m = Material {
            body: BODY,
            secrets: &one,
            other: &other,
            base_headers: &[],
            now_s: NOW,
        };
        assert_eq!(request(Probe::Rotation, &m, None), None);
        assert!(request(Probe::Valid, &m, None).is_some());
    }

    #[test]
    fn tamper_keeps_json_valid_and_changes_one_byte() {
        let (t, at, was, now) = tamper(BODY);
        assert_eq!((at, was, now), (7, b'0', b'1'));
        assert_eq!(t.len(), BODY.len());
        assert_eq!(t.iter().zip(BODY).filter(|(a, b)| a != b).count(), 1);
        assert!(serde_json::from_slice::<Value>(&t).is_ok());
        assert_eq!(tamper(b"9").0, b"8");
        assert_eq!(tamper(b"{}").0, b"{|");
        assert_eq!(tamper(b"").0, b" ");
    }

    #[test]
    fn reformat_keeps_the_value_and_key_order() {
        let pretty = reformat(BODY).unwrap();
        assert_ne!(pretty, BODY);
        let a: Value = serde_json::from_slice(&pretty).unwrap();
        let b: Value = serde_json::from_slice(BODY).unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_vec(&a).unwrap(), BODY, "compacts back");
        assert_eq!(reformat(b"not json"), None);
    }
}
