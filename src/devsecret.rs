//! The local development secret: one random `whsec_` secret kept in the platform config
//! directory (`~/.config/hookscope/dev-secret` on Linux), which `listen`, `send`, `replay`,
//! `tui` and `check` sign and verify with when no secret is given, so a first `listen` + `send`
//! ends in PASS. It is local-only, never a Dataspike secret: a real `--secret` or
//! `HOOKSCOPE_SECRET` always replaces it. File handling only; the caller decides when to use it.
//! The directory is created 0700 and the file 0600; the secret itself is never printed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::signature::Secret;

/// File name of the secret inside the config directory.
pub const FILE_NAME: &str = "dev-secret";

/// Why the local development secret cannot be used. Never holds the secret.
#[derive(Debug, thiserror::Error)]
pub enum DevSecretError {
    #[error("cannot find a config directory for the local development secret (is HOME set?)")]
    NoConfigDir,
    #[error("cannot create the local development secret '{path}': {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the local development secret '{path}': {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "'{path}' does not hold a secret hookscope made: delete it and hookscope makes a new one"
    )]
    Damaged { path: PathBuf },
}

/// Where the secret lives: `dev-secret` in the platform config directory.
pub fn default_path() -> Result<PathBuf, DevSecretError> {
    directories::ProjectDirs::from("", "", "hookscope")
        .map(|d| d.config_dir().join(FILE_NAME))
        .ok_or(DevSecretError::NoConfigDir)
}

/// Reads the secret at `path`, creating it (and its folder) first when missing.
pub fn load_or_create(path: &Path) -> Result<Secret, DevSecretError> {
    match load(path)? {
        Some(s) => Ok(s),
        None => create(path),
    }
}

/// Reads the secret at `path`; `None` when there is none yet. Creates nothing.
pub fn load(path: &Path) -> Result<Option<Secret>, DevSecretError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(DevSecretError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    Secret::parse(text.trim())
        .map(Some)
        .map_err(|_| DevSecretError::Damaged {
            path: path.to_path_buf(),
        })
}

/// Writes a fresh secret to a private temporary file, then links it into place, so a
/// concurrent start never reads half a file and the first one made wins.
fn create(path: &Path) -> Result<Secret, DevSecretError> {
    let err = |source| DevSecretError::Create {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        crate::private_file::create_dir(dir).map_err(err)?;
    }
    let (_, text) = Secret::generate();
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = write_private(&tmp, format!("{text}\n").as_bytes())
        .and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(err(e)),
    }
    load(path)?.ok_or_else(|| DevSecretError::Damaged {
        path: path.to_path_buf(),
    })
}

/// A new private file holding `bytes`, synced; fails when `path` exists.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = crate::private_file::create_new(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg/hookscope").join(FILE_NAME);
        assert!(load(&path).unwrap().is_none());
        let a = load_or_create(&path).unwrap();
        let b = load_or_create(&path).unwrap();
        assert_eq!(a, b, "the same secret every time");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("whsec_") && text.trim().len() == 6 + 64,
            "{text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        std::fs::write(&path, "garbage").unwrap();
        let e = load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("delete it"), "{e}");
    }
}
