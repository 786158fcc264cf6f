//! How the MCP surface words a [`Hint`]: as the tool arguments an agent can pass, or what to
//! change in the server's environment (its entry in the MCP client's config), never as a
//! command line flag the agent cannot pass to a running server.

use serde_json::Value;

use crate::hint::{Hint, Limit};
use crate::signature::Scheme;

pub fn words(hint: Hint) -> String {
    let restart =
        "in the env of the hookscope mcp server in your MCP client's config, then restart it";
    match hint {
        Hint::PassSecret {
            scheme: Scheme::Dataspike,
        } => format!("set HOOKSCOPE_SECRET to the Dataspike secret {restart}"),
        Hint::PassSecret { scheme } => {
            format!("add {scheme}=<secret> to HOOKSCOPE_SECRET (comma-separated) {restart}")
        }
        Hint::RealSecret => format!("set HOOKSCOPE_SECRET to the real secret {restart}"),
        Hint::ResignOrWiden => "replay it with replay_capture (re-signed by default)".into(),
        Hint::NoTarget => "pass to: the app's URL".into(),
        Hint::ResignFailed => "call replay_capture with resign_failed: true to re-sign it anyway (the app then accepts a body nobody signed)".into(),
        Hint::Limit(Limit::MaxBody) => "the listener's body limit cut it short: raise it where 'hookscope listen' runs".into(),
        Hint::Limit(Limit::ReadTimeout) => "the listener's read timeout cut it short: raise it where 'hookscope listen' runs".into(),
        Hint::Limit(Limit::ForwardConcurrency) => "the listener's forward queue was full: raise its forward concurrency where 'hookscope listen' runs".into(),
        Hint::Loopback => "listen on 127.0.0.1 unless the network needs it".into(),
        Hint::RelayToken | Hint::RelayChannel | Hint::RelayDb | Hint::RelayAdminToken | Hint::RelayAdminApi => "check the relay settings where 'hookscope listen' runs ('hookscope relay channel list' on the relay host)".into(),
        Hint::TrustCert => "for a private CA, set the server's CA certificate in its args in your MCP client's config, then restart it".into(),
        Hint::FinalUrl => "pass to: the final URL (https, or the trailing slash the app wants)".into(),
    }
}

/// `{"code": ..., "text": ...}`: the stable code and these words.
pub fn json(hint: Hint) -> Value {
    let mut v = hint.to_json();
    v["text"] = words(hint).into();
    v
}

/// `text: what to do`, or the text alone.
pub fn with(text: impl std::fmt::Display, hint: Option<Hint>) -> String {
    match hint {
        Some(h) => format!("{text}: {}", words(h)),
        None => text.to_string(),
    }
}
