//! Load generator and bare comparison server for BENCHMARKS.md (see `bench/run.sh`).
//!
//!   loadgen serve PORT                       a bare hyper server that only answers 200
//!   loadgen proxy PORT TARGET                a bare hyper reverse proxy to TARGET (a pooled
//!                                            client; no verification, no storage): what a
//!                                            forwarder at best reaches on this machine
//!   loadgen wrk-script SECRET                prints a wrk Lua script posting this body, signed
//!                                            now (valid for the scheme's 300 s tolerance)
//!   loadgen load URL CONNS SECONDS [SECRET]  signed deliveries over CONNS keep-alive connections
//!                                            (each with its own X-Loadgen-Seq header)
//!   loadgen count URL CONNS N [SECRET]       exactly N deliveries in all (for instruction
//!                                            counts under callgrind, where time means nothing)
//!   loadgen handshakes URL N                 N TCP connects + TLS handshakes, one at a time
//!
//! An https URL is reached over TLS, trusting the PEM in `LOADGEN_CA`; `LOADGEN_H2=1` speaks
//! HTTP/2 on each connection (ALPN h2) instead of HTTP/1.1. `LOADGEN_TIMELINE=1` also prints
//! the p50/p99 of each second of a `load` run (one JSON line per second).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

const BODY: &[u8] = br#"{"id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","webhook_id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","event_type":"AML_SCREENING","timestamp":"2023-07-18T15:32:13Z","payload":{"screening_id":"s-1","applicant_id":"a-1","risk_score":{"type":"Low"}}}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.first().map(String::as_str) {
        Some("serve") => {
            let port: u16 = args.get(1).ok_or("serve PORT")?.parse()?;
            rt.block_on(serve(port))
        }
        Some("proxy") => {
            let port: u16 = args.get(1).ok_or("proxy PORT TARGET")?.parse()?;
            let target: hyper::Uri = args.get(2).ok_or("proxy PORT TARGET")?.parse()?;
            rt.block_on(proxy(port, target))
        }
        Some("wrk-script") => {
            let secret = args.get(1).ok_or("wrk-script SECRET")?;
            let key = hex::decode(secret.trim_start_matches("whsec_"))?;
            print!("{}", wrk_script(&key));
            Ok(())
        }
        Some("load") => {
            let url = args
                .get(1)
                .ok_or("load URL CONNS SECONDS [SECRET]")?
                .clone();
            let conns: usize = args.get(2).ok_or("CONNS")?.parse()?;
            let secs: u64 = args.get(3).ok_or("SECONDS")?.parse()?;
            let secret = args.get(4).cloned();
            let stop = Stop::At(Instant::now() + Duration::from_secs(secs));
            rt.block_on(load(url, conns, stop, secret))
        }
        Some("count") => {
            let url = args.get(1).ok_or("count URL CONNS N [SECRET]")?.clone();
            let conns: usize = args.get(2).ok_or("CONNS")?.parse()?;
            let n: u64 = args.get(3).ok_or("N")?.parse()?;
            let secret = args.get(4).cloned();
            let stop = Stop::After(Arc::new(AtomicU64::new(n)));
            rt.block_on(load(url, conns, stop, secret))
        }
        Some("handshakes") => {
            let url = args.get(1).ok_or("handshakes URL N")?.clone();
            let n: usize = args.get(2).ok_or("N")?.parse()?;
            rt.block_on(handshakes(url, n))
        }
        _ => Err(
            "usage: loadgen serve PORT | loadgen proxy PORT TARGET | loadgen wrk-script SECRET | loadgen load URL CONNS SECONDS [SECRET] | loadgen count URL CONNS N [SECRET] | loadgen handshakes URL N"
                .into(),
        ),
    }
}

