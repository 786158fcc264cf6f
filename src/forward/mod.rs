//! Sending a capture to the developer's app: the pooled HTTP(S) client ([`Forwarder`]),
//! targets and what the app answered. Building the request is pure (`request.rs`); sending and
//! storing the attempt is one function for live forwards and replays alike (`Recorder`). Only
//! [`Forwarder::send`] talks to the network; nothing here reads the store.

mod queue;
mod record;
mod request;
#[cfg(test)]
pub(crate) mod testing;

pub(crate) use queue::{ForwardQueue, DEFAULT_FORWARD_CONCURRENCY};
pub(crate) use record::{Attempts, Recorded, Recorder, Shipment};
pub(crate) use request::{forward_request, replay_target, ReplayPlan, Signing};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::egress::{Egress, RequestError};
use crate::headers::HeaderPair;

/// Default time the app has to answer a forwarded delivery.
pub(crate) const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest app response passed back to the sender; the stored copy is capped lower.
pub(crate) const MAX_MIRRORED_BODY: usize = 16 * 1024 * 1024;
/// How long an idle pooled connection to the app is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The HTTP method (`POST`).
    pub method: String,
    /// Headers in the order they are sent.
    pub headers: Vec<HeaderPair>,
    /// The body bytes exactly.
    pub body: Bytes,
}

/// What the app answered.
#[derive(Debug, Clone, PartialEq)]
pub struct AppResponse {
    /// The HTTP status code.
    pub status: u16,
    pub(crate) headers: Vec<HeaderPair>,
    pub(crate) body: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a forward or replay got no usable answer from the app; stored as the attempt's error.
pub enum ForwardError {
    #[error("connection refused or unreachable: is your app running at '{target}'? ({detail})")]
    /// Nothing accepted the connection.
    Unreachable {
        /// The URL tried.
        target: String,
        /// The connector's error.
        detail: String,
    },
    #[error("TLS with '{target}' failed: {detail}")]
    /// The TLS handshake failed.
    Tls {
        /// The URL tried.
        target: String,
        /// The TLS library's error.
        detail: String,
    },
    #[error("no answer from '{target}' within {} s", .timeout.as_secs_f64())]
    /// The whole answer did not arrive in time.
    Timeout {
        /// The URL tried.
        target: String,
        /// The limit that passed.
        timeout: Duration,
    },
    #[error("'{target}' answered something that is not valid HTTP: {detail}")]
    /// The answer is not HTTP.
    BadResponse {
        /// The URL tried.
        target: String,
        /// The parser's error.
        detail: String,
    },
    #[error("'{target}' answered with a body over {MAX_MIRRORED_BODY} bytes")]
    /// The answer's body is over the mirrored limit.
    ResponseTooLarge {
        /// The URL tried.
        target: String,
    },
    #[error("cannot reach '{target}' through the proxy: {detail}")]
    /// The proxy could not be used (unreachable, wants credentials, refused the target).
    Proxy {
        /// The URL tried.
        target: String,
        /// What the proxy did, and what to do (the proxy named without credentials).
        detail: String,
    },
    #[error("request cannot be sent: {0}")]
    /// The request itself cannot be built (a bad header value, ...).
    BadRequest(String),
}

/// Parses and checks a `--forward-to` or `--to` URL (http or https).
pub(crate) fn parse_target(url: &str) -> Result<Uri, String> {
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

/// The one rule for every target URL (`--to`, `--forward-to`, a route's): the request's path
/// is added after the base URL's path, `http://app/api` + `/hook?x=1` ->
/// `http://app/api/hook?x=1`, unless the base already ends with it (whole segments):
/// `http://app/api/hook` + `/hook` -> `http://app/api/hook`, never `/hook/hook`.
pub(crate) fn join_target(base: &Uri, path: &str, query: Option<&str>) -> Uri {
    let prefix = base.path().trim_end_matches('/');
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let own = path.trim_end_matches('/');
    let doubled = !own.is_empty() && prefix.ends_with(own);
    let mut pq = match doubled {
        true => base.path().to_string(),
        false => format!("{prefix}{path}"),
    };
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
pub(crate) fn authority(uri: &Uri) -> String {
    uri.authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_default()
}

/// A pooled HTTP(S) client for the developer's app. It never follows redirects.
#[derive(Clone)]
pub struct Forwarder {
    client: crate::egress::Client,
    egress: Egress,
    timeout: Duration,
}

// The pooled client has no useful Debug; settings that print it only need the timeout.
impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Forwarder {
    /// https targets are checked against the built-in roots.
    pub(crate) fn new(timeout: Duration) -> Forwarder {
        Forwarder::with_tls(timeout, crate::tls::default_config())
    }

    /// https targets are checked against `tls` (see [`crate::tls::client_config`]); every
    /// connection goes direct.
    pub fn with_tls(timeout: Duration, tls: Arc<rustls::ClientConfig>) -> Forwarder {
        Forwarder::with_egress(timeout, tls, Egress::direct())
    }

    /// As [`Forwarder::with_tls`], leaving through `egress` (a proxy, for the targets its
    /// rules say).
    pub fn with_egress(
        timeout: Duration,
        tls: Arc<rustls::ClientConfig>,
        egress: Egress,
    ) -> Forwarder {
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .http1_title_case_headers(true);
        let client = egress.client(&tls, timeout, &builder);
        Forwarder {
            client,
            egress,
            timeout,
        }
    }

    /// `via proxy URL (from VARIABLE)` when requests to `target` go through a proxy.
    pub(crate) fn route_note(&self, target: &Uri) -> Option<String> {
        self.egress.describe(target)
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
            let e = match e {
                RequestError::Egress(e) => {
                    return ForwardError::Proxy {
                        target: target.to_string(),
                        detail: e.to_string(),
                    }
                }
                RequestError::Client(e) => e,
            };
            let detail = crate::egress::error_chain(&e);
            if let Some(u) = crate::tls::untrusted_in(&e) {
                // A certificate refused for a reason a person can act on: said in words.
                ForwardError::Tls {
                    target: target.to_string(),
                    detail: format!("{}; {}", u.describe("the app"), u.fix("the app")),
                }
            } else if is_tls_error(&e) {
                ForwardError::Tls {
                    target: target.to_string(),
                    detail: format!(
                        "{detail} (a private CA or a self-signed certificate must be trusted explicitly)"
                    ),
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_target_that_already_ends_with_the_path_is_not_doubled() {
        let base: Uri = "http://127.0.0.1:3000/dataspike/hook".parse().unwrap();
        for path in ["/dataspike/hook", "/hook", "/hook/"] {
            assert_eq!(
                join_target(&base, path, Some("x=1")).to_string(),
                "http://127.0.0.1:3000/dataspike/hook?x=1",
                "{path}"
            );
        }
        // Whole segments only: '/ook' is not the end of '/hook'.
        assert_eq!(
            join_target(&base, "/ook", None).to_string(),
            "http://127.0.0.1:3000/dataspike/hook/ook"
        );
        assert_eq!(
            join_target(&base, "/other", None).to_string(),
            "http://127.0.0.1:3000/dataspike/hook/other"
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
}
