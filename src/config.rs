//! Turning flags and environment into checked settings (ripgrep's lowargs -> hiargs): the one
//! layer that knows flag names. Mistakes here are usage errors (exit code 2) that name the flag
//! and say what to do; nothing below this layer mentions a flag.

use http::Uri;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config_file::{self, FileConfig, SecretEntry, SecretRef};
use crate::egress::Egress;
use crate::forward::{parse_target, Forwarder};
use crate::signature::{parse_secrets_as, Scheme, Secret};
use crate::store::{Fault, StoreError};

/// A mistake in how hookscope was invoked: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub(crate) String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// File name of the default database inside the platform data directory.
pub(crate) const DEFAULT_DB_FILE: &str = "hookscope.db";

/// `--db`/`HOOKSCOPE_DB`, else `hookscope.db` in the platform's data directory
/// (`~/.local/share/hookscope` on Linux, `~/Library/Application Support/hookscope` on macOS).
/// The default folder is created (private) when a command creates the store; a given path's
/// folder must exist, so a typo is an error instead of a new, empty store somewhere else.
pub(crate) fn db_path(arg: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = arg {
        let folder = p.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(folder) = folder.filter(|d| !d.is_dir()) {
            let what = if folder.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            return Err(usage(format!(
                "--db (or HOOKSCOPE_DB) '{}': folder '{}' {what}; create it (mkdir -p '{}') or fix the path",
                p.display(),
                folder.display(),
                folder.display()
            )));
        }
        return Ok(p.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("", "", "hookscope").ok_or_else(|| {
        usage(
            "cannot find a data directory for the default database (is HOME set?): pass --db PATH",
        )
    })?;
    Ok(dirs.data_dir().join(DEFAULT_DB_FILE))
}

/// The config file: `--config`/`HOOKSCOPE_CONFIG` (which must exist), else `hookscope.toml` in
/// the current directory when there is one. `None`: no file, flags and defaults only.
pub(crate) fn config_file(arg: Option<&Path>) -> anyhow::Result<Option<(PathBuf, FileConfig)>> {
    let (path, given) = match arg {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(config_file::FILE_NAME), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if !given && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(usage(format!(
                "cannot read --config (or HOOKSCOPE_CONFIG) '{}': {e}; fix the path, or leave it out to use ./{}",
                path.display(),
                config_file::FILE_NAME
            )))
        }
    };
    let file = config_file::parse(&text)
        .map_err(|e| usage(format!("config file '{}', {e}", path.display())))?;
    Ok(Some((path, file)))
}

/// What `--redact` replaces: the config file's `[redact]` table (`--config`, else
/// `./hookscope.toml`), else Dataspike's default fields.
pub(crate) fn redact_rules(config: Option<&Path>) -> anyhow::Result<crate::redact::Rules> {
    let settings = config_file(config)?
        .map(|(_, file)| file.redact)
        .unwrap_or_default();
    // Checked when the file was parsed, with its line.
    settings.rules().map_err(usage)
}

/// What the TUI's copy keys redact: with `--redact`, or when the config file has a `[redact]`
/// table, that table's rules (else Dataspike's default fields); `None`: copies as captured.
pub(crate) fn copy_redaction(
    config: Option<&Path>,
    flag: bool,
) -> anyhow::Result<Option<crate::redact::Rules>> {
    let file = config_file(config)?;
    let table = file.as_ref().is_some_and(|(_, f)| f.redact_table);
    if !flag && !table {
        return Ok(None);
    }
    let settings = file.map(|(_, f)| f.redact).unwrap_or_default();
    settings.rules().map(Some).map_err(usage)
}

/// A secret the file refers to, read from its variable or file. Errors name the reference
/// and its line, never the value.
pub(crate) fn resolve_secret(file: &Path, entry: &SecretEntry) -> Result<Secret, String> {
    resolve(file, entry).map_err(|why| {
        format!(
            "config file '{}', line {}: secret '{}': {why}",
            file.display(),
            entry.line,
            entry.at
        )
    })
}

/// [`resolve_secret`] with only why it failed (`config check` prints the rest itself).
pub(crate) fn resolve(file: &Path, entry: &SecretEntry) -> Result<Secret, String> {
    let text = match &entry.at {
        SecretRef::Env(name) => std::env::var(name).map_err(|_| {
            format!("environment variable '{name}' is not set; export it, or change the reference")
        })?,
        SecretRef::File(p) => {
            let path = beside(file, p);
            std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read '{}': {e}; fix the path", path.display()))?
        }
    };
    Secret::parse_for(entry.scheme, text.trim()).map_err(|e| e.to_string())
}

/// The file's secrets, each resolved; the first failure is a usage error.
pub(crate) fn file_secrets(file: &Path, entries: &[SecretEntry]) -> anyhow::Result<Vec<Secret>> {
    entries
        .iter()
        .map(|e| resolve_secret(file, e).map_err(usage))
        .collect()
}

/// `~/x` in the home directory; anything else as written.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => PathBuf::from(p),
    }
}

