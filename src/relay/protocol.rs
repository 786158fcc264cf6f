//! The relay's wire format, pure: no I/O, no clock.
//!
//! The relay streams a channel to a subscriber as Server-Sent Events. Each event is one of:
//! - `hello` (first, once per connection): where the stream starts, the channel's last sequence
//!   and the heartbeat interval, so the client knows its backlog and when to stop trusting
//!   a silent stream;
//! - `delivery` with `id: {seq}`: one delivery as the relay received it. Every byte that a
//!   signature or the developer's app could depend on (header names and values, the body) is
//!   base64 in JSON, so nothing is re-encoded, re-ordered or merged on the way;
//! - `gap`: deliveries in `from..=to` were deleted by retention before this subscriber read
//!   them; said once, before the first delivery after them;
//! - a comment line (`: hb`) as heartbeat.
//!
//! [`SseDecoder`] turns arbitrary bytes back into events and [`Frame::decode`] into frames;
//! both return errors for anything malformed and never panic (fuzzed by `fuzz/relay_frame`).
//! Limits bound memory: one event may not exceed [`SseDecoder::new`]'s `max_event`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::capture::{RawRequest, Rejection};

/// Relay-side sequence number of a delivery within its channel; starts at 1, never reused.
pub(crate) type Seq = u64;

/// One delivery exactly as the relay received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The channel's sequence number of this delivery, from 1; resumption starts after it.
    pub seq: Seq,
    /// Milliseconds since the Unix epoch, UTC, when the relay began to receive it.
    pub(crate) received_at_ms: i64,
    /// As received; its path is the one after `/c/{channel}`, starting with `/` (just `/`
    /// when nothing followed); only the first body bytes when rejected as too large.
    pub request: RawRequest,
    /// Why the relay did not take it whole (413, 408, 400); the sender got that status.
    pub rejected: Option<Rejection>,
    /// The sender's address as the relay saw it (`ip:port`).
    pub peer: Option<String>,
    /// The signature's verdict at the relay, on arrival (`valid`, `stale`, `invalid`,
    /// `unsigned`), when the channel checks signatures (`channel add --secret`).
    pub(crate) relay_verdict: Option<String>,
}

impl std::ops::Deref for Delivery {
    type Target = RawRequest;

    fn deref(&self) -> &RawRequest {
        &self.request
    }
}

/// First event of every stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The stream continues after this sequence.
    pub(crate) after: Seq,
    /// The channel's newest sequence when the stream began (`last_seq - after` is the backlog).
    pub(crate) last_seq: Seq,
    /// The relay sends something at least this often.
    pub(crate) heartbeat_ms: u64,
}

/// Deliveries `from..=to` were deleted (retention) before this subscriber read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// First deleted sequence.
    pub from: Seq,
    /// Last deleted sequence.
    pub to: Seq,
}

/// One decoded event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The stream's first event: where it resumes.
    Hello(Hello),
    /// One delivery.
    Delivery(Box<Delivery>),
    /// Deliveries deleted before this subscriber read them.
    Gap(Gap),
    /// A keep-alive; nothing to do.
    Heartbeat,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// A stream event that cannot be decoded.
pub enum ProtocolError {
    #[error("relay event is larger than {limit} bytes")]
    /// An event over the size limit.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    #[error("relay sent an unknown event type '{0}'")]
    /// An event type this client does not know.
    UnknownEvent(String),
    #[error("relay event '{event}' is malformed: {detail}")]
    /// An event whose data does not parse.
    Malformed {
        /// The event type.
        event: String,
        /// What is wrong.
        detail: String,
    },
}

/// The JSON of a `delivery` event. Field names are short but spelled out; bytes are base64.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDelivery {
    seq: Seq,
    received_at_ms: i64,
    method: String,
    path: String,
    query: Option<String>,
    /// `[name_b64, value_b64]` in received order.
    headers: Vec<[String; 2]>,
    body_b64: String,
    body_size: u64,
    rejected: Option<WireRejection>,
    peer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    relay_verdict: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRejection {
    status: u16,
    reason: String,
}

