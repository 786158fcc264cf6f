//! `relay --acme`: the relay's certificate from an ACME CA (RFC 8555; Let's Encrypt by
//! default), obtained, stored and renewed while the relay serves. The ACME protocol itself is
//! the `instant-acme` crate (account, orders, nonces and their `badNonce` retries); this module
//! answers the challenges, keeps the state and decides when to renew.
//!
//! Contract:
//! - challenges are answered by the relay itself: TLS-ALPN-01 (RFC 8737) on its own TLS port
//!   through the [`CertSlot`]'s challenge certificates, or HTTP-01 on port 80 when the command
//!   could bind it; nothing else has to listen;
//! - the account key and the certificate with its key live in the state folder (0700), each
//!   file 0600 and written atomically (a temporary file renamed over the old one); a stored
//!   certificate for the same directory and names is served at start without a new order
//!   (CAs rate-limit orders), and renewed when a third of its lifetime is left;
//! - a renewal swaps the certificate in the slot: open connections keep theirs, the next
//!   handshake gets the new one; a failed order is retried with doubling waits (at most an
//!   hour) while the old certificate still serves;
//! - what it does is reported as [`CertEvent`]s; it prints nothing and names no flag.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, BodyWrapper, BytesResponse, ChallengeType,
    HttpClient, Identifier, NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::certs::{now_s, CertEvent, CertSlot, Origin, Pair, Validity};

/// Let's Encrypt's production directory, the default.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// How long one ACME request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest wait between failed orders.
const MAX_RETRY: Duration = Duration::from_secs(3600);
/// How long the CA has to validate the challenges and issue.
const ORDER_TIMEOUT: Duration = Duration::from_secs(120);

/// What `relay --acme` was told.
#[derive(Debug, Clone)]
pub struct AcmeConfig {
    /// The names the certificate is for (lower case, checked).
    pub domains: Vec<String>,
    /// The contact address.
    pub email: String,
    /// The directory URL.
    pub directory: String,
    /// Trust for the directory's own HTTPS.
    pub tls: Arc<rustls::ClientConfig>,
    /// How requests to the CA leave this machine.
    pub egress: crate::egress::Egress,
    /// Where the account and certificates are kept.
    pub state_dir: PathBuf,
    /// Renew once the certificate is this old, instead of a third of its lifetime before expiry.
    pub renew_after: Option<Duration>,
    /// First wait after a failed order; it doubles, up to an hour.
    pub retry_first: Duration,
    /// The challenge to answer.
    pub challenge: Challenge,
}

/// Which challenge the relay answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// TLS-ALPN-01 on the relay's own TLS port; HTTP-01 only when the CA offers nothing else.
    TlsAlpn01,
    /// HTTP-01 on port 80 only.
    Http01,
}

/// Why `--acme` names cannot be used. Pure.
pub fn check_domain(name: &str) -> Result<String, String> {
    let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if n.is_empty() || n.len() > 253 {
        return Err(format!("'{name}' is not a domain name"));
    }
    if n.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!(
            "'{name}' is an IP address; ACME certificates are for domain names (point a DNS name at this host)"
        ));
    }
    if n.starts_with("*.") {
        return Err(format!(
            "'{name}' is a wildcard; wildcard certificates need the DNS-01 challenge, which the relay does not answer: name each host"
        ));
    }
    if !n.split('.').all(label_ok) {
        return Err(format!(
            "'{name}' is not a domain name (letters, digits, '-' and dots)"
        ));
    }
    Ok(n)
}