/// A path the file gave (already a path) placed beside the file, `~/` expanded.
pub(crate) fn beside_path(file: &Path, written: &Path) -> PathBuf {
    beside(file, &written.to_string_lossy())
}

/// A path written in the config file is relative to the file's folder.
pub(crate) fn beside(file: &Path, written: &str) -> PathBuf {
    let p = expand_home(written);
    match file.parent() {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p,
    }
}

/// Parses `--secret` values; the error names which one is wrong, never its value. A key too
/// short to be real is refused unless `allow_short` (`--allow-short-secret`). A bare secret is
/// `bare`'s: `send --scheme stripe --secret whsec_...` means a Stripe secret.
pub(crate) fn secrets_as(
    texts: &[String],
    allow_short: bool,
    bare: Scheme,
) -> anyhow::Result<Vec<Secret>> {
    let texts: Vec<&str> = texts
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let secrets = parse_secrets_as(&texts, "--secret", bare).map_err(usage)?;
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
/// secret (then `dev_secret` is its file, for the labels that say so). Each secret carries its
/// origin (`Secret::origin`), so a verdict can say which matched.
#[derive(Debug, Clone)]
pub(crate) struct Secrets {
    pub(crate) list: Vec<Secret>,
    pub(crate) dev_secret: Option<PathBuf>,
}

/// `--secret`/`HOOKSCOPE_SECRET`, else the stored Dataspike secrets, else the local development
/// secret (made on first use): for `listen`, `send`, `replay`, `tui`, `check` and `verify`. A
/// real secret always wins.
pub(crate) fn secrets_or_dev(texts: &[String], allow_short: bool) -> anyhow::Result<Secrets> {
    secrets_or_dev_as(texts, allow_short, Scheme::default())
}

/// [`secrets_or_dev`], a bare secret being `bare`'s (`check --scheme stripe`).
pub(crate) fn secrets_or_dev_as(
    texts: &[String],
    allow_short: bool,
    bare: Scheme,
) -> anyhow::Result<Secrets> {
    let list = with_stored(secrets_as(texts, allow_short, bare)?);
    if !list.is_empty() {
        return Ok(Secrets {
            list,
            dev_secret: None,
        });
    }
    Ok(dev_secret_or_none())
}

/// The local development secret, or none (with a warning) when it cannot be made.
fn dev_secret_or_none() -> Secrets {
    let dev = crate::devsecret::default_path()
        .and_then(|path| crate::devsecret::load_or_create(&path).map(|s| (s, path)));
    match dev {
        Ok((secret, path)) => Secrets {
            list: vec![secret.with_origin(crate::signature::Origin::Dev)],
            dev_secret: Some(path),
        },
        // Not fatal: the command goes on as with no secret (unverified, sent as captured), and
        // whatever needs one says so with the flag to pass.
        Err(e) => {
            eprintln!(
                "warning: {e}; going on without a secret: pass --secret whsec_... or set HOOKSCOPE_SECRET"
            );
            Secrets {
                list: Vec::new(),
                dev_secret: None,
            }
        }
    }
}

/// `given` and, unless it holds a Dataspike secret (a given one wins, as over the development
/// secret), the Dataspike secrets `hookscope dataspike` stored: every webhook's current secret
/// followed by its previous one while `--keep-old` keeps it, the webhook changed last first.
pub(crate) fn with_stored(mut given: Vec<Secret>) -> Vec<Secret> {
    if given.iter().any(|s| s.scheme() == Scheme::Dataspike) {
        return given;
    }
    given.extend(stored_secrets());
    given
}

/// Every secret hookscope keeps by itself, to say which one a stored capture matched: the
/// stored Dataspike secrets and the local development secret (read, never made here).
pub(crate) fn known_secrets() -> Vec<Secret> {
    let mut known = stored_secrets();
    let dev = crate::devsecret::default_path()
        .ok()
        .and_then(|p| crate::devsecret::load(&p).ok().flatten());
    known.extend(dev.map(|d| d.with_origin(crate::signature::Origin::Dev)));
    known
}

/// The stored Dataspike secrets (see [`with_stored`]); an expired previous secret is deleted
/// from the store on the way. A store that cannot be read is a warning, not a failure.
pub(crate) fn stored_secrets() -> Vec<Secret> {
    use crate::secret_store::{dataspike, SecretStore};
    let now = chrono::Utc::now().timestamp_millis();
    let read = SecretStore::default_location().and_then(|store| {
        if store.path().exists() {
            // Best effort: a store that cannot be written still verifies.
            let _ = store.purge_expired(now);
        }
        dataspike::webhooks(&store, now)
    });
    let hooks = match read {
        Ok(h) => h,
        Err(e) => {
            eprintln!("warning: {e}; going on without the stored Dataspike secrets");
            return Vec::new();
        }
    };
    stored_webhook_secrets(&hooks)
}

/// Each webhook's current secret, then its previous one, as secrets with their origins. A
/// stored text that is not a Dataspike secret (edited by hand) is left out with a warning.
pub(crate) fn stored_webhook_secrets(
    hooks: &[crate::secret_store::dataspike::Webhook],
) -> Vec<Secret> {
    use crate::signature::{Origin, StoredOrigin};
    let mut out = Vec::new();
    for w in hooks {
        let origin = |rotated_ms| {
            Origin::Stored(StoredOrigin {
                environment: w.environment.clone(),
                webhook_id: w.id.clone(),
                rotated_ms,
            })
        };
        let texts = std::iter::once((w.secret.expose(), None)).chain(
            w.previous
                .iter()
                .map(|p| (p.secret.expose(), Some(p.rotated_ms))),
        );
        for (text, rotated) in texts {
            match Secret::parse(text) {
                Ok(s) => out.push(s.with_origin(origin(rotated))),
                Err(_) => eprintln!(
                    "warning: the stored secret of Dataspike webhook {} is not a Dataspike secret; left out (rotate it again with 'hookscope dataspike rotate')",
                    w.id
                ),
            }
        }
    }
    out
}

/// How the local development secret is named wherever it is used: never the secret itself.
pub(crate) fn dev_secret_label(path: &Path) -> String {
    format!(
        "the local development secret (not a Dataspike secret; pass --secret for real deliveries), kept in '{}'",
        path.display()
    )
}

/// The exit status for an error (README, "Exit status"): 2 for a usage error, 4 when the
/// Dataspike API refused a request, 5 when it could not be used, else 1.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<UsageError>().is_some() {
        return 2;
    }
    e.chain()
        .find_map(|c| c.downcast_ref::<crate::dataspike::api::ApiError>())
        .map_or(1, |api| api.exit_code())
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

