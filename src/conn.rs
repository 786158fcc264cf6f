//! The relay connection's state as the laptop's client reports it, and its few words: a leaf
//! that the relay client sends and the surfaces (TUI header, headless log) read, so neither
//! surface imports the client.

use std::time::Duration;

use crate::hint::Hint;

/// What the client is doing, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    /// Opening the stream to the relay.
    Connecting,
    /// Streaming; `backlog` deliveries were waiting at the relay when it began.
    Connected {
        /// How many deliveries were waiting.
        backlog: u64,
    },
    /// Everything the relay held when the stream began is committed locally.
    CaughtUp,
    /// The stream broke; the next try is after `delay`.
    Reconnecting {
        /// How long until the next try.
        delay: Duration,
        /// Why the stream broke, for the user.
        reason: String,
    },
    /// The relay refused the token or does not know the channel; the client has stopped.
    Refused {
        /// What the relay said, for the user.
        reason: String,
        /// What to do about it, when hookscope knows.
        hint: Option<Hint>,
    },
}

impl ConnState {
    /// A stable name for machine-readable output.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ConnState::Connecting => "connecting",
            ConnState::Connected { .. } => "connected",
            ConnState::CaughtUp => "caught_up",
            ConnState::Reconnecting { .. } => "reconnecting",
            ConnState::Refused { .. } => "refused",
        }
    }
}

/// A few words for the TUI header and the log, the remedy in the surface's `words`, and
/// whether it is trouble.
pub(crate) fn state_text(s: &ConnState, words: crate::hint::Words) -> (String, bool) {
    match s {
        ConnState::Connecting => ("connecting".into(), false),
        ConnState::Connected { backlog: 0 } => ("connected".into(), false),
        ConnState::Connected { backlog } => (format!("connected, catching up on {backlog}"), false),
        ConnState::CaughtUp => ("connected, caught up".into(), false),
        ConnState::Reconnecting { delay, reason } => (
            format!("reconnecting in {:.1} s ({reason})", delay.as_secs_f64()),
            true,
        ),
        ConnState::Refused { reason, hint } => match hint {
            Some(h) => (format!("stopped: {reason}: {}", words(*h)), true),
            None => (format!("stopped: {reason}"), true),
        },
    }
}
