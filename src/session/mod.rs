//! A running session: the listener, the store's writer, the report stream, and its consumer (the
//! terminal UI with its effects worker, or headless output); or the UI alone on a stored
//! database. It takes settings already checked (no flag names here, beyond hints in the UI's
//! own messages) and owns start-up order and clean shutdown: every acknowledged capture is
//! committed before it returns.

mod consumer;
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
use crate::report::{self, Report, ReportTx};
use crate::signature::Secret;
use crate::store::{spawn_writer, Durability, OpenMode, Store, StoreWorker, Writer};
use crate::tui::{self, TuiContext};
use consumer::Consumer;

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
    /// "Dataspike sandbox webhook 01927ed4… → this relay channel", when `listen --register`
    /// made or reused one: the header and the intro say it.
    pub registered: Option<String>,
    pub durability: Durability,
    pub listen: ListenConfig,
    pub output: Output,
    /// `listen --relay`: also take in what this relay channel holds.
    pub relay: Option<crate::relay::client::ClientConfig>,
    /// How the command line words a remedy (headless lines, warnings on stderr); the UI words
    /// its own.
    pub words: Words,
    /// What the UI's copy keys redact; `None`: they copy as captured.
    pub(crate) redact: Option<crate::redact::Rules>,
}

/// Serves on `socket` until Ctrl-C or SIGTERM (or the UI quits), then lets in-flight requests
/// finish and commits. One sequence for both outputs: start the store's writer, the reports and
/// their consumer; serve; stop serving; drain what else writes or reports; let the writer
/// commit; join. What differs between headless and the UI is the [`Consumer`].
pub async fn run(socket: tokio::net::TcpListener, settings: Settings) -> anyhow::Result<()> {
    let local = socket
        .local_addr()
        .context("cannot read the bound address")?;
    // SocketAddr prints an IPv6 host in brackets, as a URL needs.
    let url = format!("http://{local}");
    let (writer, writer_thread) = start_writer(&settings.db, settings.durability)?;
    let (tx, rx) = report::channel();
    // Holds a writer handle: stopped once the listener has, so the writer can finish.
    let retention = settings
        .retention
        .map(|keep| tokio::spawn(run_retention(writer.clone(), keep, tx.clone())));
    warn_off_loopback(local.ip(), &settings, &tx);
    let mut consumer = Consumer::start(&settings, &url, rx, &tx, &writer)?;
    let _ = tx.send(Report::Listening { url });
    let Settings {
        db, listen, relay, ..
    } = settings;
    let feed = spawn_feed(relay, &listen, &writer, &tx, &db);
    // The listener's intake, built here as the relay feed's is: the same writer and reports.
    let intake = Intake::new(listen.intake, writer, tx);

    let quit = consumer.quit();
    let stop = async {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = quit => {}
        }
    };
    listener::serve(socket, listen.limits, intake, stop).await;
    // serve() has dropped its intake, with its writer handle and report sender; the rest go now.
    stop_task(feed).await;
    stop_task(retention).await;
    consumer.drain().await;
    let says_stopped = consumer.says_stopped();
    // The writer commits what it holds and ends with its last handle; then the consumer.
    tokio::task::spawn_blocking(move || {
        let _ = writer_thread.join();
        consumer.join()
    })
    .await
    .context("shutdown")??;
    if says_stopped {
        eprintln!(
            "stopped; every acknowledged capture is committed to '{}'",
            db.display()
        );
    }
    Ok(())
}

/// The store, tuned for the listener, and the one writer thread that commits to it.
fn start_writer(
    db: &std::path::Path,
    durability: Durability,
) -> anyhow::Result<(Writer, std::thread::JoinHandle<()>)> {
    let store = Store::open(db, OpenMode::Create)?;
    store.set_durability(durability)?;
    store.tune_for_writing()?;
    spawn_writer(store).context("cannot start the database writer thread")
}

/// Listening beyond loopback exposes captures: a warning on stderr, and in the UI, which
/// covers stderr, a notice in its own words.
fn warn_off_loopback(host: std::net::IpAddr, settings: &Settings, tx: &ReportTx) {
    if host.is_loopback() {
        return;
    }
    let warning = format!(
        "listening on {host}, not loopback. Dataspike captures hold personal data (names, birth dates, documents), and anyone who can reach this port can send requests and read what your app answers"
    );
    eprintln!("warning: {warning}: {}", (settings.words)(Hint::Loopback));
    if settings.output == Output::Tui {
        let _ = tx.send(Report::Notice {
            text: crate::tui::hint::with(warning, Some(Hint::Loopback)),
            error: true,
        });
    }
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
    /// What the copy keys redact; `None`: they copy as captured.
    pub(crate) redact: Option<crate::redact::Rules>,
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
    let tasks = {
        let _in_runtime = rt.enter();
        consumer::ui_tasks(commands_rx, effects, b.target.clone(), &reports_tx)
    };
    tui::run(TuiContext {
        db_path: db,
        listen_url: None,
        forward_target: b.target.map(|t| t.to_string()),
        forward_events: None,
        routes: Vec::new(),
        secrets_loaded: b.secrets.len(),
        dev_secret: b.dev_secret,
        resign_with: b.secrets.clone(),
        registered: None,
        redact: b.redact,
        chosen: None,
        reports: reports_rx,
        commands: commands_tx,
    })?;
    tasks.iter().for_each(tokio::task::JoinHandle::abort);
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

/// Ends a background task (the relay feed: what it committed is committed, the rest comes
/// again next time; retention: the next purge is at the next start) and waits until it has
/// dropped what it held.
async fn stop_task(task: Option<tokio::task::JoinHandle<()>>) {
    if let Some(task) = task {
        task.abort();
        let _ = task.await;
    }
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
