//! The algorithms oNCP's ESP uses (spec/oncp.md §7.3) and their keyed
//! states. Hardware is used when the CPU has it, detected at run time
//! without any crate feature: `aes` 0.9 picks AES-NI (x86) or the ARMv8
//! crypto extensions, `sha1` 0.11 picks SHA-NI or the ARMv8 SHA extension;
//! `md-5` is portable code only. HMAC states are keyed once per SA (inner
//! and outer pads hashed) and cloned per packet; HMAC-SHA1 runs on the
//! raw block function (`hmac_sha1.rs`) so a batch can interleave packets.

use alloc::boxed::Box;

use aes::cipher::{
    Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, InnerIvInit, KeyInit,
    consts::U16,
};
use aes::{Aes128, Aes256};
use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::Sha256;

use super::EspError;
use super::hmac_sha1::HmacSha1Key;

/// AES block size, also the IV length.
pub const BLOCK_LEN: usize = 16;
/// Length of the truncated ICV for both HMAC-96 algorithms.
pub const ICV_LEN: usize = 12;
/// Length of the longest ICV: HMAC-SHA-256-128 (Pulse only, RFC 4868).
pub const MAX_ICV_LEN: usize = 16;

/// ESP encryption algorithm code (oNCP TLV 8/1). Open: unknown codes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CipherCode(pub u8);

impl CipherCode {
    /// AES-128-CBC, 16-byte key.
    pub const AES128_CBC: CipherCode = CipherCode(2);
    /// AES-256-CBC, 32-byte key.
    pub const AES256_CBC: CipherCode = CipherCode(5);
}

/// ESP authentication algorithm code (oNCP TLV 8/2). Open: unknown codes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacCode(pub u8);

impl MacCode {
    /// HMAC-MD5-96, 16-byte key.
    pub const HMAC_MD5_96: MacCode = MacCode(1);
    /// HMAC-SHA1-96, 20-byte key.
    pub const HMAC_SHA1_96: MacCode = MacCode(2);
    /// HMAC-SHA-256-128: Pulse protocol only, not usable with oNCP.
    pub const HMAC_SHA256_128: MacCode = MacCode(3);
}

/// The ESP encryption algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    /// AES-128-CBC (code 2), 16-byte key.
    Aes128Cbc,
    /// AES-256-CBC (code 5), 32-byte key.
    Aes256Cbc,
}

impl Cipher {
    /// The cipher for TLV 8/1 `code`.
    pub fn from_code(code: CipherCode) -> Result<Cipher, EspError> {
        match code {
            CipherCode::AES128_CBC => Ok(Cipher::Aes128Cbc),
            CipherCode::AES256_CBC => Ok(Cipher::Aes256Cbc),
            CipherCode(c) => Err(EspError::UnsupportedCipher(c)),
        }
    }
    /// Its TLV 8/1 code.
    pub const fn code(self) -> CipherCode {
        match self {
            Cipher::Aes128Cbc => CipherCode::AES128_CBC,
            Cipher::Aes256Cbc => CipherCode::AES256_CBC,
        }
    }
    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Cipher::Aes128Cbc => 16,
            Cipher::Aes256Cbc => 32,
        }
    }
    /// Every cipher, in the order of the name table.
    pub const ALL: [Cipher; 2] = [Cipher::Aes128Cbc, Cipher::Aes256Cbc];

    /// Its display name (the one every output uses), e.g. `AES-128-CBC`.
    pub const fn name(self) -> &'static str {
        self.names().0
    }
    /// Its short name, as command-line flags and settings take it
    /// (`aes128`).
    pub const fn short_name(self) -> &'static str {
        self.names().1
    }
    const fn names(self) -> (&'static str, &'static str) {
        match self {
            Cipher::Aes128Cbc => ("AES-128-CBC", "aes128"),
            Cipher::Aes256Cbc => ("AES-256-CBC", "aes256"),
        }
    }
    /// The cipher named `text`: its display or short name, without regard
    /// to case, dashes or underscores (`AES-128-CBC`, `aes128-cbc` and
    /// `aes128` are one cipher).
    pub fn from_name(text: &str) -> Option<Cipher> {
        Cipher::ALL
            .into_iter()
            .find(|c| same_name(text, c.name()) || same_name(text, c.short_name()))
    }
}

