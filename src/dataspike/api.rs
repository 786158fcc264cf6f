//! Dataspike's management API, the part hookscope's `dataspike` commands call: create a
//! webhook, rotate its signing secret, read the webhook history. What is documented
//! (docs.dataspike.io, "API reference", Webhooks; `shared/reference/dataspike.md`):
//!
//! - every call carries `ds-api-token: <key>`;
//! - `POST /api/v3/organization/webhooks` with `{"is_sandbox", "webhook_url", "event_types",
//!   "enabled"}` answers `200 {"id", "hmac_signing_secret"}`, the secret shown only this once;
//! - `POST /api/v3/organization/webhooks/{id}/hmac/rotate` answers `200 {"hmac_signing_secret"}`,
//!   the new secret replacing the old one at once;
//! - `GET /api/v3/notifications/webhook/history` answers `{"data": [{"id", "webhook_id",
//!   "event_type", "timestamp", "payload", ...}], "has_next"}`.
//!
//! Not documented, so handled tolerantly and said when met: the history's paging and filter
//! parameters (hookscope sends `webhook` and `after`, as earlier notes have them, and stops
//! when a page brings nothing new), its delivery fields (kept exactly as received; `attempts`,
//! `response_code`/`status_code` and `last_attempt_at` read when present), the error bodies
//! (a `message`, `error` or `detail` text is shown, else the status), and whether the API
//! lists webhooks (no list endpoint is documented, so none is called).
//!
//! Parsing and classifying is pure (tested here); [`Client`] does the I/O over the one egress
//! client, with retries. The token is never in an error, a log line or `Debug`.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use serde_json::{Map, Value};

use crate::secret_store::SecretText;

/// The sandbox API, the default.
pub const SANDBOX: &str = "https://sandboxapi.dataspike.io";
/// The production API (`--production`).
pub const PRODUCTION: &str = "https://api.dataspike.io";
/// The event types the create-webhook endpoint documents.
pub const EVENT_TYPES: [&str; 4] = [
    "AML_SCREENING",
    "DOCVER",
    "TRANSACTION_MONITORING",
    "KYT_WALLET_CHECK",
];
/// Largest answer read from the API.
const MAX_ANSWER: usize = 32 * 1024 * 1024;
/// Longest `Retry-After` waited for; a longer one ends the command with the time to wait.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Which Dataspike the commands talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    /// `https://sandboxapi.dataspike.io`.
    Sandbox,
    /// `https://api.dataspike.io`, only when asked for.
    Production,
    /// Another base URL: a private deployment, or a stand-in.
    Custom,
}

impl Env {
    /// `sandbox`, `production`, `custom`: how the store and `--json` name it.
    pub fn name(self) -> &'static str {
        match self {
            Env::Sandbox => "sandbox",
            Env::Production => "production",
            Env::Custom => "custom",
        }
    }
}

/// Where the API is and for which environment webhooks are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The base URL, no trailing `/`.
    pub base: String,
    /// Which one it is.
    pub env: Env,
    /// Whether webhooks are created for the sandbox (`is_sandbox`): all but production.
    pub is_sandbox: bool,
}

