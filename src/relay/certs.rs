//! The relay's server certificate, replaceable while it serves: a rustls certificate resolver
//! over a [`CertSlot`] that the file watcher (`--tls-cert`/`--tls-key`, reloaded on SIGHUP and
//! when the files change) or the ACME task (`super::acme`) fills. A handshake reads the pair in
//! the slot at that moment, so a replaced certificate serves the next handshake and connections
//! already open (an SSE stream) keep theirs: nothing restarts, nothing is dropped.
//!
//! Contract:
//! - a pair is only put in the slot once it parsed and its key fits its certificate; a pair
//!   that does not is refused with the reason, and the old one keeps serving;
//! - a handshake offering only ALPN `acme-tls/1` (RFC 8737) gets the challenge certificate
//!   for its SNI name, when one is set, and nothing else; such a connection is closed after
//!   the handshake by the server;
//! - what it does is reported as [`CertEvent`]s for the command to word; it prints nothing.

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

use crate::tls::{certificates_from_pem, TlsError};

/// The ALPN protocol of the TLS-ALPN-01 challenge (RFC 8737).
pub(crate) const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Default interval between checks of `--tls-cert`/`--tls-key` for changes.
pub const DEFAULT_FILE_POLL: Duration = Duration::from_secs(5);

/// When a certificate is valid, as Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// Not valid before this.
    pub not_before_s: i64,
    /// Not valid after this.
    pub not_after_s: i64,
}

impl Validity {
    /// The validity of a DER certificate.
    pub(crate) fn of(cert: &CertificateDer<'_>) -> Result<Validity, String> {
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
            .map_err(|e| format!("the certificate cannot be parsed: {e}"))?;
        let v = parsed.validity();
        Ok(Validity {
            not_before_s: v.not_before.timestamp(),
            not_after_s: v.not_after.timestamp(),
        })
    }

    /// Seconds from `now_s` until it expires (negative once expired).
    pub fn expires_in_s(&self, now_s: i64) -> i64 {
        self.not_after_s.saturating_sub(now_s)
    }

