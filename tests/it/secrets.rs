//! A full run with a secret, then every place it could leak is searched for it.

use crate::common::*;
use std::path::Path;

/// The secret as text, as hex and as the raw key bytes.
fn needles() -> Vec<Vec<u8>> {
    let hex_part = SECRET.trim_start_matches("whsec_");
    vec![
        SECRET.as_bytes().to_vec(),
        hex_part.as_bytes().to_vec(),
        hex_part.to_uppercase().into_bytes(),
        hex::decode(hex_part).unwrap(),
    ]
}

fn assert_clean(what: &str, bytes: &[u8]) {
    for n in needles() {
        assert!(
            !bytes.windows(n.len()).any(|w| w == n.as_slice()),
            "the secret leaked into {what}"
        );
    }
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn secret_never_leaves_memory() {
    let app = TestApp::start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let dbs = db.to_str().unwrap();
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();

    let secrets = format!("whsec_abcd,{SECRET}");
    let listener = Listener::start_env(
        &db,
        &["--forward-to", &app.url(), "--allow-short-secret"],
        &[
            ("HOOKSCOPE_SECRET", secrets.as_str()),
            ("HOOKSCOPE_LOG", "trace"),
        ],
    );
    let addr = listener.addr.clone();
    let first = listener.listening.clone();
    let body = VECTOR_BODY.as_bytes();
    for sig in [
        sign(SECRET, now(), body),
        "t=1,v1=00".into(),
        sign("whsec_99", now(), body),
    ] {
        let r = post(&addr, "/hook", &[("X-Webhook-Signature", &sig)], body);
        assert_eq!(r.status, 200);
        assert_clean("an HTTP answer", &r.body);
    }
    let (status, rest, stderr) = listener.stop_with_output();
    assert!(status.success());
    outputs.push(("listen stdout".into(), [first.into_bytes(), rest].concat()));
    outputs.push(("listen stderr (trace logs)".into(), stderr));

    let with_secret = |args: &[&str]| {
        let o = bin()
            .args(args)
            .env("HOOKSCOPE_SECRET", SECRET)
            .env("HOOKSCOPE_LOG", "trace")
            .output()
            .unwrap();
        [o.stdout, o.stderr].concat()
    };
    outputs.push(("list".into(), with_secret(&["list", "--db", dbs])));
    outputs.push(("show".into(), with_secret(&["show", "1", "--db", dbs])));
    outputs.push((
        "show --json".into(),
        with_secret(&["show", "1", "--json", "--db", dbs]),
    ));
    outputs.push(("verify".into(), with_secret(&["verify", "2", "--db", dbs])));
    outputs.push((
        "replay --resign".into(),
        with_secret(&["replay", "1", "--resign", "--db", dbs]),
    ));
    let out_dir = dir.path().join("exports");
    let out = |name: &str| out_dir.join(name).to_str().unwrap().to_string();
    for format in ["fixture", "har", "curl"] {
        let target = out(format);
        let mut args = vec![
            "export", "--all", "--format", format, "--out", &target, "--db", dbs,
        ];
        if format == "fixture" {
            args.push("--body-files");
        }
        outputs.push((format!("export --format {format}"), with_secret(&args)));
    }
    let fixture = std::fs::read_dir(out_dir.join("fixture"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().contains(".body.")
        })
        .expect("an exported fixture");
    outputs.push((
        "send fixture".into(),
        with_secret(&["send", fixture.to_str().unwrap(), "--to", &app.url()]),
    ));
    outputs.push((
        "send --event".into(),
        with_secret(&["send", "--event", "DOCVER", "--to", &app.url()]),
    ));
    for sub in [
        "listen", "replay", "verify", "list", "show", "export", "send", "import",
    ] {
        outputs.push((format!("{sub} --help"), with_secret(&[sub, "--help"])));
    }
    outputs.push(("--help".into(), with_secret(&["--help"])));
    // A bad secret's error names its position, never its value.
    let o = bin()
        .args([
            "verify",
            "1",
            "--db",
            dbs,
            "--secret",
            &format!("{SECRET}zz"),
        ])
        .output()
        .unwrap();
    outputs.push(("bad secret error".into(), [o.stdout, o.stderr].concat()));

    for (what, bytes) in &outputs {
        assert_clean(what, bytes);
    }
    // The last delivery (send --event) really was signed with the secret, so it was in use.
    let last = app.received().pop().unwrap();
    let sig = last.header("x-webhook-signature").unwrap();
    let t: i64 = sig[2..12].parse().unwrap();
    assert_eq!(sig, sign(SECRET, t, &last.body));

    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("h.db")));
    for f in files {
        assert_clean(&f.display().to_string(), &std::fs::read(&f).unwrap());
    }
}
