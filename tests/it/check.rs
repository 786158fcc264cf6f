//! `hookscope check` end to end: the real binary against small real endpoints on 127.0.0.1, each
//! with exactly one classic flaw, and one correct endpoint (also behind TLS).

use crate::common::*;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The old secret while rotating; `SECRET` is the new one.
const OLD_SECRET: &str = "whsec_a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";

/// How slow the `Slow` endpoint is, against the deadline its test passes.
const SLOW_DELAY: Duration = Duration::from_millis(800);
const SLOW_DEADLINE: &str = "300ms";
/// Longer than the shortest `--timeout` (1 s) the `Hangs` test passes.
const HANG: Duration = Duration::from_millis(1500);

/// The one thing an endpoint gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    IgnoresTimestamp,
    VerifiesReserializedJson,
    AcceptsUnsigned,
    CrashesOnBadSignature,
    Slow,
    NotIdempotent,
    CrashesOnGet,
    /// Not a classic handler flaw, a deployment one: answers every request with a redirect.
    Redirects,
    /// Never answers a delivery it accepts.
    Hangs,
}

/// A webhook handler written the way the guide asks, except for `flaw`.
struct Handler {
    flaw: Option<Flaw>,
    seen: Mutex<HashSet<String>>,
}

impl Handler {
    fn answer(&self, method: &str, sig: Option<&str>, body: &[u8]) -> (u16, &'static str) {
        if self.flaw == Some(Flaw::Redirects) {
            return (308, "");
        }
        if method != "POST" {
            return if self.flaw == Some(Flaw::CrashesOnGet) {
                (500, "{\"error\":\"cannot parse empty body\"}")
            } else {
                (405, "{\"error\":\"POST only\"}")
            };
        }
        if let Err(status) = self.verify(sig, body) {
            return if self.flaw == Some(Flaw::CrashesOnBadSignature) {
                (500, "Internal Server Error")
            } else {
                (status, "{\"error\":\"bad signature\"}")
            };
        }
        let v: serde_json::Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => return (400, "{\"error\":\"not json\"}"),
        };
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let first_time = self.seen.lock().unwrap().insert(id);
        if !first_time && self.flaw == Some(Flaw::NotIdempotent) {
            return (409, "{\"error\":\"duplicate id\"}");
        }
        if self.flaw == Some(Flaw::Slow) {
            std::thread::sleep(SLOW_DELAY);
        }
        if self.flaw == Some(Flaw::Hangs) {
            std::thread::sleep(HANG);
        }
        (200, "{\"received\":true}")
    }

    /// `Err(status)` when the delivery must be rejected.
    fn verify(&self, sig: Option<&str>, body: &[u8]) -> Result<(), u16> {
        let Some(sig) = sig else {
            return if self.flaw == Some(Flaw::AcceptsUnsigned) {
                Ok(())
            } else {
                Err(401)
            };
        };
        let mut t = None;
        let mut v1 = Vec::new();
        for item in sig.split(',') {
            match item.trim().split_once('=') {
                Some(("t", val)) => t = Some(val.parse::<i64>().map_err(|_| 400u16)?),
                Some(("v1", val)) => v1.push(val.to_string()),
                Some(_) => {}
                None => return Err(400),
            }
        }
        let t = t.ok_or(400u16)?;
        if self.flaw != Some(Flaw::IgnoresTimestamp) && (now() - t).abs() > 300 {
            return Err(401);
        }
        let signed: Vec<u8> = if self.flaw == Some(Flaw::VerifiesReserializedJson) {
            let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| 400u16)?;
            serde_json::to_vec(&v).unwrap()
        } else {
            body.to_vec()
        };
        let ok = [SECRET, OLD_SECRET].iter().any(|s| {
            let expected = sign(s, t, &signed);
            v1.iter().any(|v| expected.ends_with(&format!("v1={v}")))
        });
        if ok {
            Ok(())
        } else {
            Err(401)
        }
    }
}

/// A real hyper server on 127.0.0.1:0 (TLS when `tls` is given), on its own thread.
struct Endpoint {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Endpoint {
    fn start(flaw: Option<Flaw>) -> Endpoint {
        Endpoint::serve(flaw, None)
    }

