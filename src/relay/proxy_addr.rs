//! Who really sent a request when the relay sits behind Caddy, nginx or a load balancer: the
//! trusted proxies (`TrustedProxies`, CIDR blocks), the client address they report in
//! `Forwarded` (RFC 7239) or `X-Forwarded-For`, and the PROXY protocol header (v1 text, v2
//! binary) a load balancer puts before the connection's first byte. Pure parsing plus one
//! async read of a PROXY header; the server decides when to use them.
//!
//! Contract:
//! - from a peer outside the trusted set, nothing a client sends changes the address: the
//!   headers are not read and no PROXY header is expected (one sent is just bad HTTP);
//! - from a trusted peer, the client is the right-most address in the forwarded chain that is
//!   not itself trusted (each proxy appends the address it saw, so everything left of the first
//!   untrusted hop may be forged); an entry that is not an address (`unknown`, an obfuscated
//!   name, garbage) stops the walk at the hop right of it;
//! - parsers bound what they read and never panic (fuzzed: `fuzz/proxy_header`,
//!   `fuzz/forwarded`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// One trusted block: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    addr: IpAddr,
    prefix: u8,
}

impl Block {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`, as a dual-stack socket reports it) as
/// the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The proxies whose word about the client is taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Block>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8,192.168.1.7,::1/128`. An error names the entry and why.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut blocks = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (addr, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry, None),
            };
            let addr: IpAddr = addr.parse().map_err(|_| {
                format!("'{entry}' is not an IP address or CIDR block (like 10.0.0.0/8 or 2001:db8::/32)")
            })?;
            let addr = canonical(addr);
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix =
                match prefix {
                    None => max,
                    Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
                        format!("'{entry}': the prefix length must be 0 to {max}")
                    })?,
                };
            blocks.push(Block { addr, prefix });
        }
        if blocks.is_empty() {
            return Err("no address given: name the proxies, like 127.0.0.1 or 10.0.0.0/8".into());
        }
        Ok(TrustedProxies(blocks))
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|b| b.contains(ip))
    }

    /// The client's address: `peer` itself unless it is trusted, else the right-most address
    /// of the forwarded chain (`Forwarded`, else `X-Forwarded-For`) that is not trusted.
    pub fn client(&self, peer: SocketAddr, headers: &http::HeaderMap) -> SocketAddr {
        if !self.trusts(peer.ip()) {
            return peer;
        }
        let forwarded: Vec<&[u8]> = headers
            .get_all(http::header::FORWARDED)
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        let chain = if forwarded.is_empty() {
            let xff: Vec<&[u8]> = headers
                .get_all("x-forwarded-for")
                .iter()
                .map(|v| v.as_bytes())
                .collect();
            x_forwarded_for(&xff)
        } else {
            forwarded_for(&forwarded)
        };
        self.pick(peer, &chain)
    }

    /// Walks `chain` (left = farthest) from the right. Pure.
    fn pick(&self, peer: SocketAddr, chain: &[Option<SocketAddr>]) -> SocketAddr {
        let mut nearest = peer;
        for hop in chain.iter().rev() {
            match hop {
                None => return nearest,
                Some(addr) if self.trusts(addr.ip()) => nearest = *addr,
                Some(addr) => return *addr,
            }
        }
        nearest
    }
}

/// Most hops read from forwarding headers.
const MAX_HOPS: usize = 64;

/// The `for=` of each element of `Forwarded` values, in order; `None` for one that is not an
/// address (`unknown`, `_obfuscated`, malformed). Pure.
pub fn forwarded_for(values: &[&[u8]]) -> Vec<Option<SocketAddr>> {
    let mut hops = Vec::new();
    for v in values {
        let Ok(text) = std::str::from_utf8(v) else {
            hops.push(None);
            continue;
        };
        for element in split_outside_quotes(text, ',') {
            let mut hop = None;
            let mut seen_for = false;
            for pair in split_outside_quotes(element, ';') {
                let Some((k, v)) = pair.split_once('=') else {
                    continue;
                };
                if k.trim().eq_ignore_ascii_case("for") {
                    seen_for = true;
                    hop = node(unquote(v.trim()));
                }
            }
            // An element without `for=` says nothing about the client (a `proto=` alone).
            if seen_for {
                hops.push(hop);
            }
            if hops.len() >= MAX_HOPS {
                return hops;
            }
        }
    }
    hops
}

