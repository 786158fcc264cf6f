//! The relay through the real binary: ingest over real sockets, the stream read by the
//! library's relay client, crashes by SIGKILL, TLS with a certificate made here.
//!
//! The tests that are about the relay's log run twice, once per backend (`on_sqlite::…`,
//! `on_jetstream::…` against a real `nats-server` with `sync_interval: always`): one suite,
//! two backends. What only a cluster can show is in `tests/it/nats.rs`.

use crate::common::*;
use hookscope::relay::client::{self, ClientConfig, ClientEvent, ConnState, ReadToken, RelayUrl};
use hookscope::relay::protocol::Delivery;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `hookscope relay --json`, killed on drop.
pub struct Relay {
    pub child: Child,
    pub url: String,
    pub addr: String,
}

/// Where a test's relay keeps its log, and a folder for the rest (laptop databases, files).
pub struct Store {
    pub dir: tempfile::TempDir,
    /// The flags that name the log, for `relay channel ...` and `relay`.
    pub admin: Vec<String>,
    /// More flags for `relay` itself.
    pub serve: Vec<String>,
    _nats: Option<crate::nats::NatsServer>,
}

impl Store {
    pub fn sqlite() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("relay.db").to_str().unwrap().to_string();
        Store {
            dir,
            admin: vec!["--db".into(), db],
            serve: vec![],
            _nats: None,
        }
    }

    /// The log on one NATS server (kept running as long as the store).
    pub fn on_nats(server: crate::nats::NatsServer) -> Store {
        Store {
            dir: tempfile::tempdir().unwrap(),
            admin: vec!["--store".into(), server.url.clone()],
            serve: vec!["--nats-monitor".into(), server.monitor.clone()],
            _nats: Some(server),
        }
    }

    /// The log on a NATS cluster the caller runs: `urls` comma-separated, three replicas.
    pub fn on_cluster(urls: &str) -> Store {
        Store {
            dir: tempfile::tempdir().unwrap(),
            admin: vec![
                "--store".into(),
                urls.to_string(),
                "--replicas".into(),
                "3".into(),
            ],
            serve: vec![],
            _nats: None,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The folder a NATS server this store runs keeps its config and JetStream files in.
    pub fn nats_dir(&self) -> Option<&Path> {
        self._nats.as_ref().map(|n| n.dir())
    }

    fn admin_args(&self) -> Vec<&str> {
        self.admin.iter().map(String::as_str).collect()
    }
}

/// The two backends every log test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    JetStream,
}

impl Backend {
    /// A fresh store on this backend; `None` when no nats-server is here (the test skips).
    pub fn store(self) -> Option<Store> {
        match self {
            Backend::Sqlite => Some(Store::sqlite()),
            Backend::JetStream => crate::nats::NatsServer::start(true).map(Store::on_nats),
        }
    }
}

/// Runs each named `fn(Store)` once on SQLite and once on JetStream.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[test]
            fn $name() {
                super::$name(super::Backend::Sqlite.store().unwrap())
            })*
        }
        mod on_jetstream {
            $(#[test]
            fn $name() {
                if let Some(store) = super::Backend::JetStream.store() {
                    super::$name(store)
                }
            })*
        }
    };
}

on_both_backends!(
    deliveries_arrive_byte_for_byte_in_order_and_resume_after_the_position,
    wrong_token_401_unknown_channel_404_rate_limit_429,
    body_over_the_limit_gets_413_and_what_arrived_is_relayed,
    sigkill_while_sending_loses_no_answered_delivery,
    listen_relay_takes_deliveries_through_the_same_intake_byte_for_byte,
    offline_laptop_catches_up_exactly_once_even_when_killed_mid_catch_up,
    relay_killed_while_sending_every_answered_delivery_reaches_the_laptop,
    two_laptops_on_one_channel_each_receive_every_delivery,
    retention_deletes_old_deliveries_and_a_late_subscriber_is_told_of_the_gap,
    a_channel_with_a_secret_records_the_verdict_and_can_refuse_bad_signatures,
    the_token_is_in_no_log_and_no_file,
    a_channel_remembers_its_64_latest_consumers,
);

impl Relay {
    pub fn start(db: &Path, extra: &[&str]) -> Relay {
        Relay::start_with_env(db, extra, &[])
    }

    pub fn start_with_env(db: &Path, extra: &[&str], env: &[(&str, &str)]) -> Relay {
        let store = ["--db", db.to_str().unwrap()];
        Relay::launch(&store, extra, env)
    }

    /// A relay on `store`'s log.
    pub fn start_on(store: &Store, extra: &[&str]) -> Relay {
        Relay::start_on_with_env(store, extra, &[])
    }

    pub fn start_on_with_env(store: &Store, extra: &[&str], env: &[(&str, &str)]) -> Relay {
        let mut args = store.admin_args();
        args.extend(store.serve.iter().map(String::as_str));
        Relay::launch(&args, extra, env)
    }