/// The SSE text of one delivery event.
pub fn encode_delivery(d: &Delivery) -> Vec<u8> {
    let wire = WireDelivery {
        seq: d.seq,
        received_at_ms: d.received_at_ms,
        method: d.method.clone(),
        path: d.path.clone(),
        query: d.query.clone(),
        headers: d
            .headers
            .iter()
            .map(|(n, v)| [B64.encode(n), B64.encode(v)])
            .collect(),
        body_b64: B64.encode(&d.body),
        body_size: d.body_size,
        rejected: d.rejected.as_ref().map(|r| WireRejection {
            status: r.status,
            reason: r.reason.clone(),
        }),
        peer: d.peer.clone(),
        relay_verdict: d.relay_verdict.clone(),
    };
    // Serializing plain strings and numbers cannot fail.
    let json = serde_json::to_string(&wire).unwrap_or_default();
    event_text(Some(d.seq), "delivery", &json)
}

pub(crate) fn encode_hello(h: &Hello) -> Vec<u8> {
    let json = serde_json::to_string(h).unwrap_or_default();
    event_text(None, "hello", &json)
}

pub(crate) fn encode_gap(g: &Gap) -> Vec<u8> {
    let json = serde_json::to_string(g).unwrap_or_default();
    event_text(None, "gap", &json)
}

/// A comment line: keeps proxies and the client's dead-stream timer from giving up.
pub(crate) fn encode_heartbeat() -> Vec<u8> {
    b": hb\n\n".to_vec()
}

/// JSON never contains a raw newline, so one `data:` line holds it.
fn event_text(id: Option<Seq>, event: &str, data: &str) -> Vec<u8> {
    let mut s = String::with_capacity(data.len() + 48);
    if let Some(id) = id {
        s.push_str(&format!("id: {id}\n"));
    }
    s.push_str("event: ");
    s.push_str(event);
    s.push_str("\ndata: ");
    s.push_str(data);
    s.push_str("\n\n");
    s.into_bytes()
}

/// One SSE event as parsed from the stream (the fields this protocol uses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// `None` for a comment-only block (a heartbeat).
    pub(crate) event: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) data: String,
}

/// Incremental SSE parser: push bytes as they arrive, take whole events out.
/// Lines end in `\n`, `\r\n` or `\r` (the SSE rules); a blank line ends an event.
#[derive(Debug)]
pub struct SseDecoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already scanned for a line end.
    scanned: usize,
    max_event: usize,
    current: SseEvent,
    current_size: usize,
    /// The block so far had a field (else only comments, a heartbeat, or nothing).
    saw_field: bool,
    saw_data: bool,
    saw_comment: bool,
}

