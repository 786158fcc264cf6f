//! The request the app receives, built purely from a capture: a live forward (hop-by-hop
//! headers dropped, `X-Forwarded-*` added) or a replay (as captured, re-signed, edited), and
//! the one rule for when a replay is re-signed. No I/O, no clock: the time is passed in.

use bytes::Bytes;
use http::Uri;
use std::net::IpAddr;

use super::{join_target, parse_target, Outgoing};
use crate::capture::Capture;
use crate::headers::{header_value, set_header, HeaderPair, HopByHop};
use crate::signature::{resign_headers, Secret};

/// What a live forward sends: the capture as received, its body cloned once (the capture itself
/// goes on to the store).
pub fn forward_request(capture: &Capture, peer: Option<IpAddr>) -> Outgoing {
    Outgoing {
        method: capture.method.clone(),
        headers: forward_headers(&capture.headers, peer),
        body: Bytes::from(capture.body.clone()),
    }
}

/// The headers the app receives: originals in order, hop-by-hop ones (and any named in
/// `Connection`) dropped, then `X-Forwarded-*` added. `Host` is set by the client.
pub fn forward_headers(headers: &[HeaderPair], peer: Option<IpAddr>) -> Vec<HeaderPair> {
    let hop = HopByHop::of(headers);
    let mut out: Vec<HeaderPair> = headers
        .iter()
        .filter(|(n, _)| !hop.contains(n))
        .filter(|(n, _)| !n.eq_ignore_ascii_case(b"x-forwarded-for"))
        .cloned()
        .collect();
    if let Some(host) = header_value(headers, "host") {
        out.push((b"X-Forwarded-Host".to_vec(), host.to_vec()));
    }
    if let Some(ip) = peer {
        let mut xff = header_value(headers, "x-forwarded-for")
            .map(|v| {
                let mut v = v.to_vec();
                v.extend_from_slice(b", ");
                v
            })
            .unwrap_or_default();
        xff.extend_from_slice(ip.to_string().as_bytes());
        out.push((b"X-Forwarded-For".to_vec(), xff));
    } else if let Some(v) = header_value(headers, "x-forwarded-for") {
        out.push((b"X-Forwarded-For".to_vec(), v.to_vec()));
    }
    out.push((b"X-Forwarded-Proto".to_vec(), b"http".to_vec()));
    out
}

/// Where a replay of `capture` goes: under `base` (its path a prefix, as with `--forward-to`),
/// else to `last`, the full URL live forwarding last sent it to (never a replay's target).
/// `Ok(None)` when neither is known.
pub fn replay_target(
    base: Option<&Uri>,
    last: Option<&str>,
    capture: &Capture,
) -> Result<Option<Uri>, String> {
    match (base, last) {
        (Some(base), _) => Ok(Some(join_target(
            base,
            &capture.path,
            capture.query.as_deref(),
        ))),
        (None, Some(last)) => parse_target(last).map(Some),
        (None, None) => Ok(None),
    }
}

/// How a replay is asked to treat the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signing {
    /// Re-sign when a secret is loaded (a stored delivery is usually older than the tolerance),
    /// else send as captured.
    #[default]
    Default,
    /// Re-sign; a secret is required.
    Resign,
    /// The original bytes and signature.
    AsIs,
}

/// How a replay differs from the original request.
#[derive(Debug, Clone, Default)]
pub struct ReplayPlan {
    /// Replace the secret's scheme's signature header(s) with fresh ones under this secret.
    pub resign_with: Option<Secret>,
    /// Send this body instead of the captured one (always re-signed).
    pub body: Option<Vec<u8>>,
    /// Extra or replacing headers, `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// Sent as captured only because no secret is loaded: a strict app will see a stale
    /// timestamp, which the caller warns about.
    pub as_is_without_secret: bool,
}

/// Re-signing was asked for (or the body edited) but no secret is loaded. Each caller words
/// the fix for its own flags or keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedsSecret;

