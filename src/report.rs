//! What the running parts tell their consumers. The intake and the record step send [`Report`]s;
//! headless output and the TUI are two consumers of the same stream.

use crate::capture::{AttemptBrief, CaptureId, CaptureSummary};

// Most reports are captures, so boxing the big variant would only add an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The listener is bound and serving at `url`.
    Listening { url: String },
    /// A capture was committed to the store.
    Captured(CaptureSummary),
    /// A forward or replay of a capture finished (stored as an attempt).
    Attempted {
        capture_id: CaptureId,
        attempt: AttemptBrief,
        /// Whether this was a replay (false: a live forward).
        replay: bool,
    },
    /// How many live forwards wait for a free slot (`--forward-concurrency`); sent while the
    /// queue is not empty, and once with 0 when it has drained.
    ForwardQueue { waiting: usize },
    /// Whether the forward target accepted a connection at the last probe.
    TargetReachable(bool),
    /// A one-line message for the user (an export's path, a failed replay, ...).
    Notice { text: String, error: bool },
    /// What the relay client is doing: `url` is the public URL senders post to.
    Relay {
        url: String,
        state: crate::relay::client::ConnState,
    },
}

/// Sending half of the report stream.
pub(crate) type ReportTx = tokio::sync::mpsc::UnboundedSender<Report>;
/// Receiving half of the report stream.
pub(crate) type ReportRx = tokio::sync::mpsc::UnboundedReceiver<Report>;

pub fn channel() -> (ReportTx, ReportRx) {
    tokio::sync::mpsc::unbounded_channel()
}
