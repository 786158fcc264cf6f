//! `export`: stored captures as fixtures, one HAR file or one curl script. Every file is written
//! atomically, so an interrupted export never leaves a half file that looks whole.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::capture::CaptureId;
use crate::cli::{ExportArgs, ExportFormat};
use crate::config::{db_path, target, usage};
use crate::export::{write_atomic, write_fixture};
use crate::fixture::{curl, har};
use crate::output::progress_bar;
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
        writeln!(
            std::io::stdout(),
            "nothing to export: no capture in '{}' matches",
            store.path().display()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    // Read everything first: an unknown id fails before any file is written.
    let progress = progress_bar(ids.len(), "reading");
    let mut captures = Vec::with_capacity(ids.len());
    for id in &ids {
        let stored = store.get(*id)?.ok_or_else(|| {
            usage(format!(
                "capture {id} is not in '{}': 'hookscope list' shows the ids",
                store.path().display()
            ))
        })?;
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
            export_fixtures(&captures, &dir, args.body_files)
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
            write_output(&out, text.as_bytes(), false, rows.len(), "HAR entry")
        }
        ExportFormat::Curl => {
            let rows: Vec<(CaptureId, _)> =
                captures.into_iter().map(|s| (s.id, s.capture)).collect();
            let text = curl::script(&rows, args.to.as_deref());
            let out = args.out.unwrap_or_else(|| PathBuf::from(DEFAULT_CURL_FILE));
            write_output(&out, text.as_bytes(), true, rows.len(), "curl request")
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
            verdict: args.verdict,
            event: args.event.clone(),
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
) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).map_err(|e| {
        usage(format!(
            "cannot create the fixture folder '{}': {e}; pass --out with a writable folder",
            dir.display()
        ))
    })?;
    let progress = progress_bar(captures.len(), "writing fixtures");
    for stored in captures {
        let path = write_fixture(dir, stored, body_files)?;
        progress.suspend(|| writeln!(std::io::stdout(), "{}", path.display()))?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    let noun = if captures.len() == 1 {
        "fixture"
    } else {
        "fixtures"
    };
    eprintln!("exported {} {noun} to '{}'", captures.len(), dir.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes a single-file export to `out`, or to stdout for `-`.
fn write_output(
    out: &Path,
    bytes: &[u8],
    executable: bool,
    count: usize,
    what: &str,
) -> anyhow::Result<ExitCode> {
    if out == Path::new(STDOUT) {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(bytes)
            .and_then(|_| stdout.flush())
            .context("cannot write the export to stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
    write_atomic(out, bytes, executable)?;
    let plural = if count == 1 { "" } else { "s" };
    eprintln!("exported {count} {what}{plural} to '{}'", out.display());
    Ok(ExitCode::SUCCESS)
}