impl Target {
    /// The base URL given (`--api-url`), else production when asked, else the sandbox.
    pub fn new(api_url: Option<&str>, production: bool) -> Result<Target, String> {
        let base = match api_url.map(str::trim) {
            Some(u) => u.trim_end_matches('/').to_string(),
            None if production => PRODUCTION.to_string(),
            None => SANDBOX.to_string(),
        };
        let uri: Uri = base
            .parse()
            .map_err(|_| format!("'{base}' is not a URL; write e.g. {SANDBOX}"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(format!(
                "'{base}' is not an http(s) URL; write e.g. {SANDBOX}"
            ));
        }
        if uri.path().len() > 1 || uri.query().is_some() {
            return Err(format!(
                "'{base}' has a path; give the base URL only, e.g. {SANDBOX}"
            ));
        }
        let env = match base.as_str() {
            SANDBOX => Env::Sandbox,
            PRODUCTION => Env::Production,
            _ => Env::Custom,
        };
        Ok(Target {
            is_sandbox: !production && env != Env::Production,
            base,
            env,
        })
    }

    /// "the sandbox API", "the production API", "the Dataspike API at URL".
    pub fn words(&self) -> String {
        match self.env {
            Env::Sandbox => "the sandbox API".into(),
            Env::Production => "the production API".into(),
            Env::Custom => format!("the Dataspike API at {}", self.base),
        }
    }

    /// Whether the token travels unencrypted to a host other than this machine.
    pub fn token_in_clear(&self) -> bool {
        let Ok(uri) = self.base.parse::<Uri>() else {
            return false;
        };
        uri.scheme_str() == Some("http")
            && !uri.host().is_some_and(|h| {
                let h = h.trim_start_matches('[').trim_end_matches(']');
                h == "localhost"
                    || h.parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            })
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }
}

/// The API token. `Debug` never shows it.
#[derive(Clone)]
pub struct Token {
    value: http::HeaderValue,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(redacted)")
    }
}

impl Token {
    /// Checks a token's text (spaces around it trimmed); the error never repeats it.
    pub fn new(text: &str) -> Result<Token, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("is empty".into());
        }
        let mut value = http::HeaderValue::from_str(t)
            .map_err(|_| "holds characters a header cannot carry (a line break?)".to_string())?;
        value.set_sensitive(true);
        Ok(Token { value })
    }

    /// Whether `text` contains the token (the tests' check that it leaked nowhere).
    #[cfg(test)]
    pub fn appears_in(&self, text: &str) -> bool {
        self.value
            .to_str()
            .is_ok_and(|t| !t.is_empty() && text.contains(t))
    }
}

/// Why a webhook URL is refused before any call: Dataspike must reach it from the internet.
pub fn check_webhook_url(url: &str) -> Result<Uri, String> {
    let relay_hint = "use a public https URL, e.g. your relay channel's ('hookscope relay channel add' prints it)";
    let uri: Uri = url
        .trim()
        .parse()
        .map_err(|_| format!("'{url}' is not a URL; {relay_hint}"))?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") => {
            return Err(format!(
                "'{url}' is http://; Dataspike delivers to https only: {relay_hint}"
            ))
        }
        _ => return Err(format!("'{url}' is not an https URL; {relay_hint}")),
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("'{url}' has no host; {relay_hint}"))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let private = match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => private_ip(ip),
        Err(_) => {
            let lower = bare.to_ascii_lowercase();
            lower == "localhost"
                || lower.ends_with(".localhost")
                || lower.ends_with(".local")
                || lower.ends_with(".internal")
                || lower.ends_with(".lan")
                || lower.ends_with(".home.arpa")
                || !lower.contains('.')
        }
    };
    if private {
        return Err(format!(
            "'{url}' names {bare}, which Dataspike cannot reach from the internet (this machine or a private network): {relay_hint}"
        ));
    }
    Ok(uri)
}

fn private_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                // 100.64.0.0/10, carrier-grade NAT (tailnets among them).
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| private_ip(v4.into()))
        }
    }
}

/// What `register` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateWebhook {
    /// Where Dataspike delivers.
    pub url: String,
    /// The event types, in Dataspike's names.
    pub events: Vec<String>,
    /// Whether it delivers at once.
    pub enabled: bool,
    /// Whether it is a sandbox webhook.
    pub is_sandbox: bool,
}

impl CreateWebhook {
    /// The documented request body.
    pub fn body(&self) -> Value {
        serde_json::json!({
            "is_sandbox": self.is_sandbox,
            "webhook_url": self.url,
            "event_types": self.events,
            "enabled": self.enabled,
        })
    }
}

/// A webhook just made: its id and its secret, shown this once.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// Dataspike's id of the webhook.
    pub id: String,
    /// Its signing secret.
    pub secret: SecretText,
    /// Members of the answer hookscope does not know (kept out of the store, named to the user).
    pub not_understood: Vec<String>,
}