/// A usage error for something that needs a signing secret and got none; `what` says which,
/// e.g. "verify needs a secret".
pub(crate) fn secret_needed(what: &str) -> anyhow::Error {
    usage(format!(
        "{what}: pass --secret whsec_... (or --secret SCHEME=..., e.g. stripe=whsec_...) or set HOOKSCOPE_SECRET"
    ))
}

/// The app URL given with `flag` (`--to`, `--forward-to`), checked when it is given, so a typo
/// is a usage error now rather than "connection refused" later. Every command that takes a URL
/// calls this.
pub(crate) fn target(flag: &str, url: &str) -> anyhow::Result<Uri> {
    let uri = parse_target(url).map_err(|e| usage(format!("{flag}: {e}")))?;
    check_host_and_port(&uri).map_err(|e| usage(format!("{flag}: target URL '{url}': {e}")))?;
    Ok(uri)
}

/// What the URL parser lets through: an empty host, a port that is not a number from 1 to
/// 65535 (`:3000x`, `:0`, `:99999`, `:`).
fn check_host_and_port(uri: &Uri) -> Result<(), String> {
    let Some(authority) = uri.authority() else {
        return Err("has no host".into());
    };
    // Userinfo ends at the last '@'; an IPv6 host is in brackets.
    let host_port = authority
        .as_str()
        .rsplit_once('@')
        .map_or(authority.as_str(), |(_, hp)| hp);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(rest) => {
            let (inside, after) = rest.split_once(']').unwrap_or((rest, ""));
            (inside, after.strip_prefix(':'))
        }
        None => match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    if host.is_empty() {
        return Err("has no host; use e.g. 'http://127.0.0.1:3000'".into());
    }
    if let Some(port) = port {
        let valid =
            port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !valid {
            return Err(format!("port '{port}' is not a number from 1 to 65535; fix it, e.g. 'http://127.0.0.1:3000'"));
        }
    }
    Ok(())
}

