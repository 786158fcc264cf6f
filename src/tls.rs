//! TLS for the requests hookscope sends (check, send, replay, forwarding, the relay client): a
//! rustls client config with the `ring` provider, Mozilla's roots from `webpki-roots` (no system
//! store needed) and, optionally, extra certificates from a PEM file (the relay's server side
//! is `relay::certs`). Builds configs only; it opens no connection.
//!
//! A certificate in the extra file is trusted two ways: as a CA (a server whose chain leads to
//! it passes), and pinned: a server presenting exactly that certificate passes whatever its CA
//! flag or issuer, as `curl --cacert` accepts the `openssl req -x509` certificate everyone makes
//! first (it is marked `CA:TRUE`, which webpki refuses as a server's own). A pinned server must
//! still prove it holds the certificate's key (the handshake signature is checked as always),
//! be within the certificate's dates and be reached by a name the certificate holds, so a
//! pinned certificate means what a CA-issued one means: this key, this name, now.
//!
//! A refused certificate is a [`Untrusted`]: the cause as a `CertProblem` and words for it,
//! never an enum's debug text. Callers find it in an error chain with `untrusted_in`. No
//! message here names a flag; the command layer adds that advice.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

#[derive(Debug, thiserror::Error)]
/// Why a certificate or key file cannot be used, or TLS cannot be set up.
pub enum TlsError {
    #[error("certificate file '{path}' cannot be read: {source}")]
    /// The file cannot be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    #[error("certificate file '{path}' holds no PEM certificate ('-----BEGIN CERTIFICATE-----'); give the CA certificate in PEM format")]
    /// The file holds no PEM certificate.
    NoCertificates {
        /// The file.
        path: PathBuf,
    },
    #[error("certificate file '{path}' is not valid PEM: {detail}")]
    /// The file is not valid PEM.
    BadPem {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        detail: String,
    },
    #[error(
        "certificate file '{path}': certificate {index} is not a usable CA certificate: {detail}"
    )]
    /// A certificate in the file is not a usable CA certificate.
    Rejected {
        /// The file.
        path: PathBuf,
        /// Which certificate, 0-based.
        index: usize,
        /// What the TLS library said.
        detail: String,
    },
    #[error("key file '{path}' holds no usable private key ({detail}); give the PEM private key of the certificate")]
    /// The key file holds no usable private key.
    Key {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    #[error("TLS setup failed: {0}")]
    /// The TLS library refused the configuration.
    Setup(String),
}

impl TlsError {
    /// The file the error is about, so the command layer can name the flag that gave it.
    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            TlsError::Read { path, .. }
            | TlsError::NoCertificates { path }
            | TlsError::BadPem { path, .. }
            | TlsError::Rejected { path, .. }
            | TlsError::Key { path, .. } => Some(path),
            TlsError::Setup(_) => None,
        }
    }
}

/// The config with only the built-in roots, shared: every [`crate::forward::Forwarder`] made
/// without `--ca-cert` uses it.
pub(crate) fn default_config() -> Arc<ClientConfig> {
    static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            // ring supports the default protocol versions and the built-in roots parse, so this
            // cannot fail.
            Arc::new(config_with(Vec::new(), None).expect("ring supports TLS 1.2 and 1.3"))
        })
        .clone()
}

/// The built-in roots plus every certificate in `ca_pem`, when given, each trusted as a CA and
/// pinned (see the module's opening comment).
pub fn client_config(ca_pem: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let Some(path) = ca_pem else {
        return Ok(default_config());
    };
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let extra = certificates_from_pem(&bytes, path)?;
    config_with(extra, Some(path)).map(Arc::new)
}

