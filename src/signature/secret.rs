//! Signing secrets, each tied to its scheme: the key bytes come from the provider's own text
//! format (never guessed from a shared prefix like `whsec_`). Debug and errors never show a key.

use std::fmt;

use super::Scheme;

/// A signing secret of one scheme, and where it came from. Debug never shows the key; two
/// secrets are equal when their scheme and key are, wherever they came from.
#[derive(Clone)]
pub struct Secret {
    scheme: Scheme,
    key: Vec<u8>,
    origin: Origin,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.scheme == other.scheme && self.key == other.key
    }
}

impl Eq for Secret {}

/// Where a secret came from, so a verdict can say which one matched. Holds no secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Origin {
    /// Given by the user (`--secret`, the environment, the config file): named by position.
    #[default]
    Given,
    /// The local development secret.
    Dev,
    /// A Dataspike webhook's secret from hookscope's secret store.
    Stored(StoredOrigin),
}

/// Which stored Dataspike webhook secret, and when it was made current or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrigin {
    /// `sandbox`, `production` or `custom`.
    pub environment: String,
    /// Dataspike's webhook id.
    pub webhook_id: String,
    /// `Some(when)`: the previous secret, replaced by a rotation then (Unix ms); `None`: the
    /// current one.
    pub rotated_ms: Option<i64>,
}

impl Origin {
    /// How the secret is named where a verdict says which matched, `index` being its place
    /// in the list the verdict was judged with: "#0 (the first secret given)", "the local
    /// development secret (...)", "previous secret of sandbox webhook 01927ed4…, rotated 2 h
    /// ago".
    pub fn label(&self, index: usize, now_ms: i64) -> String {
        match self {
            Origin::Given if index == 0 => "#0 (the first secret given)".into(),
            Origin::Given => format!("#{index} (#0 is the first secret given)"),
            Origin::Dev => {
                "matched the local development secret (local-only, not a Dataspike secret)".into()
            }
            Origin::Stored(s) => s.label(now_ms),
        }
    }

    /// The secret as the object of a sentence ("re-signed with ..."): "the secret given
    /// first", "the local development secret (...)", "the current secret of sandbox webhook
    /// 01927ed4…".
    pub fn name(&self, index: usize, now_ms: i64) -> String {
        match self {
            Origin::Given => format!("the secret given as #{index}"),
            Origin::Dev => {
                "the local development secret (local-only, not a Dataspike secret)".into()
            }
            Origin::Stored(s) => format!("the {}", s.label(now_ms)),
        }
    }
}

impl StoredOrigin {
    /// "current secret of sandbox webhook 01927ed4…", or the previous one with its age.
    pub fn label(&self, now_ms: i64) -> String {
        let id = short_id(&self.webhook_id);
        match self.rotated_ms {
            None => format!("current secret of {} webhook {id}", self.environment),
            Some(at) => format!(
                "previous secret of {} webhook {id}, rotated {}",
                self.environment,
                ago(now_ms.saturating_sub(at))
            ),
        }
    }
}

/// The first 8 characters of an id and `…` (a UUID's first group), or the whole id when short.
pub(crate) fn short_id(id: &str) -> String {
    match id.char_indices().nth(8) {
        Some((cut, _)) => format!("{}…", &id[..cut]),
        None => id.to_string(),
    }
}

/// "40 s ago", "12 min ago", "2 h ago", "3 d ago".
pub(crate) fn ago(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=172_799 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
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
        Ok(Secret {
            scheme,
            key,
            origin: Origin::Given,
        })
    }

    /// Makes a fresh random secret of the default scheme and its text (for `send` without a
    /// secret).
    pub(crate) fn generate() -> (Secret, String) {
        Secret::generate_for(Scheme::default())
    }

    /// Makes a fresh random secret of `scheme` and its text.
    pub(crate) fn generate_for(scheme: Scheme) -> (Secret, String) {
        let (key, text) = scheme.generate_key();
        (
            Secret {
                scheme,
                key,
                origin: Origin::Given,
            },
            text,
        )
    }

    /// The same secret, coming from `origin`.
    pub fn with_origin(mut self, origin: Origin) -> Secret {
        self.origin = origin;
        self
    }

    /// Where it came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub(crate) fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Refuses a key too short to be a real one of its scheme; a well-formed short key still
    /// parses (tests sign with them), so the caller decides whether to ask this.
    pub(crate) fn check_length(&self) -> Result<(), SecretError> {
        match self.scheme {
            Scheme::Dataspike => super::dataspike::check_key_len(&self.key),
            // Other providers' secrets are checked by their own format only.
            _ => Ok(()),
        }
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }
}

