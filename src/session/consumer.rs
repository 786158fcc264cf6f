//! Who reads a listening session's reports: headless output or the terminal UI. The one part of
//! [`super::run`]'s sequence where the two differ, kept as data: what starts, what may end the
//! session (the UI quitting), what is stopped before the writer is joined (the UI's tasks), what
//! is joined after it, and who says "stopped" on stderr.

use anyhow::Context;
use http::Uri;
use std::future::Future;
use std::thread::JoinHandle;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;

use super::{intro, print_reports, probe_target, run_effects, Effects, Output, Settings};
use crate::forward::{Attempts, Forwarder, Recorder};
use crate::report::{Report, ReportRx, ReportTx};
use crate::store::{OpenMode, Store, StoreWorker, Writer};
use crate::tui::{self, Command, TuiContext};

pub(super) enum Consumer {
    /// Lines or NDJSON on stdout, from a thread of its own that ends when the last report
    /// sender is gone.
    Headless { printer: JoinHandle<()>, json: bool },
    /// The terminal UI on a thread of its own, which ends the session when the user quits, and
    /// its tasks on the runtime (the effects worker, the forward target's probe).
    Ui {
        ui: JoinHandle<anyhow::Result<()>>,
        quit: Option<oneshot::Receiver<()>>,
        tasks: Vec<tokio::task::JoinHandle<()>>,
    },
}

impl Consumer {
    pub(super) fn start(
        settings: &Settings,
        url: &str,
        rx: ReportRx,
        tx: &ReportTx,
        writer: &Writer,
    ) -> anyhow::Result<Consumer> {
        match settings.output {
            Output::Headless { json } => start_headless(settings, url, rx, json),
            Output::Tui => start_ui(settings, url, rx, tx, writer),
        }
    }

    /// Resolves when the consumer ends the session (the UI quitting); never for headless.
    pub(super) fn quit(&mut self) -> impl Future<Output = ()> {
        let quit = match self {
            Consumer::Ui { quit, .. } => quit.take(),
            Consumer::Headless { .. } => None,
        };
        async move {
            match quit {
                Some(rx) => {
                    let _ = rx.await;
                }
                None => std::future::pending().await,
            }
        }
    }

    /// Stops the consumer's tasks on the runtime: they hold writer handles and report senders.
    pub(super) async fn drain(&mut self) {
        if let Consumer::Ui { tasks, .. } = self {
            tasks.iter().for_each(tokio::task::JoinHandle::abort);
            for task in tasks.drain(..) {
                let _ = task.await;
            }
        }
    }

    /// Whether stderr gets the closing "stopped" line: NDJSON ends with its own `stopped`.
    pub(super) fn says_stopped(&self) -> bool {
        !matches!(self, Consumer::Headless { json: true, .. })
    }

    /// Waits for the consumer's thread. Blocking; after the writer's, so the printer has read
    /// every report by then.
    pub(super) fn join(self) -> anyhow::Result<()> {
        match self {
            Consumer::Headless { printer, .. } => {
                let _ = printer.join();
                Ok(())
            }
            Consumer::Ui { ui, .. } => match ui.join() {
                Ok(result) => result,
                Err(_) => anyhow::bail!("the terminal UI panicked; the terminal was restored"),
            },
        }
    }
}

fn start_headless(
    settings: &Settings,
    url: &str,
    rx: ReportRx,
    json: bool,
) -> anyhow::Result<Consumer> {
    let cfg = &settings.listen;
    let mut intro = intro(
        url,
        &settings.db,
        cfg,
        settings.dev_secret.as_deref(),
        settings.retention,
        settings.words,
    );
    if let Some(r) = &settings.relay {
        intro = intro.replacen(
            "\n  Ctrl-C stops",
            &format!(
                "\n  relay:    {}{} (resumes after the last delivery stored here)\n  Ctrl-C stops",
                r.url.ingest(),
                r.egress
                    .describe(&r.url.ingest().parse().unwrap_or_default())
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default()
            ),
            1,
        );
    }
    if let Some(reg) = &settings.registered {
        intro = intro.replacen(
            "\n  Ctrl-C stops",
            &format!("\n  dataspike: {reg}\n  Ctrl-C stops"),
            1,
        );
    }
    let forwarding = cfg.intake.forward.clone();
    let secrets = cfg.intake.secrets.clone();
    let words = settings.words;
    let printer = std::thread::Builder::new()
        .name("hookscope-output".into())
        .spawn(move || print_reports(rx, json, forwarding.as_ref(), secrets, words))
        .context("cannot start the output thread")?;
    if json {
        eprintln!("{intro}");
    } else {
        println!("{intro}");
    }
    Ok(Consumer::Headless { printer, json })
}

