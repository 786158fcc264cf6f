//! `completions SHELL`: the shell completion script on stdout, to be saved where the shell
//! looks (README: "Install").

use std::io::Write;
use std::process::ExitCode;

use crate::cli::CompletionsArgs;

pub fn run(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    // Made whole first: the generator panics on a failed write, and a closed stdout is not a
    // failure (main ends it quietly from the error).
    let script = crate::cli::completions(args.shell);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
