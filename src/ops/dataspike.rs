//! The Dataspike account's use cases (`hookscope dataspike register|rotate|webhooks|history`
//! and `listen --register`): each calls the API through `dataspike::api::Client`, keeps what
//! must be kept in the secret store or the capture store, and returns a typed outcome. A secret
//! is stored only once the answer that carries it parsed; nothing here prints or names a flag.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::capture::{Capture, DataspikeDelivery, Source};
use crate::dataspike::api::{self, ApiError, Client, CreateWebhook, DeliveryFacts, HistoryEntry};
use crate::secret_store::dataspike::{self as stored, Webhook};
use crate::secret_store::{SecretStore, SecretStoreError};
use crate::signature::{Scheme, Verdict};
use crate::store::{Pulled, Store, StoreError};

/// Most history pages read in one pull: a guard against an API that never says it is done.
const MAX_PAGES: usize = 1000;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The API refused or failed (its own exit codes).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A webhook URL Dataspike cannot reach: refused before any call.
    #[error("{0}")]
    Unreachable(String),
    /// The secret store could not be read or written.
    #[error(transparent)]
    SecretStore(#[from] SecretStoreError),
    /// Dataspike made the webhook (or rotated its secret), but the store could not keep the
    /// secret: it is lost, and only a new rotation gives one again.
    #[error("Dataspike {did} webhook {id}, but hookscope could not keep its secret: {source}; fix that, then rotate its secret ('hookscope dataspike rotate {id}') to get one hookscope keeps")]
    NotKept {
        /// "made" or "rotated the secret of".
        did: &'static str,
        /// The webhook's id.
        id: String,
        /// Why.
        source: SecretStoreError,
    },
    /// The capture store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No webhook id was given and the store does not know exactly one for this API.
    #[error("{0}")]
    WhichWebhook(String),
}

/// A webhook just registered (or, for `listen --register`, one reused).
#[derive(Debug, Clone)]
pub struct Registered {
    /// As stored.
    pub webhook: Webhook,
    /// Whether it was already registered for this URL (no API call was made).
    pub reused: bool,
    /// Members of the API's answer hookscope did not understand.
    pub not_understood: Vec<String>,
}

/// Registers `req` with the API and stores its secret; the URL is checked first (Dataspike
/// must reach it), so a refused one costs no call.
pub async fn register(
    client: &Client,
    secrets: &SecretStore,
    req: &CreateWebhook,
    now_ms: i64,
) -> Result<Registered, Failure> {
    api::check_webhook_url(&req.url).map_err(Failure::Unreachable)?;
    let created = client.create(req).await?;
    let target = client.target();
    let webhook = Webhook {
        api: target.base.clone(),
        environment: target.env.name().to_string(),
        id: created.id.clone(),
        url: req.url.clone(),
        events: req.events.clone(),
        enabled: req.enabled,
        created_ms: now_ms,
        rotated_ms: None,
        secret: created.secret,
        previous: None,
    };
    stored::save(secrets, &webhook, now_ms).map_err(|source| Failure::NotKept {
        did: "made",
        id: created.id.clone(),
        source,
    })?;
    Ok(Registered {
        webhook,
        reused: false,
        not_understood: created.not_understood,
    })
}

/// The webhook registered for `req.url` at this API, or a new one: never one new webhook per
/// run (`listen --register`).
pub async fn ensure_registered(
    client: &Client,
    secrets: &SecretStore,
    req: &CreateWebhook,
    now_ms: i64,
) -> Result<Registered, Failure> {
    if let Some(webhook) = stored::find_by_url(secrets, &client.target().base, &req.url, now_ms)? {
        return Ok(Registered {
            webhook,
            reused: true,
            not_understood: Vec::new(),
        });
    }
    register(client, secrets, req, now_ms).await
}

/// A rotation done.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// As stored now: the new secret current, the old one kept as `previous` (unless the
    /// keep-old window is zero).
    pub webhook: Webhook,
    /// Whether the store knew the webhook before (else it was made in the dashboard).
    pub known_before: bool,
    /// Members of the API's answer hookscope did not understand.
    pub not_understood: Vec<String>,
}

