//! Runs a checked [`Call`] against one store through the use cases (`ops`), the same ones the
//! CLI calls, and turns the outcome into a [`ToolOutput`]: the objects `list --json`,
//! `show --json`, `check --json` and `diff --json` print, or a message that says what to do.
//! One call at a time: a wait blocks the server until it ends. With a [`Redactor`]
//! (`mcp --redact`), every capture and attempt is redacted before it is turned into JSON.

use serde_json::json;
use std::sync::Arc;

use super::hint;
use super::{Call, Run, ToolOutput};
use crate::capture::{Attempt, CaptureId};
use crate::check::report::{self, Totals};
use crate::diff::{self, Side};
use crate::forward::{Attempts, Forwarder, Recorder, Signing};
use crate::ops::{check, replay, send, wait};
use crate::output::show_json;
use crate::redact::Redactor;
use crate::sign_mode::SignMode;
use crate::signature::{secret_for, Scheme, Secret};
use crate::store::{ListQuery, Store, StoreWorker, StoredCapture};

/// Answers slower than this fail `run_check`'s latency probe (`check --deadline`'s default).
const CHECK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);

/// What the tools work with, set up once when the server starts.
pub struct Toolbox {
    /// Reads and waits, on the server's thread.
    pub store: Store,
    /// Writes (the attempts of replays, check's probes), on the database thread.
    pub worker: StoreWorker,
    pub runtime: tokio::runtime::Runtime,
    pub forwarder: Forwarder,
    /// The secrets loaded at start; never returned.
    pub secrets: Vec<Secret>,
    /// Whether `secrets` is the local development secret.
    pub dev_secret: bool,
    /// With `mcp --redact`: redacts what the tools return, with one salt for the server's run
    /// so a value gets the same fake in every call.
    pub(crate) redactor: Option<Redactor>,
}

impl Run for Toolbox {
    fn run(&mut self, call: Call) -> ToolOutput {
        let result = match call {
            Call::ListCaptures {
                query,
                query_text,
                limit,
            } => self.list(query, &query_text, limit),
            Call::ShowCapture { id } => self.show(id),
            Call::WaitForCapture {
                query,
                query_text,
                timeout,
                since,
            } => self.wait(
                wait::Settings {
                    query,
                    timeout,
                    since,
                },
                &query_text,
            ),
            Call::ReplayCapture {
                id,
                to,
                as_is,
                resign_failed,
            } => self.replay(id, to, as_is, resign_failed),
            Call::SendSample { event, variant, to } => self.send(event, variant, to),
            Call::RunCheck { to, scheme, event } => self.check(to, scheme, event),
            Call::CompareCaptures { left, right } => self.compare(left, right),
            Call::ShowRetries { event, limit } => self.retries(event, limit),
        };
        // A failure of the tool itself (the store, the database thread): said, not fatal.
        result.unwrap_or_else(|e| ToolOutput::Failed(format!("{e:#}")))
    }
}

type Outcome = anyhow::Result<ToolOutput>;

impl Toolbox {
    fn retries(&self, event: Option<String>, limit: usize) -> Outcome {
        use crate::ops::retries::{retries, Found, Which};
        let which = match event {
            Some(e) => Which::Event(e),
            None => Which::Redelivered(limit),
        };
        Ok(match retries(&self.store, &which)? {
            Found::Events(events) => {
                let mut out = json!({"events": events.iter().map(|e| e.to_json()).collect::<Vec<_>>()});
                if events.is_empty() {
                    out["note"] = "no event was delivered more than once: deliveries are linked by the sender's event id, and a listener answering 503 by choice to the first deliveries of each event makes a sender retry".into();
                }
                ToolOutput::Ok(out)
            }
            Found::NoSuchEvent(text) => ToolOutput::Failed(format!(
                "no stored delivery belongs to an event '{text}'; show_capture's delivery.event names a capture's event, and show_retries without event lists those delivered more than once"
            )),
            Found::Ambiguous(text, keys) => ToolOutput::Failed(format!(
                "several events begin with '{text}': {}; give more of the id",
                keys.join(", ")
            )),
        })
    }