/// Every `CERTIFICATE` block of a PEM file; other blocks (a private key kept beside) are skipped.
pub(crate) fn certificates_from_pem(
    bytes: &[u8],
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificates {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

fn config_with(
    extra: Vec<CertificateDer<'static>>,
    path: Option<&Path>,
) -> Result<ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Verifier::new(extra, path, provider.clone())?;
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Why a server's certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertProblem {
    /// Its chain leads to no trusted CA, and it is not one of the pinned certificates.
    UnknownIssuer,
    /// It is a CA certificate (`CA:TRUE`) serving as the server's own, and not pinned.
    CaAsServer,
    /// It is not for the name the server was reached by (`presented`: the names it holds).
    WrongName {
        expected: String,
        presented: Vec<String>,
    },
    /// Past its `notAfter` (seconds since the epoch).
    Expired {
        not_after: Option<u64>,
    },
    /// Before its `notBefore` (seconds since the epoch).
    NotYetValid {
        not_before: Option<u64>,
    },
    Revoked,
    /// Its signature does not match its issuer's key.
    BadSignature,
    /// Its extended key usage does not allow a TLS server.
    NotForServers,
    /// Signed with an algorithm the ring provider does not verify.
    UnsupportedAlgorithm,
    /// Not a well-formed X.509 certificate.
    BadEncoding,
    /// Anything else rustls or webpki refused, in their words.
    Other(String),
}

/// A server's certificate was refused: why, and which file of extra certificates was trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    pub(crate) problem: CertProblem,
    /// The PEM file whose certificates were trusted besides the built-in roots, if any.
    pub(crate) extra: Option<PathBuf>,
}

impl Untrusted {
    /// The cause in words, `whose` naming the server: "the relay's certificate is for
    /// 'other.example', not 'localhost'".
    pub(crate) fn describe(&self, whose: &str) -> String {
        let extra = self.extra.as_ref().map(|p| p.display().to_string());
        match (&self.problem, extra) {
            (CertProblem::UnknownIssuer, None) => format!(
                "{whose}'s certificate is not signed by a CA trusted here (the public CAs)"
            ),
            (CertProblem::UnknownIssuer, Some(file)) => format!(
                "{whose}'s certificate is not in '{file}' and not signed by a CA in it (nor by a public CA)"
            ),
            (CertProblem::CaAsServer, None) => format!(
                "{whose}'s certificate is a CA certificate (CA:TRUE, as 'openssl req -x509' makes) that is not trusted here"
            ),
            (CertProblem::CaAsServer, Some(file)) => format!(
                "{whose}'s certificate is a CA certificate (CA:TRUE) that is not in '{file}'"
            ),
            (CertProblem::WrongName { expected, presented }, _) if presented.is_empty() => {
                format!("{whose}'s certificate names no host (it has no subjectAltName), so it is not for '{expected}'")
            }
            (CertProblem::WrongName { expected, presented }, _) => format!(
                "{whose}'s certificate is for {}, not '{expected}'",
                presented
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (CertProblem::Expired { not_after }, _) => match not_after {
                Some(t) => format!("{whose}'s certificate expired on {}", utc(*t)),
                None => format!("{whose}'s certificate has expired"),
            },
            (CertProblem::NotYetValid { not_before }, _) => match not_before {
                Some(t) => format!("{whose}'s certificate is not valid until {}", utc(*t)),
                None => format!("{whose}'s certificate is not valid yet"),
            },
            (CertProblem::Revoked, _) => format!("{whose}'s certificate has been revoked"),
            (CertProblem::BadSignature, _) => format!(
                "{whose}'s certificate carries a signature that its issuer's key did not make"
            ),
            (CertProblem::NotForServers, _) => format!(
                "{whose}'s certificate is not for TLS servers (its extended key usage lacks serverAuth)"
            ),
            (CertProblem::UnsupportedAlgorithm, _) => format!(
                "{whose}'s certificate is signed with an algorithm hookscope cannot check"
            ),
            (CertProblem::BadEncoding, _) => {
                format!("{whose}'s certificate is not a well-formed X.509 certificate")
            }
            (CertProblem::Other(detail), _) => {
                format!("{whose}'s certificate was refused: {detail}")
            }
        }
    }

    /// What to do about it, in words (no flag: the caller adds how to pass a file).
    pub(crate) fn fix(&self, whose: &str) -> String {
        let extra = self.extra.as_ref().map(|p| p.display().to_string());
        match (&self.problem, extra) {
            (CertProblem::UnknownIssuer | CertProblem::CaAsServer, None) => format!(
                "trust {whose}'s own certificate, or the CA that signed it, as a PEM file"
            ),
            (CertProblem::UnknownIssuer | CertProblem::CaAsServer, Some(file)) => format!(
                "put {whose}'s own certificate (the file it serves), or the CA that signed it, in '{file}'"
            ),
            (CertProblem::WrongName { expected, .. }, _) => format!(
                "reach {whose} by a name its certificate holds, or give it a certificate for '{expected}' (subjectAltName=DNS:{expected} or IP:{expected})"
            ),
            (CertProblem::Expired { .. } | CertProblem::Revoked, _) => {
                format!("{whose} needs a new certificate")
            }
            (CertProblem::NotYetValid { .. }, _) => {
                "check this computer's clock, or wait until then".to_string()
            }
            (CertProblem::NotForServers, _) => format!(
                "give {whose} a certificate made for server authentication (extendedKeyUsage=serverAuth, or none)"
            ),
            (CertProblem::UnsupportedAlgorithm, _) => format!(
                "give {whose} a certificate signed with RSA, ECDSA (P-256, P-384) or Ed25519"
            ),
            (CertProblem::BadSignature | CertProblem::BadEncoding | CertProblem::Other(_), _) => {
                format!("check that {whose} serves the certificate it was given")
            }
        }
    }

    /// Whether the fix is to trust a certificate on this side (a file of extra certificates).
    pub(crate) fn needs_trust(&self) -> bool {
        matches!(
            self.problem,
            CertProblem::UnknownIssuer | CertProblem::CaAsServer
        )
    }
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whose = "the server";
        write!(f, "{}; {}", self.describe(whose), self.fix(whose))
    }
}