impl SseDecoder {
    /// `max_event`: most bytes one event may take on the wire.
    pub fn new(max_event: usize) -> SseDecoder {
        SseDecoder {
            buf: Vec::new(),
            scanned: 0,
            max_event,
            current: SseEvent::default(),
            current_size: 0,
            saw_field: false,
            saw_data: false,
            saw_comment: false,
        }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole event, if the buffer holds one.
    pub fn next_event(&mut self) -> Result<Option<SseEvent>, ProtocolError> {
        loop {
            let Some((line_end, next_start)) = self.find_line_end() else {
                if self.current_size + self.buf.len() > self.max_event {
                    return Err(ProtocolError::TooLarge {
                        limit: self.max_event,
                    });
                }
                return Ok(None);
            };
            let line: Vec<u8> = self.buf[..line_end].to_vec();
            self.buf.drain(..next_start);
            self.scanned = 0;
            self.current_size += next_start;
            if self.current_size > self.max_event {
                return Err(ProtocolError::TooLarge {
                    limit: self.max_event,
                });
            }
            if line.is_empty() {
                if let Some(ev) = self.finish_event() {
                    return Ok(Some(ev));
                }
                continue;
            }
            self.field(&line)?;
        }
    }

    /// (end of line content, start of the next line), for a complete line in `buf`.
    fn find_line_end(&mut self) -> Option<(usize, usize)> {
        let pos = self.buf[self.scanned..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map(|p| p + self.scanned);
        let Some(pos) = pos else {
            self.scanned = self.buf.len();
            return None;
        };
        if self.buf[pos] == b'\n' {
            return Some((pos, pos + 1));
        }
        // A `\r` at the very end may be the first half of `\r\n`: wait for the next byte.
        match self.buf.get(pos + 1) {
            Some(b'\n') => Some((pos, pos + 2)),
            Some(_) => Some((pos, pos + 1)),
            None => {
                self.scanned = pos;
                None
            }
        }
    }

    fn field(&mut self, line: &[u8]) -> Result<(), ProtocolError> {
        if line.first() == Some(&b':') {
            self.saw_comment = true;
            return Ok(());
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = std::str::from_utf8(value).map_err(|_| ProtocolError::Malformed {
            event: "stream".into(),
            detail: "a line is not UTF-8".into(),
        })?;
        match name {
            b"event" => self.current.event = Some(value.to_string()),
            b"id" => self.current.id = Some(value.to_string()),
            b"data" => {
                if self.saw_data {
                    self.current.data.push('\n');
                }
                self.saw_data = true;
                self.current.data.push_str(value);
            }
            // `retry` and unknown fields are ignored, as the SSE rules say.
            _ => return Ok(()),
        }
        self.saw_field = true;
        Ok(())
    }

    fn finish_event(&mut self) -> Option<SseEvent> {
        let ev = std::mem::take(&mut self.current);
        let (field, comment) = (self.saw_field, self.saw_comment);
        self.saw_field = false;
        self.saw_data = false;
        self.saw_comment = false;
        self.current_size = 0;
        if field {
            Some(ev)
        } else if comment {
            Some(SseEvent::default())
        } else {
            None
        }
    }
}

impl Frame {
    /// Turns a parsed SSE event into a frame, checking everything in it.
    pub fn decode(ev: &SseEvent) -> Result<Frame, ProtocolError> {
        let Some(kind) = ev.event.as_deref() else {
            return Ok(Frame::Heartbeat);
        };
        let bad = |detail: String| ProtocolError::Malformed {
            event: kind.to_string(),
            detail,
        };
        match kind {
            "hello" => serde_json::from_str(&ev.data)
                .map(Frame::Hello)
                .map_err(|e| bad(e.to_string())),
            "gap" => {
                let g: Gap = serde_json::from_str(&ev.data).map_err(|e| bad(e.to_string()))?;
                if g.from == 0 || g.from > g.to {
                    return Err(bad(format!("range {}..={} is empty", g.from, g.to)));
                }
                Ok(Frame::Gap(g))
            }
            "delivery" => decode_delivery(ev).map_err(bad),
            other => Err(ProtocolError::UnknownEvent(truncate(other, 64))),
        }
    }
}

fn decode_delivery(ev: &SseEvent) -> Result<Frame, String> {
    let w: WireDelivery = serde_json::from_str(&ev.data).map_err(|e| e.to_string())?;
    if ev.id.as_deref() != Some(w.seq.to_string().as_str()) {
        return Err(format!("id does not match seq {}", w.seq));
    }
    if w.seq == 0 {
        return Err("seq 0 is not a delivery".into());
    }
    if !w.path.starts_with('/') {
        return Err("path does not start with '/'".into());
    }
    let mut headers = Vec::with_capacity(w.headers.len());
    for (i, [n, v]) in w.headers.iter().enumerate() {
        let n = B64.decode(n).map_err(|e| format!("header {i} name: {e}"))?;
        let v = B64
            .decode(v)
            .map_err(|e| format!("header {i} value: {e}"))?;
        headers.push((n, v));
    }
    let body = B64.decode(&w.body_b64).map_err(|e| format!("body: {e}"))?;
    if w.body_size < body.len() as u64 {
        return Err("body_size is smaller than the body".into());
    }
    Ok(Frame::Delivery(Box::new(Delivery {
        seq: w.seq,
        received_at_ms: w.received_at_ms,
        request: RawRequest {
            method: w.method,
            path: w.path,
            query: w.query,
            headers,
            body,
            body_size: w.body_size,
        },
        rejected: w.rejected.map(|r| Rejection {
            status: r.status,
            reason: r.reason,
        }),
        peer: w.peer,
        relay_verdict: w.relay_verdict,
    })))
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// What the relay must say before streaming from `after`, given that every sequence up to
/// `pruned_upto` has been deleted by retention: the range this subscriber will never see.
pub(crate) fn gap_after(after: Seq, pruned_upto: Seq) -> Option<Gap> {
    (after < pruned_upto).then_some(Gap {
        from: after + 1,
        to: pruned_upto,
    })
}

/// Most bytes a `delivery` event of a body of `max_body` bytes and `max_head` header bytes can
/// take on the wire (base64 is 4/3, plus JSON and SSE framing).
pub(crate) fn max_event_size(max_body: usize, max_head: usize) -> usize {
    (max_body.saturating_add(max_head) / 3 + 1)
        .saturating_mul(4)
        .saturating_add(64 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(seq: Seq) -> Delivery {
        Delivery {
            seq,
            received_at_ms: 1_700_000_000_123,
            request: RawRequest {
                method: "POST".into(),
                path: "/dataspike/hook".into(),
                query: Some("a=1&b=%20".into()),
                headers: vec![
                    (b"Host".to_vec(), b"relay.example".to_vec()),
                    (b"X-Dup".to_vec(), b"1".to_vec()),
                    (b"x-dup".to_vec(), b"caf\xe9".to_vec()),
                ],
                body: b"{\"score\": 1.0,\n \"x\": \"\xff\"}".to_vec(),
                body_size: 27,
            },
            rejected: None,
            peer: Some("203.0.113.9:5555".into()),
            relay_verdict: Some("stale".into()),
        }
    }

    fn decode_all(bytes: &[u8], chunk: usize) -> Vec<Frame> {
        let mut d = SseDecoder::new(1 << 20);
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk.max(1)) {
            d.push(piece);
            while let Some(ev) = d.next_event().unwrap() {
                out.push(Frame::decode(&ev).unwrap());
            }
        }
        out
    }

    #[test]
    fn delivery_round_trips_byte_for_byte_in_any_chunking() {
        let mut d = delivery(7);
        d.rejected = Some(Rejection {
            status: 413,
            reason: "too big".into(),
        });
        let mut wire = encode_hello(&Hello {
            after: 6,
            last_seq: 9,
            heartbeat_ms: 15_000,
        });
        wire.extend(encode_heartbeat());
        wire.extend(encode_gap(&Gap { from: 3, to: 6 }));
        wire.extend(encode_delivery(&d));
        for chunk in [1, 2, 3, 7, 64, wire.len()] {
            let frames = decode_all(&wire, chunk);
            assert_eq!(frames.len(), 4, "chunk {chunk}");
            assert_eq!(frames[1], Frame::Heartbeat);
            assert_eq!(frames[2], Frame::Gap(Gap { from: 3, to: 6 }));
            assert_eq!(frames[3], Frame::Delivery(Box::new(d.clone())));
        }
    }

    #[test]
    fn crlf_and_cr_line_ends_are_accepted() {
        let text = encode_delivery(&delivery(2));
        let crlf = String::from_utf8(text.clone())
            .unwrap()
            .replace('\n', "\r\n");
        let cr = String::from_utf8(text).unwrap().replace('\n', "\r");
        for wire in [crlf, cr] {
            // One extra byte so a trailing `\r` is known not to be half of `\r\n`.
            let mut wire = wire.into_bytes();
            wire.extend(b": x\n\n");
            for chunk in [1, 5, wire.len()] {
                let frames = decode_all(&wire, chunk);
                assert_eq!(frames[0], Frame::Delivery(Box::new(delivery(2))));
            }
        }
    }

    #[test]
    fn malformed_events_are_errors_not_panics() {
        let cases: &[&[u8]] = &[
            b"event: delivery\ndata: {}\n\n",
            b"event: delivery\nid: 1\ndata: not json\n\n",
            b"event: nope\ndata: {}\n\n",
            b"event: gap\ndata: {\"from\":5,\"to\":2}\n\n",
            b"event: gap\ndata: {\"from\":0,\"to\":2}\n\n",
            b"event: hello\ndata: []\n\n",
        ];
        for case in cases {
            let mut d = SseDecoder::new(1024);
            d.push(case);
            let ev = d.next_event().unwrap().unwrap();
            assert!(
                Frame::decode(&ev).is_err(),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
        // id must match seq; bad base64 is refused.
        let good = String::from_utf8(encode_delivery(&delivery(4))).unwrap();
        for bad in [
            good.replace("id: 4", "id: 5"),
            good.replace("\"body_b64\":\"", "\"body_b64\":\"!"),
        ] {
            let mut d = SseDecoder::new(1 << 20);
            d.push(bad.as_bytes());
            let ev = d.next_event().unwrap().unwrap();
            assert!(Frame::decode(&ev).is_err(), "{bad}");
        }
        // Non-UTF-8 field values are an error.
        let mut d = SseDecoder::new(1024);
        d.push(b"event: \xff\n\n");
        assert!(d.next_event().is_err());
    }

    #[test]
    fn an_oversized_event_is_refused_before_it_is_buffered_whole() {
        let mut d = SseDecoder::new(100);
        d.push(&[b'a'; 101]);
        assert_eq!(d.next_event(), Err(ProtocolError::TooLarge { limit: 100 }));
        let mut d = SseDecoder::new(100);
        for _ in 0..20 {
            d.push(b"data: 0123456789\n");
        }
        assert!(d.next_event().is_err());
    }

    /// What `fuzz/relay_frame` checks, on mutated real streams (the fuzzer itself needs
    /// cargo-fuzz): no panic, chunking does not change the frames, deliveries round-trip.
    #[test]
    fn mutated_streams_never_panic_and_chunking_does_not_matter() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut base = encode_hello(&Hello {
            after: 0,
            last_seq: 2,
            heartbeat_ms: 15_000,
        });
        base.extend(encode_delivery(&delivery(1)));
        base.extend(encode_heartbeat());
        base.extend(encode_gap(&Gap { from: 2, to: 3 }));
        base.extend(encode_delivery(&delivery(4)));
        let run = |bytes: &[u8], chunk: usize| -> Option<Vec<Frame>> {
            let mut d = SseDecoder::new(4096);
            let mut out = Vec::new();
            for piece in bytes.chunks(chunk) {
                d.push(piece);
                loop {
                    match d.next_event() {
                        Ok(Some(ev)) => out.extend(Frame::decode(&ev).ok()),
                        Ok(None) => break,
                        Err(_) => return None,
                    }
                }
            }
            Some(out)
        };
        for _ in 0..3000 {
            let mut bytes = base.clone();
            for _ in 0..rng.random_range(1..6) {
                let i = rng.random_range(0..bytes.len());
                match rng.random_range(0..4) {
                    0 => bytes[i] = rng.random(),
                    1 => {
                        bytes[i] = *[b'\r', b'\n', b':', b'"']
                            .get(rng.random_range(0..4))
                            .unwrap_or(&0)
                    }
                    2 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, rng.random()),
                }
            }
            let chunk = rng.random_range(1..40);
            let (a, b) = (run(&bytes, chunk), run(&bytes, bytes.len()));
            if let (Some(a), Some(b)) = (&a, &b) {
                assert_eq!(a, b);
            }
            for f in a.into_iter().flatten() {
                if let Frame::Delivery(d) = f {
                    let mut dec = SseDecoder::new(usize::MAX);
                    dec.push(&encode_delivery(&d));
                    let ev = dec.next_event().unwrap().unwrap();
                    assert_eq!(Frame::decode(&ev).unwrap(), Frame::Delivery(d));
                }
            }
        }
    }

    #[test]
    fn gap_only_when_the_cursor_is_behind_what_was_deleted() {
        assert_eq!(gap_after(0, 0), None);
        assert_eq!(gap_after(5, 5), None);
        assert_eq!(gap_after(9, 5), None);
        assert_eq!(gap_after(2, 5), Some(Gap { from: 3, to: 5 }));
        assert_eq!(gap_after(0, 1), Some(Gap { from: 1, to: 1 }));
    }

    #[test]
    fn event_size_bound_covers_base64() {
        let mut d = delivery(1);
        d.request.body = vec![0xAB; 5 * 1024 * 1024];
        d.request.body_size = d.body.len() as u64;
        let wire = encode_delivery(&d);
        assert!(wire.len() <= max_event_size(d.body.len(), 1024));
        let frames = {
            let mut dec = SseDecoder::new(max_event_size(d.body.len(), 1024));
            dec.push(&wire);
            Frame::decode(&dec.next_event().unwrap().unwrap()).unwrap()
        };
        assert_eq!(frames, Frame::Delivery(Box::new(d)));
    }
}
