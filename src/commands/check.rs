//! `check`: turns flags into settings, sends the probes of [`crate::check`] to the endpoint one
//! after another through the shared [`Forwarder`], prints each graded line as it comes, writes
//! the JUnit file, and stores every probe as a capture with its answer as an attempt.

use http::Uri;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::capture::{now_ms, AttemptKind, Capture, Source};
use crate::check::report::{self, Totals};
use crate::check::{self, build::Material, Answer, Probe, ProbeRequest, ProbeResult, Scheme};
use crate::cli::CheckArgs;
use crate::config::{
    self, body_file, db_path, dev_secret_label, secret_needed, secrets_or_dev, target, usage,
};
use crate::forward::{attempt_from, AppResponse, ForwardError, Forwarder, Outgoing};
use crate::sample;
use crate::signature::{verify_capture, Secret, DEFAULT_TOLERANCE};
use crate::store::{OpenMode, Store};

/// The sample event probes carry unless `--event` or `--body-file` says otherwise.
const DEFAULT_EVENT: &str = "AML_SCREENING";
/// Response body bytes kept for the report (the stored attempt keeps up to 1 MiB).
const ANSWER_HEAD_BYTES: usize = 256;

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_args(&args)?;
    let forwarder = super::forwarder(&args.app)?;
    // Opened before anything is sent, so a bad --db fails before the endpoint sees a probe.
    let mut store = match args.no_store {
        true => None,
        false => Some(Store::open(
            &db_path(args.db.db.as_deref())?,
            OpenMode::Create,
        )?),
    };

    // A closed stdout (`check | head`) does not stop the run: the probes still go out, the
    // JUnit file is written and the store records them; the write error is returned last.
    let mut out = Output::default();
    if !settings.json {
        out.line(format!(
            "hookscope check: {} ({}, deadline {} ms)",
            settings.target,
            settings.body.describe(),
            settings.deadline.as_millis()
        ));
    }
    let rt = super::runtime()?;
    let (results, sent) = rt.block_on(probe_all(&settings, &forwarder, |r| {
        out.line(if settings.json {
            report::json_object(r).to_string()
        } else {
            report::text_line(r, settings.deadline, super::hint::words)
        })
    }));
    let totals = Totals::of(&results);
    out.line(if settings.json {
        report::json_summary(totals, &settings.target.to_string()).to_string()
    } else {
        report::text_summary(totals)
    });
    if let Some(path) = &args.junit {
        write_junit(path, &results, &settings.target)?;
    }
    if let Some(store) = store.as_mut() {
        record(store, &settings, &sent)?;
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

/// What the run needs, checked once; nothing below knows a flag's name.
struct Settings {
    target: Uri,
    scheme: Scheme,
    secrets: Vec<Secret>,
    body: BodySource,
    deadline: Duration,
    json: bool,
}

impl Settings {
    fn from_args(args: &CheckArgs) -> anyhow::Result<Settings> {
        let target = target("--to", &args.to)?;
        let scheme = config::scheme("--scheme", &args.scheme)?;
        let secrets = secrets_or_dev(&args.secrets.secrets, args.secrets.allow_short_secret)?;
        let secrets = match (secrets.dev_secret, scheme) {
            // The local development secret is Dataspike's; other schemes need theirs.
            (Some(_), s) if s != Scheme::Dataspike => Vec::new(),
            (Some(path), _) => {
                eprintln!("probes signed with {}", dev_secret_label(&path));
                secrets.list
            }
            (None, _) => secrets.list,
        };
        if secrets.is_empty() {
            return Err(secret_needed(
                "check needs the secret your endpoint verifies with (two while rotating: the new one first)",
            ));
        }
        // The probes sign in --scheme; a bare secret is Dataspike's.
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
            json: args.json,
        })
    }
}

enum BodySource {
    /// A built-in sample event, with fresh ids for every probe.
    Sample { event: String },
    /// The same bytes for every probe.
    File { path: PathBuf, bytes: Vec<u8> },
}

impl BodySource {
    fn fresh(&self, now_ms: i64) -> Vec<u8> {
        match self {
            // Checked in `Settings::from_args`; the same arguments build again.
            BodySource::Sample { event } => {
                sample::build(event, None, now_ms, &[]).unwrap_or_default()
            }
            BodySource::File { bytes, .. } => bytes.clone(),
        }
    }

    fn describe(&self) -> String {
        match self {
            BodySource::Sample { event } => format!("sample {event}, fresh ids per probe"),
            BodySource::File { path, .. } => format!("body from '{}'", path.display()),
        }
    }
}

/// A probe that went out, kept for the store.
struct Sent {
    at_ms: i64,
    request: ProbeRequest,
    outcome: Result<AppResponse, ForwardError>,
    latency: Duration,
}