/// The addresses of `X-Forwarded-For` values, in order. Pure.
pub fn x_forwarded_for(values: &[&[u8]]) -> Vec<Option<SocketAddr>> {
    let mut hops = Vec::new();
    for v in values {
        let Ok(text) = std::str::from_utf8(v) else {
            hops.push(None);
            continue;
        };
        for item in text.split(',') {
            hops.push(node(item.trim()));
            if hops.len() >= MAX_HOPS {
                return hops;
            }
        }
    }
    hops
}

/// Splits on `sep` outside double quotes.
fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
}

/// `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`, `[2001:db8::1]:80`, `2001:db8::1` as an address
/// (port 0 when none, or when it is obfuscated); anything else `None`.
fn node(text: &str) -> Option<SocketAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(SocketAddr::new(canonical(ip), 0));
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let ip: IpAddr = ip.parse().ok()?;
        let port = after
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if !after.is_empty() && !after.starts_with(':') {
            return None;
        }
        return Some(SocketAddr::new(canonical(ip), port));
    }
    let (ip, port) = text.rsplit_once(':')?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    let port = port.parse().unwrap_or(0);
    Some(SocketAddr::new(IpAddr::V4(ip), port))
}

/// The PROXY protocol v2 signature.
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// Longest v1 line, CRLF included (the specification's limit).
const V1_MAX: usize = 107;

/// Why a PROXY header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyHeaderError {
    /// The connection ended or stalled first.
    #[error("the connection ended before a whole PROXY header arrived")]
    Incomplete,
    /// It is not a PROXY header.
    #[error("not a PROXY protocol header: {0}")]
    Invalid(String),
}

/// A parsed PROXY header: how many bytes it took, and the client it names (`None` for
/// `UNKNOWN`, `LOCAL` and address families other than TCP over IPv4/IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyHeader {
    /// Bytes of the header.
    pub len: usize,
    /// The client's address.
    pub source: Option<SocketAddr>,
}

/// Parses a PROXY header at the start of `buf`: `Err(Incomplete)` when more bytes are needed.
/// Pure.
pub fn parse_proxy_header(buf: &[u8]) -> Result<ProxyHeader, ProxyHeaderError> {
    let invalid = |why: &str| Err(ProxyHeaderError::Invalid(why.to_string()));
    if buf.len() < 5 && (b"PROXY".starts_with(buf) || V2_SIGNATURE.starts_with(buf)) {
        return Err(ProxyHeaderError::Incomplete);
    }
    if buf.starts_with(b"PROXY") {
        let Some(end) = buf.iter().take(V1_MAX).position(|&b| b == b'\n') else {
            return if buf.len() >= V1_MAX {
                invalid("a v1 line longer than 107 bytes")
            } else {
                Err(ProxyHeaderError::Incomplete)
            };
        };
        if end == 0 || buf[end - 1] != b'\r' {
            return invalid("a v1 line must end with CRLF");
        }
        let line = std::str::from_utf8(&buf[..end - 1])
            .map_err(|_| ProxyHeaderError::Invalid("a v1 line must be ASCII".into()))?;
        return parse_v1(line).map(|source| ProxyHeader {
            len: end + 1,
            source,
        });
    }
    if buf.len() < 16 {
        return if V2_SIGNATURE.starts_with(&buf[..buf.len().min(12)]) {
            Err(ProxyHeaderError::Incomplete)
        } else {
            invalid("neither 'PROXY ' (v1) nor the v2 signature")
        };
    }
    if &buf[..12] != V2_SIGNATURE {
        return invalid("neither 'PROXY ' (v1) nor the v2 signature");
    }
    let ver_cmd = buf[12];
    if ver_cmd >> 4 != 2 {
        return invalid("v2 header with a version other than 2");
    }
    let len = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    let total = 16 + len;
    if buf.len() < total {
        return Err(ProxyHeaderError::Incomplete);
    }
    let body = &buf[16..total];
    let source = match (ver_cmd & 0x0f, buf[13]) {
        // LOCAL: the proxy's own connection (a health check): the peer is the proxy.
        (0x0, _) => None,
        (0x1, 0x11) if body.len() >= 12 => {
            let ip = std::net::Ipv4Addr::new(body[0], body[1], body[2], body[3]);
            let port = u16::from_be_bytes([body[8], body[9]]);
            Some(SocketAddr::new(IpAddr::V4(ip), port))
        }
        (0x1, 0x21) if body.len() >= 36 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&body[..16]);
            let ip = canonical(IpAddr::V6(std::net::Ipv6Addr::from(octets)));
            let port = u16::from_be_bytes([body[32], body[33]]);
            Some(SocketAddr::new(ip, port))
        }
        (0x1, 0x11 | 0x21) => return invalid("v2 address block shorter than its family needs"),
        (0x1, _) => None,
        _ => return invalid("v2 command other than LOCAL or PROXY"),
    };
    Ok(ProxyHeader { len: total, source })
}

