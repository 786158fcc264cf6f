//! Every provider's scheme end to end, on the real binary: deliveries signed here from each
//! provider's documented algorithm (with `hmac`/`sha2`/`base64`, not hookscope's code) go through
//! `listen`, `verify` and `replay`; and what `send` signs is checked by the providers' own
//! Python libraries (`stripe`, `standardwebhooks`, `slack_sdk`), which `.ci/run` installs.

use crate::common::*;

use base64::Engine;
use hmac::{Hmac, Mac};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const STRIPE_SECRET: &str = "whsec_test_secret";
const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const STANDARD_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// Stripe: keyed by the secret's whole text, `whsec_` included.
fn stripe_header(secret: &str, t: i64, body: &[u8]) -> String {
    let d = mac(secret.as_bytes(), &[format!("{t}.").as_bytes(), body]);
    format!("t={t},v1={}", hex::encode(d))
}

fn github_header(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret.as_bytes(), &[body])))
}

/// Standard Webhooks: keyed by the base64 after `whsec_`.
fn standard_signature(secret: &str, id: &str, t: i64, body: &[u8]) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let d = mac(&key, &[format!("{id}.{t}.").as_bytes(), body]);
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(d))
}

fn slack_signature(t: i64, body: &[u8]) -> String {
    let d = mac(
        SLACK_SECRET.as_bytes(),
        &[format!("v0:{t}:").as_bytes(), body],
    );
    format!("v0={}", hex::encode(d))
}

#[test]
fn listen_verifies_each_provider_and_names_the_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let l = Listener::start(
        &db,
        &[
            "--secret",
            &format!("stripe={STRIPE_SECRET}"),
            "--secret",
            &format!("github={GITHUB_SECRET}"),
            "--secret",
            SECRET,
        ],
    );
    let body = br#"{"id":"evt_1","object":"event"}"#;
    let t = now();
    let stripe = stripe_header(STRIPE_SECRET, t, body);
    let r = post(&l.addr, "/stripe", &[("Stripe-Signature", &stripe)], body);
    assert_eq!(r.status, 200);
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "valid", "{line}");
    assert_eq!(line["verdict"]["scheme"], "stripe");
    assert_eq!(line["verdict"]["secret_index"], 0);

    let gh = github_header(GITHUB_SECRET, body);
    post(&l.addr, "/github", &[("X-Hub-Signature-256", &gh)], body);
    let line = l.next_line();
    assert_eq!(
        (&line["verdict"]["status"], &line["verdict"]["scheme"]),
        (&"valid".into(), &"github".into()),
        "{line}"
    );
    assert_eq!(line["verdict"]["secret_index"], 1);
    assert_eq!(line["verdict"]["skew_s"], serde_json::Value::Null);

    // Slack-signed, but no Slack secret loaded: unverified, the scheme named.
    let slack = slack_signature(t, body);
    let ts = t.to_string();
    post(
        &l.addr,
        "/slack",
        &[
            ("X-Slack-Signature", &slack),
            ("X-Slack-Request-Timestamp", &ts),
        ],
        body,
    );
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "unverified", "{line}");
    assert_eq!(line["verdict"]["scheme"], "slack");

    // A Stripe header over another body: invalid, with Stripe's own hint.
    post(&l.addr, "/stripe", &[("Stripe-Signature", &stripe)], b"{}");
    let line = l.next_line();
    assert_eq!(line["verdict"]["status"], "invalid", "{line}");
    assert_eq!(line["verdict"]["scheme"], "stripe");
    l.stop();

    let rows = list_json(&db, &[]);
    let schemes: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["verdict"]["status"].as_str().unwrap().to_string(),
                r["verdict"]["scheme"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        schemes,
        [
            s("invalid", "stripe"),
            s("unverified", "slack"),
            s("valid", "github"),
            s("valid", "stripe")
        ]
    );
    let table = stdout(&run(&["list", "--db", db.to_str().unwrap()]));
    assert!(table.contains("PASS stripe"), "{table}");
    assert!(table.contains("PASS github"), "{table}");
    assert!(table.contains("-- slack"), "{table}");
    let id = rows[0]["id"].as_i64().unwrap().to_string();
    let shown = stdout(&run(&["show", &id, "--db", db.to_str().unwrap()]));
    assert!(shown.contains("FAIL stripe invalid"), "{shown}");
    assert!(shown.contains("Each endpoint"), "{shown}");
}

