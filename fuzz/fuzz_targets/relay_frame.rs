//! The relay client's stream parser: `relay::protocol::SseDecoder` and `Frame::decode`.
//!
//! Input: the first byte picks a chunk size (1-64), the rest is the stream as the relay (or a
//! hostile server) might send it, pushed in chunks of that size.
//! Invariants: nothing panics; every
//! decoded delivery encodes to an event that decodes back to the same delivery (byte-exact
//! headers and body); the same stream pushed whole yields the same frames as in chunks.
#![no_main]

use hookscope::relay::protocol::{encode_delivery, Frame, SseDecoder};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 64 * 1024;

fn frames(stream: &[u8], chunk: usize) -> (Vec<Frame>, bool) {
    let mut d = SseDecoder::new(LIMIT);
    let mut out = Vec::new();
    for piece in stream.chunks(chunk) {
        d.push(piece);
        loop {
            match d.next_event() {
                Ok(Some(ev)) => {
                    if let Ok(f) = Frame::decode(&ev) {
                        out.push(f);
                    }
                }
                Ok(None) => break,
                // The client drops the connection on a stream error; so do we.
                Err(_) => return (out, true),
            }
        }
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 64) + 1;
    let (chunked, failed) = frames(stream, chunk);
    let (whole, failed_whole) = frames(stream, stream.len().max(1));
    if !failed && !failed_whole {
        assert_eq!(chunked, whole);
    }
    for f in chunked {
        if let Frame::Delivery(d) = f {
            let wire = encode_delivery(&d);
            let mut dec = SseDecoder::new(usize::MAX);
            dec.push(&wire);
            let ev = dec.next_event().unwrap().unwrap();
            assert_eq!(Frame::decode(&ev).unwrap(), Frame::Delivery(d));
        }
    }
});
