//! `send`: fixtures or built-in sample events to the developer's app, signed now (or with a
//! deliberately bad signature), once or as a small load generator.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::capture::{now_ms, AttemptBrief};
use crate::cli::SendArgs;
use crate::config::{body_file, dev_secret_label, secrets_as, secrets_or_dev, target, usage};
use crate::fixture::{Fixture, Signing};
use crate::ops::send::{deliver_all, Payload, Plan, Sent, Summary};
use crate::output::{attempt_brief, progress_bar};
use crate::sample;
use crate::sign_mode::SignMode;
use crate::signature::{secret_for, Scheme, Secret};
use crate::text::count;

pub fn run(args: SendArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        write!(std::io::stdout(), "{}", sample_list())?;
        return Ok(ExitCode::SUCCESS);
    }
    let to_text = args
        .to
        .as_deref()
        .ok_or_else(|| usage("send needs --to URL: your app's webhook endpoint"))?;
    let to = target("--to", to_text)?;
    let payloads = payloads(&args)?;
    for p in &payloads {
        if let Some(mode) = p.mode() {
            mode.applies_to(p.scheme())
                .map_err(|e| usage(format!("--sign {}: {e}", mode.as_str())))?;
        }
    }
    // With --scheme named, a bare secret is that scheme's.
    let mut given = secrets_as(
        &args.secrets.secrets,
        args.secrets.allow_short_secret,
        args.scheme.unwrap_or_default(),
    )?;
    let needs_dataspike = payloads
        .iter()
        .any(|p| p.needs_secret() && p.scheme() == Scheme::Dataspike);
    if needs_dataspike && !given.iter().any(|s| s.scheme() == Scheme::Dataspike) {
        // The stored webhook secret (the one changed last), else the local development secret:
        // named, never printed; `listen` without a secret verifies with the same one.
        let stored = crate::config::stored_secrets();
        if let Some(first) = stored.first() {
            eprintln!(
                "signing with the {} (stored by 'hookscope dataspike')",
                first.origin().label(0, crate::capture::now_ms())
            );
            given.extend(stored);
        } else if given.is_empty() {
            let dev = secrets_or_dev(&[], false)?;
            if let Some(path) = &dev.dev_secret {
                eprintln!("signing with {}", dev_secret_label(path));
            }
            given = dev.list;
        }
    }
    let secrets = signing_secrets(given, &payloads)?;

    let plan = Arc::new(Plan {
        payloads,
        to,
        secrets,
    });
    let total = args.count.saturating_mul(plan.payloads.len() as u64);
    let load = args.count > 1;
    let forwarder = super::forwarder(&args.app)?;
    let rt = super::runtime()?;
    // One line per delivery, or a progress bar on a terminal for a load run.
    let progress = match load {
        true => progress_bar(usize::try_from(total).unwrap_or(usize::MAX), "sending"),
        false => indicatif::ProgressBar::hidden(),
    };
    let (results, elapsed) = rt.block_on(deliver_all(
        plan,
        forwarder,
        total,
        args.concurrency,
        |sent: &Sent| {
            progress.inc(1);
            match load {
                true => Ok(()),
                false => writeln!(std::io::stdout(), "{}", sent_line(sent)),
            }
        },
    ))?;
    progress.finish_and_clear();
    let expect = args.expect.clone().unwrap_or_default();
    let failures = results.iter().filter(|d| !expect.matches(d.status)).count();
    let mut stdout = std::io::stdout().lock();
    if load {
        write!(
            stdout,
            "{}",
            Summary::of(&results, elapsed, args.concurrency)
        )?;
    }
    if load || args.expect.is_some() {
        writeln!(
            stdout,
            "as expected ({expect}): {} of {}",
            results.len() - failures,
            count(results.len() as u64, "delivery")
        )?;
    }
    Ok(if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What `--event`, `--body-file` or the fixtures ask to send, checked before anything is sent.
fn payloads(args: &SendArgs) -> anyhow::Result<Vec<Payload>> {
    let mode = args.sign.unwrap_or_default();
    Ok(match &args.event {
        Some(event) => {
            let overrides = args
                .sets
                .iter()
                .map(|s| sample::parse_set(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| usage(format!("--set {e}")))?;
            // Built once now, so an unknown event or a bad --set path is a usage error before
            // a secret is made or anything is sent.
            sample::build(event, args.variant.as_deref(), now_ms(), &overrides)
                .map_err(|e| usage(e.to_string()))?;
            vec![Payload::Sample {
                event: event.clone(),
                variant: args.variant.clone(),
                overrides,
                mode,
                scheme: args.scheme.unwrap_or_default(),
            }]
        }
        None => match &args.body_file {
            Some(file) => vec![Payload::Body {
                body: body_file("--body-file", file)?,
                mode,
                scheme: args.scheme.unwrap_or_default(),
            }],
            None => args
                .fixtures
                .iter()
                .map(|file| load_fixture(file, args))
                .collect::<anyhow::Result<Vec<_>>>()?,
        },
    })
}

/// The secrets `send` signs with: those given, plus, when none was given, a new one for each
/// scheme the payloads are signed in (printed, so the app can be configured with it). With
/// secrets given, every scheme signed in must have one.
fn signing_secrets(given: Vec<Secret>, payloads: &[Payload]) -> anyhow::Result<Vec<Secret>> {
    let mut secrets = given.clone();
    for p in payloads.iter().filter(|p| p.needs_secret()) {
        let scheme = p.scheme();
        if secret_for(Some(scheme), &secrets).is_some() {
            continue;
        }
        if !given.is_empty() {
            return Err(usage(format!(
                "send signs in {scheme}, but no {scheme} secret is among those given: pass --secret {scheme}=..."
            )));
        }
        let (secret, text) = Secret::generate_for(scheme);
        // The one place hookscope prints a secret: the user needs it to configure the
        // receiver, and it is a throwaway made just now, not one read from anywhere.
        eprintln!(
            "no --secret given (or HOOKSCOPE_SECRET): signing with a new {scheme} secret; configure your app with it:\n  {text}"
        );
        secrets.push(secret);
    }
    Ok(secrets)
}

fn load_fixture(file: &PathBuf, args: &SendArgs) -> anyhow::Result<Payload> {
    let bytes = std::fs::read(file)
        .map_err(|e| usage(format!("cannot read fixture '{}': {e}", file.display())))?;
    let fixture =
        Fixture::parse(&bytes).map_err(|e| usage(format!("fixture '{}': {e}", file.display())))?;
    // A fixture hand-edited to "resign": false asks for its captured header, unless --sign says
    // otherwise.
    let signing = match (args.as_captured, args.sign) {
        (true, _) => Signing::AsCaptured,
        (false, Some(mode)) => Signing::Mode(mode),
        (false, None) if !fixture.signature.resign => Signing::AsCaptured,
        (false, None) => Signing::Mode(SignMode::Valid),
    };
    Ok(Payload::Fixture {
        file: file.clone(),
        scheme: args.scheme.unwrap_or_else(|| fixture.signature.scheme()),
        fixture: Box::new(fixture),
        signing,
    })
}

/// `LABEL to TARGET -> 200 (3 ms)`, or why it was not sent.
fn sent_line(sent: &Sent) -> String {
    let d = &sent.delivery;
    match &sent.target {
        None => format!("-> {}", sent.label),
        Some(target) => {
            let brief = AttemptBrief {
                status: d.status,
                latency_ms: Some(d.latency.as_millis() as u64),
                error: d.error.clone(),
            };
            format!("{} to {target} {}", sent.label, attempt_brief(&brief))
        }
    }
}

/// The table `send --list` prints.
fn sample_list() -> String {
    let mut out = format!("{:<24} {:<10} {}\n", "EVENT", "VARIANT", "DESCRIPTION");
    let mut last_event = "";
    for (event, variant, description) in sample::list() {
        let default = if event != last_event {
            " (default)"
        } else {
            ""
        };
        last_event = event;
        out.push_str(&format!(
            "{event:<24} {variant:<10} {description}{default}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_marks_each_events_default_variant() {
        let text = sample_list();
        assert!(text.contains("AML_SCREENING"), "{text}");
        assert_eq!(text.matches("(default)").count(), sample::EVENT_TYPES.len());
        assert!(text
            .lines()
            .any(|l| l.contains("high_risk") && !l.contains("(default)")));
    }
}
