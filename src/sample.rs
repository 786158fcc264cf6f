//! Built-in sample Dataspike events for `hookscope send --event`, embedded from `assets/events/`.
//!
//! Each sample is a full envelope (`id`, `webhook_id`, `event_type`, `timestamp`, `payload`).
//! `AML_SCREENING` and `DOCVER` follow the keys Dataspike documents; `TRANSACTION_MONITORING` and
//! `KYT_WALLET_CHECK` have no public example, so their payloads are illustrative.
//! [`build`] gives each delivery fresh ids and times, then applies `--set` overrides.

use serde_json::{Map, Value};

/// The event types Dataspike's create-webhook API accepts today.
pub(crate) const EVENT_TYPES: [&str; 4] = [
    "AML_SCREENING",
    "DOCVER",
    "TRANSACTION_MONITORING",
    "KYT_WALLET_CHECK",
];

struct Sample {
    event: &'static str,
    variant: &'static str,
    description: &'static str,
    asset: &'static str,
    json: &'static str,
}

/// The first variant of each event is its default.
const SAMPLES: [Sample; 8] = [
    Sample {
        event: "AML_SCREENING",
        variant: "low_risk",
        description: "screening with no hits, risk Low",
        asset: "aml_screening.low_risk.json",
        json: include_str!("../assets/events/aml_screening.low_risk.json"),
    },
    Sample {
        event: "AML_SCREENING",
        variant: "high_risk",
        description: "sanctions and PEP hit, risk High",
        asset: "aml_screening.high_risk.json",
        json: include_str!("../assets/events/aml_screening.high_risk.json"),
    },
    Sample {
        event: "DOCVER",
        variant: "verified",
        description: "passport and selfie verified",
        asset: "docver.verified.json",
        json: include_str!("../assets/events/docver.verified.json"),
    },
    Sample {
        event: "DOCVER",
        variant: "failed",
        description: "expired document, face mismatch",
        asset: "docver.failed.json",
        json: include_str!("../assets/events/docver.failed.json"),
    },
    Sample {
        event: "TRANSACTION_MONITORING",
        variant: "clear",
        description: "no rule triggered (illustrative payload)",
        asset: "transaction_monitoring.clear.json",
        json: include_str!("../assets/events/transaction_monitoring.clear.json"),
    },
    Sample {
        event: "TRANSACTION_MONITORING",
        variant: "alert",
        description: "structuring and high-risk country rules (illustrative payload)",
        asset: "transaction_monitoring.alert.json",
        json: include_str!("../assets/events/transaction_monitoring.alert.json"),
    },
    Sample {
        event: "KYT_WALLET_CHECK",
        variant: "low_risk",
        description: "BTC wallet, exchange exposure, risk Low (illustrative payload)",
        asset: "kyt_wallet_check.low_risk.json",
        json: include_str!("../assets/events/kyt_wallet_check.low_risk.json"),
    },
    Sample {
        event: "KYT_WALLET_CHECK",
        variant: "high_risk",
        description: "USDT wallet, mixer and sanctions exposure, risk High (illustrative payload)",
        asset: "kyt_wallet_check.high_risk.json",
        json: include_str!("../assets/events/kyt_wallet_check.high_risk.json"),
    },
];

/// Payload times refreshed by [`build`], when the sample has them: (key, seconds from now).
const PAYLOAD_TIMES: [(&str, i64); 4] = [
    ("created_at", -120),
    ("completed_at", 0),
    ("checked_at", 0),
    ("expires_at", 7 * 24 * 3600),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why `send --event` cannot build a sample body.
pub enum SampleError {
    #[error("unknown event '{event}': choose one of {}", EVENT_TYPES.join(", "))]
    /// No built-in sample has this event type.
    UnknownEvent {
        /// The event type asked for.
        event: String,
    },
    #[error("{event} has no variant '{variant}': choose one of {known}")]
    /// The event has no sample variant of this name.
    UnknownVariant {
        /// The event type.
        event: &'static str,
        /// The variant asked for.
        variant: String,
        /// The variants there are, comma-separated.
        known: String,
    },
    #[error("'{arg}' has no '=': write PATH=VALUE, e.g. payload.risk_score.type=High")]
    /// A `--set` argument without `=`.
    MissingEquals {
        /// The argument as given.
        arg: String,
    },
    #[error(
        "path '{path}' has an empty key: write dot-separated keys, e.g. payload.risk_score.type"
    )]
    /// A `--set` path with an empty key (`a..b`).
    EmptyKey {
        /// The path as given.
        path: String,
    },
    #[error("cannot set '{path}': '{at}' is {found}, not an object")]
    /// A `--set` path goes through something that is not an object.
    NotAnObject {
        /// The path as given.
        path: String,
        /// The prefix of the path that is not an object.
        at: String,
        /// The JSON type found there.
        found: String,
    },
    #[error("cannot set '{path}': '{at}' has {}, so index {index} does not exist", crate::text::count(*.len as u64, "item"))]
    /// A `--set` path indexes past an array's end.
    IndexOutOfRange {
        /// The path as given.
        path: String,
        /// The prefix of the path that is the array.
        at: String,
        /// The index asked for.
        index: usize,
        /// The array's length.
        len: usize,
    },
    #[error("built-in sample file 'assets/events/{asset}' is damaged: {message}")]
    /// A built-in sample file does not parse (a build defect).
    Asset {
        /// The file's name under `assets/events/`.
        asset: &'static str,
        /// The parser's error.
        message: String,
    },
}