/// The files of one directory + set of names in the state folder.
#[derive(Debug, Clone)]
pub(crate) struct StateFiles {
    pub(crate) account: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

impl StateFiles {
    /// Account per directory; certificate per directory and names. Pure.
    pub(crate) fn new(dir: &Path, directory: &str, domains: &[String]) -> StateFiles {
        use sha2::{Digest, Sha256};
        let short = |s: &str| hex::encode(&Sha256::digest(s.as_bytes())[..6]);
        let mut names = domains.to_vec();
        names.sort();
        let order = short(&format!("{directory}\n{}", names.join(",")));
        let first = names.first().map(String::as_str).unwrap_or("relay");
        StateFiles {
            account: dir.join(format!("account-{}.json", short(directory))),
            cert: dir.join(format!("{first}-{order}.crt.pem")),
            key: dir.join(format!("{first}-{order}.key.pem")),
        }
    }
}

/// When to renew a certificate valid over `v`: a third of its lifetime before it expires, or
/// `after` its start when given. Pure.
pub(crate) fn renew_at(v: &Validity, after: Option<Duration>) -> i64 {
    match after {
        Some(a) => v.not_before_s.saturating_add(a.as_secs() as i64),
        None => {
            let life = v.not_after_s.saturating_sub(v.not_before_s).max(0);
            v.not_after_s.saturating_sub(life / 3)
        }
    }
}

/// The wait before retry number `attempt` (0-based): doubling from `first`, at most an hour. Pure.
pub(crate) fn retry_delay(attempt: u32, first: Duration) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
    first.saturating_mul(factor).min(MAX_RETRY.max(first))
}

/// Why an order failed, and what to check.
#[derive(Debug)]
struct Failure {
    reason: String,
    check: String,
    /// The CA refused a request's anti-replay nonce (`badNonce`): RFC 8555 §6.5 says to send it
    /// again with a fresh one, which is no failure worth a wait.
    bad_nonce: bool,
}

impl Failure {
    fn new(reason: impl Into<String>, check: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            check: check.into(),
            bad_nonce: false,
        }
    }

    fn api(what: &str, e: instant_acme::Error, cfg: &AcmeConfig) -> Failure {
        let reason = format!("{what}: {}", words(&e));
        let check = match &e {
            instant_acme::Error::Api(p)
                if p.r#type.as_deref() == Some("urn:ietf:params:acme:error:rateLimited") =>
            {
                "the CA's rate limit: wait, and keep the state folder so the stored certificate is reused".to_string()
            }
            instant_acme::Error::Api(_) => format!(
                "that the domain names are right and that '{}' accepts this account",
                cfg.directory
            ),
            _ => format!(
                "that '{}' is reachable from this host (and trusted, for a private CA)",
                cfg.directory
            ),
        };
        let bad_nonce = is_bad_nonce(&e);
        Failure {
            reason,
            check,
            bad_nonce,
        }
    }
}

