//! Writes the seed corpora under `fuzz/corpus/<target>/` with hookscope's own code (fixtures
//! and HAR files exactly as `hookscope` writes them). Run from `fuzz/`:
//! `cargo run --example gen_seeds` (no nightly features needed). Existing files are overwritten.

use std::fs;
use std::path::Path;

use hookscope::capture::{Attempt, AttemptKind, Capture, RawRequest};
use hookscope::fixture::{har, Fixture};
use hookscope::headers::HeaderPair;
use hookscope::signature::dataspike::sign_header;
use hookscope::signature::Secret;
use hookscope::store::encode_headers;

const SECRET: &str = "whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const BODY: &[u8] = br#"{"id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","webhook_id":"01827ed4-c928-7a3c-9a30-7ab7cc169d11","event_type":"AML_SCREENING","timestamp":"2023-07-18T15:32:13Z","payload":{}}"#;
const SIG: &str =
    "t=1700000000,v1=ed2a117641bffc67be82b1ca58a1252d3a17ad89fdde76a3bec3eebf5f13c22a";

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

fn h(name: &str, value: &[u8]) -> HeaderPair {
    (name.as_bytes().to_vec(), value.to_vec())
}

fn capture(body: &[u8], sig: &[u8]) -> Capture {
    let headers = vec![
        h("Host", b"localhost:4000"),
        h("User-Agent", b"Dataspike-Webhooks/1.0"),
        h("Content-Type", b"application/json"),
        h("X-Webhook-Signature", sig),
        h("Content-Length", body.len().to_string().as_bytes()),
        h("x-trace", b"a b\tc"),
    ];
    let mut request = RawRequest::whole("POST", "/hooks/dataspike", headers, body.to_vec());
    request.query = Some("tenant=a%20b&x".into());
    Capture {
        peer: Some("127.0.0.1:5555".into()),
        ..Capture::of(request, 1_700_000_000_456)
    }
}

fn main() {
    let secret = Secret::parse(SECRET).unwrap();
    let binary: Vec<u8> = (0..=255u8).chain([0, 0xff, b'\n']).collect();

    // signature_header: "<header value(s), NUL-separated>\n<body>".
    let sig = |header: &str, body: &[u8]| [header.as_bytes(), b"\n", body].concat();
    write("signature_header", "vector", &sig(SIG, BODY));
    let v1 = &SIG["t=1700000000,v1=".len()..];
    write(
        "signature_header",
        "vector_spaced_upper_two_v1",
        &sig(
            &format!(
                " t = 1700000000 , v0=abc, v1={}, v1 = {} ",
                "0".repeat(64),
                v1.to_uppercase()
            ),
            BODY,
        ),
    );
    write(
        "signature_header",
        "stale",
        &sig(&sign_header(&secret, 1_600_000_000, BODY), BODY),
    );
    write(
        "signature_header",
        "binary_body",
        &sig(&sign_header(&secret, 1_700_000_050, &binary), &binary),
    );
    write(
        "signature_header",
        "trailing_newline",
        &sig(SIG, &[BODY, b"\n"].concat()),
    );
    write(
        "signature_header",
        "two_headers",
        &sig(&format!("{SIG}\0{SIG}"), BODY),
    );
    write(
        "signature_header",
        "malformed",
        &sig("t=12345678901,v1=zz,garbage", BODY),
    );
    write("signature_header", "unsigned", &sig("", BODY));

    // fixture_import: fixtures and HAR files as hookscope writes them.
    let text = capture(BODY, SIG.as_bytes());
    write(
        "fixture_import",
        "fixture_text.json",
        Fixture::from_capture(17, &text).to_json_pretty().as_bytes(),
    );
    let mut bin = capture(&binary, b"t=1,v1=\xff");
    bin.headers.push(h("X-Bin", b"\xff\x00\x80"));
    bin.truncated = true;
    bin.body_size = 100_000;
    bin.query = None;
    write(
        "fixture_import",
        "fixture_binary_truncated.json",
        Fixture::from_capture(3, &bin).to_json_pretty().as_bytes(),
    );
    write(
        "fixture_import",
        "fixture_minimal.json",
        br#"{"hookscope_fixture": 1, "method": "POST", "path": "/", "headers": [["Content-Type", "application/json"]], "body": "{}", "received_at": "2026-01-31T12:00:00.000+01:00"}"#,
    );
    let attempt = Attempt {
        capture_id: 17,
        kind: AttemptKind::Forward,
        at_ms: 1_700_000_001_000,
        target: "http://127.0.0.1:3000/hooks".into(),
        resigned: false,
        sent_body: None,
        sent_headers: None,
        status: Some(200),
        response_headers: vec![h("Content-Type", b"text/plain")],
        response_body: b"ok".to_vec(),
        response_truncated: false,
        latency_ms: Some(12),
        error: None,
    };
    let doc = har::build(&[(17, text.clone(), Some(attempt)), (3, bin, None)]);
    write(
        "fixture_import",
        "har_two_entries.har",
        serde_json::to_string_pretty(&doc).unwrap().as_bytes(),
    );
    let doc = har::build(&[(17, text, None)]);
    write(
        "fixture_import",
        "har_one_entry.har",
        serde_json::to_string(&doc).unwrap().as_bytes(),
    );

    // body_inspect: the vector's body and every built-in sample event.
    write("body_inspect", "vector.json", BODY);
    write(
        "body_inspect",
        "numeric_id.json",
        br#" {"id": 42, "event_type": null}"#,
    );
    for (event, variant, _) in hookscope::sample::list() {
        let body = hookscope::sample::build(event, Some(variant), 1_700_000_000_000, &[]).unwrap();
        write(
            "body_inspect",
            &format!("{event}_{variant}.json").to_lowercase(),
            &body,
        );
    }

    // head_parse: request heads as the listener records them.
    let mut head = format!("POST /hooks/dataspike?tenant=a HTTP/1.1\r\nHost: localhost:4000\r\nContent-Type: application/json\r\nX-Webhook-Signature: {SIG}\r\nContent-Length: {}\r\nX-Bin: ", BODY.len()).into_bytes();
    head.extend_from_slice(b"\xff\x80\r\n\r\n");
    head.extend_from_slice(BODY);
    write("head_parse", "post_signed", &head);
    write(
        "head_parse",
        "crlf_get",
        b"\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\nx-dup: 1\r\nX-DUP: 2\r\n\r\n",
    );
    let mut many = b"POST /a HTTP/1.1\r\n".to_vec();
    for i in 0..80 {
        many.extend_from_slice(format!("X-H{i}: {i}\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    write("head_parse", "eighty_headers", &many);

    // header_codec: stored header BLOBs.
    let headers = capture(BODY, SIG.as_bytes()).request.headers;
    write("header_codec", "capture_headers", &encode_headers(&headers));
    write(
        "header_codec",
        "binary_and_empty",
        &encode_headers(&[h("X-Bin", b"\xff\x00\x80"), h("host", b"")]),
    );
    println!("seeds written under corpus/");
}
