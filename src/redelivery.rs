//! Redeliveries of one event, linked: the sender's id for the event a delivery carries
//! ([`event_key`]; the same on each redelivery), and the schedule the sender followed for one
//! event ([`Schedule`]: its deliveries, the gaps between them, and what each was answered).
//!
//! Pure: the store finds an event's deliveries by the key; `show`, `retries`, the TUI and
//! `replay` on a schedule read them through these types. Names no flag.

use serde_json::{json, Value};

use crate::capture::{rfc3339_ms, Answered, EventInfo, RawRequest};
use crate::headers::header_value;

/// Longest event key kept: a sender's ids are short; anything longer is not one.
const MAX_KEY_LEN: usize = 200;

/// The sender's id for the event `request` delivers, by the first rule that finds one:
/// Standard Webhooks' `webhook-id` (or Svix's `svix-id`), GitHub's `X-GitHub-Delivery`,
/// Shopify's `X-Shopify-Webhook-Id`, Slack's `event_id` in an Events API body (a request
/// that carries `X-Slack-Signature`), else the body's `id` (Dataspike's envelope, Stripe's
/// event), as [`EventInfo`] read it. A value that is empty, not UTF-8, longer than 200
/// bytes or holds control characters is no key.
pub fn event_key(request: &RawRequest, event: &EventInfo) -> Option<String> {
    const HEADERS: [&str; 4] = [
        "webhook-id",
        "svix-id",
        "x-github-delivery",
        "x-shopify-webhook-id",
    ];
    for name in HEADERS {
        if let Some(key) = header_value(&request.headers, name).and_then(key_from_bytes) {
            return Some(key);
        }
    }
    if header_value(&request.headers, "x-slack-signature").is_some() {
        if let Some(key) = slack_event_id(&request.body) {
            return Some(key);
        }
    }
    event
        .event_id
        .as_deref()
        .and_then(|id| key_from_bytes(id.as_bytes()))
}

fn key_from_bytes(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let ok = !text.is_empty() && text.len() <= MAX_KEY_LEN && !text.chars().any(char::is_control);
    ok.then(|| text.to_string())
}

/// An Events API body's `event_id` (`Ev...`); slash commands and interactions have none.
fn slack_event_id(body: &[u8]) -> Option<String> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    key_from_bytes(value.get("event_id")?.as_str()?.as_bytes())
}

/// Who gave a delivery's answer, as `retries` and `show` word it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnsweredBy {
    /// hookscope, by choice (a chosen status).
    Chosen,
    /// hookscope, acknowledging once stored.
    Ack,
    /// The app, its answer passed back (or the gateway status when it gave none).
    App,
    /// hookscope refused the request (too large, too slow).
    Refused,
}

impl AnsweredBy {
    /// `chosen`, `ack`, `app`, `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            AnsweredBy::Chosen => "chosen",
            AnsweredBy::Ack => "ack",
            AnsweredBy::App => "app",
            AnsweredBy::Refused => "refused",
        }
    }
}

/// What one delivery's sender was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Told {
    /// The status; `None` while the app's answer is not stored yet.
    pub status: Option<u16>,
    /// Who answered.
    pub by: AnsweredBy,
}

/// What the sender of a delivery was told, from what the store holds: how the listener
/// answered, a refusal, and the live forward's status (`forward`: its status, or the status
/// the sender got when the app gave none). `None` when the listener did not answer it
/// (imported, probed, relayed, or stored before this was recorded).
pub fn told(
    answered: Option<Answered>,
    refused: Option<u16>,
    forward: Option<Option<u16>>,
) -> Option<Told> {
    if let Some(status) = refused {
        return Some(Told {
            status: Some(status),
            by: AnsweredBy::Refused,
        });
    }
    Some(match answered? {
        Answered::Chosen { status, .. } => Told {
            status: Some(status),
            by: AnsweredBy::Chosen,
        },
        Answered::Ack => Told {
            status: Some(200),
            by: AnsweredBy::Ack,
        },
        Answered::App => Told {
            status: forward.flatten(),
            by: AnsweredBy::App,
        },
    })
}

/// One delivery of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its capture.
    pub capture_id: i64,
    /// When it arrived (ms since the Unix epoch, UTC).
    pub received_at_ms: i64,
    /// What its sender was told.
    pub told: Option<Told>,
}

/// The deliveries of one event, oldest first: the schedule its sender followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The event's key.
    pub key: String,
    /// The signing scheme of its first delivery, when one was recognised (`dataspike`, ...).
    pub scheme: Option<String>,
    /// The path its first delivery was sent to.
    pub path: String,
    /// At least one, in arrival order.
    pub deliveries: Vec<Delivery>,
}