/// The stored webhook a rotation without an id means: the only one stored for this API.
pub fn only_webhook(secrets: &SecretStore, api_base: &str, now_ms: i64) -> Result<String, Failure> {
    let here: Vec<Webhook> = stored::webhooks(secrets, now_ms)?
        .into_iter()
        .filter(|w| w.api == api_base)
        .collect();
    match here.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(Failure::WhichWebhook(format!(
            "hookscope has stored no webhook for {api_base}: name the webhook's id (the dashboard shows it)"
        ))),
        many => Err(Failure::WhichWebhook(format!(
            "hookscope has stored {} webhooks for {api_base}; name one: {}",
            many.len(),
            many.iter().map(|w| w.id.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Rotates webhook `id`'s secret; the new one becomes current and the old one is kept for
/// `keep_old` (so deliveries signed before the switch still verify), then deleted.
pub async fn rotate(
    client: &Client,
    secrets: &SecretStore,
    id: &str,
    keep_old: Duration,
    now_ms: i64,
) -> Result<Rotated, Failure> {
    let target = client.target();
    let known_before = stored::find(secrets, &target.base, id, now_ms)?.is_some();
    let rotated = client.rotate(id).await?;
    let keep_ms = i64::try_from(keep_old.as_millis()).unwrap_or(i64::MAX);
    let webhook = stored::rotate(
        secrets,
        &target.base,
        target.env.name(),
        id,
        rotated.secret,
        now_ms,
        keep_ms,
    )
    .map_err(|source| Failure::NotKept {
        did: "rotated the secret of",
        id: id.to_string(),
        source,
    })?;
    Ok(Rotated {
        webhook,
        known_before,
        not_understood: rotated.not_understood,
    })
}

/// What the store knows: every webhook hookscope registered or rotated, `api_base` only when
/// given. No API call: Dataspike's API documents no list of webhooks.
pub fn webhooks(
    secrets: &SecretStore,
    api_base: Option<&str>,
    now_ms: i64,
) -> Result<Vec<Webhook>, Failure> {
    Ok(stored::webhooks(secrets, now_ms)?
        .into_iter()
        .filter(|w| api_base.is_none_or(|a| w.api == a))
        .collect())
}

/// Which history entries to pull.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Only this webhook's deliveries (asked of the API, and checked here too).
    pub webhook: Option<String>,
    /// Only deliveries whose event is this recent (Unix ms); older ones are counted.
    pub since_ms: Option<i64>,
    /// Only deliveries Dataspike says failed.
    pub failed: bool,
}

/// What a pull did.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Pages read.
    pub pages: usize,
    /// Entries the API listed.
    pub listed: usize,
    /// Entries the query left out (older, another webhook, not failed).
    pub left_out: usize,
    /// What the store did with the rest.
    pub pulled: Pulled,
    /// Delivery members seen that hookscope does not interpret (kept as received).
    pub not_understood: BTreeSet<String>,
    /// Why paging stopped early, when it did.
    pub stopped: Option<String>,
}

/// Pages through the history (`has_next`) and stores each entry the query takes as a capture
/// with source `dataspike` and Dataspike's delivery facts; one already stored is not stored
/// again. Nothing is stored unless every page was read.
pub async fn history(
    client: &Client,
    store: &mut Store,
    q: &HistoryQuery,
    now_ms: i64,
) -> Result<History, Failure> {
    let mut out = History::default();
    let mut seen = std::collections::HashSet::new();
    let mut captures = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = client
            .history(q.webhook.as_deref(), after.as_deref())
            .await?;
        out.pages += 1;
        let mut new = 0;
        for e in &page.entries {
            if !seen.insert((e.webhook_id.clone(), e.id.clone())) {
                continue;
            }
            new += 1;
            out.listed += 1;
            let facts = DeliveryFacts::read(&e.delivery);
            out.not_understood
                .extend(facts.not_understood.iter().cloned());
            let capture = capture_of(&client.target().base, e, &facts, now_ms);
            let takes = q
                .webhook
                .as_deref()
                .is_none_or(|w| e.webhook_id.as_deref() == Some(w))
                && q.since_ms.is_none_or(|s| capture.received_at_ms >= s)
                && (!q.failed || facts.failed == Some(true));
            if takes {
                captures.push(capture);
            } else {
                out.left_out += 1;
            }
        }
        if !page.has_next {
            break;
        }
        if new == 0 {
            out.stopped = Some(
                "the API said there was more, but its next page brought nothing new; stopped there"
                    .into(),
            );
            break;
        }
        if out.pages >= MAX_PAGES {
            out.stopped = Some(format!("stopped after {MAX_PAGES} pages"));
            break;
        }
        after = page.entries.last().map(|e| e.id.clone());
    }
    out.pulled = store.store_pulled(&captures)?;
    Ok(out)
}

/// One history entry as a capture: the event's JSON as the body (with the `Content-Type`
/// Dataspike sends), received when the event says it happened, no signature (the history has
/// none: `Unverified`), and the delivery facts beside it.
pub fn capture_of(api_base: &str, e: &HistoryEntry, facts: &DeliveryFacts, now_ms: i64) -> Capture {
    let at = e
        .timestamp
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(now_ms, |t| t.timestamp_millis());
    let headers = vec![(b"Content-Type".to_vec(), b"application/json".to_vec())];
    let mut c = Capture::new(at, "POST", "/", headers, e.body.clone());
    c.source = Source::Dataspike;
    c.verdict = Verdict::Unverified {
        scheme: Scheme::Dataspike,
    };
    c.dataspike = Some(DataspikeDelivery {
        api: api_base.to_string(),
        entry_id: e.id.clone(),
        webhook_id: e.webhook_id.clone(),
        attempts: facts.attempts,
        response_code: facts.response_code,
        last_attempt_at: facts.last_attempt_at.clone(),
        failed: facts.failed,
        facts: serde_json::Value::Object(e.delivery.clone()).to_string(),
    });
    c
}
