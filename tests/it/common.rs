//! Shared helpers for end-to-end tests: the real binary, real sockets, real files.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const SECRET: &str = "whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const VECTOR_T: i64 = 1_700_000_000;
pub const VECTOR_BODY: &str = r#"{"id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","webhook_id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","event_type":"AML_SCREENING","timestamp":"2023-07-18T15:32:13Z","payload":{}}"#;
pub const VECTOR_V1: &str = "ed2a117641bffc67be82b1ca58a1252d3a17ad89fdde76a3bec3eebf5f13c22a";

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookscope"));
    c.env_remove("HOOKSCOPE_SECRET")
        .env_remove("HOOKSCOPE_DB")
        // `list` fits its table to COLUMNS; tests see the full layout unless they set it.
        .env_remove("COLUMNS")
        // The local development secret is made here, never in the real home.
        .env("XDG_CONFIG_HOME", config_home())
        .env("NO_COLOR", "1");
    c
}

/// This test process's config directory (for the local development secret).
pub fn config_home() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temp config dir"))
        .path()
}

/// The local development secret the binary made under [`config_home`].
pub fn dev_secret_in(config_home: &Path) -> String {
    std::fs::read_to_string(config_home.join("hookscope/dev-secret"))
        .expect("the local development secret was made")
        .trim()
        .to_string()
}

/// Runs the binary to completion.
pub fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run hookscope")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Signs like Dataspike does, computed here independently of hookscope's own code.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let key = hex::decode(secret.trim_start_matches("whsec_")).unwrap();
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A running `hookscope listen --json` process, killed on drop.
pub struct Listener {
    pub child: Child,
    pub url: String,
    pub addr: String,
    /// The `listening` line exactly as printed.
    pub listening: String,
    lines: mpsc::Receiver<String>,
}

impl Listener {
    pub fn start(db: &Path, extra: &[&str]) -> Listener {
        Listener::start_env::<&str>(db, extra, &[])
    }

    /// Like [`Listener::start`], with extra environment variables.
    pub fn start_env<V: AsRef<std::ffi::OsStr>>(
        db: &Path,
        extra: &[&str],
        env: &[(&str, V)],
    ) -> Listener {
        let mut cmd = bin();
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .args(["listen", "--port", "0", "--json", "--db"])
            .arg(db)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn listen");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                let mut err = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("listen did not start: {err}");
            }
        };
        let v: serde_json::Value = serde_json::from_str(&first).expect("listening line is JSON");
        assert_eq!(v["event"], "listening");
        let url = v["url"].as_str().unwrap().to_string();
        let addr = url.trim_start_matches("http://").to_string();
        Listener {
            child,
            url,
            addr,
            listening: first,
            lines: rx,
        }
    }

    /// The next NDJSON line printed for a capture (forward-queue events are skipped).
    pub fn next_line(&self) -> serde_json::Value {
        loop {
            let v = self.next_event();
            if v["event"] != "forward_queue" {
                return v;
            }
        }
    }

    /// The next NDJSON line, whatever it is.
    pub fn next_event(&self) -> serde_json::Value {
        serde_json::from_str(&self.next_text()).expect("NDJSON line")
    }

    /// The next line exactly as printed.
    pub fn next_text(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a line within 30 s")
    }

    /// Sends SIGINT and waits for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.stop_ref()
    }

    /// [`Listener::stop`] without giving up the handle (to read its pipes afterwards).
    pub fn stop_ref(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        for _ in 0..300 {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("listen did not stop within 15 s of SIGINT");
    }
}

impl Listener {
    /// Sends SIGINT, waits for a clean exit, and returns the lines printed after the last one
    /// read (the final `{"event":"stopped",...}` among them).
    pub fn stop_and_rest(mut self) -> (std::process::ExitStatus, Vec<serde_json::Value>) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(15)) {
            rest.push(serde_json::from_str(&line).expect("NDJSON line"));
        }
        (self.child.wait().unwrap(), rest)
    }
}

impl Listener {
    /// Sends SIGINT, waits for a clean exit, and returns everything printed that was not read
    /// yet: stdout's remaining lines and the whole stderr, as bytes.
    pub fn stop_with_output(mut self) -> (std::process::ExitStatus, Vec<u8>, Vec<u8>) {
        // Read while it stops: a full stderr pipe would keep it from exiting.
        let mut stderr = self.child.stderr.take().unwrap();
        let err = std::thread::spawn(move || {
            let mut err = Vec::new();
            stderr.read_to_end(&mut err).unwrap();
            err
        });
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(15)) {
            rest.extend_from_slice(line.as_bytes());
            rest.push(b'\n');
        }
        (self.child.wait().unwrap(), rest, err.join().unwrap())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&self.body));
        })
    }
}