impl ReplayPlan {
    /// The one rule for re-signing: by default whenever a secret is loaded; always for an
    /// edited body, which cannot carry the old signature; never when asked for the original
    /// bytes. `secret` is the capture's scheme's, from `signature::secret_for`.
    pub fn new(
        signing: Signing,
        body: Option<Vec<u8>>,
        headers: Vec<(String, String)>,
        secret: Option<&Secret>,
    ) -> Result<ReplayPlan, NeedsSecret> {
        let must = signing == Signing::Resign || body.is_some();
        let (resign_with, as_is_without_secret) = match (signing, must, secret) {
            (_, true, None) => return Err(NeedsSecret),
            (_, true, Some(s)) | (Signing::Default, false, Some(s)) => (Some(s.clone()), false),
            (Signing::Default, false, None) => (None, true),
            _ => (None, false),
        };
        Ok(ReplayPlan {
            resign_with,
            body,
            headers,
            as_is_without_secret,
        })
    }
}

/// The request a replay sends: the captured one byte for byte (minus hop-by-hop headers), with
/// the plan's changes applied.
pub fn replay_request(capture: &Capture, plan: &ReplayPlan, now_s: i64) -> Outgoing {
    let body = plan.body.clone().unwrap_or_else(|| capture.body.clone());
    let mut headers = forward_headers(&capture.headers, None);
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(b"x-forwarded-proto"));
    for (name, value) in &plan.headers {
        set_header(&mut headers, name, value.as_bytes().to_vec());
    }
    if let Some(secret) = &plan.resign_with {
        for (name, value) in resign_headers(secret, now_s, &body, &capture.headers) {
            set_header(&mut headers, name, value.into_bytes());
        }
    }
    Outgoing {
        method: capture.method.clone(),
        headers,
        body: Bytes::from(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::dataspike::SIGNATURE_HEADER;
    use crate::signature::{verify_capture, Status};

    fn hp(n: &str, v: &str) -> HeaderPair {
        (n.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    #[test]
    fn hop_by_hop_dropped_and_forwarded_headers_added() {
        let h = vec![
            hp("Host", "hooks.example"),
            hp("Connection", "keep-alive, X-Secret-Hop"),
            hp("X-Secret-Hop", "1"),
            hp("Keep-Alive", "timeout=5"),
            hp("Transfer-Encoding", "chunked"),
            hp("TE", "trailers"),
            hp("Trailer", "x"),
            hp("Upgrade", "h2c"),
            hp("Proxy-Authorization", "x"),
            hp("Content-Length", "5"),
            hp("X-Webhook-Signature", "t=1,v1=ab"),
            hp("X-Forwarded-For", "10.0.0.1"),
            hp("Content-Type", "application/json"),
        ];
        let out = forward_headers(&h, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(
            out,
            vec![
                hp("X-Webhook-Signature", "t=1,v1=ab"),
                hp("Content-Type", "application/json"),
                hp("X-Forwarded-Host", "hooks.example"),
                hp("X-Forwarded-For", "10.0.0.1, 127.0.0.1"),
                hp("X-Forwarded-Proto", "http"),
            ]
        );
    }

    #[test]
    fn replay_target_prefers_the_base_then_the_last_attempt() {
        let mut c = capture_with(vec![]);
        c.path = "/hook".into();
        c.query = Some("a=1".into());
        let base: Uri = "http://127.0.0.1:4000/api".parse().unwrap();
        let last = Some("http://127.0.0.1:3000/old/hook?a=1");
        assert_eq!(
            replay_target(Some(&base), last, &c)
                .unwrap()
                .unwrap()
                .to_string(),
            "http://127.0.0.1:4000/api/hook?a=1"
        );
        assert_eq!(
            replay_target(None, last, &c).unwrap().unwrap().to_string(),
            "http://127.0.0.1:3000/old/hook?a=1"
        );
        assert_eq!(replay_target(None, None, &c), Ok(None));
        assert!(replay_target(None, Some("garbage"), &c).is_err());
    }

    fn capture_with(headers: Vec<HeaderPair>) -> Capture {
        Capture {
            verdict: crate::signature::Verdict::Unsigned,
            ..Capture::new(0, "POST", "/h", headers, b"{}".to_vec())
        }
    }

    #[test]
    fn replay_resigns_edited_body() {
        let secret = Secret::parse("whsec_00112233").unwrap();
        let capture = capture_with(vec![
            hp("Host", "x"),
            hp("X-Webhook-Signature", "t=1,v1=00"),
        ]);
        let as_is = replay_request(&capture, &ReplayPlan::default(), 99);
        assert_eq!(as_is.body, Bytes::from_static(b"{}"));
        assert_eq!(
            header_value(&as_is.headers, SIGNATURE_HEADER),
            Some(&b"t=1,v1=00"[..])
        );
        let plan = ReplayPlan {
            resign_with: Some(secret.clone()),
            body: Some(b"{\"edited\":1}".to_vec()),
            headers: vec![("X-Extra".into(), "yes".into())],
            as_is_without_secret: false,
        };
        let out = replay_request(&capture, &plan, 1_800_000_000);
        let (v, _) = verify_capture(&out.headers, &out.body, &[secret], 1_800_000_010, 300);
        assert_eq!(v.status(), Status::Valid);
        assert_eq!(header_value(&out.headers, "x-extra"), Some(&b"yes"[..]));
    }

    #[test]
    fn replay_resigns_standard_webhooks_keeping_the_message_id() {
        let secret = Secret::parse_for(
            crate::signature::Scheme::Standard,
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        )
        .unwrap();
        let capture = capture_with(vec![
            hp("svix-id", "msg_keep"),
            hp("svix-timestamp", "1"),
            hp("svix-signature", "v1,AAAA"),
        ]);
        let plan = ReplayPlan {
            resign_with: Some(secret.clone()),
            ..ReplayPlan::default()
        };
        let out = replay_request(&capture, &plan, 1_800_000_000);
        assert_eq!(
            header_value(&out.headers, "svix-id"),
            Some(&b"msg_keep"[..])
        );
        assert_eq!(
            header_value(&out.headers, "svix-timestamp"),
            Some(&b"1800000000"[..])
        );
        assert_eq!(header_value(&out.headers, "webhook-signature"), None);
        let (v, _) = verify_capture(&out.headers, &out.body, &[secret], 1_800_000_000, 300);
        assert_eq!(v.status(), Status::Valid);
    }

    #[test]
    fn an_edited_body_is_always_resigned_and_resigning_needs_a_secret() {
        let secret = Secret::parse("whsec_00112233").unwrap();
        let plan = ReplayPlan::new(Signing::AsIs, None, vec![], Some(&secret)).unwrap();
        assert!(plan.resign_with.is_none() && !plan.as_is_without_secret);
        let plan =
            ReplayPlan::new(Signing::AsIs, Some(b"{}".to_vec()), vec![], Some(&secret)).unwrap();
        assert!(plan.resign_with.is_some());
        assert_eq!(
            ReplayPlan::new(Signing::Resign, None, vec![], None).unwrap_err(),
            NeedsSecret
        );
        assert_eq!(
            ReplayPlan::new(Signing::Default, Some(vec![]), vec![], None).unwrap_err(),
            NeedsSecret
        );
        assert!(ReplayPlan::new(Signing::AsIs, None, vec![], None).is_ok());
    }

    #[test]
    fn by_default_a_replay_is_resigned_when_a_secret_is_loaded() {
        let secret = Secret::parse("whsec_00112233").unwrap();
        let plan = ReplayPlan::new(Signing::Default, None, vec![], Some(&secret)).unwrap();
        assert!(plan.resign_with.is_some());
        let plan = ReplayPlan::new(Signing::Default, None, vec![], None).unwrap();
        assert!(plan.resign_with.is_none());
        assert!(
            plan.as_is_without_secret,
            "the caller warns about a stale t"
        );
    }
}
