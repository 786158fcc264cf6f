//! `replay`: send stored captures to the app again and record each as an attempt.

use anyhow::Context;
use std::process::ExitCode;

use crate::capture::{now_ms, CaptureId};
use crate::cli::ReplayArgs;
use crate::config::{db_path, secrets, usage};
use crate::forward::{parse_target, replay, replay_target, ReplayPlan};
use crate::output::attempt_brief;
use crate::store::{OpenMode, Store};

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let secrets = secrets(&args.secrets.secrets)?;
    let body = match &args.body_file {
        Some(f) => Some(
            std::fs::read(f)
                .map_err(|e| usage(format!("cannot read --body-file '{}': {e}", f.display())))?,
        ),
        None => None,
    };
    // An edited body cannot carry the old signature, so it is always re-signed.
    let resign = args.resign || body.is_some();
    let resign_with = if resign {
        Some(secrets.first().cloned().ok_or_else(|| {
            usage("--resign (and --body-file) need a secret: pass --secret whsec_... or set HOOKSCOPE_SECRET")
        })?)
    } else {
        None
    };
    let to = match &args.to {
        Some(u) => Some(parse_target(u).map_err(|e| usage(format!("--to: {e}")))?),
        None => None,
    };
    let mut store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
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
    let plan = ReplayPlan {
        resign_with,
        body,
        headers: args.headers.clone(),
    };
    let forwarder = super::forwarder(&args.app)?;
    let rt = super::runtime()?;
    let mut failures = 0;
    for id in ids {
        let Some(stored) = store.get(id)? else {
            eprintln!(
                "#{id}: not in '{}'; 'hookscope list' shows the ids",
                store.path().display()
            );
            failures += 1;
            continue;
        };
        let last = store.last_target(id)?;
        let target = replay_target(to.as_ref(), last.as_deref(), &stored.capture)
            .map_err(|e| usage(format!("#{id}: {e}")))?
            .ok_or_else(|| {
                usage(format!(
                    "capture {id} was never forwarded, so there is no target to replay to: pass --to URL"
                ))
            })?;
        let attempt = rt.block_on(replay(&forwarder, id, &stored.capture, &target, &plan));
        if !attempt.succeeded() {
            failures += 1;
        }
        let line = format!(
            "#{id} {} {target}{}",
            attempt_brief(&attempt.brief()),
            if attempt.resigned { " (re-signed)" } else { "" }
        );
        if args.json {
            println!(
                "{}",
                serde_json::json!({"id": id, "attempt": attempt.to_json()})
            );
        } else {
            println!("{line}");
        }
        store.insert_attempt(&attempt).with_context(|| {
            format!("the replay of #{id} was sent but its attempt was not stored")
        })?;
    }
    Ok(if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
