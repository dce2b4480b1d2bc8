//! The one way from announced ESP settings to [`SaParams`]: the session,
//! the trace decoder, `oncp decode --esp-sa` and the wasm codecs all build
//! their SAs here, so a missing field or an unusable algorithm is refused
//! the same way everywhere.

use thiserror::Error;

use super::algorithm::{Cipher, CipherCode, Integrity, MacCode};
use super::params::SaParams;

/// Why ESP settings do not make a usable SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SaError {
    /// No SPI was given.
    #[error("no SPI")]
    MissingSpi,
    /// No secrets block was given.
    #[error("no keys")]
    MissingSecrets,
    /// No encryption algorithm was given.
    #[error("no encryption algorithm")]
    MissingCipher,
    /// No integrity algorithm was given.
    #[error("no integrity algorithm")]
    MissingIntegrity,
    /// The cipher code is not one ESP here supports.
    #[error("unsupported cipher code {0}")]
    UnsupportedCipher(u8),
    /// The integrity code is not one ESP here supports.
    #[error("unsupported MAC code {0}")]
    UnsupportedIntegrity(u8),
    /// The cipher name is not in the name table.
    #[error("unknown cipher (AES-128-CBC or AES-256-CBC)")]
    UnknownCipherName,
    /// The integrity name is not in the name table.
    #[error("unknown MAC (HMAC-SHA1-96, HMAC-MD5-96 or HMAC-SHA-256-128)")]
    UnknownIntegrityName,
    /// A key has the wrong length for its algorithm.
    #[error("{which} key must be {expected} bytes, got {got}")]
    KeyLength {
        /// `encryption` or `MAC`.
        which: &'static str,
        /// The length the algorithm needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
}

impl SaParams {
    /// Parameters from announced settings: SPI, the cipher and integrity
    /// codes and the 64-byte secrets block (oNCP's 7/1, 8/1, 8/2, 7/2).
    pub fn from_settings(
        spi: Option<u32>,
        cipher: Option<CipherCode>,
        mac: Option<MacCode>,
        secrets: Option<&[u8; 64]>,
    ) -> Result<SaParams, SaError> {
        let cipher = cipher.ok_or(SaError::MissingCipher)?;
        let mac = mac.ok_or(SaError::MissingIntegrity)?;
        let cipher = Cipher::from_code(cipher).map_err(|_| SaError::UnsupportedCipher(cipher.0))?;
        let integrity =
            Integrity::from_code(mac).map_err(|_| SaError::UnsupportedIntegrity(mac.0))?;
        let spi = spi.ok_or(SaError::MissingSpi)?;
        let secrets = secrets.ok_or(SaError::MissingSecrets)?;
        Ok(SaParams::new(spi, cipher, integrity, secrets))
    }

