//! Server certificate pins in OpenConnect's `--servercert` formats.
//!
//! - `pin-sha256:BASE64` — SHA-256 of the certificate's SubjectPublicKeyInfo
//!   (what OpenConnect prints and what `oncp gateway` prints);
//! - `sha256:HEX` — SHA-256 of the whole certificate (DER);
//! - `sha1:HEX` or bare 40-digit `HEX` — SHA-1 of the whole certificate.
//!
//! Hex forms compare case-insensitively and may be shortened to a prefix of
//! at least [`MIN_HEX_PREFIX`] digits (OpenConnect also accepts prefixes).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The shortest hex prefix accepted for `sha1:`/`sha256:` pins.
pub const MIN_HEX_PREFIX: usize = 8;

/// A parsed `--servercert` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// SHA-256 of the SubjectPublicKeyInfo.
    SpkiSha256([u8; 32]),
    /// A (prefix of the) lower-case hex SHA-256 of the certificate DER.
    CertSha256Hex(String),
    /// A (prefix of the) lower-case hex SHA-1 of the certificate DER.
    CertSha1Hex(String),
}

/// Why a `--servercert` value or a certificate could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PinError {
    /// `pin-sha256:` not followed by base64 of exactly 32 bytes.
    #[error("pin-sha256 value is not base64 of a 32-byte SHA-256 hash")]
    BadSpkiPin,
    /// A hex form with non-hex digits, too long or shorter than the minimum.
    #[error(
        "{form} fingerprint must be {min} to {max} hex digits",
        min = MIN_HEX_PREFIX
    )]
    BadHex {
        /// `sha1` or `sha256`.
        form: &'static str,
        /// Full length in hex digits.
        max: usize,
    },
    /// Not one of the known forms.
    #[error("unknown fingerprint form (expected pin-sha256:, sha256: or sha1:)")]
    UnknownForm,
    /// The certificate's DER could not be parsed to find its public key.
    #[error("server certificate is not valid X.509 DER: {0}")]
    BadCertificate(String),
}

impl std::str::FromStr for Pin {
    type Err = PinError;
    fn from_str(s: &str) -> Result<Pin, PinError> {
        let s = s.trim();
        if let Some(b64) = strip_prefix_ci(s, "pin-sha256:") {
            let raw = BASE64.decode(b64).map_err(|_| PinError::BadSpkiPin)?;
            let hash: [u8; 32] = raw.try_into().map_err(|_| PinError::BadSpkiPin)?;
            return Ok(Pin::SpkiSha256(hash));
        }
        if let Some(hex) = strip_prefix_ci(s, "sha256:") {
            return hex_pin(hex, "sha256", 64).map(Pin::CertSha256Hex);
        }
        if let Some(hex) = strip_prefix_ci(s, "sha1:") {
            return hex_pin(hex, "sha1", 40).map(Pin::CertSha1Hex);
        }
        if s.len() == 40 && !s.contains(':') {
            return hex_pin(s, "sha1", 40).map(Pin::CertSha1Hex);
        }
        Err(PinError::UnknownForm)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn hex_pin(hex: &str, form: &'static str, max: usize) -> Result<String, PinError> {
    let ok =
        (MIN_HEX_PREFIX..=max).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(hex.to_ascii_lowercase())
    } else {
        Err(PinError::BadHex { form, max })
    }
}

/// The hashes of one certificate that pins are compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFingerprints {
    /// SHA-256 of the SubjectPublicKeyInfo.
    pub spki_sha256: [u8; 32],
    /// Hex SHA-256 of the certificate DER.
    pub cert_sha256_hex: String,
    /// Hex SHA-1 of the certificate DER.
    pub cert_sha1_hex: String,
}

impl CertFingerprints {
    /// Hashes a DER certificate.
    pub fn of_der(der: &[u8]) -> Result<CertFingerprints, PinError> {
        let spki = spki_der(der)?;
        Ok(CertFingerprints {
            spki_sha256: Sha256::digest(spki).into(),
            cert_sha256_hex: hex::encode(Sha256::digest(der)),
            cert_sha1_hex: hex::encode(Sha1::digest(der)),
        })
    }

