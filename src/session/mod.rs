//! A running session: the listener, the store's writer, the report stream, and its consumer (the
//! terminal UI with its effects worker, or headless output); or the UI alone on a stored
//! database. It takes settings already checked (no flag names here, beyond hints in the UI's
//! own messages) and owns start-up order and clean shutdown: every acknowledged capture is
//! committed before it returns.

pub(crate) mod effects;
mod headless;

pub use effects::{probe_target, run_effects, Effects};
pub use headless::{intro, print_reports};

use anyhow::Context;
use http::Uri;
use std::path::PathBuf;
use std::time::Duration;

use crate::forward::{Attempts, Forwarder, Recorder};
use crate::hint::{Hint, Words};
use crate::intake::Intake;
use crate::listener::{self, ListenConfig};
use crate::report::{self, Report, ReportRx, ReportTx};
use crate::signature::Secret;
use crate::store::{spawn_writer, Durability, OpenMode, Store, StoreWorker, Writer};
use crate::tui::{self, TuiContext};

/// Who consumes what the listener reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The terminal UI; quitting it stops the listener.
    Tui,
    /// One line per capture on stdout, or NDJSON with `json`.
    Headless { json: bool },
}

/// Everything a listening session needs, already checked.
pub struct Settings {
    pub db: PathBuf,
    /// Delete captures older than this, at start and then every [`RETENTION_EVERY`].
    pub retention: Option<Duration>,
    /// The local development secret's file, when it is the session's secret.
    pub dev_secret: Option<PathBuf>,
    pub durability: Durability,
    pub listen: ListenConfig,
    pub output: Output,
    /// `listen --relay`: also take in what this relay channel holds.
    pub relay: Option<crate::relay::client::ClientConfig>,
    /// How the command line words a remedy (headless lines, warnings on stderr); the UI words
    /// its own.
    pub words: Words,
}

/// Serves on `socket` until Ctrl-C or SIGTERM (or the UI quits), then lets in-flight requests
/// finish and commits.
pub async fn run(socket: tokio::net::TcpListener, settings: Settings) -> anyhow::Result<()> {
    let Settings {
        db,
        retention,
        dev_secret,
        durability,
        listen: cfg,
        output,
        words,
        relay,
    } = settings;
    let local = socket
        .local_addr()
        .context("cannot read the bound address")?;
    // SocketAddr prints an IPv6 host in brackets, as a URL needs.
    let url = format!("http://{local}");
    let store = Store::open(&db, OpenMode::Create)?;
    store.set_durability(durability)?;
    store.tune_for_writing()?;
    let (writer, writer_thread) =
        spawn_writer(store).context("cannot start the database writer thread")?;
    let (tx, rx) = report::channel();
    // Holds a writer handle: aborted once the listener has stopped, so the writer can finish.
    let retention_task =
        retention.map(|keep| tokio::spawn(run_retention(writer.clone(), keep, tx.clone())));

    let host = local.ip();
    if !host.is_loopback() {
        let warning = format!(
            "listening on {host}, not loopback. Dataspike captures hold personal data (names, birth dates, documents), and anyone who can reach this port can send requests and read what your app answers"
        );
        eprintln!("warning: {warning}: {}", words(Hint::Loopback));
        if output == Output::Tui {
            // The UI covers stderr, so it shows the warning itself, in its own words.
            let _ = tx.send(Report::Notice {
                text: crate::tui::hint::with(warning, Some(Hint::Loopback)),
                error: true,
            });
        }
    }
    let relay_url = relay.as_ref().map(|r| r.url.ingest());
    let json = match output {
        Output::Tui => {
            let ui = UiSetup {
                url,
                db,
                dev_secret: dev_secret.is_some(),
                retention: retention_task,
                relay,
            };
            return run_with_tui(socket, cfg, writer, writer_thread, (tx, rx), ui).await;
        }
        Output::Headless { json } => json,
    };
    let mut intro = intro(&url, &db, &cfg, dev_secret.as_deref(), retention, words);
    if let Some(r) = relay_url {
        intro = intro.replacen(
            "\n  Ctrl-C stops",
            &format!(
                "\n  relay:    {r} (resumes after the last delivery stored here)\n  Ctrl-C stops"
            ),
            1,
        );
    }
    let forwarding = cfg.intake.forward.clone();
    let printer = std::thread::Builder::new()
        .name("hookscope-output".into())
        .spawn(move || print_reports(rx, json, forwarding.as_ref(), words))
        .context("cannot start the output thread")?;
    if json {
        eprintln!("{intro}");
    } else {
        println!("{intro}");
    }
    let _ = tx.send(Report::Listening { url });
    let relay = spawn_feed(relay, &cfg, &writer, &tx, &db);

    listener::serve(socket, cfg, writer, tx, shutdown_signal()).await;
    stop_relay(relay).await;
    if let Some(task) = retention_task {
        task.abort();
        let _ = task.await;
    }

    // serve() and the relay feed have dropped every writer handle and report sender by now.
    tokio::task::spawn_blocking(move || {
        let _ = writer_thread.join();
        let _ = printer.join();
    })
    .await
    .context("shutdown")?;
    if !json {
        eprintln!(
            "stopped; every acknowledged capture is committed to '{}'",
            db.display()
        );
    }
    Ok(())
}