/// `--event`: a known Dataspike event type in any case becomes its Dataspike name, so
/// `docver` finds `DOCVER` captures (as `send --event` allows); any other type is kept as given.
pub(crate) fn event_type(text: &str) -> String {
    crate::sample::canonical_event(text)
        .map(str::to_string)
        .unwrap_or_else(|| text.trim().to_string())
}

/// A duration given with `flag` (`--before`), e.g. `7d`, `12h`, `30m`.
pub(crate) fn duration(flag: &str, text: &str) -> anyhow::Result<std::time::Duration> {
    humantime::parse_duration(text.trim()).map_err(|e| {
        usage(format!(
            "{flag} '{text}' is not a duration ({e}); use e.g. 7d, 12h or 30m"
        ))
    })
}

/// The client for the developer's app: `timeout` per request, and `--ca-cert` trusted for https
/// targets besides the public roots. The one place that flag is named: `TlsError` says what is
/// wrong with the file.
pub(crate) fn forwarder(
    timeout: std::time::Duration,
    ca_cert: Option<&Path>,
    proxy: Option<&str>,
) -> anyhow::Result<Forwarder> {
    let tls = crate::tls::client_config(ca_cert).map_err(|e| usage(format!("--ca-cert: {e}")))?;
    Ok(Forwarder::with_egress(timeout, tls, egress(proxy)?))
}

/// `--proxy URL` (every target but `NO_PROXY`'s through it), `--proxy none` (all direct,
/// whatever the environment says), or, without the flag, `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.
/// Errors name the flag or the variable, never the proxy's credentials.
pub(crate) fn egress(proxy: Option<&str>) -> anyhow::Result<Egress> {
    match proxy.map(str::trim) {
        Some("none") => Ok(Egress::direct()),
        Some(url) => Egress::fixed(url, "--proxy").map_err(usage),
        None => Egress::from_env().map_err(|e| {
            usage(format!(
                "{e} (or pass --proxy URL, or --proxy none to go direct)"
            ))
        }),
    }
}

/// The variable the Dataspike API token is read from.
pub(crate) const TOKEN_VAR: &str = "DATASPIKE_API_TOKEN";

