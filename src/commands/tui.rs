//! The terminal UI's edges: `hookscope tui` on a stored database, and the worker that runs the
//! effects the UI asks for (replay, export) and reports back. The UI itself never waits on the
//! network or the disk.

use anyhow::Context;
use http::Uri;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::capture::CaptureId;
use crate::cli::TuiArgs;
use crate::config::{db_path, secrets, usage};
use crate::forward::{authority, parse_target, replay, replay_target, Forwarder, ReplayPlan};
use crate::output::attempt_brief;
use crate::report::{self, Report, ReportTx};
use crate::signature::Secret;
use crate::store::{OpenMode, Store, Writer};
use crate::tui::{self, Command, TuiContext};

/// Where `x` writes fixtures, relative to the working directory.
pub const FIXTURES_DIR: &str = "fixtures";
/// How often the header's "reachable" mark for the forward target is refreshed.
const PROBE_INTERVAL: Duration = Duration::from_secs(2);
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub fn run(args: TuiArgs) -> anyhow::Result<ExitCode> {
    let db = db_path(args.db.db.as_deref())?;
    // Fail before touching the terminal, and never create a database here.
    Store::open(&db, OpenMode::Existing)?;
    let secrets = secrets(&args.secrets.secrets)?;
    let target = match &args.to {
        Some(u) => Some(parse_target(u).map_err(|e| usage(format!("--to: {e}")))?),
        None => None,
    };
    let rt = super::runtime()?;
    let (reports_tx, reports_rx) = report::channel();
    let (commands_tx, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects {
        db: db.clone(),
        writer: None,
        target: target.clone(),
        secret: secrets.first().cloned(),
        forwarder: super::forwarder(&args.app)?,
        reports: reports_tx.clone(),
    };
    rt.spawn(run_effects(commands_rx, effects));
    if let Some(t) = &target {
        rt.spawn(probe_target(t.clone(), reports_tx));
    }
    tui::run(TuiContext {
        db_path: db,
        listen_url: None,
        forward_target: target.map(|t| t.to_string()),
        secrets_loaded: secrets.len(),
        reports: reports_rx,
        commands: commands_tx,
    })?;
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(ExitCode::SUCCESS)
}

/// What the effects worker needs.
pub(crate) struct Effects {
    pub db: PathBuf,
    /// The listener's writer when running inside `listen`; else attempts are stored directly.
    pub writer: Option<Writer>,
    /// Base URL replays go to (`--forward-to`, `--to`); else the capture's last target.
    pub target: Option<Uri>,
    /// Secret for re-signing (the first one given).
    pub secret: Option<Secret>,
    pub forwarder: Forwarder,
    pub reports: ReportTx,
}

/// Runs each command on its own task, so a slow replay never holds up the next one.
pub(crate) async fn run_effects(mut rx: UnboundedReceiver<Command>, fx: Effects) {
    let fx = std::sync::Arc::new(fx);
    while let Some(cmd) = rx.recv().await {
        let fx = fx.clone();
        tokio::spawn(async move {
            let (text, error) = match cmd {
                Command::Replay { id, resign, body } => {
                    match replay_one(&fx, id, resign, body).await {
                        Ok(text) => (text, false),
                        Err(e) => (format!("replay of #{id} failed: {e:#}"), true),
                    }
                }
                Command::Export { id } => match export_one(&fx, id).await {
                    Ok(text) => (text, false),
                    Err(e) => (format!("export of #{id} failed: {e:#}"), true),
                },
            };
            let _ = fx.reports.send(Report::Notice { text, error });
        });
    }
}

async fn replay_one(
    fx: &Effects,
    id: CaptureId,
    resign: bool,
    body: Option<Vec<u8>>,
) -> anyhow::Result<String> {
    let resign_with = match (resign || body.is_some(), &fx.secret) {
        (false, _) => None,
        (true, Some(s)) => Some(s.clone()),
        (true, None) => anyhow::bail!(
            "re-signing needs a secret: start with --secret whsec_... ('R' replays as captured)"
        ),
    };
    let db = fx.db.clone();
    let (stored, last_target) = tokio::task::spawn_blocking(move || {
        let store = Store::open(&db, OpenMode::Existing)?;
        let stored = store
            .get(id)?
            .with_context(|| format!("capture {id} is no longer in the store"))?;
        let last = store.last_target(id)?;
        anyhow::Ok((stored, last))
    })
    .await??;
    let target = replay_target(fx.target.as_ref(), last_target.as_deref(), &stored.capture)
        .map_err(anyhow::Error::msg)?
        .with_context(|| {
            format!("no target: capture {id} was never forwarded; start 'listen --forward-to URL' or 'tui --to URL'")
        })?;
    let plan = ReplayPlan {
        resign_with,
        body,
        headers: Vec::new(),
    };
    let attempt = replay(&fx.forwarder, id, &stored.capture, &target, &plan).await;
    let brief = attempt.brief();
    let resigned = attempt.resigned;
    match &fx.writer {
        Some(w) => {
            w.record_attempt(attempt).await?;
        }
        None => {
            let db = fx.db.clone();
            tokio::task::spawn_blocking(move || {
                Store::open(&db, OpenMode::Existing)?.insert_attempt(&attempt)
            })
            .await??;
        }
    }
    let _ = fx.reports.send(Report::Attempted {
        capture_id: id,
        attempt: brief.clone(),
        replay: true,
    });
    Ok(format!(
        "replayed #{id}{} {}",
        if resigned {
            " re-signed"
        } else {
            " as captured"
        },
        attempt_brief(&brief)
    ))
}

async fn export_one(fx: &Effects, id: CaptureId) -> anyhow::Result<String> {
    let db = fx.db.clone();
    tokio::task::spawn_blocking(move || {
        let store = Store::open(&db, OpenMode::Existing)?;
        let stored = store
            .get(id)?
            .with_context(|| format!("capture {id} is no longer in the store"))?;
        let dir = PathBuf::from(FIXTURES_DIR);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the folder '{}'", dir.display()))?;
        let path = super::export::write_fixture(&dir, &stored, false)?;
        Ok(format!("exported #{id} to '{}'", path.display()))
    })
    .await?
}

/// Reports whether the forward target accepts TCP connections, whenever that changes.
pub(crate) async fn probe_target(target: Uri, reports: ReportTx) {
    let addr = {
        let auth = authority(&target);
        if auth.contains(':') && !auth.ends_with(']') {
            auth
        } else {
            format!("{auth}:80")
        }
    };
    let mut last = None;
    loop {
        let up = matches!(
            tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(&addr)).await,
            Ok(Ok(_))
        );
        if last != Some(up) {
            if reports.send(Report::TargetReachable(up)).is_err() {
                return;
            }
            last = Some(up);
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}
