//! Turning flags and environment into checked settings (ripgrep's lowargs -> hiargs): the one
//! layer that knows flag names. Mistakes here are usage errors (exit code 2) that name the flag
//! and say what to do; nothing below this layer mentions a flag.

use http::Uri;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::forward::{parse_target, Forwarder};
use crate::sign_mode::SignMode;
use crate::signature::{parse_secrets, Scheme, Secret};
use crate::store::{Fault, StoreError};

/// A mistake in how hookscope was invoked: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// File name of the default database inside the platform data directory.
pub const DEFAULT_DB_FILE: &str = "hookscope.db";

/// `--db`/`HOOKSCOPE_DB`, else `hookscope.db` in the platform's data directory
/// (`~/.local/share/hookscope` on Linux, `~/Library/Application Support/hookscope` on macOS).
pub fn db_path(arg: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = arg {
        return Ok(p.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("", "", "hookscope").ok_or_else(|| {
        usage(
            "cannot find a data directory for the default database (is HOME set?): pass --db PATH",
        )
    })?;
    Ok(dirs.data_dir().join(DEFAULT_DB_FILE))
}

/// Parses `--secret` values; the error names which one is wrong, never its value. A key too
/// short to be real is refused unless `allow_short` (`--allow-short-secret`).
pub fn secrets(texts: &[String], allow_short: bool) -> anyhow::Result<Vec<Secret>> {
    let texts: Vec<&str> = texts
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let secrets = parse_secrets(&texts, "--secret").map_err(usage)?;
    if !allow_short {
        for (i, s) in secrets.iter().enumerate() {
            s.check_length().map_err(|e| {
                usage(format!(
                    "--secret #{i} is invalid: {e}; pass --allow-short-secret to use it anyway"
                ))
            })?;
        }
    }
    Ok(secrets)
}

/// The secrets a command signs and verifies with, and whether they are the local development
/// secret (then `dev_secret` is its file, for the labels that say so).
#[derive(Debug, Clone)]
pub struct Secrets {
    pub list: Vec<Secret>,
    pub dev_secret: Option<PathBuf>,
}

/// `--secret`/`HOOKSCOPE_SECRET`, else the local development secret (made on first use): for
/// `listen`, `send`, `replay`, `tui` and `check`. A real secret always wins.
pub fn secrets_or_dev(texts: &[String], allow_short: bool) -> anyhow::Result<Secrets> {
    let list = secrets(texts, allow_short)?;
    if !list.is_empty() {
        return Ok(Secrets {
            list,
            dev_secret: None,
        });
    }
    let path = crate::devsecret::default_path().map_err(|e| {
        usage(format!(
            "{e}: pass --secret whsec_... or set HOOKSCOPE_SECRET"
        ))
    })?;
    let secret = crate::devsecret::load_or_create(&path)
        .map_err(|e| anyhow::anyhow!("{e}; or pass --secret whsec_... or set HOOKSCOPE_SECRET"))?;
    Ok(Secrets {
        list: vec![secret],
        dev_secret: Some(path),
    })
}

/// How the local development secret is named wherever it is used: never the secret itself.
pub fn dev_secret_label(path: &Path) -> String {
    format!(
        "the local development secret (not a Dataspike secret; pass --secret for real deliveries), kept in '{}'",
        path.display()
    )
}

/// What to do on the command line about a failure from below, which never names a flag: the
/// end of the message `main` prints, separator included.
pub fn advice(e: &anyhow::Error) -> Option<&'static str> {
    let store = e.chain().find_map(|c| c.downcast_ref::<StoreError>())?;
    match store {
        StoreError::Missing { .. } => {
            Some(": run 'hookscope listen' first, or pass --db with the right path")
        }
        StoreError::CreateDir { .. } => Some("; pass --db with a writable path"),
        StoreError::NewerSchema { .. } => Some(" or pass --db with another file"),
        StoreError::Sqlite { fault, .. } => match fault.as_ref()? {
            Fault::ReadOnly => Some("; or pass --db with a writable path"),
            Fault::NotADatabase => Some("; then start a new one with --db"),
            Fault::DiskFull => Some("; or pass --db on another disk"),
            Fault::CannotOpen | Fault::PermissionDenied => Some("; or pass --db elsewhere"),
            Fault::Locked | Fault::Io => None,
        },
        StoreError::Damaged { .. } => None,
    }
}

/// `send --sign MODE` (or a fixture that asks to be signed) without a secret to sign with.
pub fn sign_secret_needed(mode: SignMode) -> String {
    format!(
        "--sign {} needs a secret: pass --secret, or let hookscope generate one",
        mode.as_str()
    )
}

/// A usage error for something that needs a signing secret and got none; `what` says which,
/// e.g. "verify needs a secret".
pub fn secret_needed(what: &str) -> anyhow::Error {
    usage(format!(
        "{what}: pass --secret whsec_... or set HOOKSCOPE_SECRET"
    ))
}

/// The app URL given with `flag` (`--to`, `--forward-to`), checked.
pub fn target(flag: &str, url: &str) -> anyhow::Result<Uri> {
    parse_target(url).map_err(|e| usage(format!("{flag}: {e}")))
}

/// The client for the developer's app: `timeout` per request, and `--ca-cert` trusted for https
/// targets besides the public roots. The one place that flag is named: `TlsError` says what is
/// wrong with the file.
pub fn forwarder(
    timeout: std::time::Duration,
    ca_cert: Option<&Path>,
) -> anyhow::Result<Forwarder> {
    let tls = crate::tls::client_config(ca_cert).map_err(|e| usage(format!("--ca-cert: {e}")))?;
    Ok(Forwarder::with_tls(timeout, tls))
}

/// A signature scheme by name, case-insensitively (`--scheme stripe`).
pub fn scheme(flag: &str, text: &str) -> anyhow::Result<Scheme> {
    let name = text.trim().to_ascii_lowercase();
    Scheme::parse(&name).ok_or_else(|| {
        let known: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
        usage(format!(
            "{flag} '{text}' is not a known scheme; use one of: {}",
            known.join(", ")
        ))
    })
}

/// The bytes of the file given with `flag` (`--body-file`).
pub fn body_file(flag: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| usage(format!("cannot read {flag} '{}': {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_parse_by_name_and_name_the_flag() {
        assert_eq!(scheme("--scheme", "Dataspike").unwrap(), Scheme::Dataspike);
        let e = scheme("--scheme", "nosuch").unwrap_err().to_string();
        assert!(
            e.contains("--scheme 'nosuch'") && e.contains("dataspike"),
            "{e}"
        );
    }

    fn is_usage(e: &anyhow::Error) -> bool {
        e.downcast_ref::<UsageError>().is_some()
    }

    #[test]
    fn target_errors_name_the_flag() {
        assert_eq!(
            target("--to", "http://127.0.0.1:3000/h").unwrap(),
            "http://127.0.0.1:3000/h"
        );
        let e = target("--forward-to", "ftp://app").unwrap_err();
        assert!(is_usage(&e));
        assert!(
            e.to_string()
                .starts_with("--forward-to: target URL 'ftp://app'"),
            "{e}"
        );
    }

    #[test]
    fn body_file_errors_name_the_flag_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        std::fs::write(&path, b"{}").unwrap();
        assert_eq!(body_file("--body-file", &path).unwrap(), b"{}");
        let e = body_file("--body-file", &dir.path().join("missing.json")).unwrap_err();
        assert!(is_usage(&e));
        assert!(
            e.to_string().starts_with("cannot read --body-file '"),
            "{e}"
        );
        assert!(e.to_string().contains("missing.json"), "{e}");
    }

    #[test]
    fn store_failures_get_flag_advice() {
        let missing: anyhow::Error = StoreError::Missing {
            path: "h.db".into(),
        }
        .into();
        let missing = missing.context("cannot list");
        assert_eq!(
            format!("{missing:#}{}", advice(&missing).unwrap()),
            "cannot list: database 'h.db' does not exist: run 'hookscope listen' first, or pass --db with the right path"
        );
        let read_only: anyhow::Error = StoreError::Sqlite {
            path: "h.db".into(),
            fault: Some(Fault::ReadOnly),
            message: "read-only".into(),
        }
        .into();
        assert!(advice(&read_only)
            .unwrap()
            .contains("--db with a writable path"));
        assert_eq!(advice(&anyhow::anyhow!("other")), None);
    }

    #[test]
    fn signing_without_a_secret_says_how_to_get_one() {
        assert_eq!(
            sign_secret_needed(SignMode::Valid),
            "--sign valid needs a secret: pass --secret, or let hookscope generate one"
        );
    }

    #[test]
    fn secret_needed_says_how_to_give_one() {
        let e = secret_needed("verify needs a secret");
        assert!(is_usage(&e));
        assert_eq!(
            e.to_string(),
            "verify needs a secret: pass --secret whsec_... or set HOOKSCOPE_SECRET"
        );
    }
}