fn verify_cli(args: &[&str], body: &[u8]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body");
    std::fs::write(&file, body).unwrap();
    let mut all = vec!["verify", "--body-file", file.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn verify_takes_a_scheme_and_repeated_headers() {
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let id = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    let t: i64 = 1_649_367_553;
    let sig = standard_signature(STANDARD_SECRET, id, t, body);
    let ts = t.to_string();
    let h = |n: &str, v: &str| format!("{n}: {v}");
    let secret = format!("standard={STANDARD_SECRET}");
    let verify_standard = |id: &str| {
        verify_cli(
            &[
                "--header",
                &h("webhook-id", id),
                "--header",
                &h("webhook-timestamp", &ts),
                "--header",
                &h("webhook-signature", &sig),
                "--secret",
                &secret,
                "--now",
                &ts,
            ],
            body,
        )
    };
    let ok = verify_standard(id);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(
        stdout(&ok).starts_with("PASS standard valid"),
        "{}",
        stdout(&ok)
    );

    // Another id than the one signed: exit 1, and the hint asks about webhook-id.
    let bad = verify_standard("msg_other");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).contains("is webhook-id the one that was signed?"),
        "{}",
        stdout(&bad)
    );

    // A bare value is the --scheme's signature header.
    let gh = verify_cli(
        &[
            "--scheme",
            "github",
            "--header",
            &github_header(GITHUB_SECRET, body),
            "--secret",
            &format!("github={GITHUB_SECRET}"),
        ],
        body,
    );
    assert_eq!(gh.status.code(), Some(0), "{}", stdout(&gh));
    assert!(stdout(&gh).starts_with("PASS github valid"));

    // Without --scheme, a bare value stays Dataspike's X-Webhook-Signature.
    let ds = verify_cli(
        &[
            "--header",
            &sign(SECRET, VECTOR_T, body),
            "--secret",
            SECRET,
            "--now",
            &VECTOR_T.to_string(),
        ],
        body,
    );
    assert_eq!(ds.status.code(), Some(0), "{}", stdout(&ds));

    // Stripe signed with the hex-decoded secret: the hint says so.
    let hexed = "whsec_00112233445566778899aabbccddeeff";
    let key = hex::decode(&hexed[6..]).unwrap();
    let wrong = format!(
        "t={t},v1={}",
        hex::encode(mac(&key, &[format!("{t}.").as_bytes(), body]))
    );
    let out = verify_cli(
        &[
            "--header",
            &h("Stripe-Signature", &wrong),
            "--secret",
            &format!("stripe={hexed}"),
            "--now",
            &ts,
            "--json",
        ],
        body,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["verdict"]["scheme"], "stripe");
    assert!(v["diagnostics"]["hint"]
        .as_str()
        .unwrap()
        .contains("did you hex-decode it?"));

    // A malformed secret is named by position and scheme, never echoed.
    let out = verify_cli(
        &[
            "--header",
            "x",
            "--secret",
            "whsec_00",
            "--secret",
            "standard=%%secret%%",
        ],
        body,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--secret #1 (standard) is invalid"), "{err}");
    assert!(!err.contains("%%secret%%"), "{err}");
}

/// With `--scheme` named, a bare secret is that scheme's, for `send` and `verify` alike.
#[test]
fn a_bare_secret_is_the_named_schemes() {
    let app = TestApp::start(Behaviour::default());
    let o = run(&[
        "send",
        "--event",
        "DOCVER",
        "--scheme",
        "stripe",
        "--secret",
        STRIPE_SECRET,
        "--to",
        &app.url(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = app.received().pop().unwrap();
    let sig = got.header("stripe-signature").expect("signed as Stripe");
    let t: i64 = sig[2..sig.find(',').unwrap()].parse().unwrap();
    assert_eq!(sig, stripe_header(STRIPE_SECRET, t, &got.body));
    let o = verify_cli(
        &[
            "--scheme",
            "stripe",
            "--header",
            &format!("Stripe-Signature: {sig}"),
            "--secret",
            STRIPE_SECRET,
            "--now",
            &t.to_string(),
        ],
        &got.body,
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn send_stale_needs_a_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.json");
    std::fs::write(&file, b"{}").unwrap();
    let dead = dead_port_url();
    let send = |args: &[&str]| {
        let mut all = vec!["send", "--body-file", file.to_str().unwrap(), "--to", &dead];
        all.extend_from_slice(args);
        run(&all)
    };
    let out = send(&[
        "--scheme", "github", "--secret", "github=s", "--sign", "stale",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--sign stale: a 'stale' signature needs a signed timestamp to age, and github signatures carry none"),
        "{}",
        stderr(&out)
    );
    // With secrets given, the scheme signed in must be among them.
    let out = send(&["--scheme", "slack", "--secret", "github=s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--secret slack=..."),
        "{}",
        stderr(&out)
    );
}

#[test]
fn replay_resigns_in_the_captures_own_scheme() {
    let app = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let dbs = db.to_str().unwrap();
    let l = Listener::start(&db, &["--secret", &format!("github={GITHUB_SECRET}")]);
    let body = br#"{"action":"opened"}"#;
    post(
        &l.addr,
        "/gh",
        &[("X-Hub-Signature-256", &github_header(GITHUB_SECRET, body))],
        body,
    );
    let id = l.next_line()["id"].as_i64().unwrap().to_string();
    l.stop();
    let url = app.url();
    let replay = |secrets: &[&str]| {
        let mut args = vec!["replay", &id, "--resign", "--to", &url, "--db", dbs];
        args.extend_from_slice(secrets);
        run(&args)
    };
    // Only a Dataspike secret: the GitHub capture cannot be re-signed, and the error says which.
    let out = replay(&["--secret", SECRET]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is signed with github, but no github secret is loaded"),
        "{}",
        stderr(&out)
    );
    let out = replay(&[
        "--secret",
        SECRET,
        "--secret",
        &format!("github={GITHUB_SECRET}"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = app.received().pop().unwrap();
    assert_eq!(got.body, body);
    assert_eq!(
        got.header("x-hub-signature-256"),
        Some(github_header(GITHUB_SECRET, body))
    );
    assert_eq!(got.header("x-webhook-signature"), None);
}

// ---- The providers' own verifiers ----

/// A Python HTTP server answering 200 when the provider's official library accepts the request
/// at `/stripe`, `/standard` or `/slack`, 401 otherwise.
const PY_SERVER: &str = r#"
import os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
import stripe
from standardwebhooks.webhooks import Webhook
from slack_sdk.signature import SignatureVerifier

class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k: v for k, v in self.headers.items()}
        ok, why = False, ""
        try:
            if self.path == "/stripe":
                stripe.WebhookSignature.verify_header(
                    body, self.headers.get("Stripe-Signature"), os.environ["STRIPE_SECRET"], 300)
                ok = True
            elif self.path == "/standard":
                Webhook(os.environ["STANDARD_SECRET"]).verify(body, headers)
                ok = True
            elif self.path == "/slack":
                ok = SignatureVerifier(os.environ["SLACK_SECRET"]).is_valid_request(body, headers)
        except Exception as e:
            why = repr(e)
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", str(len(why)))
        self.end_headers()
        self.wfile.write(why.encode())

    def log_message(self, *args):
        pass

srv = HTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

struct PyServer {
    child: Child,
    url: String,
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server, or `None` (after saying so loudly) when there is no `python3` at all. With
/// python3 present but a library missing, the test fails: it never passes without checking.
fn py_server(dir: &std::path::Path) -> Option<PyServer> {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!(
            "\n*** SKIPPED: python3 is not installed, so hookscope's signatures were NOT checked \
             with the providers' own libraries (stripe, standardwebhooks, slack_sdk) ***\n"
        );
        return None;
    }
    let script = dir.join("server.py");
    std::fs::write(&script, PY_SERVER).unwrap();
    let mut child = Command::new("python3")
        .arg(&script)
        .env("STRIPE_SECRET", STRIPE_SECRET)
        .env("STANDARD_SECRET", STANDARD_SECRET)
        .env("SLACK_SECRET", SLACK_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.trim().is_empty() {
        let out = child.wait_with_output().unwrap();
        panic!(
            "the Python verifier did not start; install its libraries as .ci/run does \
             (pip install stripe standardwebhooks slack_sdk):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some(PyServer {
        child,
        url: format!("http://127.0.0.1:{}", line.trim()),
    })
}

#[test]
fn send_output_passes_the_providers_own_verifiers() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = py_server(dir.path()) else {
        return;
    };
    let body_file = dir.path().join("body.json");
    std::fs::write(
        &body_file,
        br#"{"id":"evt_1","type":"invoice.paid","data":{"amount":42}}"#,
    )
    .unwrap();
    let send = |scheme: &str, secret: &str, sign: &str| {
        run(&[
            "send",
            "--body-file",
            body_file.to_str().unwrap(),
            "--scheme",
            scheme,
            "--secret",
            &format!("{scheme}={secret}"),
            "--sign",
            sign,
            "--to",
            &format!("{}/{scheme}", server.url),
        ])
    };
    for (scheme, secret) in [
        ("stripe", STRIPE_SECRET),
        ("standard", STANDARD_SECRET),
        ("slack", SLACK_SECRET),
    ] {
        let ok = send(scheme, secret, "valid");
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{scheme}: the official library rejected hookscope's signature: {}{}",
            stdout(&ok),
            stderr(&ok)
        );
        assert!(stdout(&ok).contains("-> 200"), "{}", stdout(&ok));
        // The verifier really verifies: a wrong secret and a stale timestamp are refused.
        for bad in ["wrong-secret", "stale", "malformed"] {
            let out = send(scheme, secret, bad);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{scheme} {bad}: {}",
                stdout(&out)
            );
            assert!(
                stdout(&out).contains("-> 401"),
                "{scheme} {bad}: {}",
                stdout(&out)
            );
        }
    }
}

#[test]
fn provider_secrets_from_the_environment_never_leave_memory() {
    let stripe = "whsec_LeakCanaryStripe0123456789";
    let github = "leak-canary-github-secret";
    let standard_key = b"leak-canary-standard-key-32bytes";
    let standard = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(standard_key)
    );
    let needles: Vec<Vec<u8>> = vec![
        stripe.into(),
        stripe[6..].into(),
        github.into(),
        standard.clone().into_bytes(),
        standard.as_bytes()[6..].to_vec(),
        standard_key.to_vec(),
    ];
    let env = format!("stripe={stripe},github={github},standard={standard}");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let dbs = db.to_str().unwrap();
    let listener = Listener::start_env(
        &db,
        &[],
        &[
            ("HOOKSCOPE_SECRET", env.as_str()),
            ("HOOKSCOPE_LOG", "trace"),
        ],
    );
    let addr = listener.addr.clone();
    let body = br#"{"ok":true}"#;
    let t = now();
    let good = stripe_header(stripe, t, body);
    let gh = github_header(github, body);
    let std_sig = standard_signature(&standard, "msg_1", t, body);
    let ts = t.to_string();
    let mut lines = Vec::new();
    for headers in [
        vec![("Stripe-Signature", good.as_str())],
        vec![("Stripe-Signature", "t=1,v1=00")],
        vec![("X-Hub-Signature-256", gh.as_str())],
        vec![
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", ts.as_str()),
            ("webhook-signature", std_sig.as_str()),
        ],
    ] {
        assert_eq!(post(&addr, "/h", &headers, body).status, 200);
        lines.push(listener.next_text());
    }
    let statuses: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{} {}", v["verdict"]["status"], v["verdict"]["scheme"])
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "\"valid\" \"stripe\"",
            "\"invalid\" \"stripe\"",
            "\"valid\" \"github\"",
            "\"valid\" \"standard\""
        ]
    );
    let (status, rest, logs) = listener.stop_with_output();
    assert!(status.success());
    let mut outputs = vec![lines.join("\n").into_bytes(), rest, logs];
    let with_env = |args: &[&str]| {
        let o = bin()
            .args(args)
            .env("HOOKSCOPE_SECRET", &env)
            .output()
            .unwrap();
        [o.stdout, o.stderr].concat()
    };
    let exports = dir.path().join("fx");
    for args in [
        vec!["list", "--db", dbs],
        vec!["show", "2", "--db", dbs],
        vec!["show", "4", "--json", "--db", dbs],
        vec!["verify", "2", "--db", dbs, "--json"],
        vec![
            "export",
            "--all",
            "--out",
            exports.to_str().unwrap(),
            "--db",
            dbs,
        ],
    ] {
        outputs.push(with_env(&args));
    }
    // An error about a bad secret names it by position and scheme only.
    let o = bin()
        .args([
            "verify",
            "1",
            "--db",
            dbs,
            "--secret",
            &format!("standard={github}%"),
        ])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("--secret #0 (standard) is invalid"),
        "{}",
        stderr(&o)
    );
    outputs.push([o.stdout, o.stderr].concat());
    let mut files = vec![db.clone()];
    for e in std::fs::read_dir(&exports).unwrap().flatten() {
        files.push(e.path());
    }
    for f in files {
        outputs.push(std::fs::read(f).unwrap());
    }
    for bytes in outputs {
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == n.as_slice()),
                "a secret leaked: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}
