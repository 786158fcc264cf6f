//! The relay going live (issue 23): certificates reloaded without a restart, HTTP/2 to senders
//! and subscribers, and automatic HTTPS against a real ACME server (Pebble, Let's Encrypt's
//! test server, with its TLS-ALPN-01 validation on: it connects to the relay's port).

use crate::common::*;
use crate::relay::{add_channel, make_cert, next_capture, tmp};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `hookscope relay --json` whose every stdout line is kept, killed on drop.
struct LiveRelay {
    child: Child,
    url: String,
    addr: String,
    lines: mpsc::Receiver<serde_json::Value>,
    stderr: Arc<Mutex<String>>,
}

impl LiveRelay {
    fn start(db: &Path, extra: &[&str]) -> LiveRelay {
        LiveRelay::start_env(db, extra, &[])
    }

    fn start_env(db: &Path, extra: &[&str], env: &[(&str, &str)]) -> LiveRelay {
        let port: &[&str] = if extra.contains(&"--port") {
            &[]
        } else {
            &["--port", "0"]
        };
        let mut child = bin()
            .args(["relay", "--json", "--heartbeat-ms", "200", "--db"])
            .arg(db)
            .args(port)
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn relay");
        let stderr = collect(child.stderr.take().unwrap());
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v = serde_json::from_str(&line).unwrap_or(serde_json::json!({"raw": line}));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("relay did not start: {}", stderr.lock().unwrap()));
        assert_eq!(first["event"], "listening", "{first}");
        let url = first["url"].as_str().unwrap().to_string();
        let port = url.rsplit(':').next().unwrap().to_string();
        LiveRelay {
            child,
            url,
            addr: format!("127.0.0.1:{port}"),
            lines,
            stderr,
        }
    }

    fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// The next `{"event":"certificate","state":STATE}` line; any other certificate state
    /// first is returned too when it is in `also`. Panics after `within`.
    fn cert_event(&self, states: &[&str], within: Duration) -> serde_json::Value {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) if v["event"] == "certificate" => {
                    if states.iter().any(|s| v["state"] == *s) {
                        return v;
                    }
                    seen.push(v);
                }
                Ok(v) => seen.push(v),
                Err(_) => panic!(
                    "no certificate event {states:?} within {within:?}; saw {seen:?}; stderr: {}",
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    /// Every line printed so far that was not read yet.
    fn drain(&self) -> Vec<serde_json::Value> {
        self.lines.try_iter().collect()
    }

    fn hangup(&self) {
        let ok = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -HUP");
    }
}

impl Drop for LiveRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a pipe to its end into a shared string (for messages when something fails).
fn collect(r: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let t = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            let mut t = t.lock().unwrap();
            t.push_str(&line);
            t.push('\n');
        }
    });
    text
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A TLS connection to `addr` as `name`, trusting `trust`, offering `alpn`.
async fn tls_connect(
    addr: &str,
    name: &str,
    trust: &Path,
    alpn: &[&[u8]],
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
    let mut cfg = (*hookscope::tls::client_config(Some(trust)).unwrap()).clone();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let server = rustls_pki_types::ServerName::try_from(name.to_string()).unwrap();
    connector
        .connect(server, tcp)
        .await
        .map_err(|e| e.to_string())
}

/// The leaf certificate a new handshake gets (DER), or why the handshake failed.
fn served_leaf(addr: &str, name: &str, trust: &Path) -> Result<Vec<u8>, String> {
    runtime().block_on(async {
        let tls = tls_connect(addr, name, trust, &[b"http/1.1"]).await?;
        let leaf = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
        Ok(leaf)
    })
}

/// GET over HTTPS/1.1: (status, body).
fn https_get(addr: &str, name: &str, trust: &Path, path: &str) -> (u16, String) {
    https_request(addr, name, trust, "GET", path, &[])
}

