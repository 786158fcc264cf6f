//! The tools: names, what each says to an agent, its input schema, and the one check of its
//! arguments (the same rules as the CLI's: the query language, target URLs, sample events,
//! limits), turning JSON into a typed [`Call`]. Pure: nothing here reads the store or sends.

use http::Uri;
use serde_json::{json, Map, Value};
use std::time::Duration;

use crate::capture::CaptureId;
use crate::query::Query;
use crate::signature::Scheme;

/// `list_captures`' default and largest `limit`.
const LIST_DEFAULT: u64 = 20;
const LIST_MAX: u64 = 200;

/// `wait_for_capture`'s default and longest `timeout_seconds`.
const WAIT_DEFAULT_SECS: u64 = 60;
const WAIT_MAX_SECS: u64 = 600;

/// The sample event `run_check`'s probes carry unless `event` says otherwise (as `check`).
const CHECK_DEFAULT_EVENT: &str = "AML_SCREENING";

/// Every tool, in the order `tools/list` gives them.
pub const NAMES: [&str; 8] = [
    "list_captures",
    "show_capture",
    "wait_for_capture",
    "replay_capture",
    "send_sample",
    "run_check",
    "compare_captures",
    "show_retries",
];

/// A checked tool call.
#[derive(Debug, Clone)]
pub enum Call {
    ListCaptures {
        query: Query,
        query_text: String,
        limit: usize,
    },
    ShowCapture {
        id: CaptureId,
    },
    WaitForCapture {
        query: Query,
        query_text: String,
        timeout: Duration,
        since: Option<Duration>,
    },
    ReplayCapture {
        id: CaptureId,
        to: Option<Uri>,
        as_is: bool,
        resign_failed: bool,
    },
    SendSample {
        event: String,
        variant: Option<String>,
        to: Uri,
    },
    RunCheck {
        to: Uri,
        scheme: Scheme,
        event: String,
    },
    CompareCaptures {
        left: CaptureId,
        right: CaptureId,
    },
    ShowRetries {
        /// One event, by its id or its beginning; `None`: the newest redelivered.
        event: Option<String>,
        limit: usize,
    },
}

const QUERY_HELP: &str = "hookscope's query language (as in 'hookscope list'): terms ANDed, e.g. 'event:DOCVER verdict:fail status:5xx payload.applicant_id=abc since:10m', or plain words to search headers and bodies";