impl std::error::Error for Untrusted {}

/// The refused certificate behind `e`, if that is why it failed. hyper-rustls wraps rustls's
/// error in `io::Error`s, whose `source()` skips what they wrap, so those are opened by hand.
pub(crate) fn untrusted_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Untrusted> {
    let mut link = Some(e);
    while let Some(err) = link {
        if let Some(u) = err.downcast_ref::<Untrusted>() {
            return Some(u);
        }
        if let Some(rustls::Error::Other(other)) = err.downcast_ref::<rustls::Error>() {
            if let Some(u) = other.0.downcast_ref::<Untrusted>() {
                return Some(u);
            }
        }
        link = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

fn utc(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| format!("{secs} (seconds since 1970)"))
}

/// webpki's checks with the extra certificates as roots, and pinning of those same
/// certificates; see the module's opening comment.
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    extra: Option<PathBuf>,
}

impl Verifier {
    /// Mozilla's roots and every `extra` certificate as roots; `extra` pinned as well.
    fn new(
        extra: Vec<CertificateDer<'static>>,
        path: Option<&Path>,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> Result<Verifier, TlsError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for (i, cert) in extra.iter().enumerate() {
            roots.add(cert.clone()).map_err(|e| TlsError::Rejected {
                path: path.unwrap_or(Path::new("")).to_path_buf(),
                index: i + 1,
                detail: e.to_string(),
            })?;
        }
        Ok(Verifier {
            webpki: WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Setup(e.to_string()))?,
            pinned: extra,
            extra: path.map(Path::to_path_buf),
        })
    }

    fn untrusted(&self, e: rustls::Error) -> rustls::Error {
        let problem = match e {
            rustls::Error::InvalidCertificate(c) => problem_of(c),
            // Not about the certificate: rustls's own words are the best there are.
            other => return other,
        };
        rustls::Error::Other(rustls::OtherError(Arc::new(Untrusted {
            problem,
            extra: self.extra.clone(),
        })))
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let err = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let pinned = self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref());
        // webpki checks a certificate's dates (and, for a non-CA, its key usage) before its
        // issuer and before the CA flag, so these failures mean everything but the path to a
        // root passed. A test pins that order (`a_pinned_certificate_past_its_dates_*`).
        if pinned && only_the_path_failed(&err) {
            let cert = rustls::server::ParsedCertificate::try_from(end_entity)
                .map_err(|e| self.untrusted(e))?;
            rustls::client::verify_server_name(&cert, server_name)
                .map_err(|e| self.untrusted(e))?;
            return Ok(ServerCertVerified::assertion());
        }
        Err(self.untrusted(err))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.webpki.root_hint_subjects()
    }
}

