//! Writing exports to disk: a capture as a fixture file (and its body file), and any export
//! file atomically, so an interrupted export never leaves a half file that looks whole. The
//! formats themselves are `fixture/` (pure); choosing what to export and where is the caller's.

use std::io::Write;
use std::path::Path;

use crate::fixture::Fixture;
use crate::store::StoredCapture;

/// Writes one capture as a fixture file (and its body file) into `dir`; returns the fixture's
/// path. Used by `export` and the TUI's export key.
pub fn write_fixture(
    dir: &Path,
    stored: &StoredCapture,
    body_files: bool,
) -> anyhow::Result<std::path::PathBuf> {
    let mut fixture = Fixture::from_capture(stored.id, &stored.capture);
    if body_files {
        fixture = fixture.with_body_file();
        write_atomic(&dir.join(fixture.body_file_name()), &fixture.body, false)?;
    }
    let path = dir.join(fixture.file_name());
    write_atomic(&path, fixture.to_json_pretty().as_bytes(), false)?;
    Ok(path)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over `path`. A crash leaves either the old file or the new one, never half of one
/// (at worst a stray `.hookscope-*.tmp` beside it).
pub fn write_atomic(path: &Path, bytes: &[u8], executable: bool) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |what: &str, e: std::io::Error| {
        anyhow::anyhow!("cannot write '{}': {what}: {e}", path.display())
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".hookscope-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail("cannot create a temporary file beside it", e))?;
    tmp.write_all(bytes).map_err(|e| fail("write failed", e))?;
    if executable {
        set_executable(tmp.as_file()).map_err(|e| fail("cannot make it executable", e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| fail("sync failed", e))?;
    tmp.persist(path)
        .map_err(|e| fail("cannot rename the temporary file into place", e.error))?;
    Ok(())
}

#[cfg(unix)]
fn set_executable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, b"old content that is longer").unwrap();
        write_atomic(&path, b"new", false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_can_make_a_script_executable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sh");
        write_atomic(&path, b"#!/bin/sh\n", true).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111);
    }

    #[test]
    fn atomic_write_names_the_file_when_the_folder_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("x.har");
        let err = write_atomic(&path, b"{}", false).unwrap_err().to_string();
        assert!(err.contains("x.har"), "{err}");
    }
}
