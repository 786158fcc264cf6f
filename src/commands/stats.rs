//! `stats`: the numbers from the store, as text or JSON. The counting is SQL
//! ([`Store::stats`]); the shapes are [`crate::stats`]'s.

use std::io::Write;
use std::process::ExitCode;

use crate::capture::now_ms;
use crate::cli::StatsArgs;
use crate::config::db_path;
use crate::store::{OpenMode, Store};

pub fn run(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let since_ms = args
        .since
        .map(|d| now_ms().saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
    let stats = store.stats(since_ms)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", stats.to_json(since_ms))?;
    } else {
        let window = match args.since {
            Some(d) => format!("in the last {}", humantime::format_duration(d)),
            None => format!("in '{}'", store.path().display()),
        };
        write!(out, "{}", stats.text(&window))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
