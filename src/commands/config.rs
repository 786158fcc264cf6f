//! `config check`: validate `hookscope.toml` and print what `listen` would use from it: the
//! settings, each secret as its reference and whether it resolved (never its value), and the
//! routes in the order they are tried. Exit 0 when the file is valid, 2 when not.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{ConfigArgs, ConfigCommand, DEFAULT_PORT};
use crate::config::{self, usage};
use crate::config_file::{self, FileConfig};
use crate::forward::FORWARD_TIMEOUT;
use crate::intake::Respond;
use crate::listener::{DEFAULT_HOST, DEFAULT_MAX_BODY, DEFAULT_READ_TIMEOUT};
use crate::output::route_line;
use crate::signature::DEFAULT_TOLERANCE;
use crate::text::human_size;

pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ConfigCommand::Check(a) => check(a.config.path.as_deref()),
    }
}

fn check(path: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let Some((path, file)) = config::config_file(path)? else {
        return Err(usage(format!(
            "no config file: there is no ./{} here; create one (README, \"Several apps, one listener\") or pass --config PATH",
            config_file::FILE_NAME
        )));
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "config file '{}' is valid", path.display())?;
    write!(out, "{}", describe(&path, &file))?;
    Ok(ExitCode::SUCCESS)
}

/// The resolved settings, secrets and routes, as `config check` prints them.
fn describe(path: &std::path::Path, file: &FileConfig) -> String {
    let l = &file.listen;
    let or = |v: Option<String>, default: &str| v.unwrap_or_else(|| format!("{default} (default)"));
    let mut s = String::from("\nsettings (a flag on the command line wins over each)\n");
    let secs = |d: std::time::Duration| format!("{} s", d.as_secs());
    let rows = [
        (
            "host",
            or(l.host.map(|h| h.to_string()), &DEFAULT_HOST.to_string()),
        ),
        (
            "port",
            or(l.port.map(|p| p.to_string()), &DEFAULT_PORT.to_string()),
        ),
        (
            "db",
            or(
                l.db.as_deref()
                    .map(|d| config::beside_path(path, d).display().to_string()),
                "hookscope.db in the data directory",
            ),
        ),
        (
            "tolerance",
            or(l.tolerance.map(secs), &secs(DEFAULT_TOLERANCE)),
        ),
        (
            "max-body",
            or(
                l.max_body.map(|n| human_size(n as u64)),
                &human_size(DEFAULT_MAX_BODY as u64),
            ),
        ),
        (
            "read-timeout",
            or(l.read_timeout.map(secs), &secs(DEFAULT_READ_TIMEOUT)),
        ),
        (
            "forward-timeout",
            or(l.forward_timeout.map(secs), &secs(FORWARD_TIMEOUT)),
        ),
        (
            "respond",
            or(
                l.respond.map(|r| match r {
                    Respond::App => "app".to_string(),
                    Respond::Ack => "ack".to_string(),
                }),
                "app",
            ),
        ),
        (
            "respond status",
            or(
                l.chosen.map(|c| format!("{c} (answered by choice)")),
                "none",
            ),
        ),
        (
            "ca-cert",
            or(
                l.ca_cert
                    .as_deref()
                    .map(|c| config::beside_path(path, c).display().to_string()),
                "none",
            ),
        ),
    ];
    for (k, v) in rows {
        s.push_str(&format!("  {k:<16} {v}\n"));
    }
    s.push_str("\nsecrets\n");
    if file.secrets.is_empty() {
        s.push_str(
            "  none here (without --secret: the stored Dataspike secrets, else the local development secret)\n",
        );
    }
    for (i, e) in file.secrets.iter().enumerate() {
        let state = match config::resolve(path, e) {
            Ok(_) => "resolved".to_string(),
            Err(why) => format!("NOT RESOLVED: {why}"),
        };
        s.push_str(&format!(
            "  #{i} {:<9} {}  (line {})  {state}\n",
            e.scheme.name(),
            e.at,
            e.line
        ));
    }
    s.push_str("\nroutes (first match wins)\n");
    for (i, r) in file.routes.routes().iter().enumerate() {
        s.push_str(&format!("  {}. {}\n", i + 1, route_line(r)));
    }
    if file.routes.is_empty() {
        s.push_str("  none: nothing is forwarded unless --forward-to is given\n");
    } else {
        s.push_str("  anything else: captured and answered, not forwarded (no route)\n");
    }
    // Only when the file has a [dataspike] table: where the token is (never its value).
    let d = &file.dataspike;
    if *d != config_file::DataspikeFile::default() {
        s.push_str("\ndataspike (the dataspike commands, listen --register)\n");
        let token = match &d.token {
            None => format!("none here ({} is read)", config::TOKEN_VAR),
            Some((at, line)) => {
                let state = match at {
                    config_file::SecretRef::Env(name) => match std::env::var(name) {
                        Ok(v) if !v.trim().is_empty() => "set".to_string(),
                        _ => format!("NOT RESOLVED: environment variable '{name}' is not set"),
                    },
                    config_file::SecretRef::File(p) => {
                        let f = config::beside_path(path, std::path::Path::new(p));
                        match std::fs::metadata(&f) {
                            Ok(m) if m.is_file() => "readable".to_string(),
                            _ => format!("NOT RESOLVED: cannot read '{}'", f.display()),
                        }
                    }
                };
                format!(
                    "{at} (line {line})  {state}; {} wins when set",
                    config::TOKEN_VAR
                )
            }
        };
        s.push_str(&format!("  {:<16} {token}\n", "token"));
        let api = d
            .api_url
            .clone()
            .unwrap_or_else(|| "the sandbox (default)".to_string());
        s.push_str(&format!("  {:<16} {api}\n", "api-url"));
    }
    // Only when the file has a [redact] table that changes anything.
    let r = &file.redact;
    if *r != config_file::Redact::default() {
        s.push_str("\nredact (export --redact, show --redact, the TUI's copies)\n");
        let defaults = if r.defaults { "yes" } else { "no" };
        s.push_str(&format!("  {:<16} {defaults}\n", "dataspike fields"));
        let list = |v: &[String]| match v.is_empty() {
            true => "none".to_string(),
            false => v.join(", "),
        };
        s.push_str(&format!("  {:<16} {}\n", "paths", list(&r.paths)));
        s.push_str(&format!("  {:<16} {}\n", "headers", list(&r.headers)));
    }
    s
}