/// Where one delivery sits among its event's deliveries (`show`, the TUI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The event's key.
    pub key: String,
    /// 1-based.
    pub n: usize,
    /// How many deliveries of the event are stored.
    pub of: usize,
    /// Milliseconds after the first delivery (0 for the first).
    pub since_first_ms: i64,
    /// The event's other deliveries' captures, in order.
    pub siblings: Vec<i64>,
}

impl Schedule {
    /// Milliseconds from each delivery to the next (one fewer than deliveries).
    pub fn gaps_ms(&self) -> Vec<i64> {
        self.deliveries
            .windows(2)
            .map(|w| (w[1].received_at_ms - w[0].received_at_ms).max(0))
            .collect()
    }

    /// From the first delivery to the last, in milliseconds.
    pub fn span_ms(&self) -> i64 {
        match (self.deliveries.first(), self.deliveries.last()) {
            (Some(a), Some(b)) => (b.received_at_ms - a.received_at_ms).max(0),
            _ => 0,
        }
    }

    /// What the last delivery was told: the answer the sender stopped at (or is still
    /// retrying after).
    pub fn final_told(&self) -> Option<Told> {
        self.deliveries.last().and_then(|d| d.told)
    }

    /// Where capture `id` sits among the deliveries; `None` when it is not one of them.
    pub fn place_of(&self, id: i64) -> Option<Place> {
        let i = self.deliveries.iter().position(|d| d.capture_id == id)?;
        let first = self.deliveries.first()?.received_at_ms;
        Some(Place {
            key: self.key.clone(),
            n: i + 1,
            of: self.deliveries.len(),
            since_first_ms: (self.deliveries[i].received_at_ms - first).max(0),
            siblings: self
                .deliveries
                .iter()
                .map(|d| d.capture_id)
                .filter(|c| *c != id)
                .collect(),
        })
    }

    /// The object `retries --json` prints for one event.
    pub fn to_json(&self) -> Value {
        let first = self.deliveries.first().map_or(0, |d| d.received_at_ms);
        let mut previous = first;
        let deliveries: Vec<Value> = self
            .deliveries
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let gap = (i > 0).then(|| (d.received_at_ms - previous).max(0));
                previous = d.received_at_ms;
                json!({
                    "attempt": i + 1,
                    "capture": d.capture_id,
                    "received_at": rfc3339_ms(d.received_at_ms),
                    "gap_ms": gap,
                    "since_first_ms": (d.received_at_ms - first).max(0),
                    "answer": told_json(d.told),
                })
            })
            .collect();
        json!({
            "event": self.key,
            "scheme": self.scheme,
            "path": self.path,
            "attempts": self.deliveries.len(),
            "span_ms": self.span_ms(),
            "gaps_ms": self.gaps_ms(),
            "deliveries": deliveries,
            "final_answer": told_json(self.final_told()),
        })
    }
}

fn told_json(t: Option<Told>) -> Value {
    match t {
        Some(t) => json!({"status": t.status, "by": t.by.as_str()}),
        None => Value::Null,
    }
}

/// A key shortened for a line: its first 8 characters and `…` when longer than 12.
pub fn short_key(key: &str) -> String {
    if key.chars().count() > 12 {
        let head: String = key.chars().take(8).collect();
        format!("{head}…")
    } else {
        key.to_string()
    }
}