/// `(event type, variant, description)` for every built-in sample, default variant first.
pub fn list() -> Vec<(&'static str, &'static str, &'static str)> {
    SAMPLES
        .iter()
        .map(|s| (s.event, s.variant, s.description))
        .collect()
}

/// `aml-screening`, `aml_screening` and `AML_SCREENING` all name the same thing.
fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

/// The Dataspike name of a known event type given in any case (`docver` -> `DOCVER`).
pub(crate) fn canonical_event(name: &str) -> Option<&'static str> {
    let wanted = normalize(name);
    EVENT_TYPES.into_iter().find(|e| normalize(e) == wanted)
}

fn find(event: &str, variant: Option<&str>) -> Result<&'static Sample, SampleError> {
    let wanted = normalize(event);
    let of_event: Vec<&Sample> = SAMPLES
        .iter()
        .filter(|s| normalize(s.event) == wanted)
        .collect();
    let Some(first) = of_event.first() else {
        return Err(SampleError::UnknownEvent {
            event: event.to_string(),
        });
    };
    let Some(variant) = variant else {
        return Ok(first);
    };
    let wanted = normalize(variant);
    of_event
        .iter()
        .find(|s| s.variant == wanted)
        .copied()
        .ok_or_else(|| SampleError::UnknownVariant {
            event: first.event,
            variant: variant.to_string(),
            known: of_event
                .iter()
                .map(|s| s.variant)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The body of one sample delivery, compact JSON: fresh UUIDv7 `id` and `webhook_id`,
/// `timestamp` = `now_ms` (ISO 8601, UTC), payload times moved to around `now_ms`, then each
/// `(path, value)` override applied in order (so `--set id=...` wins over the fresh id).
pub fn build(
    event: &str,
    variant: Option<&str>,
    now_ms: i64,
    overrides: &[(String, Value)],
) -> Result<Vec<u8>, SampleError> {
    let sample = find(event, variant)?;
    let damaged = |message: String| SampleError::Asset {
        asset: sample.asset,
        message,
    };
    let mut doc: Value = serde_json::from_str(sample.json).map_err(|e| damaged(e.to_string()))?;
    let envelope = doc
        .as_object_mut()
        .ok_or_else(|| damaged("not a JSON object".into()))?;
    envelope.insert("id".into(), Value::String(uuid_v7(now_ms)));
    envelope.insert("webhook_id".into(), Value::String(uuid_v7(now_ms)));
    envelope.insert("timestamp".into(), Value::String(iso8601(now_ms)));
    if let Some(Value::Object(payload)) = envelope.get_mut("payload") {
        refresh_times(payload, now_ms);
    }
    for (path, value) in overrides {
        set_path(&mut doc, path, value.clone())?;
    }
    serde_json::to_vec(&doc).map_err(|e| damaged(e.to_string()))
}

fn refresh_times(payload: &mut Map<String, Value>, now_ms: i64) {
    for (key, offset_s) in PAYLOAD_TIMES {
        if let Some(slot) = payload.get_mut(key) {
            if slot.is_string() {
                *slot = Value::String(iso8601(now_ms.saturating_add(offset_s * 1000)));
            }
        }
    }
}

/// `2026-01-15T10:00:00Z`, seconds precision as in Dataspike's examples.
fn iso8601(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The headers a sample delivery carries besides its signature.
pub(crate) fn delivery_headers() -> Vec<crate::headers::HeaderPair> {
    vec![
        (b"Content-Type".to_vec(), b"application/json".to_vec()),
        (
            b"User-Agent".to_vec(),
            format!("hookscope/{}", env!("CARGO_PKG_VERSION")).into_bytes(),
        ),
    ]
}

/// A random UUID version 7 (RFC 9562) for time `now_ms`, like the ids Dataspike sends.
pub(crate) fn uuid_v7(now_ms: i64) -> String {
    let mut b: [u8; 16] = rand::random();
    let ms = u64::try_from(now_ms).unwrap_or(0).to_be_bytes();
    b[..6].copy_from_slice(&ms[2..]);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Parses one `--set PATH=VALUE`. The value is JSON when it parses as JSON (`5`, `true`,
/// `null`, `"x"`, `{"a":1}`), else the text itself as a string (`High`).
pub(crate) fn parse_set(arg: &str) -> Result<(String, Value), SampleError> {
    let Some((path, raw)) = arg.split_once('=') else {
        return Err(SampleError::MissingEquals { arg: arg.into() });
    };
    let path = path.trim();
    check_path(path)?;
    let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
    Ok((path.to_string(), value))
}

fn check_path(path: &str) -> Result<(), SampleError> {
    if path.split('.').any(str::is_empty) {
        return Err(SampleError::EmptyKey { path: path.into() });
    }
    Ok(())
}

/// Sets `value` at dotted `path` in `doc`, creating missing objects on the way. A numeric key
/// indexes an existing array element.
pub(crate) fn set_path(doc: &mut Value, path: &str, value: Value) -> Result<(), SampleError> {
    check_path(path)?;
    let keys: Vec<&str> = path.split('.').collect();
    let mut current = doc;
    for (depth, key) in keys.iter().enumerate() {
        let at = if depth == 0 {
            "(the event)".to_string()
        } else {
            keys[..depth].join(".")
        };
        let last = depth + 1 == keys.len();
        current = match current {
            Value::Object(map) => {
                if last {
                    map.insert((*key).to_string(), value);
                    return Ok(());
                }
                map.entry(*key).or_insert_with(|| Value::Object(Map::new()))
            }
            Value::Array(items) => {
                let len = items.len();
                let index = key.parse::<usize>().map_err(|_| SampleError::NotAnObject {
                    path: path.into(),
                    at: at.clone(),
                    found: format!(
                        "an array of {} (use a numeric index)",
                        crate::text::count(len as u64, "item")
                    ),
                })?;
                let slot = items.get_mut(index).ok_or(SampleError::IndexOutOfRange {
                    path: path.into(),
                    at,
                    index,
                    len,
                })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            other => {
                return Err(SampleError::NotAnObject {
                    path: path.into(),
                    at,
                    found: describe(other),
                })
            }
        };
    }
    Ok(())
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string '{s}'"),
        Value::Array(a) => format!("an array of {}", crate::text::count(a.len() as u64, "item")),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_123;

    fn built(event: &str, variant: Option<&str>, sets: &[&str]) -> Value {
        let overrides: Vec<(String, Value)> = sets.iter().map(|s| parse_set(s).unwrap()).collect();
        let bytes = build(event, variant, NOW, &overrides).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn every_sample_builds_a_dataspike_envelope() {
        for (event, variant, description) in list() {
            assert!(!description.is_empty());
            let doc = built(event, Some(variant), &[]);
            let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                ["id", "webhook_id", "event_type", "timestamp", "payload"],
                "{event}/{variant}"
            );
            assert_eq!(doc["event_type"], event);
            assert_eq!(doc["timestamp"], "2027-01-15T08:00:00Z");
            assert!(doc["payload"].is_object());
            if let Some(done) = doc["payload"].get("completed_at") {
                assert_eq!(done, "2027-01-15T08:00:00Z");
            }
        }
        let events: std::collections::BTreeSet<&str> = list().iter().map(|s| s.0).collect();
        assert_eq!(events.len(), EVENT_TYPES.len());
        assert!(EVENT_TYPES.iter().all(|e| events.contains(e)));
    }

    #[test]
    fn variants_differ_where_they_promise() {
        let risk =
            |v| built("AML_SCREENING", Some(v), &[])["payload"]["risk_score"]["type"].clone();
        assert_eq!(risk("low_risk"), "Low");
        assert_eq!(risk("high_risk"), "High");
        assert_eq!(
            built("docver", Some("failed"), &[])["payload"]["status"],
            "failed"
        );
        assert_eq!(built("DOCVER", None, &[])["payload"]["status"], "verified");
        assert_eq!(
            built("transaction-monitoring", Some("alert"), &[])["payload"]["status"],
            "alert"
        );
        assert_eq!(
            built("KYT_WALLET_CHECK", Some("HIGH-RISK"), &[])["payload"]["risk_score"]["type"],
            "High"
        );
    }

    #[test]
    fn ids_are_fresh_uuid_v7_each_call() {
        let a = built("AML_SCREENING", None, &[]);
        let b = built("AML_SCREENING", None, &[]);
        assert_ne!(a["id"], b["id"]);
        assert_ne!(a["webhook_id"], b["webhook_id"]);
        let id = a["id"].as_str().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "7", "version nibble in {id}");
        assert!("89ab".contains(&id[19..20]), "variant in {id}");
        // The first 48 bits are the time in milliseconds.
        let ms = i64::from_str_radix(&id[..8], 16).unwrap() << 16
            | i64::from_str_radix(&id[9..13], 16).unwrap();
        assert_eq!(ms, NOW);
    }

    #[test]
    fn set_overrides_fields_and_creates_objects() {
        let doc = built(
            "AML_SCREENING",
            None,
            &[
                "payload.risk_score.type=High",
                "payload.search_result.max_risk_score=97",
                "payload.new.deep.flag=true",
                "payload.note=plain text with = sign",
                "payload.quoted=\"42\"",
                "payload.search_request.countries.0=FR",
                "id=fixed-id",
                "payload.empty=",
            ],
        );
        let p = &doc["payload"];
        assert_eq!(p["risk_score"]["type"], "High");
        assert_eq!(p["search_result"]["max_risk_score"], 97);
        assert_eq!(p["new"], json!({"deep": {"flag": true}}));
        assert_eq!(p["note"], "plain text with = sign");
        assert_eq!(p["quoted"], "42");
        assert_eq!(p["search_request"]["countries"], json!(["FR"]));
        assert_eq!(p["empty"], "");
        assert_eq!(doc["id"], "fixed-id");
    }

    #[test]
    fn set_errors_say_what_is_wrong() {
        let err = |arg: &str| -> String {
            match parse_set(arg) {
                Err(e) => e.to_string(),
                Ok(o) => build("AML_SCREENING", None, NOW, &[o])
                    .unwrap_err()
                    .to_string(),
            }
        };
        assert_eq!(
            err("payload.risk_score.type"),
            "'payload.risk_score.type' has no '=': write PATH=VALUE, e.g. payload.risk_score.type=High"
        );
        assert!(err("payload..x=1").contains("has an empty key"));
        assert!(err("=1").contains("has an empty key"));
        assert_eq!(
            err("payload.risk_score.type.level=3"),
            "cannot set 'payload.risk_score.type.level': 'payload.risk_score.type' is the string 'Low', not an object"
        );
        assert_eq!(
            err("event_type.x=1"),
            "cannot set 'event_type.x': 'event_type' is the string 'AML_SCREENING', not an object"
        );
        assert!(err("payload.search_request.countries.first=FR")
            .contains("is an array of 1 item (use a numeric index)"));
        assert_eq!(
            err("payload.search_request.countries.5=FR"),
            "cannot set 'payload.search_request.countries.5': 'payload.search_request.countries' has 1 item, so index 5 does not exist"
        );
    }

    #[test]
    fn unknown_event_or_variant_lists_the_choices() {
        assert_eq!(
            build("APPLICANT", None, NOW, &[]).unwrap_err().to_string(),
            "unknown event 'APPLICANT': choose one of AML_SCREENING, DOCVER, TRANSACTION_MONITORING, KYT_WALLET_CHECK"
        );
        assert_eq!(
            build("DOCVER", Some("pending"), NOW, &[])
                .unwrap_err()
                .to_string(),
            "DOCVER has no variant 'pending': choose one of verified, failed"
        );
    }

    #[test]
    fn output_is_compact_json_without_trailing_newline() {
        let bytes = build("DOCVER", None, NOW, &[]).unwrap();
        assert!(!bytes.contains(&b'\n'));
        assert_eq!(bytes.first(), Some(&b'{'));
        assert_eq!(bytes.last(), Some(&b'}'));
    }
}
