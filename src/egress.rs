//! The way out for every outgoing connection (forwards, replays, `send`, `check`, the relay
//! client, and any client built later): one [`Egress`] decides per target whether to go direct
//! or through an HTTP proxy, and one connector does it. https goes through a `CONNECT` tunnel
//! to the proxy and then TLS with the *target* (verified against the target's name, as
//! without a proxy); plain http is sent to the proxy in absolute form (`POST http://app/...`),
//! with `Proxy-Authorization` when the proxy URL has credentials.
//!
//! The rules come from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` (and their
//! lowercase forms), or from a URL given on the command line; `NO_PROXY` is matched as curl
//! does (hyper-util's [`Matcher`]). Loopback targets (`localhost`, `*.localhost`,
//! `127.0.0.0/8`, `::1`) always go direct: a proxy cannot reach this laptop's loopback.
//! A proxy's credentials never leave this module in text: a proxy is shown as
//! `http://***@host:port`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::{self, Builder};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower_service::Service;

/// Always direct, whatever `NO_PROXY` says: a proxy elsewhere cannot reach this machine's
/// loopback, and a webhook app under development usually listens there.
const ALWAYS_DIRECT: &str = "localhost,127.0.0.0/8,::1";
/// Longest answer head a proxy may give to `CONNECT`.
const MAX_CONNECT_ANSWER: usize = 16 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One proxy: where it is, its `Proxy-Authorization`, and how to name it without credentials.
#[derive(Clone)]
struct Proxy {
    /// `http://host:port/`, no credentials.
    uri: Uri,
    auth: Option<HeaderValue>,
    /// `http://host:port` or `http://***@host:port`.
    shown: String,
    /// Where the URL came from: a variable's name or the command line's flag.
    from: String,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (from {})", self.shown, self.from)
    }
}

impl Proxy {
    /// Checks `url` (from `from`); errors never repeat credentials.
    fn parse(url: &str, from: &str) -> Result<Proxy, String> {
        let url = url.trim();
        let with_scheme = match url.contains("://") {
            true => url.to_string(),
            false => format!("http://{url}"),
        };
        let bad = || {
            format!("{from}: the proxy URL is not like http://host:port or http://user:password@host:port")
        };
        let uri: Uri = with_scheme.parse().map_err(|_| bad())?;
        let authority = uri.authority().ok_or_else(bad)?.as_str();
        let (creds, host_port) = match authority.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, authority),
        };
        let shown = match creds {
            Some(_) => format!("http://***@{host_port}"),
            None => format!("http://{host_port}"),
        };
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(format!(
                    "{from}: the proxy {} uses '{other}://', which is not supported; give an HTTP proxy as http://host:port",
                    shown.replacen("http://", &format!("{other}://"), 1)
                ))
            }
            None => return Err(bad()),
        }
        let bare: Uri = format!("http://{host_port}/").parse().map_err(|_| bad())?;
        if bare.host().is_none_or(str::is_empty) {
            return Err(bad());
        }
        // hyper-util's matcher decodes and encodes the credentials as Basic.
        let auth = creds.and_then(|_| {
            Matcher::builder()
                .all(with_scheme.as_str())
                .build()
                .intercept(&Uri::from_static("http://proxy.check/"))
                .and_then(|i| i.basic_auth().cloned())
        });
        Ok(Proxy {
            uri: bare,
            auth,
            shown,
            from: from.to_string(),
        })
    }
}

/// How outgoing connections leave this machine: direct, or through an HTTP proxy for the
/// targets its rules say. Cheap to clone.
#[derive(Clone)]
pub struct Egress {
    rules: Arc<Rules>,
}

struct Rules {
    http: Option<Proxy>,
    https: Option<Proxy>,
    /// Decides who is exempt; its proxies are not used (ours keep their names).
    matcher: Matcher,
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress")
            .field("http", &self.rules.http)
            .field("https", &self.rules.https)
            .finish()
    }
}

fn first_env(names: &[&'static str]) -> Option<(String, &'static str)> {
    names.iter().find_map(|n| {
        std::env::var(n)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, *n))
    })
}

impl Egress {
    /// Every connection goes direct.
    pub fn direct() -> Egress {
        Egress::build(None, None, "")
    }