/// A rotation's new secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Rotated {
    /// The new signing secret, current from now on.
    pub secret: SecretText,
    /// Members of the answer hookscope does not know.
    pub not_understood: Vec<String>,
}

/// One page of the webhook history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// The entries, as the API lists them.
    pub entries: Vec<HistoryEntry>,
    /// Whether the API says there is more.
    pub has_next: bool,
}

/// One delivery as the history reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The event's id.
    pub id: String,
    /// The webhook it was delivered to, when given.
    pub webhook_id: Option<String>,
    /// The event type, when given.
    pub event_type: Option<String>,
    /// When the event happened (ISO-8601 as given).
    pub timestamp: Option<String>,
    /// The event as JSON, rebuilt from the entry's envelope members in their order: what
    /// Dataspike reports, not the bytes it sent.
    pub body: Vec<u8>,
    /// Every other member of the entry, exactly as received: Dataspike's delivery facts.
    pub delivery: Map<String, Value>,
}

/// The envelope members of a delivery; the rest of a history entry is about the delivery.
const ENVELOPE: [&str; 5] = ["id", "webhook_id", "event_type", "timestamp", "payload"];

/// Dataspike's facts about one delivery, read from the members hookscope recognises.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFacts {
    /// How many times Dataspike tried.
    pub attempts: Option<i64>,
    /// The HTTP status the endpoint last answered Dataspike.
    pub response_code: Option<u16>,
    /// When Dataspike last tried, as given.
    pub last_attempt_at: Option<String>,
    /// Whether Dataspike's delivery failed, when the members say.
    pub failed: Option<bool>,
    /// Members not recognised (kept, not interpreted).
    pub not_understood: Vec<String>,
}

impl DeliveryFacts {
    /// Reads what it recognises from `delivery`, tolerating other shapes.
    pub fn read(delivery: &Map<String, Value>) -> DeliveryFacts {
        let mut f = DeliveryFacts::default();
        let known = |k: &str| delivery.get(k);
        f.attempts = match known("attempts").or_else(|| known("attempt_count")) {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::Array(a)) => Some(a.len() as i64),
            _ => None,
        };
        f.response_code = [
            "response_code",
            "status_code",
            "last_response_code",
            "http_status",
        ]
        .iter()
        .find_map(|k| delivery.get(*k))
        .and_then(|v| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .and_then(|c| u16::try_from(c).ok());
        f.last_attempt_at = ["last_attempt_at", "last_attempt", "delivered_at"]
            .iter()
            .find_map(|k| delivery.get(*k))
            .and_then(|v| v.as_str().map(str::to_string));
        let said = match (delivery.get("success"), delivery.get("status")) {
            (Some(Value::Bool(ok)), _) => Some(!ok),
            (_, Some(Value::String(s))) => match s.to_ascii_lowercase().as_str() {
                "failed" | "failure" | "error" => Some(true),
                "success" | "succeeded" | "delivered" | "ok" => Some(false),
                _ => None,
            },
            _ => None,
        };
        f.failed = said.or(f.response_code.map(|c| !(200..300).contains(&c)));
        const RECOGNISED: [&str; 11] = [
            "attempts",
            "attempt_count",
            "response_code",
            "status_code",
            "last_response_code",
            "http_status",
            "last_attempt_at",
            "last_attempt",
            "delivered_at",
            "success",
            "status",
        ];
        f.not_understood = delivery
            .keys()
            .filter(|k| !RECOGNISED.contains(&k.as_str()) && k.as_str() != "is_sandbox")
            .cloned()
            .collect();
        f
    }
}

