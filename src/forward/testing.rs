//! A stand-in for the developer's app, for tests of forwarding and replay.

use bytes::Bytes;
use http::Uri;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use crate::headers::HeaderPair;

/// What the test app received: method, path and query, headers, body.
pub type Seen = (String, String, Vec<HeaderPair>, Bytes);

/// A hyper server on 127.0.0.1:0 that records every request and answers 201.
pub async fn start_app() -> (Uri, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let log = log.clone();
            let svc = hyper::service::service_fn(move |req: http::Request<Incoming>| {
                let log = log.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let headers = parts
                        .headers
                        .iter()
                        .map(|(n, v)| (n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
                        .collect();
                    log.lock().unwrap().push((
                        parts.method.to_string(),
                        parts.uri.to_string(),
                        headers,
                        body,
                    ));
                    let mut resp =
                        http::Response::new(Full::new(Bytes::from_static(b"{\"ok\":true}")));
                    *resp.status_mut() = http::StatusCode::CREATED;
                    resp.headers_mut()
                        .insert("x-app", http::HeaderValue::from_static("yes"));
                    Ok::<_, Infallible>(resp)
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc),
            );
        }
    });
    (format!("http://{addr}/hook").parse().unwrap(), seen)
}
