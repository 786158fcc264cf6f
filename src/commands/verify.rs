//! `verify`: the listener's verifier, offline.

use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

use crate::cli::VerifyArgs;
use crate::config::{body_file, db_path, secret_needed, secrets, usage};
use crate::output::verdict_text;
use crate::signature::dataspike::verify;
use crate::signature::{verify_capture, Verdict};
use crate::store::{OpenMode, Store};

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let secrets = secrets(&args.secrets.secrets, args.secrets.allow_short_secret)?;
    if secrets.is_empty() {
        return Err(secret_needed("verify needs a secret"));
    }
    let now = args.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let tol = args.tolerance.tolerance;
    let (verdict, diag, now) = match (args.id, &args.header, &args.body_file) {
        (Some(id), _, _) => {
            let store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Existing)?;
            let c = store
                .get(id)?
                .ok_or_else(|| super::capture_missing(id, store.path()))?;
            // Judge the timestamp as of arrival, as `listen` would have: a capture does not
            // go stale in the store.
            let at = args
                .now
                .unwrap_or(c.capture.received_at_ms.div_euclid(1000));
            let (v, d) = verify_capture(&c.capture.headers, &c.capture.body, &secrets, at, tol);
            (v, d, at)
        }
        (None, Some(header), Some(file)) => {
            let body = body_file("--body-file", file)?;
            let (v, d) = verify(&[header.as_bytes()], &body, &secrets, now, tol);
            (v, d, now)
        }
        _ => {
            return Err(usage(
                "give a capture id, or --header 'VALUE' with --body-file FILE",
            ))
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(
            out,
            "{}",
            json!({"verdict": verdict.to_json(), "diagnostics": diag, "now": now})
        )?;
    } else {
        write!(
            out,
            "{}",
            verdict_text(&verdict, diag.as_ref(), Some((now, "check")), false)
        )?;
    }
    out.flush()?;
    Ok(if matches!(verdict, Verdict::Valid { .. }) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