fn parse_v1(line: &str) -> Result<Option<SocketAddr>, ProxyHeaderError> {
    let invalid = |why: &str| Err(ProxyHeaderError::Invalid(format!("v1: {why}")));
    let parts: Vec<&str> = line.split(' ').collect();
    match parts.as_slice() {
        ["PROXY", "UNKNOWN", ..] => Ok(None),
        ["PROXY", fam @ ("TCP4" | "TCP6"), src, dst, sport, dport] => {
            let (Ok(src), Ok(_dst)) = (src.parse::<IpAddr>(), dst.parse::<IpAddr>()) else {
                return invalid("addresses are not IP addresses");
            };
            if (*fam == "TCP4") != src.is_ipv4() {
                return invalid("the address does not match the family");
            }
            let port = |p: &str| {
                p.parse::<u16>()
                    .ok()
                    .filter(|_| !p.starts_with('0') || p == "0")
            };
            let (Some(sport), Some(_)) = (port(sport), port(dport)) else {
                return invalid("ports must be 0 to 65535");
            };
            Ok(Some(SocketAddr::new(canonical(src), sport)))
        }
        _ => invalid("expected 'PROXY TCP4|TCP6|UNKNOWN src dst sport dport'"),
    }
}

/// Reads exactly one PROXY header from `io` (no byte of what follows), within `timeout`.
pub async fn read_proxy_header<R: AsyncRead + Unpin>(
    io: &mut R,
    timeout: Duration,
) -> Result<ProxyHeader, ProxyHeaderError> {
    tokio::time::timeout(timeout, read_exactly_the_header(io))
        .await
        .map_err(|_| ProxyHeaderError::Incomplete)?
}

