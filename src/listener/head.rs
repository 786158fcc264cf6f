//! hyper hands the service a `HeaderMap`, which lower-cases names and groups repeated headers.
//! To store headers exactly as received, the connection's reads are teed into a small buffer
//! until the end of the request head, and the head is parsed again with `httparse` (the parser
//! hyper itself uses).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::headers::HeaderPair;

/// A request head larger than this is not recorded (hyper rejects it anyway).
const MAX_RECORDED_HEAD: usize = 256 * 1024;
/// Headers parsed on the stack; heads with more are parsed again with room for [`MAX_HEADERS`].
const USUAL_HEADERS: usize = 64;
/// Most headers parsed from a recorded head (the listener's own limit is lower).
const MAX_HEADERS: usize = 1024;

#[derive(Default)]
struct State {
    buf: Vec<u8>,
    /// Set once `buf` holds a whole head; later reads are not recorded until `rearm`.
    complete: bool,
    /// The connection speaks HTTP/2: never record.
    http2: bool,
}

/// The first bytes of an HTTP/2 connection (RFC 9113, 3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Shared between a connection's IO wrapper and the requests served on it.
#[derive(Clone, Default)]
pub struct HeadRecorder(Arc<Mutex<State>>);

impl HeadRecorder {
    fn record(&self, bytes: &[u8]) {
        let Ok(mut st) = self.0.lock() else { return };
        if st.complete || st.http2 || bytes.is_empty() {
            return;
        }
        let scan_from = st.buf.len().saturating_sub(3);
        st.buf.extend_from_slice(bytes);
        // An HTTP/2 connection's heads are binary frames hyper decodes; nothing to record,
        // now or after a rearm.
        if st.buf.starts_with(H2_PREFACE) {
            st.http2 = true;
            st.buf = Vec::new();
            return;
        }
        if H2_PREFACE.starts_with(&st.buf) {
            return; // maybe the preface, split across reads
        }
        if st.buf[scan_from..].windows(4).any(|w| w == b"\r\n\r\n") {
            st.complete = true;
        } else if st.buf.len() > MAX_RECORDED_HEAD {
            st.buf.clear();
            st.complete = true;
        }
    }

    /// The recorded head of the current request, parsed; `None` when it cannot be matched to
    /// `method` and `target`, in which case the caller falls back to hyper's header map.
    pub fn take_headers(&self, method: &str, target: &str) -> Option<Vec<HeaderPair>> {
        let st = self.0.lock().ok()?;
        parse_head(&st.buf, method, target)
    }

    /// Starts recording the next request's head. Call once this request's body has been read.
    pub fn rearm(&self) {
        if let Ok(mut st) = self.0.lock() {
            st.buf.clear();
            st.complete = false;
        }
    }
}

/// Parses `buf` as an HTTP/1 request head and returns its headers in order with exact bytes,
/// provided its method and request target are the ones hyper reported.
pub fn parse_head(buf: &[u8], method: &str, target: &str) -> Option<Vec<HeaderPair>> {
    // Some clients send stray CRLFs between requests; HTTP/1.1 allows skipping them.
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let mut usual = [httparse::EMPTY_HEADER; USUAL_HEADERS];
    if let Some(h) = parse_into(&buf[start..], &mut usual, method, target) {
        return h;
    }
    let mut many = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
    parse_into(&buf[start..], &mut many, method, target).flatten()
}

/// `None` when `room` was too small; `Some(None)` when the head does not parse or match.
fn parse_into<'h>(
    head: &'h [u8],
    room: &mut [httparse::Header<'h>],
    method: &str,
    target: &str,
) -> Option<Option<Vec<HeaderPair>>> {
    let mut req = httparse::Request::new(room);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => return None,
        _ => return Some(None),
    }
    if req.method != Some(method) || req.path != Some(target) {
        return Some(None);
    }
    Some(Some(
        req.headers
            .iter()
            .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
            .collect(),
    ))
}

/// Wraps a connection and tees what it reads into a [`HeadRecorder`].
pub struct RecordingIo<T> {
    inner: T,
    recorder: HeadRecorder,
}

impl<T> RecordingIo<T> {
    pub fn new(inner: T, recorder: HeadRecorder) -> Self {
        RecordingIo { inner, recorder }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for RecordingIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res {
            self.recorder.record(&buf.filled()[before..]);
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for RecordingIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_names_order_and_bytes() {
        let head = b"\r\nPOST /hook?a=1 HTTP/1.1\r\nHost: x\r\nX-Webhook-Signature: t=1,v1=ab\r\nx-dup: 1\r\nContent-Type: application/json\r\nX-DUP: \xff2\r\n\r\nbody";
        let h = parse_head(head, "POST", "/hook?a=1").unwrap();
        let names: Vec<&[u8]> = h.iter().map(|(n, _)| n.as_slice()).collect();
        assert_eq!(
            names,
            vec![
                &b"Host"[..],
                b"X-Webhook-Signature",
                b"x-dup",
                b"Content-Type",
                b"X-DUP"
            ]
        );
        assert_eq!(h[4].1, b"\xff2");
    }

    #[test]
    fn many_headers_still_parse() {
        let mut head = b"POST /a HTTP/1.1\r\n".to_vec();
        for i in 0..500 {
            head.extend_from_slice(format!("X-H{i}: {i}\r\n").as_bytes());
        }
        head.extend_from_slice(b"\r\n");
        let h = parse_head(&head, "POST", "/a").unwrap();
        assert_eq!(h.len(), 500);
        assert_eq!(h[499], (b"X-H499".to_vec(), b"499".to_vec()));
    }

    #[test]
    fn mismatched_or_partial_heads_fall_back() {
        let head = b"POST /a HTTP/1.1\r\nHost: x\r\n\r\n";
        assert!(parse_head(head, "GET", "/a").is_none());
        assert!(parse_head(head, "POST", "/b").is_none());
        assert!(parse_head(b"POST /a HTTP/1.1\r\nHost:", "POST", "/a").is_none());
        assert!(parse_head(b"", "POST", "/a").is_none());
    }

    #[test]
    fn recorder_stops_at_end_of_head_and_rearms() {
        let r = HeadRecorder::default();
        r.record(b"POST /a HTTP/1.1\r\nHo");
        r.record(b"st: x\r\n\r");
        r.record(b"\nbody bytes");
        r.record(b"more body, not recorded");
        assert_eq!(
            r.take_headers("POST", "/a").unwrap(),
            vec![(b"Host".to_vec(), b"x".to_vec())]
        );
        assert!(r.0.lock().unwrap().buf.len() < 40);
        r.rearm();
        r.record(b"GET /b HTTP/1.1\r\nA: 1\r\n\r\n");
        assert_eq!(r.take_headers("GET", "/b").unwrap().len(), 1);
    }

    #[test]
    fn an_http2_connection_is_never_recorded() {
        let r = HeadRecorder::default();
        r.record(b"PRI * HTTP/2.0\r\n\r");
        r.record(b"\nSM\r\n\r\n\x00\x00\x12\x04");
        r.rearm();
        r.record(b"GET /b HTTP/1.1\r\nA: 1\r\n\r\n");
        assert!(r.take_headers("GET", "/b").is_none());
        assert!(r.0.lock().unwrap().buf.is_empty());
    }
}