/// Whether webpki refused the certificate only for want of a path to a root: no trusted issuer,
/// a CA certificate where a server's belongs, or a trusted certificate of its issuer's name
/// whose key did not sign it (a pinned leaf whose subject is its CA's name finds itself).
fn only_the_path_failed(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => true,
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

#[allow(deprecated)]
fn problem_of(e: CertificateError) -> CertProblem {
    use CertificateError as C;
    match e {
        C::UnknownIssuer => CertProblem::UnknownIssuer,
        C::NotValidForNameContext {
            expected,
            presented,
        } => CertProblem::WrongName {
            expected: expected.to_str().into_owned(),
            presented: presented.iter().map(|n| plain_name(n)).collect(),
        },
        C::NotValidForName => CertProblem::WrongName {
            expected: String::new(),
            presented: Vec::new(),
        },
        C::Expired => CertProblem::Expired { not_after: None },
        C::ExpiredContext { not_after, .. } => CertProblem::Expired {
            not_after: Some(not_after.as_secs()),
        },
        C::NotValidYet => CertProblem::NotYetValid { not_before: None },
        C::NotValidYetContext { not_before, .. } => CertProblem::NotYetValid {
            not_before: Some(not_before.as_secs()),
        },
        C::Revoked => CertProblem::Revoked,
        C::BadSignature => CertProblem::BadSignature,
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => CertProblem::NotForServers,
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            CertProblem::UnsupportedAlgorithm
        }
        C::BadEncoding => CertProblem::BadEncoding,
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) => CertProblem::CaAsServer,
            Some(webpki::Error::EndEntityUsedAsCa) => CertProblem::Other(
                "a server certificate (CA:FALSE) signed the certificate it presented".into(),
            ),
            Some(other) => CertProblem::Other(other.to_string()),
            None => CertProblem::Other(other.to_string()),
        },
        other => CertProblem::Other(other.to_string()),
    }
}