    fn launch(store: &[&str], extra: &[&str], env: &[(&str, &str)]) -> Relay {
        let port: &[&str] = if extra.contains(&"--port") {
            &[]
        } else {
            &["--port", "0"]
        };
        let mut child = bin()
            .args(["relay", "--json", "--heartbeat-ms", "200"])
            .args(store)
            .args(port)
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn relay");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let mut r = BufReader::new(out);
            let _ = r.read_line(&mut first);
            let _ = tx.send(first);
            // Keep draining so the relay never blocks on a full pipe.
            let _ = std::io::copy(&mut r, &mut std::io::sink());
        });
        let first = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) if !l.is_empty() => l,
            _ => {
                let _ = child.kill();
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("relay did not start: {err}");
            }
        };
        let v: serde_json::Value = serde_json::from_str(&first).expect("listening line");
        assert_eq!(v["event"], "listening");
        let url = v["url"].as_str().unwrap().to_string();
        let addr = url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_string();
        Relay { child, url, addr }
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `relay channel add --json`: (id, token).
pub fn add_channel(db: &Path) -> (String, String) {
    add_channel_with(&["--db", db.to_str().unwrap()])
}

/// `relay channel add --json` on `store`'s log: (id, token).
pub fn add_channel_on(store: &Store) -> (String, String) {
    add_channel_with(&store.admin_args())
}

fn add_channel_with(store: &[&str]) -> (String, String) {
    let mut args = vec!["relay", "channel", "add", "--json"];
    args.extend_from_slice(store);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["path"], format!("/c/{}", v["channel"].as_str().unwrap()));
    (
        v["channel"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    )
}

/// What the client reported besides deliveries, in order.
#[derive(Debug, PartialEq)]
enum Seen {
    State(ConnState),
    Gap(u64, u64),
}

/// Reads the channel with the library client until `n` deliveries arrived.
fn stream(
    url: &str,
    token: &str,
    after: u64,
    n: usize,
    ca: Option<&Path>,
) -> Result<(Vec<Delivery>, Vec<Seen>), client::ClientError> {
    let (got, states, end) = stream_for(url, token, after, n, ca, Duration::from_secs(30));
    assert!(
        got.len() >= n || end.is_some(),
        "only {} of {n} deliveries within 30 s; states {states:?}",
        got.len()
    );
    match end {
        Some(Err(e)) => Err(e),
        _ => Ok((got, states)),
    }
}

/// Reads until `n` deliveries arrived, the client ended, or `limit` passed.
#[allow(clippy::type_complexity)]
fn stream_for(
    url: &str,
    token: &str,
    after: u64,
    n: usize,
    ca: Option<&Path>,
    limit: Duration,
) -> (
    Vec<Delivery>,
    Vec<Seen>,
    Option<Result<(), client::ClientError>>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cfg = ClientConfig {
            url: RelayUrl::parse(url).unwrap(),
            token: ReadToken::new(token).unwrap(),
            consumer: "test".into(),
            tls: hookscope::tls::client_config(ca).unwrap(),
            egress: hookscope::egress::Egress::direct(),
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_millis(500),
            max_body: 10 * 1024 * 1024,
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let task = tokio::spawn(client::run(cfg, after, tx));
        let mut got = Vec::new();
        let mut states = Vec::new();
        let mut closed = false;
        let deadline = tokio::time::sleep(limit);
        tokio::pin!(deadline);
        while got.len() < n {
            tokio::select! {
                ev = rx.recv() => match ev {
                    Some(ClientEvent::Delivery(d, reply)) => {
                        got.push(*d);
                        let _ = reply.send(Ok(()));
                    }
                    Some(ClientEvent::State(s)) => states.push(Seen::State(s)),
                    Some(ClientEvent::Gap(g)) => states.push(Seen::Gap(g.from, g.to)),
                    None => { closed = true; break }
                },
                _ = &mut deadline => break,
            }
        }
        drop(rx);
        let end = if closed || task.is_finished() {
            Some(task.await.unwrap())
        } else {
            task.abort();
            None
        };
        (got, states, end)
    })
}

pub(crate) fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    (dir, db)
}

/// `relay channel list --json` on the relay's log: its first channel.
pub fn channel_list(store: &Store) -> serde_json::Value {
    let mut args = vec!["relay", "channel", "list", "--json"];
    args.extend(store.admin_args());
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A relay serving TLS with a certificate made here for `names`, and that certificate's file.
fn tls_relay(dir: &Path, db: &Path, names: &[&str]) -> (Relay, PathBuf) {
    tls_relay_with(dir, db, names, false)
}

/// Like [`tls_relay`]; with `ca` the certificate is marked `CA:TRUE`, as the one
/// `openssl req -x509 -newkey rsa:2048 -nodes ...` makes.
fn tls_relay_with(dir: &Path, db: &Path, names: &[&str], ca: bool) -> (Relay, PathBuf) {
    let (cert_pem, key_pem) = make_cert(dir, "relay", names, ca);
    let relay = Relay::start(
        db,
        &[
            "--tls-cert",
            cert_pem.to_str().unwrap(),
            "--tls-key",
            key_pem.to_str().unwrap(),
        ],
    );
    (relay, cert_pem)
}

/// A self-signed certificate for `names` and its key, as `NAME.pem` and `NAME.key` in `dir`.
pub(crate) fn make_cert(dir: &Path, name: &str, names: &[&str], ca: bool) -> (PathBuf, PathBuf) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    if ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let cert_pem = dir.join(format!("{name}.pem"));
    let key_pem = dir.join(format!("{name}.key"));
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, key.serialize_pem()).unwrap();
    (cert_pem, key_pem)
}