/// Whether the CA refused only the request's nonce (`badNonce`; Pebble does it to 5% of good
/// ones on purpose), which a client answers by sending the request again.
fn is_bad_nonce(e: &instant_acme::Error) -> bool {
    matches!(e, instant_acme::Error::Api(p)
        if p.r#type.as_deref() == Some("urn:ietf:params:acme:error:badNonce"))
}

/// An ACME error in words: a problem document's detail, else the error and its causes.
fn words(e: &instant_acme::Error) -> String {
    match e {
        instant_acme::Error::Api(p) => problem_words(p),
        other => {
            let mut text = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(s) = src {
                let t = s.to_string();
                if !text.contains(&t) {
                    text = format!("{text}: {t}");
                }
                src = s.source();
            }
            text
        }
    }
}

fn problem_words(p: &instant_acme::Problem) -> String {
    let kind = p
        .r#type
        .as_deref()
        .map(|t| t.trim_start_matches("urn:ietf:params:acme:error:"))
        .unwrap_or("error");
    let mut text = format!("{kind}: {}", p.detail.as_deref().unwrap_or("no detail"));
    for sub in &p.subproblems {
        if let Some(d) = &sub.detail {
            text.push_str("; ");
            text.push_str(d);
        }
    }
    text
}

/// HTTP-01 answers by token, shared with the port-80 server.
pub(crate) type Http01 = Arc<RwLock<HashMap<String, String>>>;

/// Keeps the slot filled: a stored certificate at once, else a new one; then renews it before
/// it runs out, forever (until `events` closes). `http01` is the port-80 server's answers when
/// it runs.
pub(crate) async fn run(
    cfg: AcmeConfig,
    slot: Arc<CertSlot>,
    http01: Option<Http01>,
    events: mpsc::UnboundedSender<CertEvent>,
) {
    let files = StateFiles::new(&cfg.state_dir, &cfg.directory, &cfg.domains);
    let mut current = stored(&files);
    if let Some(pair) = &current {
        let validity = pair.validity;
        slot.set(pair.clone(), Origin::Acme);
        let _ = events.send(CertEvent::Reused {
            validity,
            renew_at_s: renew_at(&validity, cfg.renew_after),
        });
    }
    let mut account: Option<Account> = None;
    let mut attempt = 0u32;
    let mut just_obtained = false;
    // badNonce answers in a row, each retried at once (RFC 8555 §6.5) up to this many.
    let mut nonce_retries = 0u32;
    const NONCE_RETRIES: u32 = 3;
    loop {
        if let Some(pair) = &current {
            let due = renew_at(&pair.validity, cfg.renew_after);
            let mut wait = due.saturating_sub(now_s());
            // A certificate due as soon as it is issued (a clock far off, an odd lifetime):
            // order no faster than failures are retried, not in a tight loop.
            if wait <= 0 && just_obtained {
                wait = cfg.retry_first.as_secs().max(1) as i64;
            }
            just_obtained = false;
            if wait > 0 {
                tokio::select! {
                    _ = sleep_s(wait) => {}
                    _ = events.closed() => return,
                }
                continue; // the clock may have jumped: look again
            }
            if nonce_retries == 0 {
                let _ = events.send(CertEvent::Renewing {
                    validity: pair.validity,
                });
            }
        } else if nonce_retries == 0 {
            let _ = events.send(CertEvent::Obtaining {
                domains: cfg.domains.clone(),
            });
        }
        let got = obtain(&cfg, &files, &mut account, &slot, http01.as_ref()).await;
        match got {
            Ok(pair) => {
                attempt = 0;
                nonce_retries = 0;
                let validity = pair.validity;
                slot.set(pair.clone(), Origin::Acme);
                current = Some(pair);
                just_obtained = true;
                let _ = events.send(CertEvent::Obtained { validity });
            }
            Err(f) if f.bad_nonce && nonce_retries < NONCE_RETRIES => {
                nonce_retries += 1;
                tracing::debug!("ACME: {}; ordering again with a fresh nonce", f.reason);
            }
            Err(f) => {
                nonce_retries = 0;
                let retry_in = retry_delay(attempt, cfg.retry_first);
                attempt = attempt.saturating_add(1);
                let _ = events.send(CertEvent::Failed {
                    reason: f.reason,
                    check: f.check,
                    retry_in,
                    still_serving: slot.current().is_some(),
                });
                tokio::select! {
                    _ = tokio::time::sleep(retry_in) => {}
                    _ = events.closed() => return,
                }
            }
        }
    }
}

/// Sleeps `secs` seconds, in steps of at most an hour (long timers and suspended hosts).
async fn sleep_s(secs: i64) {
    let step = secs.clamp(0, 3600) as u64;
    tokio::time::sleep(Duration::from_secs(step)).await;
}

/// The stored certificate for these names, when it parses, fits its key and has not expired.
fn stored(files: &StateFiles) -> Option<Pair> {
    let chain = std::fs::read(&files.cert).ok()?;
    let key = std::fs::read(&files.key).ok()?;
    match Pair::from_pem(&chain, &key) {
        Ok(p) if p.validity.not_after_s > now_s() => Some(p),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(
                "the stored certificate '{}' cannot be used ({e}); a new one will be ordered",
                files.cert.display()
            );
            None
        }
    }
}