async fn read_exactly_the_header<R: AsyncRead + Unpin>(
    io: &mut R,
) -> Result<ProxyHeader, ProxyHeaderError> {
    let mut buf = vec![0u8; 16];
    let eof = |_| ProxyHeaderError::Incomplete;
    io.read_exact(&mut buf[..5]).await.map_err(eof)?;
    if &buf[..5] == b"PROXY" {
        // v1: byte by byte up to the line end, so nothing after it is consumed.
        buf.truncate(5);
        loop {
            match parse_proxy_header(&buf) {
                Err(ProxyHeaderError::Incomplete) => {
                    let mut b = [0u8; 1];
                    io.read_exact(&mut b).await.map_err(eof)?;
                    buf.push(b[0]);
                }
                done => return done,
            }
        }
    }
    io.read_exact(&mut buf[5..16]).await.map_err(eof)?;
    match parse_proxy_header(&buf) {
        Err(ProxyHeaderError::Incomplete) => {
            let len = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
            buf.resize(16 + len, 0);
            io.read_exact(&mut buf[16..]).await.map_err(eof)?;
            parse_proxy_header(&buf)
        }
        done => done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn trusted_blocks_parse_and_match() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7,2001:db8::/32").unwrap();
        assert!(t.trusts("10.200.3.4".parse().unwrap()));
        assert!(t.trusts("192.168.1.7".parse().unwrap()));
        assert!(!t.trusts("192.168.1.8".parse().unwrap()));
        assert!(t.trusts("2001:db8:1::5".parse().unwrap()));
        assert!(t.trusts("::ffff:10.1.1.1".parse().unwrap()), "v4-mapped");
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .trusts("8.8.8.8".parse().unwrap()));
        assert!(TrustedProxies::parse("10.0.0.0/33")
            .unwrap_err()
            .contains("0 to 32"));
        assert!(TrustedProxies::parse("proxy.local")
            .unwrap_err()
            .contains("proxy.local"));
        assert!(TrustedProxies::parse(" , ").is_err());
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop_and_only_via_a_trusted_peer() {
        let t = TrustedProxies::parse("127.0.0.1,10.0.0.0/8").unwrap();
        let proxy = sa("127.0.0.1:5000");
        let stranger = sa("203.0.113.9:4000");
        let xff = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.1.1.1")]);
        assert_eq!(t.client(proxy, &xff).ip().to_string(), "198.51.100.7");
        assert_eq!(
            t.client(stranger, &xff),
            stranger,
            "a stranger's headers count for nothing"
        );
        // Forwarded wins over X-Forwarded-For; quoted IPv6 with a port; several values.
        let fwd = headers(&[
            ("forwarded", "for=6.6.6.6;proto=https"),
            (
                "forwarded",
                r#"for="[2001:db8::7]:4711", for=10.0.0.2;by=10.0.0.1"#,
            ),
            ("x-forwarded-for", "5.5.5.5"),
        ]);
        assert_eq!(t.client(proxy, &fwd), sa("[2001:db8::7]:4711"));
        // An unknown hop stops the walk at the hop right of it.
        let unknown = headers(&[("forwarded", "for=1.2.3.4, for=unknown, for=10.0.0.3")]);
        assert_eq!(t.client(proxy, &unknown).ip().to_string(), "10.0.0.3");
        // All trusted: the left-most; none given: the peer.
        let all = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.8")]);
        assert_eq!(t.client(proxy, &all).ip().to_string(), "10.0.0.9");
        assert_eq!(t.client(proxy, &headers(&[])), proxy);
    }

    #[test]
    fn forwarded_elements_and_nodes() {
        let hops = forwarded_for(&[br#"for=192.0.2.60;proto=http;by=203.0.113.43, proto=https, for="_hidden", For="[2001:db8:cafe::17]""#]);
        assert_eq!(
            hops,
            vec![
                Some(sa("192.0.2.60:0")),
                None,
                Some(sa("[2001:db8:cafe::17]:0"))
            ]
        );
        assert_eq!(forwarded_for(&[b"for=\"a,b\";x=1"]), vec![None]);
        assert_eq!(forwarded_for(&[b"\xff"]), vec![None]);
        assert_eq!(
            x_forwarded_for(&[b"1.2.3.4:80, ::1 , bogus"]),
            vec![Some(sa("1.2.3.4:80")), Some(sa("[::1]:0")), None]
        );
        let many = "1.1.1.1,".repeat(1000);
        assert_eq!(x_forwarded_for(&[many.as_bytes()]).len(), MAX_HOPS);
    }

    #[test]
    fn proxy_v1_lines() {
        let h =
            parse_proxy_header(b"PROXY TCP4 198.51.100.22 203.0.113.7 35646 443\r\nGET /").unwrap();
        assert_eq!(h.source, Some(sa("198.51.100.22:35646")));
        assert_eq!(
            h.len,
            "PROXY TCP4 198.51.100.22 203.0.113.7 35646 443\r\n".len()
        );
        let h = parse_proxy_header(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n").unwrap();
        assert_eq!(h.source, Some(sa("[2001:db8::1]:1")));
        assert_eq!(
            parse_proxy_header(b"PROXY UNKNOWN\r\n").unwrap().source,
            None
        );
        assert_eq!(
            parse_proxy_header(b"PROXY TCP4 1.2.3.4"),
            Err(ProxyHeaderError::Incomplete)
        );
        assert_eq!(
            parse_proxy_header(b"PRO"),
            Err(ProxyHeaderError::Incomplete)
        );
        for bad in [
            &b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"[..],
            b"PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
            b"PROXY SCTP 1.2.3.4 5.6.7.8 1 2\r\n",
            b"GET / HTTP/1.1\r\n\r\n",
        ] {
            assert!(
                matches!(parse_proxy_header(bad), Err(ProxyHeaderError::Invalid(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = [b"PROXY ".as_slice(), &[b'x'; 200]].concat();
        assert!(matches!(
            parse_proxy_header(&long),
            Err(ProxyHeaderError::Invalid(_))
        ));
    }

    fn v2(cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
        let mut b = V2_SIGNATURE.to_vec();
        b.push(0x20 | cmd);
        b.push(fam);
        b.extend_from_slice(&(body.len() as u16).to_be_bytes());
        b.extend_from_slice(body);
        b
    }

    #[test]
    fn proxy_v2_headers() {
        let mut v4 = vec![198, 51, 100, 22, 203, 0, 113, 7];
        v4.extend_from_slice(&35646u16.to_be_bytes());
        v4.extend_from_slice(&443u16.to_be_bytes());
        v4.extend_from_slice(&[0x04, 0, 1, 0xff]); // a TLV after the addresses
        let h = parse_proxy_header(&v2(1, 0x11, &v4)).unwrap();
        assert_eq!(h.source, Some(sa("198.51.100.22:35646")));
        assert_eq!(h.len, 16 + v4.len());
        let mut v6 = vec![0u8; 36];
        v6[15] = 1;
        v6[32..34].copy_from_slice(&8080u16.to_be_bytes());
        assert_eq!(
            parse_proxy_header(&v2(1, 0x21, &v6)).unwrap().source,
            Some(sa("[::1]:8080"))
        );
        assert_eq!(
            parse_proxy_header(&v2(0, 0x11, &v4)).unwrap().source,
            None,
            "LOCAL"
        );
        assert_eq!(
            parse_proxy_header(&v2(1, 0x31, &[0; 216])).unwrap().source,
            None,
            "unix"
        );
        assert!(matches!(
            parse_proxy_header(&v2(1, 0x11, &[1, 2])),
            Err(ProxyHeaderError::Invalid(_))
        ));
        assert!(matches!(
            parse_proxy_header(&v2(5, 0x11, &v4)),
            Err(ProxyHeaderError::Invalid(_))
        ));
        let whole = v2(1, 0x11, &v4);
        assert_eq!(
            parse_proxy_header(&whole[..20]),
            Err(ProxyHeaderError::Incomplete)
        );
        assert_eq!(
            parse_proxy_header(&whole[..8]),
            Err(ProxyHeaderError::Incomplete)
        );
    }

    /// The fuzz targets' invariants on mutations of real headers, in every `cargo test`.
    #[test]
    fn mutated_headers_never_panic_and_keep_the_invariants() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(23);
        let mut v4 = vec![198, 51, 100, 22, 203, 0, 113, 7, 0, 1, 0, 2];
        v4.extend_from_slice(&[0x04, 0, 1, 0xff]);
        let seeds: Vec<Vec<u8>> = vec![
            b"PROXY TCP4 198.51.100.22 203.0.113.7 35646 443\r\nGET /".to_vec(),
            b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n".to_vec(),
            v2(1, 0x11, &v4),
            b"for=192.0.2.60;proto=http, for=\"[2001:db8::17]:4711\", for=unknown".to_vec(),
            b"6.6.6.6, 198.51.100.7:80, [::1]:9, 10.1.1.1".to_vec(),
        ];
        let trusted = TrustedProxies::parse("127.0.0.0/8,10.0.0.0/8").unwrap();
        let proxy = sa("127.0.0.1:1");
        for i in 0..5_000 {
            let mut data = seeds[i % seeds.len()].clone();
            for _ in 0..rng.random_range(1..6) {
                let at = rng.random_range(0..=data.len());
                match rng.random_range(0..3) {
                    0 if at < data.len() => data[at] = rng.random(),
                    1 => data.insert(at, rng.random()),
                    _ => data.truncate(at),
                }
            }
            if let Ok(h) = parse_proxy_header(&data) {
                assert!(h.len <= data.len());
                assert_eq!(parse_proxy_header(&data[..h.len]), Ok(h));
            }
            let hops = forwarded_for(&[&data]);
            assert!(hops.len() <= MAX_HOPS);
            assert!(x_forwarded_for(&[&data]).len() <= MAX_HOPS);
            if let Ok(value) = http::HeaderValue::from_bytes(&data) {
                let mut h = http::HeaderMap::new();
                h.append("x-forwarded-for", value.clone());
                let client = trusted.client(proxy, &h);
                assert!(client == proxy || x_forwarded_for(&[&data]).contains(&Some(client)));
                let stranger = sa("203.0.113.1:2");
                assert_eq!(trusted.client(stranger, &h), stranger);
            }
        }
    }

    #[tokio::test]
    async fn reading_takes_the_header_and_not_a_byte_more() {
        let mut v4 = vec![198, 51, 100, 22, 203, 0, 113, 7];
        v4.extend_from_slice(&1u16.to_be_bytes());
        v4.extend_from_slice(&2u16.to_be_bytes());
        for header in [
            v2(1, 0x11, &v4),
            b"PROXY TCP4 198.51.100.22 203.0.113.7 1 2\r\n".to_vec(),
        ] {
            let mut input = header.clone();
            input.extend_from_slice(b"GET / HTTP/1.1\r\n");
            let mut r = &input[..];
            let h = read_proxy_header(&mut r, Duration::from_secs(1))
                .await
                .unwrap();
            assert_eq!(h.source, Some(sa("198.51.100.22:1")));
            assert_eq!(r, b"GET / HTTP/1.1\r\n");
        }
        let mut r = &b"PROXY TCP4"[..];
        assert_eq!(
            read_proxy_header(&mut r, Duration::from_secs(1)).await,
            Err(ProxyHeaderError::Incomplete)
        );
    }
}