    /// `HTTPS_PROXY`/`https_proxy` for https targets, `HTTP_PROXY`/`http_proxy` for http ones,
    /// `ALL_PROXY`/`all_proxy` for either when its own is unset, `NO_PROXY`/`no_proxy` exempts.
    /// The error names the variable, never its credentials.
    pub fn from_env() -> Result<Egress, String> {
        let http = first_env(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
            .map(|(url, from)| Proxy::parse(&url, from))
            .transpose()?;
        let https = first_env(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
            .map(|(url, from)| Proxy::parse(&url, from))
            .transpose()?;
        let no = first_env(&["NO_PROXY", "no_proxy"])
            .map(|(v, _)| v)
            .unwrap_or_default();
        Ok(Egress::build(http, https, &no))
    }

    /// One proxy for every target, named `from` in messages (the flag that gave it);
    /// `NO_PROXY` still exempts.
    pub(crate) fn fixed(url: &str, from: &str) -> Result<Egress, String> {
        let proxy = Proxy::parse(url, from)?;
        let no = first_env(&["NO_PROXY", "no_proxy"])
            .map(|(v, _)| v)
            .unwrap_or_default();
        Ok(Egress::build(Some(proxy.clone()), Some(proxy), &no))
    }

    fn build(http: Option<Proxy>, https: Option<Proxy>, no: &str) -> Egress {
        // The matcher only decides exemption: any proxy URL stands in for ours.
        let stand_in = "http://proxy.invalid:1";
        let mut matcher = Matcher::builder().no(format!("{no},{ALWAYS_DIRECT}"));
        if http.is_some() {
            matcher = matcher.http(stand_in);
        }
        if https.is_some() {
            matcher = matcher.https(stand_in);
        }
        Egress {
            rules: Arc::new(Rules {
                http,
                https,
                matcher: matcher.build(),
            }),
        }
    }

    fn proxy_for(&self, target: &Uri) -> Option<&Proxy> {
        self.rules.matcher.intercept(target)?;
        match target.scheme_str() {
            Some("https") => self.rules.https.as_ref(),
            Some("http") => self.rules.http.as_ref(),
            _ => None,
        }
    }

    /// `via proxy http://proxy:3128 (from HTTPS_PROXY)` when `target` goes through a proxy.
    pub(crate) fn describe(&self, target: &Uri) -> Option<String> {
        self.proxy_for(target)
            .map(|p| format!("via proxy {} (from {})", p.shown, p.from))
    }

    /// A pooled client over [`Egress`]'s connector: TLS with `tls` for https targets,
    /// connecting within `connect_timeout`, the rest as `builder` says. HTTP/1.1 only.
    pub(crate) fn client(
        &self,
        tls: &rustls::ClientConfig,
        connect_timeout: Duration,
        builder: &Builder,
    ) -> Client {
        self.client_with(tls, connect_timeout, builder, false)
    }

    /// Like [`Egress::client`], also offering HTTP/2 (ALPN `h2`) to https servers and using it
    /// when chosen: one connection then carries a stream and its acknowledgements (the relay
    /// client, the ACME client).
    pub(crate) fn client_h2(
        &self,
        tls: &rustls::ClientConfig,
        connect_timeout: Duration,
        builder: &Builder,
    ) -> Client {
        self.client_with(tls, connect_timeout, builder, true)
    }

    fn client_with(
        &self,
        tls: &rustls::ClientConfig,
        connect_timeout: Duration,
        builder: &Builder,
        h2: bool,
    ) -> Client {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        http.enforce_http(false);
        let proxy = ProxyConnector {
            http,
            egress: self.clone(),
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http();
        let connector = if h2 {
            https.enable_all_versions().wrap_connector(proxy)
        } else {
            https.enable_http1().wrap_connector(proxy)
        };
        Client {
            inner: builder.build(connector),
            egress: self.clone(),
        }
    }
}

/// A pooled HTTP(S) client whose connections leave as its [`Egress`] says.
#[derive(Clone)]
pub(crate) struct Client {
    inner: legacy::Client<HttpsConnector<ProxyConnector>, Full<Bytes>>,
    egress: Egress,
}

impl Client {
    /// Sends `req`; a plain-http request through a proxy with credentials carries them. A
    /// proxy asking for credentials (407) to a plain-http request is an [`EgressError`].
    pub(crate) async fn request(
        &self,
        mut req: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, RequestError> {
        let proxy = self.egress.proxy_for(req.uri()).cloned();
        let plain = req.uri().scheme_str() == Some("http");
        if let (true, Some(auth)) = (plain, proxy.as_ref().and_then(|p| p.auth.clone())) {
            req.headers_mut()
                .insert(http::header::PROXY_AUTHORIZATION, auth);
        }
        let resp = self
            .inner
            .request(req)
            .await
            .map_err(|e| match find_egress_error(&e) {
                Some(found) => RequestError::Egress(found.clone()),
                None => RequestError::Client(e),
            })?;
        if let (true, Some(p)) = (plain, proxy) {
            if resp.status() == StatusCode::PROXY_AUTHENTICATION_REQUIRED {
                return Err(RequestError::Egress(EgressError::Credentials {
                    proxy: p.shown,
                    from: p.from,
                    given: p.auth.is_some(),
                }));
            }
        }
        Ok(resp)
    }
}

/// Why a request through [`Client`] got no answer.
#[derive(Debug)]
pub(crate) enum RequestError {
    /// The proxy could not be used.
    Egress(EgressError),
    /// Anything else (the target's connection, TLS, HTTP).
    Client(legacy::Error),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::Egress(e) => e.fmt(f),
            RequestError::Client(e) => f.write_str(&error_chain(e)),
        }
    }
}

/// Why a proxy could not be used; the proxy is always named without credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// The proxy did not accept a connection.
    #[error(
        "cannot connect to the proxy at {proxy} ({detail}): is the proxy running? check {from}"
    )]
    Unreachable {
        /// The proxy, without credentials.
        proxy: String,
        /// Where its URL came from.
        from: String,
        /// The connection's error.
        detail: String,
    },
    /// The proxy answered 407.
    #[error("{}", if *.given { format!("the proxy at {proxy} refused the credentials in {from} (407): check the user and password in the proxy URL") } else { format!("the proxy at {proxy} needs credentials (407): put them in the proxy URL ({from}=http://user:password@host:port)") })]
    Credentials {
        /// The proxy, without credentials.
        proxy: String,
        /// Where its URL came from.
        from: String,
        /// Whether the URL had credentials.
        given: bool,
    },
    /// The proxy would not open the tunnel.
    #[error("the proxy at {proxy} refused to reach {target} ({status})")]
    Refused {
        /// The proxy, without credentials.
        proxy: String,
        /// `host:port` asked for.
        target: String,
        /// The proxy's status line.
        status: String,
    },
    /// The proxy's answer to `CONNECT` is not HTTP, or the connection broke.
    #[error("the proxy at {proxy} gave no usable answer to CONNECT {target}: {detail}")]
    Broken {
        /// The proxy, without credentials.
        proxy: String,
        /// `host:port` asked for.
        target: String,
        /// What went wrong.
        detail: String,
    },
}

