//! Edit-and-replay: the body goes to a private temp file, `$EDITOR` edits it, and the bytes
//! come back exactly as saved.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Used when `$EDITOR` is unset or blank.
const FALLBACK_EDITOR: &str = "vi";

/// Removes the temp file however the edit ends.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Opens `body` in `$EDITOR` (which may carry arguments, e.g. `code --wait`) and returns the
/// saved bytes. The error is a sentence for the status line.
pub fn edit(body: &[u8], editor: Option<&str>) -> Result<Vec<u8>, String> {
    let editor = editor
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .unwrap_or(FALLBACK_EDITOR);
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or(FALLBACK_EDITOR);
    let file = create_temp(body).map_err(|e| format!("cannot write a temp file: {e}"))?;
    let status = Command::new(program)
        .args(words)
        .arg(&file.0)
        .status()
        .map_err(|e| format!("cannot start editor '{program}': {e}; set $EDITOR"))?;
    if !status.success() {
        return Err(format!("editor '{program}' exited with {status}"));
    }
    fs::read(&file.0).map_err(|e| format!("cannot read the edited file back: {e}"))
}

fn create_temp(body: &[u8]) -> std::io::Result<TempFile> {
    let dir = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // A .json name gives editors syntax highlighting for the usual Dataspike body.
    let ext = if looks_like_json(body) { "json" } else { "txt" };
    let path = dir.join(format!(
        "hookscope-body-{}-{stamp}.{ext}",
        std::process::id()
    ));
    let mut f = create_new_private(&path)?;
    let guard = TempFile(path);
    f.write_all(body)?;
    f.sync_all()?;
    Ok(guard)
}

fn looks_like_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// Fails rather than follow or reuse an existing file, and keeps the body private to the user.
fn create_new_private(path: &Path) -> std::io::Result<fs::File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_scripted_editor() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("ed.sh");
        fs::write(&script, "#!/bin/sh\nprintf 'edited' >> \"$1\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        let out = edit(b"{}", Some(script.to_str().unwrap())).unwrap();
        assert_eq!(out, b"{}edited");
    }

    #[test]
    fn a_failing_editor_is_reported() {
        let err = edit(b"x", Some("false")).unwrap_err();
        assert!(err.contains("exited"), "{err}");
        let err = edit(b"x", Some("/nonexistent/editor")).unwrap_err();
        assert!(err.contains("cannot start editor"), "{err}");
    }
}
