//! Sending a capture to the developer's app (live forward or replay) and recording what it
//! answered. Building the outgoing request is pure; only [`Forwarder::send`] does I/O.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::capture::{Attempt, AttemptKind, Capture, CaptureId, MAX_STORED_RESPONSE_BODY};
use crate::headers::{header_value, set_header, HeaderPair, HopByHop};
use crate::signature::{sign_headers, Secret};

/// Default time the app has to answer a forwarded delivery.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest app response passed back to the sender; the stored copy is capped lower.
pub const MAX_MIRRORED_BODY: usize = 16 * 1024 * 1024;
/// How long an idle pooled connection to the app is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub method: String,
    pub headers: Vec<HeaderPair>,
    pub body: Bytes,
}

/// What the app answered.
#[derive(Debug, Clone, PartialEq)]
pub struct AppResponse {
    pub status: u16,
    pub headers: Vec<HeaderPair>,
    pub body: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    #[error("connection refused or unreachable: is your app running at '{target}'? ({detail})")]
    Unreachable { target: String, detail: String },
    #[error("TLS with '{target}' failed: {detail} (a private CA or a self-signed certificate must be trusted explicitly)")]
    Tls { target: String, detail: String },
    #[error("no answer from '{target}' within {} s", .timeout.as_secs_f64())]
    Timeout { target: String, timeout: Duration },
    #[error("'{target}' answered something that is not valid HTTP: {detail}")]
    BadResponse { target: String, detail: String },
    #[error("'{target}' answered with a body over {MAX_MIRRORED_BODY} bytes")]
    ResponseTooLarge { target: String },
    #[error("request cannot be sent: {0}")]
    BadRequest(String),
}

impl ForwardError {
    /// The status a sender gets in `--respond app` mode.
    pub fn gateway_status(&self) -> u16 {
        match self {
            ForwardError::Timeout { .. } => 504,
            _ => 502,
        }
    }
}

/// Parses and checks a `--forward-to` or `--to` URL (http or https).
pub fn parse_target(url: &str) -> Result<Uri, String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("target URL '{url}' is not a valid URL ({e}); use e.g. 'http://127.0.0.1:3000/webhooks'"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(format!(
            "target URL '{url}' needs a scheme (http or https) and host, e.g. 'http://127.0.0.1:3000'"
        ));
    }
    if uri.host().is_none() {
        return Err(format!("target URL '{url}' has no host"));
    }
    Ok(uri)
}

/// The base URL's path is a prefix: `http://app/api` + `/hook?x=1` -> `http://app/api/hook?x=1`.
pub fn join_target(base: &Uri, path: &str, query: Option<&str>) -> Uri {
    let prefix = base.path().trim_end_matches('/');
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let mut pq = format!("{prefix}{path}");
    if let Some(q) = query {
        pq.push('?');
        pq.push_str(q);
    }
    let mut parts = base.clone().into_parts();
    // The path came from a parsed request or a parsed base URL, so it is a valid path.
    parts.path_and_query = pq.parse().ok().or(parts.path_and_query);
    Uri::from_parts(parts).unwrap_or_else(|_| base.clone())
}

/// `host[:port]` of a URL, for the `Host` header.
pub fn authority(uri: &Uri) -> String {
    uri.authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_default()
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
/// else to `last`, the full URL of its latest attempt. `Ok(None)` when neither is known.
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

/// How a replay differs from the original request.
#[derive(Debug, Clone, Default)]
pub struct ReplayPlan {
    /// Replace the secret's scheme's signature header(s) with fresh ones under this secret.
    pub resign_with: Option<Secret>,
    /// Send this body instead of the captured one (always re-signed).
    pub body: Option<Vec<u8>>,
    /// Extra or replacing headers, `(name, value)`.
    pub headers: Vec<(String, String)>,
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
        for (name, value) in sign_headers(secret, now_s, &body) {
            set_header(&mut headers, name, value.into_bytes());
        }
    }
    Outgoing {
        method: capture.method.clone(),
        headers,
        body: Bytes::from(body),
    }
}

