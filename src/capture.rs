//! Domain types for one captured delivery. No I/O here.

use serde::Serialize;
use serde_json::{json, Value};

use crate::headers::{header_value, HeaderPair};
use crate::signature::{Diagnostics, Scheme, Verdict};

/// Row id of a capture in the store.
pub(crate) type CaptureId = i64;

/// Where a capture came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// Received by `hookscope listen`.
    #[default]
    Live,
    /// Loaded from a fixture or HAR file by `hookscope import`.
    Imported,
    /// A probe `hookscope check` sent to an endpoint (its answer is the attempt).
    Check,
    /// Received by a `hookscope relay` and streamed to `listen --relay` (see [`RelayOrigin`]).
    Relay,
    /// Pulled from Dataspike's webhook history by `hookscope dataspike history`: the event as
    /// Dataspike reports it (JSON), not the bytes it sent, so it carries no signature; its
    /// authenticity comes from the API (token over TLS). See [`DataspikeDelivery`].
    Dataspike,
}

impl Source {
    /// Every source, in the order they are listed to a user.
    pub(crate) const ALL: [Source; 5] = [
        Source::Live,
        Source::Relay,
        Source::Imported,
        Source::Check,
        Source::Dataspike,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::Live => "live",
            Source::Imported => "imported",
            Source::Check => "check",
            Source::Relay => "relay",
            Source::Dataspike => "dataspike",
        }
    }

    pub(crate) fn parse(s: &str) -> Source {
        match s {
            "imported" => Source::Imported,
            "check" => Source::Check,
            "relay" => Source::Relay,
            "dataspike" => Source::Dataspike,
            _ => Source::Live,
        }
    }
}

/// Facts read from a Dataspike JSON envelope, when the body is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventInfo {
    /// The envelope's `type` (`DOCVER`, `AML_SCREENING`, ...); `None` when the body has none or is not JSON.
    pub event_type: Option<String>,
    /// The envelope's `id`, the sender's id for this event; `None` when absent.
    pub event_id: Option<String>,
}

impl EventInfo {
    /// Reads `event_type` and `id` from a JSON object body. Anything else (not JSON, not UTF-8,
    /// not an object, other field types) yields nothing: the body is kept as it is either way.
    pub fn inspect(body: &[u8]) -> EventInfo {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return EventInfo::default();
        }
        // The whole body is checked as strictly as parsing it into a `Value` would (every
        // string's UTF-8 and escapes, every number's range, nesting depth), but without building
        // one: only the two members read are kept. Skipping members with serde's `IgnoredAny`
        // instead let invalid UTF-8 or a lone surrogate in, say, the payload pass for JSON
        // (found by the `body_inspect` fuzz target).
        serde_json::from_slice::<Envelope>(body)
            .map(|e| EventInfo {
                event_type: match e.event_type {
                    Member::Text(s) => Some(s),
                    _ => None,
                },
                event_id: match e.id {
                    Member::Text(s) => Some(s),
                    Member::Number(n) => Some(n.to_string()),
                    Member::Other => None,
                },
            })
            .unwrap_or_default()
    }
}

/// The members of a JSON object body that [`EventInfo::inspect`] reads; the last of a
/// repeated member counts, as in a `Value`.
struct Envelope {
    event_type: Member,
    id: Member,
}

/// A member's value, as far as inspect cares.
enum Member {
    Text(String),
    Number(serde_json::Number),
    Other,
}

/// Any JSON value, checked through and dropped.
struct Checked;

impl<'de> serde::Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Envelope;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Envelope, A::Error> {
                let mut env = Envelope {
                    event_type: Member::Other,
                    id: Member::Other,
                };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "event_type" => env.event_type = map.next_value()?,
                        "id" => env.id = map.next_value()?,
                        _ => {
                            map.next_value::<Checked>()?;
                        }
                    }
                }
                Ok(env)
            }
        }
        d.deserialize_map(Visit)
    }
}

