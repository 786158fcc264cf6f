//! `retries`: the schedule each sender followed for an event it redelivered, as a table per
//! event or `--json`. The reading is `ops::retries`; the words are here.

use std::io::Write;
use std::process::ExitCode;

use crate::capture::rfc3339_ms;
use crate::cli::RetriesArgs;
use crate::config::db_path;
use crate::ops::retries::{retries, Found, Which};
use crate::redelivery::{gap_text, Schedule, Told};
use crate::store::{OpenMode, Store};

pub fn run(args: RetriesArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let which = match &args.event {
        Some(e) => Which::Event(e.clone()),
        None => Which::Redelivered(args.limit),
    };
    let events = match retries(&store, &which)? {
        Found::Events(events) => events,
        Found::NoSuchEvent(text) => anyhow::bail!(
            "no delivery of an event '{text}' is stored in '{}'; 'hookscope show ID' names the event of a capture, and 'hookscope retries' lists those delivered more than once",
            store.path().display()
        ),
        Found::Ambiguous(text, keys) => anyhow::bail!(
            "several events begin with '{text}': {}; give more of the id",
            keys.join(", ")
        ),
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<serde_json::Value> = events.iter().map(Schedule::to_json).collect();
        writeln!(out, "{}", serde_json::json!({ "events": list }))?;
    } else if events.is_empty() {
        writeln!(
            out,
            "no event was delivered more than once in '{}' (deliveries are linked by the sender's event id; 'listen --respond 503,times=2' makes a sender retry)",
            store.path().display()
        )?;
    } else {
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            write!(out, "{}", table(e))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One event: a heading line, then a row per delivery.
fn table(e: &Schedule) -> String {
    let n = e.deliveries.len();
    let scheme = e
        .scheme
        .as_deref()
        .map(|s| format!("{s}, "))
        .unwrap_or_default();
    let mut s = format!(
        "event {} ({scheme}{}): {} over {}, final answer {}\n",
        e.key,
        e.path,
        crate::text::count(n as u64, "delivery"),
        gap_text(e.span_ms()).trim_start_matches('+'),
        told_text(e.final_told()),
    );
    s.push_str(&format!(
        "  {:>3}  {:>8}  {:<24}  {:>12}  {}\n",
        "#", "capture", "received", "gap", "answered"
    ));
    let mut previous = None;
    for (i, d) in e.deliveries.iter().enumerate() {
        let gap = previous
            .map(|p| gap_text(d.received_at_ms - p))
            .unwrap_or_default();
        previous = Some(d.received_at_ms);
        s.push_str(&format!(
            "  {:>3}  {:>8}  {:<24}  {:>12}  {}\n",
            i + 1,
            d.capture_id,
            rfc3339_ms(d.received_at_ms),
            gap,
            told_text(d.told)
        ));
    }
    s
}

/// `503 (chosen)`, `200 (app)`, `? (app, not answered yet)`, `- (relayed)`.
fn told_text(t: Option<Told>) -> String {
    match t {
        Some(Told {
            status: Some(s),
            by,
        }) => format!("{s} ({})", by.as_str()),
        Some(Told { status: None, by }) => format!("? ({}, no answer stored)", by.as_str()),
        None => "- (not answered by the listener)".to_string(),
    }
}
