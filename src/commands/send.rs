//! `send`: fixtures or built-in sample events to the developer's app, signed now (or with a
//! deliberately bad signature), once or as a small load generator.

use bytes::Bytes;
use http::Uri;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::capture::{now_ms, AttemptBrief};
use crate::cli::SendArgs;
use crate::config::{
    body_file, dev_secret_label, secrets, secrets_or_dev, sign_secret_needed, target, usage,
};
use crate::fixture::{Fixture, FixtureError, Signing};
use crate::forward::{join_target, Forwarder, Outgoing};
use crate::headers::HeaderPair;
use crate::output::{attempt_brief, count, progress_bar};
use crate::sample;
use crate::sign_mode::{signature_for, SignMode};
use crate::signature::{secret_for, Scheme, Secret};

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
    let mode = args.sign.unwrap_or_default();

    let payloads = match &args.event {
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
                .map(|file| load_fixture(file, &args))
                .collect::<anyhow::Result<Vec<_>>>()?,
        },
    };
    for p in &payloads {
        if let Some(mode) = p.mode() {
            mode.applies_to(p.scheme())
                .map_err(|e| usage(format!("--sign {}: {e}", mode.as_str())))?;
        }
    }
    let mut given = secrets(&args.secrets.secrets, args.secrets.allow_short_secret)?;
    if given.is_empty()
        && payloads
            .iter()
            .any(|p| p.needs_secret() && p.scheme() == Scheme::Dataspike)
    {
        // Named, never printed: `listen` without a secret verifies with the same file.
        let dev = secrets_or_dev(&[], false)?;
        if let Some(path) = &dev.dev_secret {
            eprintln!("signing with {}", dev_secret_label(path));
        }
        given = dev.list;
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
    let (results, elapsed) =
        rt.block_on(deliver_all(plan, forwarder, total, args.concurrency, load))?;
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

/// What one delivery carries.
enum Payload {
    Fixture {
        file: PathBuf,
        fixture: Box<Fixture>,
        signing: Signing,
        scheme: Scheme,
    },
    Sample {
        event: String,
        variant: Option<String>,
        overrides: Vec<(String, serde_json::Value)>,
        mode: SignMode,
        scheme: Scheme,
    },
    Body {
        body: Vec<u8>,
        mode: SignMode,
        scheme: Scheme,
    },
}

impl Payload {
    /// How it is signed now; `None` when a fixture goes out as captured.
    fn mode(&self) -> Option<SignMode> {
        match self {
            Payload::Fixture {
                signing: Signing::Mode(m),
                ..
            } => Some(*m),
            Payload::Fixture { .. } => None,
            Payload::Sample { mode, .. } | Payload::Body { mode, .. } => Some(*mode),
        }
    }

    fn needs_secret(&self) -> bool {
        self.mode().is_some_and(|m| m != SignMode::None)
    }

    /// The scheme it is signed in.
    fn scheme(&self) -> Scheme {
        match self {
            Payload::Fixture { scheme, .. }
            | Payload::Sample { scheme, .. }
            | Payload::Body { scheme, .. } => *scheme,
        }
    }
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

struct Plan {
    payloads: Vec<Payload>,
    to: Uri,
    /// Each payload signs with the first of its scheme.
    secrets: Vec<Secret>,
}

/// One request, ready to go.
struct Built {
    label: String,
    target: Uri,
    out: Outgoing,
}

impl Plan {
    /// Delivery `i` goes to payload `i mod n`, signed at `now_s`. Samples get fresh ids each time.
    fn request(&self, i: u64, now_s: i64) -> Result<Built, String> {
        let n = self.payloads.len().max(1) as u64;
        let index = usize::try_from(i % n).unwrap_or(0);
        let Some(payload) = self.payloads.get(index) else {
            return Err("nothing to send".into());
        };
        let secret = secret_for(Some(payload.scheme()), &self.secrets);
        match payload {
            Payload::Fixture {
                file,
                fixture,
                signing,
                ..
            } => {
                let req = fixture.request(secret, now_s, *signing).map_err(|e| {
                    let why = match (e, signing) {
                        (FixtureError::SecretNeeded { .. }, Signing::Mode(mode)) => {
                            sign_secret_needed(*mode)
                        }
                        (e, _) => e.to_string(),
                    };
                    format!("fixture '{}': {why}", file.display())
                })?;
                Ok(Built {
                    label: file.display().to_string(),
                    target: join_target(&self.to, &fixture.path, fixture.query.as_deref()),
                    out: Outgoing {
                        method: req.method,
                        headers: req.headers,
                        body: Bytes::from(req.body),
                    },
                })
            }
            Payload::Body { body, mode, .. } => {
                let content_type = if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
                    "application/json"
                } else {
                    "application/octet-stream"
                };
                let mut headers = base_headers(content_type);
                let signature = match (secret, mode) {
                    (_, SignMode::None) => Vec::new(),
                    (Some(secret), mode) => {
                        signature_for(*mode, secret, now_s, body).map_err(|e| e.to_string())?
                    }
                    (None, mode) => return Err(sign_secret_needed(*mode)),
                };
                headers.extend(
                    signature
                        .into_iter()
                        .map(|(name, value)| (name.as_bytes().to_vec(), value.into_bytes())),
                );
                Ok(Built {
                    label: format!("body of {} bytes", body.len()),
                    target: self.to.clone(),
                    out: Outgoing {
                        method: "POST".into(),
                        headers,
                        body: Bytes::from(body.clone()),
                    },
                })
            }
            Payload::Sample {
                event,
                variant,
                overrides,
                mode,
                ..
            } => {
                let body = sample::build(event, variant.as_deref(), now_ms(), overrides)
                    .map_err(|e| e.to_string())?;
                let info = crate::capture::EventInfo::inspect(&body);
                let mut headers: Vec<HeaderPair> = sample::delivery_headers();
                let signature = match (secret, mode) {
                    (_, SignMode::None) => Vec::new(),
                    (Some(secret), mode) => {
                        signature_for(*mode, secret, now_s, &body).map_err(|e| e.to_string())?
                    }
                    (None, mode) => return Err(sign_secret_needed(*mode)),
                };
                headers.extend(
                    signature
                        .into_iter()
                        .map(|(name, value)| (name.as_bytes().to_vec(), value.into_bytes())),
                );
                Ok(Built {
                    label: format!(
                        "{} {}",
                        info.event_type.as_deref().unwrap_or(event),
                        info.event_id.as_deref().unwrap_or("-")
                    ),
                    target: self.to.clone(),
                    out: Outgoing {
                        method: "POST".into(),
                        headers,
                        body: Bytes::from(body),
                    },
                })
            }
        }
    }
}

/// The headers a sample delivery carries before its signature, with `content_type`.
fn base_headers(content_type: &str) -> Vec<HeaderPair> {
    let mut headers = sample::delivery_headers();
    crate::headers::set_header(
        &mut headers,
        "Content-Type",
        content_type.as_bytes().to_vec(),
    );
    headers
}

/// The outcome of one delivery.
#[derive(Debug, Clone, PartialEq)]
struct Delivery {
    status: Option<u16>,
    error: Option<String>,
    latency: Duration,
}

/// Sends `total` deliveries with `concurrency` in flight. One line per delivery unless `load`,
/// which shows a progress bar on a terminal instead. Stops at a failed write to stdout.
async fn deliver_all(
    plan: Arc<Plan>,
    forwarder: Forwarder,
    total: u64,
    concurrency: u64,
    load: bool,
) -> std::io::Result<(Vec<Delivery>, Duration)> {
    let next = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let start = Instant::now();
    for _ in 0..concurrency.min(total) {
        let (plan, forwarder, next, tx) =
            (plan.clone(), forwarder.clone(), next.clone(), tx.clone());
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let result = deliver_one(&plan, &forwarder, i).await;
                if tx.send(result).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let progress = if load {
        progress_bar(usize::try_from(total).unwrap_or(usize::MAX), "sending")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut results = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    while let Some((line, delivery)) = rx.recv().await {
        if !load {
            writeln!(std::io::stdout(), "{line}")?;
        }
        progress.inc(1);
        results.push(delivery);
    }
    progress.finish_and_clear();
    Ok((results, start.elapsed()))
}

async fn deliver_one(plan: &Plan, forwarder: &Forwarder, i: u64) -> (String, Delivery) {
    let built = match plan.request(i, chrono::Utc::now().timestamp()) {
        Ok(b) => b,
        Err(e) => {
            let d = Delivery {
                status: None,
                error: Some(e.clone()),
                latency: Duration::ZERO,
            };
            return (format!("-> not sent: {e}"), d);
        }
    };
    let (outcome, latency) = forwarder.send(&built.target, &built.out).await;
    let delivery = match outcome {
        Ok(r) => Delivery {
            status: Some(r.status),
            error: None,
            latency,
        },
        Err(e) => Delivery {
            status: None,
            error: Some(e.to_string()),
            latency,
        },
    };
    let brief = AttemptBrief {
        status: delivery.status,
        latency_ms: Some(latency.as_millis() as u64),
        error: delivery.error.clone(),
    };
    let line = format!(
        "{} to {} {}",
        built.label,
        built.target,
        attempt_brief(&brief)
    );
    (line, delivery)
}

/// What `--count` prints: status codes, throughput and latency percentiles.
#[derive(Debug, Clone, PartialEq)]
struct Summary {
    total: usize,
    elapsed: Duration,
    concurrency: u64,
    statuses: BTreeMap<u16, usize>,
    errors: BTreeMap<String, usize>,
    /// Sorted, of the deliveries that got an answer.
    latencies: Vec<Duration>,
}

impl Summary {
    fn of(results: &[Delivery], elapsed: Duration, concurrency: u64) -> Summary {
        let mut statuses = BTreeMap::new();
        let mut errors = BTreeMap::new();
        let mut latencies = Vec::with_capacity(results.len());
        for d in results {
            match (d.status, &d.error) {
                (Some(s), _) => {
                    *statuses.entry(s).or_insert(0) += 1;
                    latencies.push(d.latency);
                }
                (None, e) => {
                    let e = e.clone().unwrap_or_else(|| "no answer".into());
                    *errors.entry(e).or_insert(0) += 1;
                }
            }
        }
        latencies.sort();
        Summary {
            total: results.len(),
            elapsed,
            concurrency,
            statuses,
            errors,
            latencies,
        }
    }

    fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.total as f64 / secs
        } else {
            0.0
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "sent {} in {:.2} s ({:.1} deliveries/s, concurrency {})",
            count(self.total as u64, "delivery"),
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.concurrency
        )?;
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s} x{n}"))
            .collect();
        if !statuses.is_empty() {
            writeln!(f, "status codes: {}", statuses.join(", "))?;
        }
        for (e, n) in &self.errors {
            writeln!(f, "no answer x{n}: {e}")?;
        }
        if let Some(max) = self.latencies.last() {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            writeln!(
                f,
                "latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                ms(percentile(&self.latencies, 50)),
                ms(percentile(&self.latencies, 90)),
                ms(percentile(&self.latencies, 99)),
                ms(*max)
            )?;
        }
        Ok(())
    }
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `p`% at or below.
fn percentile(sorted: &[Duration], p: u32) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p as usize * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
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

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&v, 50), ms(50));
        assert_eq!(percentile(&v, 90), ms(90));
        assert_eq!(percentile(&v, 99), ms(99));
        assert_eq!(percentile(&[ms(7)], 99), ms(7));
        assert_eq!(percentile(&[ms(1), ms(9)], 50), ms(1));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }

    #[test]
    fn summary_counts_statuses_and_errors() {
        let ok = |s, l| Delivery {
            status: Some(s),
            error: None,
            latency: ms(l),
        };
        let results = vec![
            ok(200, 3),
            ok(500, 9),
            ok(200, 1),
            Delivery {
                status: None,
                error: Some("refused".into()),
                latency: ms(1),
            },
        ];
        let s = Summary::of(&results, Duration::from_secs(2), 4);
        assert_eq!(s.statuses, BTreeMap::from([(200, 2), (500, 1)]));
        assert_eq!(s.latencies, vec![ms(1), ms(3), ms(9)]);
        let text = s.to_string();
        assert!(
            text.starts_with("sent 4 deliveries in 2.00 s (2.0 deliveries/s, concurrency 4)"),
            "{text}"
        );
        assert!(text.contains("status codes: 200 x2, 500 x1"), "{text}");
        assert!(text.contains("no answer x1: refused"), "{text}");
        assert!(text.contains("p50 3.0 ms"), "{text}");
        assert!(text.contains("max 9.0 ms"), "{text}");
    }

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
