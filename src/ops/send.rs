//! `send` as a use case: fixtures, a body or built-in sample events to the developer's app,
//! signed now (or with a deliberately bad signature), once or as a small load generator, and
//! the numbers of a run (percentiles from [`crate::stats`], the one place they are computed).

use bytes::Bytes;
use http::Uri;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::capture::now_ms;
use crate::fixture::{Fixture, FixtureError, Signing};
use crate::forward::{join_target, Forwarder, Outgoing};
use crate::headers::HeaderPair;
use crate::sample;
use crate::sign_mode::{signature_for, SignMode};
use crate::signature::{secret_for, Scheme, Secret};
use crate::stats::percentile;
use crate::text::count;

/// What one delivery carries.
pub enum Payload {
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
    pub fn mode(&self) -> Option<SignMode> {
        match self {
            Payload::Fixture {
                signing: Signing::Mode(m),
                ..
            } => Some(*m),
            Payload::Fixture { .. } => None,
            Payload::Sample { mode, .. } | Payload::Body { mode, .. } => Some(*mode),
        }
    }

    pub fn needs_secret(&self) -> bool {
        self.mode().is_some_and(|m| m != SignMode::None)
    }

    /// The scheme it is signed in.
    pub fn scheme(&self) -> Scheme {
        match self {
            Payload::Fixture { scheme, .. }
            | Payload::Sample { scheme, .. }
            | Payload::Body { scheme, .. } => *scheme,
        }
    }
}

pub struct Plan {
    pub payloads: Vec<Payload>,
    pub to: Uri,
    /// Each payload signs with the first of its scheme.
    pub secrets: Vec<Secret>,
}

/// One request, ready to go.
pub struct Built {
    pub label: String,
    pub target: Uri,
    pub out: Outgoing,
}

impl Plan {
    /// Delivery `i` goes to payload `i mod n`, signed at `now_s`. Samples get fresh ids each time.
    pub fn request(&self, i: u64, now_s: i64) -> Result<Built, String> {
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
                            secret_needed(*mode)
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
                sign_into(&mut headers, secret, *mode, now_s, body)?;
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
                sign_into(&mut headers, secret, *mode, now_s, &body)?;
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
pub fn base_headers(content_type: &str) -> Vec<HeaderPair> {
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
pub struct Delivery {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency: Duration,
}

/// One delivery that was made (or could not be built): what, where, and how it went.
#[derive(Debug, Clone)]
pub struct Sent {
    pub label: String,
    /// `None` when the request could not be built (the error says why).
    pub target: Option<Uri>,
    pub delivery: Delivery,
}

/// Sends `total` deliveries with `concurrency` in flight; `on_sent` sees each as it finishes
/// and stops the run by failing (a closed stdout).
pub async fn deliver_all<E>(
    plan: Arc<Plan>,
    forwarder: Forwarder,
    total: u64,
    concurrency: u64,
    mut on_sent: impl FnMut(&Sent) -> Result<(), E>,
) -> Result<(Vec<Delivery>, Duration), E> {
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
    let mut results = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    while let Some(sent) = rx.recv().await {
        on_sent(&sent)?;
        results.push(sent.delivery);
    }
    Ok((results, start.elapsed()))
}

async fn deliver_one(plan: &Plan, forwarder: &Forwarder, i: u64) -> Sent {
    let built = match plan.request(i, chrono::Utc::now().timestamp()) {
        Ok(b) => b,
        Err(e) => {
            return Sent {
                label: format!("not sent: {e}"),
                target: None,
                delivery: Delivery {
                    status: None,
                    error: Some(e),
                    latency: Duration::ZERO,
                },
            }
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
    Sent {
        label: built.label,
        target: Some(built.target),
        delivery,
    }
}

/// What `--count` prints: status codes, throughput and latency percentiles.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub total: usize,
    pub elapsed: Duration,
    pub concurrency: u64,
    pub statuses: BTreeMap<u16, usize>,
    pub errors: BTreeMap<String, usize>,
    /// Sorted, of the deliveries that got an answer.
    pub latencies: Vec<Duration>,
}

impl Summary {
    pub fn of(results: &[Delivery], elapsed: Duration, concurrency: u64) -> Summary {
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

    pub fn per_second(&self) -> f64 {
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
                ms(percentile(&self.latencies, 50).unwrap_or_default()),
                ms(percentile(&self.latencies, 90).unwrap_or_default()),
                ms(percentile(&self.latencies, 99).unwrap_or_default()),
                ms(*max)
            )?;
        }
        Ok(())
    }
}

/// Appends the signature header(s) `mode` asks for over `body` at `now_s` (none for
/// `SignMode::None`).
fn sign_into(
    headers: &mut Vec<HeaderPair>,
    secret: Option<&Secret>,
    mode: SignMode,
    now_s: i64,
    body: &[u8],
) -> Result<(), String> {
    let signature = match (secret, mode) {
        (_, SignMode::None) => Vec::new(),
        (Some(secret), mode) => {
            signature_for(mode, secret, now_s, body).map_err(|e| e.to_string())?
        }
        (None, mode) => return Err(secret_needed(mode)),
    };
    headers.extend(
        signature
            .into_iter()
            .map(|(name, value)| (name.as_bytes().to_vec(), value.into_bytes())),
    );
    Ok(())
}

/// Signing as `mode` with no secret of the payload's scheme loaded.
fn secret_needed(mode: SignMode) -> String {
    format!("signing '{}' needs a secret", mode.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
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
}
