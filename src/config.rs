//! Turning flags and environment into checked settings. Mistakes here are usage errors
//! (exit code 2) that name the flag and say what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::signature::{parse_secrets, Secret};

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

/// Parses `--secret` values; the error names which one is wrong, never its value.
pub fn secrets(texts: &[String]) -> anyhow::Result<Vec<Secret>> {
    let texts: Vec<&str> = texts
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    parse_secrets(&texts, "--secret").map_err(usage)
}
