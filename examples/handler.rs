//! A Dataspike webhook handler to try `hookscope check` on (README "Before going live").
//!
//!   handler PORT SECRET          verifies as the guide asks: raw bytes, timestamp, 4xx, idempotent
//!   handler PORT SECRET --naive  a typical first attempt: re-serializes the JSON before
//!                                verifying, never looks at the timestamp, and crashes (500) on
//!                                a signature header it cannot parse
//!
//! Not part of hookscope: an example of the code under test, kept small.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

struct Handler {
    key: Vec<u8>,
    naive: bool,
    seen: Mutex<HashSet<String>>,
}

impl Handler {
    fn answer(&self, method: &str, sig: Option<&str>, body: &[u8]) -> (u16, String) {
        if method != "POST" {
            return (405, "POST only".into());
        }
        let Some(sig) = sig else {
            return (401, "missing signature".into());
        };
        let (t, v1) = match parse(sig) {
            Some(p) => p,
            None if self.naive => return (500, "Internal Server Error".into()),
            None => return (400, "malformed signature".into()),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        if !self.naive && (now - t).abs() > 300 {
            return (401, "stale timestamp".into());
        }
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(body) else {
            return (400, "not JSON".into());
        };
        // The naive handler signs what it parsed, not what it received.
        let signed = if self.naive {
            serde_json::to_vec(&event).unwrap_or_default()
        } else {
            body.to_vec()
        };
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&self.key) else {
            return (500, "bad key".into());
        };
        mac.update(format!("{t}.").as_bytes());
        mac.update(&signed);
        if mac.verify_slice(&v1).is_err() {
            return (401, "bad signature".into());
        }
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let fresh = self.seen.lock().map(|mut s| s.insert(id)).unwrap_or(true);
        (
            200,
            format!("{{\"received\":true,\"duplicate\":{}}}", !fresh),
        )
    }
}

/// `t=<digits>,v1=<64 hex>`, or `None`.
fn parse(sig: &str) -> Option<(i64, Vec<u8>)> {
    let (mut t, mut v1) = (None, None);
    for item in sig.split(',') {
        let (k, v) = item.trim().split_once('=')?;
        match k {
            "t" => t = Some(v.parse().ok()?),
            "v1" => v1 = Some(hex::decode(v).ok().filter(|b| b.len() == 32)?),
            _ => {}
        }
    }
    Some((t?, v1?))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: handler PORT SECRET [--naive]";
    let port: u16 = args.first().ok_or(usage)?.parse()?;
    let secret = args.get(1).ok_or(usage)?;
    let handler = Arc::new(Handler {
        key: hex::decode(secret.trim_start_matches("whsec_"))?,
        naive: args.iter().any(|a| a == "--naive"),
        seen: Mutex::new(HashSet::new()),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        eprintln!("handler listening on http://{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let handler = handler.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let handler = handler.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let sig = parts
                            .headers
                            .get("x-webhook-signature")
                            .and_then(|v| v.to_str().ok());
                        let (status, text) = handler.answer(parts.method.as_str(), sig, &body);
                        let mut resp = Response::new(Full::new(Bytes::from(text)));
                        *resp.status_mut() = hyper::StatusCode::from_u16(status)
                            .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    })
}