/// One order, start to finish: account, authorizations answered, CSR, certificate stored.
async fn obtain(
    cfg: &AcmeConfig,
    files: &StateFiles,
    account: &mut Option<Account>,
    slot: &CertSlot,
    http01: Option<&Http01>,
) -> Result<Pair, Failure> {
    let acct = match account {
        Some(a) => a.clone(),
        None => {
            let a = load_or_create_account(cfg, files).await?;
            *account = Some(a.clone());
            a
        }
    };
    let ids: Vec<Identifier> = cfg
        .domains
        .iter()
        .map(|d| Identifier::Dns(d.clone()))
        .collect();
    let mut order = acct
        .new_order(&NewOrder::new(&ids))
        .await
        .map_err(|e| Failure::api("the CA refused the order", e, cfg))?;
    let answered = answer_challenges(cfg, &mut order, slot, http01).await;
    let result = match answered {
        Ok(()) => finish(cfg, &mut order).await,
        Err(f) => Err(f),
    };
    for d in &cfg.domains {
        slot.clear_challenge(d);
    }
    if let Some(h) = http01 {
        if let Ok(mut m) = h.write() {
            m.clear();
        }
    }
    let (chain_pem, key_pem) = result?;
    let pair = Pair::from_pem(chain_pem.as_bytes(), key_pem.as_bytes()).map_err(|e| {
        Failure::new(
            format!("the CA issued a certificate that cannot be used: {e}"),
            "the CA's issuance (a private CA's configuration)",
        )
    })?;
    crate::private_file::write_atomic(&files.key, key_pem.as_bytes())
        .and_then(|()| crate::private_file::write_atomic(&files.cert, chain_pem.as_bytes()))
        .map_err(|e| {
            Failure::new(
                format!("the certificate was issued but cannot be stored: {e}"),
                format!(
                    "that the state folder '{}' is writable",
                    cfg.state_dir.display()
                ),
            )
        })?;
    Ok(pair)
}

async fn load_or_create_account(cfg: &AcmeConfig, files: &StateFiles) -> Result<Account, Failure> {
    let http = || -> Box<dyn HttpClient> {
        Box::new(AcmeHttp {
            client: cfg.egress.client_h2(
                &cfg.tls,
                REQUEST_TIMEOUT,
                &hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()),
            ),
        })
    };
    let state_check = || {
        format!(
            "that the state folder '{}' is readable and writable by the relay",
            cfg.state_dir.display()
        )
    };
    match std::fs::read(&files.account) {
        Ok(bytes) => {
            let creds: AccountCredentials = serde_json::from_slice(&bytes).map_err(|e| {
                Failure::new(
                    format!(
                        "the stored ACME account '{}' cannot be read: {e}",
                        files.account.display()
                    ),
                    "the stored account file (move it away to register a new account)",
                )
            })?;
            return Account::builder_with_http(http())
                .from_credentials(creds)
                .await
                .map_err(|e| Failure::api("the stored ACME account cannot be used", e, cfg));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Failure::new(
                format!(
                    "the ACME account '{}' cannot be read: {e}",
                    files.account.display()
                ),
                state_check(),
            ))
        }
    }
    let contact = format!("mailto:{}", cfg.email);
    let (account, creds) = Account::builder_with_http(http())
        .create(
            &NewAccount {
                contact: &[contact.as_str()],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            cfg.directory.clone(),
            None,
        )
        .await
        .map_err(|e| Failure::api("the CA refused to register an account", e, cfg))?;
    let json = serde_json::to_vec(&creds).map_err(|e| {
        Failure::new(
            format!("the new account cannot be saved: {e}"),
            state_check(),
        )
    })?;
    crate::private_file::write_atomic(&files.account, &json).map_err(|e| {
        Failure::new(
            format!("the new ACME account cannot be stored: {e}"),
            state_check(),
        )
    })?;
    Ok(account)
}

