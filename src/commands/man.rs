//! `man [COMMAND]`: the man page in roff on stdout, to be saved in a `man1` folder or read
//! with `man -l -`.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::ManArgs;
use crate::config::usage;

pub fn run(args: ManArgs) -> anyhow::Result<ExitCode> {
    let page = crate::cli::man_page(args.command.as_deref()).map_err(usage)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
