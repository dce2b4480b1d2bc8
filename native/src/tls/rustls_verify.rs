//! rustls's certificate check for the client: a `--servercert` pin when
//! any is given, otherwise the WebPKI chain to a trusted root for the
//! server name. Records the leaf's pin for error messages.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::tls::pin::{CertFingerprints, Pin};

/// Accepts the server certificate if it matches a pin (when pins are
/// given) or chains to a trusted CA for the server name (otherwise).
#[derive(Debug)]
pub(crate) struct PinOrCaVerifier {
    pub(crate) webpki: Option<Arc<WebPkiServerVerifier>>,
    pub(crate) pins: Vec<Pin>,
    pub(crate) algorithms: WebPkiSupportedAlgorithms,
    pub(crate) last_pin: Arc<Mutex<Option<String>>>,
}

impl ServerCertVerifier for PinOrCaVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let prints = CertFingerprints::of_der(end_entity).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        if let Ok(mut p) = self.last_pin.lock() {
            *p = Some(prints.pin_sha256());
        }
        if !self.pins.is_empty() {
            return if self.pins.iter().any(|p| prints.matches(p)) {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch))),
                ))
            };
        }
        match &self.webpki {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("certificate does not match --servercert")]
struct PinMismatch;