/// The ESP integrity algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Integrity {
    /// HMAC-MD5-96 (code 1), 16-byte key.
    HmacMd5_96,
    /// HMAC-SHA1-96 (code 2), 20-byte key.
    HmacSha1_96,
    /// HMAC-SHA-256-128 (code 3, Pulse only, spec/pulse.md §6.4), 32-byte
    /// key, 16-byte ICV.
    HmacSha256_128,
}

impl Integrity {
    /// The algorithm for TLV 8/2 `code`. Code 3 (HMAC-SHA-256-128) exists
    /// only in the Pulse protocol and is refused here, as OpenConnect's
    /// oNCP parser gives it no key length.
    pub fn from_code(code: MacCode) -> Result<Integrity, EspError> {
        match code {
            MacCode::HMAC_MD5_96 => Ok(Integrity::HmacMd5_96),
            MacCode::HMAC_SHA1_96 => Ok(Integrity::HmacSha1_96),
            MacCode(c) => Err(EspError::UnsupportedIntegrity(c)),
        }
    }
    /// The algorithm for a Pulse attribute 0x4011 `code`: the oNCP codes
    /// plus 3, HMAC-SHA-256-128 (spec/pulse.md §5.6).
    pub fn from_pulse_code(code: MacCode) -> Result<Integrity, EspError> {
        match code {
            MacCode::HMAC_SHA256_128 => Ok(Integrity::HmacSha256_128),
            c => Self::from_code(c),
        }
    }
    /// Its TLV 8/2 (or Pulse 0x4011) code.
    pub const fn code(self) -> MacCode {
        match self {
            Integrity::HmacMd5_96 => MacCode::HMAC_MD5_96,
            Integrity::HmacSha1_96 => MacCode::HMAC_SHA1_96,
            Integrity::HmacSha256_128 => MacCode::HMAC_SHA256_128,
        }
    }
    /// HMAC key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Integrity::HmacMd5_96 => 16,
            Integrity::HmacSha1_96 => 20,
            Integrity::HmacSha256_128 => 32,
        }
    }
    /// Length of the truncated ICV in bytes: 12, or 16 for SHA-256.
    pub const fn icv_len(self) -> usize {
        match self {
            Integrity::HmacMd5_96 | Integrity::HmacSha1_96 => ICV_LEN,
            Integrity::HmacSha256_128 => MAX_ICV_LEN,
        }
    }
    /// Every integrity algorithm, in the order of the name table.
    pub const ALL: [Integrity; 3] = [
        Integrity::HmacSha1_96,
        Integrity::HmacMd5_96,
        Integrity::HmacSha256_128,
    ];
    /// The algorithms oNCP can announce (TLV 8/2; SHA-256 is Pulse only).
    pub const ONCP: [Integrity; 2] = [Integrity::HmacSha1_96, Integrity::HmacMd5_96];

    /// Its display name (the one every output uses), e.g. `HMAC-SHA1-96`.
    pub const fn name(self) -> &'static str {
        self.names().0
    }
    /// Its short name, as command-line flags and settings take it (`sha1`).
    pub const fn short_name(self) -> &'static str {
        self.names().1
    }
    const fn names(self) -> (&'static str, &'static str) {
        match self {
            Integrity::HmacMd5_96 => ("HMAC-MD5-96", "md5"),
            Integrity::HmacSha1_96 => ("HMAC-SHA1-96", "sha1"),
            Integrity::HmacSha256_128 => ("HMAC-SHA-256-128", "sha256"),
        }
    }
    /// The algorithm named `text`: its display or short name, without
    /// regard to case, dashes or underscores (`HMAC-SHA1-96`,
    /// `hmac-sha1-96` and `sha1` are one algorithm).
    pub fn from_name(text: &str) -> Option<Integrity> {
        Integrity::ALL
            .into_iter()
            .find(|m| same_name(text, m.name()) || same_name(text, m.short_name()))
    }
}

/// Whether two algorithm names are the same, ignoring case, `-` and `_`.
fn same_name(a: &str, b: &str) -> bool {
    fn key(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes()
            .filter(|b| !matches!(b, b'-' | b'_'))
            .map(|b| b.to_ascii_lowercase())
    }
    key(a).eq(key(b))
}

/// A keyed AES block cipher.
#[derive(Clone)]
pub(crate) enum CipherKey {
    Aes128(Box<Aes128>),
    Aes256(Box<Aes256>),
}

impl CipherKey {
    pub(crate) fn new(cipher: Cipher, key: &[u8]) -> CipherKey {
        match cipher {
            Cipher::Aes128Cbc => CipherKey::Aes128(Box::new(
                Aes128::new_from_slice(&key[..16]).expect("16-byte key"),
            )),
            Cipher::Aes256Cbc => CipherKey::Aes256(Box::new(
                Aes256::new_from_slice(&key[..32]).expect("32-byte key"),
            )),
        }
    }

