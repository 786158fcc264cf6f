//! `config check`: validate `hookscope.toml` and print what `listen` would use from it: the
//! settings, each secret as its reference and whether it resolved (never its value), and the
//! routes in the order they are tried. Exit 0 when the file is valid, 2 when not.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{ConfigArgs, ConfigCommand, DEFAULT_PORT};
use crate::config::{self, usage};
use crate::config_file::{self, FileConfig};
use crate::output::route_line;

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
    let rows = [
        ("host", or(l.host.clone(), "127.0.0.1")),
        (
            "port",
            or(l.port.map(|p| p.to_string()), &DEFAULT_PORT.to_string()),
        ),
        (
            "db",
            or(
                l.db.as_deref()
                    .map(|d| config::beside(path, d).display().to_string()),
                "hookscope.db in the data directory",
            ),
        ),
        (
            "tolerance",
            or(l.tolerance.map(|t| format!("{t} s")), "300 s"),
        ),
        ("max-body", or(l.max_body.clone(), "10MiB")),
        (
            "read-timeout",
            or(l.read_timeout.map(|t| format!("{t} s")), "30 s"),
        ),
        (
            "forward-timeout",
            or(l.forward_timeout.map(|t| format!("{t} s")), "10 s"),
        ),
        ("respond", or(l.respond.clone(), "app")),
        ("ca-cert", or(l.ca_cert.clone(), "none")),
    ];
    for (k, v) in rows {
        s.push_str(&format!("  {k:<16} {v}\n"));
    }
    s.push_str("\nsecrets\n");
    if file.secrets.is_empty() {
        s.push_str("  none (signatures are not checked unless --secret is given)\n");
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
    s
}