/// Runs the plan in order; `report` sees each result as soon as it is graded. After a valid
/// probe that got no answer at all (refused, TLS), the rest are skipped: they would only
/// repeat the same error.
async fn probe_all(
    s: &Settings,
    forwarder: &Forwarder,
    mut report: impl FnMut(&ProbeResult),
) -> (Vec<ProbeResult>, Vec<Sent>) {
    let other = loop {
        let (candidate, _) = Secret::generate();
        if !s.secrets.contains(&candidate) {
            break candidate;
        }
    };
    let base_headers = sample::delivery_headers();
    let body_is_json = serde_json::from_slice::<serde_json::Value>(&s.body.fresh(now_ms())).is_ok();
    let mut results = Vec::new();
    let mut sent = Vec::new();
    let mut valid: Option<(ProbeRequest, Answer)> = None;
    let mut unreachable: Option<String> = None;
    for planned in check::plan(s.scheme, s.secrets.len(), body_is_json) {
        let probe = planned.probe;
        let result = if let Some(reason) = planned.skip {
            ProbeResult::skipped(probe, reason)
        } else if probe == Probe::Latency {
            let answer = valid.as_ref().map(|(_, a)| a.clone());
            ProbeResult {
                probe,
                sent: String::new(),
                grade: check::grade_latency(answer.as_ref(), s.deadline),
                answer,
            }
        } else if let Some(why) = &unreachable {
            ProbeResult::skipped(probe, format!("not sent: {why}"))
        } else {
            let at_ms = now_ms();
            let body = s.body.fresh(at_ms);
            let m = Material {
                body: &body,
                secrets: &s.secrets,
                other: &other,
                base_headers: &base_headers,
                now_s: at_ms.div_euclid(1000),
            };
            match check::request(probe, &m, valid.as_ref().map(|(r, _)| r)) {
                None => ProbeResult::skipped(probe, "not sent: the valid probe was not sent"),
                Some(request) => {
                    let out = Outgoing {
                        method: request.method.into(),
                        headers: request.headers.clone(),
                        body: request.body.clone().into(),
                    };
                    let (outcome, latency) = forwarder.send(&s.target, &out).await;
                    let answer = answer_of(&outcome, latency);
                    if probe == Probe::Valid {
                        if let Answer::Failed { .. } = answer {
                            unreachable =
                                Some("the endpoint did not answer the valid probe".into());
                        }
                        valid = Some((request.clone(), answer.clone()));
                    }
                    let r = ProbeResult {
                        probe,
                        sent: request.sent.clone(),
                        grade: check::grade(probe, &answer),
                        answer: Some(answer),
                    };
                    sent.push(Sent {
                        at_ms,
                        request,
                        outcome,
                        latency,
                    });
                    r
                }
            }
        };
        report(&result);
        results.push(result);
    }
    (results, sent)
}

fn answer_of(outcome: &Result<AppResponse, ForwardError>, latency: Duration) -> Answer {
    match outcome {
        Ok(r) => Answer::Response {
            status: r.status,
            latency,
            body: r.body[..r.body.len().min(ANSWER_HEAD_BYTES)].to_vec(),
        },
        Err(ForwardError::Timeout { timeout, .. }) => Answer::Timeout { after: *timeout },
        Err(e) => Answer::Failed {
            error: e.to_string(),
            latency,
        },
    }
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

/// Stores every probe sent as a capture marked `check`, judged by hookscope's own verifier as
/// of sending, with the endpoint's answer as its attempt.
fn record(store: &mut Store, s: &Settings, sent: &[Sent]) -> anyhow::Result<()> {
    let tolerance_s = DEFAULT_TOLERANCE.as_secs();
    let captures: Vec<Capture> = sent
        .iter()
        .map(|p| {
            let r = &p.request;
            let mut c = Capture::new(
                p.at_ms,
                r.method,
                s.target.path(),
                r.headers.clone(),
                r.body.clone(),
            );
            c.query = s.target.query().map(str::to_string);
            c.source = Source::Check;
            let (verdict, diagnostics) = verify_capture(
                &r.headers,
                &r.body,
                &s.secrets,
                p.at_ms.div_euclid(1000),
                tolerance_s,
            );
            c.verdict = verdict;
            c.diagnostics = diagnostics;
            c
        })
        .collect();
    let ids = store.insert_captures(&captures.iter().collect::<Vec<_>>())?;
    let attempts: Vec<_> = ids
        .iter()
        .zip(sent)
        .map(|(id, p)| {
            attempt_from(
                *id,
                AttemptKind::Check,
                p.at_ms,
                &s.target,
                false,
                None,
                &p.outcome,
                p.latency,
            )
        })
        .collect();
    store.insert_attempts(&attempts.iter().collect::<Vec<_>>())?;
    eprintln!(
        "stored {} {} with the answers in '{}' ('hookscope tui' shows them)",
        captures.len(),
        if captures.len() == 1 {
            "probe"
        } else {
            "probes"
        },
        store.path().display()
    );
    Ok(())
}
