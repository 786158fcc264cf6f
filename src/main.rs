//! The `hookscope` binary: parses the command line, sets up logging, and runs the command.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

use hookscope::cli::Cli;
use hookscope::config::{advice, exit_code};

// mimalloc instead of glibc's malloc: a delivery allocates and frees some dozens of small
// buffers across threads (tokio workers, the writer, the printer), where glibc's arenas spent
// about 15% of listen's instructions (BENCHMARKS.md, "Faster ingest").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The most the NATS client may log (see `main`).
const NATS_LOG_CAP: &str = "async_nats=info";

fn main() -> ExitCode {
    end_quietly_on_closed_pipes();
    let cli = Cli::parse();
    // Log lines would scribble over the terminal UI; there, problems show in the UI itself.
    let default_filter = if cli.draws_tui() { "off" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            match tracing_subscriber::EnvFilter::try_from_env("HOOKSCOPE_LOG") {
                // The NATS client traces its CONNECT (user, password, JWT) and the messages it
                // writes (deliveries: personal data): never below info, whatever is asked.
                Ok(asked) => {
                    asked.add_directive(NATS_LOG_CAP.parse().expect("a constant, valid directive"))
                }
                Err(_) => tracing_subscriber::EnvFilter::new(default_filter),
            },
        )
        .with_writer(std::io::stderr)
        .init();
    match hookscope::commands::run(cli) {
        Ok(code) => code,
        Err(e) if stdout_closed(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Written, not `eprintln!`: with stderr closed the message is lost, and the exit
            // status still says the command failed.
            let _ = writeln!(
                std::io::stderr(),
                "error: {e:#}{}",
                advice(&e).unwrap_or_default()
            );
            ExitCode::from(exit_code(&e))
        }
    }
}

/// `hookscope list | head`: the reader has all it wanted, which is not a failure (as in ripgrep).
/// Commands write stdout with `writeln!` and return the error; Rust ignores SIGPIPE, so the
/// write fails with EPIPE and ends up here. (A `println!` panics instead, and
/// [`end_quietly_on_closed_pipes`] ends that just as quietly.)
fn stdout_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `hookscope list 2>&1 | head -1`: a closed stderr (or stdout) ends hookscope quietly too.
/// `eprintln!` and `println!` (warnings, notes, the listen intro, the log's own complaint about
/// a failed write) panic when their stream is a pipe nobody reads, wherever they run; the
/// panic's message is all there is to know it by, so this hook knows that message (std's
/// "failed printing to stderr: Broken pipe (os error 32)"; `tests/pipes.rs` pins it) and exits
/// 0 as a closed stdout does, before anything is printed. Any other panic goes on to the
/// default hook (the TUI's hook, set later, restores the terminal first and then calls this).
fn end_quietly_on_closed_pipes() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if is_closed_pipe_print(info.payload()) {
            std::process::exit(0);
        }
        previous(info);
    }));
}

fn is_closed_pipe_print(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    text.is_some_and(|t| {
        let rest = t
            .strip_prefix("failed printing to stderr: ")
            .or_else(|| t.strip_prefix("failed printing to stdout: "));
        // EPIPE's words on Unix; ERROR_NO_DATA's on Windows.
        rest.is_some_and(|r| r.contains("Broken pipe") || r.contains("pipe is being closed"))
    })
}
