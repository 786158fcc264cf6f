//! One function per subcommand. Each returns the process exit code.

mod export;
mod import;
mod listen;
mod purge;
mod read;
mod replay;
mod send;
mod tui;
mod verify;

/// For the TUI's export key: a fixture under a name no file has yet.
pub use export::write_fresh_fixture;

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
        Command::Purge(args) => purge::run(args),
    }
}

/// A capture id that is not in the store. Not a usage error: exit code 1, as for any other
/// thing the command could not do (README, "Exit status").
pub(crate) fn capture_missing(
    id: crate::capture::CaptureId,
    store: &crate::store::Store,
) -> anyhow::Error {
    anyhow::anyhow!(
        "capture {id} is not in '{}': 'hookscope list' shows the ids",
        store.path().display()
    )
}

/// A multi-threaded runtime for the network parts.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