/// The terminal UI on a stored database, without listening.
pub struct Browse {
    /// Opened by the caller, so a missing database fails before the terminal is touched. It
    /// becomes the effects worker's connection for the whole session.
    pub store: Store,
    pub secrets: Vec<Secret>,
    /// Whether `secrets` is the local development secret alone.
    pub dev_secret: bool,
    /// Where replays go (`tui --to`); else each capture's last target.
    pub target: Option<Uri>,
    /// The client replays go through (`--timeout`, `--ca-cert`).
    pub forwarder: Forwarder,
}

/// Runs the UI on `rt` until the user quits.
pub fn browse(rt: tokio::runtime::Runtime, b: Browse) -> anyhow::Result<()> {
    let db = b.store.path().to_path_buf();
    let store = StoreWorker::spawn(b.store).context("cannot start the database thread")?;
    let (reports_tx, reports_rx) = report::channel();
    let (commands_tx, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects {
        recorder: Recorder {
            forwarder: b.forwarder,
            attempts: Attempts::Worker(store.clone()),
            reports: Some(reports_tx.clone()),
        },
        store,
        target: b.target.clone(),
        secrets: b.secrets.clone(),
        reports: reports_tx.clone(),
    };
    rt.spawn(run_effects(commands_rx, effects));
    if let Some(t) = &b.target {
        rt.spawn(probe_target(t.clone(), reports_tx));
    }
    tui::run(TuiContext {
        db_path: db,
        listen_url: None,
        forward_target: b.target.map(|t| t.to_string()),
        forward_events: None,
        routes: Vec::new(),
        secrets_loaded: b.secrets.len(),
        dev_secret: b.dev_secret,
        resign_with: b.secrets.clone(),
        reports: reports_rx,
        commands: commands_tx,
    })?;
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

/// Starts `listen --relay`'s feed with an intake of its own on the same writer and reports.
fn spawn_feed(
    relay: Option<crate::relay::client::ClientConfig>,
    cfg: &ListenConfig,
    writer: &Writer,
    reports: &ReportTx,
    db: &std::path::Path,
) -> Option<tokio::task::JoinHandle<()>> {
    let r = relay?;
    let intake = Intake::new(cfg.intake.clone(), writer.clone(), reports.clone());
    let (db, reports) = (db.to_path_buf(), reports.clone());
    Some(tokio::spawn(async move {
        // A refusal is reported (the UI header, the log); the local port keeps serving.
        let _ = crate::relay::feed::feed(r, &db, intake, reports).await;
    }))
}

/// Ends the relay feed: what it committed is committed; the rest comes again next time.
async fn stop_relay(relay: Option<tokio::task::JoinHandle<()>>) {
    if let Some(task) = relay {
        task.abort();
        let _ = task.await;
    }
}

/// What the UI's header shows about a listening session.
struct UiSetup {
    url: String,
    db: PathBuf,
    dev_secret: bool,
    retention: Option<tokio::task::JoinHandle<()>>,
    relay: Option<crate::relay::client::ClientConfig>,
}

/// Serves with the terminal UI as the consumer of reports. Quitting the UI stops the listener.
#[allow(clippy::too_many_arguments)]
async fn run_with_tui(
    socket: tokio::net::TcpListener,
    cfg: ListenConfig,
    writer: Writer,
    writer_thread: std::thread::JoinHandle<()>,
    (tx, rx): (ReportTx, ReportRx),
    ui: UiSetup,
) -> anyhow::Result<()> {
    let UiSetup {
        url,
        db,
        dev_secret,
        retention,
        relay,
    } = ui;
    // Before the UI covers the terminal, and left in its scrollback after it closes.
    eprintln!(
        "hookscope listening on {url}\n  database: {}{}",
        db.display(),
        if retention.is_some() {
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
    let target = cfg
        .intake
        .forward
        .as_ref()
        .and_then(|f| f.single_target().cloned());
    // Replays share the live forward's client (its timeout and trusted CAs).
    let forwarder = cfg
        .intake
        .forward
        .as_ref()
        .and_then(|f| f.forwarder().cloned())
        .unwrap_or_else(|| Forwarder::new(crate::forward::FORWARD_TIMEOUT));
    // The effects worker reads on a connection of its own; its attempts go through the writer.
    let store = Store::open(&db, OpenMode::Existing)?;
    let store = StoreWorker::spawn(store).context("cannot start the database thread")?;
    let (commands_tx, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = tokio::spawn(run_effects(
        commands_rx,
        Effects {
            store,
            recorder: Recorder {
                forwarder,
                attempts: Attempts::Writer(writer.clone()),
                reports: Some(tx.clone()),
            },
            target: target.clone(),
            secrets: cfg.intake.secrets.clone(),
            reports: tx.clone(),
        },
    ));
    let probe = target
        .clone()
        .map(|t| tokio::spawn(probe_target(t, tx.clone())));
    let _ = tx.send(Report::Listening { url: url.clone() });
    let relay = spawn_feed(relay, &cfg, &writer, &tx, &db);
    let ctx = TuiContext {
        db_path: db.clone(),
        listen_url: Some(url),
        forward_target: target.map(|t| t.to_string()),
        forward_events: cfg.intake.forward.as_ref().and_then(|f| {
            f.single_target()?;
            f.routes.routes().first()?.rule.events.describe()
        }),
        routes: match &cfg.intake.forward {
            Some(f) if f.single_target().is_none() => f.routes.compact(),
            _ => Vec::new(),
        },
        secrets_loaded: cfg.intake.secrets.len(),
        dev_secret,
        resign_with: cfg.intake.secrets.clone(),
        reports: rx,
        commands: commands_tx,
    };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let ui = std::thread::Builder::new()
        .name("hookscope-tui".into())
        .spawn(move || {
            let result = tui::run(ctx);
            let _ = done_tx.send(());
            result
        })
        .context("cannot start the terminal UI thread")?;
    let stop = async {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = done_rx => {}
        }
    };
    listener::serve(socket, cfg, writer, tx, stop).await;
    stop_relay(relay).await;
    // Drop the last writer handles and report senders so the writer thread can finish.
    if let Some(task) = retention {
        task.abort();
        let _ = task.await;
    }
    effects.abort();
    if let Some(p) = probe {
        p.abort();
    }
    let _ = effects.await;
    let ui_result = tokio::task::spawn_blocking(move || {
        let _ = writer_thread.join();
        ui.join()
    })
    .await
    .context("shutdown")?;
    match ui_result {
        Ok(r) => r?,
        Err(_) => anyhow::bail!("the terminal UI panicked; the terminal was restored"),
    }
    eprintln!(
        "stopped; every acknowledged capture is committed to '{}'",
        db.display()
    );
    Ok(())
}
/// How often `--retention` deletes what has aged out, after once at start.
pub const RETENTION_EVERY: Duration = Duration::from_secs(60 * 60);

/// `listen --retention`: deletes captures older than `keep` through the writer, at start and
/// every [`RETENTION_EVERY`], and says how many when there were any.
async fn run_retention(writer: Writer, keep: Duration, tx: ReportTx) {
    let keep_ms = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
    let mut every = tokio::time::interval(RETENTION_EVERY);
    loop {
        every.tick().await;
        let before_ms = crate::capture::now_ms().saturating_sub(keep_ms);
        let (text, error) = match writer.purge_before(before_ms).await {
            Ok(0) => continue,
            Ok(n) => (
                format!(
                    "retention: deleted {} older than {}",
                    crate::text::count(n, "capture"),
                    humantime::format_duration(keep)
                ),
                false,
            ),
            Err(e) => (format!("retention: old captures not deleted: {e}"), true),
        };
        tracing::info!("{text}");
        let _ = tx.send(Report::Notice { text, error });
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
