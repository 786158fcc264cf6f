//! `listener::parse_head`, which re-parses each recorded request head to keep header names,
//! order and bytes exactly.
//!
//! Invariants: never panics; when an independent `httparse` parse (with room for 1024 headers)
//! completes, `parse_head` called with that method and target returns exactly those headers;
//! with another method it returns `None`.
#![no_main]

use hookscope::listener::parse_head;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Arbitrary method and target too: must never panic.
    let _ = parse_head(data, "POST", "/");

    let start = match data.iter().position(|&b| b != b'\r' && b != b'\n') {
        Some(s) => s,
        None => {
            assert!(parse_head(data, "POST", "/").is_none());
            return;
        }
    };
    let mut room = vec![httparse::EMPTY_HEADER; 1024];
    let mut req = httparse::Request::new(&mut room);
    if let Ok(httparse::Status::Complete(_)) = req.parse(&data[start..]) {
        let (Some(method), Some(path)) = (req.method, req.path) else {
            return;
        };
        let want: Vec<(Vec<u8>, Vec<u8>)> = req
            .headers
            .iter()
            .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
            .collect();
        let got = parse_head(data, method, path);
        assert_eq!(got.as_ref(), Some(&want));
        let other = if method == "POST" { "GET" } else { "POST" };
        assert!(parse_head(data, other, path).is_none());
    }
});