fn deliveries_arrive_byte_for_byte_in_order_and_resume_after_the_position(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &[]);
    let bodies: Vec<Vec<u8>> = vec![
        b"{\n  \"score\": 1.0,\n  \"event_type\": \"AML_SCREENING\"\n}".to_vec(),
        b"{\"x\":\"\xff\xfe not utf-8\"}".to_vec(),
        VECTOR_BODY.as_bytes().to_vec(),
    ];
    for (i, body) in bodies.iter().enumerate() {
        let sig = sign(SECRET, now(), body);
        let r = post(
            &relay.addr,
            &format!("/c/{id}/dataspike/hook?n={i}&x=%20"),
            &[
                ("X-Webhook-Signature", &sig),
                ("X-Dup", "one"),
                ("x-dup", "two"),
            ],
            body,
        );
        assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["id"], i as u64 + 1);
    }
    let url = format!("{}/c/{id}", relay.url);
    let (got, states) = stream(&url, &token, 0, 3, None).unwrap();
    assert!(
        states.contains(&Seen::State(ConnState::Connected { backlog: 3 })),
        "{states:?}"
    );
    for (i, d) in got.iter().enumerate() {
        assert_eq!(d.seq, i as u64 + 1);
        assert_eq!(d.body, bodies[i]);
        assert_eq!(d.method, "POST");
        assert_eq!(d.path, "/dataspike/hook");
        assert_eq!(d.query.as_deref(), Some(format!("n={i}&x=%20").as_str()));
        let names: Vec<&[u8]> = d.headers.iter().map(|(n, _)| n.as_slice()).collect();
        assert_eq!(
            names[1..4],
            [&b"X-Webhook-Signature"[..], b"X-Dup", b"x-dup"]
        );
        assert_eq!(d.headers[3].1, b"two");
        assert!(d.peer.as_deref().unwrap().starts_with("127.0.0.1:"));
    }
    // From position 2, only the third.
    let (got, _) = stream(&url, &token, 2, 1, None).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].seq, 3);
}

fn wrong_token_401_unknown_channel_404_rate_limit_429(store: Store) {
    let (id, _token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &["--channel-rate", "1"]);
    // Wrong token: 401 with nothing streamed, and the client stops with an error that names
    // the fix and not the token.
    let raw = format!(
        "GET /r/{id}/events?after=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hsr_wrong\r\nConnection: close\r\n\r\n"
    );
    let r = raw_request(&relay.addr, raw.as_bytes());
    assert_eq!(r.status, 401);
    assert!(!r.head.contains("text/event-stream"));
    let e = stream(&format!("{}/c/{id}", relay.url), "hsr_wrong", 0, 1, None).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("401") && e.hint() == Some(hookscope::hint::Hint::RelayToken),
        "{text}"
    );
    assert!(!text.contains("hsr_wrong"));

    // Unknown channel: 404 for ingest and stream, the same answer as any unknown path.
    let other = "BBBBBBBBBBBBBBBBBBBBBB";
    let r = post(&relay.addr, &format!("/c/{other}/x"), &[], b"{}");
    assert_eq!(r.status, 404);
    let r = post(&relay.addr, "/nothing", &[], b"{}");
    assert_eq!(r.status, 404);

    // Channel rate 1/s with a burst of 2: the third at once is 429 with Retry-After.
    let statuses: Vec<u16> = (0..3)
        .map(|_| post(&relay.addr, &format!("/c/{id}/h"), &[], b"{}").status)
        .collect();
    assert_eq!(statuses[..2], [200, 200]);
    let r = post(&relay.addr, &format!("/c/{id}/h"), &[], b"{}");
    assert_eq!(r.status, 429, "{statuses:?}");
    assert!(
        r.head.to_ascii_lowercase().contains("retry-after: 1"),
        "{}",
        r.head
    );
}

fn body_over_the_limit_gets_413_and_what_arrived_is_relayed(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &["--max-body", "1KiB"]);
    let r = post(&relay.addr, &format!("/c/{id}/big"), &[], &[b'a'; 5000]);
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["id"], 1);
    let (got, _) = stream(&format!("{}/c/{id}", relay.url), &token, 0, 1, None).unwrap();
    assert_eq!(got[0].body.len(), 1024);
    assert!(got[0].body_size > 1024);
    assert_eq!(got[0].rejected.as_ref().unwrap().status, 413);
}

fn sigkill_while_sending_loses_no_answered_delivery(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &["--channel-rate", "0", "--ip-rate", "0"]);
    let addr = relay.addr.clone();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let mut senders = Vec::new();
    for t in 0..4 {
        let (addr, id, tx) = (addr.clone(), id.clone(), tx.clone());
        senders.push(std::thread::spawn(move || {
            for i in 0.. {
                let body = format!("{{\"sender\":{t},\"n\":{i}}}").into_bytes();
                let ok = std::panic::catch_unwind(|| {
                    post(&addr, &format!("/c/{id}/h"), &[], &body).status
                });
                match ok {
                    Ok(200) => {
                        if tx.send(body).is_err() {
                            return;
                        }
                    }
                    _ => return,
                }
            }
        }));
    }
    drop(tx);
    // Let some be answered, then kill mid-stream.
    let mut answered = Vec::new();
    while answered.len() < 60 {
        answered.push(rx.recv_timeout(Duration::from_secs(30)).unwrap());
    }
    relay.kill();
    for s in senders {
        let _ = s.join();
    }
    answered.extend(rx.try_iter());
    let relay = Relay::start_on(&store, &[]);
    let url = format!("{}/c/{id}", relay.url);
    let last: u64 = channel_list(&store)["last_seq"].as_u64().unwrap();
    assert!(last as usize >= answered.len());
    let (got, _) = stream(&url, &token, 0, last as usize, None).unwrap();
    let bodies: std::collections::HashSet<Vec<u8>> =
        got.into_iter().map(|d| d.request.body).collect();
    for b in &answered {
        assert!(
            bodies.contains(b),
            "answered but lost: {}",
            String::from_utf8_lossy(b)
        );
    }
}