    /// The certificate's pin in OpenConnect's preferred form,
    /// `pin-sha256:BASE64`.
    pub fn pin_sha256(&self) -> String {
        format!("pin-sha256:{}", BASE64.encode(self.spki_sha256))
    }

    /// Whether `pin` matches this certificate.
    pub fn matches(&self, pin: &Pin) -> bool {
        match pin {
            Pin::SpkiSha256(h) => {
                // Public values, but compare without early exit anyway.
                h.iter()
                    .zip(self.spki_sha256.iter())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
            }
            Pin::CertSha256Hex(p) => self.cert_sha256_hex.starts_with(p.as_str()),
            Pin::CertSha1Hex(p) => self.cert_sha1_hex.starts_with(p.as_str()),
        }
    }
}

/// The DER bytes of a certificate's SubjectPublicKeyInfo.
fn spki_der(der: &[u8]) -> Result<&[u8], PinError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| PinError::BadCertificate(e.to_string()))?;
    let raw = cert.tbs_certificate.subject_pki.raw;
    // `raw` borrows from `der`; find it to return a slice of the input.
    let start = raw.as_ptr() as usize - der.as_ptr() as usize;
    Ok(&der[start..start + raw.len()])
}

/// The `pin-sha256:` pin of a DER certificate.
pub fn pin_sha256_of_der(der: &[u8]) -> Result<String, PinError> {
    CertFingerprints::of_der(der).map(|f| f.pin_sha256())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate made for these tests with
    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=oncp-test -days 36500`;
    /// the expected hashes were computed with `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum`
    /// and `openssl x509 -outform der | sha1sum / sha256sum`.
    const CERT_PEM: &str = include_str!("testdata/test-cert.pem");
    const EXPECTED: &str = include_str!("testdata/test-cert.hashes");

    fn der() -> Vec<u8> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(CERT_PEM.as_bytes())
            .unwrap()
            .to_vec()
    }

    fn expected(key: &str) -> String {
        EXPECTED
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .trim()
            .to_string()
    }

    #[test]
    fn fingerprints_match_openssl() {
        let f = CertFingerprints::of_der(&der()).unwrap();
        assert_eq!(f.pin_sha256(), expected("pin-sha256="));
        assert_eq!(f.cert_sha256_hex, expected("sha256="));
        assert_eq!(f.cert_sha1_hex, expected("sha1="));
    }

    #[test]
    fn every_form_matches_its_certificate() {
        let f = CertFingerprints::of_der(&der()).unwrap();
        let sha1 = expected("sha1=");
        let sha256 = expected("sha256=");
        for s in [
            expected("pin-sha256="),
            format!("sha256:{sha256}"),
            format!("SHA256:{}", sha256.to_uppercase()),
            format!("sha256:{}", &sha256[..8]),
            format!("sha1:{sha1}"),
            sha1.clone(),
        ] {
            let pin: Pin = s.parse().unwrap();
            assert!(f.matches(&pin), "{s} should match");
        }
    }

    #[test]
    fn other_pins_do_not_match() {
        let f = CertFingerprints::of_der(&der()).unwrap();
        let zero = format!("pin-sha256:{}", BASE64.encode([0u8; 32]));
        for s in [zero.as_str(), "sha256:00000000", "sha1:0000000000"] {
            assert!(!f.matches(&s.parse().unwrap()), "{s}");
        }
    }

    #[test]
    fn malformed_pins_are_rejected_with_the_reason() {
        assert_eq!("pin-sha256:AAAA".parse::<Pin>(), Err(PinError::BadSpkiPin));
        assert_eq!("pin-sha256:!!".parse::<Pin>(), Err(PinError::BadSpkiPin));
        assert!(matches!(
            "sha256:abc".parse::<Pin>(),
            Err(PinError::BadHex { form: "sha256", .. })
        ));
        assert!(matches!(
            "sha1:zzzzzzzzzz".parse::<Pin>(),
            Err(PinError::BadHex { .. })
        ));
        assert_eq!("md5:00".parse::<Pin>(), Err(PinError::UnknownForm));
    }

    #[test]
    fn garbage_certificate_is_an_error() {
        assert!(matches!(
            CertFingerprints::of_der(b"\x30\x03\x02\x01"),
            Err(PinError::BadCertificate(_))
        ));
    }
}
