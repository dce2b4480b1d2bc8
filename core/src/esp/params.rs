//! The parameters of a security association (spec/oncp.md §6): SPI,
//! algorithms and the 64-byte secrets block, plus outbound lifetimes.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::algorithm::{Cipher, Integrity};
use crate::rng::Random;
use crate::time::Duration;

/// The parameters of one SA: SPI, algorithms and the 64-byte secrets
/// block (encryption key ‖ HMAC key ‖ filler, spec §6.2). The secrets are
/// zeroed when it is dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SaParams {
    /// The SPI.
    pub spi: u32,
    /// Encryption algorithm.
    #[zeroize(skip)]
    pub cipher: Cipher,
    /// Integrity algorithm.
    #[zeroize(skip)]
    pub integrity: Integrity,
    /// The secrets block.
    pub secrets: [u8; 64],
}

impl core::fmt::Debug for SaParams {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Keys are never printed.
        f.debug_struct("SaParams")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("cipher", &self.cipher)
            .field("integrity", &self.integrity)
            .finish_non_exhaustive()
    }
}

impl SaParams {
    /// Parameters from an SPI, the algorithms and a secrets block as
    /// TLVs 7/1, 8/1, 8/2 and 7/2 (or a KMP 302) carry them.
    pub fn new(spi: u32, cipher: Cipher, integrity: Integrity, secrets: &[u8; 64]) -> Self {
        SaParams {
            spi,
            cipher,
            integrity,
            secrets: *secrets,
        }
    }

    /// The encryption key part of the secrets.
    pub fn enc_key(&self) -> &[u8] {
        &self.secrets[..self.cipher.key_len()]
    }

    /// The HMAC key part of the secrets: it starts right after the
    /// encryption key, so where depends on the cipher (spec §6.2).
    pub fn mac_key(&self) -> &[u8] {
        let k = self.cipher.key_len();
        &self.secrets[k..k + self.integrity.key_len()]
    }

    /// Fresh random parameters: SPI (avoiding the reserved 0–255), keys,
    /// zero filler, as a client or gateway generates for its inbound SA.
    pub fn generate(cipher: Cipher, integrity: Integrity, rng: &mut dyn Random) -> SaParams {
        let mut spi = 0;
        while spi < 256 {
            spi = rng.next_u32();
        }
        let mut secrets = [0u8; 64];
        rng.fill(&mut secrets[..cipher.key_len() + integrity.key_len()]);
        SaParams {
            spi,
            cipher,
            integrity,
            secrets,
        }
    }
}

/// Limits after which an outbound SA asks to be replaced (TLVs 8/5 and
/// 8/6; OpenConnect stores them without acting on them, spec §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaLifetime {
    /// Bytes of payload (TLV 8/5), if limited.
    pub bytes: Option<u64>,
    /// Age (TLV 8/6), if limited.
    pub time: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_split_follows_the_cipher() {
        let mut s = [0u8; 64];
        for (i, b) in s.iter_mut().enumerate() {
            *b = i as u8;
        }
        // The four rows of the table in spec §6.2.
        for (c, m, enc, mac) in [
            (Cipher::Aes128Cbc, Integrity::HmacMd5_96, 0..16, 16..32),
            (Cipher::Aes128Cbc, Integrity::HmacSha1_96, 0..16, 16..36),
            (Cipher::Aes256Cbc, Integrity::HmacMd5_96, 0..32, 32..48),
            (Cipher::Aes256Cbc, Integrity::HmacSha1_96, 0..32, 32..52),
        ] {
            let p = SaParams::new(7, c, m, &s);
            assert_eq!(p.enc_key(), &s[enc]);
            assert_eq!(p.mac_key(), &s[mac]);
        }
        let dbg = alloc::format!(
            "{:?}",
            SaParams::new(
                0x1234,
                Cipher::Aes128Cbc,
                Integrity::HmacSha1_96,
                &[0xab; 64]
            )
        );
        assert!(dbg.contains("0x00001234") && !dbg.contains("ab, ") && !dbg.contains("171"));
    }
}
