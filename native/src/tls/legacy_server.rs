//! `oncp gateway --legacy-tls`: the gateway's TLS through OpenSSL, limited
//! to what old Juniper/Pulse gateways still negotiate — TLS 1.2 only, RSA
//! key exchange, AES-CBC with SHA-1 or SHA-256 MACs ([`CIPHERS`]). rustls
//! offers none of these suites, so `oncp connect` must fall back to its
//! OpenSSL backend, and it is what the trace decoder's TLS 1.2 RSA/CBC
//! path is tested on. OpenConnect 9.01 (GnuTLS) still offers them.
//!
//! RSA key exchange needs an RSA certificate: the generated self-signed
//! one has a 2048-bit RSA key, and `--cert/--key` must hold an RSA key.
//! The security level is set explicitly (1: these suites are allowed up
//! to level 2, level 3 would forbid RSA key exchange) rather than taken
//! from the system's openssl.cnf.

use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::ssl::{SslAcceptor, SslMethod, SslOptions, SslVersion};
use openssl::x509::X509;

use super::pin::pin_sha256_of_der;

/// The only suites `--legacy-tls` serves (TLS 1.2, RSA key exchange,
/// AES-CBC, SHA-256 then SHA-1 MACs), in the server's order of preference.
pub const CIPHERS: &str = "AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA:@SECLEVEL=1";

/// An OpenSSL acceptor with its certificate's pin and PEM.
pub struct LegacyIdentity {
    /// The acceptor.
    pub acceptor: SslAcceptor,
    /// `pin-sha256:…` of the leaf certificate.
    pub pin: String,
    /// The leaf certificate in PEM.
    pub cert_pem: String,
}

impl std::fmt::Debug for LegacyIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyIdentity")
            .field("pin", &self.pin)
            .finish_non_exhaustive()
    }
}

fn build(chain: Vec<X509>, key: PKey<openssl::pkey::Private>) -> anyhow::Result<LegacyIdentity> {
    if key.rsa().is_err() {
        anyhow::bail!("--legacy-tls needs an RSA key (RSA key exchange)");
    }
    let mut chain = chain.into_iter();
    let leaf = chain
        .next()
        .ok_or_else(|| anyhow::anyhow!("no certificate in the chain"))?;
    let pin = pin_sha256_of_der(&leaf.to_der()?)?;
    let cert_pem = String::from_utf8(leaf.to_pem()?)?;
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
    b.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    b.set_max_proto_version(Some(SslVersion::TLS1_2))?;
    b.set_cipher_list(CIPHERS)?;
    b.set_security_level(1);
    // Our order, not the client's: SHA-256 MACs first, as the Pulse
    // gateways in the field pick (GnuTLS would choose AES-256-CBC-SHA1).
    b.set_options(SslOptions::CIPHER_SERVER_PREFERENCE);
    b.set_private_key(&key)?;
    b.set_certificate(&leaf)?;
    for c in chain {
        b.add_extra_chain_cert(c)?;
    }
    b.check_private_key()?;
    Ok(LegacyIdentity {
        acceptor: b.build(),
        pin,
        cert_pem,
    })
}

/// A self-signed certificate with a fresh 2048-bit RSA key for `names`
/// (DNS names or IP addresses).
pub fn self_signed(names: &[String]) -> anyhow::Result<LegacyIdentity> {
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let pkcs8 = rustls::pki_types::PrivatePkcs8KeyDer::from(key.private_key_to_pkcs8()?);
    let signer = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)?;
    let cert = rcgen::CertificateParams::new(names.to_vec())?.self_signed(&signer)?;
    build(vec![X509::from_der(cert.der())?], key)
}

/// The certificate chain and (RSA) key in PEM files.
pub fn from_files(cert: &std::path::Path, key: &std::path::Path) -> anyhow::Result<LegacyIdentity> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))
    };
    let chain = X509::stack_from_pem(&read(cert)?)
        .map_err(|e| anyhow::anyhow!("parsing {}: {e}", cert.display()))?;
    let pkey = PKey::private_key_from_pem(&read(key)?)
        .map_err(|e| anyhow::anyhow!("parsing key {}: {e}", key.display()))?;
    build(chain, pkey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_rsa_and_round_trips_through_files() {
        let id = self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert!(id.pin.starts_with("pin-sha256:"));
        let dir = std::env::temp_dir().join(format!("oncp-legacy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (key, cert) = crate::tls::test_server::rsa_localhost_cert();
        std::fs::write(dir.join("k.pem"), key.private_key_to_pem_pkcs8().unwrap()).unwrap();
        std::fs::write(dir.join("c.pem"), cert.pem()).unwrap();
        let loaded = from_files(&dir.join("c.pem"), &dir.join("k.pem")).unwrap();
        assert_eq!(loaded.pin, pin_sha256_of_der(cert.der()).unwrap());
        // A key that is not the certificate's is refused.
        std::fs::write(dir.join("other.pem"), &id.cert_pem).unwrap();
        assert!(from_files(&dir.join("other.pem"), &dir.join("k.pem")).is_err());
        // An EC key cannot do RSA key exchange.
        let ec = rcgen::KeyPair::generate().unwrap();
        let ec_cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&ec)
            .unwrap();
        std::fs::write(dir.join("ec.pem"), ec_cert.pem()).unwrap();
        std::fs::write(dir.join("eck.pem"), ec.serialize_pem()).unwrap();
        let err = from_files(&dir.join("ec.pem"), &dir.join("eck.pem")).unwrap_err();
        assert!(err.to_string().contains("RSA"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