/// The Dataspike API token: `DATASPIKE_API_TOKEN`, else the config file's `[dataspike] token`
/// reference. Never a flag; errors name the variable or the reference, never the value.
pub(crate) fn dataspike_token(
    file: Option<&(PathBuf, FileConfig)>,
) -> anyhow::Result<crate::dataspike::api::Token> {
    use crate::dataspike::api::Token;
    if let Ok(text) = std::env::var(TOKEN_VAR) {
        if !text.trim().is_empty() {
            return Token::new(&text).map_err(|why| usage(format!("{TOKEN_VAR} {why}")));
        }
    }
    if let Some((path, f)) = file {
        if let Some((at, line)) = &f.dataspike.token {
            let text = match at {
                SecretRef::Env(name) => std::env::var(name).map_err(|_| {
                    usage(format!(
                        "config file '{}', line {line}: token '{at}': environment variable '{name}' is not set; export it, or change the reference",
                        path.display()
                    ))
                })?,
                SecretRef::File(p) => {
                    let file = beside(path, p);
                    std::fs::read_to_string(&file).map_err(|e| {
                        usage(format!(
                            "config file '{}', line {line}: token '{at}': cannot read '{}': {e}",
                            path.display(),
                            file.display()
                        ))
                    })?
                }
            };
            return Token::new(&text).map_err(|why| {
                usage(format!(
                    "config file '{}', line {line}: the token '{at}' refers to {why}",
                    path.display()
                ))
            });
        }
    }
    Err(usage(format!(
        "set {TOKEN_VAR} to your Dataspike API key (dashboard: API), or write token = \"env:NAME\" or \"file:PATH\" under [dataspike] in hookscope.toml; it is never taken from a flag"
    )))
}

/// The Dataspike API client the `dataspike` commands and `listen --register` use: the base URL
/// (`--api-url`, `DATASPIKE_API_URL`, the file's `api-url`, else the sandbox or, with
/// `--production`, production), the token, the proxy and `--ca-cert`.
pub(crate) fn dataspike_client(
    args: &crate::cli::DataspikeApiArgs,
) -> anyhow::Result<crate::dataspike::api::Client> {
    let file = config_file(args.config.path.as_deref())?;
    let api_url = args
        .api_url
        .clone()
        .or_else(|| file.as_ref().and_then(|(_, f)| f.dataspike.api_url.clone()));
    dataspike_client_for(
        api_url.as_deref(),
        args.production,
        file.as_ref(),
        std::time::Duration::from_secs(args.timeout),
        args.ca_cert.as_deref(),
        args.proxy.as_deref(),
    )
}

