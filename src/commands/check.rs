//! `check`: flags → [`ops::check::Settings`] → `ops::check` → each graded line as it comes,
//! the summary, and the JUnit file.

use anyhow::Context;
use http::Uri;
use std::path::Path;
use std::process::ExitCode;

use crate::capture::now_ms;
use crate::check::report::{self, Totals};
use crate::check::{ProbeResult, Scheme};
use crate::cli::CheckArgs;
use crate::config::{
    self, body_file, db_path, dev_secret_label, secret_needed, secrets_or_dev_as, target, usage,
};
use crate::forward::{Attempts, Recorder};
use crate::ops::check::{self, BodySource, Recording, Settings};
use crate::sample;
use crate::store::{OpenMode, Store, StoreWorker};
use crate::text::count;

/// The sample event probes carry unless `--event` or `--body-file` says otherwise.
const DEFAULT_EVENT: &str = "AML_SCREENING";

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(&args)?;
    let forwarder = super::forwarder(&args.app)?;
    // Opened before anything is sent, so a bad --db fails before the endpoint sees a probe.
    let store = match args.no_store {
        true => None,
        false => Some(Store::open(
            &db_path(args.db.db.as_deref())?,
            OpenMode::Create,
        )?),
    };
    let db = store.as_ref().map(|s| s.path().to_path_buf());
    let rt = super::runtime()?;
    let recording = store
        .map(|store| {
            let store = StoreWorker::spawn(store).context("cannot start the database thread")?;
            anyhow::Ok(Recording {
                recorder: Recorder {
                    forwarder: forwarder.clone(),
                    attempts: Attempts::Worker(store.clone()),
                    reports: None,
                },
                store,
            })
        })
        .transpose()?;

    // A closed stdout (`check | head`) does not stop the run: the probes still go out, the
    // JUnit file is written and the store records them; the write error is returned last.
    let mut out = Output::default();
    if !args.json {
        out.line(format!(
            "hookscope check: {} ({}, deadline {} ms)",
            settings.target,
            settings.body.describe(),
            settings.deadline.as_millis()
        ));
    }
    let checked = rt.block_on(check::run(&settings, &forwarder, recording.as_ref(), |r| {
        out.line(if args.json {
            report::json_object(r).to_string()
        } else {
            report::text_line(r, settings.deadline, super::hint::words)
        })
    }))?;
    let totals = Totals::of(&checked.results);
    out.line(if args.json {
        report::json_summary(totals, &settings.target.to_string()).to_string()
    } else {
        report::text_summary(totals)
    });
    if let Some(path) = &args.junit {
        write_junit(path, &checked.results, &settings.target)?;
    }
    if let Some(db) = db {
        eprintln!(
            "stored {} with the answers in '{}' ('hookscope tui' shows them)",
            count(checked.stored.len() as u64, "probe"),
            db.display()
        );
    }
    if let Some(e) = out.failed {
        return Err(e.into());
    }
    Ok(if totals.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Stdout that remembers its first failed write instead of panicking like `println!`.
#[derive(Default)]
struct Output {
    failed: Option<std::io::Error>,
}

impl Output {
    fn line(&mut self, text: String) {
        use std::io::Write;
        if self.failed.is_none() {
            if let Err(e) = writeln!(std::io::stdout(), "{text}") {
                self.failed = Some(e);
            }
        }
    }
}

/// The flags as settings, checked once; nothing below knows a flag's name.
fn settings(args: &CheckArgs) -> anyhow::Result<Settings> {
    let target = target("--to", &args.to)?;
    let scheme = config::scheme("--scheme", &args.scheme)?;
    // A bare secret is the checked scheme's.
    let secrets = secrets_or_dev_as(
        &args.secrets.secrets,
        args.secrets.allow_short_secret,
        scheme,
    )?;
    // Stored Dataspike secrets sign only Dataspike probes.
    let mut secrets = secrets;
    secrets.list.retain(|s| {
        !matches!(s.origin(), crate::signature::Origin::Stored(_)) || s.scheme() == scheme
    });
    let secrets = match (secrets.dev_secret, scheme) {
        // The local development secret is Dataspike's; other schemes need theirs.
        (Some(_), s) if s != Scheme::Dataspike => Vec::new(),
        (Some(path), _) => {
            eprintln!("probes signed with {}", dev_secret_label(&path));
            secrets.list
        }
        (None, _) => {
            if let Some(first) = secrets.list.first() {
                if let crate::signature::Origin::Stored(o) = first.origin() {
                    eprintln!(
                        "probes signed with the {} (stored by 'hookscope dataspike')",
                        o.label(crate::capture::now_ms())
                    );
                }
            }
            secrets.list
        }
    };
    if secrets.is_empty() {
        return Err(secret_needed(
            "check needs the secret your endpoint verifies with (two while rotating: the new one first)",
        ));
    }
    // The probes sign in --scheme.
    if let Some(i) = secrets.iter().position(|s| s.scheme() != scheme) {
        return Err(usage(format!(
            "--secret #{i} is a {} secret, but --scheme is {scheme}: write --secret {scheme}=...",
            secrets[i].scheme()
        )));
    }
    let body = match (&args.body_file, &args.event) {
        (Some(file), _) => BodySource::File {
            path: file.clone(),
            bytes: body_file("--body-file", file)?,
        },
        (None, event) => {
            let event = event.clone().unwrap_or_else(|| DEFAULT_EVENT.into());
            // Built once now, so an unknown event is a usage error before anything is sent.
            sample::build(&event, None, now_ms(), &[])
                .map_err(|e| usage(format!("--event: {e}")))?;
            BodySource::Sample { event }
        }
    };
    Ok(Settings {
        target,
        scheme,
        secrets,
        body,
        deadline: args.deadline,
    })
}

fn write_junit(path: &Path, results: &[ProbeResult], target: &Uri) -> anyhow::Result<()> {
    let xml = report::junit(
        results,
        &target.to_string(),
        &crate::capture::rfc3339_ms(now_ms()),
    );
    std::fs::write(path, xml).map_err(|e| {
        anyhow::anyhow!(
            "cannot write the JUnit report '{}': {e}; pass --junit with a writable path",
            path.display()
        )
    })
}
