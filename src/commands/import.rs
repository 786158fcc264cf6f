//! `import`: flags → files and secrets → `ops::import` → one line per capture (new, or skipped
//! and why) and a closing count.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::ImportArgs;
use crate::config::{db_path, secrets_or_dev, usage};
use crate::ops::import::{self, Fate, Unreadable};
use crate::store::{OpenMode, Store};
use crate::text::count;

pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    // The same secrets `listen` uses, the local development secret when none is given, so an
    // imported capture reads as it would have live.
    let secrets = secrets_or_dev(&args.secrets.secrets, args.secrets.allow_short_secret)?.list;
    let loaded = import::load(&args.files, &secrets, args.tolerance.tolerance).map_err(
        |Unreadable(problems)| {
            let lines: Vec<String> = problems
                .iter()
                .map(|(file, why)| format!("'{}': {why}", file.display()))
                .collect();
            usage(format!(
                "nothing was imported: {} of {} cannot be imported; fix or leave them out:\n  {}",
                problems.len(),
                count(args.files.len() as u64, "file"),
                lines.join("\n  ")
            ))
        },
    )?;
    let mut store = Store::open(&db_path(args.db.db.as_deref())?, OpenMode::Create)?;
    let fates = import::store(&mut store, &loaded)?;
    let mut fates = fates.into_iter();
    let (mut new, mut skipped) = (0u64, 0u64);
    let mut out = std::io::stdout().lock();
    for (file, captures) in &loaded.files {
        for (entry, c) in captures.iter().enumerate() {
            let from = match captures.len() {
                1 => format!("'{}'", file.display()),
                _ => format!("'{}' entry {entry}", file.display()),
            };
            let what = format!("{} {}", c.method, c.path_and_query());
            match fates.next() {
                Some(Fate::New(id)) => {
                    new += 1;
                    let status = c.verdict.status().as_str();
                    writeln!(out, "#{id} {status} {what} from {from}")?;
                }
                Some(Fate::Stored(id)) => {
                    skipped += 1;
                    writeln!(
                        out,
                        "skipped {what} from {from}: already in the store as #{id}"
                    )?;
                }
                Some(Fate::Repeated) => {
                    skipped += 1;
                    writeln!(
                        out,
                        "skipped {what} from {from}: the same as an earlier one in this import"
                    )?;
                }
                None => break,
            }
        }
    }
    let skipped = match skipped {
        0 => String::new(),
        n => format!(", skipped {n} already in the store"),
    };
    eprintln!(
        "imported {} into '{}'{skipped}",
        count(new, "capture"),
        store.path().display()
    );
    Ok(ExitCode::SUCCESS)
}
