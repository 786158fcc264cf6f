//! `replay`: send stored captures to the app again and record each as an attempt.

use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

use crate::capture::{now_ms, CaptureId};
use crate::cli::ReplayArgs;
use crate::config::{body_file, db_path, secret_needed, secrets, target, usage};
use crate::forward::{replay, replay_target, ReplayPlan};
use crate::output::attempt_brief;
use crate::store::{OpenMode, Store};

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let secrets = secrets(&args.secrets.secrets)?;
    let body = args
        .body_file
        .as_deref()
        .map(|f| body_file("--body-file", f))
        .transpose()?;
    // An edited body cannot carry the old signature, so it is always re-signed.
    let resign = args.resign || body.is_some();
    let resign_with = if resign {
        Some(
            secrets
                .first()
                .cloned()
                .ok_or_else(|| secret_needed("--resign (and --body-file) need a secret"))?,
        )
    } else {
        None
    };
    let to = args.to.as_deref().map(|u| target("--to", u)).transpose()?;
    let mut store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let ids: Vec<CaptureId> = if args.failed {
        let since = args
            .since
            .map(|d| now_ms() - d.as_millis().min(i64::MAX as u128) as i64);
        store.failed_ids(since)?
    } else {
        args.ids.clone()
    };
    let mut out = std::io::stdout().lock();
    if ids.is_empty() {
        writeln!(out, "nothing to replay: no capture's latest attempt failed")?;
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
        let printed = if args.json {
            writeln!(
                out,
                "{}",
                serde_json::json!({"id": id, "attempt": attempt.to_json()})
            )
        } else {
            writeln!(out, "{line}")
        };
        // Recorded even when stdout is gone: the request was sent.
        store.insert_attempt(&attempt).with_context(|| {
            format!("the replay of #{id} was sent but its attempt was not stored")
        })?;
        printed?;
    }
    Ok(if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
