//! How the command line words a [`Hint`]: as the flags and commands a CLI user types.

use crate::hint::{Hint, Limit};
use crate::signature::Scheme;

/// The CLI's words for `hint` (no leading separator, no trailing period).
pub fn words(hint: Hint) -> String {
    match hint {
        Hint::PassSecret {
            scheme: Scheme::Dataspike,
        } => "pass --secret or set HOOKSCOPE_SECRET".into(),
        Hint::PassSecret { scheme } => {
            format!("pass --secret {scheme}=... or add {scheme}=... to HOOKSCOPE_SECRET")
        }
        Hint::RealSecret => "pass --secret for real deliveries".into(),
        Hint::ResignOrWiden => "replay with --resign, or widen --tolerance".into(),
        Hint::NoTarget => "pass --to URL".into(),
        Hint::ResignFailed => {
            "name it by id with --resign-failed to re-sign it anyway (the app then accepts a body nobody signed)".into()
        }
        Hint::Limit(Limit::MaxBody) => "raise --max-body".into(),
        Hint::Limit(Limit::ReadTimeout) => "raise --read-timeout".into(),
        Hint::Limit(Limit::ForwardConcurrency) => "raise --forward-concurrency".into(),
        Hint::Loopback => "use --host 127.0.0.1 unless you need this".into(),
        Hint::RelayToken => "check --relay-token or HOOKSCOPE_RELAY_TOKEN, or make a new one with 'hookscope relay channel rotate-token ID' on the relay host".into(),
        Hint::RelayChannel => "check the --relay URL, or create one with 'hookscope channel add --relay URL' (or 'hookscope relay channel add' on the relay host)".into(),
        Hint::RelayAdminToken => "set HOOKSCOPE_RELAY_ADMIN_TOKEN (or pass --admin-token) to the token the relay printed at its first start with --admin-api, or the one in its --admin-token-file".into(),
        Hint::RelayAdminApi => "restart the relay with --admin-api (a token is printed once) or --admin-token-file FILE".into(),
        Hint::RelayDb => "create a channel first with 'hookscope relay channel add', or pass --db with the right path".into(),
        Hint::TrustCert => "for https, pass --ca-cert with a private CA's (or the server's own) certificate".into(),
        Hint::FinalUrl => "point --to (and the webhook URL) at the final URL (https, or the trailing slash it wants)".into(),
    }
}

/// `text` with the hint's words after it: `text: words`.
pub fn with(text: impl std::fmt::Display, hint: Option<Hint>) -> String {
    match hint {
        Some(h) => format!("{text}: {}", words(h)),
        None => text.to_string(),
    }
}
