//! `diff`: two captures, or a capture and what one of its replays sent, side by side in text
//! or as JSON. The comparing is [`crate::diff`]'s; this reads the store and picks the sides.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::DiffArgs;
use crate::config::{db_path, usage};
use crate::diff::{self, pick_replay, ReplayPick, Side};
use crate::store::{OpenMode, Store, StoredCapture};

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let d = match (args.ids.as_slice(), args.replay) {
        ([a, b], None) => {
            let (left, right) = (get(&store, *a)?, get(&store, *b)?);
            diff::compare(
                &format!("#{a}"),
                side(&left),
                &format!("#{b}"),
                side(&right),
            )
        }
        ([id], Some(n)) => {
            let capture = get(&store, *id)?;
            let attempts = store.attempts(*id)?;
            let pick = match n {
                0 => ReplayPick::LatestEdited,
                n => ReplayPick::Nth(n),
            };
            let replay =
                pick_replay(*id, &capture.capture.body, &attempts, pick).map_err(|why| {
                    anyhow::anyhow!("{why}: 'hookscope show {id}' lists its attempts")
                })?;
            diff::compare_replay(&format!("#{id}"), side(&capture), &replay)
        }
        ([_], None) => {
            return Err(usage(
                "give two capture ids to compare, or one with --replay [N]",
            ))
        }
        _ => {
            return Err(usage(
                "--replay compares one capture with its own replay: give one id",
            ))
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", diff::to_json(&d))?;
    } else {
        write!(out, "{}", diff::render_text(&d))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn get(store: &Store, id: i64) -> anyhow::Result<StoredCapture> {
    store.get(id)?.ok_or_else(|| {
        anyhow::anyhow!(
            "capture {id} is not in '{}': 'hookscope list' shows the ids",
            store.path().display()
        )
    })
}

fn side(c: &StoredCapture) -> Side<'_> {
    Side {
        headers: Some(&c.capture.headers),
        body: &c.capture.body,
    }
}