/// Why an API call did not do what was asked. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401 or 403.
    #[error("DATASPIKE_API_TOKEN was rejected by {api} ({status}); is it a {env} key?")]
    BadToken {
        /// "the sandbox API".
        api: String,
        /// `sandbox`, `production`, `custom`.
        env: &'static str,
        /// The status.
        status: u16,
    },
    /// 404 on a call naming a webhook.
    #[error("{api} knows no webhook '{id}' (404): 'hookscope dataspike webhooks' lists the ones hookscope stored; the dashboard lists them all")]
    UnknownWebhook {
        /// "the sandbox API".
        api: String,
        /// The id asked for.
        id: String,
    },
    /// Another 4xx: the API refused what was asked, with its message.
    #[error("{api} refused the request ({status}): {message}")]
    Refused {
        /// "the sandbox API".
        api: String,
        /// The status.
        status: u16,
        /// The API's own message, or what it answered.
        message: String,
    },
    /// 429 after the retries `Retry-After` allowed.
    #[error("{api} is limiting the rate of requests (429){}; try again later", .retry_after.map(|s| format!(" and asks to wait {s} s")).unwrap_or_default())]
    RateLimited {
        /// "the sandbox API".
        api: String,
        /// Its last `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// 5xx after the retries.
    #[error("{api} failed ({status}) {tries}; try again later{}", if *.maybe_done { ". It may have done it anyway: check the dashboard before trying again" } else { "" })]
    Server {
        /// "the sandbox API".
        api: String,
        /// The last status.
        status: u16,
        /// "3 times".
        tries: String,
        /// Whether a create may have happened although it failed.
        maybe_done: bool,
    },
    /// No answer in time, after the retries.
    #[error("{api} did not answer within {timeout_s} s {tries}{}", if *.maybe_done { ". It may have done it anyway: check the dashboard before trying again" } else { "; try again later" })]
    Timeout {
        /// "the sandbox API".
        api: String,
        /// The timeout.
        timeout_s: u64,
        /// "3 times".
        tries: String,
        /// Whether a create may have happened.
        maybe_done: bool,
    },
    /// No connection (no network, a wrong URL, a proxy that failed).
    #[error("cannot reach {api} at {url}: {detail}")]
    Unreachable {
        /// "the sandbox API".
        api: String,
        /// The base URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// An answer that is not the documented JSON; nothing was stored.
    #[error("{api} answered {status} with something that is not the documented JSON ({what}); nothing was stored")]
    Malformed {
        /// "the sandbox API".
        api: String,
        /// The status.
        status: u16,
        /// What was missing or wrong.
        what: String,
    },
}

impl ApiError {
    /// The exit status (README, "Exit status"): 4 when the API refused (fix something and
    /// try again), 5 when it could not be used (try again later).
    pub fn exit_code(&self) -> u8 {
        match self {
            ApiError::BadToken { .. }
            | ApiError::UnknownWebhook { .. }
            | ApiError::Refused { .. } => 4,
            _ => 5,
        }
    }

    /// A stable word for the tests.
    #[cfg(test)]
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadToken { .. } => "bad_token",
            ApiError::UnknownWebhook { .. } => "unknown_webhook",
            ApiError::Refused { .. } => "refused",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Server { .. } => "server_error",
            ApiError::Timeout { .. } => "timeout",
            ApiError::Unreachable { .. } => "unreachable",
            ApiError::Malformed { .. } => "malformed_answer",
        }
    }
}

/// What a call is, for the words of its errors and whether retrying it is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Create a webhook: not retried after a timeout or a plain 500, which may have created
    /// it (a second try would make a second webhook whose secret nobody kept).
    Create,
    /// Rotate webhook `id`'s secret: a repeat only rotates again.
    Rotate(String),
    /// Read the history.
    History,
}

impl Call {
    fn safe_to_repeat_after(&self, status: Option<u16>) -> bool {
        match (self, status) {
            (Call::Create, Some(502..=504)) => true,
            (Call::Create, _) => false,
            _ => true,
        }
    }
}

/// The API's message in an error answer: `message`, `error`, `detail` or `title` (a string,
/// or an `errors` list's first `message`), else the body's start if it is text.
pub fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let pick = |v: &Value| {
            ["message", "error", "detail", "title", "description"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|m| m.as_str()).map(str::to_string))
        };
        if let Some(m) = pick(&v).or_else(|| {
            v.get("errors")
                .and_then(|e| e.as_array())
                .and_then(|a| a.first())
                .and_then(pick)
        }) {
            return m;
        }
    }
    let text = String::from_utf8_lossy(body);
    let t: String = text.trim().chars().take(200).collect();
    if t.is_empty() {
        "no message".into()
    } else {
        t
    }
}

