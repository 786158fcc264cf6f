//! Nothing lost, nothing crashes: hostile requests, store faults, forward faults, SIGKILL.

use crate::common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn count(db: &Path) -> usize {
    list_json(db, &["--limit", "1000000"]).len()
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

fn read_all(mut s: TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    buf
}

fn status_of(buf: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(buf);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn stored(db: &Path, id: i64) -> hookscope::store::StoredCapture {
    let store = hookscope::store::Store::open(db, hookscope::store::OpenMode::Existing).unwrap();
    store.get(id).unwrap().expect("capture stored")
}

#[test]
fn hostile_requests_never_take_the_listener_down() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &["--max-body", "1KiB", "--read-timeout", "2"]);
    let healthy = |l: &Listener| {
        let r = post(&l.addr, "/health", &[], b"ok");
        assert_eq!(r.status, 200, "listener must keep serving");
        l.next_line()["id"].as_i64().unwrap()
    };

    // A 1 MiB header: refused by the HTTP layer before it is a capture.
    let mut s = connect(&l.addr);
    let huge = "a".repeat(1024 * 1024);
    let _ =
        s.write_all(format!("POST /h HTTP/1.1\r\nHost: x\r\nX-Huge: {huge}\r\n\r\n").as_bytes());
    let answer = read_all(s);
    assert!(
        matches!(status_of(&answer), Some(431) | None),
        "{:?}",
        status_of(&answer)
    );
    healthy(&l);

    // Thousands of headers.
    let mut req = String::from("POST /h HTTP/1.1\r\nHost: x\r\n");
    for i in 0..5000 {
        req.push_str(&format!("X-H{i}: v\r\n"));
    }
    req.push_str("Content-Length: 0\r\n\r\n");
    let mut s = connect(&l.addr);
    let _ = s.write_all(req.as_bytes());
    let answer = read_all(s);
    assert!(matches!(status_of(&answer), Some(431) | None));
    healthy(&l);

    // Many (but accepted) headers are all stored, in order.
    let mut req = String::from("POST /many HTTP/1.1\r\nHost: x\r\n");
    for i in 0..90 {
        req.push_str(&format!("X-H{i}: {i}\r\n"));
    }
    req.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    let r = raw_request(&l.addr, req.as_bytes());
    assert_eq!(r.status, 200);
    let id = r.json()["id"].as_i64().unwrap();
    l.next_line();
    let h = stored(&db, id).capture.request.headers;
    assert_eq!(h[90], (b"X-H89".to_vec(), b"89".to_vec()));

    // Chunked body over the limit: 413, first 1 KiB kept.
    let mut raw = b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..10 {
        raw.extend_from_slice(b"400\r\n");
        raw.extend_from_slice(&[b'c'; 1024]);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let r = raw_request(&l.addr, &raw);
    assert_eq!(r.status, 413);
    let line = l.next_line();
    assert_eq!(line["truncated"], true);
    assert_eq!(
        stored(&db, line["id"].as_i64().unwrap()).capture.body,
        vec![b'c'; 1024]
    );

    // Content-Length says less than is sent: the declared bytes are the capture, the rest is
    // a malformed next request that gets 400.
    let r = raw_request(
        &l.addr,
        b"POST /short HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGARBAGE NOT HTTP\r\n\r\n",
    );
    assert_eq!(r.status, 200);
    let line = l.next_line();
    assert_eq!(
        stored(&db, line["id"].as_i64().unwrap()).capture.body,
        b"hello"
    );

    // Content-Length says more than is sent, then the client hangs up: what arrived is kept.
    let mut s = connect(&l.addr);
    s.write_all(b"POST /long HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-ten!!")
        .unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let _ = read_all(s);
    let line = l.next_line();
    assert_eq!(line["rejected"]["status"], 400);
    assert_eq!(
        stored(&db, line["id"].as_i64().unwrap()).capture.body,
        b"only-ten!!"
    );

    // A slow client (one byte a second) is timed out while others are served.
    let addr = l.addr.clone();
    let slow = std::thread::spawn(move || {
        let mut s = connect(&addr);
        s.write_all(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n")
            .unwrap();
        for b in b"slowly" {
            if s.write_all(&[*b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        read_all(s)
    });
    std::thread::sleep(Duration::from_millis(300));
    let mut others = Vec::new();
    // Served while the slow one dawdles: each of these is answered before it finishes.
    for _ in 0..3 {
        assert_eq!(post(&l.addr, "/fast", &[], b"x").status, 200);
        others.push(l.next_line());
    }
    let slow_answer = slow.join().unwrap();
    assert_eq!(
        status_of(&slow_answer),
        Some(408),
        "{}",
        String::from_utf8_lossy(&slow_answer)
    );
    let line = l.next_line();
    assert_eq!(line["path"], "/slow");
    assert_eq!(line["rejected"]["status"], 408);
    let body = stored(&db, line["id"].as_i64().unwrap())
        .capture
        .request
        .body;
    assert!(!body.is_empty() && b"slowly".starts_with(&body), "{body:?}");

    // Non-UTF-8 header values are stored exactly.
    let r = raw_request(
        &l.addr,
        b"POST /bytes HTTP/1.1\r\nHost: x\r\nX-Latin1: caf\xe9\r\nX-Webhook-Signature: t=1,v1=\xff\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 200);
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "invalid");
    let c = stored(&db, line["id"].as_i64().unwrap()).capture;
    assert_eq!(c.headers[1], (b"X-Latin1".to_vec(), b"caf\xe9".to_vec()));

    healthy(&l);
}

#[test]
fn http2_prior_knowledge_is_captured() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &[]);
    let addr = l.addr.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async move {
        let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(stream),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        let mut statuses = Vec::new();
        for i in 0..2 {
            let req = hyper::Request::post(format!("http://{addr}/h2?n={i}"))
                .header("x-webhook-signature", "t=1,v1=00")
                .body(http_body_util::Full::new(bytes::Bytes::from_static(
                    b"{\"h2\":true}",
                )))
                .unwrap();
            statuses.push(send.send_request(req).await.unwrap().status().as_u16());
        }
        statuses
    });
    assert_eq!(status, vec![200, 200]);
    for _ in 0..2 {
        let line = l.next_line();
        assert_eq!(line["path"], "/h2");
        assert_eq!(line["verdict"]["status"], "invalid");
        let c = stored(&db, line["id"].as_i64().unwrap()).capture;
        assert_eq!(c.body, b"{\"h2\":true}");
        assert!(c.header("x-webhook-signature").is_some());
    }
}

/// A fake app speaking raw TCP, one behaviour per connection.
fn raw_app(handle: fn(TcpStream)) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || handle(s));
        }
    });
    format!("http://{addr}")
}

