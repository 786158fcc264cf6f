//! `export`: stored captures as fixtures, one HAR file or one curl script. Every file is written
//! atomically, so an interrupted export never leaves a half file that looks whole.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::capture::CaptureId;
use crate::cli::{ExportArgs, ExportFormat};
use crate::config::{db_path, event_type, target, usage};
use crate::fixture::{curl, har, Fixture};
use crate::output::{count, progress_bar};
use crate::store::{ListQuery, OpenMode, Store, StoredCapture};

/// Default output of each format when `--out` is not given.
const DEFAULT_FIXTURE_DIR: &str = "fixtures";
const DEFAULT_HAR_FILE: &str = "hookscope.har";
const DEFAULT_CURL_FILE: &str = "hookscope-curl.sh";

/// `--out -`: write to stdout.
const STDOUT: &str = "-";

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let filtered = args.verdict.is_some() || args.event.is_some();
    if args.ids.is_empty() && !args.all && !filtered {
        return Err(usage(
            "say what to export: capture ids (from 'hookscope list'), --all, or --verdict/--event",
        ));
    }
    if args.body_files && args.format != ExportFormat::Fixture {
        return Err(usage("--body-files works only with --format fixture"));
    }
    if let Some(to) = &args.to {
        if args.format != ExportFormat::Curl {
            return Err(usage(
                "--to works only with --format curl; 'hookscope send' takes --to for fixtures",
            ));
        }
        target("--to", to)?;
    }
    let to_stdout = args.out.as_deref() == Some(Path::new(STDOUT));
    if to_stdout && args.format == ExportFormat::Fixture {
        return Err(usage(
            "fixtures are one file per capture, so they need a folder: pass --out DIR (or use --format har or curl with --out -)",
        ));
    }

    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let ids = select(&store, &args)?;
    if ids.is_empty() {
        let why = super::none_match(&store, args.verdict.as_ref(), args.event.as_deref())?
            .unwrap_or_else(|| {
                format!(
                    "'{}' holds no captures yet; send a webhook to 'hookscope listen' first",
                    store.path().display()
                )
            });
        writeln!(std::io::stdout(), "nothing to export: {why}")?;
        return Ok(ExitCode::SUCCESS);
    }
    // Read everything first: an unknown id fails before any file is written.
    let progress = progress_bar(ids.len(), "reading");
    let mut captures = Vec::with_capacity(ids.len());
    for id in &ids {
        let stored = store
            .get(*id)?
            .ok_or_else(|| super::capture_missing(*id, &store))?;
        captures.push(stored);
        progress.inc(1);
    }
    progress.finish_and_clear();

    match args.format {
        ExportFormat::Fixture => {
            let dir = args
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_FIXTURE_DIR));
            export_fixtures(&captures, &dir, args.body_files, args.force)
        }
        ExportFormat::Har => {
            let mut rows = Vec::with_capacity(captures.len());
            for StoredCapture { id, capture } in captures {
                let latest = store.attempts(id)?.pop();
                rows.push((id, capture, latest));
            }
            let mut text = serde_json::to_string_pretty(&har::build(&rows))
                .context("cannot serialize the HAR document")?;
            text.push('\n');
            let out = args.out.unwrap_or_else(|| PathBuf::from(DEFAULT_HAR_FILE));
            let what = Written {
                n: rows.len(),
                what: "HAR entry",
            };
            write_output(&out, text.as_bytes(), false, what, args.force)
        }
        ExportFormat::Curl => {
            let rows: Vec<(CaptureId, _)> =
                captures.into_iter().map(|s| (s.id, s.capture)).collect();
            let text = curl::script(&rows, args.to.as_deref());
            let out = args.out.unwrap_or_else(|| PathBuf::from(DEFAULT_CURL_FILE));
            let what = Written {
                n: rows.len(),
                what: "curl request",
            };
            write_output(&out, text.as_bytes(), true, what, args.force)
        }
    }
}