/// webpki lists a certificate's names as `DnsName("a.example")` and `IpAddress(127.0.0.1)`.
fn plain_name(presented: &str) -> String {
    for kind in ["DnsName(\"", "UniformResourceIdentifier(\""] {
        if let Some(name) = presented
            .strip_prefix(kind)
            .and_then(|r| r.strip_suffix("\")"))
        {
            return name.to_string();
        }
    }
    presented
        .strip_prefix("IpAddress(")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(presented)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    /// A certificate for `names`: self-signed, or signed by `issuer`.
    fn cert(
        names: &[&str],
        ca: bool,
        expired: bool,
        issuer: Option<&Issuer<'_, KeyPair>>,
    ) -> (CertificateDer<'static>, CertificateParams, KeyPair) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        if ca {
            // What `openssl req -x509` marks its certificates.
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let c = match issuer {
            Some(i) => params.signed_by(&key, i).unwrap(),
            None => params.self_signed(&key).unwrap(),
        };
        (c.der().clone(), params, key)
    }

    fn verifier(extra: &[&CertificateDer<'static>]) -> Verifier {
        let extra = extra.iter().map(|c| (*c).clone()).collect();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Verifier::new(extra, Some(Path::new("ca.pem")), provider).unwrap()
    }

    /// What the verifier says of `cert` reached as `name`: `Ok` or the refusal.
    fn check(v: &Verifier, cert: &CertificateDer<'_>, name: &str) -> Result<(), Untrusted> {
        let name = ServerName::try_from(name.to_string()).unwrap();
        match v.verify_server_cert(cert, &[], &name, &[], UnixTime::now()) {
            Ok(_) => Ok(()),
            Err(rustls::Error::Other(o)) => Err(o.0.downcast_ref::<Untrusted>().unwrap().clone()),
            Err(e) => panic!("not a certificate problem: {e}"),
        }
    }

    #[test]
    fn a_pinned_ca_true_certificate_is_trusted_for_its_names_only() {
        let (c, ..) = cert(&["localhost", "127.0.0.1"], true, false, None);
        let v = verifier(&[&c]);
        assert_eq!(check(&v, &c, "localhost"), Ok(()));
        assert_eq!(check(&v, &c, "127.0.0.1"), Ok(()));
        let e = check(&v, &c, "other.example").unwrap_err();
        assert_eq!(
            e.problem,
            CertProblem::WrongName {
                expected: "other.example".into(),
                presented: vec!["localhost".into(), "127.0.0.1".into()],
            }
        );
        assert_eq!(
            e.describe("the relay"),
            "the relay's certificate is for 'localhost', '127.0.0.1', not 'other.example'"
        );
    }

    #[test]
    fn a_ca_true_certificate_that_is_not_pinned_is_refused_in_words() {
        let (served, ..) = cert(&["localhost"], true, false, None);
        let (other, ..) = cert(&["localhost"], true, false, None);
        let e = check(&verifier(&[&other]), &served, "localhost").unwrap_err();
        assert_eq!(e.problem, CertProblem::CaAsServer);
        assert!(e.needs_trust());
        let text = format!("{}; {}", e.describe("the relay"), e.fix("the relay"));
        assert!(
            text.contains("CA certificate") && text.contains("'ca.pem'"),
            "{text}"
        );
        assert!(
            !text.contains("Other(") && !text.contains("CaUsedAsEndEntity"),
            "{text}"
        );
        // The built-in roots alone: the same cause, nothing about a file.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let plain = Verifier::new(Vec::new(), None, provider).unwrap();
        let e = check(&plain, &served, "localhost").unwrap_err();
        assert_eq!(e.problem, CertProblem::CaAsServer);
        assert!(!e.to_string().contains(".pem"), "{e}");
    }

    #[test]
    fn a_leaf_is_trusted_through_its_ca_or_pinned_alone() {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // rcgen names every certificate alike unless told: a leaf would name itself its issuer.
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let (leaf, ..) = cert(&["app.test"], false, false, Some(&issuer));
        assert_eq!(check(&verifier(&[ca.der()]), &leaf, "app.test"), Ok(()));
        assert_eq!(check(&verifier(&[&leaf]), &leaf, "app.test"), Ok(()));
        // The same when the leaf's name is its CA's, so the pinned leaf looks like its issuer.
        let issuer_key = KeyPair::generate().unwrap();
        let mut same_name = CertificateParams::new(Vec::<String>::new()).unwrap();
        same_name.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let same_name = Issuer::new(same_name, issuer_key);
        let (look_alike, ..) = cert(&["app.test"], false, false, Some(&same_name));
        assert_eq!(
            check(&verifier(&[&look_alike]), &look_alike, "app.test"),
            Ok(())
        );
        let (unrelated, ..) = cert(&["app.test"], false, false, None);
        let e = check(&verifier(&[&unrelated]), &leaf, "app.test").unwrap_err();
        assert_eq!(e.problem, CertProblem::UnknownIssuer);
        assert_eq!(
            e.describe("the app"),
            "the app's certificate is not in 'ca.pem' and not signed by a CA in it (nor by a public CA)"
        );
    }

    /// Pinning skips only the path to a root: webpki must have judged the dates first.
    #[test]
    fn a_pinned_certificate_past_its_dates_is_refused_as_expired() {
        let (ca_true, ..) = cert(&["localhost"], true, true, None);
        let e = check(&verifier(&[&ca_true]), &ca_true, "localhost").unwrap_err();
        assert!(
            matches!(e.problem, CertProblem::Expired { not_after: Some(_) }),
            "{e:?}"
        );
        assert!(
            e.describe("the relay").contains("expired on 2021-01-01"),
            "{e}"
        );
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = Issuer::new(ca_params, ca_key);
        let (leaf, ..) = cert(&["localhost"], false, true, Some(&issuer));
        let e = check(&verifier(&[&leaf]), &leaf, "localhost").unwrap_err();
        assert!(matches!(e.problem, CertProblem::Expired { .. }), "{e:?}");
    }

    #[test]
    fn names_read_plainly() {
        assert_eq!(plain_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("DirectoryName"), "DirectoryName");
        assert_eq!(utc(1_609_459_200), "2021-01-01 00:00 UTC");
    }

    #[test]
    fn a_refusal_is_found_behind_io_errors() {
        let u = Untrusted {
            problem: CertProblem::UnknownIssuer,
            extra: None,
        };
        let rustls_err = rustls::Error::Other(rustls::OtherError(Arc::new(u.clone())));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls_err);
        assert_eq!(untrusted_in(&io), Some(&u));
        let plain = std::io::Error::other("reset");
        assert_eq!(untrusted_in(&plain), None);
    }

    #[test]
    fn default_has_the_builtin_roots() {
        let c = default_config();
        assert!(c.alpn_protocols.is_empty());
        assert!(client_config(None).is_ok());
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let e = client_config(Some(&missing)).unwrap_err().to_string();
        assert!(
            e.contains("certificate file") && e.contains("nope.pem"),
            "{e}"
        );

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "just text\n").unwrap();
        let e = client_config(Some(&empty)).unwrap_err().to_string();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        assert!(e.contains("empty.pem"), "{e}");

        let junk = dir.path().join("junk.pem");
        std::fs::write(
            &junk,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = client_config(Some(&junk)).unwrap_err().to_string();
        assert!(e.contains("junk.pem"), "{e}");
    }
}
