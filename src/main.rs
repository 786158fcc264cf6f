use clap::Parser;
use std::process::ExitCode;

use hookscope::cli::Cli;
use hookscope::config::{advice, UsageError};

// mimalloc instead of glibc's malloc: a delivery allocates and frees some dozens of small
// buffers across threads (tokio workers, the writer, the printer), where glibc's arenas spent
// about 15% of listen's instructions (BENCHMARKS.md, "Faster ingest").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Log lines would scribble over the terminal UI; there, problems show in the UI itself.
    let default_filter = if cli.draws_tui() { "off" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOOKSCOPE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match hookscope::commands::run(cli) {
        Ok(code) => code,
        Err(e) if stdout_closed(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}{}", advice(&e).unwrap_or_default());
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// `hookscope list | head`: the reader has all it wanted, which is not a failure (as in ripgrep).
/// Commands write stdout with `writeln!` and return the error, never `println!`, which would
/// panic; Rust ignores SIGPIPE, so the write fails with EPIPE and ends up here.
fn stdout_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
