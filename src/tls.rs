//! TLS for the requests hookscope sends (check, send, replay, forwarding, the relay client): a
//! rustls client config with the `ring` provider, Mozilla's roots from `webpki-roots` (no system
//! store needed) and, optionally, extra CA certificates from a PEM file. Also the relay's server
//! config from a certificate chain and key in PEM files. Builds configs only; it opens no
//! connection.

use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate file '{path}' cannot be read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificate file '{path}' holds no PEM certificate ('-----BEGIN CERTIFICATE-----'); give the CA certificate in PEM format")]
    NoCertificates { path: PathBuf },
    #[error("certificate file '{path}' is not valid PEM: {detail}")]
    BadPem { path: PathBuf, detail: String },
    #[error(
        "certificate file '{path}': certificate {index} is not a usable CA certificate: {detail}"
    )]
    Rejected {
        path: PathBuf,
        index: usize,
        detail: String,
    },
    #[error("key file '{path}' holds no usable private key ({detail}); pass --tls-key with the PEM private key of the certificate")]
    Key { path: PathBuf, detail: String },
    #[error("TLS setup failed: {0}")]
    Setup(String),
}

/// The config with only the built-in roots, shared: every [`crate::forward::Forwarder`] made
/// without `--ca-cert` uses it.
pub fn default_config() -> Arc<ClientConfig> {
    static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            // ring supports the default protocol versions, so this cannot fail.
            Arc::new(config_with(Vec::new(), Path::new("")).expect("ring supports TLS 1.2 and 1.3"))
        })
        .clone()
}

/// The built-in roots plus every certificate in `ca_pem`, when given.
pub fn client_config(ca_pem: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let Some(path) = ca_pem else {
        return Ok(default_config());
    };
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let extra = certificates_from_pem(&bytes, path)?;
    config_with(extra, path).map(Arc::new)
}

/// Every `CERTIFICATE` block of a PEM file; other blocks (a private key kept beside) are skipped.
pub fn certificates_from_pem(
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

/// A server config (HTTP/1.1 only) from a PEM certificate chain and its PEM private key.
pub fn server_config(
    cert_pem: &Path,
    key_pem: &Path,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    use rustls_pki_types::PrivateKeyDer;
    let bytes = std::fs::read(cert_pem).map_err(|source| TlsError::Read {
        path: cert_pem.to_path_buf(),
        source,
    })?;
    let chain = certificates_from_pem(&bytes, cert_pem)?;
    let key_bytes = std::fs::read(key_pem).map_err(|source| TlsError::Read {
        path: key_pem.to_path_buf(),
        source,
    })?;
    let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| TlsError::Key {
        path: key_pem.to_path_buf(),
        detail: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Key {
            path: key_pem.to_path_buf(),
            detail: format!(
                "it does not fit the certificate in '{}': {e}",
                cert_pem.display()
            ),
        })?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

fn config_with(extra: Vec<CertificateDer<'static>>, path: &Path) -> Result<ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for (i, cert) in extra.into_iter().enumerate() {
        roots.add(cert).map_err(|e| TlsError::Rejected {
            path: path.to_path_buf(),
            index: i + 1,
            detail: e.to_string(),
        })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

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
