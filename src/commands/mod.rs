//! One function per subcommand. Each returns the process exit code.

mod check;
mod export;
mod import;
mod listen;
mod read;
mod replay;
mod send;
mod tui;
mod verify;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Listen(args) => listen::run(args),
        Command::List(args) => read::list(args),
        Command::Show(args) => read::show(args),
        Command::Verify(args) => verify::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Export(args) => export::run(args),
        Command::Send(args) => send::run(args),
        Command::Import(args) => import::run(args),
        Command::Tui(args) => tui::run(args),
        Command::Check(args) => check::run(args),
    }
}

/// The client for the app: `--timeout`, and `--ca-cert` for https targets.
pub(crate) fn forwarder(
    app: &crate::cli::AppTimeoutArgs,
) -> anyhow::Result<crate::forward::Forwarder> {
    // The one place the flag is named: TlsError says what is wrong with the file.
    let tls = crate::tls::client_config(app.ca_cert.as_deref())
        .map_err(|e| crate::config::usage(format!("--ca-cert: {e}")))?;
    Ok(crate::forward::Forwarder::with_tls(app.duration(), tls))
}

/// A multi-threaded runtime for the network parts.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The store filter of `--query` with `--verdict` and `--event` added as terms, so the flags
/// and the query language mean the same (`--event docver` is any case, like `event:docver`).
pub(crate) fn filter_query(
    query: Option<&str>,
    verdict: Option<crate::signature::Status>,
    event: Option<&str>,
) -> anyhow::Result<crate::query::Query> {
    use crate::query::TermKind;
    let mut q = match query {
        Some(text) => crate::query::parse(text, crate::capture::now_ms())
            .map_err(|e| crate::config::usage(format!("--query: {}", e.render(text))))?,
        None => crate::query::Query::default(),
    };
    if let Some(v) = verdict {
        q = q.and(TermKind::Verdict(vec![v]));
    }
    if let Some(e) = event {
        q = q.and(TermKind::Event(e.to_string()));
    }
    Ok(q)
}
