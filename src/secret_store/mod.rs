//! hookscope's secret store: secrets hookscope was handed by a service and must keep (a
//! Dataspike webhook's signing secret, shown once; a relay channel's read token), in one file
//! under the config directory (`~/.config/hookscope/secrets.json` on Linux, beside the local
//! development secret). The folder is 0700 and the file 0600; every change is written to a
//! private temporary file, fsynced, renamed over the old file and the folder fsynced, so a crash
//! at any moment leaves either the old file or the new one, never half of one. Changes from
//! several processes are serialised by a lock file beside it.
//!
//! An entry is keyed by `kind` (what it is: `dataspike-webhook`, `relay-channel`), `scope`
//! (where it is valid: an API base URL, a relay URL) and `id` (the webhook's or channel's id),
//! and holds the secret text, when it was stored, an optional expiry (an expired entry is
//! never returned and is dropped at the next change) and facts that are not secret (`meta`).
//! Generic: it knows no service; `dataspike.rs` keeps a Dataspike webhook's current and
//! previous secrets in it. Never prints, logs or puts a secret in an error: `SecretText`'s
//! `Debug` shows its length only.

pub mod dataspike;

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File name of the store inside the config directory.
pub const FILE_NAME: &str = "secrets.json";
/// The file format this hookscope writes; a newer one is refused, never overwritten.
const FORMAT: u32 = 1;
/// How long a change waits for another process's lock before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(10);
/// A lock file older than this was left by a process that died holding it.
const LOCK_STALE: Duration = Duration::from_secs(60);

/// A secret's text. `Debug` and `Display` are deliberately absent or redacted: read it with
/// [`SecretText::expose`] where it is used, and nowhere else.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    /// Wraps a secret's text.
    pub fn new(text: impl Into<String>) -> SecretText {
        SecretText(text.into())
    }

    /// The text itself, for the one place that needs it (parsing it into a key).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretText({} chars, redacted)", self.0.chars().count())
    }
}

/// One stored secret and what is known about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// What it is, e.g. `dataspike-webhook`, `relay-channel`.
    pub kind: String,
    /// Where it is valid, e.g. an API base URL or a relay URL.
    pub scope: String,
    /// Which one, e.g. a webhook or channel id.
    pub id: String,
    /// The secret.
    pub secret: SecretText,
    /// When it was stored (Unix milliseconds).
    pub stored_ms: i64,
    /// When it stops being returned and is deleted (Unix milliseconds); `None`: kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<i64>,
    /// Facts that are not secret (a URL, event types, when it was rotated).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub meta: serde_json::Map<String, serde_json::Value>,
}

impl Entry {
    /// A new entry stored now, without expiry or facts.
    pub fn new(kind: &str, scope: &str, id: &str, secret: SecretText, now_ms: i64) -> Entry {
        Entry {
            kind: kind.to_string(),
            scope: scope.to_string(),
            id: id.to_string(),
            secret,
            stored_ms: now_ms,
            expires_ms: None,
            meta: serde_json::Map::new(),
        }
    }

    fn key_is(&self, kind: &str, scope: &str, id: &str) -> bool {
        self.kind == kind && self.scope == scope && self.id == id
    }

    fn expired(&self, now_ms: i64) -> bool {
        self.expires_ms.is_some_and(|at| at <= now_ms)
    }

    /// A text fact from `meta`.
    pub fn meta_str(&self, key: &str) -> Option<&str> {
        self.meta.get(key).and_then(|v| v.as_str())
    }

    /// A number fact from `meta`.
    pub fn meta_i64(&self, key: &str) -> Option<i64> {
        self.meta.get(key).and_then(|v| v.as_i64())
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    format: u32,
    entries: Vec<Entry>,
}

/// Why the store cannot be used. Names the file, never a secret.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // The messages say what each is; the fields are the file and the cause.
pub enum SecretStoreError {
    #[error("cannot find a config directory for hookscope's secret store (is HOME set?)")]
    NoConfigDir,
    #[error("cannot read hookscope's secret store '{}': {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write hookscope's secret store '{}': {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("hookscope's secret store '{}' is damaged ({detail}); nothing was changed: move it away and store the secrets again", path.display())]
    Damaged { path: PathBuf, detail: String },
    #[error("hookscope's secret store '{}' was written by a newer hookscope (format {format}); nothing was changed: use that version", path.display())]
    Newer { path: PathBuf, format: u32 },
    #[error("hookscope's secret store '{}' is locked by another hookscope (lock file '{}'); try again, or delete the lock file if no hookscope is running", path.display(), lock.display())]
    Locked { path: PathBuf, lock: PathBuf },
}

/// The store at one path.
#[derive(Debug, Clone)]
pub struct SecretStore {
    path: PathBuf,
}

impl SecretStore {
    /// The store at `path` (nothing is read or created yet).
    pub fn at(path: impl Into<PathBuf>) -> SecretStore {
        SecretStore { path: path.into() }
    }

