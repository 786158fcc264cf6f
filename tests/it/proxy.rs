//! Egress proxies (issue 25 §5): forwards, `send`, `replay` and the relay client go through a
//! real HTTP proxy started here. The proxy is the only place the made-up names `app.internal`
//! and `relay.internal` resolve, so a request that does not use it cannot reach its target.

use crate::common::*;
use crate::relay::{add_channel, make_cert, next_capture, tmp, wait_relay_state, Relay};
use base64::Engine;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the proxy was asked: the request line and its `Proxy-Authorization`, if any.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) line: String,
    pub(crate) auth: Option<String>,
}

/// A tiny HTTP proxy on 127.0.0.1: `CONNECT host:port` is answered 200 and spliced,
/// `METHOD http://host/...` is forwarded in origin form. Names resolve only through `names`.
pub(crate) struct TestProxy {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestProxy {
    /// `auth`: the `Proxy-Authorization` value it insists on (407 otherwise).
    pub(crate) fn start(names: &[(&str, SocketAddr)], auth: Option<String>) -> TestProxy {
        let names: HashMap<String, SocketAddr> =
            names.iter().map(|(n, a)| (n.to_string(), *a)).collect();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let record = seen.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let serve = async {
                    while let Ok((conn, _)) = listener.accept().await {
                        let (names, record, auth) = (names.clone(), record.clone(), auth.clone());
                        tokio::spawn(handle(conn, names, record, auth));
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stop_rx => {}
                }
            });
        });
        TestProxy {
            addr: addr_rx.recv_timeout(Duration::from_secs(10)).unwrap(),
            seen,
            _stop: stop_tx,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn handle(
    mut conn: tokio::net::TcpStream,
    names: HashMap<String, SocketAddr>,
    record: Arc<Mutex<Vec<Seen>>>,
    auth: Option<String>,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or_default().to_string();
    let given = lines
        .clone()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case("proxy-authorization"))
        })
        .map(|(_, v)| v.trim().to_string());
    record.lock().unwrap().push(Seen {
        line: line.clone(),
        auth: given.clone(),
    });
    if auth.is_some() && given != auth {
        let _ = conn
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    }
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (host, rest) = match method {
        "CONNECT" => (target.to_string(), None),
        _ => {
            let Some(after) = target.strip_prefix("http://") else {
                let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                return;
            };
            let (host, path) = after.split_at(after.find('/').unwrap_or(after.len()));
            (host.to_string(), Some(path.to_string()))
        }
    };
    let name = host.rsplit_once(':').map_or(host.as_str(), |(n, _)| n);
    let Some(addr) = names.get(name) else {
        let _ = conn
            .write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await;
        return;
    };
    let Ok(mut upstream) = tokio::net::TcpStream::connect(addr).await else {
        let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    match rest {
        None => {
            let _ = conn
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await;
        }
        Some(path) => {
            // Origin form to the app, without the proxy's own header.
            let mut out = format!("{method} {path} {}\r\n", parts.next().unwrap_or("HTTP/1.1"));
            for l in text.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
                if !l.to_ascii_lowercase().starts_with("proxy-authorization:") {
                    out.push_str(l);
                    out.push_str("\r\n");
                }
            }
            out.push_str("\r\n");
            if upstream.write_all(out.as_bytes()).await.is_err() {
                return;
            }
        }
    }
    let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
}

fn basic(user_pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_pass)
    )
}

fn port(addr: SocketAddr) -> u16 {
    addr.port()
}

/// `send` with the given extra arguments and environment.
fn send(to: &str, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    bin()
        .args(["send", "--event", "DOCVER", "--secret", SECRET, "--to", to])
        .args(extra)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_forward_goes_through_http_proxy_from_the_environment() {
    let app = TestApp::start(Behaviour::default());
    let proxy = TestProxy::start(&[("app.internal", app.addr)], None);
    let (_dir, db) = tmp();
    let target = format!("http://app.internal:{}", port(app.addr));
    let listen = Listener::start_env(
        &db,
        &["--secret", SECRET, "--forward-to", &target, "--no-tui"],
        &[("HTTP_PROXY", proxy.url().as_str()), ("NO_PROXY", "")],
    );
    let status = post(
        &listen.addr,
        "/dataspike/hook",
        &[("X-Webhook-Signature", &sign(SECRET, now(), b"{}"))],
        b"{}",
    )
    .status;
    assert_eq!(status, 200);
    let got = app.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].uri, "/dataspike/hook");
    assert_eq!(got[0].header("proxy-authorization"), None);
    let seen = proxy.seen();
    assert_eq!(
        seen[0].line,
        format!("POST {target}/dataspike/hook HTTP/1.1"),
        "{seen:?}"
    );
    let (_, _, err) = listen.stop_with_output();
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains(&format!(
            "forward:  {target}/ via proxy {} (from HTTP_PROXY)",
            proxy.url()
        )),
        "{err}"
    );
}