#[test]
fn tls_relay_with_a_self_signed_certificate() {
    let (dir, db) = tmp();
    let (id, token) = add_channel(&db);
    let (relay, cert_pem) = tls_relay(dir.path(), &db, &["localhost", "127.0.0.1"]);
    assert!(relay.url.starts_with("https://"));
    // Send over TLS with the library's forwarder (it speaks https with --ca-cert).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let port = relay.addr.rsplit(':').next().unwrap();
    let target: http::Uri = format!("https://localhost:{port}/c/{id}/hook")
        .parse()
        .unwrap();
    let fwd = hookscope::forward::Forwarder::with_tls(
        Duration::from_secs(10),
        hookscope::tls::client_config(Some(&cert_pem)).unwrap(),
    );
    let out = hookscope::forward::Outgoing {
        method: "POST".into(),
        headers: vec![(b"Content-Type".to_vec(), b"application/json".to_vec())],
        body: bytes::Bytes::from_static(b"{\"tls\": true}"),
    };
    let (res, _) = rt.block_on(fwd.send(&target, &out));
    assert_eq!(res.unwrap().status, 200);
    let url = format!("https://localhost:{port}/c/{id}");
    let (got, _) = stream(&url, &token, 0, 1, Some(&cert_pem)).unwrap();
    assert_eq!(got[0].body, b"{\"tls\": true}");
    // Without the CA the client does not trust it, and stops: no retry can fix that.
    let (got, states, end) = stream_for(&url, &token, 0, 1, None, Duration::from_secs(10));
    assert!(
        got.is_empty(),
        "an untrusted certificate must not be accepted"
    );
    assert!(
        matches!(end, Some(Err(client::ClientError::Untrusted { .. }))),
        "{end:?} {states:?}"
    );
    let refused = states.iter().find_map(|s| match s {
        Seen::State(ConnState::Refused { reason, hint }) => {
            assert_eq!(*hint, Some(hookscope::hint::Hint::TrustCert));
            Some(reason.clone())
        }
        _ => None,
    });
    let reason = refused.unwrap_or_else(|| panic!("no refusal in {states:?}"));
    assert!(
        reason.contains("the relay's certificate is not signed by a CA trusted here"),
        "{reason}"
    );
    assert!(
        !states
            .iter()
            .any(|s| matches!(s, Seen::State(ConnState::Reconnecting { .. }))),
        "{states:?}"
    );
}

// ---- listen --relay: the same intake as a local delivery ----

/// The next capture line of `listen --json`, skipping relay state lines.
pub(crate) fn next_capture(l: &Listener) -> serde_json::Value {
    loop {
        let v = l.next_line();
        if v.get("event").is_none() {
            return v;
        }
    }
}

/// The next relay state line whose state is `state`.
pub(crate) fn wait_relay_state(l: &Listener, state: &str) -> serde_json::Value {
    loop {
        let v = l.next_line();
        if v["event"] == "relay" && v["state"] == state {
            return v;
        }
    }
}