    /// The store in the platform config directory, beside the local development secret.
    pub fn default_location() -> Result<SecretStore, SecretStoreError> {
        directories::ProjectDirs::from("", "", "hookscope")
            .map(|d| SecretStore::at(d.config_dir().join(FILE_NAME)))
            .ok_or(SecretStoreError::NoConfigDir)
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry with this key, unless it expired.
    pub fn get(
        &self,
        kind: &str,
        scope: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<Option<Entry>, SecretStoreError> {
        Ok(self
            .read()?
            .entries
            .into_iter()
            .find(|e| e.key_is(kind, scope, id) && !e.expired(now_ms)))
    }

    /// Every entry of `kind` (every kind when `None`) that has not expired, in the order stored.
    pub fn list(&self, kind: Option<&str>, now_ms: i64) -> Result<Vec<Entry>, SecretStoreError> {
        Ok(self
            .read()?
            .entries
            .into_iter()
            .filter(|e| kind.is_none_or(|k| e.kind == k) && !e.expired(now_ms))
            .collect())
    }

    /// Stores `entry`, replacing the one with its key.
    pub fn put(&self, entry: Entry, now_ms: i64) -> Result<(), SecretStoreError> {
        self.change(now_ms, |entries| {
            match entries
                .iter_mut()
                .find(|e| e.key_is(&entry.kind, &entry.scope, &entry.id))
            {
                Some(old) => *old = entry,
                None => entries.push(entry),
            }
        })
    }

    /// Deletes the entry with this key; whether there was one.
    pub fn remove(
        &self,
        kind: &str,
        scope: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, SecretStoreError> {
        let mut found = false;
        self.change(now_ms, |entries| {
            let before = entries.len();
            entries.retain(|e| !e.key_is(kind, scope, id));
            found = entries.len() != before;
        })?;
        Ok(found)
    }

    /// Deletes expired entries, if there are any (a store that does not exist stays absent).
    pub fn purge_expired(&self, now_ms: i64) -> Result<usize, SecretStoreError> {
        let expired = self
            .read()?
            .entries
            .iter()
            .filter(|e| e.expired(now_ms))
            .count();
        if expired > 0 {
            self.change(now_ms, |_| {})?;
        }
        Ok(expired)
    }

    /// Applies `f` to the entries under the lock and writes the result atomically; expired
    /// entries are dropped first. Several changes in one go (a rotation) go through here.
    pub fn change(
        &self,
        now_ms: i64,
        f: impl FnOnce(&mut Vec<Entry>),
    ) -> Result<(), SecretStoreError> {
        let _lock = self.lock()?;
        let mut file = self.read()?;
        file.entries.retain(|e| !e.expired(now_ms));
        f(&mut file.entries);
        file.format = FORMAT;
        let mut text = serde_json::to_vec_pretty(&file).expect("entries serialise to JSON");
        text.push(b'\n');
        write_atomic(&self.path, &text).map_err(|source| SecretStoreError::Write {
            path: self.path.clone(),
            source,
        })
    }

    fn read(&self) -> Result<File, SecretStoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
            Err(source) => {
                return Err(SecretStoreError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        // The format first, so a newer file is refused for what it is, not called damaged.
        #[derive(Deserialize)]
        struct Head {
            format: u32,
        }
        let damaged = |detail: String| SecretStoreError::Damaged {
            path: self.path.clone(),
            detail,
        };
        // serde_json's messages name a line and column, never the text there.
        let head: Head = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        if head.format > FORMAT {
            return Err(SecretStoreError::Newer {
                path: self.path.clone(),
                format: head.format,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))
    }

    fn lock(&self) -> Result<Lock, SecretStoreError> {
        let lock = lock_path(&self.path);
        if let Some(dir) = self.path.parent() {
            crate::private_file::create_dir(dir).map_err(|source| SecretStoreError::Write {
                path: self.path.clone(),
                source,
            })?;
        }
        let start = std::time::Instant::now();
        loop {
            match crate::private_file::create_new(&lock) {
                Ok(_) => return Ok(Lock(lock)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&lock)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > LOCK_STALE);
                    if stale {
                        let _ = std::fs::remove_file(&lock);
                        continue;
                    }
                    if start.elapsed() > LOCK_WAIT {
                        return Err(SecretStoreError::Locked {
                            path: self.path.clone(),
                            lock,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(source) => {
                    return Err(SecretStoreError::Write {
                        path: self.path.clone(),
                        source,
                    })
                }
            }
        }
    }
}

/// The lock file, removed when dropped.
struct Lock(PathBuf);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// Where the next version is written before it replaces the file: unique per process and
/// write, so two writers never share one.
fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    PathBuf::from(name)
}

/// Writes `bytes` to a private temporary file, fsyncs it, renames it over `path` and fsyncs
/// the folder: after a crash at any point `path` holds either its old bytes or all the new
/// ones. A temporary file a crash left behind is never read (and is overwritten by nobody).
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_until(path, bytes, Stage::Done)
}

/// How far [`write_atomic_until`] goes: the tests stop it where a crash could.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Half the bytes in the temporary file, nothing synced or renamed.
    HalfWritten,
    /// The temporary file whole and synced, not renamed.
    Synced,
    Done,
}

fn write_atomic_until(path: &Path, bytes: &[u8], stop: Stage) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        crate::private_file::create_dir(dir)?;
    }
    let tmp = temp_path(path);
    let mut f = crate::private_file::create_new(&tmp)?;
    let result = (|| {
        if stop == Stage::HalfWritten {
            f.write_all(&bytes[..bytes.len() / 2])?;
            return Ok(());
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        if stop == Stage::Synced {
            return Ok(());
        }
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = dir {
            crate::private_file::sync_dir(dir)?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests;