/// The error an answer that is not 2xx means (429 and 5xx before any retry).
pub fn classify(target: &Target, call: &Call, status: u16, body: &[u8]) -> ApiError {
    let api = target.words();
    match (status, call) {
        (401 | 403, _) => ApiError::BadToken {
            api,
            env: target.env.name(),
            status,
        },
        (404, Call::Rotate(id)) => ApiError::UnknownWebhook {
            api,
            id: id.clone(),
        },
        (429, _) => ApiError::RateLimited {
            api,
            retry_after: None,
        },
        (500..=599, _) => ApiError::Server {
            api,
            status,
            tries: "once".into(),
            maybe_done: !call.safe_to_repeat_after(Some(status)),
        },
        _ => ApiError::Refused {
            api,
            status,
            message: error_message(body),
        },
    }
}

fn malformed(target: &Target, status: u16, what: impl Into<String>) -> ApiError {
    ApiError::Malformed {
        api: target.words(),
        status,
        what: what.into(),
    }
}

fn object(target: &Target, status: u16, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(malformed(target, status, "not a JSON object")),
        Err(e) => Err(malformed(target, status, format!("not JSON: {e}"))),
    }
}

/// A whsec secret from member `key`, checked as Dataspike's format (never shown in errors).
fn secret_member(
    target: &Target,
    status: u16,
    m: &Map<String, Value>,
    key: &str,
) -> Result<SecretText, ApiError> {
    let text = match m.get(key) {
        Some(Value::String(s)) => s.trim(),
        Some(_) => {
            return Err(malformed(
                target,
                status,
                format!("'{key}' is not a string"),
            ))
        }
        None => return Err(malformed(target, status, format!("'{key}' is missing"))),
    };
    crate::signature::Secret::parse(text).map_err(|e| {
        malformed(
            target,
            status,
            format!("'{key}' is not a Dataspike signing secret: {e}"),
        )
    })?;
    Ok(SecretText::new(text))
}

fn unknown(m: &Map<String, Value>, known: &[&str]) -> Vec<String> {
    m.keys()
        .filter(|k| !known.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// Reads a create answer: `{"id", "hmac_signing_secret"}`.
pub fn parse_created(target: &Target, status: u16, body: &[u8]) -> Result<Created, ApiError> {
    let m = object(target, status, body)?;
    let id = match m.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(_) => return Err(malformed(target, status, "'id' is not a non-empty string")),
        None => return Err(malformed(target, status, "'id' is missing")),
    };
    let secret = secret_member(target, status, &m, "hmac_signing_secret")?;
    Ok(Created {
        id,
        secret,
        not_understood: unknown(&m, &["id", "hmac_signing_secret"]),
    })
}

/// Reads a rotate answer: `{"hmac_signing_secret"}`.
pub fn parse_rotated(target: &Target, status: u16, body: &[u8]) -> Result<Rotated, ApiError> {
    let m = object(target, status, body)?;
    let secret = secret_member(target, status, &m, "hmac_signing_secret")?;
    Ok(Rotated {
        secret,
        not_understood: unknown(&m, &["hmac_signing_secret"]),
    })
}

/// Reads a history page: `{"data": [...], "has_next"}` (a missing `has_next` is the last page).
pub fn parse_history(target: &Target, status: u16, body: &[u8]) -> Result<HistoryPage, ApiError> {
    let m = object(target, status, body)?;
    let data = match m.get("data") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(malformed(target, status, "'data' is not a list")),
        None => return Err(malformed(target, status, "'data' is missing")),
    };
    let has_next = match m.get("has_next") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => false,
        Some(_) => return Err(malformed(target, status, "'has_next' is not true or false")),
    };
    let mut entries = Vec::with_capacity(data.len());
    for (i, e) in data.iter().enumerate() {
        let Value::Object(e) = e else {
            return Err(malformed(
                target,
                status,
                format!("data[{i}] is not an object"),
            ));
        };
        let id = match e.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(malformed(
                    target,
                    status,
                    format!("data[{i}].id is missing"),
                ))
            }
        };
        let text = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let mut envelope = Map::new();
        for k in ENVELOPE {
            if let Some(v) = e.get(k) {
                envelope.insert(k.to_string(), v.clone());
            }
        }
        let body = serde_json::to_vec(&Value::Object(envelope)).expect("JSON values serialise");
        let delivery: Map<String, Value> = e
            .iter()
            .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        entries.push(HistoryEntry {
            id,
            webhook_id: text("webhook_id"),
            event_type: text("event_type"),
            timestamp: text("timestamp"),
            body,
            delivery,
        });
    }
    Ok(HistoryPage { entries, has_next })
}