fn listen_relay(db: &Path, url: &str, token: &str, extra: &[&str]) -> Listener {
    let mut args = vec!["--relay", url, "--relay-token", token, "--secret", SECRET];
    args.extend_from_slice(extra);
    Listener::start(db, &args)
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..600 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

fn signed_post(addr: &str, path: &str, body: &[u8], extra: &[(&str, &str)]) -> u16 {
    let sig = sign(SECRET, now(), body);
    let mut headers = vec![("X-Webhook-Signature", sig.as_str())];
    headers.extend_from_slice(extra);
    post(addr, path, &headers, body).status
}

fn listen_relay_takes_deliveries_through_the_same_intake_byte_for_byte(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &[]);
    let app = TestApp::start(Behaviour::default());
    let db = store.path().join("laptop.db");
    let url = format!("{}/c/{id}", relay.url);
    let listen = listen_relay(&db, &url, &token, &["--forward-to", &app.url()]);
    let state = wait_relay_state(&listen, "connected");
    assert_eq!(state["url"], url);

    let mut big = b"{\"event_type\":\"DOCVER\",\"blob\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'x', 5 * 1024 * 1024));
    big.extend(b"\"}");
    let bodies: Vec<Vec<u8>> = vec![
        b"{\n  \"id\": \"a\",\n  \"score\": 1.0,\n  \"event_type\": \"AML_SCREENING\"\n}\n"
            .to_vec(),
        b"{\"id\":\"b\",\"name\":\"caf\xe9\"}".to_vec(),
        VECTOR_BODY.as_bytes().to_vec(),
        big,
    ];
    for (i, body) in bodies.iter().enumerate() {
        let status = signed_post(
            &relay.addr,
            &format!("/c/{id}/dataspike/hook?n={i}"),
            body,
            &[("X-Dup", "1"), ("X-Dup", "2")],
        );
        assert_eq!(status, 200);
    }
    for _ in &bodies {
        let c = next_capture(&listen);
        assert_eq!(c["source"], "relay", "{c}");
        assert_eq!(c["verdict"]["status"], "valid", "{c}");
    }
    wait_until("the app to get every delivery", || {
        app.received().len() == bodies.len()
    });
    let got = app.received();
    for (i, body) in bodies.iter().enumerate() {
        // Forwards run side by side (--forward-concurrency), so the app may see them in any
        // order; each is found by its query.
        let uri = format!("/dataspike/hook?n={i}");
        let sent: Vec<_> = got.iter().filter(|r| r.uri == uri).collect();
        assert_eq!(sent.len(), 1, "delivery {i} reached the app once");
        let sent = sent[0];
        assert_eq!(&sent.body, body, "delivery {i} reached the app changed");
        let dup: Vec<_> = sent.headers.iter().filter(|(n, _)| n == "x-dup").collect();
        assert_eq!(dup.len(), 2);
        assert!(sent
            .header("x-webhook-signature")
            .unwrap()
            .starts_with("t="));
    }
    // Stored with its relay origin, headers in order with exact names, replayable.
    let list = list_json(&db, &[]);
    assert_eq!(list.len(), bodies.len());
    let first = list.last().unwrap()["id"].as_i64().unwrap();
    let shown = show_json(&db, first);
    assert_eq!(shown["relay"]["seq"], 1);
    assert_eq!(shown["relay"]["channel"], id.as_str());
    assert_eq!(b64(shown["body_base64"].as_str().unwrap()), bodies[0]);
    let names: Vec<&str> = shown["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect();
    assert!(
        names.windows(2).any(|w| w == ["X-Dup", "X-Dup"]),
        "{names:?}"
    );
    let o = run(&[
        "replay",
        &first.to_string(),
        "--to",
        &app.url(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    wait_until("the replay", || app.received().len() == bodies.len() + 1);
    assert_eq!(app.received()[bodies.len()].body, bodies[0]);
}

/// Event ids of the stored captures, each must be there exactly once.
fn stored_event_ids(db: &Path) -> Vec<String> {
    list_json(db, &["--limit", "100000"])
        .iter()
        .map(|c| c["event_id"].as_str().unwrap_or("").to_string())
        .collect()
}

fn offline_laptop_catches_up_exactly_once_even_when_killed_mid_catch_up(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &["--channel-rate", "0", "--ip-rate", "0"]);
    let db = store.path().join("laptop.db");
    let url = format!("{}/c/{id}", relay.url);
    let send = |range: std::ops::Range<usize>| {
        for i in range {
            let body = format!("{{\"id\":\"ev-{i}\",\"event_type\":\"AML_SCREENING\",\"n\":{i}}}");
            assert_eq!(
                signed_post(&relay.addr, &format!("/c/{id}/h"), body.as_bytes(), &[]),
                200
            );
        }
    };
    // Online: two arrive.
    let listen = listen_relay(&db, &url, &token, &[]);
    send(0..2);
    next_capture(&listen);
    next_capture(&listen);
    assert!(listen.stop().success());
    // Offline: 200 more, each answered 200 by the relay.
    send(2..202);
    // Back: killed as soon as the catch-up has begun, then started again.
    let listen = listen_relay(&db, &url, &token, &[]);
    next_capture(&listen);
    let pid = listen.child.id().to_string();
    std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    drop(listen);
    let part = stored_event_ids(&db).len();
    let listen = listen_relay(&db, &url, &token, &[]);
    wait_until("all 202 stored", || stored_event_ids(&db).len() >= 202);
    std::thread::sleep(Duration::from_millis(300));
    let ids = stored_event_ids(&db);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(
        ids.len(),
        202,
        "stored {} (after the kill: {part})",
        ids.len()
    );
    assert_eq!(unique.len(), 202, "a delivery was stored twice");
    drop(listen);
}

fn relay_killed_while_sending_every_answered_delivery_reaches_the_laptop(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &["--channel-rate", "0", "--ip-rate", "0"]);
    let port = relay.addr.rsplit(':').next().unwrap().to_string();
    let db = store.path().join("laptop.db");
    let url = format!("{}/c/{id}", relay.url);
    let listen = listen_relay(&db, &url, &token, &[]);
    wait_relay_state(&listen, "connected");
    let (tx, rx) = mpsc::channel::<String>();
    let sender = {
        let (addr, id) = (relay.addr.clone(), id.clone());
        std::thread::spawn(move || {
            for i in 0.. {
                let body = format!("{{\"id\":\"k-{i}\"}}");
                let r = std::panic::catch_unwind(|| {
                    signed_post(&addr, &format!("/c/{id}/h"), body.as_bytes(), &[])
                });
                match r {
                    Ok(200) => {
                        if tx.send(format!("k-{i}")).is_err() {
                            return;
                        }
                    }
                    _ => return,
                }
            }
        })
    };
    let mut answered = Vec::new();
    while answered.len() < 40 {
        answered.push(rx.recv_timeout(Duration::from_secs(30)).unwrap());
    }
    relay.kill();
    let _ = sender.join();
    answered.extend(rx.try_iter());
    // The same port, so the laptop reconnects by itself.
    let relay = Relay::start_on(&store, &["--port", &port]);
    wait_until("every answered delivery at the laptop", || {
        let stored: std::collections::HashSet<String> = stored_event_ids(&db).into_iter().collect();
        answered.iter().all(|a| stored.contains(a))
    });
    drop(relay);
    drop(listen);
}

#[test]
fn listen_with_a_wrong_token_says_so_without_printing_it() {
    let (dir, rdb) = tmp();
    let (id, _token) = add_channel(&rdb);
    let relay = Relay::start(&rdb, &[]);
    let db = dir.path().join("laptop.db");
    let url = format!("{}/c/{id}", relay.url);
    let listen = listen_relay(&db, &url, "hsr_not_the_token", &[]);
    let v = wait_relay_state(&listen, "refused");
    let text = v.to_string();
    assert!(
        text.contains("401") && text.contains("--relay-token"),
        "{text}"
    );
    assert!(!text.contains("hsr_not_the_token"));
    // The local port still serves.
    let r = post(&listen.addr, "/local", &[], b"{}");
    assert_eq!(r.status, 200);
    // No token at all is a usage error naming the flag and the variable.
    let o = run(&["listen", "--relay", &url, "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("HOOKSCOPE_RELAY_TOKEN"),
        "{}",
        stderr(&o)
    );
    let o = run(&["listen", "--relay", "https://x/nope", "--relay-token", "t"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--relay"), "{}", stderr(&o));
}

#[test]
fn listen_reaches_a_tls_relay_with_a_self_signed_certificate_via_ca_cert() {
    let (dir, rdb) = tmp();
    let (id, token) = add_channel(&rdb);
    let (relay, cert_pem) = tls_relay(dir.path(), &rdb, &["localhost"]);
    let port = relay.addr.rsplit(':').next().unwrap().to_string();
    let url = format!("https://localhost:{port}/c/{id}");
    let db = dir.path().join("laptop.db");
    let listen = listen_relay(
        &db,
        &url,
        &token,
        &["--ca-cert", cert_pem.to_str().unwrap()],
    );
    wait_relay_state(&listen, "connected");
    // The sender reaches the relay over TLS too (send --to https with --ca-cert).
    let o = run(&[
        "send",
        "--event",
        "AML_SCREENING",
        "--to",
        &format!("{url}/hook"),
        "--secret",
        SECRET,
        "--ca-cert",
        cert_pem.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = next_capture(&listen);
    assert_eq!(c["source"], "relay");
    assert_eq!(c["verdict"]["status"], "valid");
    assert_eq!(c["path"], "/hook");
}

/// Issue 21: the certificate everyone makes first is `CA:TRUE`; given to `--ca-cert`, it is
/// trusted as exactly what the relay presents.
#[test]
fn listen_trusts_a_ca_true_relay_certificate_given_to_ca_cert() {
    let (dir, rdb) = tmp();
    let (id, token) = add_channel(&rdb);
    let (relay, cert_pem) = tls_relay_with(dir.path(), &rdb, &["localhost", "127.0.0.1"], true);
    let port = relay.addr.rsplit(':').next().unwrap().to_string();
    let url = format!("https://localhost:{port}/c/{id}");
    let ca = cert_pem.to_str().unwrap();
    let listen = listen_relay(
        &dir.path().join("laptop.db"),
        &url,
        &token,
        &["--ca-cert", ca],
    );
    wait_relay_state(&listen, "connected");
    // The sender reaches it by IP with the same file (the forwarder's client).
    let o = run(&[
        "send",
        "--event",
        "AML_SCREENING",
        "--to",
        &format!("https://127.0.0.1:{port}/c/{id}/hook"),
        "--secret",
        SECRET,
        "--ca-cert",
        ca,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = next_capture(&listen);
    assert_eq!(c["source"], "relay");
    assert_eq!(c["path"], "/hook");
}

/// A certificate that is not the relay's, or not for its name: the client stops and says why
/// in words, with the flag that fixes it.
#[test]
fn listen_refuses_a_relay_certificate_it_was_not_given_in_plain_words() {
    let (dir, rdb) = tmp();
    let (id, token) = add_channel(&rdb);
    let (relay, _cert) = tls_relay_with(dir.path(), &rdb, &["localhost"], true);
    let port = relay.addr.rsplit(':').next().unwrap().to_string();
    let url = format!("https://localhost:{port}/c/{id}");
    let (other, _) = make_cert(dir.path(), "other", &["localhost"], true);
    let other_s = other.to_str().unwrap();
    let listen = listen_relay(
        &dir.path().join("a.db"),
        &url,
        &token,
        &["--ca-cert", other_s],
    );
    let v = wait_relay_state(&listen, "refused");
    let text = v["detail"].as_str().unwrap();
    assert!(
        text.contains("the relay's certificate is a CA certificate (CA:TRUE) that is not in")
            && text.contains(other_s)
            && text.contains("--ca-cert"),
        "{text}"
    );
    for debug in ["Other(", "CaUsedAsEndEntity", "UnknownIssuer"] {
        assert!(!text.contains(debug), "{text}");
    }
    drop(listen);

    // Without --ca-cert: the same cause, and the flag to pass.
    let listen = listen_relay(&dir.path().join("b.db"), &url, &token, &[]);
    let text = wait_relay_state(&listen, "refused")["detail"].to_string();
    assert!(
        text.contains("not trusted here") && text.contains("pass --ca-cert"),
        "{text}"
    );
    drop(listen);
    drop(relay);

    // The right certificate for another name.
    let (rdb2, db) = (dir.path().join("relay2.db"), dir.path().join("c.db"));
    let (id, token) = add_channel(&rdb2);
    let (relay, cert) = tls_relay_with(dir.path(), &rdb2, &["other.example"], true);
    let port = relay.addr.rsplit(':').next().unwrap().to_string();
    let url = format!("https://localhost:{port}/c/{id}");
    let listen = listen_relay(&db, &url, &token, &["--ca-cert", cert.to_str().unwrap()]);
    let text = wait_relay_state(&listen, "refused")["detail"].to_string();
    assert!(
        text.contains("the relay's certificate is for 'other.example', not 'localhost'"),
        "{text}"
    );
    // The local port still serves.
    assert_eq!(post(&listen.addr, "/local", &[], b"{}").status, 200);
}

fn two_laptops_on_one_channel_each_receive_every_delivery(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &[]);
    let url = format!("{}/c/{id}", relay.url);
    let (db_a, db_b) = (store.path().join("a.db"), store.path().join("b.db"));
    let a = listen_relay(&db_a, &url, &token, &[]);
    let b = listen_relay(&db_b, &url, &token, &[]);
    for i in 0..3 {
        let body = format!("{{\"id\":\"two-{i}\"}}");
        assert_eq!(
            signed_post(&relay.addr, &format!("/c/{id}/h"), body.as_bytes(), &[]),
            200
        );
    }
    for l in [&a, &b] {
        for _ in 0..3 {
            assert_eq!(next_capture(l)["source"], "relay");
        }
    }
    // Each acknowledged under its own name.
    wait_until("both acks", || {
        let v = channel_list(&store);
        let c = v["consumers"].as_array().unwrap();
        c.len() == 2 && c.iter().all(|c| c["acked"] == 3)
    });
}

fn retention_deletes_old_deliveries_and_a_late_subscriber_is_told_of_the_gap(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &["--retention", "1s"]);
    // Two different requests: the same bytes twice within the duplicate window would be one
    // delivery on JetStream (a sender's retry).
    for body in [&b"{\"n\":1}"[..], b"{\"n\":2}"] {
        assert_eq!(
            post(&relay.addr, &format!("/c/{id}/old"), &[], body).status,
            200
        );
    }
    wait_until("retention to delete both", || {
        let v = channel_list(&store);
        v["stored"] == 0 && v["pruned_upto"] == 2
    });
    assert_eq!(
        post(&relay.addr, &format!("/c/{id}/new"), &[], b"{}").status,
        200
    );
    let (got, states) = stream(&format!("{}/c/{id}", relay.url), &token, 0, 1, None).unwrap();
    // The gap is told before the first delivery after it.
    assert!(states.contains(&Seen::Gap(1, 2)), "{states:?}");
    assert_eq!(got[0].seq, 3);
    assert_eq!(got[0].path, "/new");
}

fn a_channel_with_a_secret_records_the_verdict_and_can_refuse_bad_signatures(store: Store) {
    let mut args = vec![
        "relay",
        "channel",
        "add",
        "--json",
        "--secret",
        SECRET,
        "--reject-invalid",
    ];
    args.extend(store.admin_args());
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !stdout(&o).contains(&SECRET[6..]),
        "the secret is never printed"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (id, token) = (
        v["channel"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    );
    let relay = Relay::start_on(&store, &[]);
    // Unsigned and wrongly signed: 401, nothing stored.
    let r = post(&relay.addr, &format!("/c/{id}/h"), &[], b"{}");
    assert_eq!(r.status, 401);
    let bad = sign(
        "whsec_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        now(),
        b"{}",
    );
    let r = post(
        &relay.addr,
        &format!("/c/{id}/h"),
        &[("X-Webhook-Signature", &bad)],
        b"{}",
    );
    assert_eq!(r.status, 401);
    // Good: stored with the relay's verdict, which reaches the laptop's store.
    assert_eq!(
        signed_post(&relay.addr, &format!("/c/{id}/h"), b"{\"id\":\"ok\"}", &[]),
        200
    );
    let db = store.path().join("laptop.db");
    let listen = listen_relay(&db, &format!("{}/c/{id}", relay.url), &token, &[]);
    let c = next_capture(&listen);
    let shown = show_json(&db, c["id"].as_i64().unwrap());
    assert_eq!(
        shown["relay"]["seq"], 1,
        "the refused ones took no sequence"
    );
    assert_eq!(shown["relay"]["verdict"], "valid");
    // A bad --secret is refused at 'channel add', named by position, not echoed.
    let mut args = vec!["relay", "channel", "add", "--secret", "whsec_zz"];
    args.extend(store.admin_args());
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--secret #0"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("whsec_zz"));
}

fn the_token_is_in_no_log_and_no_file(store: Store) {
    let (id, token) = add_channel_on(&store);
    let mut relay = Relay::start_on_with_env(&store, &[], &[("HOOKSCOPE_LOG", "trace")]);
    let url = format!("{}/c/{id}", relay.url);
    assert_eq!(
        signed_post(&relay.addr, &format!("/c/{id}/h"), b"{}", &[]),
        200
    );
    let db = store.path().join("laptop.db");
    let mut listen = bin()
        .args([
            "listen",
            "--json",
            "--port",
            "0",
            "--db",
            db.to_str().unwrap(),
            "--relay",
            &url,
        ])
        .env("HOOKSCOPE_RELAY_TOKEN", &token)
        .env("HOOKSCOPE_LOG", "trace")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Polled only once listen has created and migrated its database.
    let mut out_reader = BufReader::new(listen.stdout.take().unwrap());
    let mut first = String::new();
    out_reader.read_line(&mut first).unwrap();
    wait_until("the delivery on the laptop", || {
        list_json(&db, &[]).len() == 1
    });
    std::thread::sleep(Duration::from_millis(500));
    let _ = listen.kill();
    let mut listen_out = first;
    let _ = out_reader.read_to_string(&mut listen_out);
    let mut listen_err = String::new();
    let _ = listen
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut listen_err);
    let _ = listen.wait();
    let _ = relay.child.kill();
    let mut relay_err = String::new();
    let _ = relay
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut relay_err);
    let secret_part = &token[4..];
    assert!(
        !relay_err.is_empty() && !listen_err.is_empty(),
        "trace logs were written"
    );
    for (what, text) in [
        ("relay log", relay_err),
        ("listen log", listen_err),
        ("listen output", listen_out),
    ] {
        assert!(!text.contains(secret_part), "the token is in the {what}");
    }
    // Every file of the test's folder, and on JetStream every file the NATS server keeps.
    let mut files = Vec::new();
    let mut dirs = vec![store.path().to_path_buf()];
    dirs.extend(store.nats_dir().map(Path::to_path_buf));
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 2, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes
                .windows(secret_part.len())
                .any(|w| w == secret_part.as_bytes()),
            "the token is in {}",
            file.display()
        );
    }
}

#[test]
fn binding_beyond_loopback_without_tls_warns() {
    let (_dir, db) = tmp();
    let mut relay = Relay::start(&db, &["--host", "0.0.0.0"]);
    let _ = relay.child.kill();
    let mut err = String::new();
    let _ = relay.child.stderr.take().unwrap().read_to_string(&mut err);
    assert!(
        err.contains("warning") && err.contains("without TLS") && err.contains("--tls-cert"),
        "{err}"
    );
    // A port in use is a usage error naming the port.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let o = run(&["relay", "--port", &port, "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("port {port}")),
        "{}",
        stderr(&o)
    );
}

/// `channel add` shows the token once, on its own line, and the laptop's lines read it from a
/// prompt: no command line it suggests carries the token into a shell's history.
#[test]
fn channel_add_never_suggests_a_command_line_holding_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let o = run(&["relay", "channel", "add", "--db", db.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let token = out
        .split_whitespace()
        .find(|w| w.starts_with("hsr_"))
        .expect("the token is shown");
    assert_eq!(out.matches(token).count(), 1, "{out}");
    assert!(!out.contains("HOOKSCOPE_RELAY_TOKEN=hsr_"), "{out}");
    assert!(out.contains("read -rs HOOKSCOPE_RELAY_TOKEN"), "{out}");
}

/// Acknowledgements are cumulative per consumer, and a channel remembers the 64 consumers it
/// saw last (a laptop that stopped coming is forgotten first).
fn a_channel_remembers_its_64_latest_consumers(store: Store) {
    let (id, token) = add_channel_on(&store);
    let relay = Relay::start_on(&store, &["--ip-rate", "0"]);
    assert_eq!(
        post(&relay.addr, &format!("/c/{id}/h"), &[], b"{\"n\":1}").status,
        200
    );
    let ack = |consumer: &str, upto: u64| {
        let body = format!("{{\"consumer\":\"{consumer}\",\"upto\":{upto}}}");
        let auth = format!("Bearer {token}");
        post(
            &relay.addr,
            &format!("/r/{id}/ack"),
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    // Past the channel's newest sequence is capped; backwards never moves.
    assert_eq!(ack("lap-0", 9).status, 200);
    assert_eq!(ack("lap-0", 0).status, 200);
    assert_eq!(channel_list(&store)["consumers"][0]["acked"], 1);
    for n in 1..=65 {
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(ack(&format!("lap-{n}"), 1).status, 200);
    }
    let c = channel_list(&store);
    let consumers = c["consumers"].as_array().unwrap();
    assert_eq!(consumers.len(), 64, "{c}");
    let names: Vec<&str> = consumers
        .iter()
        .map(|c| c["consumer"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"lap-0") && !names.contains(&"lap-1"),
        "{names:?}"
    );
    assert!(consumers.iter().all(|c| c["acked"] == 1), "{c}");
}

/// A channel id is given on the command line as it is, even one beginning with `-` (ids made
/// before they began with a letter or digit): the command looks for it instead of taking it
/// for a flag.
#[test]
fn a_channel_id_beginning_with_a_dash_is_an_id_not_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    add_channel(&db);
    for cmd in ["remove", "rotate-token"] {
        let o = run(&[
            "relay",
            "channel",
            cmd,
            "-Zabcdefghijklmnopqrstu",
            "--db",
            db.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert!(
            err.contains("no channel '-Zabcdefghijklmnopqrstu'"),
            "{cmd}: {err}"
        );
    }
}
