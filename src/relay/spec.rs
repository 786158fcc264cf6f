//! Where the relay keeps its log: `sqlite:PATH` or a list of NATS servers, parsed and checked
//! before anything connects. Pure; fuzzed by `fuzz/relay_store_spec`.

use std::path::PathBuf;

/// Where the relay keeps its log, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// NATS servers (`nats://` or `tls://` URLs, host and port each), tried in order.
    Nats(Vec<String>),
}

impl StoreSpec {
    /// Parses `sqlite:PATH` or `nats://HOST:PORT[,nats://HOST:PORT...]` (also `tls://`). Pure.
    pub fn parse(text: &str) -> Result<StoreSpec, String> {
        let text = text.trim();
        let usage =
            "give 'sqlite:PATH' or 'nats://HOST:PORT' (several NATS servers separated by commas)";
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(format!("'{text}' names no file; {usage}"));
            }
            return Ok(StoreSpec::Sqlite(PathBuf::from(path)));
        }
        if text.is_empty() {
            return Err(format!("the store is empty; {usage}"));
        }
        // Credentials never belong here, and a password may hold a comma: refuse the whole
        // value without repeating any of it.
        if text.contains('@') {
            return Err(format!(
                "the store holds credentials (an '@'): put them in a credentials file instead of the URL; {usage}"
            ));
        }
        let mut servers = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            servers.push(nats_server(part).map_err(|why| format!("'{part}' {why}; {usage}"))?);
        }
        Ok(StoreSpec::Nats(servers))
    }
}

/// Checks one NATS server URL (never one with credentials: `parse` refused those, since they
/// would show in process lists); the reason it is not one, in words.
fn nats_server(url: &str) -> Result<String, &'static str> {
    let rest = url
        .strip_prefix("nats://")
        .or_else(|| url.strip_prefix("tls://"))
        .ok_or("is not a NATS URL (it must start with nats:// or tls://)")?;
    if rest.contains(['/', '?', '#']) {
        return Err("must be only a host and a port");
    }
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or("has an IPv6 address without its closing ']'")?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or("has something after its host that is not ':PORT'")?,
                ),
            ),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => {
                return Err("has an IPv6 address: put it in brackets, like nats://[::1]:4222")
            }
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'_'))
    {
        return Err("has no valid host name");
    }
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => {}
            _ => return Err("has a port that is not a number from 1 to 65535"),
        }
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_is_an_sqlite_file_or_a_list_of_nats_servers() {
        assert_eq!(
            StoreSpec::parse("sqlite:/var/lib/relay.db"),
            Ok(StoreSpec::Sqlite("/var/lib/relay.db".into()))
        );
        assert_eq!(
            StoreSpec::parse("sqlite://relay.db"),
            Ok(StoreSpec::Sqlite("relay.db".into()))
        );
        assert_eq!(
            StoreSpec::parse(
                " nats://127.0.0.1:4222, tls://nats-2.internal:4222,nats://[::1]:4222 "
            ),
            Ok(StoreSpec::Nats(vec![
                "nats://127.0.0.1:4222".into(),
                "tls://nats-2.internal:4222".into(),
                "nats://[::1]:4222".into(),
            ]))
        );
        assert_eq!(
            StoreSpec::parse("nats://nats"),
            Ok(StoreSpec::Nats(vec!["nats://nats".into()]))
        );
    }

    #[test]
    fn a_bad_store_says_what_is_wrong_and_never_echoes_a_password() {
        for (text, why) in [
            ("", "empty"),
            ("sqlite:", "names no file"),
            ("postgres://x", "not a NATS URL"),
            ("nats://127.0.0.1:4222,", "not a NATS URL"),
            ("nats://:4222", "no valid host"),
            ("nats://h:0", "port"),
            ("nats://h:99999", "port"),
            ("nats://h:42/x", "only a host and a port"),
            ("nats://::1:4222", "brackets"),
            ("nats://[::1", "closing"),
            ("nats://[::1]x", "':PORT'"),
            ("nats://h o:1", "no valid host"),
        ] {
            let e = StoreSpec::parse(text).unwrap_err();
            assert!(e.contains(why) && e.contains("sqlite:PATH"), "{text}: {e}");
        }
        let e = StoreSpec::parse("nats://user:hunter2@h:4222").unwrap_err();
        let e2 = StoreSpec::parse("nats://127.0.0.1:4222,tls://admin:hunter2@x:1").unwrap_err();
        assert!(!e2.contains("hunter2"), "{e2}");
        assert!(
            e.contains("credentials file") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(!e.contains("user"), "{e}");
    }

    /// The fuzz target's invariants on mutations of real values.
    #[test]
    fn mutated_stores_never_panic_or_echo_a_password() {
        let seeds = [
            "nats://127.0.0.1:4222,nats://[::1]:4222",
            "nats://user:hunter2@host:4222",
            "sqlite:/var/lib/relay.db",
        ];
        let alphabet = b":/@,[]. ats9";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for seed in seeds {
            for _ in 0..1000 {
                let mut m: Vec<u8> = seed.bytes().collect();
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let at = (x >> 33) as usize % (m.len() + 1);
                let c = alphabet[(x >> 13) as usize % alphabet.len()];
                match x % 3 {
                    0 if at < m.len() => m[at] = c,
                    1 => m.insert(at, c),
                    _ => m.truncate(at),
                }
                let text = String::from_utf8(m).unwrap();
                match StoreSpec::parse(&text) {
                    Ok(StoreSpec::Nats(servers)) => {
                        assert_eq!(servers.len(), text.trim().split(',').count());
                        assert!(servers.iter().all(|s| !s.contains('@')), "{text}");
                    }
                    Ok(StoreSpec::Sqlite(_)) => {}
                    Err(e) => {
                        let userinfo = text.split_once("://").is_some_and(|(_, r)| r.contains('@'));
                        assert!(!userinfo || !e.contains("hunter2"), "{text}: {e}");
                    }
                }
            }
        }
    }
}