impl<'de> serde::Deserialize<'de> for Member {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Member;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Member, E> {
                Ok(Member::Text(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Member, E> {
                Ok(Member::Number(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Member, E> {
                Ok(Member::Number(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Member, E> {
                Ok(serde_json::Number::from_f64(v).map_or(Member::Other, Member::Number))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Member, E> {
                Ok(Member::Other)
            }
            fn visit_unit<E>(self) -> Result<Member, E> {
                Ok(Member::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Member, A::Error> {
                Checked::visit_seq(seq).map(|_| Member::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Member, A::Error> {
                Checked::visit_map(map).map(|_| Member::Other)
            }
        }
        d.deserialize_any(Visit)
    }
}

impl Checked {
    fn visit_seq<'de, A: serde::de::SeqAccess<'de>>(mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Checked;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            // Strings come here already checked (UTF-8, escapes), numbers already parsed.
            fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_unit<E>(self) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Checked, A::Error> {
                Checked::visit_seq(seq)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Checked, A::Error> {
                Checked::visit_map(map)
            }
        }
        d.deserialize_any(Visit)
    }
}

/// Why a request was not accepted whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status the sender got (413, 408, ...).
    pub status: u16,
    pub(crate) reason: String,
}

impl Rejection {
    /// The limit to raise so such a delivery is kept whole.
    pub(crate) fn hint(&self) -> Option<crate::hint::Hint> {
        use crate::hint::{Hint, Limit};
        match self.status {
            413 => Some(Hint::Limit(Limit::MaxBody)),
            408 => Some(Hint::Limit(Limit::ReadTimeout)),
            _ => None,
        }
    }

    /// The reason, and what to do about it in the surface's `words`.
    pub(crate) fn text(&self, words: crate::hint::Words) -> String {
        match self.hint() {
            Some(h) => format!("{} ({})", self.reason, words(h)),
            None => self.reason.clone(),
        }
    }
}

/// A request exactly as it arrived: the one shape a delivery has wherever it is, as the
/// listener or the relay received it (`intake::Received`, `relay::protocol::Delivery`) and as
/// it is stored (`Capture`). Moving a delivery from one to the next moves this whole.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawRequest {
    /// The HTTP method as sent (`POST`).
    pub method: String,
    /// Starts with `/`.
    pub path: String,
    /// Without the `?`, still percent-encoded.
    pub query: Option<String>,
    /// In received order, names and values exactly as sent.
    pub headers: Vec<HeaderPair>,
    /// The body bytes exactly as received (only the first bytes when it was too large).
    pub body: Vec<u8>,
    /// How many body bytes the sender sent before reading stopped (>= `body.len()`).
    pub body_size: u64,
}

impl RawRequest {
    /// A whole request: its body's size is its length.
    pub fn whole(method: &str, path: &str, headers: Vec<HeaderPair>, body: Vec<u8>) -> RawRequest {
        RawRequest {
            method: method.to_string(),
            path: path.to_string(),
            query: None,
            headers,
            body_size: body.len() as u64,
            body,
        }
    }
}

/// Everything hookscope knows about one delivery: its request, and what became of it. Reads
/// of the request's fields go through (`capture.headers`), as a capture is its request first.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// The request as received.
    pub request: RawRequest,
    /// Milliseconds since the Unix epoch, UTC.
    pub received_at_ms: i64,
    /// Whether the body was cut at the size limit (`request.body` holds only its first bytes).
    pub truncated: bool,
    /// Why the listener refused it (413, 408, 400), with the status the sender got; `None`: accepted.
    pub rejected: Option<Rejection>,
    /// The sender's address (`ip:port`); `None` for imports and relayed captures without one.
    pub peer: Option<String>,
    /// How it got into the store: listener, probe, import or relay.
    pub source: Source,
    /// Where a relayed capture came from; `Some` exactly when `source` is [`Source::Relay`].
    pub relay: Option<RelayOrigin>,
    /// Dataspike's facts about a delivery pulled from its history; `Some` exactly when
    /// `source` is [`Source::Dataspike`].
    pub dataspike: Option<DataspikeDelivery>,
    /// Event type and id read from the body.
    pub event: EventInfo,
    /// The signature check's outcome at capture time.
    pub verdict: Verdict,
    /// What the check saw (headers, timestamps), for `show`; `None` when nothing was checked.
    pub diagnostics: Option<Diagnostics>,
    /// The route that forwarded it (`hookscope.toml`'s name or prefix); `None`: no route took
    /// it, or nothing was forwarded.
    pub route: Option<String>,
    /// The sender's id for the event this delivers, the same on each redelivery
    /// ([`crate::redelivery::event_key`]); `None` when the sender gives none, for imports and
    /// probes, and for captures stored before schema 9.
    pub event_key: Option<String>,
    /// How the listener answered the sender; `None` when it did not (imports, probes, relayed
    /// deliveries, a refused request: see `rejected`) or for captures stored before schema 9.
    pub answered: Option<Answered>,
}

/// How the listener answered a delivery's sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// A status chosen in advance, given after a delay, instead of forwarding (the first
    /// deliveries of each event: `crate::chosen`).
    Chosen {
        /// The status given.
        status: u16,
        /// Waited after the commit before answering, in milliseconds.
        delay_ms: u64,
    },
    /// 200 once stored (no route took it, or the app is not waited for).
    Ack,
    /// The app's answer, passed back (the forward attempt's status; 502 or 504 without one).
    App,
}

impl Answered {
    /// The stored word: `chosen`, `ack`, `app`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Answered::Chosen { .. } => "chosen",
            Answered::Ack => "ack",
            Answered::App => "app",
        }
    }

    /// The status the store keeps beside the word (the app's is in its attempt).
    pub(crate) fn stored_status(self) -> Option<u16> {
        match self {
            Answered::Chosen { status, .. } => Some(status),
            Answered::Ack => Some(200),
            Answered::App => None,
        }
    }

    /// `{"by": "chosen", "status": 503, "delay_ms": 0}`; the app's status is its attempt's.
    pub(crate) fn to_json(self) -> Value {
        match self {
            Answered::Chosen { status, delay_ms } => {
                json!({"by": "chosen", "status": status, "delay_ms": delay_ms})
            }
            Answered::Ack => json!({"by": "ack", "status": 200}),
            Answered::App => json!({"by": "app"}),
        }
    }

    /// Read back from the store's three columns; an unknown word is nothing.
    pub(crate) fn from_stored(
        by: Option<&str>,
        status: Option<u16>,
        delay_ms: Option<i64>,
    ) -> Option<Answered> {
        match by? {
            "chosen" => Some(Answered::Chosen {
                status: status?,
                delay_ms: delay_ms.unwrap_or(0).max(0) as u64,
            }),
            "ack" => Some(Answered::Ack),
            "app" => Some(Answered::App),
            _ => None,
        }
    }
}

/// What Dataspike's webhook history says about one delivery (`hookscope dataspike history`).
/// The members it recognises are read out; `facts` keeps every delivery member exactly as
/// Dataspike reported it, the ones not understood included.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataspikeDelivery {
    /// The API base URL it was pulled from (the environment).
    pub api: String,
    /// The history entry's id (the event's id).
    pub entry_id: String,
    /// The webhook it was delivered to, when the entry says.
    pub webhook_id: Option<String>,
    /// How many times Dataspike tried.
    pub attempts: Option<i64>,
    /// What the endpoint last answered Dataspike.
    pub response_code: Option<u16>,
    /// When Dataspike last tried, as it wrote it.
    pub last_attempt_at: Option<String>,
    /// Whether Dataspike's delivery failed, when its members say.
    pub failed: Option<bool>,
    /// The entry's delivery members as a JSON object, exactly as received.
    pub facts: String,
}

impl DataspikeDelivery {
    /// The label every surface shows with such a capture.
    pub const LABEL: &'static str =
        "from Dataspike's history: the JSON as Dataspike reports it, not the bytes it sent";

    /// `{api, entry_id, webhook_id, attempts, response_code, last_attempt_at, failed, facts}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "api": self.api,
            "entry_id": self.entry_id,
            "webhook_id": self.webhook_id,
            "attempts": self.attempts,
            "response_code": self.response_code,
            "last_attempt_at": self.last_attempt_at,
            "failed": self.failed,
            "facts": serde_json::from_str::<serde_json::Value>(&self.facts).unwrap_or(serde_json::Value::Null),
            "label": Self::LABEL,
        })
    }

    /// "Dataspike tried 3 times, last at 2024-..., endpoint answered 500 (failed)".
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.attempts {
            parts.push(format!(
                "Dataspike tried {}",
                crate::text::count(n.max(0) as u64, "time")
            ));
        }
        if let Some(at) = &self.last_attempt_at {
            parts.push(format!("last at {at}"));
        }
        match self.response_code {
            Some(c) => parts.push(format!("the endpoint answered {c}")),
            None => parts.push("no answer code reported".into()),
        }
        match self.failed {
            Some(true) => parts.push("failed".into()),
            Some(false) => parts.push("delivered".into()),
            None => {}
        }
        parts.join(", ")
    }
}

/// A relayed delivery's place at the relay. `channel` + `seq` identify it everywhere: the
/// channel id is 128 random bits, so it names its relay too, and the store keeps at most one
/// capture per pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayOrigin {
    /// The relay's base URL as `listen --relay` reached it.
    pub(crate) url: String,
    pub(crate) channel: String,
    pub(crate) seq: u64,
    /// When the relay received it (ms since the Unix epoch, UTC); its signature's timestamp is
    /// judged as of this time, not as of when the laptop picked it up.
    pub(crate) received_at_ms: i64,
    /// The relay's own verdict on arrival, when its channel checks signatures.
    pub(crate) verdict: Option<String>,
}