/// A request over HTTPS/1.1 with an empty body: (status, body).
fn https_request(
    addr: &str,
    name: &str,
    trust: &Path,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    use http_body_util::BodyExt;
    runtime().block_on(async {
        let tls = tls_connect(addr, name, trust, &[b"http/1.1"])
            .await
            .unwrap();
        let (mut send, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(conn);
        let mut req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", name);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let resp = send.send_request(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    })
}

/// Every PEM certificate of `files` in one file, so a client trusts (pins) each.
fn bundle(dir: &Path, files: &[&Path]) -> PathBuf {
    let mut all = String::new();
    for f in files {
        all.push_str(&std::fs::read_to_string(f).unwrap());
    }
    let path = dir.join("bundle.pem");
    std::fs::write(&path, all).unwrap();
    path
}

fn der_of(pem: &Path) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_file(pem)
        .unwrap()
        .to_vec()
}

#[test]
fn sighup_serves_replaced_certificate_files_and_an_invalid_pair_keeps_the_old_one() {
    let (dir, db) = tmp();
    let d = dir.path();
    let (a_cert, a_key) = make_cert(d, "a", &["localhost"], false);
    let (b_cert, b_key) = make_cert(d, "b", &["localhost"], false);
    let trust = bundle(d, &[&a_cert, &b_cert]);
    let (cert, key) = (d.join("live.pem"), d.join("live.key"));
    std::fs::copy(&a_cert, &cert).unwrap();
    std::fs::copy(&a_key, &key).unwrap();
    // Files are looked at only on SIGHUP here (an hour between polls).
    let relay = LiveRelay::start(
        &db,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--tls-poll-ms",
            "3600000",
        ],
    );
    assert_eq!(
        served_leaf(&relay.addr, "localhost", &trust).unwrap(),
        der_of(&a_cert)
    );

    // certbot's way: new files, then SIGHUP. The next handshake gets the new certificate.
    std::fs::copy(&b_cert, &cert).unwrap();
    std::fs::copy(&b_key, &key).unwrap();
    relay.hangup();
    let ev = relay.cert_event(&["reloaded", "kept_old"], Duration::from_secs(20));
    assert_eq!(ev["state"], "reloaded", "{ev}");
    assert_eq!(ev["trigger"], "sighup");
    assert!(ev["certificate"]["not_after"]
        .as_str()
        .unwrap()
        .ends_with("UTC"));
    assert_eq!(
        served_leaf(&relay.addr, "localhost", &trust).unwrap(),
        der_of(&b_cert)
    );

    // A key that does not fit the certificate: refused in words, the old pair still serves.
    std::fs::copy(&a_key, &key).unwrap();
    relay.hangup();
    let ev = relay.cert_event(&["reloaded", "kept_old"], Duration::from_secs(20));
    assert_eq!(ev["state"], "kept_old", "{ev}");
    let reason = ev["reason"].as_str().unwrap();
    assert!(
        reason.contains("does not fit") && reason.contains("live.key"),
        "{reason}"
    );
    assert_eq!(
        served_leaf(&relay.addr, "localhost", &trust).unwrap(),
        der_of(&b_cert)
    );
    // Garbage in the certificate file: the same.
    std::fs::write(&cert, "not a certificate").unwrap();
    relay.hangup();
    let ev = relay.cert_event(&["reloaded", "kept_old"], Duration::from_secs(20));
    assert_eq!(ev["state"], "kept_old", "{ev}");
    assert_eq!(
        served_leaf(&relay.addr, "localhost", &trust).unwrap(),
        der_of(&b_cert)
    );
    // The relay is still up and healthy, reporting the served certificate's expiry.
    let (status, body) = https_get(&relay.addr, "localhost", &trust, "/healthz");
    assert_eq!(status, 200);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["certificate"]["source"], "files", "{health}");
    assert!(health["certificate"]["expires_in_s"].as_i64().unwrap() > 0);
}

#[test]
fn changed_certificate_files_are_noticed_without_a_signal() {
    let (dir, db) = tmp();
    let d = dir.path();
    let (a_cert, a_key) = make_cert(d, "a", &["localhost"], false);
    let (b_cert, b_key) = make_cert(d, "b", &["localhost", "relay.localhost"], false);
    let trust = bundle(d, &[&a_cert, &b_cert]);
    let relay = LiveRelay::start(
        &db,
        &[
            "--tls-cert",
            a_cert.to_str().unwrap(),
            "--tls-key",
            a_key.to_str().unwrap(),
            "--tls-poll-ms",
            "100",
        ],
    );
    assert_eq!(
        served_leaf(&relay.addr, "localhost", &trust).unwrap(),
        der_of(&a_cert)
    );
    // Replaced as a renewal tool would: each file renamed into place.
    let (tmp_cert, tmp_key) = (d.join("a.pem.new"), d.join("a.key.new"));
    std::fs::copy(&b_key, &tmp_key).unwrap();
    std::fs::copy(&b_cert, &tmp_cert).unwrap();
    std::fs::rename(&tmp_key, &a_key).unwrap();
    std::fs::rename(&tmp_cert, &a_cert).unwrap();
    let mut ev = relay.cert_event(&["reloaded"], Duration::from_secs(20));
    // The key may have been seen before the certificate: then a second look finds both.
    while served_leaf(&relay.addr, "localhost", &trust).unwrap() != der_of(&b_cert) {
        ev = relay.cert_event(&["reloaded"], Duration::from_secs(20));
    }
    assert_eq!(ev["trigger"], "files_changed", "{ev}");
}

/// An HTTP/2 client connection over TLS (ALPN `h2` only).
async fn h2_connect(
    addr: &str,
    trust: &Path,
) -> hyper::client::conn::http2::SendRequest<http_body_util::Full<bytes::Bytes>> {
    let tls = tls_connect(addr, "localhost", trust, &[b"h2"])
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    send
}

