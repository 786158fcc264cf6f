//! `relay::proxy_addr::parse_proxy_header`, the PROXY protocol v1/v2 header a trusted load
//! balancer puts before a connection's first byte.
//!
//! Invariants: never panics; a parsed header takes no more bytes than it was given and parses
//! the same from exactly those bytes (nothing after it matters); every shorter prefix of a
//! parsed header is `Incomplete` or the same answer never comes from fewer bytes; a v1 header
//! is at most 107 bytes.
#![no_main]

use hookscope::relay::proxy_addr::{parse_proxy_header, ProxyHeaderError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_proxy_header(data) {
        Ok(h) => {
            assert!(h.len <= data.len());
            assert_eq!(parse_proxy_header(&data[..h.len]), Ok(h));
            if data.starts_with(b"PROXY") {
                assert!(h.len <= 107);
            }
            for cut in 0..h.len {
                assert!(
                    matches!(
                        parse_proxy_header(&data[..cut]),
                        Err(ProxyHeaderError::Incomplete) | Err(ProxyHeaderError::Invalid(_))
                    ),
                    "a header parsed from {cut} of its {} bytes",
                    h.len
                );
            }
        }
        Err(ProxyHeaderError::Incomplete) => {
            // More bytes may complete it, but nothing here claims a header.
        }
        Err(ProxyHeaderError::Invalid(why)) => assert!(!why.is_empty()),
    }
});
