//! `purge`: delete captures for good, then compact the file so their bytes leave the disk.

use std::io::Write;
use std::process::ExitCode;

use crate::capture::now_ms;
use crate::cli::PurgeArgs;
use crate::config::{db_path, duration};
use crate::store::{Compacted, ListQuery, OpenMode, Store};
use crate::text::count;

pub fn run(args: PurgeArgs) -> anyhow::Result<ExitCode> {
    let before_ms = match &args.before {
        Some(text) => {
            let age = duration("--before", text)?;
            now_ms().saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX))
        }
        None => i64::MAX,
    };
    let mut store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let deleted = store.purge_before(before_ms)?;
    let compacted = store.compact()?;
    let remain = store.count(&ListQuery::default())?;
    let age = args
        .before
        .as_deref()
        .map(|t| format!(" older than {}", t.trim()))
        .unwrap_or_default();
    writeln!(
        std::io::stdout(),
        "deleted {}{age}; {remain} {}",
        count(deleted, "capture"),
        if remain == 1 { "remains" } else { "remain" }
    )?;
    if compacted == Compacted::WalBusy {
        eprintln!(
            "warning: another process (hookscope listen or tui?) is reading '{}', so its '-wal' file may still hold deleted data: run 'hookscope purge' again once it has stopped",
            store.path().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