#[test]
fn a_sender_and_an_sse_stream_speak_http2_on_one_connection() {
    use http_body_util::BodyExt;
    let (dir, db) = tmp();
    let (id, token) = add_channel(&db);
    let (cert, key) = make_cert(dir.path(), "relay", &["localhost"], false);
    let relay = LiveRelay::start(
        &db,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    runtime().block_on(async {
        let mut send = h2_connect(&relay.addr, &cert).await;
        let url = |p: &str| format!("https://localhost:{}{p}", relay.port());
        // The stream first, on the same connection the deliveries are posted on.
        let events = http::Request::get(url(&format!("/r/{id}/events?after=0")))
            .header("authorization", format!("Bearer {token}"))
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        let resp = send.send_request(events).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.version(), http::Version::HTTP_2);
        let mut stream = resp.into_body();
        for i in 0..3 {
            let body = format!("{{\"n\":{i}}}");
            let post = http::Request::post(url(&format!("/c/{id}/hook?n={i}")))
                .header("x-webhook-signature", sign(SECRET, now(), body.as_bytes()))
                .header("content-type", "application/json")
                .body(http_body_util::Full::new(bytes::Bytes::from(body)))
                .unwrap();
            let resp = send.send_request(post).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.version(), http::Version::HTTP_2);
            let answer = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&answer[..], format!("{{\"id\":{}}}\n", i + 1).as_bytes());
        }
        // Every delivery comes down the stream, with its body's bytes.
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while text.matches("event: delivery").count() < 3 {
            let frame = tokio::time::timeout_at(deadline, stream.frame())
                .await
                .expect("deliveries on the h2 stream")
                .unwrap()
                .unwrap();
            if let Ok(data) = frame.into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
        }
        assert!(text.starts_with("event: hello"), "{text}");
        for seq in 1..=3 {
            assert!(text.contains(&format!("id: {seq}\n")), "{text}");
        }
        // base64 of {"n":2}
        assert!(text.contains("eyJuIjoyfQ=="), "{text}");
    });
}

