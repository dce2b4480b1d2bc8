//! What the client's TLS needs to know, whichever backend does the
//! handshake: trust (CA files, system roots, pins), the key log, address
//! overrides and the backend choice; and reading PEM certificate files.

use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::tls::backend::TlsBackend;
use crate::tls::error::TlsSetupError;
use crate::tls::pin::Pin;

/// How the client decides to trust the gateway.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Extra CA certificates (PEM).
    pub cafile: Option<PathBuf>,
    /// Whether the system's CA certificates are trusted.
    pub system_trust: bool,
    /// Pins: when any is given, the certificate is accepted if and only if
    /// it matches one (CA verification is then not consulted, as in
    /// OpenConnect).
    pub pins: Vec<Pin>,
    /// Write TLS secrets here (NSS key log format). Without it,
    /// `SSLKEYLOGFILE` is honoured.
    pub keylog: Option<PathBuf>,
    /// `--resolve HOST:IP`: connect to IP for HOST instead of asking DNS
    /// (the TLS server name stays HOST).
    pub resolve: Vec<(String, std::net::IpAddr)>,
    /// Which TLS library to use (`--tls-backend`).
    pub backend: TlsBackend,
}

/// Reads every certificate in a PEM file.
pub fn load_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let err = |reason: String| TlsSetupError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no PEM certificate found".into()));
    }
    Ok(certs)
}