async fn serve(port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let svc =
                hyper::service::service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let _ = req.into_body().collect().await;
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                        b"{\"ok\":true}",
                    ))))
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// A bare reverse proxy: every request's method, path, headers and whole body go to `target`
/// through one pooled client (as `listen --forward-to` reads the whole body before it
/// forwards), and the app's status and whole body come back. Nothing is verified or stored.
async fn proxy(port: u16, target: hyper::Uri) -> Result<(), Box<dyn std::error::Error>> {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let target = Arc::new(target);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let (client, target) = (client.clone(), target.clone());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let (client, target) = (client.clone(), target.clone());
                async move {
                    let (head, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let pq = head.uri.path_and_query().map_or("/", |pq| pq.as_str());
                    let mut uri = target.as_ref().clone().into_parts();
                    uri.path_and_query = pq.parse().ok();
                    let mut out = Request::builder().method(head.method);
                    if let Ok(uri) = hyper::Uri::from_parts(uri) {
                        out = out.uri(uri);
                    }
                    for (name, value) in &head.headers {
                        if name != hyper::header::HOST {
                            out = out.header(name, value);
                        }
                    }
                    let answer = match out.body(Full::new(body)) {
                        Ok(out) => match client.request(out).await {
                            Ok(resp) => {
                                let (head, body) = resp.into_parts();
                                let body = body
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                Response::from_parts(head, Full::new(body))
                            }
                            Err(_) => bad_gateway(),
                        },
                        Err(_) => bad_gateway(),
                    };
                    Ok::<_, Infallible>(answer)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn bad_gateway() -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = hyper::StatusCode::BAD_GATEWAY;
    r
}

/// A wrk script that posts [`BODY`] signed once, now, as Dataspike signs (`t=...,v1=...`).
fn wrk_script(key: &[u8]) -> String {
    let body = std::str::from_utf8(BODY).expect("ASCII body");
    format!(
        "-- generated by `loadgen wrk-script`: one signed Dataspike delivery, repeated\n\
         wrk.method = \"POST\"\n\
         wrk.path = \"/dataspike/hook\"\n\
         wrk.body = [[{body}]]\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"X-Webhook-Signature\"] = \"{}\"\n",
        sign(key, BODY)
    )
}

/// When the connections stop sending: at a time, or once N requests have been sent in all.
#[derive(Clone)]
enum Stop {
    At(Instant),
    After(Arc<AtomicU64>),
}

impl Stop {
    /// Whether one more request may be sent (taking it from the count).
    fn another(&self) -> bool {
        match self {
            Stop::At(deadline) => Instant::now() < *deadline,
            Stop::After(left) => left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok(),
        }
    }
}

async fn load(
    url: String,
    conns: usize,
    stop: Stop,
    secret: Option<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let uri: hyper::Uri = url.parse()?;
    let authority = uri.authority().ok_or("URL needs host:port")?.to_string();
    let https = uri.scheme_str() == Some("https");
    let key = secret
        .map(|s| hex::decode(s.trim_start_matches("whsec_")))
        .transpose()?;
    let key = Arc::new(key);
    let start = Instant::now();
    // Distinct across runs too: two runs in one second must not send the same bytes.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut tasks = Vec::new();
    for index in 0..conns {
        let (authority, key, path) = (authority.clone(), key.clone(), uri.path().to_string());
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let Ok(mut send) = Sender::connect(&authority, https).await else {
                return (lat, 1);
            };
            let mut n = 0u64;
            while stop.another() {
                n += 1;
                // Every request differs, as real deliveries do (their event ids): a relay on
                // JetStream takes the same bytes twice within its window as one retry.
                let mut req = Request::post(path.as_str())
                    .header("Host", authority.as_str())
                    .header("Content-Type", "application/json")
                    .header("X-Loadgen-Seq", format!("{run}-{index}-{n}"));
                if let Some(k) = key.as_ref() {
                    req = req.header("X-Webhook-Signature", sign(k, BODY));
                }
                let Ok(req) = req.body(Full::new(Bytes::from_static(BODY))) else {
                    errors += 1;
                    break;
                };
                let t0 = Instant::now();
                match send.send(req).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        let _ = resp.into_body().collect().await;
                        if ok {
                            lat.push((t0.duration_since(start), t0.elapsed()));
                        } else {
                            errors += 1;
                        }
                    }
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    if std::env::var_os("LOADGEN_TIMELINE").is_some() {
        timeline(&all);
    }
    let mut all: Vec<Duration> = all.into_iter().map(|(_, l)| l).collect();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "{{\"url\":\"{url}\",\"connections\":{conns},\"ok\":{},\"errors\":{errors},\"per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"p999_ms\":{:.2},\"max_ms\":{:.2}}}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(0.999),
        all.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
    );
    Ok(())
}

fn sign(key: &[u8], body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("any key");
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

/// p50/p99 per second of the run, from (sent at, latency) pairs.
fn timeline(all: &[(Duration, Duration)]) {
    let secs = all.iter().map(|(t, _)| t.as_secs()).max().unwrap_or(0);
    for sec in 0..=secs {
        let mut l: Vec<f64> = all
            .iter()
            .filter(|(t, _)| t.as_secs() == sec)
            .map(|(_, l)| l.as_secs_f64() * 1000.0)
            .collect();
        l.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| {
            l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0.0)
        };
        println!(
            "{{\"second\":{sec},\"ok\":{},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2}}}",
            l.len(),
            pct(0.5),
            pct(0.99),
            l.last().copied().unwrap_or(0.0)
        );
    }
}

/// The TLS client config for https URLs: `LOADGEN_CA` trusted, ALPN as asked.
fn tls_config(h2: bool) -> Result<Arc<rustls::ClientConfig>, Box<dyn std::error::Error>> {
    let ca = std::env::var_os("LOADGEN_CA").map(std::path::PathBuf::from);
    let mut cfg = (*hookscope::tls::client_config(ca.as_deref())?).clone();
    cfg.alpn_protocols = if h2 {
        vec![b"h2".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(cfg))
}

/// A TCP connection, over TLS for https, to `authority`.
async fn tls_connect(
    authority: &str,
    h2: bool,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Box<dyn std::error::Error + Send + Sync>> {
    let cfg = tls_config(h2).map_err(|e| e.to_string())?;
    let stream = TcpStream::connect(authority).await?;
    let _ = stream.set_nodelay(true);
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let name = rustls_pki_types::ServerName::try_from(host.to_string())?;
    Ok(tokio_rustls::TlsConnector::from(cfg)
        .connect(name, stream)
        .await?)
}

/// One connection's request sender: HTTP/1.1 plain or over TLS, or HTTP/2 over TLS.
enum Sender {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    async fn connect(
        authority: &str,
        https: bool,
    ) -> Result<Sender, Box<dyn std::error::Error + Send + Sync>> {
        let h2 = std::env::var_os("LOADGEN_H2").is_some();
        if !https {
            let stream = TcpStream::connect(authority).await?;
            let _ = stream.set_nodelay(true);
            let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            return Ok(Sender::H1(send));
        }
        let tls = tls_connect(authority, h2).await?;
        if h2 {
            let (send, conn) = hyper::client::conn::http2::handshake(
                hyper_util::rt::TokioExecutor::new(),
                TokioIo::new(tls),
            )
            .await?;
            tokio::spawn(conn);
            Ok(Sender::H2(send))
        } else {
            let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
            tokio::spawn(conn);
            Ok(Sender::H1(send))
        }
    }

    async fn send(
        &mut self,
        req: Request<Full<Bytes>>,
    ) -> Result<Response<hyper::body::Incoming>, hyper::Error> {
        match self {
            Sender::H1(s) => s.send_request(req).await,
            Sender::H2(s) => s.send_request(req).await,
        }
    }
}

/// `n` TCP connects + TLS handshakes one after another: the rate and latency of a handshake.
async fn handshakes(url: String, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let uri: hyper::Uri = url.parse()?;
    let authority = uri.authority().ok_or("URL needs host:port")?.to_string();
    let mut lat = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let t0 = Instant::now();
        let tls = tls_connect(&authority, false)
            .await
            .map_err(|e| e.to_string())?;
        lat.push(t0.elapsed());
        drop(tls);
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "{{\"url\":\"{url}\",\"handshakes\":{n},\"per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
        n as f64 / elapsed,
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}
