//! Channel ids and read tokens, pure. An id is 128 random bits (URL-safe base64, 22 chars): it
//! is the ingest URL, so it must be unguessable. A token is 256 random bits shown once; the
//! relay keeps only its SHA-256 and compares hashes in constant time. Neither `Token`'s
//! `Debug` nor any error prints a token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix that makes a relay token recognisable in a config file or a leak scanner.
pub const TOKEN_PREFIX: &str = "hsr_";

/// A new channel id: 16 random bytes, URL-safe base64 without padding, beginning with a letter
/// or digit (an id beginning with `-` would read as a flag on a command line: `channel remove
/// -Zx...`; one in 32 draws does, and is drawn again).
pub fn new_channel_id() -> String {
    loop {
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        let id = URL_SAFE_NO_PAD.encode(b);
        if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return id;
        }
    }
}

/// Whether `s` looks like a channel id (so a path segment can be rejected before any lookup).
pub fn is_channel_id(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A read token; shown to the user once, at `channel add` or `rotate-token`.
pub struct Token(String);

impl Token {
    pub fn generate() -> Token {
        Token::generate_with_prefix(TOKEN_PREFIX)
    }

    /// 32 random bytes after `prefix` (the relay's admin token has its own).
    pub fn generate_with_prefix(prefix: &str) -> Token {
        let mut b = [0u8; 32];
        rand::rng().fill_bytes(&mut b);
        Token(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b)))
    }

    /// The text to show the user, once.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> [u8; 32] {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(<{} chars>)", self.0.len())
    }
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `presented` hashes to `stored`, compared in constant time.
pub fn token_matches(presented: &str, stored: &[u8]) -> bool {
    let h = hash_token(presented);
    stored.len() == h.len() && bool::from(h.ct_eq(stored))
}

/// The bearer token of an `Authorization` header value, if it is one.
pub fn bearer(header: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(header).ok()?;
    let (scheme, rest) = text.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_128_bits_url_safe_and_distinct() {
        let a = new_channel_id();
        let b = new_channel_id();
        assert_ne!(a, b);
        assert!(is_channel_id(&a), "{a}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 16);
        for _ in 0..2000 {
            let id = new_channel_id();
            assert!(is_channel_id(&id), "{id}");
            assert!(id.starts_with(|c: char| c.is_ascii_alphanumeric()), "{id}");
        }
        assert!(!is_channel_id("short"));
        assert!(!is_channel_id("aaaaaaaaaaaaaaaaaaaa/."));
    }

    #[test]
    fn tokens_match_only_their_hash_and_never_print() {
        let t = Token::generate();
        assert!(t.reveal().starts_with(TOKEN_PREFIX));
        let h = t.hash();
        assert!(token_matches(t.reveal(), &h));
        assert!(!token_matches("hsr_wrong", &h));
        assert!(!token_matches(t.reveal(), &h[..31]));
        assert!(!format!("{t:?}").contains(&t.reveal()[4..]));
        // Known vector: SHA-256 of "abc".
        assert_eq!(
            hex::encode(hash_token("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn bearer_header() {
        assert_eq!(bearer(b"Bearer abc"), Some("abc"));
        assert_eq!(bearer(b"bearer  abc "), Some("abc"));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"Bearer "), None);
        assert_eq!(bearer(b"\xff"), None);
    }
}
