//! One function per subcommand. Each returns the process exit code.

mod check;
mod export;
mod import;
mod listen;
mod read;
mod relay;
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
        Command::Relay(args) => relay::run(args),
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
