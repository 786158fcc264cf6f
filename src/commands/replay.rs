//! `replay`: flags → [`ops::replay::Settings`] and a selection → `ops::replay` → one line per
//! capture, a summary, and an exit code that says whether everything sent got a 2xx.

use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

use super::hint::{with, words};
use crate::capture::now_ms;
use crate::cli::ReplayArgs;
use crate::config::{body_file, db_path, secrets_or_dev, target, usage};
use crate::forward::{Attempts, Recorder, Signing};
use crate::ops::replay::{self, Outcome, Picked, Refusal, Selection, Settings, Tally};
use crate::output::{attempt_brief, attempt_how};
use crate::store::{OpenMode, Store, StoreWorker};
use crate::text::count;

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(&args)?;
    if settings.secrets.is_empty() && settings.signing != Signing::AsIs {
        eprintln!("warning: no secret loaded, so replays go as captured and a strict app will see a stale timestamp: pass --secret to re-sign");
    }
    if args.schedule.is_some() {
        return on_schedule(&args, &settings);
    }
    let selection = selection(&args)?;
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let db = store.path().to_path_buf();
    if let Selection::Backlog {
        query: Some(query), ..
    } = &selection
    {
        super::index_for_search(&store, query)?;
    }
    let picked = replay::pick(&store, &selection, &settings.secrets)?;
    say_left_out(&picked);
    let mut out = std::io::stdout().lock();
    if picked.ids.is_empty() {
        let why = match (&args.query, args.failed) {
            (Some(_), true) => "no failed delivery matches --query",
            (Some(_), false) => "no delivery matches --query",
            _ => "no delivery's latest answer from the app failed",
        };
        writeln!(out, "nothing to replay: {why}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let (rt, store, recorder) = sending(&args, store)?;
    let many = picked.ids.len() > 1;
    let mut tally = Tally::default();
    for id in picked.ids {
        // Stored (or not) before anything is printed, so a closed stdout loses no attempt.
        let outcome = rt.block_on(replay::replay_one(&store, &recorder, id, &settings))?;
        tally.add(&outcome);
        print_outcome(&mut out, &outcome, args.json, &db)?;
    }
    if many {
        eprintln!(
            "replayed {}: {} failed, {} skipped",
            count(tally.sent as u64, "capture"),
            tally.failed,
            tally.skipped
        );
    }
    // Exit 1 when anything sent did not get a 2xx, or a capture asked for by id was not sent.
    let by_id = !args.ids.is_empty();
    Ok(if tally.failed > 0 || (by_id && tally.skipped > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `replay ID --schedule FILE|observed`: the one capture, once per attempt of the schedule,
/// a line per attempt as it is made.
fn on_schedule(args: &ReplayArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    use crate::ops::replay::schedule;
    let (Some(which), [id]) = (args.schedule.as_deref(), args.ids.as_slice()) else {
        return Err(usage(
            "--schedule replays one capture: name exactly one id, e.g. 'hookscope replay 17 --schedule observed'",
        ));
    };
    let id = *id;
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let db = store.path().to_path_buf();
    let plan = if which == "observed" {
        if store.get(id)?.is_none() {
            return Err(super::capture_missing(id, &db));
        }
        let event = crate::ops::retries::of_capture(&store, id)?;
        schedule::observed(event.as_ref()).map_err(|why| {
            usage(format!(
                "--schedule observed: capture {id} cannot be replayed as its sender did: {why}; let the sender retry first ('listen --respond 503,times=2') or give a schedule file"
            ))
        })?
    } else {
        let text = std::fs::read_to_string(which).map_err(|e| {
            usage(format!(
                "--schedule: cannot read '{which}' ({e}); give a schedule file or 'observed'"
            ))
        })?;
        schedule::parse(&text).map_err(|e| usage(format!("--schedule '{which}': {e}")))?
    };
    // Where the event went: a capture answered by choice was never forwarded, but the
    // delivery of its event the app got was.
    let mut settings = settings.clone();
    if settings.to.is_none() {
        settings.to = event_target(&store, id)?;
    }
    let settings = &settings;
    let total = plan.attempts();
    eprintln!(
        "replaying #{id} {} on the schedule {} (each wait from the previous attempt's start)",
        count(total as u64, "time"),
        plan.text()
    );
    let (rt, store, recorder) = sending(args, store)?;
    let mut out = std::io::stdout().lock();
    let mut tally = Tally::default();
    let mut printed = Ok(());
    rt.block_on(schedule::run(
        &store,
        &recorder,
        id,
        settings,
        &plan,
        |n, at, outcome| {
            tally.add(outcome);
            if printed.is_ok() {
                printed = print_scheduled(&mut out, n, total, at, outcome, args.json, &db);
            }
        },
    ))?;
    printed?;
    eprintln!(
        "replayed #{id} {} of {total}: {} without a 2xx",
        count(tally.sent as u64, "time"),
        tally.failed
    );
    Ok(if tally.failed > 0 || tally.skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Where live forwarding last sent capture `id`, else any delivery of its event; `None` when
/// none was forwarded.
/// What sending replays takes: the runtime, the store on its own thread, and the recorder
/// that sends through the forwarder and records each attempt there.
fn sending(
    args: &ReplayArgs,
    store: Store,
) -> anyhow::Result<(tokio::runtime::Runtime, StoreWorker, Recorder)> {
    let forwarder = super::forwarder(&args.app)?;
    let rt = super::runtime()?;
    let store = StoreWorker::spawn(store).context("cannot start the database thread")?;
    let recorder = Recorder {
        forwarder,
        attempts: Attempts::Worker(store.clone()),
        reports: None,
    };
    Ok((rt, store, recorder))
}

fn event_target(store: &Store, id: i64) -> anyhow::Result<Option<http::Uri>> {
    if let Some(t) = store.last_forward_target(id)? {
        return Ok(t.parse().ok());
    }
    let Some(event) = crate::ops::retries::of_capture(store, id)? else {
        return Ok(None);
    };
    for d in event.deliveries.iter().rev() {
        if let Some(t) = store.last_forward_target(d.capture_id)? {
            return Ok(t.parse().ok());
        }
    }
    Ok(None)
}

/// One attempt of a schedule: `attempt 2/3 +1.0 s: ` and the replay's line (or, with `json`,
/// its object with `n`, `of` and `at_ms`).
fn print_scheduled(
    out: &mut impl Write,
    n: usize,
    total: usize,
    at: std::time::Duration,
    outcome: &Outcome,
    json: bool,
    db: &std::path::Path,
) -> anyhow::Result<()> {
    let at_ms = at.as_millis().min(i64::MAX as u128) as i64;
    if json {
        let mut line = Vec::new();
        print_outcome(&mut line, outcome, true, db)?;
        let mut v: serde_json::Value = serde_json::from_slice(&line)?;
        v["schedule"] = serde_json::json!({"n": n, "of": total, "at_ms": at_ms});
        writeln!(out, "{v}")?;
    } else {
        write!(
            out,
            "attempt {n}/{total} {}: ",
            crate::redelivery::gap_text(at_ms)
        )?;
        if let Outcome::Skipped { id, .. } = outcome {
            // The reason goes to stderr, as for any skipped replay.
            writeln!(out, "#{id} skipped")?;
        }
        // Every attempt is decided alike: its warning is said once, with the first.
        let quiet;
        let outcome = match outcome {
            Outcome::Sent(r) if n > 1 && r.warning.is_some() => {
                quiet = Outcome::Sent(crate::ops::replay::Replayed {
                    warning: None,
                    ..r.clone()
                });
                &quiet
            }
            other => other,
        };
        print_outcome(out, outcome, false, db)?;
    }
    out.flush()?;
    Ok(())
}

/// One capture's line: what was sent and what came back (stdout), or why it was skipped (stderr),
/// and any warning (stderr); with `json`, one object per capture on stdout.
fn print_outcome(
    out: &mut impl Write,
    outcome: &Outcome,
    json: bool,
    db: &std::path::Path,
) -> anyhow::Result<()> {
    match outcome {
        Outcome::Sent(r) => {
            let id = r.id;
            if let Some(w) = r.warning {
                eprintln!("warning: #{id}: {}", with(w, w.hint()));
            }
            if let Some(note) = r.resigned.as_ref().and_then(|s| s.note()) {
                eprintln!("warning: #{id}: {note}");
            }
            if json {
                let mut line = serde_json::json!({"id": id, "attempt": r.attempt.to_json()});
                if let Some(s) = &r.resigned {
                    line["resigned_with"] = s.to_json();
                }
                if let Some(w) = r.warning {
                    line["warning"] = w.code().into();
                    if let Some(h) = w.hint() {
                        line["hint"] = h.to_json();
                    }
                }
                writeln!(out, "{line}")?;
            } else {
                writeln!(
                    out,
                    "#{id} {} {}{}",
                    attempt_brief(&r.attempt.brief()),
                    r.target,
                    attempt_how(&r.attempt)
                )?;
            }
        }
        Outcome::Skipped { id, why } => {
            let id = *id;
            let text = match why {
                Refusal::Missing => super::capture_missing(id, db).to_string(),
                why => with(why, why.hint()),
            };
            if json {
                let mut line = serde_json::json!({"id": id, "skipped": why.to_string()});
                if let Some(h) = why.hint() {
                    line["hint"] = h.to_json();
                }
                writeln!(out, "{line}")?;
            }
            eprintln!("#{id} skipped: {text}");
        }
    }
    Ok(())
}

/// The flags as settings; nothing below knows their names.
pub(crate) fn settings(args: &ReplayArgs) -> anyhow::Result<Settings> {
    if args.resign_failed && args.ids.is_empty() {
        return Err(usage(
            "--resign-failed re-signs captures named by id only: a backlog (--failed, --query) never re-signs a forged or unsigned delivery; name the ids",
        ));
    }
    let secrets = secrets_or_dev(&args.secrets.secrets, args.secrets.allow_short_secret)?.list;
    let body = args
        .body_file
        .as_deref()
        .map(|f| body_file("--body-file", f))
        .transpose()?;
    let signing = match (args.as_is, args.resign || args.resign_failed) {
        (true, _) => Signing::AsIs,
        (false, true) => Signing::Resign,
        (false, false) => Signing::Default,
    };
    Ok(Settings {
        signing,
        body,
        headers: args.headers.clone(),
        to: args.to.as_deref().map(|u| target("--to", u)).transpose()?,
        resign_failed: args.resign_failed,
        secrets,
    })
}

fn selection(args: &ReplayArgs) -> anyhow::Result<Selection> {
    if !args.failed && args.query.is_none() {
        return Ok(Selection::Ids(args.ids.clone()));
    }
    let since_ms = args
        .since
        .map(|d| now_ms() - d.as_millis().min(i64::MAX as u128) as i64);
    let query = args
        .query
        .as_deref()
        .map(|q| super::filter_query(Some(q), None, None))
        .transpose()?;
    Ok(Selection::Backlog {
        failed: args.failed,
        since_ms,
        query,
    })
}

/// What a backlog left out, and why, before anything is sent.
fn say_left_out(p: &Picked) {
    if p.failed_signatures > 0 {
        eprintln!(
            "left out {} whose own signature failed (invalid or unsigned): a backlog never re-signs them; replay one by id as captured, or {}",
            count(p.failed_signatures as u64, "capture"),
            words(crate::hint::Hint::ResignFailed)
        );
    }
    if p.probes > 0 {
        eprintln!(
            "left out {} sent by 'hookscope check': not deliveries",
            count(p.probes as u64, "probe")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Capture;
    use crate::cli::{Cli, Command};
    use crate::intake;
    use crate::ops::replay::decide;
    use crate::session::effects::replay_settings;
    use crate::signature::{sign_headers, Scheme, Secret};
    use clap::Parser;

    fn replay_args(extra: &[String]) -> ReplayArgs {
        let mut argv = vec!["hookscope".to_string(), "replay".into(), "1".into()];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Replay(a) => a,
            _ => unreachable!(),
        }
    }

    /// `hookscope replay ID` and the TUI's `r` (the default rule) decide alike for every
    /// scheme, with its secret loaded and with only another scheme's.
    #[test]
    fn the_tuis_r_and_the_cli_decide_alike_for_every_scheme() {
        for scheme in Scheme::ALL {
            let (mine, mine_text) = Secret::generate_for(scheme);
            let other = Scheme::ALL.into_iter().find(|s| *s != scheme).unwrap();
            let (_, other_text) = Secret::generate_for(other);
            let body = br#"{"id":"e1","event_type":"DOCVER"}"#.to_vec();
            let headers = sign_headers(&mine, 1_700_000_000, &body)
                .into_iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.into_bytes()))
                .collect();
            let mut c = Capture::new(1_700_000_000_000, "POST", "/hook", headers, body);
            intake::verify(&mut c, std::slice::from_ref(&mine), 300, 1_700_000_000);
            for (given, expect_resign) in [(&mine_text, true), (&other_text, false)] {
                let given_scheme = if given == &mine_text { scheme } else { other };
                let secret_arg = format!("{}={given}", given_scheme.name());
                let cli = settings(&replay_args(&["--secret".into(), secret_arg])).unwrap();
                let tui = replay_settings(None, &cli.secrets, Signing::Default, None);
                let last = Some("http://127.0.0.1:3000/hook");
                let (a, b) = (
                    decide(&c, last, &cli).unwrap(),
                    decide(&c, last, &tui).unwrap(),
                );
                assert_eq!(a.plan.resign_with, b.plan.resign_with, "{scheme}");
                assert_eq!(a.warning, b.warning, "{scheme}");
                assert_eq!(a.plan.resign_with.is_some(), expect_resign, "{scheme}");
            }
        }
    }
}