    fn serve(flaw: Option<Flaw>, tls: Option<tokio_rustls::TlsAcceptor>) -> Endpoint {
        let handler = Arc::new(Handler {
            flaw,
            seen: Mutex::new(HashSet::new()),
        });
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let log = requests.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let serve = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        let (handler, log, tls) = (handler.clone(), log.clone(), tls.clone());
                        tokio::spawn(async move {
                            let svc = hyper::service::service_fn(
                                move |req: hyper::Request<hyper::body::Incoming>| {
                                    let (handler, log) = (handler.clone(), log.clone());
                                    async move {
                                        use http_body_util::BodyExt;
                                        let (parts, body) = req.into_parts();
                                        let body = body.collect().await.unwrap().to_bytes();
                                        let sig = parts
                                            .headers
                                            .get("x-webhook-signature")
                                            .and_then(|v| v.to_str().ok())
                                            .map(str::to_string);
                                        let probe = parts
                                            .headers
                                            .get("x-hookscope-check")
                                            .and_then(|v| v.to_str().ok())
                                            .unwrap_or("-")
                                            .to_string();
                                        log.lock().unwrap().push(probe);
                                        let method = parts.method.to_string();
                                        let (status, text) =
                                            tokio::task::spawn_blocking(move || {
                                                handler.answer(&method, sig.as_deref(), &body)
                                            })
                                            .await
                                            .unwrap();
                                        let mut resp = hyper::Response::new(
                                            http_body_util::Full::new(bytes::Bytes::from(text)),
                                        );
                                        *resp.status_mut() =
                                            hyper::StatusCode::from_u16(status).unwrap();
                                        Ok::<_, std::convert::Infallible>(resp)
                                    }
                                },
                            );
                            let http = hyper::server::conn::http1::Builder::new();
                            match tls {
                                Some(acceptor) => {
                                    if let Ok(s) = acceptor.accept(stream).await {
                                        let io = hyper_util::rt::TokioIo::new(s);
                                        let _ = http.serve_connection(io, svc).await;
                                    }
                                }
                                None => {
                                    let io = hyper_util::rt::TokioIo::new(stream);
                                    let _ = http.serve_connection(io, svc).await;
                                }
                            }
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
        Endpoint {
            addr,
            requests,
            _stop: stop_tx,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/webhooks/dataspike", self.addr)
    }

    fn probes_received(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Runs `check --json --no-store` with both secrets and returns the exit code and each
/// probe's object by name.
fn check_json(
    url: &str,
    extra: &[&str],
) -> (Option<i32>, BTreeMap<String, serde_json::Value>, String) {
    let mut args = vec![
        "check",
        "--to",
        url,
        "--secret",
        SECRET,
        "--secret",
        OLD_SECRET,
        "--json",
        "--no-store",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    let mut probes = BTreeMap::new();
    for line in stdout(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("{e}: {line}");
        });
        let name = match v["probe"].as_str() {
            Some(n) => n.to_string(),
            None => "summary".to_string(),
        };
        probes.insert(name, v);
    }
    (o.status.code(), probes, stderr(&o))
}

fn failed(probes: &BTreeMap<String, serde_json::Value>) -> Vec<String> {
    probes
        .iter()
        .filter(|(_, v)| v["probe"].is_string() && v["ok"] == false)
        .map(|(k, _)| k.clone())
        .collect()
}

const ALL_PROBES: [&str; 12] = [
    "valid",
    "duplicate",
    "rotation",
    "stale",
    "future",
    "wrong_secret",
    "tampered",
    "reserialized",
    "unsigned",
    "malformed",
    "wrong_method",
    "latency",
];

#[test]
fn a_correct_endpoint_passes_every_probe() {
    let e = Endpoint::start(None);
    let (code, probes, err) = check_json(&e.url(), &[]);
    assert_eq!(code, Some(0), "{probes:#?} {err}");
    for name in ALL_PROBES {
        let p = &probes[name];
        assert_eq!(p["ok"], true, "{name}: {p}");
        assert_eq!(p["outcome"], "pass", "{name}: {p}");
    }
    assert_eq!(probes["valid"]["status"], 200);
    assert_eq!(probes["stale"]["status"], 401);
    assert_eq!(probes["wrong_method"]["status"], 405);
    assert!(probes["valid"]["latency_ms"].as_u64().is_some());
    let summary = &probes["summary"];
    assert_eq!(
        (summary["passed"].clone(), summary["failed"].clone()),
        (serde_json::json!(12), serde_json::json!(0))
    );
    // Every probe but latency sent exactly one request, named in a header.
    let mut got = e.probes_received();
    got.sort();
    let mut want: Vec<String> = ALL_PROBES[..11].iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn each_flaw_fails_exactly_its_probes() {
    let cases: [(Flaw, &[&str], &str); 6] = [
        (Flaw::IgnoresTimestamp, &["future", "stale"], "accepted"),
        (
            Flaw::VerifiesReserializedJson,
            &["reserialized"],
            "accepted",
        ),
        (Flaw::AcceptsUnsigned, &["unsigned"], "accepted"),
        (
            Flaw::CrashesOnBadSignature,
            &[
                "future",
                "malformed",
                "reserialized",
                "stale",
                "tampered",
                "unsigned",
                "wrong_secret",
            ],
            "crashed",
        ),
        (Flaw::NotIdempotent, &["duplicate"], "refused"),
        (Flaw::CrashesOnGet, &["wrong_method"], "crashed"),
    ];
    let endpoints: Vec<Endpoint> = cases
        .iter()
        .map(|(f, _, _)| Endpoint::start(Some(*f)))
        .collect();
    let handles: Vec<_> = endpoints
        .iter()
        .map(|e| {
            let url = e.url();
            std::thread::spawn(move || check_json(&url, &[]))
        })
        .collect();
    for ((flaw, want, kind), h) in cases.iter().zip(handles) {
        let (code, probes, err) = h.join().unwrap();
        assert_eq!(code, Some(1), "{flaw:?}: {err}");
        assert_eq!(failed(&probes), *want, "{flaw:?}: {probes:#?}");
        for name in *want {
            assert_eq!(probes[*name]["failure"], *kind, "{flaw:?} {name}");
            assert!(probes[*name]["detail"].as_str().unwrap().ends_with('.'));
        }
        assert_eq!(probes["summary"]["failed"], want.len());
    }
    drop(endpoints);
}

#[test]
fn a_slow_endpoint_fails_latency_only() {
    let e = Endpoint::start(Some(Flaw::Slow));
    let (code, probes, err) = check_json(&e.url(), &["--deadline", SLOW_DEADLINE]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(failed(&probes), ["latency"], "{probes:#?}");
    assert_eq!(probes["latency"]["failure"], "slow");
    assert!(probes["latency"]["latency_ms"].as_u64().unwrap() >= 800);
    assert_eq!(probes["valid"]["status"], 200);
}

#[test]
fn redirects_are_reported_not_followed() {
    let e = Endpoint::start(Some(Flaw::Redirects));
    let (code, probes, _) = check_json(&e.url(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(probes["valid"]["status"], 308);
    assert_eq!(probes["valid"]["failure"], "redirected");
    assert_eq!(probes["stale"]["failure"], "redirected");
    assert_eq!(probes["wrong_method"]["ok"], true);
    assert_eq!(
        e.probes_received().len(),
        11,
        "one request per probe: none followed"
    );
}

#[test]
fn a_timeout_is_reported_as_a_timeout_not_a_status() {
    let e = Endpoint::start(Some(Flaw::Hangs));
    let (code, probes, _) = check_json(&e.url(), &["--timeout", "1"]);
    assert_eq!(code, Some(1));
    let want = ["duplicate", "latency", "rotation", "valid"];
    assert_eq!(failed(&probes), want, "{probes:#?}");
    for name in want {
        assert_eq!(probes[name]["failure"], "timeout", "{name}");
        assert_eq!(probes[name]["status"], serde_json::Value::Null, "{name}");
    }
    assert_eq!(probes["stale"]["status"], 401, "the rest still ran");
}

#[test]
fn text_report_says_what_was_sent_what_came_back_and_how_to_fix_it() {
    let e = Endpoint::start(Some(Flaw::CrashesOnBadSignature));
    let o = run(&["check", "--to", &e.url(), "--secret", SECRET, "--no-store"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.starts_with(&format!("hookscope check: {}", e.url())),
        "{out}"
    );
    assert!(
        out.contains(
            "PASS valid         POST, signed now with secret #0 (the current one) -> 200 in "
        ),
        "{out}"
    );
    assert!(
        out.contains("SKIP rotation      needs two secrets"),
        "{out}"
    );
    assert!(
        out.contains("FAIL stale         POST, signed with t 600 s ago -> 500 in "),
        "{out}"
    );
    assert!(out.contains("Internal Server Error"), "{out}");
    assert!(out.contains("the sender will retry it"), "{out}");
    assert!(
        out.trim_end()
            .ends_with("4 passed, 7 failed, 1 skipped: not ready: fix the failures above"),
        "{out}"
    );
    assert!(!out.contains(&SECRET[6..]), "no secret in the output");
}

#[test]
fn unreachable_target_is_one_clear_failure() {
    let url = format!("{}/hook", dead_port_url());
    let o = run(&["check", "--to", &url, "--secret", SECRET, "--no-store"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL valid"), "{out}");
    assert!(out.contains("connection refused or unreachable"), "{out}");
    assert!(
        out.contains("SKIP stale         not sent: the endpoint did not answer"),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_2() {
    // A bare secret is the checked scheme's; one named for another scheme is a mistake.
    let dataspike_secret = format!("dataspike={SECRET}");
    for (args, needle) in [
        // No secret is no error: check signs with the local development secret.
        (vec!["check", "--to", "localhost:3000"], "--to"),
        (
            vec!["check", "--to", "localhost:3000", "--secret", SECRET],
            "--to",
        ),
        (
            vec!["check", "--to", "http://x/", "--secret", "whsec_zz"],
            "--secret #0",
        ),
        (
            vec![
                "check",
                "--to",
                "http://x/",
                "--secret",
                SECRET,
                "--scheme",
                "paypal",
            ],
            "'paypal'",
        ),
        (
            vec![
                "check",
                "--to",
                "http://x/",
                "--secret",
                &dataspike_secret,
                "--scheme",
                "stripe",
            ],
            "--secret #0 is a dataspike secret, but --scheme is stripe: write --secret stripe=...",
        ),
        (
            vec![
                "check",
                "--to",
                "http://x/",
                "--secret",
                SECRET,
                "--event",
                "NOPE",
            ],
            "--event",
        ),
        (
            vec![
                "check",
                "--to",
                "http://x/",
                "--secret",
                SECRET,
                "--deadline",
                "soon",
            ],
            "soon",
        ),
        (
            vec![
                "check",
                "--to",
                "https://x/",
                "--secret",
                SECRET,
                "--ca-cert",
                "/nonexistent/ca.pem",
            ],
            "certificate file '/nonexistent/ca.pem'",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains(&SECRET[6..]));
    }
}

#[test]
fn junit_report_parses_and_counts() {
    let e = Endpoint::start(Some(Flaw::AcceptsUnsigned));
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("check.xml");
    let o = run(&[
        "check",
        "--to",
        &e.url(),
        "--secret",
        SECRET,
        "--no-store",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();

    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut skipped) = (Vec::new(), Vec::new(), 0);
    let mut suite_attrs = BTreeMap::new();
    let mut current = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(el) | Event::Empty(el) => {
                let attrs: BTreeMap<String, String> = el
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            a.key.as_ref().to_string(),
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned(),
                        )
                    })
                    .collect();
                match el.name().as_ref() {
                    "testsuite" => suite_attrs = attrs,
                    "testcase" => {
                        current = attrs["name"].clone();
                        cases.push(current.clone());
                    }
                    "failure" => failures.push((current.clone(), attrs["type"].clone())),
                    "skipped" => skipped += 1,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(cases, ALL_PROBES);
    assert_eq!(failures, [("unsigned".to_string(), "accepted".to_string())]);
    assert_eq!(skipped, 1, "rotation, with one secret");
    assert_eq!(suite_attrs["tests"], "12");
    assert_eq!(suite_attrs["failures"], "1");
    assert_eq!(suite_attrs["skipped"], "1");
}

#[test]
fn probes_are_stored_unless_no_store() {
    let e = Endpoint::start(None);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let db_s = db.to_str().unwrap();
    let o = run(&["check", "--to", &e.url(), "--secret", SECRET, "--db", db_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stderr(&o).contains("stored 10 probes"), "{}", stderr(&o));
    // The secret is in no output and no file: not the key, not its hex.
    let hex_part = SECRET.trim_start_matches("whsec_");
    let key = hex::decode(hex_part).unwrap();
    let mut seen = vec![o.stdout.clone(), o.stderr.clone()];
    for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
        seen.push(std::fs::read(f.path()).unwrap());
    }
    for bytes in &seen {
        for needle in [hex_part.as_bytes(), key.as_slice()] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle));
        }
    }
    let list = list_json(&db, &[]);
    assert_eq!(list.len(), 10, "every probe sent but rotation and latency");
    assert!(list.iter().all(|c| c["source"] == "check"));
    assert!(list.iter().all(|c| c["path"] == "/webhooks/dataspike"));
    let verdicts: HashSet<&str> = list
        .iter()
        .map(|c| c["verdict"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        HashSet::from(["valid", "stale", "invalid", "unsigned"])
    );
    let stale = list
        .iter()
        .find(|c| c["verdict"]["status"] == "stale")
        .unwrap();
    assert_eq!(stale["latest_attempt"]["status"], 401);
    let shown = show_json(&db, stale["id"].as_i64().unwrap());
    assert_eq!(shown["attempts"][0]["kind"], "check");

    let o = run(&[
        "check",
        "--to",
        &e.url(),
        "--secret",
        SECRET,
        "--db",
        db_s,
        "--no-store",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(list_json(&db, &[]).len(), 10, "--no-store stores nothing");
}

/// A self-signed certificate for 127.0.0.1, its PEM, and a TLS acceptor serving it.
fn self_signed() -> (String, tokio_rustls::TlsAcceptor) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let pem = ck.cert.pem();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    (pem, tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

#[test]
fn https_endpoint_with_a_private_ca() {
    let (pem, acceptor) = self_signed();
    let e = Endpoint::serve(None, Some(acceptor));
    let url = format!("https://{}/webhooks/dataspike", e.addr);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();

    let (code, probes, err) = check_json(&url, &["--ca-cert", ca.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{probes:#?} {err}");
    assert_eq!(failed(&probes), Vec::<String>::new());

    // send shares the client and the flag.
    let ca_s = ca.to_str().unwrap();
    let o = run(&[
        "send",
        "--event",
        "DOCVER",
        "--to",
        &url,
        "--secret",
        SECRET,
        "--ca-cert",
        ca_s,
    ]);
    assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("-> 200"), "{}", stdout(&o));

    // Without the CA the certificate is unknown: one clear TLS failure, a hint, exit 1.
    let (code, probes, _) = check_json(&url, &[]);
    assert_eq!(code, Some(1));
    let answer = probes["valid"]["answer"].as_str().unwrap();
    assert!(answer.contains("TLS with"), "{answer}");
    assert!(
        answer.contains("certificate is not signed by a CA trusted here"),
        "{answer}"
    );
    assert!(!answer.contains("UnknownIssuer"), "{answer}");
    let detail = probes["valid"]["detail"].as_str().unwrap();
    assert!(detail.contains("for https its certificate"), "{detail}");
    assert_eq!(probes["valid"]["hint"]["code"], "trust_cert");
    assert_eq!(probes["stale"]["outcome"], "skip");
}

#[test]
fn listen_forwards_to_an_https_app_behind_a_private_ca() {
    let (pem, acceptor) = self_signed();
    let e = Endpoint::serve(None, Some(acceptor));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let body = br#"{"id":"a","event_type":"DOCVER","payload":{}}"#;

    let base = format!("https://{}", e.addr);
    let l = Listener::start(
        &dir.path().join("h.db"),
        &["--forward-to", &base, "--ca-cert", ca.to_str().unwrap()],
    );
    let sig = sign(SECRET, now(), body);
    let r = post(
        &l.addr,
        "/webhooks/dataspike",
        &[("X-Webhook-Signature", &sig)],
        body,
    );
    assert_eq!(r.status, 200, "the app's answer is mirrored over https");
    assert_eq!(e.probes_received().len(), 1);
    l.stop();

    // Without the CA the app's certificate is unknown: the sender gets 502, the capture stays.
    let l = Listener::start(&dir.path().join("h2.db"), &["--forward-to", &base]);
    let r = post(
        &l.addr,
        "/webhooks/dataspike",
        &[("X-Webhook-Signature", &sig)],
        body,
    );
    assert_eq!(r.status, 502);
    assert!(
        r.json()["error"].as_str().unwrap().contains("TLS"),
        "{:?}",
        r.json()
    );
    l.stop();
}

#[test]
fn a_closed_stdout_still_runs_and_stores_every_probe() {
    let e = Endpoint::start(None);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let mut child = bin()
        .args(["check", "--to", &e.url(), "--secret", SECRET, "--db"])
        .arg(&db)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("error"), "{}", stderr(&o));
    assert_eq!(list_json(&db, &[]).len(), 10);
}
