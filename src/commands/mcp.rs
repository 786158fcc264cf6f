//! `mcp`: opens the store, loads the secrets and runs the Model Context Protocol server on
//! stdin and stdout, one JSON-RPC message per line ([`crate::mcp`] answers each). Stdout
//! carries only protocol messages; anything else goes to stderr. Ends when stdin closes.

use anyhow::Context;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use crate::cli::McpArgs;
use crate::config::{db_path, dev_secret_label, redact_rules, secrets_or_dev};
use crate::mcp::{self, Toolbox};
use crate::redact::{Redactor, Salt};
use crate::store::{OpenMode, Store, StoreWorker};

pub fn run(args: McpArgs) -> anyhow::Result<ExitCode> {
    // Read first: a mistake in [redact] fails before the server starts. One salt per run.
    let redactor = match args.redact {
        true => Some(Redactor::new(
            redact_rules(args.config.path.as_deref())?,
            Salt::random(),
        )),
        false => None,
    };
    let secrets = secrets_or_dev(&args.secrets.secrets, args.secrets.allow_short_secret)?;
    // Created when missing, like `listen`: an agent may start the server before any capture.
    let path = db_path(args.db.db.as_deref())?;
    let store = Store::open(&path, OpenMode::Create)?;
    let worker = StoreWorker::spawn(Store::open(&path, OpenMode::Existing)?)
        .context("cannot start the database thread")?;
    if let Some(dev) = &secrets.dev_secret {
        eprintln!("hookscope mcp: signing with {}", dev_secret_label(dev));
    }
    eprintln!(
        "hookscope mcp: serving '{}' on stdio (one JSON-RPC message per line)",
        store.path().display()
    );
    if redactor.is_some() {
        eprintln!("hookscope mcp: --redact: captures and attempts are returned with personal data replaced by fakes");
    }
    let mut tools = Toolbox {
        store,
        worker,
        runtime: super::runtime()?,
        forwarder: super::forwarder(&args.app)?,
        dev_secret: secrets.dev_secret.is_some(),
        secrets: secrets.list,
        redactor,
    };
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("cannot read stdin")?
            == 0
        {
            return Ok(ExitCode::SUCCESS);
        }
        let answer = match std::str::from_utf8(&line) {
            Ok(text) => mcp::handle(text, &mut tools),
            Err(_) => Some(mcp::not_utf8()),
        };
        if let Some(answer) = answer {
            // The client went away: nothing left to answer.
            if writeln!(out, "{answer}")
                .and_then(|()| out.flush())
                .is_err()
            {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
}