    /// `2027-03-01 12:00:00 UTC`.
    pub fn not_after_text(&self) -> String {
        utc_text(self.not_after_s)
    }
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn utc_text(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{secs} (Unix time)"))
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Where the served certificate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--tls-cert`/`--tls-key`.
    Files,
    /// Obtained from an ACME CA.
    Acme,
}

impl Origin {
    /// `files` or `acme`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Files => "files",
            Origin::Acme => "acme",
        }
    }
}

/// A certificate and key the relay can serve, with its validity.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub(crate) key: Arc<CertifiedKey>,
    pub(crate) validity: Validity,
}

impl Pair {
    /// A pair from a PEM chain (leaf first) and a PEM private key; the key must fit the leaf.
    pub(crate) fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Pair, String> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the certificate is not valid PEM: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| format!("the private key is not a usable PEM key: {e}"))?;
        Pair::from_der(chain, key)
    }

    fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Pair, String> {
        let leaf = chain
            .first()
            .ok_or("the file holds no certificate ('-----BEGIN CERTIFICATE-----')")?;
        let validity = Validity::of(leaf)?;
        let provider = rustls::crypto::ring::default_provider();
        let key = CertifiedKey::from_der(chain, key, &provider)
            .map_err(|e| format!("the private key does not fit the certificate: {e}"))?;
        Ok(Pair {
            key: Arc::new(key),
            validity,
        })
    }

    /// A pair from `--tls-cert` and `--tls-key`, errors naming the file at fault.
    pub(crate) fn from_files(cert: &Path, key: &Path) -> Result<Pair, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let cert_bytes = read(cert)?;
        let chain = certificates_from_pem(&cert_bytes, cert)?;
        let key_bytes = read(key)?;
        let der = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| TlsError::Key {
            path: key.to_path_buf(),
            detail: e.to_string(),
        })?;
        Pair::from_der(chain, der).map_err(|detail| TlsError::Key {
            path: key.to_path_buf(),
            detail: format!("with the certificate in '{}': {detail}", cert.display()),
        })
    }
}

/// What is served now, and where it came from.
#[derive(Debug, Clone)]
struct Served {
    pair: Pair,
    origin: Origin,
}

/// The certificate the relay serves, swapped in place. Shared by the resolver (every handshake
/// reads it), the watcher or ACME task (which replace it) and `/healthz` (which reports it).
#[derive(Debug, Default)]
pub struct CertSlot {
    served: RwLock<Option<Served>>,
    /// TLS-ALPN-01 challenge certificates by lower-case domain name.
    challenges: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl CertSlot {
    /// Serves `pair` from the next handshake on.
    pub(crate) fn set(&self, pair: Pair, origin: Origin) {
        if let Ok(mut s) = self.served.write() {
            *s = Some(Served { pair, origin });
        }
    }

    /// The validity and origin of what is served, if anything.
    pub fn current(&self) -> Option<(Validity, Origin)> {
        let s = self.served.read().ok()?;
        s.as_ref().map(|s| (s.pair.validity, s.origin))
    }

    /// The leaf certificate served now (DER).
    #[cfg(test)]
    pub(crate) fn leaf(&self) -> Option<CertificateDer<'static>> {
        let s = self.served.read().ok()?;
        let leaf = s.as_ref()?.pair.key.end_entity_cert().ok()?;
        Some(leaf.clone().into_owned())
    }

    /// Answers TLS-ALPN-01 for `domain` with `cert` until [`CertSlot::clear_challenge`].
    pub(crate) fn set_challenge(&self, domain: &str, cert: Arc<CertifiedKey>) {
        if let Ok(mut c) = self.challenges.write() {
            c.insert(domain.to_ascii_lowercase(), cert);
        }
    }

    /// Stops answering TLS-ALPN-01 for `domain`.
    pub(crate) fn clear_challenge(&self, domain: &str) {
        if let Ok(mut c) = self.challenges.write() {
            c.remove(&domain.to_ascii_lowercase());
        }
    }

    fn resolve_for(&self, alpn_only_acme: bool, sni: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if alpn_only_acme {
            let name = sni?.to_ascii_lowercase();
            return self.challenges.read().ok()?.get(&name).cloned();
        }
        let s = self.served.read().ok()?;
        s.as_ref().map(|s| s.pair.key.clone())
    }
}

/// The rustls side of a [`CertSlot`].
#[derive(Debug)]
struct Resolver(Arc<CertSlot>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let acme = offers_only_acme(hello.alpn());
        self.0.resolve_for(acme, hello.server_name())
    }
}

/// Whether a ClientHello's ALPN list is the TLS-ALPN-01 validator's: `acme-tls/1` alone.
fn offers_only_acme<'a>(alpn: Option<impl Iterator<Item = &'a [u8]>>) -> bool {
    let Some(mut protocols) = alpn else {
        return false;
    };
    protocols.next() == Some(ACME_TLS_ALPN) && protocols.next().is_none()
}

/// The relay's server config over `slot`: TLS 1.2 and 1.3 (ring), ALPN `h2` and `http/1.1`,
/// and `acme-tls/1` when `acme` (the TLS-ALPN-01 validator's).
pub(crate) fn server_config(
    slot: Arc<CertSlot>,
    acme: bool,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Resolver(slot)));
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if acme {
        cfg.alpn_protocols.push(ACME_TLS_ALPN.to_vec());
    }
    Ok(Arc::new(cfg))
}

/// What the certificate machinery did, for the command to word (text or NDJSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertEvent {
    /// `--tls-cert`/`--tls-key` were read again and the new pair serves from now on.
    Reloaded {
        /// The new certificate's validity.
        validity: Validity,
        /// What made it look: a SIGHUP or a change of the files.
        trigger: Trigger,
    },
    /// The files changed (or SIGHUP) but the pair in them cannot be used: the old one serves.
    KeptOld {
        /// Why the new pair was refused.
        reason: String,
    },
    /// Asking the ACME CA for a certificate for these names.
    Obtaining {
        /// The names.
        domains: Vec<String>,
    },
    /// A certificate was obtained from the ACME CA and serves from now on.
    Obtained {
        /// Its validity.
        validity: Validity,
    },
    /// A stored ACME certificate was found and serves; no order was placed.
    Reused {
        /// Its validity.
        validity: Validity,
        /// When it will be renewed, Unix seconds.
        renew_at_s: i64,
    },
    /// The certificate is due for renewal; a new order is placed while it keeps serving.
    Renewing {
        /// The serving certificate's validity.
        validity: Validity,
    },
    /// Obtaining or renewing failed; it is tried again after `retry_in`.
    Failed {
        /// What went wrong.
        reason: String,
        /// What to check.
        check: String,
        /// When it is tried again.
        retry_in: Duration,
        /// Whether a certificate still serves meanwhile.
        still_serving: bool,
    },
}

/// Why the certificate files were read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// SIGHUP.
    Signal,
    /// The files' size or modification time changed.
    Changed,
}

/// What is known of a file to notice it was replaced: its modification time and size.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The files behind a slot and what they looked like when last read.
pub(crate) struct FileWatch {
    slot: Arc<CertSlot>,
    cert: PathBuf,
    key: PathBuf,
    seen: (Stamp, Stamp),
}

impl FileWatch {
    /// Loads the pair into `slot` (an error names the file at fault) and returns the watch.
    pub(crate) fn start(slot: Arc<CertSlot>, cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let seen = (stamp(cert), stamp(key));
        let pair = Pair::from_files(cert, key)?;
        slot.set(pair, Origin::Files);
        Ok(FileWatch {
            slot,
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            seen,
        })
    }

    /// Reads the files again when asked (`Signal`) or when they changed since last read;
    /// `None` when there was nothing to do.
    pub(crate) fn check(&mut self, trigger: Trigger) -> Option<CertEvent> {
        let now = (stamp(&self.cert), stamp(&self.key));
        if trigger == Trigger::Changed && now == self.seen {
            return None;
        }
        self.seen = now;
        Some(match Pair::from_files(&self.cert, &self.key) {
            Ok(pair) => {
                let validity = pair.validity;
                self.slot.set(pair, Origin::Files);
                CertEvent::Reloaded { validity, trigger }
            }
            Err(e) => CertEvent::KeptOld {
                reason: e.to_string(),
            },
        })
    }

    /// Checks every `poll` and on each SIGHUP until `events` is closed. SIGHUP is handled from
    /// the moment this returns (it would end the process otherwise).
    pub(crate) fn spawn(
        self,
        poll: Duration,
        events: mpsc::UnboundedSender<CertEvent>,
    ) -> tokio::task::JoinHandle<()> {
        let hup = hangups();
        tokio::spawn(self.run(poll, hup, events))
    }

    async fn run(
        mut self,
        poll: Duration,
        mut hup: Hangups,
        events: mpsc::UnboundedSender<CertEvent>,
    ) {
        loop {
            let trigger = tokio::select! {
                _ = tokio::time::sleep(poll) => Trigger::Changed,
                Some(()) = next_hangup(&mut hup) => Trigger::Signal,
                _ = events.closed() => return,
            };
            if let Some(ev) = self.check(trigger) {
                if events.send(ev).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn hangups() -> Hangups {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP ({e}); the certificate files are still watched for changes");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangups() -> Hangups {}

#[cfg(unix)]
async fn next_hangup(h: &mut Hangups) -> Option<()> {
    match h {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangups) -> Option<()> {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_pair(names: &[&str]) -> (String, String) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let params = rcgen::CertificateParams::new(names).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_pair_is_read_with_its_validity_and_a_foreign_key_is_refused() {
        let (cert, key) = pem_pair(&["a.test"]);
        let pair = Pair::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
        assert!(pair.validity.not_after_s > pair.validity.not_before_s);
        let (_, other_key) = pem_pair(&["b.test"]);
        let e = Pair::from_pem(cert.as_bytes(), other_key.as_bytes()).unwrap_err();
        assert!(e.contains("does not fit"), "{e}");
        let e = Pair::from_pem(b"", key.as_bytes()).unwrap_err();
        assert!(e.contains("no certificate"), "{e}");
    }

    #[test]
    fn the_watch_reloads_changed_files_and_keeps_the_old_pair_when_the_new_one_is_bad() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        let (cert, key) = pem_pair(&["a.test"]);
        std::fs::write(&c, &cert).unwrap();
        std::fs::write(&k, &key).unwrap();
        let slot = Arc::new(CertSlot::default());
        let mut watch = FileWatch::start(slot.clone(), &c, &k).unwrap();
        let first = slot.leaf().unwrap();
        assert_eq!(watch.check(Trigger::Changed), None, "nothing changed");

        // A new pair of a different size: noticed without a signal.
        let (cert2, key2) = pem_pair(&["a.test", "longer-name.b.test"]);
        std::fs::write(&c, &cert2).unwrap();
        std::fs::write(&k, &key2).unwrap();
        assert!(matches!(
            watch.check(Trigger::Changed),
            Some(CertEvent::Reloaded {
                trigger: Trigger::Changed,
                ..
            })
        ));
        let second = slot.leaf().unwrap();
        assert_ne!(first, second);

        // A key that does not fit: refused, the second pair still serves.
        std::fs::write(&k, &key).unwrap();
        match watch.check(Trigger::Signal) {
            Some(CertEvent::KeptOld { reason }) => {
                assert!(reason.contains("does not fit"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(slot.leaf().unwrap(), second);
        assert_eq!(slot.current().unwrap().1, Origin::Files);
    }

    #[test]
    fn only_a_hello_offering_acme_tls_alone_gets_the_challenge_certificate() {
        let only = [ACME_TLS_ALPN];
        assert!(offers_only_acme(Some(only.iter().copied())));
        let both: [&[u8]; 2] = [b"h2", ACME_TLS_ALPN];
        assert!(!offers_only_acme(Some(both.iter().copied())));
        assert!(!offers_only_acme(None::<std::iter::Empty<&[u8]>>));

        let slot = CertSlot::default();
        let (cert, key) = pem_pair(&["a.test"]);
        slot.set(
            Pair::from_pem(cert.as_bytes(), key.as_bytes()).unwrap(),
            Origin::Acme,
        );
        let (ccert, ckey) = pem_pair(&["a.test"]);
        let challenge = Pair::from_pem(ccert.as_bytes(), ckey.as_bytes()).unwrap();
        assert!(slot.resolve_for(true, Some("A.test")).is_none());
        slot.set_challenge("a.test", challenge.key.clone());
        let got = slot.resolve_for(true, Some("A.TEST")).unwrap();
        assert!(Arc::ptr_eq(&got, &challenge.key));
        assert!(slot.resolve_for(true, None).is_none());
        assert!(!Arc::ptr_eq(
            &slot.resolve_for(false, Some("a.test")).unwrap(),
            &challenge.key
        ));
        slot.clear_challenge("a.test");
        assert!(slot.resolve_for(true, Some("a.test")).is_none());
    }
}