#[test]
fn send_and_replay_go_through_the_proxy_flag_and_loopback_stays_direct() {
    let app = TestApp::start(Behaviour::default());
    let proxy = TestProxy::start(&[("app.internal", app.addr)], None);
    let target = format!("http://app.internal:{}/hook", port(app.addr));
    let o = send(&target, &["--proxy", &proxy.url()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(app.received().len(), 1);
    assert_eq!(proxy.seen().len(), 1);

    // --proxy overrides the environment (a dead proxy there).
    let dead = dead_port_url();
    let o = send(
        &target,
        &["--proxy", &proxy.url()],
        &[("HTTP_PROXY", &dead)],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(app.received().len(), 2);

    // Replay a capture through it.
    let (_dir, db) = tmp();
    let listen = Listener::start(&db, &["--secret", SECRET]);
    let sig = sign(SECRET, now(), b"{\"a\":1}");
    post(
        &listen.addr,
        "/hook",
        &[("X-Webhook-Signature", &sig)],
        b"{\"a\":1}",
    );
    listen.stop();
    let o = bin()
        .args(["replay", "1", "--to", &target, "--db"])
        .arg(&db)
        .args(["--secret", SECRET, "--proxy", &proxy.url()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(app.received().len(), 3);
    assert_eq!(proxy.seen().len(), 3);

    // Loopback never goes through the proxy; NO_PROXY exempts a name.
    let direct = format!("http://localhost:{}/hook", port(app.addr));
    let o = send(&direct, &[], &[("HTTP_PROXY", proxy.url().as_str())]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(app.received().len(), 4);
    assert_eq!(proxy.seen().len(), 3);
    let o = send(
        &target,
        &[],
        &[
            ("HTTP_PROXY", proxy.url().as_str()),
            ("NO_PROXY", "app.internal"),
        ],
    );
    assert!(!o.status.success());
    assert_eq!(proxy.seen().len(), 3, "NO_PROXY exempts app.internal");
    // --proxy none ignores the environment.
    let o = send(
        &target,
        &["--proxy", "none"],
        &[("HTTP_PROXY", proxy.url().as_str())],
    );
    assert!(!o.status.success());
    assert_eq!(proxy.seen().len(), 3);
}

#[test]
fn credentials_reach_the_proxy_and_are_never_printed() {
    let app = TestApp::start(Behaviour::default());
    let proxy = TestProxy::start(&[("app.internal", app.addr)], Some(basic("alice:s3cret")));
    let target = format!("http://app.internal:{}/hook", port(app.addr));
    let with = format!("http://alice:s3cret@{}", proxy.addr);
    let o = send(&target, &["--proxy", &with], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(proxy.seen()[0].auth, Some(basic("alice:s3cret")));
    assert_eq!(app.received()[0].header("proxy-authorization"), None);
    assert!(!stdout(&o).contains("s3cret") && !stderr(&o).contains("s3cret"));

    // Without credentials: 407 in plain words, naming the variable.
    let o = send(&target, &[], &[("HTTP_PROXY", proxy.url().as_str())]);
    assert!(!o.status.success());
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        all.contains(&format!("the proxy at {} needs credentials", proxy.url()))
            && all.contains("HTTP_PROXY"),
        "{all}"
    );

    // Wrong credentials: refused, shown without them.
    let wrong = format!("http://alice:wr0ng@{}", proxy.addr);
    let o = send(
        &target,
        &[],
        &[("HTTPS_PROXY", ""), ("HTTP_PROXY", wrong.as_str())],
    );
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!all.contains("wr0ng"), "{all}");
    assert!(all.contains(&format!("http://***@{}", proxy.addr)), "{all}");

    // A proxy that is not running: say so, and where the URL came from.
    let dead = dead_port_url().replace("http://", "http://alice:s3cret@");
    let o = send(&target, &["--proxy", &dead], &[]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!o.status.success());
    assert!(
        all.contains("is the proxy running? check --proxy") && !all.contains("s3cret"),
        "{all}"
    );
}

#[test]
fn https_and_the_relay_go_through_connect() {
    let (dir, rdb) = tmp();
    let (id, token) = add_channel(&rdb);
    let (cert, key) = make_cert(dir.path(), "relay", &["relay.internal"], false);
    let relay = Relay::start(
        &rdb,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let relay_addr: SocketAddr = relay.addr.parse().unwrap();
    let proxy = TestProxy::start(
        &[("relay.internal", relay_addr)],
        Some(basic("bob:hunter2")),
    );
    let with = format!("http://bob:hunter2@{}", proxy.addr);
    let url = format!("https://relay.internal:{}/c/{id}", port(relay_addr));
    let (_d, db) = tmp();
    let listen = Listener::start_env(
        &db,
        &[
            "--relay",
            &url,
            "--relay-token",
            &token,
            "--secret",
            SECRET,
            "--ca-cert",
            cert.to_str().unwrap(),
        ],
        &[("HTTPS_PROXY", with.as_str()), ("NO_PROXY", "")],
    );
    wait_relay_state(&listen, "connected");
    // The sender reaches the relay over https through the proxy too.
    let o = send(
        &format!("{url}/hook"),
        &["--ca-cert", cert.to_str().unwrap(), "--proxy", &with],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let c = next_capture(&listen);
    assert_eq!(c["source"], "relay");
    assert_eq!(c["path"], "/hook");
    let seen = proxy.seen();
    let target = format!("CONNECT relay.internal:{} HTTP/1.1", port(relay_addr));
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.iter().all(|s| s.line == target), "{seen:?}");
    assert!(seen.iter().all(|s| s.auth == Some(basic("bob:hunter2"))));
    let (_, out, err) = listen.stop_with_output();
    let all = format!(
        "{}{}{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err),
        stderr(&o)
    );
    assert!(!all.contains("hunter2"), "{all}");
    assert!(
        all.contains(&format!(
            "via proxy http://***@{} (from HTTPS_PROXY)",
            proxy.addr
        )),
        "{all}"
    );

    // The proxy refusing the tunnel (407) is said in plain words.
    let o = send(
        &format!("{url}/hook"),
        &["--ca-cert", cert.to_str().unwrap(), "--proxy", &proxy.url()],
        &[],
    );
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!o.status.success());
    assert!(all.contains("needs credentials"), "{all}");
}
