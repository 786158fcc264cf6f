//! Writing exports to disk: a capture as a fixture file (and its body file), and any export
//! file atomically, so an interrupted export never leaves a half file that looks whole, and,
//! unless asked to replace, never over a file that exists. The formats themselves are
//! `fixture/` (pure); choosing what to export and where is the caller's.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::fixture::Fixture;
use crate::store::StoredCapture;

/// The files one capture becomes in `dir`: its body file first (when asked), then the fixture.
pub fn fixture_files(
    dir: &Path,
    stored: &StoredCapture,
    body_files: bool,
) -> Vec<(PathBuf, Vec<u8>)> {
    let mut fixture = Fixture::from_capture(stored.id, &stored.capture);
    let mut files = Vec::with_capacity(2);
    if body_files {
        fixture = fixture.with_body_file();
        files.push((dir.join(fixture.body_file_name()), fixture.body.clone()));
    }
    files.push((
        dir.join(fixture.file_name()),
        fixture.to_json_pretty().into_bytes(),
    ));
    files
}

/// Writes one capture as a fixture file (and its body file) into `dir`, replacing files of
/// the same name; returns the fixture's path.
pub fn write_fixture(
    dir: &Path,
    stored: &StoredCapture,
    body_files: bool,
) -> anyhow::Result<std::path::PathBuf> {
    let files = fixture_files(dir, stored, body_files);
    for (path, bytes) in &files {
        write_atomic(path, bytes, false)?;
    }
    Ok(files.last().map(|(p, _)| p.clone()).unwrap_or_default())
}

/// Writes one capture as a fixture into `dir` under a name no file has yet
/// (`docver-3.json`, else `docver-3-2.json`, `docver-3-3.json`, ...), never replacing one, even
/// if another process writes there meanwhile; returns its path. For the TUI's export key
/// (`x`), which should not replace a fixture the developer may have edited.
pub fn write_fresh_fixture(dir: &Path, stored: &StoredCapture) -> anyhow::Result<PathBuf> {
    /// Names tried before giving up: a folder with this many copies of one capture is a mistake.
    const MAX_COPIES: u32 = 1000;
    let fixture = Fixture::from_capture(stored.id, &stored.capture);
    let bytes = fixture.to_json_pretty().into_bytes();
    let stem = fixture.file_stem();
    for copy in 1..=MAX_COPIES {
        let name = match copy {
            1 => format!("{stem}.json"),
            n => format!("{stem}-{n}.json"),
        };
        let path = dir.join(name);
        match write_file(&path, &bytes, false, false) {
            Ok(()) => return Ok(path),
            Err(WriteFailure::Exists) => continue,
            Err(WriteFailure::Other(e)) => return Err(e),
        }
    }
    Err(anyhow::anyhow!(
        "'{}' already holds {MAX_COPIES} fixtures of capture {}: move some away",
        dir.display(),
        stored.id
    ))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over `path`. A crash leaves either the old file or the new one, never half of one
/// (at worst a stray `.hookscope-*.tmp` beside it).
pub fn write_atomic(path: &Path, bytes: &[u8], executable: bool) -> anyhow::Result<()> {
    write_file(path, bytes, executable, true).map_err(|e| match e {
        WriteFailure::Exists => anyhow::anyhow!("'{}' already exists", path.display()),
        WriteFailure::Other(e) => e,
    })
}

/// Why [`write_file`] did not write.
pub enum WriteFailure {
    /// `path` exists and was not to be replaced.
    Exists,
    Other(anyhow::Error),
}

/// [`write_atomic`], replacing an existing `path` only when `replace`; otherwise the rename
/// refuses an existing file atomically, so a file made meanwhile is not lost either.
pub fn write_file(
    path: &Path,
    bytes: &[u8],
    executable: bool,
    replace: bool,
) -> Result<(), WriteFailure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |what: &str, e: std::io::Error| {
        WriteFailure::Other(anyhow::anyhow!(
            "cannot write '{}': {what}: {e}",
            path.display()
        ))
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
    let persisted = if replace {
        tmp.persist(path)
    } else {
        tmp.persist_noclobber(path)
    };
    match persisted {
        Ok(_) => Ok(()),
        Err(e) if !replace && e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(WriteFailure::Exists)
        }
        Err(e) => Err(fail("cannot rename the temporary file into place", e.error)),
    }
}

#[cfg(unix)]
fn set_executable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // Executable by its owner only: a curl script holds captured bodies (personal data), so it
    // stays as private as a fixture (0600).
    file.set_permissions(std::fs::Permissions::from_mode(0o700))
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
        assert_eq!(
            mode & 0o777,
            0o700,
            "executable, and private like a fixture"
        );
    }

    #[test]
    fn a_fresh_fixture_never_replaces_one() {
        use crate::capture::Capture;
        let dir = tempfile::tempdir().unwrap();
        let mut capture = Capture::new(1, "POST", "/h", Vec::new(), b"{}".to_vec());
        capture.event.event_type = Some("DOCVER".into());
        let stored = StoredCapture { id: 3, capture };
        std::fs::write(dir.path().join("docver-3.json"), b"mine").unwrap();
        let first = write_fresh_fixture(dir.path(), &stored).unwrap();
        let second = write_fresh_fixture(dir.path(), &stored).unwrap();
        assert_eq!(first, dir.path().join("docver-3-2.json"));
        assert_eq!(second, dir.path().join("docver-3-3.json"));
        assert_eq!(
            std::fs::read(dir.path().join("docver-3.json")).unwrap(),
            b"mine"
        );
        assert!(std::fs::read_to_string(&first)
            .unwrap()
            .contains("hookscope_fixture"));
    }

    #[test]
    fn a_file_that_must_not_be_replaced_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.har");
        std::fs::write(&path, b"old").unwrap();
        assert!(matches!(
            write_file(&path, b"new", false, false),
            Err(WriteFailure::Exists)
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
    }

    #[test]
    fn atomic_write_names_the_file_when_the_folder_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("x.har");
        let err = write_atomic(&path, b"{}", false).unwrap_err().to_string();
        assert!(err.contains("x.har"), "{err}");
    }
}