/// `tools/list`'s entries: name, description and input schema (JSON Schema) of each tool.
pub fn definitions() -> Vec<Value> {
    let id = |what: &str| json!({"type": "integer", "minimum": 1, "description": what});
    let url = |what: &str| json!({"type": "string", "description": what});
    let schemes: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
    vec![
        tool(
            "list_captures",
            "List stored webhook captures, newest first, each with its id, time, event type, signature verdict and the app's latest answer. Read-only.",
            json!({
                "query": {"type": "string", "description": format!("Only captures matching this: {QUERY_HELP}. Omit for all.")},
                "limit": {"type": "integer", "minimum": 0, "maximum": LIST_MAX, "description": format!("At most this many (default {LIST_DEFAULT}).")},
            }),
            &[],
        ),
        tool(
            "show_capture",
            "Everything about one capture: headers in received order, body, signature verdict with its diagnostics (why a signature failed and what to do), and every attempt to deliver it to the app (forwards and replays, with the answers). Read-only.",
            json!({"id": id("The capture's id, from list_captures.")}),
            &["id"],
        ),
        tool(
            "wait_for_capture",
            "Block until a capture matching a query is stored (by any 'hookscope listen' writing this store), then return it as show_capture does; an error result when none arrived in time. The server answers nothing else while it waits.",
            json!({
                "query": {"type": "string", "description": format!("What to wait for: {QUERY_HELP}. '' takes any capture.")},
                "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": WAIT_MAX_SECS, "description": format!("Give up after this many seconds (default {WAIT_DEFAULT_SECS}).")},
                "since_seconds": {"type": "integer", "minimum": 0, "description": "Also take a capture received this many seconds before the call (already stored). Without it only captures stored after the call count."},
            }),
            &["query"],
        ),
        tool(
            "replay_capture",
            "Send a stored capture to the app again and record the app's answer. By default it is re-signed with a fresh timestamp when the server holds a secret of its scheme, else sent as captured; a capture whose own signature failed (forged or unsigned) is never re-signed unless resign_failed is true.",
            json!({
                "id": id("The capture to replay."),
                "to": url("The app's URL (the captured path is added unless the URL ends with it). Default: where the capture was last forwarded."),
                "as_is": {"type": "boolean", "description": "Send the original bytes and signature unchanged (a strict app then sees a stale timestamp)."},
                "resign_failed": {"type": "boolean", "description": "Re-sign it even though its own signature failed: the app then accepts a body nobody signed. Only for testing the app's handling."},
            }),
            &["id"],
        ),
        tool(
            "send_sample",
            &format!("Send a built-in sample Dataspike event (fresh ids, signed now with the server's Dataspike secret, by default the local development secret 'hookscope listen' verifies with) to a URL and report the answer. Events and their variants (the first is the default): {}.", samples()),
            json!({
                "event": {"type": "string", "description": "The event type, e.g. DOCVER."},
                "to": url("Where to POST it: the app's webhook URL, or a 'hookscope listen' URL to capture it."),
                "variant": {"type": "string", "description": "A variant of the event, e.g. high_risk (default: the event's first)."},
            }),
            &["event", "to"],
        ),
        tool(
            "run_check",
            "Probe a webhook endpoint with good and bad deliveries (valid, wrong secret, stale, tampered body, unsigned, ...) signed with the server's secret of the scheme, and grade each answer. The probes and answers are stored like 'hookscope check' stores them, as captures list_captures shows.",
            json!({
                "to": url("The endpoint's URL."),
                "scheme": {"type": "string", "enum": schemes, "description": "The signature scheme the endpoint verifies (default dataspike); the server must hold a secret of it."},
                "event": {"type": "string", "description": format!("The sample event the probes carry (default {CHECK_DEFAULT_EVENT}).")},
            }),
            &["to"],
        ),
        tool(
            "compare_captures",
            "Compare two stored captures: header changes, changed JSON paths in the bodies, and a line diff. Read-only.",
            json!({"left": id("The first capture's id."), "right": id("The second capture's id.")}),
            &["left", "right"],
        ),
        tool(
            "show_retries",
            "The schedule a sender followed when it redelivered an event (deliveries linked by the sender's event id: Dataspike's or Stripe's id, webhook-id, X-GitHub-Delivery, ...): each delivery's capture, time, gap after the previous one and what the sender was answered (chosen, ack, app, refused), and the final answer. Read-only.",
            json!({
                "event": {"type": "string", "description": "One event: its id as the sender gave it, or its beginning (show_capture's delivery.event). Omit for the newest events delivered more than once."},
                "limit": {"type": "integer", "minimum": 1, "maximum": LIST_MAX, "description": format!("Without event: at most this many events (default {LIST_DEFAULT}).")},
            }),
            &[],
        ),
    ]
}

