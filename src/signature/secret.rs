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
        assert!(Secret::parse("00ff").is_ok());
        assert_eq!(Secret::parse("00ff").unwrap().scheme(), ds);
        assert_eq!(Secret::parse("whsec_"), Err(SecretError::Empty(ds)));
        assert!(matches!(
            Secret::parse("whsec_abc"),
            Err(SecretError::Malformed { .. })
        ));
        let err = Secret::parse("whsec_zz11").unwrap_err().to_string();
        assert!(err.contains("character 7"), "{err}");
        assert!(
            !err.contains("zz11"),
            "error must not echo the secret: {err}"
        );
        assert!(err.starts_with("secret is not hex after 'whsec_'"), "{err}");
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
