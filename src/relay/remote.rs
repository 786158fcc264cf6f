//! The laptop's side of the relay's remote channel API (`super::admin`): add, list, remove a
//! channel and rotate its read token over HTTPS with the relay's admin token. Typed answers
//! and typed refusals; it prints nothing, names no flag, and never puts a token in an error.

use bytes::Bytes;
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

use super::channel::is_channel_id;
use crate::hint::Hint;

/// How long one admin request may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Largest answer read.
const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// A relay's base URL: `https://relay.example.com[/prefix]`, no trailing `/`. The same text
/// [`super::client::RelayUrl`] takes as its base, so a token stored under one is found by the
/// other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayBase(String);

impl RelayBase {
    /// Parses a relay URL; a channel URL (`.../c/ID`) is taken as its relay's.
    pub fn parse(text: &str) -> Result<RelayBase, String> {
        let hint = "give the relay's URL, like https://relay.example.com";
        let uri: Uri = text
            .trim()
            .parse()
            .map_err(|e| format!("'{text}' is not a URL ({e}); {hint}"))?;
        let scheme = match uri.scheme_str() {
            Some(s @ ("http" | "https")) => s,
            _ => return Err(format!("'{text}' must start with https://; {hint}")),
        };
        if uri.query().is_some() {
            return Err(format!("'{text}' must not have a query; {hint}"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("'{text}' has no host; {hint}"))?;
        let mut path = uri.path().trim_end_matches('/');
        if let Some((prefix, id)) = path.rsplit_once("/c/") {
            if is_channel_id(id) {
                path = prefix;
            }
        }
        Ok(RelayBase(format!("{scheme}://{authority}{path}")))
    }

    /// The text, as stored in the secret store's scope.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A channel's URL at this relay.
    pub fn channel_url(&self, id: &str) -> String {
        format!("{}/c/{id}", self.0)
    }
}

/// A new channel, or a channel's new token. `Debug` hides the token.
pub struct Issued {
    /// The channel id.
    pub channel: String,
    /// The read token, shown once.
    pub token: String,
    /// The label given.
    pub label: Option<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Issued({}, <token>)", self.channel)
    }
}

/// Why an admin request did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// No connection or no answer.
    #[error("cannot reach the relay at '{url}': {detail}")]
    Unreachable {
        /// The relay.
        url: String,
        /// What happened.
        detail: String,
    },
    /// The relay's certificate is not trusted here.
    #[error("cannot trust the relay at '{url}': {}; {}", .untrusted.describe("the relay"), .untrusted.fix("the relay"))]
    Untrusted {
        /// The relay.
        url: String,
        /// Why.
        untrusted: crate::tls::Untrusted,
    },
    /// 401.
    #[error("the relay at '{url}' rejected the admin token (401)")]
    TokenRejected {
        /// The relay.
        url: String,
    },
    /// 404 on the admin API itself: the relay runs without it.
    #[error("the relay at '{url}' has no remote channel API (404): it was started without an admin token")]
    AdminOff {
        /// The relay.
        url: String,
    },
    /// 404 for a channel.
    #[error("the relay at '{url}' has no channel '{channel}'")]
    NoChannel {
        /// The relay.
        url: String,
        /// The id asked for.
        channel: String,
    },
    /// 429.
    #[error("the relay at '{url}' refuses for now (429): {message}")]
    TooMany {
        /// The relay.
        url: String,
        /// Its words.
        message: String,
    },
    /// Any other answer.
    #[error("the relay at '{url}' answered {status}: {message}")]
    Failed {
        /// The relay.
        url: String,
        /// The status.
        status: u16,
        /// Its words.
        message: String,
    },
}

impl RemoteError {
    /// What to do about it, for the surface to word.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            RemoteError::Untrusted { untrusted, .. } if untrusted.needs_trust() => {
                Some(Hint::TrustCert)
            }
            RemoteError::TokenRejected { .. } => Some(Hint::RelayAdminToken),
            RemoteError::AdminOff { .. } => Some(Hint::RelayAdminApi),
            _ => None,
        }
    }
}

/// The admin token. `Debug` shows its length only.
#[derive(Clone)]
pub struct AdminToken(String);

impl AdminToken {
    /// A token as given; an error says why it is not one.
    pub fn new(text: &str) -> Result<AdminToken, String> {
        let t = text.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the admin token must be the printable text the relay showed (or the one in its token file)".into());
        }
        Ok(AdminToken(t.to_string()))
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AdminToken(<{} chars>)", self.0.len())
    }
}

/// One relay's admin API.
pub struct Remote {
    base: RelayBase,
    token: AdminToken,
    client: crate::egress::Client,
}

