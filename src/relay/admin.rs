//! The relay's remote channel API, so a laptop manages channels without logging in to the
//! host (`hookscope channel add|list|remove|rotate-token --relay URL`). Off unless the relay
//! was given an admin token (a file) or told to make one (printed once at first start; only its
//! SHA-256 is kept, in a 0600 file beside the database). While off, `/admin/...` is answered as
//! any unknown path (404).
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /admin/channels` `{"label":L}` | `201 {"channel","path","token","label"}` |
//! | `GET /admin/channels` | `200 {"channels":[{"channel","label","created_at_ms","last_seq","stored","stored_bytes","consumers":[...]}]}` |
//! | `DELETE /admin/channels/ID` | `200 {"removed":ID}`, `404` |
//! | `POST /admin/channels/ID/rotate-token` | `200 {"channel":ID,"token":T}`, `404` |
//!
//! Every request carries `Authorization: Bearer <admin token>`, compared as SHA-256 hashes in
//! constant time. A wrong or missing token is `401` and counts against a per-IP budget of
//! failures ([`FAILURE_RATE`]): past it, every admin request from that address is `429` until
//! it refills, right token or not. A channel's read token is in the answer of `add` and
//! `rotate-token` only; nothing here logs a token.

use serde_json::json;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::channel::{bearer, hash_token, token_matches, Token};
use super::limit::{retry_after_secs, Rate, RateLimiter};
use super::log::{ChannelSpec, DeliveryLog, LogError};

/// Prefix of a generated admin token (a read token's is `hsr_`).
pub const ADMIN_TOKEN_PREFIX: &str = "hsa_";
/// Wrong admin tokens allowed per address: a burst of 5, then one every 10 s.
pub const FAILURE_RATE: Rate = Rate {
    per_second: 0.1,
    burst: 5.0,
};
/// Shortest admin token accepted from a file.
const MIN_TOKEN_LEN: usize = 16;
/// Longest label.
const MAX_LABEL_LEN: usize = 64;
/// Largest admin request body.
const MAX_BODY: usize = 4 * 1024;
/// Addresses whose failures are tracked.
const MAX_TRACKED: usize = 10_000;

/// The admin token's hash and the failure budget per address.
pub struct Admin {
    hash: [u8; 32],
    failures: Mutex<RateLimiter<IpAddr>>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admin(<token hash>)")
    }
}

/// Why the admin token cannot be set up. Names files, never a token.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The token file cannot be read.
    #[error("cannot read the admin token file '{}': {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file's token is too short or not printable.
    #[error("the admin token in '{}' must be one line of at least {MIN_TOKEN_LEN} printable characters (e.g. from 'openssl rand -base64 32')", path.display())]
    Weak {
        /// The file.
        path: PathBuf,
    },
    /// The stored hash cannot be read or written.
    #[error("the admin token's hash file '{}' cannot be used: {detail}", path.display())]
    HashFile {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
}

impl Admin {
    fn with_hash(hash: [u8; 32]) -> Admin {
        Admin {
            hash,
            failures: Mutex::new(RateLimiter::new(FAILURE_RATE, MAX_TRACKED)),
        }
    }

    /// The token in `path` (the first line, trimmed).
    pub fn from_file(path: &Path) -> Result<Admin, AdminError> {
        let text = std::fs::read_to_string(path).map_err(|source| AdminError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let token = text.lines().next().unwrap_or_default().trim();
        if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AdminError::Weak {
                path: path.to_path_buf(),
            });
        }
        Ok(Admin::with_hash(hash_token(token)))
    }

    /// The token whose hash is in `hash_file`; when there is none, a new token whose hash is
    /// written there (0600, atomically) and which is returned to be shown, once.
    pub fn generated(hash_file: &Path) -> Result<(Admin, Option<Token>), AdminError> {
        let fail = |detail: String| AdminError::HashFile {
            path: hash_file.to_path_buf(),
            detail,
        };
        match std::fs::read_to_string(hash_file) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|e| {
                    fail(format!(
                        "{e}; delete it to make a new admin token at the next start"
                    ))
                })?;
                let hash: [u8; 32] = bytes.try_into().map_err(|_| {
                    fail(
                        "not a SHA-256 hash; delete it to make a new admin token at the next start"
                            .into(),
                    )
                })?;
                Ok((Admin::with_hash(hash), None))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let token = Token::generate_with_prefix(ADMIN_TOKEN_PREFIX);
                crate::private_file::write_atomic(
                    hash_file,
                    format!("{}\n", hex::encode(token.hash())).as_bytes(),
                )
                .map_err(|e| fail(e.to_string()))?;
                Ok((Admin::with_hash(token.hash()), Some(token)))
            }
            Err(e) => Err(fail(e.to_string())),
        }
    }

    /// Whether `authorization` carries the admin token; a wrong one spends the address's
    /// failure budget. `Err(wait)` when that budget is spent.
    fn check(&self, peer: IpAddr, authorization: Option<&[u8]>) -> Result<bool, Duration> {
        let ok = authorization
            .and_then(bearer)
            .is_some_and(|t| token_matches(t, &self.hash));
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(ok);
        };
        if let Some(wait) = failures.waiting(&peer, Instant::now()) {
            return Err(wait);
        }
        if !ok {
            // Spend one; the next request sees whether any are left.
            let _ = failures.check(&peer, Instant::now());
        }
        Ok(ok)
    }
}

/// What an admin path asks for. Pure.
#[derive(Debug, PartialEq, Eq)]
enum Op<'a> {
    Add,
    List,
    Remove(&'a str),
    Rotate(&'a str),
    Unknown,
}

fn op_of<'a>(method: &http::Method, path: &'a str) -> Op<'a> {
    use http::Method;
    let Some(rest) = path.strip_prefix("/admin/channels") else {
        return Op::Unknown;
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Op::Unknown;
    }
    let rest = rest.trim_end_matches('/');
    match (method, rest.strip_prefix('/')) {
        (&Method::POST, None) => Op::Add,
        (&Method::GET, None) => Op::List,
        (&Method::DELETE, Some(id)) if super::channel::is_channel_id(id) => Op::Remove(id),
        (&Method::POST, Some(r)) => match r.split_once('/') {
            Some((id, "rotate-token")) if super::channel::is_channel_id(id) => Op::Rotate(id),
            _ => Op::Unknown,
        },
        _ => Op::Unknown,
    }
}

/// A label as given, checked. Pure.
fn label_of(body: &[u8]) -> Result<Option<String>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct AddBody {
        label: Option<String>,
    }
    let b: AddBody = serde_json::from_slice(body)
        .map_err(|e| format!("the body must be {{\"label\":\"...\"}} or empty: {e}"))?;
    match b.label {
        Some(l) if l.chars().count() > MAX_LABEL_LEN || l.chars().any(char::is_control) => Err(
            format!("a label is at most {MAX_LABEL_LEN} characters, without control characters"),
        ),
        Some(l) if l.trim().is_empty() => Ok(None),
        other => Ok(other.map(|l| l.trim().to_string())),
    }
}

/// Answers one admin request: (status, JSON body, seconds to wait for a 429).
pub(crate) async fn handle(
    admin: &Admin,
    log: &dyn DeliveryLog,
    peer: IpAddr,
    req: http::Request<hyper::body::Incoming>,
) -> (http::StatusCode, serde_json::Value, Option<u64>) {
    use http::StatusCode as S;
    let auth = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    match admin.check(peer, auth.as_deref()) {
        Err(wait) => {
            let secs = retry_after_secs(wait);
            return (
                S::TOO_MANY_REQUESTS,
                json!({"error": format!("too many wrong admin tokens from your address; retry after {secs} s")}),
                Some(secs),
            );
        }
        Ok(false) => {
            return (
                S::UNAUTHORIZED,
                json!({"error": "admin token rejected: send 'Authorization: Bearer <the relay's admin token>'"}),
                None,
            )
        }
        Ok(true) => {}
    }
    let op = op_owned(&op_of(req.method(), req.uri().path()));
    let label = match op {
        OwnedOp::Add => {
            let (parts, body) = req.into_parts();
            let read = crate::listener::read_request_body(
                &parts.headers,
                body,
                MAX_BODY,
                Duration::from_secs(10),
            )
            .await;
            if read.rejection.is_some() {
                return (
                    S::PAYLOAD_TOO_LARGE,
                    json!({"error": "body too large or incomplete"}),
                    None,
                );
            }
            match label_of(&read.bytes) {
                Ok(l) => l,
                Err(e) => return (S::BAD_REQUEST, json!({ "error": e }), None),
            }
        }
        _ => None,
    };
    match run(log, op, label).await {
        Ok((status, body)) => (status, body, None),
        Err(e) => (
            S::SERVICE_UNAVAILABLE,
            json!({"error": format!("the relay's store failed: {e}")}),
            None,
        ),
    }
}

/// An [`Op`] that owns its id.
enum OwnedOp {
    Add,
    List,
    Remove(String),
    Rotate(String),
    Unknown,
}

fn op_owned(op: &Op<'_>) -> OwnedOp {
    match op {
        Op::Add => OwnedOp::Add,
        Op::List => OwnedOp::List,
        Op::Remove(id) => OwnedOp::Remove(id.to_string()),
        Op::Rotate(id) => OwnedOp::Rotate(id.to_string()),
        Op::Unknown => OwnedOp::Unknown,
    }
}

/// Does one admin operation through the relay's delivery log (SQLite or JetStream alike).
async fn run(
    log: &dyn DeliveryLog,
    op: OwnedOp,
    label: Option<String>,
) -> Result<(http::StatusCode, serde_json::Value), LogError> {
    use http::StatusCode as S;
    let not_found = || (S::NOT_FOUND, json!({"error": "no such channel"}));
    Ok(match op {
        OwnedOp::Add => {
            let spec = ChannelSpec {
                label: label.clone(),
                ..ChannelSpec::default()
            };
            let new = log.add_channel(spec, crate::capture::now_ms()).await?;
            let id = new.id;
            (
                S::CREATED,
                json!({"channel": id, "path": format!("/c/{id}"), "token": new.token.reveal(), "label": label}),
            )
        }
        OwnedOp::List => {
            let channels: Vec<serde_json::Value> = log
                .list_channels()
                .await?
                .into_iter()
                .map(|c| {
                    json!({
                        "channel": c.id, "label": c.label, "created_at_ms": c.created_at_ms,
                        "last_seq": c.last_seq, "pruned_upto": c.pruned_upto,
                        "stored": c.stored, "stored_bytes": c.stored_bytes,
                        "consumers": c.consumers.iter().map(|(n, s, t)| json!({"consumer": n, "acked": s, "seen_at_ms": t})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            (S::OK, json!({ "channels": channels }))
        }
        OwnedOp::Remove(id) => match log.remove_channel(&id).await? {
            true => (S::OK, json!({ "removed": id })),
            false => not_found(),
        },
        OwnedOp::Rotate(id) => match log.rotate_token(&id).await? {
            Some(t) => (S::OK, json!({"channel": id, "token": t.reveal()})),
            None => not_found(),
        },
        OwnedOp::Unknown => (S::NOT_FOUND, json!({"error": "not found"})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    const ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn admin_paths() {
        assert_eq!(op_of(&Method::POST, "/admin/channels"), Op::Add);
        assert_eq!(op_of(&Method::POST, "/admin/channels/"), Op::Add);
        assert_eq!(op_of(&Method::GET, "/admin/channels"), Op::List);
        assert_eq!(
            op_of(&Method::DELETE, &format!("/admin/channels/{ID}")),
            Op::Remove(ID)
        );
        assert_eq!(
            op_of(&Method::POST, &format!("/admin/channels/{ID}/rotate-token")),
            Op::Rotate(ID)
        );
        assert_eq!(op_of(&Method::DELETE, "/admin/channels/short"), Op::Unknown);
        assert_eq!(
            op_of(&Method::GET, &format!("/admin/channels/{ID}")),
            Op::Unknown
        );
        assert_eq!(op_of(&Method::POST, "/admin/channelsx"), Op::Unknown);
        assert_eq!(op_of(&Method::GET, "/admin"), Op::Unknown);
    }

    #[test]
    fn labels_are_checked() {
        assert_eq!(label_of(b"").unwrap(), None);
        assert_eq!(label_of(b"{}").unwrap(), None);
        assert_eq!(
            label_of(br#"{"label":" ci "}"#).unwrap(),
            Some("ci".to_string())
        );
        assert!(label_of(br#"{"label":"a\nb"}"#).is_err());
        assert!(label_of(br#"{"label":1}"#).is_err());
        assert!(label_of(br#"{"other":"x"}"#).is_err());
        assert!(label_of(format!(r#"{{"label":"{}"}}"#, "x".repeat(65)).as_bytes()).is_err());
    }

    #[test]
    fn a_generated_token_is_kept_as_its_hash_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admin.sha256");
        let (admin, token) = Admin::generated(&file).unwrap();
        let token = token.expect("made at first start");
        assert!(token.reveal().starts_with(ADMIN_TOKEN_PREFIX));
        let stored = std::fs::read_to_string(&file).unwrap();
        assert!(!stored.contains(token.reveal()));
        let (again, none) = Admin::generated(&file).unwrap();
        assert!(none.is_none(), "shown once");
        assert_eq!(admin.hash, again.hash);
        let header = format!("Bearer {}", token.reveal());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(again.check(ip, Some(header.as_bytes())), Ok(true));
        std::fs::write(&file, "zz").unwrap();
        assert!(Admin::generated(&file).is_err());
    }

    #[test]
    fn wrong_tokens_spend_a_budget_per_address_then_everything_waits() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "correct-horse-battery-staple\n").unwrap();
        let admin = Admin::from_file(&file).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let good = Some(&b"Bearer correct-horse-battery-staple"[..]);
        for _ in 0..5 {
            assert_eq!(admin.check(a, Some(b"Bearer wrong")), Ok(false));
        }
        assert!(admin.check(a, None).is_err(), "budget spent");
        assert!(admin.check(a, good).is_err(), "even the right token waits");
        assert_eq!(
            admin.check(b, good),
            Ok(true),
            "other addresses are not affected"
        );
        std::fs::write(&file, "short\n").unwrap();
        assert!(matches!(
            Admin::from_file(&file),
            Err(AdminError::Weak { .. })
        ));
    }
}
