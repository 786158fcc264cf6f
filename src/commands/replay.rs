//! `replay`: turn the flags into a replay plan, then send stored captures to the app again;
//! each is recorded as an attempt by the same function live forwarding uses.

use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

use crate::capture::{now_ms, CaptureId};
use crate::cli::ReplayArgs;
use crate::config::{
    body_file, db_path, scheme_secret_needed, secret_needed, secrets_or_dev, target, usage,
};
use crate::forward::{replay_target, Attempts, Recorder, ReplayPlan, Shipment, Signing};
use crate::output::{attempt_brief, attempt_how};
use crate::signature::{secret_for, Scheme};
use crate::store::{ListQuery, OpenMode, Store, StoreError, StoreWorker};

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let secrets = secrets_or_dev(&args.secrets.secrets, args.secrets.allow_short_secret)?.list;
    let body = args
        .body_file
        .as_deref()
        .map(|f| body_file("--body-file", f))
        .transpose()?;
    let signing = match (args.as_is, args.resign) {
        (true, _) => Signing::AsIs,
        (false, true) => Signing::Resign,
        (false, false) => Signing::Default,
    };
    // Checked once up front; each capture then re-signs with a secret of its own scheme.
    let first = ReplayPlan::new(signing, body.clone(), Vec::new(), secrets.first())
        .map_err(|_| secret_needed("--resign (and --body-file) need a secret"))?;
    if first.as_is_without_secret {
        eprintln!(
            "warning: no secret loaded, so replays go as captured and a strict app will see a stale timestamp: pass --secret to re-sign"
        );
    }
    let to = args.to.as_deref().map(|u| target("--to", u)).transpose()?;
    let query = args
        .query
        .as_deref()
        .map(|q| super::filter_query(Some(q), None, None))
        .transpose()?;
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    let db = store.path().to_path_buf();
    let mut ids: Vec<CaptureId> = if args.failed {
        let since = args
            .since
            .map(|d| now_ms() - d.as_millis().min(i64::MAX as u128) as i64);
        store.failed_ids(since)?
    } else {
        args.ids.clone()
    };
    if let Some(query) = query {
        super::index_for_search(&store, &query)?;
        let matching: Vec<CaptureId> = store
            .list(&ListQuery {
                query,
                ascending: true,
                ..ListQuery::default()
            })?
            .into_iter()
            .map(|s| s.id)
            .collect();
        ids = if args.failed {
            ids.retain(|id| matching.binary_search(id).is_ok());
            ids
        } else {
            matching
        };
    }
    let mut out = std::io::stdout().lock();
    if ids.is_empty() {
        let why = match (&args.query, args.failed) {
            (Some(_), true) => "no failed capture matches --query",
            (Some(_), false) => "no capture matches --query",
            _ => "no capture's latest attempt failed",
        };
        writeln!(out, "nothing to replay: {why}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let forwarder = super::forwarder(&args.app)?;
    let rt = super::runtime()?;
    let store = StoreWorker::spawn(store).context("cannot start the database thread")?;
    let recorder = Recorder {
        forwarder,
        attempts: Attempts::Worker(store.clone()),
        reports: None,
    };
    let mut failures = 0;
    for id in ids {
        let (stored, last) = rt.block_on(store.call(move |s| {
            let stored = s.get(id)?;
            let last = s.last_forward_target(id)?;
            Ok::<_, StoreError>((stored, last))
        }))??;
        let Some(stored) = stored else {
            eprintln!("#{id}: {}", super::capture_missing(id, &db));
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
        let scheme = Scheme::detect(&stored.capture.headers);
        let plan = ReplayPlan::new(
            signing,
            body.clone(),
            args.headers.clone(),
            secret_for(scheme, &secrets),
        )
        .map_err(|_| scheme_secret_needed(&format!("#{id}"), scheme))?;
        if plan.as_is_without_secret && !secrets.is_empty() {
            eprintln!(
                "warning: #{id}: no {} secret loaded, so it goes as captured with a stale timestamp",
                scheme.unwrap_or_default()
            );
        }
        let shipment = Shipment::replay(id, &stored.capture, &plan, chrono::Utc::now().timestamp());
        // Stored (or not) before anything is printed, so a closed stdout loses no attempt.
        let recorded = rt.block_on(recorder.record(&target, shipment));
        let attempt = &recorded.attempt;
        if !attempt.succeeded() {
            failures += 1;
        }
        let printed = if args.json {
            writeln!(
                out,
                "{}",
                serde_json::json!({"id": id, "attempt": attempt.to_json()})
            )
        } else {
            writeln!(
                out,
                "#{id} {} {target}{}",
                attempt_brief(&attempt.brief()),
                attempt_how(attempt)
            )
        };
        recorded.stored.with_context(|| {
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
