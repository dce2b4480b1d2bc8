//! The gateway's TLS server configuration: a certificate and key from PEM
//! files, or a freshly generated self-signed pair whose pin-sha256 the
//! gateway prints for clients (`--servercert pin-sha256:…`).

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

use super::client::provider;
use super::pin::pin_sha256_of_der;

/// A server certificate chain and key with the leaf's pin.
pub struct ServerIdentity {
    /// rustls server configuration.
    pub config: Arc<ServerConfig>,
    /// `pin-sha256:…` of the leaf certificate.
    pub pin: String,
    /// The leaf certificate in PEM (to give clients as a CA file).
    pub cert_pem: String,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("pin", &self.pin)
            .finish_non_exhaustive()
    }
}

fn build(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_pem: String,
) -> anyhow::Result<ServerIdentity> {
    let leaf = chain
        .first()
        .ok_or_else(|| anyhow::anyhow!("no certificate in the chain"))?;
    let pin = pin_sha256_of_der(leaf)?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(ServerIdentity {
        config: Arc::new(config),
        pin,
        cert_pem,
    })
}

/// A self-signed certificate for `names` (DNS names or IP addresses).
pub fn self_signed(names: &[String]) -> anyhow::Result<ServerIdentity> {
    let key = rcgen::KeyPair::generate()?;
    let params = rcgen::CertificateParams::new(names.to_vec())?;
    let cert = params.self_signed(&key)?;
    let key_der = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| anyhow::anyhow!("generated key: {e}"))?;
    build(vec![cert.der().clone()], key_der, cert.pem())
}

/// The certificate chain and key in PEM files.
pub fn from_files(cert: &Path, key: &Path) -> anyhow::Result<ServerIdentity> {
    let cert_pem = std::fs::read_to_string(cert)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", cert.display()))?;
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("parsing {}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("reading key {}: {e}", key.display()))?;
    build(chain, key, cert_pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_identity_has_a_pin_and_round_trips_through_files() {
        let id = self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert!(id.pin.starts_with("pin-sha256:"));
        let dir = std::env::temp_dir().join(format!("oncp-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(dir.join("c.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("k.pem"), key.serialize_pem()).unwrap();
        let loaded = from_files(&dir.join("c.pem"), &dir.join("k.pem")).unwrap();
        assert_eq!(loaded.pin, pin_sha256_of_der(cert.der()).unwrap());
        assert!(from_files(&dir.join("missing.pem"), &dir.join("k.pem")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
