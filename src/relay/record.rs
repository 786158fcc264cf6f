//! One delivery as a JetStream message (the `jetstream` log's format), and the message id that makes a sender's retry a
//! duplicate. Pure.
//!
//! The message is `HSR1`, then three length-prefixed parts (u32, little-endian): the
//! envelope as JSON (arrival, method, path, query, size, rejection, peer, verdict), the
//! headers in the store's header BLOB codec (exact names, order and bytes), then the body,
//! raw, to the end. Nothing is base64'd, so the body costs its own size against the server's
//! `max_payload`. The sequence is not in the message: it is the stream's.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::capture::{RawRequest, Rejection};
use crate::relay::protocol::{Delivery, Seq};
use crate::store::{decode_headers, encode_headers};

const MAGIC: &[u8; 4] = b"HSR1";

/// Bytes a message needs beyond its body and header bytes: the magic, the lengths, the
/// envelope (method, path, query, peer, verdict, reason: all bounded by the request head).
pub const OVERHEAD: usize = 16 * 1024;

#[derive(Serialize, Deserialize)]
struct Envelope {
    at: i64,
    method: String,
    path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rejected: Option<(u16, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    peer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verdict: Option<String>,
}

/// The message for a delivery (its `seq` is not kept).
pub fn encode(d: &Delivery) -> Vec<u8> {
    let envelope = Envelope {
        at: d.received_at_ms,
        method: d.method.clone(),
        path: d.path.clone(),
        query: d.query.clone(),
        size: d.body_size,
        rejected: d.rejected.as_ref().map(|r| (r.status, r.reason.clone())),
        peer: d.peer.clone(),
        verdict: d.relay_verdict.clone(),
    };
    // A struct of strings and numbers always serializes.
    let envelope = serde_json::to_vec(&envelope).unwrap_or_default();
    let headers = encode_headers(&d.headers);
    let mut out = Vec::with_capacity(12 + envelope.len() + headers.len() + d.body.len());
    out.extend_from_slice(MAGIC);
    for part in [&envelope, &headers] {
        out.extend_from_slice(&(part.len() as u32).to_le_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&d.body);
    out
}

/// The delivery a message holds, as sequence `seq`; what is wrong with it otherwise.
pub fn decode(message: &[u8], seq: Seq) -> Result<Delivery, String> {
    let rest = message
        .strip_prefix(MAGIC)
        .ok_or("not a hookscope relay record (no HSR1 mark)")?;
    let (envelope, rest) = part(rest).ok_or("its envelope is cut short")?;
    let (headers, body) = part(rest).ok_or("its headers are cut short")?;
    let e: Envelope =
        serde_json::from_slice(envelope).map_err(|e| format!("its envelope is not valid: {e}"))?;
    let headers = decode_headers(headers).ok_or("its headers do not decode")?;
    Ok(Delivery {
        seq,
        received_at_ms: e.at,
        request: RawRequest {
            method: e.method,
            path: e.path,
            query: e.query,
            headers,
            body: body.to_vec(),
            body_size: e.size,
        },
        rejected: e
            .rejected
            .map(|(status, reason)| Rejection { status, reason }),
        peer: e.peer,
        relay_verdict: e.verdict,
    })
}

fn part(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// The `Nats-Msg-Id` of a delivery to `channel`: SHA-256 over the request as the sender made it
/// (method, path, query, headers in order, body, and how much arrived), hex. A sender's retry
/// (to this relay or another behind the same address) carries the same bytes, so within the
/// stream's duplicate window it is recognised and not stored twice. The arrival time is left
/// out on purpose: a retry arrives later by definition, so the window is its time bound.
pub fn message_id(channel: &str, d: &Delivery) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(channel.as_bytes());
    field(d.method.as_bytes());
    field(d.path.as_bytes());
    field(d.query.as_deref().unwrap_or("").as_bytes());
    field(&encode_headers(&d.headers));
    field(&d.body);
    field(&d.body_size.to_le_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery {
            seq: 0,
            received_at_ms: 1_764_470_000_123,
            request: RawRequest {
                method: "POST".into(),
                path: "/dataspike/hook".into(),
                query: Some("x=1".into()),
                headers: vec![
                    (b"X-Dup".to_vec(), b"1".to_vec()),
                    (b"x-dup".to_vec(), b"\xff\x00".to_vec()),
                ],
                body: b"{\"score\": 1.0}\xfe".to_vec(),
                body_size: 15,
            },
            rejected: Some(Rejection {
                status: 413,
                reason: "too large".into(),
            }),
            peer: Some("203.0.113.7:51234".into()),
            relay_verdict: Some("valid".into()),
        }
    }

    #[test]
    fn a_delivery_comes_back_byte_for_byte_with_the_streams_sequence() {
        let d = delivery();
        let back = decode(&encode(&d), 42).unwrap();
        assert_eq!(back, Delivery { seq: 42, ..d });
        let mut bare = delivery();
        (
            bare.rejected,
            bare.peer,
            bare.relay_verdict,
            bare.request.query,
        ) = (None, None, None, None);
        bare.request.body.clear();
        assert_eq!(
            decode(&encode(&bare), 1).unwrap(),
            Delivery { seq: 1, ..bare }
        );
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_panic() {
        let whole = encode(&delivery());
        for cut in 0..40 {
            assert!(decode(&whole[..cut], 1).is_err(), "cut at {cut}");
        }
        assert!(decode(b"HSR2", 1).is_err());
        let mut bad = whole.clone();
        bad[8] = b'!';
        assert!(decode(&bad, 1).is_err());
    }

    /// The fuzz target's invariants on 3,000 mutations of a real record.
    #[test]
    fn mutated_records_never_panic_and_round_trip() {
        let whole = encode(&delivery());
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut m = whole.clone();
            for _ in 0..1 + (x % 4) {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let at = (x >> 33) as usize % m.len();
                match x % 3 {
                    0 => m[at] = (x >> 17) as u8,
                    1 => m.truncate(at),
                    _ => m.insert(at, (x >> 21) as u8),
                }
                if m.is_empty() {
                    break;
                }
            }
            if let Ok(d) = decode(&m, 9) {
                assert_eq!(decode(&encode(&d), 9).as_ref(), Ok(&d));
            }
        }
    }

    #[test]
    fn a_retry_has_the_same_id_and_any_change_a_different_one() {
        let d = delivery();
        let mut later = delivery();
        later.received_at_ms += 30_000;
        later.peer = Some("198.51.100.1:1".into());
        assert_eq!(message_id("A", &d), message_id("A", &later));
        assert_ne!(message_id("A", &d), message_id("B", &d));
        let mut other = delivery();
        other.request.body.push(b' ');
        assert_ne!(message_id("A", &d), message_id("A", &other));
        let mut reordered = delivery();
        reordered.request.headers.reverse();
        assert_ne!(message_id("A", &d), message_id("A", &reordered));
        assert_eq!(message_id("A", &d).len(), 64);
    }
}