/// Sets up an answer for every pending authorization and tells the CA it is ready.
async fn answer_challenges(
    cfg: &AcmeConfig,
    order: &mut instant_acme::Order,
    slot: &CertSlot,
    http01: Option<&Http01>,
) -> Result<(), Failure> {
    let mut authzs = order.authorizations();
    while let Some(next) = authzs.next().await {
        let mut authz = next.map_err(|e| Failure::api("cannot read the authorization", e, cfg))?;
        match authz.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => {
                return Err(Failure::new(
                    format!("an authorization is {other:?}, not pending"),
                    "the account's authorizations at the CA",
                ))
            }
        }
        let offers = |t: ChallengeType| authz.challenges.iter().any(|c| c.r#type == t);
        let (tls, http) = (
            offers(ChallengeType::TlsAlpn01),
            offers(ChallengeType::Http01) && http01.is_some(),
        );
        let kind = match (cfg.challenge, tls, http) {
            (Challenge::TlsAlpn01, true, _) => ChallengeType::TlsAlpn01,
            (_, _, true) => ChallengeType::Http01,
            (Challenge::Http01, _, false) => {
                return Err(Failure::new(
                    "the CA does not offer HTTP-01 for this name",
                    "the CA's policy, or answer TLS-ALPN-01 instead",
                ))
            }
            (Challenge::TlsAlpn01, false, false) => {
                return Err(Failure::new(
                    "the CA offers neither TLS-ALPN-01 nor (with port 80 bound) HTTP-01",
                    "that the relay can bind port 80, or use a CA that offers TLS-ALPN-01",
                ))
            }
        };
        let mut challenge = authz.challenge(kind.clone()).ok_or_else(|| {
            Failure::new(
                "the CA withdrew the challenge",
                "the CA's status; it is retried",
            )
        })?;
        let name = challenge.identifier().to_string();
        let key_auth = challenge.key_authorization();
        if kind == ChallengeType::TlsAlpn01 {
            let cert = challenge_cert(&name, key_auth.digest().as_ref())?;
            slot.set_challenge(&name, cert);
        } else if let Some(h) = http01 {
            if let Ok(mut m) = h.write() {
                m.insert(challenge.token.clone(), key_auth.as_str().to_string());
            }
        }
        challenge
            .set_ready()
            .await
            .map_err(|e| Failure::api("the CA did not take the challenge", e, cfg))?;
    }
    Ok(())
}

/// The TLS-ALPN-01 certificate for `name`: self-signed, with the acmeIdentifier extension
/// holding the key authorization's digest (RFC 8737, 3).
fn challenge_cert(name: &str, digest: &[u8]) -> Result<Arc<rustls::sign::CertifiedKey>, Failure> {
    let fail = |e: rcgen::Error| {
        Failure::new(
            format!("cannot make the TLS-ALPN-01 certificate: {e}"),
            "the domain name",
        )
    };
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).map_err(fail)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    // Not through `Pair`: webpki refuses to parse a certificate with the (critical)
    // acmeIdentifier extension, and the key is the one just made for it.
    let der = rustls_pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
    let signing = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(der.into())
        .map_err(|e| {
            Failure::new(
                format!("cannot load the TLS-ALPN-01 key: {e}"),
                "the domain name",
            )
        })?;
    Ok(Arc::new(rustls::sign::CertifiedKey::new(
        vec![cert.der().clone()],
        signing,
    )))
}