    fn list(&self, query: crate::query::Query, query_text: &str, limit: usize) -> Outcome {
        let rows = self.store.list(&ListQuery {
            limit: Some(limit),
            query,
            ..Default::default()
        })?;
        let mut out = json!({"captures": rows.iter().map(|r| r.to_json()).collect::<Vec<_>>()});
        if rows.is_empty() {
            let total = self.store.count(&ListQuery::default())?;
            out["note"] = match (total, query_text.trim().is_empty()) {
                (0, _) => format!("no captures in '{}' yet: send a webhook to 'hookscope listen' (or call send_sample with its URL) first", self.store.path().display()),
                (n, true) => format!("{} stored, none selected (limit 0)", crate::text::count(n, "capture")),
                (n, false) => format!("{} stored, none match query '{query_text}'", crate::text::count(n, "capture")),
            }
            .into();
        }
        Ok(ToolOutput::Ok(out))
    }

    fn show(&mut self, id: CaptureId) -> Outcome {
        match self.store.get(id)? {
            Some(c) => self.shown(c),
            None => Ok(self.missing(id)),
        }
    }

    fn shown(&mut self, mut c: StoredCapture) -> Outcome {
        let mut attempts = self.store.attempts(c.id)?;
        if let Some(r) = self.redactor.as_mut() {
            r.capture(&mut c.capture);
            for a in &mut attempts {
                r.attempt(a);
            }
        }
        let place = self.store.place(c.id, c.capture.event_key.as_deref())?;
        let mut shown = show_json(&c, &attempts, place.as_ref());
        if self.redactor.is_some() {
            shown["redacted"] = true.into();
        }
        Ok(ToolOutput::Ok(shown))
    }

    fn missing(&self, id: CaptureId) -> ToolOutput {
        ToolOutput::Failed(format!(
            "capture {id} is not in '{}': list_captures shows the ids",
            self.store.path().display()
        ))
    }

    fn wait(&mut self, s: wait::Settings, query_text: &str) -> Outcome {
        match wait::wait(&self.store, &s, || {})? {
            wait::Outcome::Found(c) => self.shown(*c),
            wait::Outcome::TimedOut => Ok(ToolOutput::Failed(format!(
                "no capture matching query '{query_text}' was stored in '{}' within {}: check that the sender points at 'hookscope listen' on this store, or wait longer (timeout_seconds, up to 600); since_seconds also takes one that arrived before the call",
                self.store.path().display(),
                humantime::format_duration(s.timeout)
            ))),
        }
    }

    fn replay(
        &mut self,
        id: CaptureId,
        to: Option<http::Uri>,
        as_is: bool,
        resign_failed: bool,
    ) -> Outcome {
        let settings = replay::Settings {
            signing: match (as_is, resign_failed) {
                (true, _) => Signing::AsIs,
                (false, true) => Signing::Resign,
                (false, false) => Signing::Default,
            },
            to,
            resign_failed,
            secrets: self.secrets.clone(),
            ..Default::default()
        };
        let recorder = self.recorder();
        let outcome =
            self.runtime
                .block_on(replay::replay_one(&self.worker, &recorder, id, &settings))?;
        Ok(match outcome {
            replay::Outcome::Sent(r) => {
                let mut attempt = Attempt::clone(&r.attempt);
                if let Some(redactor) = self.redactor.as_mut() {
                    redactor.attempt(&mut attempt);
                }
                let mut v = json!({
                    "id": r.id,
                    "target": r.target.to_string(),
                    "succeeded": r.succeeded,
                    "resigned": attempt.resigned,
                    "attempt": attempt.to_json(),
                });
                if let Some(s) = &r.resigned {
                    v["resigned_with"] = s.to_json();
                }
                if let Some(w) = r.warning {
                    v["warning"] = json!({"code": w.code(), "text": w.to_string()});
                    if let Some(h) = w.hint() {
                        v["hint"] = hint::json(h);
                    }
                }
                ToolOutput::Ok(v)
            }
            replay::Outcome::Skipped {
                why: replay::Refusal::Missing,
                ..
            } => self.missing(id),
            replay::Outcome::Skipped { why, .. } => ToolOutput::Failed(format!(
                "capture {id} was not replayed: {}",
                hint::with(&why, why.hint())
            )),
        })
    }