/// The history's path and query: `webhook` and `after` (see the module's notes).
pub fn history_path(webhook: Option<&str>, after: Option<&str>) -> String {
    let mut q = Vec::new();
    if let Some(w) = webhook {
        q.push(format!("webhook={}", encode(w)));
    }
    if let Some(a) = after {
        q.push(format!("after={}", encode(a)));
    }
    let mut p = "/api/v3/notifications/webhook/history".to_string();
    if !q.is_empty() {
        p.push('?');
        p.push_str(&q.join("&"));
    }
    p
}

/// The rotate path of webhook `id`.
pub fn rotate_path(id: &str) -> String {
    format!("/api/v3/organization/webhooks/{}/hmac/rotate", encode(id))
}

/// The create path.
pub const CREATE_PATH: &str = "/api/v3/organization/webhooks";

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// How long to wait before try `n` (1-based retry count): `base`, doubling.
fn backoff(base: Duration, n: u32) -> Duration {
    base.saturating_mul(1u32 << n.saturating_sub(1).min(6))
}

/// The client: the API's target, the token, and the one egress client.
#[derive(Clone)]
pub struct Client {
    http: crate::egress::Client,
    target: Target,
    token: Token,
    timeout: Duration,
    /// Tries after the first, for 5xx, timeouts and no connection.
    retries: u32,
    /// The first wait between tries, doubling.
    backoff: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client leaving through `egress`, each call answered within `timeout`.
    pub fn new(
        target: Target,
        token: Token,
        egress: &crate::egress::Egress,
        tls: &rustls::ClientConfig,
        timeout: Duration,
        backoff: Duration,
    ) -> Client {
        let builder =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
        Client {
            http: egress.client(tls, timeout, &builder),
            target,
            token,
            timeout,
            retries: 3,
            backoff,
        }
    }

    /// Where it calls.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Creates a webhook.
    pub async fn create(&self, req: &CreateWebhook) -> Result<Created, ApiError> {
        let body = serde_json::to_vec(&req.body()).expect("JSON values serialise");
        let (status, answer) = self
            .call(Method::POST, CREATE_PATH, Some(body), Call::Create)
            .await?;
        parse_created(&self.target, status, &answer)
    }

    /// Rotates webhook `id`'s secret.
    pub async fn rotate(&self, id: &str) -> Result<Rotated, ApiError> {
        let (status, answer) = self
            .call(
                Method::POST,
                &rotate_path(id),
                None,
                Call::Rotate(id.to_string()),
            )
            .await?;
        parse_rotated(&self.target, status, &answer)
    }

    /// One history page.
    pub async fn history(
        &self,
        webhook: Option<&str>,
        after: Option<&str>,
    ) -> Result<HistoryPage, ApiError> {
        let (status, answer) = self
            .call(
                Method::GET,
                &history_path(webhook, after),
                None,
                Call::History,
            )
            .await?;
        parse_history(&self.target, status, &answer)
    }

