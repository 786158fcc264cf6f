//! `relay::proxy_addr`: `Forwarded` and `X-Forwarded-For` values, and the choice of client
//! address from them.
//!
//! Input: the first byte picks the header (even: `Forwarded`, odd: `X-Forwarded-For`); the
//! rest is split at NUL bytes into that header's values.
//!
//! Invariants: never panics; at most 64 hops are read; from a peer outside the trusted set the
//! client is the peer, whatever the headers say; from a trusted peer the client is the peer,
//! an address the headers name, and never a trusted address when an untrusted one was named
//! right of every unparseable hop.
#![no_main]

use hookscope::relay::proxy_addr::{forwarded_for, x_forwarded_for, TrustedProxies};
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let values: Vec<&[u8]> = rest.split(|&b| b == 0).collect();
    let forwarded = pick % 2 == 0;
    let hops = if forwarded {
        forwarded_for(&values)
    } else {
        x_forwarded_for(&values)
    };
    assert!(hops.len() <= 64);

    let trusted = TrustedProxies::parse("127.0.0.0/8,10.0.0.0/8,::1").expect("valid list");
    let mut headers = http::HeaderMap::new();
    let name = if forwarded { "forwarded" } else { "x-forwarded-for" };
    for v in &values {
        if let Ok(v) = http::HeaderValue::from_bytes(v) {
            headers.append(name, v);
        }
    }
    let stranger: SocketAddr = "203.0.113.1:1000".parse().expect("address");
    assert_eq!(trusted.client(stranger, &headers), stranger);
    let proxy: SocketAddr = "127.0.0.1:1000".parse().expect("address");
    let client = trusted.client(proxy, &headers);
    if client != proxy {
        let named: Vec<_> = headers
            .get_all(name)
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        let all = if forwarded {
            forwarded_for(&named)
        } else {
            x_forwarded_for(&named)
        };
        assert!(all.contains(&Some(client)), "{client} is not in the headers");
    }
});
