//! `dataspike`: helpers for the developer's app. `snippet LANG` prints a verifier to paste.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::DataspikeCommand;
use crate::dataspike::snippet::Lang;

pub fn run(cmd: DataspikeCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DataspikeCommand::Snippet(args) => {
            let lang: Lang = args.lang.into();
            std::io::stdout().write_all(lang.source().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