/// An [`EgressError`] behind `e` (hyper-rustls and hyper-util box what the connector returns).
fn find_egress_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a EgressError> {
    let mut link = Some(e);
    while let Some(err) = link {
        if let Some(found) = err.downcast_ref::<EgressError>() {
            return Some(found);
        }
        link = err.source();
    }
    None
}

/// Connects to the target, or to its proxy (tunnelling with `CONNECT` for https).
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    egress: Egress,
}

impl Service<Uri> for ProxyConnector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let Some(proxy) = self.egress.proxy_for(&dst).cloned() else {
            let connecting = self.http.call(dst);
            return Box::pin(async move {
                Ok(Stream {
                    io: connecting.await?,
                    proxied: false,
                })
            });
        };
        let connecting = self.http.call(proxy.uri.clone());
        Box::pin(async move {
            let io = connecting.await.map_err(|e| EgressError::Unreachable {
                proxy: proxy.shown.clone(),
                from: proxy.from.clone(),
                detail: error_chain(&e),
            })?;
            if dst.scheme_str() == Some("https") {
                let io = tunnel(io, &dst, &proxy).await?;
                Ok(Stream { io, proxied: false })
            } else {
                Ok(Stream { io, proxied: true })
            }
        })
    }
}

/// Asks the proxy on `io` for a tunnel to `dst`; on 200 the stream is the target's.
async fn tunnel(
    mut io: TokioIo<TcpStream>,
    dst: &Uri,
    proxy: &Proxy,
) -> Result<TokioIo<TcpStream>, EgressError> {
    let target = format!(
        "{}:{}",
        dst.host().unwrap_or_default(),
        dst.port_u16().unwrap_or(443)
    );
    let broken = |detail: String| EgressError::Broken {
        proxy: proxy.shown.clone(),
        target: target.clone(),
        detail,
    };
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n").into_bytes();
    if let Some(auth) = &proxy.auth {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(auth.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let tcp = io.inner_mut();
    tcp.write_all(&head)
        .await
        .map_err(|e| broken(e.to_string()))?;
    // TLS speaks first, so the proxy sends nothing after its answer's head until we do.
    let mut answer = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        if answer.len() > MAX_CONNECT_ANSWER {
            return Err(broken("its answer's head is too long".into()));
        }
        let n = tcp
            .read(&mut chunk)
            .await
            .map_err(|e| broken(e.to_string()))?;
        if n == 0 {
            return Err(broken("it closed the connection".into()));
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    let code = match parsed.parse(&answer) {
        Ok(_) => parsed.code,
        Err(e) => return Err(broken(format!("not HTTP ({e})"))),
    };
    match code {
        Some(200..=299) => Ok(io),
        Some(407) => Err(EgressError::Credentials {
            proxy: proxy.shown.clone(),
            from: proxy.from.clone(),
            given: proxy.auth.is_some(),
        }),
        Some(code) => Err(EgressError::Refused {
            proxy: proxy.shown.clone(),
            target,
            status: match parsed.reason.filter(|r| !r.is_empty()) {
                Some(reason) => format!("{code} {reason}"),
                None => code.to_string(),
            },
        }),
        None => Err(broken("no status".into())),
    }
}

/// A connection to a target or to a proxy; `proxied` makes plain-http requests absolute-form.
pub(crate) struct Stream {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl hyper::rt::Read for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

/// An error and each of its sources, `outer: inner: innermost`: what a connection failure says
/// in full (hyper's own message is only the outermost layer).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
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

    #[test]
    fn credentials_never_show() {
        let p = Proxy::parse("http://alice:s3cret@proxy.corp:3128", "HTTPS_PROXY").unwrap();
        assert_eq!(p.shown, "http://***@proxy.corp:3128");
        assert_eq!(p.uri.to_string(), "http://proxy.corp:3128/");
        assert!(p.auth.is_some());
        assert!(!format!("{p:?}").contains("s3cret"));
        let e = Proxy::parse("socks5://alice:s3cret@proxy.corp:1080", "ALL_PROXY").unwrap_err();
        assert!(e.contains("ALL_PROXY") && !e.contains("s3cret"), "{e}");
        let e = Proxy::parse("http://alice:s3cret@", "--x").unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
        assert_eq!(
            Proxy::parse("proxy.corp:3128", "X").unwrap().shown,
            "http://proxy.corp:3128"
        );
    }

    #[test]
    fn loopback_and_no_proxy_go_direct() {
        let proxy = Proxy::parse("http://proxy.corp:3128", "HTTP_PROXY").unwrap();
        let e = Egress::build(
            Some(proxy.clone()),
            Some(proxy),
            "internal.example, 10.0.0.0/8",
        );
        let via = |u: &str| e.describe(&u.parse().unwrap());
        assert_eq!(
            via("http://app.example:3000/x").as_deref(),
            Some("via proxy http://proxy.corp:3128 (from HTTP_PROXY)")
        );
        assert!(via("https://app.example/x").is_some());
        for direct in [
            "http://localhost:3000/",
            "http://api.localhost/",
            "http://127.0.0.1:3000/",
            "http://127.1.2.3/",
            "http://[::1]:3000/",
            "https://a.internal.example/",
            "http://10.1.2.3/",
        ] {
            assert_eq!(via(direct), None, "{direct}");
        }
        assert_eq!(
            Egress::direct().describe(&"http://x.example/".parse().unwrap()),
            None
        );
    }
}