impl std::ops::Deref for Capture {
    type Target = RawRequest;

    fn deref(&self) -> &RawRequest {
        &self.request
    }
}

impl std::ops::DerefMut for Capture {
    fn deref_mut(&mut self) -> &mut RawRequest {
        &mut self.request
    }
}

impl Capture {
    /// A whole delivery as received and not yet verified: the body's size and Dataspike event
    /// are read from the body; no query, peer or rejection.
    pub fn new(
        received_at_ms: i64,
        method: &str,
        path: &str,
        headers: Vec<HeaderPair>,
        body: Vec<u8>,
    ) -> Capture {
        Capture::of(
            RawRequest::whole(method, path, headers, body),
            received_at_ms,
        )
    }

    /// `request`, received at `received_at_ms`, not yet verified: its Dataspike event is read
    /// from the body; no peer or rejection.
    pub fn of(request: RawRequest, received_at_ms: i64) -> Capture {
        Capture {
            event: EventInfo::inspect(&request.body),
            truncated: false,
            request,
            received_at_ms,
            rejected: None,
            peer: None,
            source: Source::Live,
            relay: None,
            dataspike: None,
            // Not checked yet: the caller verifies and replaces this.
            verdict: Verdict::Unverified {
                scheme: Scheme::default(),
            },
            diagnostics: None,
            route: None,
            event_key: None,
            answered: None,
        }
    }

