//! What the running parts tell their consumers. The intake and the record step send [`Report`]s;
//! headless output and the TUI are two consumers of the same stream.

use crate::capture::{AttemptBrief, CaptureId, CaptureSummary};

// Most reports are captures, so boxing the big variant would only add an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
/// One thing that happened, for headless output and the TUI.
pub enum Report {
    /// The listener is bound and serving at `url`.
    Listening {
        /// The URL senders post to.
        url: String,
    },
    /// A capture was committed to the store.
    Captured(CaptureSummary),
    /// A forward or replay of a capture finished (stored as an attempt).
    Attempted {
        /// The capture sent.
        capture_id: CaptureId,
        /// Its outcome: status, latency or error.
        attempt: AttemptBrief,
        /// Whether this was a replay (false: a live forward).
        replay: bool,
    },
    /// How many live forwards wait for a free slot (`--forward-concurrency`); sent while the
    /// queue is not empty, and once with 0 when it has drained.
    ForwardQueue {
        /// How many forwards wait.
        waiting: usize,
    },
    /// Whether the forward target accepted a connection at the last probe.
    TargetReachable(bool),
    /// A one-line message for the user (an export's path, a failed replay, ...).
    Notice {
        /// The message.
        text: String,
        /// Whether it reports a failure (shown as one).
        error: bool,
    },
    /// What the relay client is doing: `url` is the public URL senders post to.
    Relay {
        /// The relay's public URL.
        url: String,
        /// The relay client's state.
        state: crate::conn::ConnState,
    },
}

/// Sending half of the report stream.
pub(crate) type ReportTx = tokio::sync::mpsc::UnboundedSender<Report>;
/// Receiving half of the report stream.
pub(crate) type ReportRx = tokio::sync::mpsc::UnboundedReceiver<Report>;

/// A new report stream: the sending half for the running parts, the receiving half for a consumer.
pub fn channel() -> (ReportTx, ReportRx) {
    tokio::sync::mpsc::unbounded_channel()
}
