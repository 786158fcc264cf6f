//! One function per subcommand. Each returns the process exit code.

mod channel;
mod check;
mod completions;
mod config;
mod dataspike;
mod diff;
mod export;
pub(crate) mod hint;
mod import;
mod listen;
mod man;
mod mcp;
mod purge;
mod read;
mod relay;
mod replay;
mod retries;
mod send;
mod stats;
mod tui;
mod verify;
mod wait;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the parsed command; the exit code says how it went (usage errors are returned as `config::UsageError`).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Listen(args) => listen::run(args),
        Command::List(args) => read::list(args),
        Command::Show(args) => read::show(args),
        Command::Wait(args) => wait::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Export(args) => export::run(args),
        Command::Send(args) => send::run(args),
        Command::Import(args) => import::run(args),
        Command::Tui(args) => tui::run(args),
        Command::Relay(args) => relay::run(args),
        Command::Channel(cmd) => channel::run(cmd),
        Command::Check(args) => check::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Retries(args) => retries::run(args),
        Command::Purge(args) => purge::run(args),
        Command::Config(args) => config::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Mcp(args) => mcp::run(args),
        Command::Dataspike(cmd) => dataspike::run(cmd),
    }
}

/// The client for the app: `--timeout`, and `--ca-cert` for https targets.
pub(crate) fn forwarder(
    app: &crate::cli::AppTimeoutArgs,
) -> anyhow::Result<crate::forward::Forwarder> {
    crate::config::forwarder(app.duration(), app.ca_cert.as_deref(), app.proxy.as_deref())
}

/// A capture id that is not in the store. Not a usage error: exit code 1, as for any other
/// thing the command could not do (README, "Exit status").
pub(crate) fn capture_missing(
    id: crate::capture::CaptureId,
    db: &std::path::Path,
) -> anyhow::Error {
    anyhow::anyhow!(
        "capture {id} is not in '{}': 'hookscope list' shows the ids",
        db.display()
    )
}

/// Why `list` or `export` found nothing, naming each filter as given:
/// "47 captures in 'h.db', none match --verdict FAIL and --event docver". `None` when the store
/// is empty, which the caller says in its own words.
pub(crate) fn none_match(
    store: &crate::store::Store,
    verdict: Option<&crate::cli::VerdictWord>,
    event: Option<&str>,
    query: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let total = store.count(&crate::store::ListQuery::default())?;
    if total == 0 {
        return Ok(None);
    }
    let mut filters = Vec::new();
    if let Some(v) = verdict {
        filters.push(format!("--verdict {}", v.word));
    }
    if let Some(e) = event {
        filters.push(format!("--event {e}"));
    }
    if let Some(q) = query {
        filters.push(format!("--query '{q}'"));
    }
    let stored = format!(
        "{} in '{}'",
        crate::text::count(total, "capture"),
        store.path().display()
    );
    Ok(Some(if filters.is_empty() {
        format!("{stored}, none selected")
    } else {
        format!("{stored}, none match {}", filters.join(" and "))
    }))
}

/// Binds `--host`/`--port`; the error names the port and what to do.
pub(crate) async fn bind(
    host: std::net::IpAddr,
    port: u16,
) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = std::net::SocketAddr::new(host, port);
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            crate::config::usage(format!(
                "port {port} on {host} is already in use: stop the program using it, or pass --port with another port (--port 0 picks a free one)"
            ))
        } else {
            crate::config::usage(format!("cannot listen on {addr}: {e}"))
        }
    })
}

/// A multi-threaded runtime for the network parts.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Before `query` runs: a word query first indexes the captures a burst left unindexed
/// (`store::text_index`, inside `Store::list`); when that is many, say so instead of sitting
/// silent.
pub(crate) fn index_for_search(
    store: &crate::store::Store,
    query: &crate::query::Query,
) -> anyhow::Result<()> {
    let plan = crate::store::search::plan(&crate::store::ListQuery {
        query: query.clone(),
        ..Default::default()
    });
    if !plan.fts {
        return Ok(());
    }
    let pending = store.unindexed()?;
    if pending >= 20_000 {
        eprintln!(
            "indexing {} for search first (the newest ones, committed during a burst)",
            crate::text::count(pending as u64, "capture")
        );
    }
    // The query indexes them itself (and, on a store it cannot write, says what it leaves out).
    Ok(())
}

/// The store filter of `--query` with `--verdict` and `--event` added as terms, so the flags
/// and the query language mean the same (`--event docver` is any case, like `event:docver`).
pub(crate) fn filter_query(
    query: Option<&str>,
    verdict: Option<&crate::cli::VerdictWord>,
    event: Option<&str>,
) -> anyhow::Result<crate::query::Query> {
    use crate::query::TermKind;
    let mut q = match query {
        Some(text) => crate::query::parse(text, crate::capture::now_ms())
            .map_err(|e| crate::config::usage(format!("--query: {}", e.render(text))))?,
        None => crate::query::Query::default(),
    };
    if let Some(v) = verdict {
        q = q.and(TermKind::Verdict(v.statuses.clone()));
    }
    if let Some(e) = event {
        q = q.and(TermKind::Event(crate::config::event_type(e)));
    }
    Ok(q)
}
