//! `tui`: turn the flags into settings and browse a stored database in the terminal UI.

use std::process::ExitCode;

use crate::cli::TuiArgs;
use crate::config::{self, db_path, secrets_or_dev};
use crate::session::{self, Browse};
use crate::store::{OpenMode, Store};

pub fn run(args: TuiArgs) -> anyhow::Result<ExitCode> {
    let db = db_path(args.db.db.as_deref())?;
    // Fail before touching the terminal, and never create a database here.
    let store = Store::open(&db, OpenMode::Existing)?;
    let secrets = secrets_or_dev(&args.secrets.secrets, args.secrets.allow_short_secret)?;
    let target = match &args.to {
        Some(u) => Some(config::target("--to", u)?),
        None => None,
    };
    let redact = config::copy_redaction(args.config.path.as_deref(), args.redact)?;
    let rt = super::runtime()?;
    let forwarder = super::forwarder(&args.app)?;
    session::browse(
        rt,
        Browse {
            store,
            secrets: secrets.list,
            dev_secret: secrets.dev_secret.is_some(),
            target,
            forwarder,
            redact,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