/// Waits for the CA's validation, sends the CSR and fetches the chain: (chain PEM, key PEM).
async fn finish(
    cfg: &AcmeConfig,
    order: &mut instant_acme::Order,
) -> Result<(String, String), Failure> {
    let retries = RetryPolicy::new()
        .initial_delay(Duration::from_millis(250))
        .timeout(ORDER_TIMEOUT);
    let status = match order.poll_ready(&retries).await {
        Ok(s) => s,
        // An order the CA could not validate ends as a problem document.
        Err(instant_acme::Error::Api(p)) => {
            return Err(Failure::new(
                format!(
                    "the CA could not validate {}: {}",
                    cfg.domains.join(", "),
                    problem_words(&p)
                ),
                validation_check(cfg),
            ))
        }
        Err(e) => return Err(Failure::api("waiting for the CA's validation", e, cfg)),
    };
    if status != OrderStatus::Ready {
        return Err(validation_failure(cfg, order).await);
    }
    let fail = |e: rcgen::Error| {
        Failure::new(
            format!("cannot make the certificate request: {e}"),
            "the domain names",
        )
    };
    let mut params = rcgen::CertificateParams::new(cfg.domains.clone()).map_err(fail)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let csr = params.serialize_request(&key).map_err(fail)?;
    order
        .finalize_csr(csr.der())
        .await
        .map_err(|e| Failure::api("the CA refused the certificate request", e, cfg))?;
    let chain = order
        .poll_certificate(&retries)
        .await
        .map_err(|e| Failure::api("waiting for the certificate", e, cfg))?;
    Ok((chain, key.serialize_pem()))
}

/// What to check when the CA could not validate.
fn validation_check(cfg: &AcmeConfig) -> String {
    format!(
        "that DNS for {} points at this host and that its port 443 (TLS-ALPN-01) or 80 (HTTP-01) is reachable from the internet, not blocked by a firewall",
        cfg.domains.join(", ")
    )
}

/// Why the CA did not validate: the first challenge error it reports, in words.
async fn validation_failure(cfg: &AcmeConfig, order: &mut instant_acme::Order) -> Failure {
    let check = validation_check(cfg);
    let mut authzs = order.authorizations();
    while let Some(Ok(authz)) = authzs.next().await {
        for c in &authz.challenges {
            if let Some(p) = &c.error {
                return Failure::new(
                    format!(
                        "the CA could not validate {}: {}",
                        authz.identifier(),
                        problem_words(p)
                    ),
                    check,
                );
            }
        }
    }
    Failure::new("the CA did not validate the order", check)
}

/// instant-acme's requests through [`crate::egress`]'s client (proxies, `--acme-ca-cert`).
struct AcmeHttp {
    client: crate::egress::Client,
}

impl HttpClient for AcmeHttp {
    fn request(
        &self,
        req: Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let client = self.client.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let req = Request::from_parts(parts, Full::new(body));
            let resp = tokio::time::timeout(REQUEST_TIMEOUT, client.request(req))
                .await
                .map_err(|_| {
                    instant_acme::Error::Other(
                        format!("no answer within {REQUEST_TIMEOUT:?}").into(),
                    )
                })?
                .map_err(|e| instant_acme::Error::Other(e.to_string().into()))?;
            Ok(BytesResponse::from(resp))
        })
    }
}

