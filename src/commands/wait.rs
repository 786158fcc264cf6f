//! `wait`: flags → [`ops::wait::Settings`] → `ops::wait` → the capture as `show` prints it,
//! (redacted with `--redact`), or on timeout a line on stderr and exit 3 (README, "Exit
//! status").

use std::io::Write;
use std::process::ExitCode;

use crate::cli::WaitArgs;
use crate::config::{db_path, redact_rules};
use crate::ops::wait::{self, Outcome, Settings};
use crate::redact::{Redactor, Salt};
use crate::store::{OpenMode, Store};

/// The exit code when no matching capture arrived in time: neither a failure of the tool (1)
/// nor a usage error (2), so a CI script can tell them apart.
pub(crate) const TIMED_OUT: u8 = 3;

pub fn run(args: WaitArgs) -> anyhow::Result<ExitCode> {
    // Read first: a mistake in [redact] fails before the wait starts.
    let mut redactor = match args.redact {
        true => Some(Redactor::new(
            redact_rules(args.config.path.as_deref())?,
            Salt::random(),
        )),
        false => None,
    };
    let query = super::filter_query(Some(&args.query), None, None)?;
    let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
    super::index_for_search(&store, &query)?;
    let settings = Settings {
        query,
        timeout: args.timeout,
        since: args.since,
    };
    let started = || {
        let since = match args.since {
            Some(d) => format!("received since {} ago", humantime::format_duration(d)),
            None => "stored from now on".into(),
        };
        // Written, not `eprintln!`: a closed stderr must not end the wait with 0 (main.rs).
        let _ = writeln!(
            std::io::stderr(),
            "waiting up to {} for a capture matching --query '{}' in '{}', {since}",
            humantime::format_duration(args.timeout),
            args.query,
            store.path().display(),
        );
    };
    match wait::wait(&store, &settings, started)? {
        Outcome::Found(capture) => {
            super::read::print_capture(&store, *capture, args.json, redactor.as_mut())?;
            Ok(ExitCode::SUCCESS)
        }
        Outcome::TimedOut => {
            let _ = writeln!(
                std::io::stderr(),
                "no capture matching --query '{}' was stored in '{}' within {}",
                args.query,
                store.path().display(),
                humantime::format_duration(args.timeout)
            );
            Ok(ExitCode::from(TIMED_OUT))
        }
    }
}