    /// Sends one call, retrying what is safe to: 5xx, timeouts and failed connections with
    /// backoff, 429 after its `Retry-After`. Returns a 2xx answer's status and body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        call: Call,
    ) -> Result<(u16, Bytes), ApiError> {
        let api = self.target.words();
        let tries_text = |n: u32| match n {
            1 => "once".to_string(),
            n => format!("in {n} tries"),
        };
        let mut tries = 0u32;
        loop {
            tries += 1;
            let last = tries > self.retries;
            let mut req = Request::builder()
                .method(method.clone())
                .uri(self.target.url(path))
                .header("ds-api-token", self.token.value.clone())
                .header(http::header::ACCEPT, "application/json")
                .header(
                    http::header::USER_AGENT,
                    concat!("hookscope/", env!("CARGO_PKG_VERSION")),
                );
            if body.is_some() {
                req = req.header(http::header::CONTENT_TYPE, "application/json");
            }
            let req = req
                .body(Full::new(Bytes::from(body.clone().unwrap_or_default())))
                .map_err(|e| ApiError::Unreachable {
                    api: api.clone(),
                    url: self.target.base.clone(),
                    detail: format!("cannot build the request: {e}"),
                })?;
            let exchange = async {
                let resp = self.http.request(req).await?;
                let status = resp.status();
                let retry_after = resp
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let bytes = http_body_util::Limited::new(resp.into_body(), MAX_ANSWER)
                    .collect()
                    .await
                    .map(|c| c.to_bytes());
                Ok::<_, crate::egress::RequestError>((status, retry_after, bytes))
            };
            let outcome = tokio::time::timeout(self.timeout, exchange).await;
            let (status, retry_after, bytes) = match outcome {
                Err(_) => {
                    if last || !call.safe_to_repeat_after(None) {
                        return Err(ApiError::Timeout {
                            api,
                            timeout_s: self.timeout.as_secs().max(1),
                            tries: tries_text(tries),
                            maybe_done: !call.safe_to_repeat_after(None),
                        });
                    }
                    tracing::warn!(
                        "{api} did not answer within {:?}; trying again",
                        self.timeout
                    );
                    tokio::time::sleep(backoff(self.backoff, tries)).await;
                    continue;
                }
                Ok(Err(e)) => {
                    let detail = match &e {
                        crate::egress::RequestError::Client(c) => match crate::tls::untrusted_in(c)
                        {
                            Some(u) => format!("{}; {}", u.describe(&api), u.fix(&api)),
                            None => crate::egress::error_chain(c),
                        },
                        other => other.to_string(),
                    };
                    // A refused connection never reached the API: safe to try again.
                    if last {
                        return Err(ApiError::Unreachable {
                            api,
                            url: self.target.base.clone(),
                            detail: format!("{detail} ({})", tries_text(tries)),
                        });
                    }
                    tracing::warn!("cannot reach {api}: {detail}; trying again");
                    tokio::time::sleep(backoff(self.backoff, tries)).await;
                    continue;
                }
                Ok(Ok(x)) => x,
            };
            let code = status.as_u16();
            let bytes = match bytes {
                Ok(b) => b,
                Err(e) => {
                    return Err(malformed(
                        &self.target,
                        code,
                        format!("the answer could not be read: {e}"),
                    ))
                }
            };
            if status.is_success() {
                return Ok((code, bytes));
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after
                    .map(Duration::from_secs)
                    .unwrap_or(backoff(self.backoff, tries));
                if last || wait > MAX_RETRY_AFTER {
                    return Err(ApiError::RateLimited { api, retry_after });
                }
                tracing::warn!("{api} answered 429; waiting {wait:?} as it asks");
                tokio::time::sleep(wait).await;
                continue;
            }
            if status.is_server_error() {
                if last || !call.safe_to_repeat_after(Some(code)) {
                    return Err(ApiError::Server {
                        api,
                        status: code,
                        tries: tries_text(tries),
                        maybe_done: !call.safe_to_repeat_after(Some(code)),
                    });
                }
                tracing::warn!("{api} answered {code}; trying again");
                tokio::time::sleep(backoff(self.backoff, tries)).await;
                continue;
            }
            return Err(classify(&self.target, &call, code, &bytes));
        }
    }
}

#[cfg(test)]
mod tests;
