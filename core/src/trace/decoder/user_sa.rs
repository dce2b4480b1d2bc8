//! ESP SAs typed in by the user (`oncp decode --esp-sa`), for captures whose
//! oNCP stream is missing or cannot be decrypted.
//!
//! The text form is the one the decoder's own SA events print, so an SA
//! can be copied from one decode into another:
//! `SPI:CIPHER:ENC_KEY:MAC:MAC_KEY[:DIRECTION]`, e.g.
//! `0x35381382:AES-128-CBC:cefa…852f:HMAC-SHA1-96:4f5e…53a2e7:c2s`.
//! Names are those of the ESP name table (`crate::esp::Cipher::from_name`:
//! any case, and the short forms `aes128`, `sha1`, … too); DIRECTION is
//! `c2s` or `s2c`.

use core::str::FromStr;

use thiserror::Error;

use crate::esp::{Cipher, Integrity, SaError, SaParams};
use crate::trace::Direction;
use crate::trace::tls::decode_hex;

/// An ESP SA supplied by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSa {
    /// SPI, algorithms and keys.
    pub params: SaParams,
    /// The direction of the packets it protects, if known.
    pub direction: Option<Direction>,
}

/// Why a user SA's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UserSaError {
    /// Not 5 or 6 colon-separated parts.
    #[error("expected SPI:CIPHER:ENC_KEY:MAC:MAC_KEY[:c2s|s2c], got {0} parts")]
    Parts(usize),
    /// The SPI is not a 32-bit number (decimal or `0x` hex).
    #[error("SPI is not a 32-bit number")]
    Spi,
    /// An unknown cipher name.
    #[error("unknown cipher (AES-128-CBC or AES-256-CBC)")]
    Cipher,
    /// An unknown MAC name.
    #[error("unknown MAC (HMAC-SHA1-96, HMAC-MD5-96 or HMAC-SHA-256-128)")]
    Mac,
    /// A key is not hex or has the wrong length for its algorithm.
    #[error("{which} key must be {expected} hex bytes")]
    Key {
        /// `encryption` or `MAC`.
        which: &'static str,
        /// The length the algorithm needs.
        expected: usize,
    },
    /// The direction is neither `c2s` nor `s2c`.
    #[error("direction must be c2s or s2c")]
    Direction,
}

impl FromStr for UserSa {
    type Err = UserSaError;

    fn from_str(text: &str) -> Result<UserSa, UserSaError> {
        let parts: alloc::vec::Vec<&str> = text.trim().split(':').collect();
        if !(5..=6).contains(&parts.len()) {
            return Err(UserSaError::Parts(parts.len()));
        }
        let spi = parse_spi(parts[0]).ok_or(UserSaError::Spi)?;
        // Names first, so their errors come before the keys'.
        let cipher = Cipher::from_name(parts[1]).ok_or(UserSaError::Cipher)?;
        let integrity = Integrity::from_name(parts[3]).ok_or(UserSaError::Mac)?;
        let key = |text: &str, which, expected| {
            decode_key(text, expected).ok_or(UserSaError::Key { which, expected })
        };
        let enc = key(parts[2], "encryption", cipher.key_len())?;
        let mac = key(parts[4], "MAC", integrity.key_len())?;
        let params = SaParams::from_named_keys(spi, parts[1], parts[3], &enc, &mac).map_err(
            |e| match e {
                SaError::UnknownIntegrityName => UserSaError::Mac,
                SaError::KeyLength {
                    which, expected, ..
                } => UserSaError::Key { which, expected },
                _ => UserSaError::Cipher,
            },
        )?;
        let direction = match parts.get(5).map(|d| d.to_ascii_lowercase()) {
            None => None,
            Some(d) if d == "c2s" => Some(Direction::ClientToServer),
            Some(d) if d == "s2c" => Some(Direction::ServerToClient),
            Some(_) => return Err(UserSaError::Direction),
        };
        Ok(UserSa { params, direction })
    }
}

fn parse_spi(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// A key of exactly `len` bytes from hex digits (an optional `0x` prefix
/// allowed), wiped when dropped.
fn decode_key(text: &str, len: usize) -> Option<zeroize::Zeroizing<alloc::vec::Vec<u8>>> {
    let bytes = zeroize::Zeroizing::new(decode_hex(text.strip_prefix("0x").unwrap_or(text))?);
    (bytes.len() == len).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENC: &str = "cefaa35f4f58c43b51fdc479ed46852f";
    const MAC: &str = "4f5e7d643892e0d8ec6e6df7912a18c22253a2e7";

    #[test]
    fn parses_the_form_sa_events_print() {
        let text = alloc::format!("0x35381382:AES-128-CBC:{ENC}:HMAC-SHA1-96:{MAC}:c2s");
        let sa: UserSa = text.parse().unwrap();
        assert_eq!(sa.params.spi, 0x3538_1382);
        assert_eq!(sa.params.cipher, Cipher::Aes128Cbc);
        assert_eq!(sa.params.integrity, Integrity::HmacSha1_96);
        assert_eq!(sa.params.enc_key(), &hex_bytes(ENC)[..]);
        assert_eq!(sa.params.mac_key(), &hex_bytes(MAC)[..]);
        assert_eq!(sa.direction, Some(Direction::ClientToServer));
    }

    #[test]
    fn aes256_md5_decimal_spi_no_direction() {
        let enc = ENC.repeat(2);
        let mac = &MAC[..32];
        let sa: UserSa = alloc::format!("4096:aes-256-cbc:{enc}:hmac-md5-96:{mac}")
            .parse()
            .unwrap();
        assert_eq!(sa.params.spi, 4096);
        assert_eq!(sa.params.mac_key(), &hex_bytes(mac)[..]);
        assert_eq!(sa.direction, None);
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let ok = |spi: &str, c: &str, e: &str, m: &str, k: &str| {
            alloc::format!("{spi}:{c}:{e}:{m}:{k}").parse::<UserSa>()
        };
        assert_eq!("1:2".parse::<UserSa>(), Err(UserSaError::Parts(2)));
        assert_eq!(
            ok("0xZZ", "AES-128-CBC", ENC, "HMAC-SHA1-96", MAC),
            Err(UserSaError::Spi)
        );
        assert_eq!(
            ok("1", "DES", ENC, "HMAC-SHA1-96", MAC),
            Err(UserSaError::Cipher)
        );
        assert_eq!(
            ok("1", "AES-128-CBC", ENC, "SHA512", MAC),
            Err(UserSaError::Mac)
        );
        assert_eq!(
            ok("1", "AES-256-CBC", ENC, "HMAC-SHA1-96", MAC),
            Err(UserSaError::Key {
                which: "encryption",
                expected: 32
            })
        );
        assert_eq!(
            ok("1", "AES-128-CBC", ENC, "HMAC-SHA1-96", "zz"),
            Err(UserSaError::Key {
                which: "MAC",
                expected: 20
            })
        );
        let bad_dir = alloc::format!("1:AES-128-CBC:{ENC}:HMAC-SHA1-96:{MAC}:up");
        assert_eq!(bad_dir.parse::<UserSa>(), Err(UserSaError::Direction));
    }

    fn hex_bytes(text: &str) -> alloc::vec::Vec<u8> {
        decode_hex(text).unwrap()
    }
}