#[test]
fn listen_reads_a_tls_relay_over_http2() {
    let (dir, rdb) = tmp();
    let (id, token) = add_channel(&rdb);
    let (cert, key) = make_cert(dir.path(), "relay", &["localhost"], false);
    let relay = LiveRelay::start_env(
        &rdb,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[("HOOKSCOPE_LOG", "hookscope::relay=debug")],
    );
    let url = format!("https://localhost:{}/c/{id}", relay.port());
    let db = dir.path().join("laptop.db");
    let listen = Listener::start(
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
    );
    crate::relay::wait_relay_state(&listen, "connected");
    let o = run(&[
        "send",
        "--event",
        "AML_SCREENING",
        "--to",
        &format!("{url}/hook"),
        "--secret",
        SECRET,
        "--ca-cert",
        cert.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = next_capture(&listen);
    assert_eq!(c["source"], "relay");
    assert_eq!(c["verdict"]["status"], "valid");
    // The laptop offered h2 and used it: the relay says which protocol each stream came over.
    wait_until_text(&relay.stderr, "stream of channel");
    let log = relay.stderr.lock().unwrap().clone();
    assert!(
        log.contains(&format!("stream of channel {id} over HTTP/2")),
        "{log}"
    );
    assert!(!log.contains("over HTTP/1.1"), "{log}");
}

fn wait_until_text(text: &Mutex<String>, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !text.lock().unwrap().contains(what) {
        assert!(
            Instant::now() < deadline,
            "no '{what}' in: {}",
            text.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A free TCP port on 127.0.0.1 (bound and released: nothing else here takes it meanwhile).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Pebble, Let's Encrypt's ACME test server, with pebble-challtestsrv as its DNS (every name is
/// 127.0.0.1), validating TLS-ALPN-01 against `tls_port`. Both killed on drop.
struct Pebble {
    pebble: Child,
    dns: Child,
    directory: String,
    mgmt: String,
    /// Pebble's own HTTPS certificate, for `--acme-ca-cert`.
    tls_pem: PathBuf,
    log: Arc<Mutex<String>>,
}

impl Pebble {
    /// None (after saying so) when Pebble is not installed and this is not CI.
    fn start(dir: &Path, tls_port: u16) -> Option<Pebble> {
        Pebble::start_with(dir, tls_port, free_port())
    }

    /// Like [`Pebble::start`], validating HTTP-01 on `http_port`.
    fn start_with(dir: &Path, tls_port: u16, http: u16) -> Option<Pebble> {
        let installed = |b: &str| Command::new(b).arg("-h").output().is_ok();
        if !installed("pebble") || !installed("pebble-challtestsrv") {
            assert!(
                std::env::var_os("CI").is_none(),
                "pebble is not installed: .ci/run installs the Debian package 'pebble'"
            );
            eprintln!("SKIPPED: pebble is not installed (apt-get install pebble)");
            return None;
        }
        let (tls_pem, key_pem) = make_cert(dir, "pebble", &["127.0.0.1", "localhost"], false);
        let (acme, mgmt, dns, dns_mgmt) = (free_port(), free_port(), free_port(), free_port());
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{acme}"),
            "managementListenAddress": format!("127.0.0.1:{mgmt}"),
            "certificate": tls_pem, "privateKey": key_pem,
            "httpPort": http, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": false,
        }});
        let config_file = dir.join("pebble.json");
        std::fs::write(&config_file, config.to_string()).unwrap();
        let mut dns_child = Command::new("pebble-challtestsrv")
            .args(["-dns01", &format!("127.0.0.1:{dns}")])
            .args(["-management", &format!("127.0.0.1:{dns_mgmt}")])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn pebble-challtestsrv");
        let mut child = Command::new("pebble")
            .args(["-config", config_file.to_str().unwrap()])
            .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
            // No validation delay; nonces are still rejected at random (5%), as in production.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pebble");
        let log = collect(child.stdout.take().unwrap());
        let err = child.stderr.take().unwrap();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                let mut t = log2.lock().unwrap();
                t.push_str(&line);
                t.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", acme)).is_err()
            || std::net::TcpStream::connect(("127.0.0.1", dns)).is_err()
        {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = dns_child.kill();
                panic!("pebble did not start: {}", log.lock().unwrap());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Pebble {
            pebble: child,
            dns: dns_child,
            directory: format!("https://127.0.0.1:{acme}/dir"),
            mgmt: format!("127.0.0.1:{mgmt}"),
            tls_pem,
            log,
        })
    }

    /// The root that issues this Pebble's certificates, as PEM in a file.
    fn root(&self, dir: &Path) -> PathBuf {
        let (status, pem) = https_get(&self.mgmt, "127.0.0.1", &self.tls_pem, "/roots/0");
        assert_eq!(status, 200, "{pem}");
        let path = dir.join("pebble-root.pem");
        std::fs::write(&path, pem).unwrap();
        path
    }

    fn issued(&self) -> usize {
        self.log
            .lock()
            .unwrap()
            .matches("Issued certificate")
            .count()
    }

    /// The relay flags that point it at this Pebble.
    fn relay_args<'a>(&'a self, state: &'a Path, port: &'a str) -> Vec<&'a str> {
        vec![
            "--port",
            port,
            "--acme",
            "localhost",
            "--acme-email",
            "dev@example.com",
            "--acme-directory",
            &self.directory,
            "--acme-ca-cert",
            self.tls_pem.to_str().unwrap(),
            "--state-dir",
            state.to_str().unwrap(),
            "--acme-http-port",
            "0",
            "--acme-retry-s",
            "1",
        ]
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for c in [&mut self.pebble, &mut self.dns] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn acme_obtains_a_certificate_from_pebble_over_tls_alpn_01_and_a_restart_reuses_it() {
    let (dir, rdb) = tmp();
    let d = dir.path();
    let port = free_port();
    let Some(pebble) = Pebble::start(d, port) else {
        return;
    };
    let (id, token) = add_channel(&rdb);
    let state = d.join("state");
    let port_s = port.to_string();
    let relay = LiveRelay::start_env(
        &rdb,
        &pebble.relay_args(&state, &port_s),
        &[("HOOKSCOPE_LOG", "hookscope::relay=debug")],
    );
    assert_eq!(relay.url, format!("https://localhost:{port}"));
    let ev = relay.cert_event(&["obtained", "failed"], Duration::from_secs(90));
    assert_eq!(
        ev["state"],
        "obtained",
        "{ev}; pebble: {}",
        pebble.log.lock().unwrap()
    );
    assert_eq!(pebble.issued(), 1);
    // Pebble's validator connected to the relay's port and got the challenge certificate
    // (HTTP-01 is off here, and DNS-01 is not answered).
    let log = relay.stderr.lock().unwrap().clone();
    assert!(log.contains("answered a TLS-ALPN-01 validation"), "{log}");

    // The served certificate chains to Pebble's root (trusted as a CA, not pinned).
    let root = pebble.root(d);
    let leaf = served_leaf(&relay.addr, "localhost", &root).unwrap();
    let (status, body) = https_get(&relay.addr, "localhost", &root, "/healthz");
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["certificate"]["source"], "acme", "{health}");
    assert!(health["certificate"]["expires_in_s"].as_i64().unwrap() > 86_400);

    // State: the account and the certificate with its key, private.
    let mut files: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files[0].starts_with("account-") && files[0].ends_with(".json"));
    assert!(files[1].starts_with("localhost-") && files[1].ends_with(".crt.pem"));
    assert!(files[2].starts_with("localhost-") && files[2].ends_with(".key.pem"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in &files {
            let mode = std::fs::metadata(state.join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }

    // The laptop trusts Pebble's root and receives signed deliveries through the relay: PASS.
    let url = format!("https://localhost:{port}/c/{id}");
    let root_s = root.to_str().unwrap();
    let listen = laptop_trusting(d, &url, &token, &root);
    let o = run(&[
        "send",
        "--event",
        "AML_SCREENING",
        "--to",
        &format!("{url}/hook"),
        "--secret",
        SECRET,
        "--ca-cert",
        root_s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = next_capture(&listen);
    assert_eq!(c["source"], "relay");
    assert_eq!(c["verdict"]["status"], "valid", "{c}");
    drop(listen);

    // A restart serves the stored certificate: no new order.
    drop(relay);
    let relay = LiveRelay::start(&rdb, &pebble.relay_args(&state, &port_s));
    let ev = relay.cert_event(&["reused", "obtaining"], Duration::from_secs(30));
    assert_eq!(ev["state"], "reused", "{ev}");
    assert_eq!(served_leaf(&relay.addr, "localhost", &root).unwrap(), leaf);
    std::thread::sleep(Duration::from_millis(500));
    let later = relay.drain();
    assert!(
        !later
            .iter()
            .any(|v| v["state"] == "obtaining" || v["state"] == "renewing"),
        "{later:?}"
    );
    assert_eq!(pebble.issued(), 1, "{}", pebble.log.lock().unwrap());
}

#[test]
fn acme_renewal_swaps_the_certificate_under_an_open_stream() {
    let (dir, rdb) = tmp();
    let d = dir.path();
    let port = free_port();
    let Some(pebble) = Pebble::start(d, port) else {
        return;
    };
    let (id, token) = add_channel(&rdb);
    let state = d.join("state");
    let port_s = port.to_string();
    let mut args = pebble.relay_args(&state, &port_s);
    // Test-only: renew once the certificate is 3 s old (its lifetime is years).
    args.extend(["--acme-renew-after", "3s"]);
    let relay = LiveRelay::start(&rdb, &args);
    let ev = relay.cert_event(&["obtained", "failed"], Duration::from_secs(90));
    assert_eq!(ev["state"], "obtained", "{ev}");
    let root = pebble.root(d);
    let first = served_leaf(&relay.addr, "localhost", &root).unwrap();

    // A laptop's stream opens on the first certificate.
    let url = format!("https://localhost:{port}/c/{id}");
    let root_s = root.to_str().unwrap();
    let listen = laptop_trusting(d, &url, &token, &root);

    // Renewal: a new order while the first certificate serves, then the swap.
    let ev = relay.cert_event(&["renewing"], Duration::from_secs(30));
    assert_eq!(ev["state"], "renewing");
    let ev = relay.cert_event(&["obtained", "failed"], Duration::from_secs(90));
    assert_eq!(ev["state"], "obtained", "{ev}");
    assert!(pebble.issued() >= 2);
    let second = served_leaf(&relay.addr, "localhost", &root).unwrap();
    assert_ne!(
        first, second,
        "a new handshake gets the renewed certificate"
    );

    // The stream stayed up: a delivery sent now arrives on it, and it never reconnected.
    let o = run(&[
        "send",
        "--event",
        "AML_SCREENING",
        "--to",
        &format!("{url}/hook"),
        "--secret",
        SECRET,
        "--ca-cert",
        root_s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut seen = Vec::new();
    let capture = loop {
        let v = listen.next_line();
        if v.get("event").is_none() {
            break v;
        }
        seen.push(v);
    };
    assert_eq!(capture["verdict"]["status"], "valid", "{capture}");
    assert!(
        !seen
            .iter()
            .any(|v| v["event"] == "relay" && v["state"] != "connected"),
        "the stream was replaced: {seen:?}"
    );
}

#[test]
fn the_systemd_unit_verifies_and_keeps_its_hardening() {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/hookscope-relay.service"),
    )
    .unwrap();
    for needed in [
        "DynamicUser=yes",
        "StateDirectory=hookscope-relay",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "--acme ${RELAY_DOMAIN}",
    ] {
        assert!(unit.contains(needed), "the unit lost '{needed}'");
    }
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: systemd-analyze is not installed; the unit was only read");
        return;
    }
    // verify wants the ExecStart binary to exist: point it at the one just built.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hookscope-relay.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/hookscope", env!("CARGO_BIN_EXE_hookscope")),
    )
    .unwrap();
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `hookscope channel ...` against a relay, with the admin token in the environment.
fn remote(args: &[&str], admin_token: &str) -> std::process::Output {
    bin()
        .args(["channel"])
        .args(args)
        .env("HOOKSCOPE_RELAY_ADMIN_TOKEN", admin_token)
        .env_remove("HOOKSCOPE_RELAY_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn channels_are_made_listed_rotated_and_removed_from_the_laptop_with_the_admin_token() {
    let (dir, rdb) = tmp();
    let d = dir.path();
    let (cert, key) = make_cert(d, "relay", &["localhost"], false);
    let relay = LiveRelay::start(
        &rdb,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--admin-api",
        ],
    );
    let shown = relay.lines.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(shown["event"], "admin_token", "{shown}");
    let admin = shown["token"].as_str().unwrap().to_string();
    assert!(admin.starts_with("hsa_"));
    // Only its hash is kept, beside the database.
    let hash_file = d.join("relay.db.admin-token.sha256");
    let kept = std::fs::read_to_string(&hash_file).unwrap();
    assert!(!kept.contains(&admin) && kept.trim().len() == 64);
    let base = format!("https://localhost:{}", relay.port());
    let ca = cert.to_str().unwrap();

    // add: the channel is made, its read token kept in the secret store.
    let o = remote(
        &[
            "add",
            "--relay",
            &base,
            "--label",
            "ci",
            "--ca-cert",
            ca,
            "--json",
            "--show-token",
        ],
        &admin,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let added: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = added["channel"].as_str().unwrap().to_string();
    let first_token = added["token"].as_str().unwrap().to_string();
    assert_eq!(added["url"], format!("{base}/c/{id}"));
    assert_eq!(added["label"], "ci");
    let store_path = PathBuf::from(added["token_stored"].as_str().unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let stored_token = |id: &str| -> Option<String> {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&store_path).unwrap()).unwrap();
        v["entries"].as_array().unwrap().iter().find_map(|e| {
            (e["kind"] == "relay-channel" && e["scope"] == base.as_str() && e["id"] == id)
                .then(|| e["secret"].as_str().unwrap().to_string())
        })
    };
    assert_eq!(stored_token(&id).as_deref(), Some(first_token.as_str()));

    // list shows it, and that its token is here.
    let o = remote(
        &["list", "--relay", &base, "--ca-cert", ca, "--json"],
        &admin,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let listed: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["channel"], id.as_str());
    assert_eq!(listed[0]["label"], "ci");
    assert_eq!(listed[0]["token_here"], true);

    // listen --relay needs no --relay-token: it finds the kept one.
    let db = d.join("laptop.db");
    let url = format!("{base}/c/{id}");
    let listen = Listener::start(&db, &["--relay", &url, "--secret", SECRET, "--ca-cert", ca]);
    crate::relay::wait_relay_state(&listen, "connected");
    let o = run(&[
        "send",
        "--event",
        "AML_SCREENING",
        "--to",
        &format!("{url}/hook"),
        "--secret",
        SECRET,
        "--ca-cert",
        ca,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(next_capture(&listen)["verdict"]["status"], "valid");
    drop(listen);

    // rotate-token: the old token stops working, the new one is kept.
    let o = remote(
        &["rotate-token", &id, "--relay", &base, "--ca-cert", ca],
        &admin,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !stdout(&o).contains("hsr_"),
        "the token is not printed: {}",
        stdout(&o)
    );
    let events = format!("/r/{id}/events?after=0");
    let bearer = format!("Bearer {first_token}");
    let (status, _) = https_request(
        &relay.addr,
        "localhost",
        &cert,
        "GET",
        &events,
        &[("authorization", &bearer)],
    );
    assert_eq!(status, 401);
    let new_token = stored_token(&id).unwrap();
    assert_ne!(new_token, first_token);

    // remove: gone at the relay and here.
    let o = remote(&["remove", &id, "--relay", &base, "--ca-cert", ca], &admin);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stored_token(&id), None);
    let o = remote(
        &["list", "--relay", &base, "--ca-cert", ca, "--json"],
        &admin,
    );
    assert!(
        o.status.success() && stdout(&o).trim().is_empty(),
        "{}",
        stdout(&o)
    );
    let o = remote(&["remove", &id, "--relay", &base, "--ca-cert", ca], &admin);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no channel"), "{}", stderr(&o));

    // A wrong admin token: 401 in words (never echoed), then the address is held off.
    let wrong = "hsa_this-is-not-the-admin-token";
    let o = remote(&["list", "--relay", &base, "--ca-cert", ca], wrong);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("rejected the admin token (401)"), "{err}");
    assert!(err.contains("HOOKSCOPE_RELAY_ADMIN_TOKEN"), "{err}");
    assert!(!err.contains(wrong) && !err.contains(&admin), "{err}");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, _) = https_request(
            &relay.addr,
            "localhost",
            &cert,
            "GET",
            "/admin/channels",
            &[("authorization", "Bearer wrong-token-guess")],
        );
        statuses.push(status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let bearer = format!("Bearer {admin}");
    let (status, _) = https_request(
        &relay.addr,
        "localhost",
        &cert,
        "GET",
        "/admin/channels",
        &[("authorization", &bearer)],
    );
    assert_eq!(
        status, 429,
        "even the right token waits once the address spent its budget"
    );
}

#[test]
fn the_admin_api_is_off_unless_configured() {
    let (dir, rdb) = tmp();
    let (cert, key) = make_cert(dir.path(), "relay", &["localhost"], false);
    let relay = LiveRelay::start(
        &rdb,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let (status, body) = https_request(
        &relay.addr,
        "localhost",
        &cert,
        "GET",
        "/admin/channels",
        &[("authorization", "Bearer anything-at-all-here")],
    );
    assert_eq!((status, body.trim()), (404, r#"{"error":"not found"}"#));
    let base = format!("https://localhost:{}", relay.port());
    let o = remote(
        &["add", "--relay", &base, "--ca-cert", cert.to_str().unwrap()],
        "hsa_some-token-value",
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("no remote channel API (404)") && err.contains("--admin-api"),
        "{err}"
    );
    // A token file that is too short is refused at start, naming the flag.
    let short = dir.path().join("admin-token");
    std::fs::write(&short, "abc\n").unwrap();
    let o = run(&[
        "relay",
        "--db",
        rdb.to_str().unwrap(),
        "--port",
        "0",
        "--admin-token-file",
        short.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--admin-token-file") && stderr(&o).contains("at least 16"),
        "{}",
        stderr(&o)
    );
}

/// The first `n` deliveries of a channel's stream, read over plain HTTP (waiting out a 429:
/// the tests spend this address's rate limit on purpose).
fn read_deliveries(addr: &str, id: &str, token: &str, n: usize) -> Vec<serde_json::Value> {
    use std::io::Write;
    for _ in 0..40 {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "GET /r/{id}/events?after=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        let mut buf = [0u8; 8192];
        while text.matches("event: delivery").count() < n {
            let got = s.read(&mut buf).expect("the stream within 20 s");
            assert!(got > 0, "stream closed: {text}");
            text.push_str(&String::from_utf8_lossy(&buf[..got]));
            if text.starts_with("HTTP/1.1 429") {
                break;
            }
        }
        if text.starts_with("HTTP/1.1 429") {
            std::thread::sleep(Duration::from_millis(250));
            continue;
        }
        return text
            .split("event: delivery\ndata: ")
            .skip(1)
            .map(|rest| serde_json::from_str(rest.lines().next().unwrap()).unwrap())
            .collect();
    }
    panic!("the stream stayed refused (429)");
}

/// Three posts from this test (127.0.0.1), each claiming another client in `header`; the
/// answers' statuses.
fn spoofed_posts(addr: &str, id: &str, header: &str, values: &[&str]) -> Vec<u16> {
    values
        .iter()
        .map(|v| post(addr, &format!("/c/{id}/hook"), &[(header, *v)], b"{}").status)
        .collect()
}

#[test]
fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let clients = ["198.51.100.1", "198.51.100.2", "198.51.100.3"];
    let xff_chains = [
        "6.6.6.6, 198.51.100.1",
        "6.6.6.6, 198.51.100.2",
        "6.6.6.6, 198.51.100.3",
    ];
    // .1 was seen once before these: its second request passes (a burst of 2), its third not.
    let fwd = [
        "for=198.51.100.1",
        "for=198.51.100.1;proto=https",
        "For=\"[2001:db8::2]:9\"",
    ];
    // --ip-rate 1: a burst of 2, so the third request from one address is refused.
    for (trust, trusted) in [
        (None, false),
        (Some("10.9.9.9/32"), false),
        (Some("127.0.0.1"), true),
    ] {
        let (_dir, rdb) = tmp();
        let (id, token) = add_channel(&rdb);
        let mut args = vec!["--ip-rate", "1", "--channel-rate", "1000"];
        if let Some(t) = trust {
            args.extend(["--trust-proxy", t]);
        }
        let relay = LiveRelay::start(&rdb, &args);
        let xff = spoofed_posts(&relay.addr, &id, "X-Forwarded-For", &xff_chains);
        if trusted {
            assert_eq!(
                xff,
                [200, 200, 200],
                "each forwarded client has its own limit"
            );
            let fwd = spoofed_posts(&relay.addr, &id, "Forwarded", &fwd);
            assert_eq!(fwd, [200, 429, 200], "limits follow the forwarded client");
            let peers: Vec<String> = read_deliveries(&relay.addr, &id, &token, 5)
                .iter()
                .map(|d| d["peer"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                peers,
                [
                    format!("{}:0", clients[0]),
                    format!("{}:0", clients[1]),
                    format!("{}:0", clients[2]),
                    format!("{}:0", clients[0]),
                    "[2001:db8::2]:9".to_string()
                ]
            );
        } else {
            // A stranger's (or an untrusted proxy's) headers change nothing.
            assert_eq!(xff, [200, 200, 429], "trust {trust:?}");
            let peers = read_deliveries(&relay.addr, &id, &token, 2);
            for d in peers {
                assert!(d["peer"].as_str().unwrap().starts_with("127.0.0.1:"), "{d}");
            }
        }
    }
}

#[test]
fn the_proxy_protocol_names_the_client_from_a_trusted_proxy_only() {
    use std::io::Write;
    let (_dir, rdb) = tmp();
    let (id, token) = add_channel(&rdb);
    let relay = LiveRelay::start(&rdb, &["--trust-proxy", "127.0.0.1", "--proxy-protocol"]);
    let request = format!(
        "POST /c/{id}/hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    // v1, then v2 (TCP over IPv4, with a TLV after the addresses).
    let v1 = format!("PROXY TCP4 198.51.100.77 127.0.0.1 4444 80\r\n{request}");
    assert_eq!(raw_request(&relay.addr, v1.as_bytes()).status, 200);
    let mut v2 = b"\r\n\r\n\0\r\nQUIT\n\x21\x11".to_vec();
    let body = [
        &[203, 0, 113, 8, 127, 0, 0, 1][..],
        &5555u16.to_be_bytes(),
        &80u16.to_be_bytes(),
        &[0x04, 0, 1, 0],
    ]
    .concat();
    v2.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v2.extend_from_slice(&body);
    v2.extend_from_slice(request.as_bytes());
    assert_eq!(raw_request(&relay.addr, &v2).status, 200);
    let peers: Vec<String> = read_deliveries_after_proxy(&relay.addr, &id, &token, 2);
    assert_eq!(peers, ["198.51.100.77:4444", "203.0.113.8:5555"]);
    // Without a header, the trusted proxy's connection is dropped unanswered.
    let mut s = std::net::TcpStream::connect(&relay.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
}

/// Reads deliveries through a PROXY-protocol relay: the stream request carries its own header.
fn read_deliveries_after_proxy(addr: &str, id: &str, token: &str, n: usize) -> Vec<String> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "PROXY TCP4 192.0.2.1 127.0.0.1 1 80\r\nGET /r/{id}/events?after=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    let mut buf = [0u8; 8192];
    while text.matches("event: delivery").count() < n {
        let got = s.read(&mut buf).expect("the stream within 20 s");
        assert!(got > 0, "stream closed: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..got]));
    }
    text.split("event: delivery\ndata: ")
        .skip(1)
        .map(|rest| {
            let d: serde_json::Value = serde_json::from_str(rest.lines().next().unwrap()).unwrap();
            d["peer"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn a_failed_order_says_why_and_what_to_check_and_is_retried() {
    let (dir, rdb) = tmp();
    let d = dir.path();
    // Pebble validates TLS-ALPN-01 on a port where nothing listens: the relay is elsewhere.
    let nobody = free_port();
    let Some(pebble) = Pebble::start(d, nobody) else {
        return;
    };
    let state = d.join("state");
    let port = free_port().to_string();
    let relay = LiveRelay::start(&rdb, &pebble.relay_args(&state, &port));
    let ev = relay.cert_event(&["obtaining"], Duration::from_secs(30));
    assert_eq!(ev["domains"], serde_json::json!(["localhost"]));
    let ev = relay.cert_event(&["failed", "obtained"], Duration::from_secs(90));
    assert_eq!(ev["state"], "failed", "{ev}");
    let reason = ev["reason"].as_str().unwrap();
    assert!(reason.contains("could not validate localhost"), "{reason}");
    let check = ev["check"].as_str().unwrap();
    assert!(check.contains("DNS") && check.contains("443"), "{check}");
    assert_eq!(ev["still_serving"], false);
    assert_eq!(ev["retry_in_s"], 1.0);
    // Retried, with a longer wait each time.
    let ev = relay.cert_event(&["failed", "obtained"], Duration::from_secs(90));
    assert_eq!(ev["state"], "failed", "{ev}");
    assert_eq!(ev["retry_in_s"], 2.0);
    assert_eq!(pebble.issued(), 0);
    // Nothing half-made is left: the account only.
    let files: Vec<_> = std::fs::read_dir(&state).unwrap().collect();
    assert_eq!(files.len(), 1);
}

#[test]
fn acme_over_http_01_on_the_port_80_server_which_redirects_everything_else() {
    let (dir, rdb) = tmp();
    let d = dir.path();
    let (port, http) = (free_port(), free_port());
    let Some(pebble) = Pebble::start_with(d, port, http) else {
        return;
    };
    let state = d.join("state");
    let port_s = port.to_string();
    let http_s = http.to_string();
    let mut args = pebble.relay_args(&state, &port_s);
    let at = args.iter().position(|a| *a == "--acme-http-port").unwrap();
    args[at + 1] = &http_s;
    args.extend(["--acme-challenge", "http-01"]);
    let relay = LiveRelay::start_env(&rdb, &args, &[("HOOKSCOPE_LOG", "hookscope::relay=debug")]);
    let ev = relay.cert_event(&["obtained", "failed"], Duration::from_secs(90));
    assert_eq!(
        ev["state"],
        "obtained",
        "{ev}; pebble: {}",
        pebble.log.lock().unwrap()
    );
    let log = relay.stderr.lock().unwrap().clone();
    assert!(
        !log.contains("TLS-ALPN-01"),
        "validated over HTTP-01 only: {log}"
    );
    let root = pebble.root(d);
    served_leaf(&relay.addr, "localhost", &root).unwrap();
    // Anything but a challenge on port 80 is sent to https, method and body kept (308).
    let r = raw_request(
        &format!("127.0.0.1:{http}"),
        b"POST /c/abc/hook?x=1 HTTP/1.1\r\nHost: localhost:80\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 308);
    assert!(
        r.head
            .to_ascii_lowercase()
            .contains("location: https://localhost/c/abc/hook?x=1"),
        "{}",
        r.head
    );
    // With http-01 asked for and port 80 taken, the relay refuses to start, in words.
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = blocker.local_addr().unwrap().port().to_string();
    let (_dir2, rdb2) = tmp();
    let o = run(&[
        "relay",
        "--db",
        rdb2.to_str().unwrap(),
        "--port",
        "0",
        "--acme",
        "localhost",
        "--acme-email",
        "dev@example.com",
        "--acme-directory",
        &pebble.directory,
        "--acme-challenge",
        "http-01",
        "--acme-http-port",
        &taken,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot be bound"), "{}", stderr(&o));
}

#[test]
fn a_generated_admin_tokens_hash_is_kept_in_the_state_folder_when_one_is_given() {
    let (dir, rdb) = tmp();
    let state = dir.path().join("state");
    let relay = LiveRelay::start(
        &rdb,
        &["--admin-api", "--state-dir", state.to_str().unwrap()],
    );
    let mut shown = relay.lines.recv_timeout(Duration::from_secs(10)).unwrap();
    while shown["event"] != "admin_token" {
        shown = relay.lines.recv_timeout(Duration::from_secs(10)).unwrap();
    }
    let admin = shown["token"].as_str().unwrap().to_string();
    let kept = std::fs::read_to_string(state.join("admin-token.sha256")).unwrap();
    assert!(!kept.contains(&admin) && kept.trim().len() == 64, "{kept}");
    assert!(
        !dir.path().join("relay.db.admin-token.sha256").exists(),
        "not beside the database when a state folder is given"
    );
}

/// A laptop (`listen --relay`, its database in `d`) trusting `root` for the relay's HTTPS,
/// connected to channel `url` with its read `token`.
fn laptop_trusting(d: &Path, url: &str, token: &str, root: &Path) -> Listener {
    let db = d.join("laptop.db");
    let listen = Listener::start(
        &db,
        &[
            "--relay",
            url,
            "--relay-token",
            token,
            "--secret",
            SECRET,
            "--ca-cert",
            root.to_str().unwrap(),
        ],
    );
    crate::relay::wait_relay_state(&listen, "connected");
    listen
}