/// Serves HTTP-01 answers on `listener` (port 80); any other request is sent to https.
pub(crate) async fn serve_http01(listener: TcpListener, answers: Http01) {
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    loop {
        let (stream, _) = crate::listener::accept(&listener).await;
        let answers = answers.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                let answer = http01_answer(&answers, &req);
                async move { Ok::<_, std::convert::Infallible>(answer) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn http01_answer<B>(answers: &Http01, req: &Request<B>) -> Response<Full<Bytes>> {
    let token = req
        .uri()
        .path()
        .strip_prefix("/.well-known/acme-challenge/");
    let found = token.and_then(|t| answers.read().ok()?.get(t).cloned());
    let mut resp = Response::new(Full::new(Bytes::new()));
    match (found, token) {
        (Some(key_auth), _) => *resp.body_mut() = Full::new(Bytes::from(key_auth)),
        (None, Some(_)) => *resp.status_mut() = StatusCode::NOT_FOUND,
        (None, None) => {
            let host = req
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
                .filter(|h| check_domain(h).is_ok());
            match host.and_then(|h| {
                let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
                http::HeaderValue::from_str(&format!("https://{h}{target}")).ok()
            }) {
                Some(location) => {
                    *resp.status_mut() = StatusCode::PERMANENT_REDIRECT;
                    resp.headers_mut().insert(http::header::LOCATION, location);
                }
                None => *resp.status_mut() = StatusCode::NOT_FOUND,
            }
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_nonce_is_told_apart_from_other_problems() {
        let problem = |t: &str| -> instant_acme::Error {
            instant_acme::Error::Api(
                serde_json::from_value(serde_json::json!({"type": t, "detail": "x"})).unwrap(),
            )
        };
        assert!(is_bad_nonce(&problem(
            "urn:ietf:params:acme:error:badNonce"
        )));
        assert!(!is_bad_nonce(&problem(
            "urn:ietf:params:acme:error:rateLimited"
        )));
        assert!(!is_bad_nonce(&problem(
            "urn:ietf:params:acme:error:unauthorized"
        )));
    }

    #[test]
    fn domains_are_checked_and_lowered() {
        assert_eq!(
            check_domain("Relay.Example.com.").unwrap(),
            "relay.example.com"
        );
        assert!(check_domain("127.0.0.1")
            .unwrap_err()
            .contains("IP address"));
        assert!(check_domain("*.example.com")
            .unwrap_err()
            .contains("wildcard"));
        assert!(check_domain("a..b").is_err());
        assert!(check_domain("-a.b").is_err());
        assert!(check_domain("a_b.c").is_err());
        assert!(check_domain("").is_err());
        assert_eq!(check_domain("localhost").unwrap(), "localhost");
    }

    #[test]
    fn renewal_is_due_with_a_third_of_the_lifetime_left_or_after_the_test_setting() {
        let v = Validity {
            not_before_s: 1_000,
            not_after_s: 1_000 + 90 * 86_400,
        };
        assert_eq!(renew_at(&v, None), 1_000 + 60 * 86_400);
        assert_eq!(renew_at(&v, Some(Duration::from_secs(5))), 1_005);
        let odd = Validity {
            not_before_s: 10,
            not_after_s: 5,
        };
        assert_eq!(renew_at(&odd, None), 5);
    }

    #[test]
    fn retries_double_up_to_an_hour() {
        let first = Duration::from_secs(60);
        assert_eq!(retry_delay(0, first), first);
        assert_eq!(retry_delay(1, first), Duration::from_secs(120));
        assert_eq!(retry_delay(6, first), Duration::from_secs(3600));
        assert_eq!(retry_delay(u32::MAX, first), Duration::from_secs(3600));
        assert_eq!(
            retry_delay(3, Duration::from_millis(100)),
            Duration::from_millis(800)
        );
    }

    #[test]
    fn state_files_are_per_directory_and_names_in_any_order() {
        let dir = Path::new("/s");
        let a = StateFiles::new(dir, "https://ca/dir", &["b.test".into(), "a.test".into()]);
        let b = StateFiles::new(dir, "https://ca/dir", &["a.test".into(), "b.test".into()]);
        assert_eq!(a.cert, b.cert);
        assert!(a.cert.to_string_lossy().starts_with("/s/a.test-"));
        let c = StateFiles::new(dir, "https://other/dir", &["a.test".into()]);
        assert_ne!(a.account, c.account);
        assert_ne!(a.cert, c.cert);
    }

    #[test]
    fn port_80_answers_challenges_and_redirects_the_rest() {
        let answers: Http01 = Arc::default();
        answers
            .write()
            .unwrap()
            .insert("tok".into(), "tok.thumb".into());
        let get = |uri: &str, host: &str| {
            let req = Request::get(uri).header("host", host).body(()).unwrap();
            http01_answer(&answers, &req)
        };
        let r = get("/.well-known/acme-challenge/tok", "relay.test");
        assert_eq!(r.status(), StatusCode::OK);
        let r = get("/.well-known/acme-challenge/other", "relay.test");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = get("/c/x?y=1", "relay.test:80");
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(r.headers()["location"], "https://relay.test/c/x?y=1");
        let r = get("/", "bad host");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}