/// Why a `scheme=secret` text names no scheme hookscope knows. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "names no scheme hookscope knows before '=': write {}",
    known_prefixes()
)]
pub(crate) struct UnknownScheme;

/// The key of a scheme keyed by the secret's text (spaces around it trimmed).
pub(crate) fn text_key(scheme: Scheme, text: &str) -> Result<Vec<u8>, SecretError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SecretError::Empty(scheme));
    }
    Ok(text.as_bytes().to_vec())
}

/// A generated secret whose text is its key.
pub(crate) fn text_secret(text: String) -> (Vec<u8>, String) {
    (text.clone().into_bytes(), text)
}

fn known_prefixes() -> String {
    let names: Vec<String> = Scheme::ALL.iter().map(|s| format!("'{s}=...'")).collect();
    names.join(", ")
}

/// One secret as given on the command line or in `HOOKSCOPE_SECRET`: `scheme=text`
/// (`stripe=whsec_...`), or a bare text, which is Dataspike's. The scheme of a malformed
/// one is returned with the error, so the caller can name it.
#[cfg(test)]
pub(crate) fn parse_secret(text: &str) -> Result<Secret, (Option<Scheme>, String)> {
    parse_secret_as(text, Scheme::default())
}

/// `parse_secret`, a bare text being `bare`'s: a command told which scheme it signs or
/// verifies in (`send --scheme stripe`) takes a bare secret as that scheme's.
pub(crate) fn parse_secret_as(
    text: &str,
    bare: Scheme,
) -> Result<Secret, (Option<Scheme>, String)> {
    let text = text.trim();
    let (scheme, rest) = match text.split_once('=') {
        // A scheme name is a lower-case word; Dataspike's hex never holds '='. Anything else
        // before '=' (base64 padding, a secret with '=') is not a scheme name.
        Some((name, rest)) if is_word(name) => match Scheme::parse(name) {
            Some(s) => (s, rest),
            None => return Err((None, UnknownScheme.to_string())),
        },
        _ => (bare, text),
    };
    Secret::parse_for(scheme, rest).map_err(|e| (Some(scheme), e.to_string()))
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase())
}

/// Parses every secret (see [`parse_secret`]), naming a bad one by its 0-based position and
/// scheme as everywhere else: `{origin} #1 (stripe)` is the second. Never echoes a secret.
pub(crate) fn parse_secrets<S: AsRef<str>>(
    texts: &[S],
    origin: &str,
) -> Result<Vec<Secret>, String> {
    parse_secrets_as(texts, origin, Scheme::default())
}

/// [`parse_secrets`], a bare text being `bare`'s (see [`parse_secret_as`]).
pub(crate) fn parse_secrets_as<S: AsRef<str>>(
    texts: &[S],
    origin: &str,
    bare: Scheme,
) -> Result<Vec<Secret>, String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let is_bare = !t
                .as_ref()
                .trim()
                .split_once('=')
                .is_some_and(|(name, _)| is_word(name));
            parse_secret_as(t.as_ref(), bare).map_err(|(scheme, e)| match scheme {
                Some(s) if is_bare && bare == Scheme::default() => format!(
                    "{origin} #{i} ({s}) is invalid: {e}; a bare secret is Dataspike's, another provider's needs its scheme, e.g. stripe=whsec_..."
                ),
                Some(s) => format!("{origin} #{i} ({s}) is invalid: {e}"),
                None => format!("{origin} #{i} {e}"),
            })
        })
        .collect()
}