impl Remote {
    /// A client for `base` with `token`, trusting `tls`, leaving as `egress` says.
    pub fn new(
        base: RelayBase,
        token: AdminToken,
        tls: &Arc<rustls::ClientConfig>,
        egress: &crate::egress::Egress,
    ) -> Remote {
        let client = egress.client_h2(
            tls,
            TIMEOUT,
            &hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()),
        );
        Remote {
            base,
            token,
            client,
        }
    }

    /// Creates a channel.
    pub async fn add(&self, label: Option<&str>) -> Result<Issued, RemoteError> {
        let body = serde_json::json!({ "label": label }).to_string();
        let v = self
            .call(Method::POST, "/admin/channels", body, None)
            .await?;
        self.issued(&v, label.map(String::from))
    }

    /// Every channel, as the relay describes them.
    pub async fn list(&self) -> Result<Vec<Value>, RemoteError> {
        let v = self
            .call(Method::GET, "/admin/channels", String::new(), None)
            .await?;
        match v.get("channels").and_then(Value::as_array) {
            Some(a) => Ok(a.clone()),
            None => Err(self.bad_answer("no 'channels' list")),
        }
    }

    /// Deletes a channel and what it holds.
    pub async fn remove(&self, id: &str) -> Result<(), RemoteError> {
        self.call(
            Method::DELETE,
            &format!("/admin/channels/{id}"),
            String::new(),
            Some(id),
        )
        .await
        .map(|_| ())
    }

    /// Replaces a channel's read token.
    pub async fn rotate(&self, id: &str) -> Result<Issued, RemoteError> {
        let v = self
            .call(
                Method::POST,
                &format!("/admin/channels/{id}/rotate-token"),
                String::new(),
                Some(id),
            )
            .await?;
        self.issued(&v, None)
    }

    fn issued(&self, v: &Value, label: Option<String>) -> Result<Issued, RemoteError> {
        let channel = v.get("channel").and_then(Value::as_str);
        let token = v.get("token").and_then(Value::as_str);
        match (channel, token) {
            (Some(c), Some(t)) if is_channel_id(c) => Ok(Issued {
                channel: c.to_string(),
                token: t.to_string(),
                label,
            }),
            _ => Err(self.bad_answer("no channel id and token")),
        }
    }

    fn bad_answer(&self, what: &str) -> RemoteError {
        RemoteError::Failed {
            url: self.base.0.clone(),
            status: 200,
            message: format!("an answer this hookscope does not understand ({what}); is it a hookscope relay of the same version?"),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: String,
        channel: Option<&str>,
    ) -> Result<Value, RemoteError> {
        let url = self.base.0.clone();
        let mut auth = http::HeaderValue::from_str(&format!("Bearer {}", self.token.0))
            .map_err(|_| RemoteError::TokenRejected { url: url.clone() })?;
        auth.set_sensitive(true);
        let req = Request::builder()
            .method(method)
            .uri(format!("{url}{path}"))
            .header(http::header::AUTHORIZATION, auth)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| RemoteError::Unreachable {
                url: url.clone(),
                detail: e.to_string(),
            })?;
        let resp = match tokio::time::timeout(TIMEOUT, self.client.request(req)).await {
            Err(_) => {
                return Err(RemoteError::Unreachable {
                    url,
                    detail: format!("no answer within {TIMEOUT:?}"),
                })
            }
            Ok(Err(crate::egress::RequestError::Client(e))) => {
                if let Some(untrusted) = crate::tls::untrusted_in(&e) {
                    return Err(RemoteError::Untrusted {
                        url,
                        untrusted: untrusted.clone(),
                    });
                }
                return Err(RemoteError::Unreachable {
                    url,
                    detail: crate::egress::error_chain(&e),
                });
            }
            Ok(Err(e)) => {
                return Err(RemoteError::Unreachable {
                    url,
                    detail: e.to_string(),
                })
            }
            Ok(Ok(r)) => r,
        };
        let status = resp.status();
        let bytes = http_body_util::Limited::new(resp.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .map_err(|e| RemoteError::Unreachable {
                url: url.clone(),
                detail: format!("the answer could not be read: {e}"),
            })?;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let message = v
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no explanation")
            .to_string();
        match status {
            s if s.is_success() => Ok(v),
            StatusCode::UNAUTHORIZED => Err(RemoteError::TokenRejected { url }),
            StatusCode::NOT_FOUND => match channel {
                // The API answers a missing channel in its own words; any other 404 is the
                // relay's answer to an unknown path: the API is off.
                Some(id) if message == "no such channel" => Err(RemoteError::NoChannel {
                    url,
                    channel: id.to_string(),
                }),
                _ => Err(RemoteError::AdminOff { url }),
            },
            StatusCode::TOO_MANY_REQUESTS => Err(RemoteError::TooMany { url, message }),
            s => Err(RemoteError::Failed {
                url,
                status: s.as_u16(),
                message,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relay_url_or_a_channel_url_gives_the_same_base() {
        let id = "AAAAAAAAAAAAAAAAAAAAAA";
        let a = RelayBase::parse("https://relay.example.com/").unwrap();
        let b = RelayBase::parse(&format!("https://relay.example.com/c/{id}")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "https://relay.example.com");
        assert_eq!(
            a.channel_url(id),
            format!("https://relay.example.com/c/{id}")
        );
        let p = RelayBase::parse("https://h:8443/relay/").unwrap();
        assert_eq!(p.as_str(), "https://h:8443/relay");
        // The laptop's channel URL parser finds the same base.
        let u = super::super::client::RelayUrl::parse(&p.channel_url(id)).unwrap();
        assert_eq!(u.base, p.as_str());
        assert!(RelayBase::parse("ftp://h").is_err());
        assert!(RelayBase::parse("https://h/?x=1").is_err());
        assert!(RelayBase::parse("not a url").is_err());
    }

    #[test]
    fn tokens_do_not_show_in_debug() {
        let t = AdminToken::new(" hsa_secret ").unwrap();
        assert_eq!(format!("{t:?}"), "AdminToken(<10 chars>)");
        assert!(AdminToken::new("a b").is_err());
        let i = Issued {
            channel: "c".into(),
            token: "hsr_x".into(),
            label: None,
        };
        assert!(!format!("{i:?}").contains("hsr_x"));
    }
}