/// `DOCVER (verified, rejected), ...`: every sample event with its variants.
fn samples() -> String {
    let mut events: Vec<(&str, Vec<&str>)> = Vec::new();
    for (event, variant, _) in crate::sample::list() {
        match events.last_mut() {
            Some((e, variants)) if *e == event => variants.push(variant),
            _ => events.push((event, vec![variant])),
        }
    }
    events
        .iter()
        .map(|(e, v)| format!("{e} ({})", v.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tool(name: &str, description: &str, properties: Value, required: &[&str]) -> Value {
    json!({
        "name": name,
        "description": description,
        "inputSchema": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        },
    })
}

/// Checks one tool's arguments. The error says which argument and what it should be.
pub fn parse(name: &str, args: &Map<String, Value>, now_ms: i64) -> Result<Call, String> {
    let a = Args { args, name };
    a.only_known()?;
    Ok(match name {
        "list_captures" => {
            let query_text = a.string("query")?.unwrap_or_default();
            Call::ListCaptures {
                query: query(&query_text, now_ms)?,
                query_text,
                limit: usize::try_from(a.int("limit", 0, LIST_MAX)?.unwrap_or(LIST_DEFAULT))
                    .unwrap_or(usize::MAX),
            }
        }
        "show_capture" => Call::ShowCapture { id: a.id("id")? },
        "wait_for_capture" => {
            let query_text = a
                .string("query")?
                .ok_or("query is required ('' takes any capture)")?;
            Call::WaitForCapture {
                query: query(&query_text, now_ms)?,
                query_text,
                timeout: Duration::from_secs(
                    a.int("timeout_seconds", 1, WAIT_MAX_SECS)?
                        .unwrap_or(WAIT_DEFAULT_SECS),
                ),
                since: a
                    .int("since_seconds", 0, i64::MAX as u64 / 1000)?
                    .map(Duration::from_secs),
            }
        }
        "replay_capture" => {
            let as_is = a.bool("as_is")?;
            let resign_failed = a.bool("resign_failed")?;
            if as_is && resign_failed {
                return Err("as_is sends the original signature and resign_failed re-signs: pass one of them".into());
            }
            Call::ReplayCapture {
                id: a.id("id")?,
                to: a.string("to")?.map(|u| url(&u)).transpose()?,
                as_is,
                resign_failed,
            }
        }
        "send_sample" => {
            let event = a.string("event")?.ok_or("event is required, e.g. DOCVER")?;
            let variant = a.string("variant")?;
            crate::sample::build(&event, variant.as_deref(), now_ms, &[])
                .map_err(|e| e.to_string())?;
            Call::SendSample {
                to: url(&a
                    .string("to")?
                    .ok_or("to is required: the URL to POST to")?)?,
                event,
                variant,
            }
        }
        "run_check" => {
            let event = a
                .string("event")?
                .unwrap_or_else(|| CHECK_DEFAULT_EVENT.into());
            crate::sample::build(&event, None, now_ms, &[]).map_err(|e| e.to_string())?;
            let scheme = match a.string("scheme")? {
                None => Scheme::default(),
                Some(s) => Scheme::parse(&s.trim().to_ascii_lowercase()).ok_or_else(|| {
                    let known: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
                    format!(
                        "scheme '{s}' is not known; use one of: {}",
                        known.join(", ")
                    )
                })?,
            };
            Call::RunCheck {
                to: url(&a
                    .string("to")?
                    .ok_or("to is required: the endpoint's URL")?)?,
                scheme,
                event,
            }
        }
        "compare_captures" => Call::CompareCaptures {
            left: a.id("left")?,
            right: a.id("right")?,
        },
        "show_retries" => Call::ShowRetries {
            event: a
                .string("event")?
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty()),
            limit: usize::try_from(a.int("limit", 1, LIST_MAX)?.unwrap_or(LIST_DEFAULT))
                .unwrap_or(usize::MAX),
        },
        other => return Err(format!("unknown tool '{other}'")),
    })
}

fn query(text: &str, now_ms: i64) -> Result<Query, String> {
    crate::query::parse(text, now_ms).map_err(|e| format!("query: {}", e.render(text)))
}

fn url(text: &str) -> Result<Uri, String> {
    crate::config::target("to", text).map_err(|e| e.to_string())
}

/// One call's arguments, read by name with the schema's types.
struct Args<'a> {
    args: &'a Map<String, Value>,
    name: &'a str,
}

impl Args<'_> {
    /// Refuses an argument the tool does not take (a typo would otherwise be ignored).
    fn only_known(&self) -> Result<(), String> {
        let known: Vec<String> = definitions()
            .into_iter()
            .find(|t| t["name"] == self.name)
            .and_then(|t| {
                t["inputSchema"]["properties"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect())
            })
            .unwrap_or_default();
        match self.args.keys().find(|k| !known.contains(k)) {
            Some(k) => Err(format!(
                "unknown argument '{k}'; this tool takes: {}",
                known.join(", ")
            )),
            None => Ok(()),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, String> {
        match self.args.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("{key} must be a string, not {other}")),
        }
    }

    fn bool(&self, key: &str) -> Result<bool, String> {
        match self.args.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(format!("{key} must be true or false, not {other}")),
        }
    }

    fn int(&self, key: &str, min: u64, max: u64) -> Result<Option<u64>, String> {
        let bad = |v: &Value| format!("{key} must be a whole number from {min} to {max}, not {v}");
        match self.args.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(bad(v)),
            },
        }
    }

    fn id(&self, key: &str) -> Result<CaptureId, String> {
        let n = self
            .int(key, 1, i64::MAX as u64)?
            .ok_or_else(|| format!("{key} is required: a capture id from list_captures"))?;
        Ok(CaptureId::try_from(n).unwrap_or(CaptureId::MAX))
    }
}
