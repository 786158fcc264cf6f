//! Export as a use case, for `hookscope export` and the TUI's `x`: which captures, read
//! before anything is written (an unknown id fails first), what each format pairs them with
//! (HAR: the capture's own answer, never an edited replay's request unless asked), and the
//! writing: every file atomically, so an interrupted export never leaves a half file that
//! looks whole, and, unless asked to replace, never over a file that exists. The formats
//! themselves are `fixture/` (pure); where to write is the caller's.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::capture::{Attempt, Capture, CaptureId};
use crate::fixture::{curl, har, Fixture};
use crate::query::Query;
use crate::redact::Redactor;
use crate::store::{ListQuery, Store, StoreError, StoredCapture};

/// The captures named (in that order), or every capture matching `query`, oldest first.
pub fn select(
    store: &Store,
    ids: &[CaptureId],
    query: Query,
) -> Result<Vec<CaptureId>, StoreError> {
    if !ids.is_empty() {
        return Ok(ids.to_vec());
    }
    Ok(store
        .list(&ListQuery {
            query,
            ascending: true,
            ..Default::default()
        })?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

/// Why an export read nothing it could write.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("capture {0} is not in the store")]
    Missing(CaptureId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every capture of `ids`, read before anything is written; `each` is called per capture read.
pub fn read(
    store: &Store,
    ids: &[CaptureId],
    mut each: impl FnMut(),
) -> Result<Vec<StoredCapture>, ReadError> {
    let mut captures = Vec::with_capacity(ids.len());
    for id in ids {
        captures.push(store.get(*id)?.ok_or(ReadError::Missing(*id))?);
        each();
    }
    Ok(captures)
}

/// The attempt a HAR entry pairs its capture with: the latest whose request was the capture's
/// own body (a forward, a replay as captured or re-signed), or with `edited`, the latest of any.
pub fn har_attempt(mut attempts: Vec<Attempt>, edited: bool) -> Option<Attempt> {
    match edited {
        true => attempts.pop(),
        false => attempts.into_iter().rev().find(|a| a.sent_body.is_none()),
    }
}

/// Redacts each capture in place (`--redact`); returns the ids of those whose body is not
/// JSON and so was left as it is (their headers are still redacted).
pub(crate) fn redact(captures: &mut [StoredCapture], redactor: &mut Redactor) -> Vec<CaptureId> {
    let mut not_json = Vec::new();
    for stored in captures {
        let before = redactor.counts().not_json;
        redactor.capture(&mut stored.capture);
        if redactor.counts().not_json > before {
            not_json.push(stored.id);
        }
    }
    not_json
}

/// What a redacted HAR file or curl script says about its signatures.
pub(crate) const REDACTED_NOTE: &str = "redacted by hookscope: personal data replaced with \
     fakes of the same shape, so the captured signatures no longer match these bodies";

/// The HAR document of `captures`, each paired by [`har_attempt`], pretty-printed. With a
/// `redactor` (the captures already redacted by [`redact`]), the attempts are redacted too and
/// the log's comment says so.
pub fn har_document(
    store: &Store,
    captures: Vec<StoredCapture>,
    edited: bool,
    mut redactor: Option<&mut Redactor>,
) -> Result<Vec<u8>, StoreError> {
    let mut rows: Vec<(CaptureId, Capture, Option<Attempt>)> = Vec::with_capacity(captures.len());
    for StoredCapture { id, capture } in captures {
        let mut attempt = har_attempt(store.attempts(id)?, edited);
        if let (Some(r), Some(a)) = (redactor.as_deref_mut(), attempt.as_mut()) {
            r.attempt(a);
        }
        rows.push((id, capture, attempt));
    }
    let mut doc = har::build(&rows);
    if redactor.is_some() {
        if let Some(log) = doc.get_mut("log").and_then(|l| l.as_object_mut()) {
            log.insert("comment".into(), REDACTED_NOTE.into());
        }
    }
    // A `Value` always serializes.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    Ok(text.into_bytes())
}

/// The curl script of `captures`, each sent to `to` instead of its original URL when given;
/// `redacted` adds a comment saying the captured signatures no longer match.
pub fn curl_script(captures: Vec<StoredCapture>, to: Option<&str>, redacted: bool) -> Vec<u8> {
    let rows: Vec<(CaptureId, Capture)> = captures.into_iter().map(|s| (s.id, s.capture)).collect();
    let script = curl::script(&rows, to);
    if !redacted {
        return script.into_bytes();
    }
    // After the `#!` line, which must stay first.
    let (shebang, rest) = script.split_once('\n').unwrap_or((&script, ""));
    format!("{shebang}\n# {REDACTED_NOTE}.\n{rest}").into_bytes()
}

/// Why fixtures were not written.
#[derive(Debug, thiserror::Error)]
pub enum FixturesError {
    /// These files exist and were not to be replaced; nothing was written.
    #[error("{} already exist", .0.len())]
    Exist(Vec<PathBuf>),
    #[error("cannot create the fixture folder '{dir}': {source}")]
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(anyhow::Error),
}

/// Writes each capture as a fixture (and its body file, with `body_files`) into `dir`; none at
/// all when one would replace a file and `replace` is not given. `written` sees each fixture's
/// path.
pub fn write_fixtures<E: From<FixturesError>>(
    captures: &[StoredCapture],
    dir: &Path,
    body_files: bool,
    replace: bool,
    mut written: impl FnMut(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let per_capture: Vec<Vec<(PathBuf, Vec<u8>)>> = captures
        .iter()
        .map(|stored| fixture_files(dir, stored, body_files))
        .collect();
    if !replace {
        // Checked before anything is written, so a refused export leaves the folder as it was.
        let existing: Vec<PathBuf> = per_capture
            .iter()
            .flatten()
            .map(|(path, _)| path.clone())
            .filter(|path| path.exists())
            .collect();
        if !existing.is_empty() {
            return Err(FixturesError::Exist(existing).into());
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| FixturesError::CreateDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    for files in &per_capture {
        for (path, bytes) in files {
            write_file(path, bytes, false, replace).map_err(|e| match e {
                WriteFailure::Exists => FixturesError::Exist(vec![path.clone()]),
                WriteFailure::Other(e) => FixturesError::Write(e),
            })?;
        }
        // The fixture is the last file of its capture.
        if let Some((fixture, _)) = files.last() {
            written(fixture)?;
        }
    }
    Ok(())
}

/// The TUI's `x`: one capture as a fixture in `dir` under a name no file has yet.
pub fn fresh_fixture(dir: &Path, stored: &StoredCapture) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create the folder '{}': {e}", dir.display()))?;
    write_fresh_fixture(dir, stored)
}

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

/// Why [`write_file`] did not write.
pub enum WriteFailure {
    /// `path` exists and was not to be replaced.
    Exists,
    Other(anyhow::Error),
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over `path`. A crash leaves either the old file or the new one, never half of one
/// (at worst a stray `.hookscope-*.tmp` beside it). An existing `path` is replaced only when
/// `replace`; otherwise the rename refuses it atomically, so a file made meanwhile is not lost
/// either.
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
    use crate::capture::AttemptKind;

    /// `write_file` that replaces, with an error `unwrap` can show.
    fn write_atomic(path: &Path, bytes: &[u8], executable: bool) -> anyhow::Result<()> {
        write_file(path, bytes, executable, true).map_err(|e| match e {
            WriteFailure::Exists => anyhow::anyhow!("'{}' already exists", path.display()),
            WriteFailure::Other(e) => e,
        })
    }

    fn attempt(status: u16, sent_body: Option<&[u8]>) -> Attempt {
        Attempt {
            capture_id: 1,
            kind: AttemptKind::Replay,
            at_ms: 0,
            target: "http://127.0.0.1:3000/hook".into(),
            resigned: sent_body.is_some(),
            sent_body: sent_body.map(<[u8]>::to_vec),
            sent_headers: None,
            status: Some(status),
            response_headers: Vec::new(),
            response_body: Vec::new(),
            response_truncated: false,
            latency_ms: Some(1),
            error: None,
        }
    }

    #[test]
    fn a_har_entry_pairs_the_capture_with_its_own_answer_unless_edited_is_asked() {
        let attempts = vec![
            attempt(502, None),
            attempt(200, None),
            attempt(201, Some(b"{}")),
        ];
        let own = har_attempt(attempts.clone(), false).unwrap();
        assert_eq!((own.status, own.sent_body), (Some(200), None));
        let edited = har_attempt(attempts, true).unwrap();
        assert_eq!(edited.status, Some(201));
        assert_eq!(har_attempt(vec![attempt(201, Some(b"{}"))], false), None);
    }

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
