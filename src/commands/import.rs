//! `import`: fixtures and HAR files into the store as captures marked imported, all files in
//! one transaction. Verdicts come from the intake's own verification step ([`intake::verify`]);
//! the commit is one transaction for every file rather than the intake's one per delivery.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::capture::{now_ms, Capture, CaptureId};
use crate::cli::ImportArgs;
use crate::config::{db_path, secrets, usage};
use crate::fixture::{har, Fixture};
use crate::intake;
use crate::output::count;
use crate::store::{OpenMode, Store};

pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let secrets = secrets(&args.secrets.secrets, args.secrets.allow_short_secret)?;
    let imported_at_ms = now_ms();
    let mut loaded: Vec<(&PathBuf, Vec<Capture>)> = Vec::with_capacity(args.files.len());
    let mut problems = Vec::new();
    for file in &args.files {
        match load(file, imported_at_ms) {
            Ok(captures) => loaded.push((file, captures)),
            Err(message) => problems.push(format!("'{}': {message}", file.display())),
        }
    }
    // Every file is checked before the store is opened: one bad file stores nothing.
    if !problems.is_empty() {
        return Err(usage(format!(
            "nothing was imported: {} of {} cannot be imported; fix or leave them out:\n  {}",
            problems.len(),
            count(args.files.len() as u64, "file"),
            problems.join("\n  ")
        )));
    }
    if !secrets.is_empty() {
        // As of the time received, so a verdict says what 'listen' would have said then.
        for (_, captures) in &mut loaded {
            for c in captures.iter_mut() {
                let at_s = c.received_at_ms.div_euclid(1000);
                intake::verify(c, &secrets, args.tolerance.tolerance, at_s);
            }
        }
    }
    let mut store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Create)?;
    let all: Vec<&Capture> = loaded.iter().flat_map(|(_, cs)| cs.iter()).collect();
    let fates = fates(&all, &store.identical_ids(&all)?);
    let new: Vec<&Capture> = all
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| **fate == Fate::New)
        .map(|(c, _)| *c)
        .collect();
    let mut ids = store.insert_captures(&new)?.into_iter();
    let mut fates = fates.into_iter();
    let mut out = std::io::stdout().lock();
    for (file, captures) in &loaded {
        for (entry, c) in captures.iter().enumerate() {
            let from = if captures.len() > 1 {
                format!("'{}' entry {entry}", file.display())
            } else {
                format!("'{}'", file.display())
            };
            let what = format!("{} {}", c.method, c.path_and_query());
            match fates.next() {
                Some(Fate::New) => {
                    let Some(id) = ids.next() else { break };
                    let status = c.verdict.status().as_str();
                    writeln!(out, "#{id} {status} {what} from {from}")?;
                }
                Some(Fate::Stored(id)) => writeln!(
                    out,
                    "skipped {what} from {from}: already in the store as #{id}"
                )?,
                Some(Fate::Repeated) => writeln!(
                    out,
                    "skipped {what} from {from}: the same as an earlier one in this import"
                )?,
                None => break,
            }
        }
    }
    let skipped = all.len() - new.len();
    let skipped = if skipped > 0 {
        format!(", skipped {skipped} already in the store")
    } else {
        String::new()
    };
    eprintln!(
        "imported {} into '{}'{skipped}",
        count(new.len() as u64, "capture"),
        store.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

/// What becomes of one capture of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    New,
    /// Identical to this stored capture (same arrival time, request and body).
    Stored(CaptureId),
    /// Identical to an earlier capture of the same import.
    Repeated,
}

/// Each capture's fate, given the stored capture identical to it (if any).
fn fates(all: &[&Capture], stored: &[Option<CaptureId>]) -> Vec<Fate> {
    let mut seen = HashSet::with_capacity(all.len());
    all.iter()
        .zip(stored)
        .map(|(c, stored)| match stored {
            Some(id) => Fate::Stored(*id),
            None => {
                let key = (
                    c.received_at_ms,
                    c.method.as_str(),
                    c.path.as_str(),
                    c.query.as_deref(),
                    &c.headers,
                    c.body.as_slice(),
                );
                if seen.insert(key) {
                    Fate::New
                } else {
                    Fate::Repeated
                }
            }
        })
        .collect()
}

/// What a file holds, told by its top-level fields.
#[derive(serde::Deserialize)]
struct Probe {
    hookscope_fixture: Option<serde::de::IgnoredAny>,
    log: Option<serde::de::IgnoredAny>,
}

/// The captures in one file, or what is wrong with it.
fn load(path: &Path, imported_at_ms: i64) -> Result<Vec<Capture>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let is_har = matches!(
        serde_json::from_slice::<Probe>(&bytes),
        Ok(Probe {
            hookscope_fixture: None,
            log: Some(_)
        })
    );
    if is_har {
        let captures = har::parse(&bytes).map_err(|e| format!("HAR file: {e}"))?;
        if captures.is_empty() {
            return Err("HAR file has no entries ('log.entries' is empty)".into());
        }
        Ok(captures)
    } else {
        // Anything else is read as a fixture, whose errors say what a fixture needs.
        let fixture = Fixture::parse(&bytes).map_err(|e| e.to_string())?;
        Ok(vec![fixture.to_capture(imported_at_ms)])
    }
}