/// The secret that signs a delivery of `scheme`: the first one of that scheme given, as
/// rotation puts the current secret first. `None` (an unsigned delivery) takes the first
/// secret given, whatever its scheme. Every re-signing path picks through here.
pub(crate) fn secret_for(scheme: Option<Scheme>, secrets: &[Secret]) -> Option<&Secret> {
    match scheme {
        Some(scheme) => secrets.iter().find(|s| s.scheme() == scheme),
        None => secrets.first(),
    }
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
    fn a_bare_secret_is_the_named_schemes() {
        let s = parse_secrets_as(&["whsec_abc"], "--secret", Scheme::Stripe).unwrap();
        assert_eq!(s[0].scheme(), Scheme::Stripe);
        let s = parse_secrets_as(&["github=x", "whsec_abc"], "--secret", Scheme::Stripe).unwrap();
        assert_eq!(
            (s[0].scheme(), s[1].scheme()),
            (Scheme::Github, Scheme::Stripe)
        );
        assert_eq!(
            parse_secrets(&["whsec_00ff"], "--secret").unwrap()[0].scheme(),
            Scheme::Dataspike
        );
    }

    #[test]
    fn parse_secrets_names_position() {
        let err = parse_secrets(&["whsec_00", "whsec_0g"], "--secret").unwrap_err();
        assert!(
            err.starts_with("--secret #1 (dataspike) is invalid"),
            "{err}"
        );
    }

    #[test]
    fn secrets_name_their_scheme() {
        let s = parse_secret("stripe=whsec_abc").unwrap();
        assert_eq!((s.scheme(), s.key()), (Scheme::Stripe, &b"whsec_abc"[..]));
        let s = parse_secret("github=a=b").unwrap();
        assert_eq!((s.scheme(), s.key()), (Scheme::Github, &b"a=b"[..]));
        assert_eq!(
            parse_secret("whsec_00ff").unwrap().scheme(),
            Scheme::Dataspike
        );
        assert_eq!(
            parse_secret("dataspike=whsec_00ff").unwrap().scheme(),
            Scheme::Dataspike
        );
        let s = parse_secret(" standard=whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD ").unwrap();
        assert_eq!(s.scheme(), Scheme::Standard);
        // Base64 padding is not a scheme separator... but a bare value is Dataspike's hex.
        assert!(parse_secret("QUJD=").is_err());
        let err = parse_secrets(&["whsec_00", "paypal=hunter2"], "--secret").unwrap_err();
        assert!(err.starts_with("--secret #1 names no scheme"), "{err}");
        assert!(!err.contains("hunter2") && !err.contains("paypal"), "{err}");
        let err = parse_secrets(
            &["stripe=whsec_a", "standard=whsec_%%%%"],
            "HOOKSCOPE_SECRET",
        )
        .unwrap_err();
        assert!(
            err.starts_with("HOOKSCOPE_SECRET #1 (standard) is invalid"),
            "{err}"
        );
        assert!(!err.contains("%%%%"), "{err}");
    }

    #[test]
    fn secret_for_picks_the_first_of_the_scheme() {
        let secrets = parse_secrets(
            &["whsec_00", "github=new", "github=old", "stripe=whsec_s"],
            "--secret",
        )
        .unwrap();
        assert_eq!(
            secret_for(Some(Scheme::Github), &secrets),
            Some(&secrets[1])
        );
        assert_eq!(
            secret_for(Some(Scheme::Stripe), &secrets),
            Some(&secrets[3])
        );
        assert_eq!(secret_for(Some(Scheme::Slack), &secrets), None);
        assert_eq!(secret_for(None, &secrets), Some(&secrets[0]));
        assert_eq!(secret_for(None, &[]), None);
    }

    #[test]
    fn origins_name_the_secret_without_showing_it() {
        assert_eq!(Origin::Given.label(0, 0), "#0 (the first secret given)");
        assert_eq!(
            Origin::Given.label(2, 0),
            "#2 (#0 is the first secret given)"
        );
        let stored = |rotated_ms| {
            Origin::Stored(StoredOrigin {
                environment: "sandbox".into(),
                webhook_id: "01927ed4-c928-7a3c-9a30-7ab7cc169d11".into(),
                rotated_ms,
            })
        };
        assert_eq!(
            stored(None).label(0, 0),
            "current secret of sandbox webhook 01927ed4…"
        );
        assert_eq!(
            stored(Some(1_000)).label(1, 1_000 + 2 * 3_600_000 + 5),
            "previous secret of sandbox webhook 01927ed4…, rotated 2 h ago"
        );
        assert_eq!(ago(59_999), "59 s ago");
        assert_eq!(ago(120_000), "2 min ago");
        assert_eq!(ago(3 * 86_400_000), "3 d ago");
        assert_eq!(short_id("w1"), "w1");
        // The origin is not part of a secret's identity.
        let s = Secret::parse("whsec_00ff").unwrap();
        assert_eq!(s.clone().with_origin(Origin::Dev), s);
    }

    #[test]
    fn generated_secret_round_trips() {
        let (s, text) = Secret::generate();
        assert_eq!(Secret::parse(&text).unwrap(), s);
    }
}