fn read_request(s: &mut TcpStream) {
    let mut buf = [0u8; 65536];
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.read(&mut buf);
}

#[test]
fn forward_faults_are_recorded_and_the_listener_stays_responsive() {
    let reset = raw_app(|mut s| {
        read_request(&mut s);
        // Closing with unread data makes the kernel send a reset.
        drop(s);
    });
    let garbage = raw_app(|mut s| {
        read_request(&mut s);
        let _ = s.write_all(b"THIS IS NOT HTTP\r\n\r\n");
    });
    let endless = raw_app(|mut s| {
        read_request(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunk = format!("4000\r\n{}\r\n", "z".repeat(0x4000));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if s.write_all(chunk.as_bytes()).is_err() {
                break;
            }
        }
    });
    let silent = raw_app(|mut s| {
        read_request(&mut s);
        std::thread::sleep(Duration::from_secs(20));
    });

    let dir = tempfile::tempdir().unwrap();
    for (name, url, want_status, want_error) in [
        ("reset", reset, 502, "hyper"),
        ("garbage", garbage, 502, "not valid HTTP"),
        ("endless", endless, 0, ""),
        ("silent", silent, 504, "within 4 s"),
    ] {
        let db = dir.path().join(format!("{name}.db"));
        let l = Listener::start(
            &db,
            &[
                "--forward-to",
                &url,
                "--forward-timeout",
                "4",
                "--max-body",
                "16",
            ],
        );
        let addr = l.addr.clone();
        let pending = std::thread::spawn(move || post(&addr, "/hook", &[], b"{\"a\":1}"));
        // While that forward is in flight, the listener answers others at once.
        std::thread::sleep(Duration::from_millis(200));
        let t0 = Instant::now();
        let other = post(&l.addr, "/other", &[], &[b'x'; 100]);
        assert_eq!(other.status, 413, "{name}: not forwarded, answered at once");
        // Well before the 4 s forward timeout, even on a busy machine.
        assert!(
            t0.elapsed() < Duration::from_secs(3),
            "{name}: listener blocked"
        );
        let r = pending.join().unwrap();
        // A fast failure (reset) may be reported before or after the other request.
        let (a, b) = (l.next_line(), l.next_line());
        let line = if a["path"] == "/hook" { a } else { b };
        assert_eq!(line["path"], "/hook");
        let attempt = &line["latest_attempt"];
        if name == "endless" {
            // Either the size cap or the timeout ends it; both are gateway errors.
            assert!(matches!(r.status, 502 | 504), "{name}: {}", r.status);
            assert!(attempt["error"].is_string());
        } else {
            assert_eq!(
                r.status,
                want_status,
                "{name}: {}",
                String::from_utf8_lossy(&r.body)
            );
            let err = attempt["error"].as_str().unwrap_or_default();
            assert!(
                err.contains(want_error) || want_error == "hyper",
                "{name}: {err}"
            );
        }
        drop(l);
        let shown = show_json(&db, line["id"].as_i64().unwrap());
        assert_eq!(b64(shown["body_base64"].as_str().unwrap()), b"{\"a\":1}");
        assert_eq!(shown["attempts"].as_array().unwrap().len(), 1, "{name}");
    }
}

