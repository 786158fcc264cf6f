//! Signing secrets, each tied to its scheme: the key bytes come from the provider's own text
//! format (never guessed from a shared prefix like `whsec_`). Debug and errors never show a key.

use std::fmt;

use super::Scheme;

/// A signing secret of one scheme. Debug never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    scheme: Scheme,
    key: Vec<u8>,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Secret({}, {} bytes, redacted)",
            self.scheme,
            self.key.len()
        )
    }
}

/// Why a secret's text is unusable. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("secret is empty: {}", .0.secret_hint())]
    Empty(Scheme),
    #[error("secret is not {}: {detail}", .scheme.secret_format())]
    Malformed { scheme: Scheme, detail: String },
    #[error("secret is too short to be a real {scheme} secret: {detail}")]
    TooShort { scheme: Scheme, detail: String },
}

impl Secret {
    /// Parses a bare secret as the default scheme's (Dataspike: `whsec_<hex>`, the prefix
    /// optional). The error never echoes the secret.
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        Secret::parse_for(Scheme::default(), text)
    }

    /// Parses `text` in `scheme`'s format.
    pub fn parse_for(scheme: Scheme, text: &str) -> Result<Secret, SecretError> {
        let key = scheme.parse_key(text)?;
        Ok(Secret { scheme, key })
    }

    /// Makes a fresh random secret of the default scheme and its text (for `send` without a
    /// secret).
    pub fn generate() -> (Secret, String) {
        let scheme = Scheme::default();
        let (key, text) = scheme.generate_key();
        (Secret { scheme, key }, text)
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Refuses a key too short to be a real one of its scheme; a well-formed short key still
    /// parses (tests sign with them), so the caller decides whether to ask this.
    pub fn check_length(&self) -> Result<(), SecretError> {
        match self.scheme {
            Scheme::Dataspike => super::dataspike::check_key_len(&self.key),
        }
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }
}

/// Parses every secret, naming a bad one by its 0-based position as everywhere else:
/// `{origin} #1` is the second.
pub fn parse_secrets<S: AsRef<str>>(texts: &[S], origin: &str) -> Result<Vec<Secret>, String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Secret::parse(t.as_ref()).map_err(|e| format!("{origin} #{i} is invalid: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_parse_rules() {
        let ds = Scheme::Dataspike;
        assert!(Secret::parse("whsec_00ff").is_ok());
        assert_eq!(Secret::parse("whsec_00ff").unwrap().scheme(), ds);
        assert_eq!(Secret::parse("whsec_"), Err(SecretError::Empty(ds)));
        // Each mistake in the user's terms, never echoing the text.
        let err = |t: &str| Secret::parse(t).unwrap_err().to_string();
        assert!(err("whsec_abc").contains("odd number of hex digits"));
        let e = err("abc123");
        assert!(e.contains("does not start with 'whsec_'"), "{e}");
        let e = err("sk_live_123");
        assert!(
            e.contains("does not start with 'whsec_'") && !e.contains("123"),
            "{e}"
        );
        let e = err("whsec_xyz");
        assert!(e.contains("character 7 is not a hex digit"), "{e}");
        let e = err("whsec_zz11");
        assert!(e.contains("character 7"), "{e}");
        assert!(!e.contains("zz11"), "error must not echo the secret: {e}");
        assert!(
            e.starts_with("secret is not a Dataspike secret ('whsec_'"),
            "{e}"
        );
    }

    #[test]
    fn short_keys_parse_but_fail_the_length_check() {
        let short = Secret::parse("whsec_00112233").unwrap();
        let e = short.check_length().unwrap_err().to_string();
        assert!(
            e.starts_with(
                "secret is too short to be a real dataspike secret: 4 bytes (8 hex digits"
            ),
            "{e}"
        );
        assert!(!e.contains("00112233"), "{e}");
        let (real, _) = Secret::generate();
        assert!(real.check_length().is_ok());
        let sixteen = Secret::parse(&format!("whsec_{}", "ab".repeat(16))).unwrap();
        assert!(sixteen.check_length().is_ok());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::parse("whsec_deadbeef").unwrap();
        assert!(!format!("{s:?}").contains("dead"));
    }

    #[test]
    fn parse_secrets_names_position() {
        let err = parse_secrets(&["whsec_00", "whsec_0g"], "--secret").unwrap_err();
        assert!(err.starts_with("--secret #1 is invalid"), "{err}");
    }

    #[test]
    fn generated_secret_round_trips() {
        let (s, text) = Secret::generate();
        assert_eq!(Secret::parse(&text).unwrap(), s);
    }
}