/// Turns the outcome of one send into the attempt stored for the capture.
#[allow(clippy::too_many_arguments)]
pub fn attempt_from(
    capture_id: CaptureId,
    kind: AttemptKind,
    at_ms: i64,
    target: &Uri,
    resigned: bool,
    sent_body: Option<Vec<u8>>,
    outcome: &Result<AppResponse, ForwardError>,
    latency: Duration,
) -> Attempt {
    let (status, response_headers, response_body, response_truncated, error) = match outcome {
        Ok(r) => {
            let keep = r.body.len().min(MAX_STORED_RESPONSE_BODY);
            (
                Some(r.status),
                r.headers.clone(),
                r.body[..keep].to_vec(),
                r.body.len() > keep,
                None,
            )
        }
        Err(e) => (None, Vec::new(), Vec::new(), false, Some(e.to_string())),
    };
    Attempt {
        capture_id,
        kind,
        at_ms,
        target: target.to_string(),
        resigned,
        sent_body,
        status,
        response_headers,
        response_body,
        response_truncated,
        latency_ms: Some(latency.as_millis() as u64),
        error,
    }
}

/// Sends a stored capture again as `plan` says and returns the attempt to store.
pub async fn replay(
    forwarder: &Forwarder,
    capture_id: CaptureId,
    capture: &Capture,
    target: &Uri,
    plan: &ReplayPlan,
) -> Attempt {
    let out = replay_request(capture, plan, chrono::Utc::now().timestamp());
    let at_ms = crate::capture::now_ms();
    let (outcome, latency) = forwarder.send(target, &out).await;
    attempt_from(
        capture_id,
        AttemptKind::Replay,
        at_ms,
        target,
        plan.resign_with.is_some(),
        plan.body.clone(),
        &outcome,
        latency,
    )
}

/// A pooled HTTP(S) client for the developer's app. It never follows redirects.
#[derive(Clone)]
pub struct Forwarder {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Forwarder {
    /// https targets are checked against the built-in roots.
    pub fn new(timeout: Duration) -> Forwarder {
        Forwarder::with_tls(timeout, crate::tls::default_config())
    }

    /// https targets are checked against `tls` (see [`crate::tls::client_config`]).
    pub fn with_tls(timeout: Duration, tls: Arc<rustls::ClientConfig>) -> Forwarder {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        connector.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .http1_title_case_headers(true)
            .build(connector);
        Forwarder { client, timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `out` to `target` and reads the whole answer, all within the timeout.
    pub async fn send(
        &self,
        target: &Uri,
        out: &Outgoing,
    ) -> (Result<AppResponse, ForwardError>, Duration) {
        let start = Instant::now();
        let result = match build_request(target, out) {
            Ok(req) => match tokio::time::timeout(self.timeout, self.exchange(target, req)).await {
                Ok(r) => r,
                Err(_) => Err(ForwardError::Timeout {
                    target: target.to_string(),
                    timeout: self.timeout,
                }),
            },
            Err(e) => Err(e),
        };
        (result, start.elapsed())
    }

    async fn exchange(
        &self,
        target: &Uri,
        req: Request<Full<Bytes>>,
    ) -> Result<AppResponse, ForwardError> {
        let resp = self.client.request(req).await.map_err(|e| {
            let detail = error_chain(&e);
            if is_tls_error(&e) {
                ForwardError::Tls {
                    target: target.to_string(),
                    detail,
                }
            } else if e.is_connect() {
                ForwardError::Unreachable {
                    target: target.to_string(),
                    detail,
                }
            } else {
                ForwardError::BadResponse {
                    target: target.to_string(),
                    detail,
                }
            }
        })?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        let limited = http_body_util::Limited::new(resp.into_body(), MAX_MIRRORED_BODY);
        let body = limited.collect().await.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                ForwardError::ResponseTooLarge {
                    target: target.to_string(),
                }
            } else {
                ForwardError::BadResponse {
                    target: target.to_string(),
                    detail: e.to_string(),
                }
            }
        })?;
        Ok(AppResponse {
            status,
            headers,
            body: body.to_bytes(),
        })
    }
}