#[test]
fn corrupted_database_is_named_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("broken.db");
    std::fs::write(&db, vec![0x5a; 16384]).unwrap();
    let o = run(&[
        "listen",
        "--no-tui",
        "--port",
        "0",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("broken.db") && err.contains("move it aside"),
        "{err}"
    );
    let o = run(&["list", "--db", db.to_str().unwrap()]);
    assert!(stderr(&o).contains("broken.db"));
    // The file is left as it was for the user to inspect.
    assert_eq!(std::fs::read(&db).unwrap(), vec![0x5a; 16384]);
}

#[test]
fn locked_database_gets_503_never_200() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &[]);
    assert_eq!(post(&l.addr, "/before", &[], b"1").status, 200);
    l.next_line();
    let before = count(&db);

    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let r = post(&l.addr, "/while-locked", &[], b"2");
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    let msg = r.json()["error"].as_str().unwrap().to_string();
    assert!(msg.contains("h.db") && msg.contains("locked"), "{msg}");
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);

    assert_eq!(post(&l.addr, "/after", &[], b"3").status, 200);
    let line = l.next_line();
    assert_eq!(line["path"], "/after");
    drop(l);
    let rows = list_json(&db, &[]);
    assert_eq!(rows.len(), before + 1);
    assert!(rows.iter().all(|r| r["path"] != "/while-locked"));
}

