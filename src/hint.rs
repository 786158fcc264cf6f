//! What the developer can do about something, said once and neutrally: a [`Hint`] names the
//! remedy, and each surface words it in its own terms (the CLI as flags in `commands::hint`,
//! the TUI as keys in `tui::hint`, NDJSON as `Hint::code`). Nothing below the command layer
//! names a flag; it returns a hint instead. A leaf: imports only the scheme it may name.

use crate::signature::Scheme;

/// A setting with a limit that can be raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The largest body stored and forwarded.
    MaxBody,
    /// How long a request body may take to arrive.
    ReadTimeout,
    /// How many live forwards run at once.
    ForwardConcurrency,
}

/// A remedy, in no surface's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// Give a secret of this scheme.
    PassSecret {
        /// The scheme whose secret is missing.
        scheme: Scheme,
    },
    /// Real deliveries need the real secret, not the local development one.
    RealSecret,
    /// A stale signature: replay it re-signed, or allow older timestamps.
    ResignOrWiden,
    /// The capture has no target: name one.
    NoTarget,
    /// A capture whose own signature failed is re-signed only when asked for explicitly.
    ResignFailed,
    /// Raise this limit.
    Limit(Limit),
    /// Bind to loopback only.
    Loopback,
    /// The relay refused the read token: give the right one, or make a new one.
    RelayToken,
    /// The relay has no such channel: check the URL, or create one.
    RelayChannel,
    /// The relay refused the admin token: give the one it showed (or its token file's).
    RelayAdminToken,
    /// The relay runs without its remote channel API: restart it with an admin token.
    RelayAdminApi,
    /// The relay's database has no channels yet, or is another file.
    RelayDb,
    /// Trust a private CA (or pin a self-signed certificate).
    TrustCert,
    /// Point the target at the final URL a redirect names.
    FinalUrl,
}

impl Hint {
    /// A stable name for machine-readable output (`--json`, NDJSON).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Hint::PassSecret { .. } => "pass_secret",
            Hint::RealSecret => "real_secret",
            Hint::ResignOrWiden => "resign_or_widen",
            Hint::NoTarget => "no_target",
            Hint::ResignFailed => "resign_failed",
            Hint::Limit(Limit::MaxBody) => "limit_max_body",
            Hint::Limit(Limit::ReadTimeout) => "limit_read_timeout",
            Hint::Limit(Limit::ForwardConcurrency) => "limit_forward_concurrency",
            Hint::Loopback => "loopback",
            Hint::RelayToken => "relay_token",
            Hint::RelayChannel => "relay_channel",
            Hint::RelayAdminToken => "relay_admin_token",
            Hint::RelayAdminApi => "relay_admin_api",
            Hint::RelayDb => "relay_db",
            Hint::TrustCert => "trust_cert",
            Hint::FinalUrl => "final_url",
        }
    }

    /// The scheme a hint is about, for output that names it beside the code.
    pub(crate) fn scheme(self) -> Option<Scheme> {
        match self {
            Hint::PassSecret { scheme } => Some(scheme),
            _ => None,
        }
    }

    /// `{"code": .., "scheme": ..}` for machine-readable output.
    pub(crate) fn to_json(self) -> serde_json::Value {
        let mut v = serde_json::json!({ "code": self.code() });
        if let Some(s) = self.scheme() {
            v["scheme"] = s.name().into();
        }
        v
    }
}

/// How a surface words a hint: the CLI's flags, the TUI's keys. Passed down to code that
/// formats for several surfaces (the headless printer, `output::explain`).
pub(crate) type Words = fn(Hint) -> String;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_name_the_scheme() {
        let h = Hint::PassSecret {
            scheme: Scheme::Stripe,
        };
        assert_eq!(
            h.to_json(),
            serde_json::json!({"code": "pass_secret", "scheme": "stripe"})
        );
        assert_eq!(
            Hint::NoTarget.to_json(),
            serde_json::json!({"code": "no_target"})
        );
    }
}
