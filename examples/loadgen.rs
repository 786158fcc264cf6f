//! Load generator and bare comparison server for BENCHMARKS.md (see `bench/run.sh`).
//!
//!   loadgen serve PORT                       a bare hyper server that only answers 200
//!   loadgen load URL CONNS SECONDS [SECRET]  signed deliveries over CONNS keep-alive connections
//!   loadgen count URL CONNS N [SECRET]       exactly N deliveries in all (for instruction
//!                                            counts under callgrind, where time means nothing)

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
        _ => Err(
            "usage: loadgen serve PORT | loadgen load URL CONNS SECONDS [SECRET] | loadgen count URL CONNS N [SECRET]"
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
    let key = secret
        .map(|s| hex::decode(s.trim_start_matches("whsec_")))
        .transpose()?;
    let key = Arc::new(key);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (authority, key, path) = (authority.clone(), key.clone(), uri.path().to_string());
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let Ok(stream) = TcpStream::connect(&authority).await else {
                return (lat, 1);
            };
            let _ = stream.set_nodelay(true);
            let Ok((mut send, conn)) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
            else {
                return (lat, 1);
            };
            tokio::spawn(conn);
            while stop.another() {
                let mut req = Request::post(path.as_str())
                    .header("Host", authority.as_str())
                    .header("Content-Type", "application/json");
                if let Some(k) = key.as_ref() {
                    req = req.header("X-Webhook-Signature", sign(k, BODY));
                }
                let Ok(req) = req.body(Full::new(Bytes::from_static(BODY))) else {
                    errors += 1;
                    break;
                };
                let t0 = Instant::now();
                match send.send_request(req).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        let _ = resp.into_body().collect().await;
                        if ok {
                            lat.push(t0.elapsed());
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
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "{{\"url\":\"{url}\",\"connections\":{conns},\"ok\":{},\"errors\":{errors},\"per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
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
