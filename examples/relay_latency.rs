//! End-to-end latency for BENCHMARKS.md (see `bench/relay.sh`): plays the developer's app on
//! APP_PORT and the sender at the same time, so one clock measures sender -> ... -> app.
//!
//!   relay_latency APP_PORT URL RATE SECONDS SECRET
//!
//! Sends RATE signed deliveries per second for SECONDS to URL (each body carries its number),
//! waits up to 30 s for the app to have received them all, and prints one JSON line:
//! sent, answered, arrived, p50/p99/max of (arrival at the app - send start) in ms.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Arrivals = Arc<Mutex<HashMap<u64, Instant>>>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: relay_latency APP_PORT URL RATE SECONDS SECRET";
    let port: u16 = a.first().ok_or(usage)?.parse()?;
    let url: hyper::Uri = a.get(1).ok_or(usage)?.parse()?;
    let rate: u64 = a.get(2).ok_or(usage)?.parse()?;
    let secs: u64 = a.get(3).ok_or(usage)?.parse()?;
    let key = hex::decode(a.get(4).ok_or(usage)?.trim_start_matches("whsec_"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(port, url, rate, secs, key))
}

async fn run(
    port: u16,
    url: hyper::Uri,
    rate: u64,
    secs: u64,
    key: Vec<u8>,
) -> Result<(), Box<dyn std::error::Error>> {
    let arrivals: Arrivals = Arc::new(Mutex::new(HashMap::new()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tokio::spawn(app(listener, arrivals.clone()));
    let client: Client<_, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let total = rate * secs;
    let mut sent_at = HashMap::new();
    let mut answers = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    for n in 0..total {
        tick.tick().await;
        let body = format!(
            "{{\"id\":\"lat-{n}\",\"event_type\":\"AML_SCREENING\",\"n\":{n},\"payload\":{{\"risk_score\":{{\"type\":\"Low\"}}}}}}"
        );
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let sig = sign(&key, t, body.as_bytes());
        let req = Request::post(url.clone())
            .header("content-type", "application/json")
            .header("x-webhook-signature", sig)
            .body(Full::new(Bytes::from(body)))?;
        sent_at.insert(n, Instant::now());
        let client = client.clone();
        answers.push(tokio::spawn(async move {
            matches!(client.request(req).await, Ok(r) if r.status().is_success())
        }));
    }
    let mut answered = 0;
    for a in answers {
        if a.await.unwrap_or(false) {
            answered += 1;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().map(|m| m.len()).unwrap_or(0) < total as usize
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrived = arrivals.lock().map(|m| m.clone()).unwrap_or_default();
    let mut lat: Vec<f64> = arrived
        .iter()
        .filter_map(|(n, at)| {
            sent_at
                .get(n)
                .map(|s| at.duration_since(*s).as_secs_f64() * 1000.0)
        })
        .collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "{}",
        serde_json::json!({
            "rate": rate, "sent": total, "answered": answered, "arrived": lat.len(),
            "p50_ms": (pct(0.50) * 100.0).round() / 100.0,
            "p99_ms": (pct(0.99) * 100.0).round() / 100.0,
            "max_ms": (lat.last().copied().unwrap_or(f64::NAN) * 100.0).round() / 100.0,
        })
    );
    Ok(())
}

/// The developer's app: records when each numbered delivery arrived, answers 200.
async fn app(listener: tokio::net::TcpListener, arrivals: Arrivals) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let _ = stream.set_nodelay(true);
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let arrivals = arrivals.clone();
                async move {
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let at = Instant::now();
                    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                        if let Some(n) = v["n"].as_u64() {
                            if let Ok(mut m) = arrivals.lock() {
                                m.entry(n).or_insert(at);
                            }
                        }
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"{}"))))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn sign(key: &[u8], t: u64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut m) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}
