//! Which TLS library talks to the gateway (`oncp connect --tls-backend`).
//!
//! rustls is the default and the only backend of a build without the
//! `legacy-tls` feature. With the feature, OpenSSL reaches gateways that
//! rustls refuses: TLS 1.0/1.1, or TLS 1.2 with only RSA key exchange and
//! CBC suites (common on old Juniper/Pulse gateways). `auto` tries rustls
//! and falls back to OpenSSL only when the handshake failed for lack of a
//! common protocol version or cipher suite.
//!
//! The fallback is a downgrade an active attacker could provoke by forging
//! a handshake_failure alert; the certificate checks still hold and the
//! warning says what was negotiated. Within one session it is never taken
//! once rustls has worked with the gateway, and `--tls-backend rustls`
//! forbids it altogether.

/// The `--tls-backend` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TlsBackend {
    /// rustls first; OpenSSL when the gateway shares no version or suite
    /// with rustls (with a warning naming what was negotiated).
    #[default]
    Auto,
    /// rustls only (TLS 1.2 with ECDHE and AEAD suites, TLS 1.3).
    Rustls,
    /// OpenSSL only (the legacy backend: also TLS 1.0/1.1, RSA key
    /// exchange, CBC suites).
    Openssl,
}

impl TlsBackend {
    /// Whether this build has the OpenSSL backend.
    pub const LEGACY_AVAILABLE: bool = cfg!(feature = "legacy-tls");

    /// Whether this choice may use OpenSSL at all.
    pub fn may_use_openssl(self) -> bool {
        Self::LEGACY_AVAILABLE && self != TlsBackend::Rustls
    }
}

/// Whether a rustls handshake failed because the gateway and rustls have
/// no protocol version or cipher suite in common (the case where the
/// OpenSSL backend may succeed), as opposed to certificate, network or
/// protocol errors, which a second library would not fix.
pub fn is_incompatibility(e: &rustls::Error) -> bool {
    use rustls::AlertDescription as A;
    match e {
        // The server found nothing it accepts in our ClientHello.
        rustls::Error::AlertReceived(a) => matches!(
            a,
            A::HandshakeFailure | A::ProtocolVersion | A::InsufficientSecurity
        ),
        // The server chose something rustls does not do (e.g. TLS 1.0).
        rustls::Error::PeerIncompatible(_) => true,
        _ => false,
    }
}

/// Finds a rustls error in an error's chain (tokio-rustls wraps it in an
/// `io::Error`, reqwest and hyper wrap that again) and tells whether it is
/// an [`is_incompatibility`].
pub fn chain_is_incompatibility(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return is_incompatibility(r);
        }
        // `io::Error::source` skips the error it wraps (hyper-rustls even
        // wraps tokio-rustls's io::Error in another one): look inside.
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

/// The weaknesses of a negotiated connection, from its protocol version
/// (`TLSv1.2`) and the suite's standard name
/// (`TLS_RSA_WITH_AES_256_CBC_SHA256`); empty when there are none.
pub fn weaknesses(version: &str, suite: &str) -> Vec<&'static str> {
    let mut w = Vec::new();
    if matches!(version, "TLSv1" | "TLSv1.1" | "SSLv3") {
        w.push("an obsolete protocol version (RFC 8996)");
    }
    if suite.starts_with("TLS_RSA_") {
        w.push("RSA key exchange (no forward secrecy)");
    }
    if suite.contains("_CBC_") {
        w.push("CBC mode with a separate MAC");
    }
    if suite.ends_with("_SHA") || suite.contains("_MD5") {
        w.push("SHA-1 MAC");
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_version_and_suite_failures_count_as_incompatible() {
        use rustls::AlertDescription as A;
        assert!(is_incompatibility(&rustls::Error::AlertReceived(
            A::HandshakeFailure
        )));
        assert!(is_incompatibility(&rustls::Error::AlertReceived(
            A::ProtocolVersion
        )));
        assert!(is_incompatibility(&rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
        )));
        assert!(!is_incompatibility(&rustls::Error::AlertReceived(
            A::BadCertificate
        )));
        assert!(!is_incompatibility(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        )));
    }

    #[test]
    fn the_rustls_error_is_found_inside_io_errors() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
        );
        assert!(chain_is_incompatibility(&io));
        let nested = std::io::Error::other(io);
        assert!(chain_is_incompatibility(&nested));
        let other = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(!chain_is_incompatibility(&other));
    }

    #[test]
    fn weaknesses_name_what_is_weak() {
        assert_eq!(
            weaknesses("TLSv1.2", "TLS_RSA_WITH_AES_256_CBC_SHA256"),
            [
                "RSA key exchange (no forward secrecy)",
                "CBC mode with a separate MAC"
            ]
        );
        assert_eq!(weaknesses("TLSv1", "TLS_RSA_WITH_AES_128_CBC_SHA").len(), 4);
        assert!(weaknesses("TLSv1.3", "TLS_AES_256_GCM_SHA384").is_empty());
        assert!(weaknesses("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").is_empty());
    }
}