/// Writes `raw` to `addr` as is and reads the response until the server closes.
pub fn raw_request(addr: &str, raw: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(raw).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    parse_response(&buf)
}

pub fn parse_response(buf: &[u8]) -> Resp {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = buf[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Resp { status, head, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
    out
}

/// A POST with the given headers (in order) and body, `Connection: close`.
pub fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut raw = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (n, v) in headers {
        raw.push_str(&format!("{n}: {v}\r\n"));
    }
    raw.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    raw_request(addr, &raw)
}

pub fn show_json(db: &Path, id: i64) -> serde_json::Value {
    let o = run(&[
        "show",
        &id.to_string(),
        "--json",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "show failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

pub fn list_json(db: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["list", "--json", "--db", db.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "list failed: {}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// What the test app received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub uri: String,
    /// Lower-case names, in the order hyper reports them.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// How the test app answers.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub status: u16,
    pub body: &'static str,
    pub delay: Duration,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            status: 200,
            body: "{\"received\":true}",
            delay: Duration::ZERO,
        }
    }
}

/// A real HTTP server on 127.0.0.1:0 that records every request. Runs on its own thread.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    behaviour: std::sync::Arc<std::sync::Mutex<Behaviour>>,
    /// Requests being answered now, and the most at once.
    in_flight: std::sync::Arc<(
        std::sync::atomic::AtomicUsize,
        std::sync::atomic::AtomicUsize,
    )>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub fn start(behaviour: Behaviour) -> TestApp {
        use std::sync::{Arc, Mutex};
        let received = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (rec, beh) = (received.clone(), behaviour.clone());
        let in_flight = Arc::new((
            std::sync::atomic::AtomicUsize::new(0),
            std::sync::atomic::AtomicUsize::new(0),
        ));
        let flight = in_flight.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let serve = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            break;
                        };
                        let (rec, beh) = (rec.clone(), beh.clone());
                        let flight = flight.clone();
                        tokio::spawn(async move {
                            let svc = hyper::service::service_fn(
                                move |req: hyper::Request<hyper::body::Incoming>| {
                                    let (rec, beh) = (rec.clone(), beh.clone());
                                    let flight = flight.clone();
                                    async move {
                                        use http_body_util::BodyExt;
                                        use std::sync::atomic::Ordering::SeqCst;
                                        let now = flight.0.fetch_add(1, SeqCst) + 1;
                                        flight.1.fetch_max(now, SeqCst);
                                        let (parts, body) = req.into_parts();
                                        let body = body
                                            .collect()
                                            .await
                                            .map(|b| b.to_bytes().to_vec())
                                            .unwrap_or_default();
                                        rec.lock().unwrap().push(Received {
                                            method: parts.method.to_string(),
                                            uri: parts.uri.to_string(),
                                            headers: parts
                                                .headers
                                                .iter()
                                                .map(|(n, v)| {
                                                    (n.to_string(), v.as_bytes().to_vec())
                                                })
                                                .collect(),
                                            body,
                                        });
                                        let b = beh.lock().unwrap().clone();
                                        tokio::time::sleep(b.delay).await;
                                        flight.0.fetch_sub(1, SeqCst);
                                        let mut resp =
                                            hyper::Response::new(http_body_util::Full::new(
                                                bytes::Bytes::from_static(b.body.as_bytes()),
                                            ));
                                        *resp.status_mut() =
                                            hyper::StatusCode::from_u16(b.status).unwrap();
                                        resp.headers_mut().insert(
                                            "x-app",
                                            hyper::header::HeaderValue::from_static("test"),
                                        );
                                        Ok::<_, std::convert::Infallible>(resp)
                                    }
                                },
                            );
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
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        TestApp {
            addr,
            received,
            behaviour,
            in_flight,
            _shutdown: stop_tx,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The most requests the app was answering at once.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.1.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn set(&self, b: Behaviour) {
        *self.behaviour.lock().unwrap() = b;
    }
}

/// A port on which nothing listens, for the rest of the test process.
pub fn dead_port_url() -> String {
    // Bound and never listening: a connection is refused, and no other process can take the
    // port meanwhile (a freed port could be, and then the 'dead' app answered).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    // Held for the rest of the test process.
    std::mem::forget(socket);
    format!("http://{addr}")
}

/// Runs hookscope with `args` and asserts it succeeded, showing its output when it did not.
pub fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(
        o.status.success(),
        "hookscope {args:?} failed ({:?}):\n{}{}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    o
}

/// A path as the `&str` an argument list takes.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}
