//! `listen`: bind, open the store, serve, print or show what arrives, shut down cleanly.

use anyhow::Context;
use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use super::tui::{probe_target, run_effects, Effects};
use crate::capture::{CaptureId, CaptureSummary};
use crate::cli::ListenArgs;
use crate::config::{db_path, secrets, usage};
use crate::forward::parse_target;
use crate::forward::Forwarder;
use crate::listener::{self, ForwardConfig, ListenConfig};
use crate::output;
use crate::report::{self, Report, ReportRx, ReportTx};
use crate::store::Writer;
use crate::store::{spawn_writer, OpenMode, Store};
use crate::tui::{self, TuiContext};
use std::path::PathBuf;

pub fn run(args: ListenArgs) -> anyhow::Result<ExitCode> {
    let secrets = secrets(&args.secrets.secrets)?;
    let forward = match &args.forward_to {
        Some(url) => Some(ForwardConfig {
            target: parse_target(url).map_err(|e| usage(format!("--forward-to: {e}")))?,
            respond: args.respond,
            timeout: Duration::from_secs(args.forward_timeout),
        }),
        None => None,
    };
    let host: IpAddr = args.host.parse().map_err(|_| {
        usage(format!(
            "--host '{}' is not an IP address; use 127.0.0.1 (default), ::1 or 0.0.0.0",
            args.host
        ))
    })?;
    let db = db_path(args.db.db.as_deref())?;
    let cfg = ListenConfig {
        max_body: args.max_body,
        read_timeout: Duration::from_secs(args.read_timeout),
        secrets,
        tolerance_s: args.tolerance.tolerance,
        forward,
    };
    let json = args.json;
    let draws_tui = args.draws_tui();
    let rt = super::runtime()?;
    rt.block_on(async move {
        let addr = SocketAddr::new(host, args.port);
        let socket = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                usage(format!(
                    "port {} on {host} is already in use: stop the program using it, or pass --port with another port (--port 0 picks a free one)",
                    args.port
                ))
            } else {
                usage(format!("cannot listen on {addr}: {e}"))
            }
        })?;
        let local = socket.local_addr().context("cannot read the bound address")?;
        let url = format!("http://{}", url_host(local));
        let store = Store::open(&db, OpenMode::Create)?;
        store.set_durability(args.durability)?;
        store.tune_for_writing()?;
        let (writer, writer_thread) =
            spawn_writer(store).context("cannot start the database writer thread")?;
        let (tx, rx) = report::channel();

        if !host.is_loopback() {
            let warning = format!(
                "listening on {host}, not loopback. Dataspike captures hold personal data (names, birth dates, documents), and anyone who can reach this port can send requests and read what your app answers. Use --host 127.0.0.1 unless you need this."
            );
            eprintln!("warning: {warning}");
            if draws_tui {
                // The UI covers stderr, so it shows the warning itself.
                let _ = tx.send(Report::Notice {
                    text: warning,
                    error: true,
                });
            }
        }
        if draws_tui {
            run_with_tui(socket, cfg, writer, writer_thread, (tx, rx), url, db.clone()).await?;
            return Ok(ExitCode::SUCCESS);
        }
        let intro = intro(&url, &db, &cfg);
        let forwarding = cfg.forward.is_some();
        let printer = std::thread::Builder::new()
            .name("hookscope-output".into())
            .spawn(move || print_reports(rx, json, forwarding))
            .context("cannot start the output thread")?;
        if json {
            eprintln!("{intro}");
        } else {
            println!("{intro}");
        }
        let _ = tx.send(Report::Listening { url });

        listener::serve(socket, cfg, writer, tx, shutdown_signal()).await;

        // serve() has dropped every writer handle and report sender by now.
        tokio::task::spawn_blocking(move || {
            let _ = writer_thread.join();
            let _ = printer.join();
        })
        .await
        .context("shutdown")?;
        if !json {
            eprintln!("stopped; every acknowledged capture is committed to '{}'", db.display());
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Serves with the terminal UI as the consumer of reports. Quitting the UI stops the listener.
async fn run_with_tui(
    socket: tokio::net::TcpListener,
    cfg: ListenConfig,
    writer: Writer,
    writer_thread: std::thread::JoinHandle<()>,
    (tx, rx): (ReportTx, ReportRx),
    url: String,
    db: PathBuf,
) -> anyhow::Result<()> {
    let target = cfg.forward.as_ref().map(|f| f.target.clone());
    let timeout = cfg
        .forward
        .as_ref()
        .map(|f| f.timeout)
        .unwrap_or(crate::forward::FORWARD_TIMEOUT);
    let (commands_tx, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = tokio::spawn(run_effects(
        commands_rx,
        Effects {
            db: db.clone(),
            writer: Some(writer.clone()),
            target: target.clone(),
            secret: cfg.secrets.first().cloned(),
            forwarder: Forwarder::new(timeout),
            reports: tx.clone(),
        },
    ));
    let probe = target
        .clone()
        .map(|t| tokio::spawn(probe_target(t, tx.clone())));
    let _ = tx.send(Report::Listening { url: url.clone() });
    let ctx = TuiContext {
        db_path: db.clone(),
        listen_url: Some(url),
        forward_target: target.map(|t| t.to_string()),
        secrets_loaded: cfg.secrets.len(),
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
    // Drop the last writer handles and report senders so the writer thread can finish.
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

fn url_host(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
    }
}

fn intro(url: &str, db: &std::path::Path, cfg: &ListenConfig) -> String {
    let mut s = format!(
        "hookscope listening on {url}\n  database: {}\n",
        db.display()
    );
    s.push_str(&match cfg.secrets.len() {
        0 => "  secrets:  none (signatures are not checked; pass --secret whsec_...)\n".to_string(),
        n => format!("  secrets:  {n} loaded\n"),
    });
    if let Some(f) = &cfg.forward {
        s.push_str(&format!(
            "  forward:  {} (sender gets {})\n",
            f.target,
            match f.respond {
                listener::Respond::App => "the app's answer",
                listener::Respond::Ack => "200 at once",
            }
        ));
    }
    s.push_str("  Ctrl-C stops");
    s
}

async fn shutdown_signal() {
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

fn print_reports(mut rx: ReportRx, json: bool, forwarding: bool) {
    let mut headless = Headless::new(json, forwarding);
    let mut out = std::io::BufWriter::new(std::io::stdout());
    while let Some(first) = rx.blocking_recv() {
        // Drain whatever else is waiting and write it with one flush: a burst is one syscall.
        let mut next = Some(first);
        while let Some(report) = next {
            for line in headless.on_report(report, &output::local_time) {
                if writeln!(out, "{line}").is_err() {
                    return;
                }
            }
            next = rx.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
    }
}

/// Turns reports into output lines. When forwarding, a capture's line waits for its forward
/// so it can carry the app's answer.
pub struct Headless {
    json: bool,
    forwarding: bool,
    pending: HashMap<CaptureId, CaptureSummary>,
}

impl Headless {
    pub fn new(json: bool, forwarding: bool) -> Headless {
        Headless {
            json,
            forwarding,
            pending: HashMap::new(),
        }
    }

    pub fn on_report(&mut self, report: Report, time: &dyn Fn(i64) -> String) -> Vec<String> {
        let summary = match report {
            Report::Listening { url } if self.json => {
                return vec![serde_json::json!({"event": "listening", "url": url}).to_string()]
            }
            Report::Captured(s) if self.forwarding && s.rejected.is_none() => {
                self.pending.insert(s.id, s);
                return vec![];
            }
            Report::Captured(s) => s,
            Report::Attempted {
                capture_id,
                attempt,
                replay: false,
            } => match self.pending.remove(&capture_id) {
                Some(mut s) => {
                    s.latest_attempt = Some(attempt);
                    s
                }
                None => return vec![],
            },
            Report::Notice { text, error } if !self.json => {
                return vec![if error {
                    format!("error: {text}")
                } else {
                    text
                }]
            }
            _ => return vec![],
        };
        if self.json {
            vec![summary.to_json().to_string()]
        } else {
            vec![output::capture_line(
                &summary,
                &time(summary.received_at_ms),
            )]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::AttemptBrief;
    use crate::signature::Verdict;

    fn summary(id: i64) -> CaptureSummary {
        CaptureSummary {
            id,
            received_at_ms: 0,
            method: "POST".into(),
            path: "/h".into(),
            query: None,
            event_type: None,
            event_id: None,
            body_size: 2,
            truncated: false,
            rejected: None,
            source: Default::default(),
            verdict: Verdict::Unverified {
                scheme: Default::default(),
            },
            latest_attempt: None,
        }
    }

    #[test]
    fn forwarding_lines_wait_for_the_attempt() {
        let mut h = Headless::new(false, true);
        let t = |_| "T".to_string();
        assert!(h.on_report(Report::Captured(summary(1)), &t).is_empty());
        let lines = h.on_report(
            Report::Attempted {
                capture_id: 1,
                attempt: AttemptBrief {
                    status: Some(201),
                    latency_ms: Some(4),
                    error: None,
                },
                replay: false,
            },
            &t,
        );
        assert_eq!(lines.len(), 1);
        assert!(lines[0].ends_with("-> 201 (4 ms)"), "{}", lines[0]);
    }

    #[test]
    fn json_mode_prints_listening_then_objects() {
        let mut h = Headless::new(true, false);
        let t = |_| String::new();
        let first = h.on_report(
            Report::Listening {
                url: "http://127.0.0.1:1".into(),
            },
            &t,
        );
        assert_eq!(
            first,
            vec![r#"{"event":"listening","url":"http://127.0.0.1:1"}"#.to_string()]
        );
        let obj: serde_json::Value =
            serde_json::from_str(&h.on_report(Report::Captured(summary(3)), &t)[0]).unwrap();
        assert_eq!(obj["id"], 3);
        assert_eq!(obj["verdict"]["status"], "unverified");
    }
}
