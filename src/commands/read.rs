//! `list` and `show`: read-only views of the store.

use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

use crate::capture::Attempt;
use crate::cli::{ListArgs, ShowArgs};
use crate::config::{db_path, redact_rules};
use crate::output;
use crate::redact::{Redactor, Salt};
use crate::redelivery::Place;
use crate::store::{ListQuery, OpenMode, Store, StoredCapture};

pub fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let query = super::filter_query(
        args.query.as_deref(),
        args.verdict.as_ref(),
        args.event.as_deref(),
    )?;
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    super::index_for_search(&store, &query)?;
    let rows = store.list(&ListQuery {
        limit: Some(args.limit),
        query,
        ..Default::default()
    })?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for r in &rows {
            writeln!(out, "{}", r.to_json())?;
        }
    } else if rows.is_empty() {
        match super::none_match(
            &store,
            args.verdict.as_ref(),
            args.event.as_deref(),
            args.query.as_deref(),
        )? {
            Some(why) if args.limit == 0 => writeln!(out, "{why} (--limit 0)")?,
            Some(why) => writeln!(out, "{why}")?,
            None => writeln!(
                out,
                "no captures in '{}' match; send a webhook to 'hookscope listen' first",
                store.path().display()
            )?,
        }
    } else {
        write!(
            out,
            "{}",
            output::list_table(&rows, table_width(args.wide), super::hint::words)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The width `list`'s table fits: `COLUMNS`, else the terminal's when stdout is one; none
/// (every column, a layout that stays the same) with `--wide` or when piped.
fn table_width(wide: bool) -> Option<usize> {
    use std::io::IsTerminal;
    if wide {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    if columns.is_some() {
        return columns;
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
        .filter(|&w| w > 0)
}

pub fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let mut redactor = match args.redact {
        true => Some(Redactor::new(
            redact_rules(args.config.path.as_deref())?,
            Salt::random(),
        )),
        false => None,
    };
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let Some(mut capture) = store.get(args.id)? else {
        return Err(super::capture_missing(args.id, store.path()));
    };
    let mut attempts = Vec::new();
    let mut place = None;
    if !args.raw {
        attempts = store.attempts(capture.id)?;
        place = store.place(capture.id, capture.capture.event_key.as_deref())?;
    }
    let mut not_json = Vec::new();
    if let Some(r) = redactor.as_mut() {
        not_json = crate::ops::export::redact(std::slice::from_mut(&mut capture), r);
        for a in &mut attempts {
            r.attempt(a);
        }
    }
    if args.raw {
        let mut out = std::io::stdout().lock();
        out.write_all(&capture.capture.body)
            .context("cannot write the body to stdout")?;
        out.flush()?;
    } else {
        print_with(&capture, &attempts, place.as_ref(), args.json)?;
    }
    if let Some(r) = &redactor {
        super::export::print_redacted(r, &not_json, "");
    }
    Ok(ExitCode::SUCCESS)
}

/// One capture with its attempts as `show` prints it: text, or with `json` one JSON object;
/// with a `redactor`, redacted as `show --redact` prints it, what was replaced said on stderr.
/// `wait` prints what it found the same way.
pub(crate) fn print_capture(
    store: &Store,
    mut capture: StoredCapture,
    json: bool,
    redactor: Option<&mut Redactor>,
) -> anyhow::Result<()> {
    let mut attempts = store.attempts(capture.id)?;
    let place = store.place(capture.id, capture.capture.event_key.as_deref())?;
    let Some(r) = redactor else {
        return print_with(&capture, &attempts, place.as_ref(), json);
    };
    let not_json = crate::ops::export::redact(std::slice::from_mut(&mut capture), r);
    for a in &mut attempts {
        r.attempt(a);
    }
    print_with(&capture, &attempts, place.as_ref(), json)?;
    super::export::print_redacted(r, &not_json, "");
    Ok(())
}

/// [`print_capture`] with the attempts already read (and perhaps redacted).
fn print_with(
    capture: &StoredCapture,
    attempts: &[Attempt],
    place: Option<&Place>,
    json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", output::show_json(capture, attempts, place))?;
    } else {
        // To say which secret a PASS matched: the stored Dataspike secrets and the local
        // development secret (read, never made here).
        let known = crate::config::known_secrets();
        writeln!(
            out,
            "{}",
            output::show_text(capture, attempts, place, &known, super::hint::words)
        )?;
    }
    out.flush()?;
    Ok(())
}
