//! `export`: stored captures as fixtures, one HAR file or one curl script. Every file is written
//! atomically, so an interrupted export never leaves a half file that looks whole.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::capture::CaptureId;
use crate::cli::{ExportArgs, ExportFormat};
use crate::config::{db_path, target, usage};
use crate::export::{fixture_files, write_file, WriteFailure};
use crate::fixture::{curl, har};
use crate::output::{count, progress_bar};
use crate::query::Query;
use crate::store::{ListQuery, OpenMode, Store, StoredCapture};

/// Default output of each format when `--out` is not given.
const DEFAULT_FIXTURE_DIR: &str = "fixtures";
const DEFAULT_HAR_FILE: &str = "hookscope.har";
const DEFAULT_CURL_FILE: &str = "hookscope-curl.sh";

/// `--out -`: write to stdout.
const STDOUT: &str = "-";

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let filtered = args.verdict.is_some() || args.event.is_some() || args.query.is_some();
    if args.ids.is_empty() && !args.all && !filtered {
        return Err(usage(
            "say what to export: capture ids (from 'hookscope list'), --all, --query, or --verdict/--event",
        ));
    }
    let query = super::filter_query(
        args.query.as_deref(),
        args.verdict.as_ref(),
        args.event.as_deref(),
    )?;
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
    let ids = select(&store, &args, query)?;
    if ids.is_empty() {
        let why = super::none_match(
            &store,
            args.verdict.as_ref(),
            args.event.as_deref(),
            args.query.as_deref(),
        )?
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
            .ok_or_else(|| super::capture_missing(*id, store.path()))?;
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
fn select(store: &Store, args: &ExportArgs, query: Query) -> anyhow::Result<Vec<CaptureId>> {
    if !args.ids.is_empty() {
        return Ok(args.ids.clone());
    }
    super::index_for_search(store, &query)?;
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
