//! `replay`: turn the flags into a replay plan, then send stored captures to the app again;
//! each is recorded as an attempt by the same function live forwarding uses.

use anyhow::Context;
use std::process::ExitCode;

use crate::capture::{now_ms, CaptureId};
use crate::cli::ReplayArgs;
use crate::config::{db_path, secrets, usage};
use crate::forward::{
    parse_target, replay_target, Attempts, Forwarder, Recorder, ReplayPlan, Shipment,
};
use crate::output::attempt_brief;
use crate::store::{OpenMode, Store, StoreWorker};

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let secrets = secrets(&args.secrets.secrets)?;
    let body = match &args.body_file {
        Some(f) => Some(
            std::fs::read(f)
                .map_err(|e| usage(format!("cannot read --body-file '{}': {e}", f.display())))?,
        ),
        None => None,
    };
    let plan = ReplayPlan::new(args.resign, body, args.headers.clone(), secrets.first()).map_err(|_| {
        usage("--resign (and --body-file) need a secret: pass --secret whsec_... or set HOOKSCOPE_SECRET")
    })?;
    let to = match &args.to {
        Some(u) => Some(parse_target(u).map_err(|e| usage(format!("--to: {e}")))?),
        None => None,
    };
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let db = store.path().to_path_buf();
    let ids: Vec<CaptureId> = if args.failed {
        let since = args
            .since
            .map(|d| now_ms() - d.as_millis().min(i64::MAX as u128) as i64);
        store.failed_ids(since)?
    } else {
        args.ids.clone()
    };
    if ids.is_empty() {
        println!("nothing to replay: no capture's latest attempt failed");
        return Ok(ExitCode::SUCCESS);
    }
    let rt = super::runtime()?;
    let store = StoreWorker::spawn(store).context("cannot start the database thread")?;
    let recorder = Recorder {
        forwarder: Forwarder::new(args.app.duration()),
        attempts: Attempts::Worker(store.clone()),
        reports: None,
    };
    let mut failures = 0;
    for id in ids {
        let (stored, last) = rt.block_on(store.call(move |s| {
            let stored = s.get(id)?;
            let last = s.last_target(id)?;
            Ok::<_, crate::store::StoreError>((stored, last))
        }))??;
        let Some(stored) = stored else {
            eprintln!(
                "#{id}: not in '{}'; 'hookscope list' shows the ids",
                db.display()
            );
            failures += 1;
            continue;
        };
        let target = replay_target(to.as_ref(), last.as_deref(), &stored.capture)
            .map_err(|e| usage(format!("#{id}: {e}")))?
            .ok_or_else(|| {
                usage(format!(
                    "capture {id} was never forwarded, so there is no target to replay to: pass --to URL"
                ))
            })?;
        let shipment = Shipment::replay(id, &stored.capture, &plan, chrono::Utc::now().timestamp());
        let recorded = rt.block_on(recorder.record(&target, shipment));
        let attempt = &recorded.attempt;
        if !attempt.succeeded() {
            failures += 1;
        }
        if args.json {
            println!(
                "{}",
                serde_json::json!({"id": id, "attempt": attempt.to_json()})
            );
        } else {
            println!(
                "#{id} {} {target}{}",
                attempt_brief(&attempt.brief()),
                if attempt.resigned { " (re-signed)" } else { "" }
            );
        }
        recorded.stored.with_context(|| {
            format!("the replay of #{id} was sent but its attempt was not stored")
        })?;
    }
    Ok(if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