    /// Parameters from algorithm names (any spelling of the name table)
    /// and the two keys, as a user or a web page gives them.
    pub fn from_named_keys(
        spi: u32,
        cipher: &str,
        integrity: &str,
        enc_key: &[u8],
        mac_key: &[u8],
    ) -> Result<SaParams, SaError> {
        let cipher = Cipher::from_name(cipher).ok_or(SaError::UnknownCipherName)?;
        let integrity = Integrity::from_name(integrity).ok_or(SaError::UnknownIntegrityName)?;
        let check = |which, key: &[u8], expected| {
            if key.len() == expected {
                Ok(())
            } else {
                Err(SaError::KeyLength {
                    which,
                    expected,
                    got: key.len(),
                })
            }
        };
        check("encryption", enc_key, cipher.key_len())?;
        check("MAC", mac_key, integrity.key_len())?;
        let mut secrets = [0u8; 64];
        let (enc, mac) = secrets.split_at_mut(enc_key.len());
        enc[..enc_key.len()].copy_from_slice(enc_key);
        mac[..mac_key.len()].copy_from_slice(mac_key);
        let params = SaParams::new(spi, cipher, integrity, &secrets);
        zeroize::Zeroize::zeroize(&mut secrets);
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_refusals_are_typed() {
        let s = [7u8; 64];
        let ok = SaParams::from_settings(
            Some(0x1234),
            Some(CipherCode::AES256_CBC),
            Some(MacCode::HMAC_MD5_96),
            Some(&s),
        )
        .unwrap();
        assert_eq!(
            (ok.spi, ok.cipher, ok.integrity),
            (0x1234, Cipher::Aes256Cbc, Integrity::HmacMd5_96)
        );
        let c = Some(CipherCode::AES128_CBC);
        let m = Some(MacCode::HMAC_SHA1_96);
        assert_eq!(
            SaParams::from_settings(None, c, m, Some(&s)),
            Err(SaError::MissingSpi)
        );
        assert_eq!(
            SaParams::from_settings(Some(1), c, m, None),
            Err(SaError::MissingSecrets)
        );
        assert_eq!(
            SaParams::from_settings(Some(1), None, m, Some(&s)),
            Err(SaError::MissingCipher)
        );
        assert_eq!(
            SaParams::from_settings(Some(1), c, None, Some(&s)),
            Err(SaError::MissingIntegrity)
        );
        assert_eq!(
            SaParams::from_settings(Some(1), Some(CipherCode(3)), m, Some(&s)),
            Err(SaError::UnsupportedCipher(3))
        );
        assert_eq!(
            SaParams::from_settings(Some(1), c, Some(MacCode::HMAC_SHA256_128), Some(&s)),
            Err(SaError::UnsupportedIntegrity(3))
        );
    }

    #[test]
    fn every_spelling_names_one_algorithm() {
        for (text, cipher) in [
            ("AES-128-CBC", Cipher::Aes128Cbc),
            ("aes128-cbc", Cipher::Aes128Cbc),
            ("aes128", Cipher::Aes128Cbc),
            ("Aes_256_Cbc", Cipher::Aes256Cbc),
        ] {
            assert_eq!(Cipher::from_name(text), Some(cipher), "{text}");
        }
        for (text, mac) in [
            ("HMAC-SHA1-96", Integrity::HmacSha1_96),
            ("hmac-sha1-96", Integrity::HmacSha1_96),
            ("sha1", Integrity::HmacSha1_96),
            ("md5", Integrity::HmacMd5_96),
        ] {
            assert_eq!(Integrity::from_name(text), Some(mac), "{text}");
        }
        assert_eq!(Cipher::from_name("aes"), None);
        assert_eq!(Cipher::from_name("des"), None);
        assert_eq!(Integrity::from_name("sha512"), None);
        assert_eq!(
            Integrity::from_name("HMAC-SHA-256-128"),
            Some(Integrity::HmacSha256_128)
        );
        for c in Cipher::ALL {
            assert_eq!(Cipher::from_name(c.name()), Some(c));
            assert_eq!(Cipher::from_code(c.code()), Ok(c));
        }
        for m in Integrity::ALL {
            assert_eq!(Integrity::from_name(m.short_name()), Some(m));
        }
    }

    #[test]
    fn named_keys_are_checked_against_their_algorithms() {
        let p = SaParams::from_named_keys(9, "aes128", "sha1", &[1; 16], &[2; 20]).unwrap();
        assert_eq!(p.enc_key(), &[1; 16]);
        assert_eq!(p.mac_key(), &[2; 20]);
        assert_eq!(&p.secrets[36..], &[0; 28]);
        assert_eq!(
            SaParams::from_named_keys(9, "aes256", "sha1", &[1; 16], &[2; 20]),
            Err(SaError::KeyLength {
                which: "encryption",
                expected: 32,
                got: 16
            })
        );
        assert_eq!(
            SaParams::from_named_keys(9, "aes128", "md5", &[1; 16], &[2; 20]),
            Err(SaError::KeyLength {
                which: "MAC",
                expected: 16,
                got: 20
            })
        );
        assert_eq!(
            SaParams::from_named_keys(9, "rc4", "md5", &[], &[]),
            Err(SaError::UnknownCipherName)
        );
        assert_eq!(
            SaParams::from_named_keys(9, "aes128", "crc", &[], &[]),
            Err(SaError::UnknownIntegrityName)
        );
    }
}
