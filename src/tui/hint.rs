//! How the terminal UI words a [`Hint`]: keys where a key does it, plain words where the remedy
//! is a restart with another setting. Never a flag the TUI user did not type.

use crate::hint::{Hint, Limit};

/// The TUI's words for `hint` (no leading separator, no trailing period).
pub fn words(hint: Hint) -> String {
    match hint {
        Hint::PassSecret { scheme } => format!("restart hookscope with a {scheme} secret"),
        Hint::RealSecret => "restart with the webhook's real secret for real deliveries".into(),
        Hint::ResignOrWiden => "press r to replay it re-signed".into(),
        Hint::NoTarget => "restart with a forward target for replays".into(),
        Hint::ResignFailed => {
            "the TUI never re-signs it; that is done on purpose, by id, from the command line"
                .into()
        }
        Hint::Limit(Limit::MaxBody) => "restart with a larger body limit".into(),
        Hint::Limit(Limit::ReadTimeout) => "restart with a longer read timeout".into(),
        Hint::Limit(Limit::ForwardConcurrency) => "restart with more forwards at once".into(),
        Hint::Loopback => "listen on 127.0.0.1 unless you need this".into(),
        Hint::RelayToken => "check the relay token, or rotate it on the relay host".into(),
        Hint::RelayChannel => "check the relay URL, or create the channel on the relay host".into(),
        Hint::RelayAdminToken => "give the relay's admin token".into(),
        Hint::RelayAdminApi => "start the relay with an admin token".into(),
        Hint::RelayDb => "create a channel on the relay host first".into(),
        Hint::TrustCert => "trust the server's certificate (a private CA's, or its own)".into(),
        Hint::FinalUrl => "point the target at the final URL".into(),
    }
}

/// `text` with the hint's words after it: `text: words`.
pub fn with(text: impl std::fmt::Display, hint: Option<Hint>) -> String {
    match hint {
        Some(h) => format!("{text}: {}", words(h)),
        None => text.to_string(),
    }
}