    /// Encrypts independent `blocks` (ECB) at once, as many in flight as
    /// the backend pipelines (8 with AES-NI): one block of each packet of
    /// a batch, so CBC's chain within a packet no longer stalls the unit.
    #[inline(always)]
    pub(crate) fn encrypt_blocks(&self, blocks: &mut [aes::Block]) {
        match self {
            CipherKey::Aes128(k) => k.encrypt_blocks(blocks),
            CipherKey::Aes256(k) => k.encrypt_blocks(blocks),
        }
    }

    /// Decrypts independent `blocks` (ECB) at once; the caller XORs each
    /// with the ciphertext block before it. The decoder decrypts a
    /// packet's first blocks and its last one this way, in one call (one
    /// pass of the software backend's four-block bitslice instead of
    /// three).
    pub(crate) fn decrypt_blocks(&self, blocks: &mut [aes::Block]) {
        match self {
            CipherKey::Aes128(k) => k.decrypt_blocks(blocks),
            CipherKey::Aes256(k) => k.decrypt_blocks(blocks),
        }
    }

    /// CBC-decrypts `data` (a multiple of 16 bytes) in place.
    pub(crate) fn decrypt(&self, iv: &[u8; BLOCK_LEN], data: &mut [u8]) {
        let (blocks, rest) = Array::<u8, U16>::slice_as_chunks_mut(data);
        debug_assert!(rest.is_empty());
        let iv = Array::from(*iv);
        match self {
            CipherKey::Aes128(k) => {
                cbc::Decryptor::<Aes128>::inner_iv_init((**k).clone(), &iv).decrypt_blocks(blocks)
            }
            CipherKey::Aes256(k) => {
                cbc::Decryptor::<Aes256>::inner_iv_init((**k).clone(), &iv).decrypt_blocks(blocks)
            }
        }
    }
}

/// A keyed HMAC, cloned for each packet.
#[derive(Clone)]
pub(crate) enum MacKey {
    Md5(Box<Hmac<Md5>>),
    Sha1(Box<HmacSha1Key>),
    Sha256(Box<Hmac<Sha256>>),
}

impl MacKey {
    pub(crate) fn new(integrity: Integrity, key: &[u8]) -> MacKey {
        match integrity {
            Integrity::HmacMd5_96 => MacKey::Md5(Box::new(
                <Hmac<Md5> as KeyInit>::new_from_slice(&key[..16]).expect("any HMAC key length"),
            )),
            Integrity::HmacSha1_96 => MacKey::Sha1(Box::new(HmacSha1Key::new(&key[..20]))),
            Integrity::HmacSha256_128 => MacKey::Sha256(Box::new(
                <Hmac<Sha256> as KeyInit>::new_from_slice(&key[..32]).expect("any HMAC key length"),
            )),
        }
    }

    /// The HMAC-SHA1 key, if that is the algorithm (a batch interleaves
    /// its packets' hashing).
    pub(crate) fn sha1(&self) -> Option<&HmacSha1Key> {
        match self {
            MacKey::Sha1(k) => Some(k),
            _ => None,
        }
    }

    /// Length of the truncated ICV this key produces.
    pub(crate) fn icv_len(&self) -> usize {
        match self {
            MacKey::Md5(_) | MacKey::Sha1(_) => ICV_LEN,
            MacKey::Sha256(_) => MAX_ICV_LEN,
        }
    }

    /// The truncated ICV of `data` in the first [`Self::icv_len`] bytes
    /// (the rest zero).
    pub(crate) fn icv(&self, data: &[u8]) -> [u8; MAX_ICV_LEN] {
        let mut out = [0u8; MAX_ICV_LEN];
        match self {
            MacKey::Md5(m) => {
                let mut m = (**m).clone();
                m.update(data);
                out[..ICV_LEN].copy_from_slice(&m.finalize().into_bytes()[..ICV_LEN]);
            }
            MacKey::Sha1(k) => out[..ICV_LEN].copy_from_slice(&k.mac(data)[..ICV_LEN]),
            MacKey::Sha256(m) => {
                let mut m = (**m).clone();
                m.update(data);
                out.copy_from_slice(&m.finalize().into_bytes()[..MAX_ICV_LEN]);
            }
        }
        out
    }
}
