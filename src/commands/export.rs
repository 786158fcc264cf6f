//! `export`: flags → which captures and where → `ops::export` → stored captures as fixtures,
//! one HAR file or one curl script, and what was written.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{ExportArgs, ExportFormat};
use crate::config::{db_path, redact_rules, target, usage};
use crate::ops::export::{self, write_file, FixturesError, ReadError, WriteFailure};
use crate::output::progress_bar;
use crate::redact::{Redactor, Salt};
use crate::store::{OpenMode, Store};
use crate::text::count;

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

    // Read before the store: a mistake in [redact] fails before anything is read.
    let mut redactor = match args.redact {
        true => Some(Redactor::new(
            redact_rules(args.config.path.as_deref())?,
            Salt::random(),
        )),
        false => None,
    };

    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    if args.ids.is_empty() {
        super::index_for_search(&store, &query)?;
    }
    let ids = export::select(&store, &args.ids, query)?;
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
    let mut captures = export::read(&store, &ids, || progress.inc(1)).map_err(|e| match e {
        ReadError::Missing(id) => super::capture_missing(id, store.path()),
        ReadError::Store(e) => e.into(),
    })?;
    progress.finish_and_clear();
    // Redacted before any format sees them, so nothing is written from the stored values.
    let not_json = match redactor.as_mut() {
        Some(r) => export::redact(&mut captures, r),
        None => Vec::new(),
    };

    let exit = match args.format {
        ExportFormat::Fixture => {
            let dir = args
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_FIXTURE_DIR));
            let progress = progress_bar(captures.len(), "writing fixtures");
            export::write_fixtures(&captures, &dir, args.body_files, args.force, |fixture| {
                progress.suspend(|| writeln!(std::io::stdout(), "{}", fixture.display()))?;
                progress.inc(1);
                anyhow::Ok(())
            })
            .map_err(|e| fixtures_error(e, &dir))?;
            progress.finish_and_clear();
            eprintln!(
                "exported {} to '{}'",
                count(captures.len() as u64, "fixture"),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        ExportFormat::Har => {
            let n = captures.len();
            let bytes = export::har_document(&store, captures, args.edited, redactor.as_mut())?;
            let out = args.out.unwrap_or_else(|| PathBuf::from(DEFAULT_HAR_FILE));
            let what = Written {
                n,
                what: "HAR entry",
            };
            write_output(&out, &bytes, false, what, args.force)?
        }
        ExportFormat::Curl => {
            let n = captures.len();
            let bytes = export::curl_script(captures, args.to.as_deref(), args.redact);
            let out = args.out.unwrap_or_else(|| PathBuf::from(DEFAULT_CURL_FILE));
            let what = Written {
                n,
                what: "curl request",
            };
            write_output(&out, &bytes, true, what, args.force)?
        }
    };
    if let Some(r) = &redactor {
        let signatures = match args.format {
            ExportFormat::Fixture => "fixtures are re-signed when sent",
            ExportFormat::Har | ExportFormat::Curl => {
                "the captured signatures no longer match the redacted bodies (export fixtures and 'hookscope send' them to sign afresh)"
            }
        };
        print_redacted(r, &not_json, signatures);
    }
    Ok(exit)
}

/// What `--redact` replaced, on stderr: counts per field, the bodies it could not read, and
/// what became of the signatures.
pub(crate) fn print_redacted(redactor: &Redactor, not_json: &[i64], signatures: &str) {
    eprintln!("redacted: {}", redactor.counts().summary());
    if !not_json.is_empty() {
        let ids: Vec<String> = not_json.iter().map(i64::to_string).collect();
        eprintln!(
            "warning: not JSON, so left as captured (headers redacted): the body of {} {}",
            if ids.len() == 1 {
                "capture"
            } else {
                "captures"
            },
            ids.join(", ")
        );
    }
    if !signatures.is_empty() {
        eprintln!("{signatures}");
    }
}

/// What went wrong writing fixtures, with the flags that fix it.
fn fixtures_error(e: anyhow::Error, dir: &Path) -> anyhow::Error {
    match e.downcast::<FixturesError>() {
        Ok(FixturesError::Exist(paths)) => {
            let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
            already_exist(&paths, "or --out another folder")
        }
        Ok(FixturesError::CreateDir { source, .. }) => usage(format!(
            "cannot create the fixture folder '{}': {source}; pass --out with a writable folder",
            dir.display()
        )),
        Ok(FixturesError::Write(e)) => e,
        Err(e) => e,
    }
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