fn build_request(target: &Uri, out: &Outgoing) -> Result<Request<Full<Bytes>>, ForwardError> {
    let method = Method::from_bytes(out.method.as_bytes())
        .map_err(|e| ForwardError::BadRequest(format!("method '{}': {e}", out.method)))?;
    let mut req = Request::builder().method(method).uri(target.clone());
    let headers = req
        .headers_mut()
        .ok_or_else(|| ForwardError::BadRequest(format!("target '{target}' is not usable")))?;
    for (name, value) in &out.headers {
        let n = HeaderName::from_bytes(name).map_err(|e| {
            ForwardError::BadRequest(format!("header '{}': {e}", String::from_utf8_lossy(name)))
        })?;
        let v = HeaderValue::from_bytes(value).map_err(|e| {
            ForwardError::BadRequest(format!(
                "value of header '{}': {e}",
                String::from_utf8_lossy(name)
            ))
        })?;
        headers.append(n, v);
    }
    if let Ok(host) = HeaderValue::from_str(&authority(target)) {
        headers.insert(http::header::HOST, host);
    }
    req.body(Full::new(out.body.clone()))
        .map_err(|e| ForwardError::BadRequest(e.to_string()))
}

/// Whether a rustls error (bad certificate, failed handshake) is behind `e`. hyper-rustls wraps
/// it in `io::Error`s, whose `source()` skips what they wrap, so those are opened by hand.
fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut link = Some(e);
    while let Some(err) = link {
        if err.is::<rustls::Error>() {
            return true;
        }
        link = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
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
    fn path_prefix_joining() {
        let base: Uri = "http://127.0.0.1:3000".parse().unwrap();
        assert_eq!(
            join_target(&base, "/dataspike/hook", Some("x=1")).to_string(),
            "http://127.0.0.1:3000/dataspike/hook?x=1"
        );
        let base: Uri = "http://127.0.0.1:3000/api/".parse().unwrap();
        assert_eq!(
            join_target(&base, "/dataspike/hook", Some("x=1")).to_string(),
            "http://127.0.0.1:3000/api/dataspike/hook?x=1"
        );
        assert_eq!(
            join_target(&base, "/", None).to_string(),
            "http://127.0.0.1:3000/api/"
        );
    }

    #[test]
    fn target_validation() {
        assert!(parse_target("http://localhost:3000/x").is_ok());
        assert_eq!(
            parse_target("https://hooks.example/x")
                .unwrap()
                .scheme_str(),
            Some("https")
        );
        assert!(parse_target("ftp://x")
            .unwrap_err()
            .contains("http or https"));
        assert!(parse_target("localhost:3000").is_err());
        assert!(parse_target("not a url")
            .unwrap_err()
            .contains("'not a url'"));
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
        };
        let out = replay_request(&capture, &plan, 1_800_000_000);
        let (v, _) = verify_capture(&out.headers, &out.body, &[secret], 1_800_000_010, 300);
        assert_eq!(v.status(), Status::Valid);
        assert_eq!(header_value(&out.headers, "x-extra"), Some(&b"yes"[..]));
    }

    #[test]
    fn attempt_caps_stored_body() {
        let target: Uri = "http://a/".parse().unwrap();
        let big = AppResponse {
            status: 200,
            headers: vec![],
            body: Bytes::from(vec![b'x'; MAX_STORED_RESPONSE_BODY + 10]),
        };
        let a = attempt_from(
            1,
            AttemptKind::Forward,
            0,
            &target,
            false,
            None,
            &Ok(big),
            Duration::from_millis(5),
        );
        assert!(a.response_truncated);
        assert_eq!(a.response_body.len(), MAX_STORED_RESPONSE_BODY);
        let err = ForwardError::Timeout {
            target: "http://a/".into(),
            timeout: Duration::from_secs(10),
        };
        assert_eq!(err.gateway_status(), 504);
        let a = attempt_from(
            1,
            AttemptKind::Replay,
            0,
            &target,
            true,
            None,
            &Err(err),
            Duration::from_secs(10),
        );
        assert!(a.error.unwrap().contains("within 10 s"));
        assert_eq!(a.status, None);
    }
}
