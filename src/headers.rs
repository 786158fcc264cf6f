//! Header pairs exactly as received, the lookups on them, and the one list of headers that
//! describe a connection rather than the message. A leaf: imports nothing from the crate, so
//! every module may use it.

/// One header exactly as received: name and value bytes, in order.
pub type HeaderPair = (Vec<u8>, Vec<u8>);

/// Headers that describe one connection (hop-by-hop, RFC 9110 7.6.1) or its framing, not the
/// delivery: never passed on, whoever sends the message next frames it itself.
pub(crate) const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
];

/// First value of `name` (case-insensitive) among `headers`.
pub(crate) fn header_value<'a>(headers: &'a [HeaderPair], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v.as_slice())
}

/// Every value of `name` (case-insensitive), in order: a repeated header stays visible.
pub(crate) fn header_values<'a>(headers: &'a [HeaderPair], name: &str) -> Vec<&'a [u8]> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v.as_slice())
        .collect()
}

/// Replaces the first header called `name` in place (keeping its position), drops any repeats,
/// or appends it when absent.
pub(crate) fn set_header(headers: &mut Vec<HeaderPair>, name: &str, value: Vec<u8>) {
    let mut value = Some(value);
    headers.retain_mut(|(n, v)| {
        if !n.eq_ignore_ascii_case(name.as_bytes()) {
            return true;
        }
        match value.take() {
            Some(new) => {
                *v = new;
                true
            }
            None => false,
        }
    });
    if let Some(v) = value {
        headers.push((name.as_bytes().to_vec(), v));
    }
}

/// Which headers of one message are hop-by-hop: the [`HOP_BY_HOP`] list, any `proxy-*`, and
/// every name the message's own `Connection` headers list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HopByHop {
    /// Lower-case names listed in `Connection`.
    named: Vec<Vec<u8>>,
}

impl HopByHop {
    /// Reads the `Connection` headers of `headers`.
    pub(crate) fn of(headers: &[HeaderPair]) -> HopByHop {
        let named = header_values(headers, "connection")
            .into_iter()
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|t| t.trim_ascii().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        HopByHop { named }
    }

    /// True when `name` describes the connection, not the message.
    pub(crate) fn contains(&self, name: &[u8]) -> bool {
        let lower = name.to_ascii_lowercase();
        HOP_BY_HOP.iter().any(|h| h.as_bytes() == lower.as_slice())
            || lower.starts_with(b"proxy-")
            || self.named.contains(&lower)
    }
}

/// Parses `Name: value` (a header given on the command line or in the config file): a valid
/// HTTP header name, the value trimmed.
pub fn parse_header_arg(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("header '{text}' must look like 'Name: value'"))?;
    let name = name.trim();
    if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!(
            "header name '{name}' is not a valid HTTP header name"
        ));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(n: &str, v: &str) -> HeaderPair {
        (n.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let h = vec![(b"X-Webhook-Signature".to_vec(), b"t=1".to_vec())];
        assert_eq!(header_value(&h, "x-webhook-signature"), Some(&b"t=1"[..]));
        assert_eq!(header_value(&h, "content-type"), None);
    }

    #[test]
    fn all_values_in_order() {
        let h = vec![hp("A", "1"), hp("b", "x"), hp("a", "2")];
        assert_eq!(header_values(&h, "a"), vec![&b"1"[..], b"2"]);
        assert!(header_values(&h, "c").is_empty());
    }

    #[test]
    fn set_header_replaces_in_place() {
        let mut h = vec![hp("A", "1"), hp("x-webhook-signature", "old"), hp("B", "2")];
        h.push(hp("X-Webhook-Signature", "dup"));
        set_header(&mut h, "X-Webhook-Signature", b"new".to_vec());
        assert_eq!(
            h,
            vec![hp("A", "1"), hp("x-webhook-signature", "new"), hp("B", "2")]
        );
        set_header(&mut h, "C", b"3".to_vec());
        assert_eq!(h.last(), Some(&hp("C", "3")));
    }

    #[test]
    fn hop_by_hop_list_proxy_and_connection_named() {
        let h = vec![hp("Connection", "keep-alive, X-Hop"), hp("X-Hop", "1")];
        let hop = HopByHop::of(&h);
        for name in [
            "Host",
            "content-length",
            "TE",
            "Proxy-Authorization",
            "x-hop",
        ] {
            assert!(hop.contains(name.as_bytes()), "{name}");
        }
        for name in ["Content-Type", "X-Webhook-Signature", "Expect"] {
            assert!(!hop.contains(name.as_bytes()), "{name}");
        }
        assert!(!HopByHop::default().contains(b"x-hop"));
    }
}