    fn send(&self, event: String, variant: Option<String>, to: http::Uri) -> Outcome {
        let scheme = Scheme::Dataspike;
        if secret_for(Some(scheme), &self.secrets).is_none() {
            return Ok(ToolOutput::Failed(format!(
                "no Dataspike secret is loaded to sign the sample: {}",
                hint::words(crate::hint::Hint::PassSecret { scheme })
            )));
        }
        let plan = Arc::new(send::Plan {
            payloads: vec![send::Payload::Sample {
                event: event.clone(),
                variant: variant.clone(),
                overrides: Vec::new(),
                mode: SignMode::Valid,
                scheme,
            }],
            to,
            secrets: self.secrets.clone(),
        });
        let mut sent = None;
        self.runtime.block_on(send::deliver_all(
            plan,
            self.forwarder.clone(),
            1,
            1,
            |s: &send::Sent| {
                sent = Some(s.clone());
                Ok::<(), std::convert::Infallible>(())
            },
        ))?;
        let Some(sent) = sent else {
            return Ok(ToolOutput::Failed("nothing was sent".into()));
        };
        let d = &sent.delivery;
        let target = sent.target.as_ref().map(|t| t.to_string());
        if let Some(e) = &d.error {
            return Ok(ToolOutput::Failed(format!(
                "{event} was not delivered to {}: {e}; check that the app (or 'hookscope listen') is running there",
                target.unwrap_or_default()
            )));
        }
        Ok(ToolOutput::Ok(json!({
            "event": event,
            "variant": variant,
            "label": sent.label,
            "target": target,
            "status": d.status,
            "succeeded": d.status.is_some_and(|s| (200..300).contains(&s)),
            "latency_ms": d.latency.as_millis() as u64,
            "signed_with": self.signed_with(),
        })))
    }

    fn signed_with(&self) -> &'static str {
        match self.dev_secret {
            true => "the local development secret (the one 'hookscope listen' verifies with when given no secret)",
            false => "the Dataspike secret the server was started with",
        }
    }

    fn check(&self, to: http::Uri, scheme: Scheme, event: String) -> Outcome {
        let secrets: Vec<Secret> = self
            .secrets
            .iter()
            .filter(|s| s.scheme() == scheme)
            .cloned()
            .collect();
        if secrets.is_empty() {
            return Ok(ToolOutput::Failed(format!(
                "run_check signs its probes with the endpoint's {scheme} secret, and none is loaded: {}",
                hint::words(crate::hint::Hint::PassSecret { scheme })
            )));
        }
        let settings = check::Settings {
            target: to,
            scheme,
            secrets,
            body: check::BodySource::Sample { event },
            deadline: CHECK_DEADLINE,
        };
        let recording = check::Recording {
            store: self.worker.clone(),
            recorder: self.recorder(),
        };
        let checked = self.runtime.block_on(check::run(
            &settings,
            &self.forwarder,
            Some(&recording),
            |_| {},
        ))?;
        let totals = Totals::of(&checked.results);
        Ok(ToolOutput::Ok(json!({
            "probes": checked.results.iter().map(report::json_object).collect::<Vec<_>>(),
            "summary": report::json_summary(totals, &settings.target.to_string()),
            "stored": checked.stored,
        })))
    }

    fn compare(&mut self, left: CaptureId, right: CaptureId) -> Outcome {
        let (Some(mut l), Some(mut r)) = (self.store.get(left)?, self.store.get(right)?) else {
            let gone = if self.store.get(left)?.is_none() {
                left
            } else {
                right
            };
            return Ok(self.missing(gone));
        };
        // One salt for both: a value the two share gets one fake, so it is no difference.
        if let Some(redactor) = self.redactor.as_mut() {
            redactor.capture(&mut l.capture);
            redactor.capture(&mut r.capture);
        }
        let d = diff::compare(
            &format!("#{left}"),
            side(&l),
            &format!("#{right}"),
            side(&r),
        );
        Ok(ToolOutput::Ok(diff::to_json(&d)))
    }

    fn recorder(&self) -> Recorder {
        Recorder {
            forwarder: self.forwarder.clone(),
            attempts: Attempts::Worker(self.worker.clone()),
            reports: None,
        }
    }
}

fn side(c: &StoredCapture) -> Side<'_> {
    Side {
        headers: Some(&c.capture.headers),
        body: &c.capture.body,
    }
}