    /// First value of a header, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        header_value(&self.headers, name)
    }

    pub(crate) fn summary(&self, id: CaptureId) -> CaptureSummary {
        CaptureSummary {
            id,
            received_at_ms: self.received_at_ms,
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            event_type: self.event.event_type.clone(),
            event_id: self.event.event_id.clone(),
            body_size: self.body_size,
            truncated: self.truncated,
            rejected: self.rejected.clone(),
            source: self.source,
            verdict: self.verdict.clone(),
            latest_attempt: None,
            route: self.route.clone(),
            event_key: self.event_key.clone(),
            answered: self.answered,
            delivery: None,
        }
    }

    /// Path plus `?query`, as it appeared on the request line.
    pub(crate) fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{}", self.path, q),
            None => self.path.clone(),
        }
    }
}

/// The latest forward or replay of a capture, as shown in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptBrief {
    pub(crate) status: Option<u16>,
    pub(crate) latency_ms: Option<u64>,
    pub(crate) error: Option<String>,
}

/// Whether the app's answer means it took the delivery: any 2xx. The one rule for forward,
/// replay and send, in the CLI and the TUI.
pub(crate) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// One row of `list`: everything but headers and body.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureSummary {
    /// The capture's row id in the store.
    pub id: CaptureId,
    pub(crate) received_at_ms: i64,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) event_type: Option<String>,
    pub(crate) event_id: Option<String>,
    pub(crate) body_size: u64,
    pub(crate) truncated: bool,
    pub(crate) rejected: Option<Rejection>,
    pub(crate) source: Source,
    pub(crate) verdict: Verdict,
    pub(crate) latest_attempt: Option<AttemptBrief>,
    /// As [`Capture::route`].
    pub(crate) route: Option<String>,
    /// As [`Capture::event_key`].
    pub(crate) event_key: Option<String>,
    /// As [`Capture::answered`].
    pub(crate) answered: Option<Answered>,
    /// Which delivery of its event this is, and how many are stored (`(2, 3)`), as read from
    /// the store; `None` without an event key, or not read (a live report).
    pub(crate) delivery: Option<(u32, u32)>,
}