/// [`dataspike_client`] from its parts (`listen --register` has its own flags).
pub(crate) fn dataspike_client_for(
    api_url: Option<&str>,
    production: bool,
    file: Option<&(PathBuf, FileConfig)>,
    timeout: std::time::Duration,
    ca_cert: Option<&Path>,
    proxy: Option<&str>,
) -> anyhow::Result<crate::dataspike::api::Client> {
    use crate::dataspike::api::{Client, Target};
    let target = Target::new(api_url, production)
        .map_err(|e| usage(format!("--api-url (or DATASPIKE_API_URL): {e}")))?;
    if target.token_in_clear() {
        eprintln!(
            "warning: {} is plain http://, so the API token travels unencrypted",
            target.base
        );
    }
    let token = dataspike_token(file)?;
    let tls = crate::tls::client_config(ca_cert).map_err(|e| usage(format!("--ca-cert: {e}")))?;
    let backoff = std::env::var("HOOKSCOPE_DATASPIKE_BACKOFF_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(std::time::Duration::from_millis)
        .unwrap_or(std::time::Duration::from_millis(500));
    Ok(Client::new(
        target,
        token,
        &egress(proxy)?,
        &tls,
        timeout,
        backoff,
    ))
}

/// The secret store in the config directory.
pub(crate) fn secret_store() -> anyhow::Result<crate::secret_store::SecretStore> {
    Ok(crate::secret_store::SecretStore::default_location()?)
}

/// `--events` as Dataspike's names (any case), each one it documents; none given: all of them.
pub(crate) fn dataspike_events(flag: &str, given: &[String]) -> anyhow::Result<Vec<String>> {
    use crate::dataspike::api::EVENT_TYPES;
    if given.is_empty() {
        return Ok(EVENT_TYPES.iter().map(|s| s.to_string()).collect());
    }
    let mut out = Vec::new();
    for g in given.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
        let name = event_type(g);
        if !EVENT_TYPES.contains(&name.as_str()) {
            return Err(usage(format!(
                "{flag} '{g}' is not an event type Dataspike's API takes; use {}",
                EVENT_TYPES.join(", ")
            )));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

/// A signature scheme by name, case-insensitively (`--scheme stripe`).
pub(crate) fn scheme(flag: &str, text: &str) -> anyhow::Result<Scheme> {
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
pub(crate) fn body_file(flag: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
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
    fn a_given_database_path_needs_an_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let here = dir.path().join("h.db");
        assert_eq!(db_path(Some(&here)).unwrap(), here);
        assert_eq!(db_path(Some(Path::new("h.db"))).unwrap(), Path::new("h.db"));
        let typo = dir.path().join("tpyo").join("h.db");
        let e = db_path(Some(&typo)).unwrap_err();
        assert!(is_usage(&e));
        let text = e.to_string();
        assert!(
            text.contains("folder '") && text.contains("tpyo' does not exist"),
            "{text}"
        );
        assert!(text.contains("create it (mkdir -p"), "{text}");
        assert!(!dir.path().join("tpyo").exists());
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let e = db_path(Some(&file.join("h.db"))).unwrap_err();
        assert!(e.to_string().contains("is not a folder"), "{e}");
    }

    #[test]
    fn target_refuses_a_bad_port_or_an_empty_host_naming_the_part() {
        for good in [
            "http://127.0.0.1:3000/h",
            "http://localhost/h",
            "http://[::1]:8080/x",
            "http://[::1]/x",
            "http://user:pw@app:65535",
        ] {
            assert!(target("--to", good).is_ok(), "{good}");
        }
        for (bad, part) in [
            ("http://127.0.0.1:3000x", "port '3000x'"),
            ("http://127.0.0.1:0/h", "port '0'"),
            ("http://127.0.0.1:65536", "port '65536'"),
            ("http://127.0.0.1:/h", "port ''"),
            ("http://[::1]:x/h", "port 'x'"),
            ("http://:3000/h", "has no host"),
        ] {
            let e = target("--to", bad).unwrap_err();
            assert!(is_usage(&e), "{bad}");
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("--to: target URL '{bad}'")),
                "{text}"
            );
            assert!(text.contains(part), "{bad}: {text}");
        }
    }

    #[test]
    fn known_event_types_match_in_any_case() {
        assert_eq!(event_type("docver"), "DOCVER");
        assert_eq!(event_type("Aml_Screening"), "AML_SCREENING");
        assert_eq!(event_type("kyt-wallet-check"), "KYT_WALLET_CHECK");
        assert_eq!(event_type("custom_Thing"), "custom_Thing");
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
    fn secret_needed_says_how_to_give_one() {
        let e = secret_needed("verify needs a secret");
        assert!(is_usage(&e));
        assert_eq!(
            e.to_string(),
            "verify needs a secret: pass --secret whsec_... (or --secret SCHEME=..., e.g. stripe=whsec_...) or set HOOKSCOPE_SECRET"
        );
    }

    #[test]
    fn file_secrets_resolve_beside_the_file_and_errors_never_show_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("hookscope.toml");
        std::fs::write(dir.path().join("gh.secret"), "gh-secret-value\n").unwrap();
        std::fs::write(dir.path().join("bad.secret"), "not-a-whsec-value").unwrap();
        let entry = |at, scheme| SecretEntry {
            scheme,
            at,
            line: 7,
        };
        let ok = resolve_secret(
            &cfg,
            &entry(SecretRef::File("./gh.secret".into()), Scheme::Github),
        )
        .unwrap();
        assert_eq!(ok.scheme(), Scheme::Github);
        let e = resolve_secret(
            &cfg,
            &entry(SecretRef::File("./bad.secret".into()), Scheme::Dataspike),
        )
        .unwrap_err();
        assert!(e.contains("line 7: secret 'file:./bad.secret'"), "{e}");
        assert!(!e.contains("not-a-whsec-value"), "{e}");
        let e = resolve_secret(
            &cfg,
            &entry(
                SecretRef::Env("HOOKSCOPE_UNIT_TEST_NEVER_SET".into()),
                Scheme::Stripe,
            ),
        )
        .unwrap_err();
        assert!(
            e.ends_with("environment variable 'HOOKSCOPE_UNIT_TEST_NEVER_SET' is not set; export it, or change the reference"),
            "{e}"
        );
    }
}