/// Milliseconds as `+2.1 s` (under a minute), `+3 min 5 s`, `+1 h 2 min`.
pub fn gap_text(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 60_000 {
        format!("+{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("+{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("+{} h {} min", ms / 3_600_000, (ms % 3_600_000) / 60_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::HeaderPair;

    fn request(headers: &[(&str, &str)], body: &str) -> RawRequest {
        let headers: Vec<HeaderPair> = headers
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        RawRequest::whole("POST", "/hook", headers, body.as_bytes().to_vec())
    }

    fn key(headers: &[(&str, &str)], body: &str) -> Option<String> {
        let r = request(headers, body);
        event_key(&r, &EventInfo::inspect(&r.body))
    }

    #[test]
    fn each_provider_names_its_event() {
        let dataspike = r#"{"id":"0192ab","webhook_id":"w","event_type":"DOCVER","payload":{}}"#;
        assert_eq!(
            key(&[("X-Webhook-Signature", "t=1,v1=00")], dataspike).as_deref(),
            Some("0192ab")
        );
        let stripe = r#"{"id":"evt_1","object":"event","type":"charge.succeeded"}"#;
        assert_eq!(
            key(&[("Stripe-Signature", "t=1,v1=00")], stripe).as_deref(),
            Some("evt_1")
        );
        assert_eq!(
            key(
                &[("webhook-id", "msg_2"), ("webhook-signature", "v1,x")],
                stripe
            )
            .as_deref(),
            Some("msg_2"),
            "the header wins over the body"
        );
        assert_eq!(
            key(&[("svix-id", " msg_3 ")], "{}").as_deref(),
            Some("msg_3")
        );
        assert_eq!(
            key(&[("X-GitHub-Delivery", "72d3162e-cc78")], r#"{"id":5}"#).as_deref(),
            Some("72d3162e-cc78")
        );
        assert_eq!(
            key(&[("X-Shopify-Webhook-Id", "b54557e4")], "{}").as_deref(),
            Some("b54557e4")
        );
        let slack = r#"{"type":"event_callback","event_id":"Ev08","id":"other"}"#;
        assert_eq!(
            key(&[("X-Slack-Signature", "v0=00")], slack).as_deref(),
            Some("Ev08")
        );
        assert_eq!(
            key(&[("X-Slack-Signature", "v0=00")], "token=x&command=/a"),
            None,
            "a slash command has no event"
        );
    }

    #[test]
    fn no_key_from_what_is_not_an_id() {
        assert_eq!(key(&[], "not json"), None);
        assert_eq!(key(&[("webhook-id", "")], "{}"), None);
        assert_eq!(key(&[("webhook-id", "a\u{1}b")], "{}"), None);
        let long = "x".repeat(201);
        assert_eq!(key(&[("webhook-id", &long)], "{}"), None);
        let r = RawRequest::whole(
            "POST",
            "/",
            vec![(b"webhook-id".to_vec(), vec![0xff, 0xfe])],
            b"{\"id\":7}".to_vec(),
        );
        assert_eq!(
            event_key(&r, &EventInfo::inspect(&r.body)).as_deref(),
            Some("7"),
            "a header that is not UTF-8 falls through to the body"
        );
    }

    fn delivery(id: i64, at: i64, status: u16, by: AnsweredBy) -> Delivery {
        Delivery {
            capture_id: id,
            received_at_ms: at,
            told: Some(Told {
                status: Some(status),
                by,
            }),
        }
    }

    #[test]
    fn a_schedule_has_gaps_a_span_a_final_answer_and_places() {
        let s = Schedule {
            key: "evt".into(),
            scheme: Some("stripe".into()),
            path: "/hook".into(),
            deliveries: vec![
                delivery(4, 1_000, 503, AnsweredBy::Chosen),
                delivery(9, 2_000, 503, AnsweredBy::Chosen),
                delivery(12, 4_100, 200, AnsweredBy::App),
            ],
        };
        assert_eq!(s.gaps_ms(), [1_000, 2_100]);
        assert_eq!(s.span_ms(), 3_100);
        assert_eq!(s.final_told().and_then(|t| t.status), Some(200));
        let p = s.place_of(12).unwrap();
        assert_eq!((p.n, p.of, p.since_first_ms), (3, 3, 3_100));
        assert_eq!(p.siblings, [4, 9]);
        assert_eq!(s.place_of(5), None);
        let j = s.to_json();
        assert_eq!(j["attempts"], 3);
        assert_eq!(j["deliveries"][0]["gap_ms"], Value::Null);
        assert_eq!(j["deliveries"][2]["gap_ms"], 2_100);
        assert_eq!(j["deliveries"][1]["answer"]["by"], "chosen");
        assert_eq!(j["final_answer"]["status"], 200);
    }

    #[test]
    fn what_the_sender_was_told() {
        let chosen = Answered::Chosen {
            status: 503,
            delay_ms: 0,
        };
        assert_eq!(
            told(Some(chosen), None, None),
            Some(Told {
                status: Some(503),
                by: AnsweredBy::Chosen
            })
        );
        assert_eq!(
            told(Some(Answered::Ack), None, None).unwrap().status,
            Some(200)
        );
        assert_eq!(
            told(Some(Answered::App), None, Some(Some(504)))
                .unwrap()
                .status,
            Some(504)
        );
        assert_eq!(told(Some(Answered::App), None, None).unwrap().status, None);
        assert_eq!(told(None, Some(413), None).unwrap().by, AnsweredBy::Refused);
        assert_eq!(told(None, None, Some(Some(200))), None);
    }

    #[test]
    fn keys_and_gaps_read_short() {
        assert_eq!(short_key("evt_1"), "evt_1");
        assert_eq!(short_key("01927c3e-7d1a-7c2b-9a30"), "01927c3e…");
        assert_eq!(gap_text(2_100), "+2.1 s");
        assert_eq!(gap_text(185_000), "+3 min 5 s");
        assert_eq!(gap_text(3_720_000), "+1 h 2 min");
    }
}