/// The ids to export: the ones named (in that order), or every match, oldest first.
fn select(store: &Store, args: &ExportArgs) -> anyhow::Result<Vec<CaptureId>> {
    if !args.ids.is_empty() {
        return Ok(args.ids.clone());
    }
    Ok(store
        .list(&ListQuery {
            verdicts: args
                .verdict
                .as_ref()
                .map(|v| v.statuses.clone())
                .unwrap_or_default(),
            event: args.event.as_deref().map(event_type),
            ascending: true,
            ..Default::default()
        })?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

fn export_fixtures(
    captures: &[StoredCapture],
    dir: &Path,
    body_files: bool,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let per_capture: Vec<Vec<(PathBuf, Vec<u8>)>> = captures
        .iter()
        .map(|stored| fixture_files(dir, stored, body_files))
        .collect();
    if !force {
        // Checked before anything is written, so a refused export leaves the folder as it was.
        let existing: Vec<&Path> = per_capture
            .iter()
            .flatten()
            .map(|(path, _)| path.as_path())
            .filter(|path| path.exists())
            .collect();
        if !existing.is_empty() {
            return Err(already_exist(&existing, "or --out another folder"));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        usage(format!(
            "cannot create the fixture folder '{}': {e}; pass --out with a writable folder",
            dir.display()
        ))
    })?;
    let progress = progress_bar(captures.len(), "writing fixtures");
    for files in &per_capture {
        for (path, bytes) in files {
            write_file(path, bytes, false, force).map_err(|e| match e {
                WriteFailure::Exists => already_exist(&[path], "or --out another folder"),
                WriteFailure::Other(e) => e,
            })?;
        }
        // The fixture is the last file of its capture.
        if let Some((fixture, _)) = files.last() {
            progress.suspend(|| writeln!(std::io::stdout(), "{}", fixture.display()))?;
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    eprintln!(
        "exported {} to '{}'",
        count(captures.len() as u64, "fixture"),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The files one capture becomes in `dir`: its body file first (when asked), then the fixture.
fn fixture_files(dir: &Path, stored: &StoredCapture, body_files: bool) -> Vec<(PathBuf, Vec<u8>)> {
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

/// A usage error for an export that would overwrite `existing` without `--force`.
fn already_exist(existing: &[&Path], elsewhere: &str) -> anyhow::Error {
    const SHOWN: usize = 5;
    let names: Vec<String> = existing
        .iter()
        .take(SHOWN)
        .map(|p| format!("'{}'", p.display()))
        .collect();
    let more = existing.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(" and {} more", count(more as u64, "file"))
    } else {
        String::new()
    };
    let verb = if existing.len() == 1 {
        "exists"
    } else {
        "exist"
    };
    usage(format!(
        "{}{more} already {verb}: pass --force to overwrite, {elsewhere}",
        names.join(", ")
    ))
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
/// if another process writes there meanwhile; returns its path. For the TUI's export key.
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

/// What a single-file export holds, for its closing line.
struct Written {
    n: usize,
    what: &'static str,
}

/// Writes a single-file export to `out`, or to stdout for `-`. An existing `out` is replaced
/// only with `force`.
fn write_output(
    out: &Path,
    bytes: &[u8],
    executable: bool,
    written: Written,
    force: bool,
) -> anyhow::Result<ExitCode> {
    if out == Path::new(STDOUT) {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(bytes)
            .and_then(|_| stdout.flush())
            .context("cannot write the export to stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
    write_file(out, bytes, executable, force).map_err(|e| match e {
        WriteFailure::Exists => already_exist(&[out], "or --out another file"),
        WriteFailure::Other(e) => e,
    })?;
    eprintln!(
        "exported {} to '{}'",
        count(written.n as u64, written.what),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
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
enum WriteFailure {
    /// `path` exists and was not to be replaced.
    Exists,
    Other(anyhow::Error),
}

/// [`write_atomic`], replacing an existing `path` only when `replace`; otherwise the rename
/// refuses an existing file atomically, so a file made meanwhile is not lost either.
fn write_file(
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