impl CaptureSummary {
    /// The path and query, after the capture's source when it is not a live delivery
    /// (`[check] /hook`), so a probe, an import or a relayed capture is told apart from what a
    /// sender sent here, in `list` and the TUI's list alike.
    pub(crate) fn sourced_path(&self) -> String {
        let path = match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        };
        match self.source {
            Source::Live => path,
            other => format!("[{}] {path}", other.as_str()),
        }
    }

    /// The object `list --json` and `listen --json` print for one capture.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "received_at": rfc3339_ms(self.received_at_ms),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "event_type": self.event_type,
            "event_id": self.event_id,
            "body_size": self.body_size,
            "truncated": self.truncated,
            "rejected": self.rejected.as_ref().map(|r| json!({"status": r.status, "reason": r.reason})),
            "source": self.source.as_str(),
            "verdict": self.verdict.to_json(),
            "latest_attempt": self.latest_attempt,
            "route": self.route,
            "event_key": self.event_key,
            "answered": self.answered.map(Answered::to_json),
            "delivery": self.delivery.map(|(n, of)| json!({"n": n, "of": of})),
        })
    }
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-28T03:16:04.123Z`.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => format!("invalid-time({ms})"),
    }
}

/// Current time in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_are_numbered_among_themselves_as_compare_counts_them() {
        let a = |kind| Attempt {
            capture_id: 1,
            kind,
            at_ms: 0,
            target: String::new(),
            resigned: false,
            sent_body: None,
            sent_headers: None,
            status: Some(200),
            response_headers: Vec::new(),
            response_body: Vec::new(),
            response_truncated: false,
            latency_ms: None,
            error: None,
        };
        let attempts = [
            a(AttemptKind::Forward),
            a(AttemptKind::Replay),
            a(AttemptKind::Forward),
            a(AttemptKind::Replay),
        ];
        assert_eq!(
            attempt_names(&attempts),
            ["forward", "replay 1", "forward", "replay 2"]
        );
    }

    #[test]
    fn success_is_any_2xx() {
        assert!(is_success(200) && is_success(204) && is_success(299));
        assert!(!is_success(199) && !is_success(301) && !is_success(500));
    }

    /// What inspect read before it stopped building a `Value`: the reference it must agree with.
    fn inspect_by_value(body: &[u8]) -> EventInfo {
        let Ok(Value::Object(mut env)) = serde_json::from_slice::<Value>(body) else {
            return EventInfo::default();
        };
        EventInfo {
            event_type: match env.remove("event_type") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
            event_id: match env.remove("id") {
                Some(Value::String(s)) => Some(s),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            },
        }
    }

    #[test]
    fn inspect_agrees_with_a_value_parse() {
        let deep_ok = format!(
            "{{\"event_type\":\"A\",\"x\":{}1{}}}",
            "[".repeat(100),
            "]".repeat(100)
        );
        let too_deep = format!(
            "{{\"event_type\":\"A\",\"x\":{}1{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        let bodies: Vec<&[u8]> = vec![
            br#"{"event_type":"A","id":"x"}"#,
            br#"{"event_type":"A","event_type":"B","id":1,"id":"two"}"#,
            br#"{"event_type":"A","event_type":7}"#,
            br#"{"id":1.5e3,"event_type":"\u0041\n"}"#,
            br#"{"id":-12,"event_type":["A"]}"#,
            br#"{"id":{"a":1},"event_type":{"x":"y"}}"#,
            br#"{"event_type":"A","big":1e400}"#,
            br#"{"event_type":"A","s":"\ud800"}"#,
            br#"{"event_type":"A","s":"\ud83d\ude00","n":null,"b":true}"#,
            br#"{"event_type":"A"} x"#,
            br#"{"event_type":"A",}"#,
            b"{\"event_type\":\"A\",\"s\":\"\xff\"}",
            b"{\"event_type\":\"A\",\"s\":\"a\tb\"}",
            br#"{"payload":{"event_type":"inner"},"event_type":"outer"}"#,
            br#"[{"event_type":"A"}]"#,
            deep_ok.as_bytes(),
            too_deep.as_bytes(),
        ];
        for body in bodies {
            assert_eq!(
                EventInfo::inspect(body),
                inspect_by_value(body),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn inspect_reads_dataspike_envelope() {
        let body = br#"{"id":"abc","webhook_id":"w","event_type":"DOCVER","payload":{"x":[1,2]}}"#;
        let info = EventInfo::inspect(body);
        assert_eq!(info.event_type.as_deref(), Some("DOCVER"));
        assert_eq!(info.event_id.as_deref(), Some("abc"));
    }

    #[test]
    fn inspect_tolerates_anything_else() {
        for body in [
            &b""[..],
            b"not json",
            b"[1,2,3]",
            b"{\"event_type\": 5}",
            b"{broken",
            b"\xff\xfe\x00{",
            b"  {\"event_type\":\"AML\"",
        ] {
            let info = EventInfo::inspect(body);
            assert_eq!(info.event_type, None, "body {:?}", body);
        }
        let info = EventInfo::inspect(b" {\"id\": 42, \"event_type\": null}");
        assert_eq!(info.event_id.as_deref(), Some("42"));
        assert_eq!(info.event_type, None);
    }

    #[test]
    fn inspect_rejects_invalid_utf8_anywhere() {
        // Regression (fuzz/regressions/body_inspect/non_utf8_in_ignored_member): invalid UTF-8
        // or a lone surrogate in a member that inspect skips made the body pass for JSON.
        for body in [
            &b"{\"event_type\":\"DOCVER\",\"id\":\"a\",\"payload\":{\"external\xdfid\":1}}"[..],
            b"{\"event_type\":\"DOCVER\",\"id\":\"a\",\"payload\":\"\xff\"}",
            b"{\"event_type\":\"DOCVER\",\"id\":\"a\",\"payload\":\"\\ud800\"}",
        ] {
            assert_eq!(EventInfo::inspect(body), EventInfo::default(), "{body:?}");
        }
        let info = EventInfo::inspect("{\"event_type\":\"DOCVER\",\"note\":\"é\"}".as_bytes());
        assert_eq!(info.event_type.as_deref(), Some("DOCVER"));
    }

    #[test]
    fn rfc3339_has_millis_and_z() {
        assert_eq!(rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}

/// Row id of a forward or replay attempt.
pub(crate) type AttemptId = i64;

/// Why an attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// `listen --forward-to` passing a live delivery on.
    Forward,
    /// `hookscope replay` or the TUI's replay keys.
    Replay,
    /// A probe sent by `hookscope check`.
    Check,
}

impl AttemptKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Forward => "forward",
            AttemptKind::Replay => "replay",
            AttemptKind::Check => "check",
        }
    }

    pub(crate) fn parse(s: &str) -> AttemptKind {
        match s {
            "replay" => AttemptKind::Replay,
            "check" => AttemptKind::Check,
            _ => AttemptKind::Forward,
        }
    }
}

/// One forward or replay of a capture to the developer's app, and what the app answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The capture this attempt sent.
    pub capture_id: CaptureId,
    /// Live forward or replay.
    pub kind: AttemptKind,
    /// Milliseconds since the Unix epoch when the request was sent.
    pub at_ms: i64,
    /// Full URL the request went to.
    pub target: String,
    /// Whether the signature header(s) were replaced with fresh ones.
    pub resigned: bool,
    /// The body sent, when it differs from the capture's (edit-and-replay).
    pub sent_body: Option<Vec<u8>>,
    /// The headers a replay sent (re-signed, `-H`, hop-by-hop dropped), in order; `None` for a
    /// live forward (the capture's own, hop-by-hop dropped) and attempts stored before
    /// schema version 6.
    pub sent_headers: Option<Vec<HeaderPair>>,
    /// The app's HTTP status; `None` when no response came (see `error`).
    pub status: Option<u16>,
    /// The app's response headers, in order.
    pub response_headers: Vec<HeaderPair>,
    /// The app's response body, at most `MAX_STORED_RESPONSE_BODY` bytes.
    pub response_body: Vec<u8>,
    /// Whether `response_body` was cut at the stored limit.
    pub response_truncated: bool,
    /// Time from sending to the whole answer, in milliseconds; `None` when no response came.
    pub latency_ms: Option<u64>,
    /// Why no response came (connection refused, timeout, ...).
    pub error: Option<String>,
}

/// What each of a capture's attempts is called wherever attempts are listed (`show`, the
/// TUI's Attempts tab) and compared (`diff --replay N`, the compare screen): `forward`,
/// `check`, and replays numbered among themselves from 1, `replay 2`, as `--replay N` counts.
pub(crate) fn attempt_names(attempts: &[Attempt]) -> Vec<String> {
    let mut replays = 0;
    attempts
        .iter()
        .map(|a| match a.kind {
            AttemptKind::Replay => {
                replays += 1;
                format!("replay {replays}")
            }
            kind => kind.as_str().to_string(),
        })
        .collect()
}

/// Cap on a stored app response body; the rest is dropped and `response_truncated` set.
pub(crate) const MAX_STORED_RESPONSE_BODY: usize = 1024 * 1024;

impl Attempt {
    pub(crate) fn succeeded(&self) -> bool {
        self.status.is_some_and(is_success)
    }

    pub(crate) fn brief(&self) -> AttemptBrief {
        AttemptBrief {
            status: self.status,
            latency_ms: self.latency_ms,
            error: self.error.clone(),
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        json!({
            "kind": self.kind.as_str(),
            "at": rfc3339_ms(self.at_ms),
            "target": self.target,
            "resigned": self.resigned,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "error": self.error,
            "response_headers": headers_json(&self.response_headers),
            "response_body": String::from_utf8_lossy(&self.response_body),
            "response_body_base64": b64.encode(&self.response_body),
            "response_truncated": self.response_truncated,
            "sent_body_base64": self.sent_body.as_ref().map(|b| b64.encode(b)),
            "edited_body": self.sent_body.is_some(),
            "sent_headers": self.sent_headers.as_deref().map(headers_json),
        })
    }
}

/// Headers as `[[name, value], ...]`, non-UTF-8 bytes replaced.
pub(crate) fn headers_json(headers: &[HeaderPair]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|(n, v)| {
                json!([
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(v).into_owned()
                ])
            })
            .collect(),
    )
}