/// Mounts a small tmpfs (CI runs as root); `None` where mounting is not allowed.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn remount_ro(&self) -> bool {
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn full_disk_gets_503_and_every_200_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let Some(_fs) = Tmpfs::mount(&mnt, "1m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let db = mnt.join("h.db");
    let l = Listener::start(&db, &[]);
    let mut acked = Vec::new();
    let mut refused = 0;
    for i in 0..60u8 {
        let body = vec![i; 64 * 1024];
        let r = post(&l.addr, "/fill", &[], &body);
        match r.status {
            200 => acked.push((r.json()["id"].as_i64().unwrap(), body)),
            503 => {
                refused += 1;
                let msg = r.json()["error"].as_str().unwrap().to_string();
                assert!(msg.contains("h.db"), "{msg}");
            }
            s => panic!("unexpected status {s}"),
        }
    }
    assert!(refused > 0, "a 1 MiB disk must fill up");
    assert!(!acked.is_empty());
    drop(l);
    let store = hookscope::store::Store::open(&db, hookscope::store::OpenMode::Existing).unwrap();
    for (id, body) in acked {
        assert_eq!(
            store.get(id).unwrap().expect("acked capture").capture.body,
            body
        );
    }
}

#[test]
fn read_only_database_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("ro");
    std::fs::create_dir(&mnt).unwrap();
    let Some(fs) = Tmpfs::mount(&mnt, "4m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let db = mnt.join("h.db");
    {
        let l = Listener::start(&db, &[]);
        assert_eq!(post(&l.addr, "/", &[], b"x").status, 200);
        assert!(l.stop().success());
    }
    assert!(fs.remount_ro());
    let o = run(&[
        "listen",
        "--no-tui",
        "--port",
        "0",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("h.db") && err.contains("writable"), "{err}");
}

/// Ids the listener answered 200 for, with the body sent.
type Acked = Vec<(i64, Vec<u8>)>;

#[test]
fn sigkill_under_load_loses_no_acknowledged_capture() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(&db, &[]);
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let stop_at = Instant::now() + Duration::from_secs(20);
    let mut senders = Vec::new();
    for worker in 0..8u32 {
        let (addr, acked) = (l.addr.clone(), acked.clone());
        senders.push(std::thread::spawn(move || {
            for n in 0..100_000u32 {
                if Instant::now() > stop_at {
                    break;
                }
                let body = format!("{{\"worker\":{worker},\"n\":{n}}}").into_bytes();
                let Ok(mut s) = TcpStream::connect(&addr) else { break };
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let req = format!(
                    "POST /load HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                if s.write_all(req.as_bytes()).and_then(|_| s.write_all(&body)).is_err() {
                    break;
                }
                let answer = read_all(s);
                if status_of(&answer) != Some(200) {
                    break;
                }
                let r = parse_response(&answer);
                acked.lock().unwrap().push((r.json()["id"].as_i64().unwrap(), body));
            }
        }));
    }
    // Let the load build up past two of the checkpoint thread's turns (every 2,000 rows), so
    // the kill lands while it copies the WAL back or between its checkpoints, then kill
    // without warning.
    while acked.lock().unwrap().len() < 5_000 && Instant::now() < stop_at {
        std::thread::sleep(Duration::from_millis(20));
    }
    let copied_back = std::fs::metadata(&db).unwrap().len();
    let mut l = l;
    l.child.kill().unwrap(); // SIGKILL
    l.child.wait().unwrap();
    for s in senders {
        s.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 5_000, "load never built up: {}", acked.len());
    // The database file itself (not only the WAL) held captures: checkpoints had run.
    assert!(
        copied_back > 100_000,
        "no checkpoint before the kill: {copied_back} bytes"
    );

    // Restart on the same file: recovery happens on open, and the listener works again.
    let l2 = Listener::start(&db, &[]);
    assert_eq!(post(&l2.addr, "/after", &[], b"x").status, 200);
    drop(l2);
    let store = hookscope::store::Store::open(&db, hookscope::store::OpenMode::Existing).unwrap();
    for (id, body) in &acked {
        let c = store
            .get(*id)
            .unwrap()
            .unwrap_or_else(|| panic!("acked capture {id} lost"));
        assert_eq!(&c.capture.body, body);
    }
}