fn start_ui(
    settings: &Settings,
    url: &str,
    rx: ReportRx,
    tx: &ReportTx,
    writer: &Writer,
) -> anyhow::Result<Consumer> {
    let (db, cfg) = (&settings.db, &settings.listen);
    // Before the UI covers the terminal, and left in its scrollback after it closes.
    eprintln!(
        "hookscope listening on {url}\n  database: {}{}",
        db.display(),
        if settings.retention.is_some() {
            "\n  retention: on (old captures are deleted at start and hourly)"
        } else {
            ""
        }
    );
    let _ = tx.send(Report::Notice {
        text: format!("database: {}", db.display()),
        error: false,
    });
    // One catch-all route: replays go there; with routes, each capture's last target (its
    // route's).
    let forward = cfg.intake.forward.as_ref();
    let target = forward.and_then(|f| f.single_target().cloned());
    // Replays share the live forward's client (its timeout and trusted CAs).
    let forwarder = forward
        .and_then(|f| f.forwarder().cloned())
        .unwrap_or_else(|| Forwarder::new(crate::forward::FORWARD_TIMEOUT));
    // The effects worker reads on a connection of its own; its attempts go through the writer.
    let store = Store::open(db, OpenMode::Existing)?;
    let store = StoreWorker::spawn(store).context("cannot start the database thread")?;
    let (commands_tx, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects {
        store,
        recorder: Recorder {
            forwarder,
            attempts: Attempts::Writer(writer.clone()),
            reports: Some(tx.clone()),
        },
        target: target.clone(),
        secrets: cfg.intake.secrets.clone(),
        reports: tx.clone(),
    };
    let tasks = ui_tasks(commands_rx, effects, target.clone(), tx);
    let ctx = ui_context(settings, url, target, (rx, commands_tx));
    let (done_tx, done_rx) = oneshot::channel();
    let ui = std::thread::Builder::new()
        .name("hookscope-tui".into())
        .spawn(move || {
            let result = tui::run(ctx);
            let _ = done_tx.send(());
            result
        })
        .context("cannot start the terminal UI thread")?;
    Ok(Consumer::Ui {
        ui,
        quit: Some(done_rx),
        tasks,
    })
}

/// What the UI shows about a listening session, and its channels.
fn ui_context(
    settings: &Settings,
    url: &str,
    target: Option<Uri>,
    (reports, commands): (ReportRx, UnboundedSender<Command>),
) -> TuiContext {
    let cfg = &settings.listen;
    let forward = cfg.intake.forward.as_ref();
    TuiContext {
        db_path: settings.db.clone(),
        listen_url: Some(url.to_string()),
        forward_target: target.map(|t| t.to_string()),
        forward_events: forward.and_then(|f| {
            f.single_target()?;
            f.routes.routes().first()?.rule.events.describe()
        }),
        routes: match forward {
            Some(f) if f.single_target().is_none() => f.routes.compact(),
            _ => Vec::new(),
        },
        secrets_loaded: cfg.intake.secrets.len(),
        dev_secret: settings.dev_secret.is_some(),
        resign_with: cfg.intake.secrets.clone(),
        registered: settings.registered.clone(),
        redact: settings.redact.clone(),
        chosen: cfg.intake.chosen.map(|c| c.describe()),
        reports,
        commands,
    }
}

/// The UI's work on the runtime, listening or browsing a stored database: the effects worker,
/// and the probe of the target replays go to.
pub(super) fn ui_tasks(
    commands: UnboundedReceiver<Command>,
    effects: Effects,
    target: Option<Uri>,
    tx: &ReportTx,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = vec![tokio::spawn(run_effects(commands, effects))];
    tasks.extend(target.map(|t| tokio::spawn(probe_target(t, tx.clone()))));
    tasks
}
