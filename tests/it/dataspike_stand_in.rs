//! A stand-in for Dataspike's management API (hyper on 127.0.0.1:0): the documented shapes and
//! status codes only (create `200 {"id", "hmac_signing_secret"}`, rotate `200
//! {"hmac_signing_secret"}` replacing the secret at once, history `{"data", "has_next"}` in
//! pages), `ds-api-token` checked on every call, and every request recorded (method, path and
//! query, the token header, the JSON body). A test can script the next answers (an error, a
//! `Retry-After`, no answer at all) before the documented behaviour resumes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt;

/// One request the stand-in saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// The `ds-api-token` header, if any.
    pub token: Option<String>,
    /// The body, as JSON when it is.
    pub body: serde_json::Value,
}

/// An answer scripted ahead of the documented ones.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// This status, these headers, this body.
    Answer(u16, Vec<(&'static str, String)>, String),
    /// Never answer (the connection stays open until the client gives up).
    Hang,
}

/// A webhook the stand-in made.
#[derive(Debug, Clone)]
pub struct Hook {
    pub id: String,
    pub url: String,
    pub secret: String,
}

#[derive(Default)]
struct State {
    token: String,
    hooks: Vec<Hook>,
    history: Vec<serde_json::Value>,
    page_size: usize,
    script: VecDeque<Scripted>,
    seen: Vec<Seen>,
    next: u32,
}

pub struct StandIn {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A fresh `whsec_` secret: 32 random bytes as hex.
pub fn fresh_secret() -> String {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", hex::encode(key))
}

impl StandIn {
    /// Accepts `token`; history pages hold `page_size` entries.
    pub fn start(token: &str, page_size: usize) -> StandIn {
        let state = Arc::new(Mutex::new(State {
            token: token.to_string(),
            page_size,
            ..State::default()
        }));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let serve = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        let state = shared.clone();
                        tokio::spawn(async move {
                            let svc = hyper::service::service_fn(move |req| {
                                let state = state.clone();
                                async move {
                                    Ok::<_, std::convert::Infallible>(answer(&state, req).await)
                                }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                                .await;
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stop_rx => {}
                }
            });
        });
        StandIn {
            addr: addr_rx.recv_timeout(Duration::from_secs(10)).unwrap(),
            state,
            _stop: stop_tx,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The webhooks made, oldest first.
    pub fn hooks(&self) -> Vec<Hook> {
        self.state.lock().unwrap().hooks.clone()
    }

    /// The current secret of webhook `id`.
    pub fn secret_of(&self, id: &str) -> String {
        self.hooks()
            .into_iter()
            .find(|h| h.id == id)
            .expect("a webhook the stand-in made")
            .secret
    }

    /// Answers these first, in order, before the documented behaviour.
    pub fn script(&self, answers: impl IntoIterator<Item = Scripted>) {
        self.state.lock().unwrap().script.extend(answers);
    }

    /// Adds history entries (each a JSON object as the history lists it).
    pub fn add_history(&self, entries: impl IntoIterator<Item = serde_json::Value>) {
        self.state.lock().unwrap().history.extend(entries);
    }

    /// Makes a webhook as the dashboard would (hookscope never saw its secret).
    pub fn add_hook(&self, id: &str, url: &str) -> String {
        let secret = fresh_secret();
        self.state.lock().unwrap().hooks.push(Hook {
            id: id.into(),
            url: url.into(),
            secret: secret.clone(),
        });
        secret
    }
}

fn json_answer(
    status: u16,
    v: serde_json::Value,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let mut r = hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from(v.to_string())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

async fn answer(
    state: &Arc<Mutex<State>>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let token = parts
        .headers
        .get("ds-api-token")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let uri = parts
        .uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let scripted = {
        let mut s = state.lock().unwrap();
        s.seen.push(Seen {
            method: parts.method.to_string(),
            uri: uri.clone(),
            token: token.clone(),
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        });
        s.script.pop_front()
    };
    match scripted {
        Some(Scripted::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Some(Scripted::Answer(status, headers, text)) => {
            let mut r = hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from(text)));
            *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
            for (n, v) in headers {
                r.headers_mut()
                    .insert(n, hyper::header::HeaderValue::from_str(&v).unwrap());
            }
            return r;
        }
        None => {}
    }
    let mut s = state.lock().unwrap();
    if token.as_deref() != Some(s.token.as_str()) {
        return json_answer(401, serde_json::json!({"message": "Unauthorized"}));
    }
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    match (parts.method.as_str(), path.as_str()) {
        ("POST", "/api/v3/organization/webhooks") => {
            let v: serde_json::Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(_) => return json_answer(400, serde_json::json!({"message": "invalid JSON"})),
            };
            let url = v["webhook_url"].as_str().unwrap_or_default().to_string();
            if !url.starts_with("https://") {
                return json_answer(
                    422,
                    serde_json::json!({"message": "webhook_url must be an https URL"}),
                );
            }
            s.next += 1;
            let id = format!("01927ed4-c928-7a3c-9a30-{:012x}", s.next);
            let secret = fresh_secret();
            s.hooks.push(Hook {
                id: id.clone(),
                url,
                secret: secret.clone(),
            });
            json_answer(
                200,
                serde_json::json!({"id": id, "hmac_signing_secret": secret}),
            )
        }
        ("POST", p)
            if p.starts_with("/api/v3/organization/webhooks/") && p.ends_with("/hmac/rotate") =>
        {
            let id = p
                .trim_start_matches("/api/v3/organization/webhooks/")
                .trim_end_matches("/hmac/rotate")
                .to_string();
            let secret = fresh_secret();
            match s.hooks.iter_mut().find(|h| h.id == id) {
                Some(h) => {
                    h.secret = secret.clone();
                    json_answer(200, serde_json::json!({"hmac_signing_secret": secret}))
                }
                None => json_answer(404, serde_json::json!({"message": "webhook not found"})),
            }
        }
        ("GET", "/api/v3/notifications/webhook/history") => {
            let param = |name: &str| {
                query.split('&').find_map(|kv| {
                    kv.split_once('=')
                        .filter(|(k, _)| *k == name)
                        .map(|(_, v)| v.to_string())
                })
            };
            let webhook = param("webhook");
            let after = param("after");
            let all: Vec<&serde_json::Value> = s
                .history
                .iter()
                .filter(|e| webhook.as_deref().is_none_or(|w| e["webhook_id"] == w))
                .collect();
            let start = match after {
                Some(a) => all
                    .iter()
                    .position(|e| e["id"] == a.as_str())
                    .map_or(all.len(), |i| i + 1),
                None => 0,
            };
            let page: Vec<serde_json::Value> = all
                .iter()
                .skip(start)
                .take(s.page_size)
                .map(|e| (*e).clone())
                .collect();
            let has_next = start + page.len() < all.len();
            json_answer(200, serde_json::json!({"data": page, "has_next": has_next}))
        }
        _ => json_answer(404, serde_json::json!({"message": "not found"})),
    }
}
