//! Record decryption for one direction of a connection: TLS 1.3 AEAD,
//! TLS 1.2 AEAD (GCM with explicit nonce, ChaCha20-Poly1305 per RFC 7905)
//! and TLS 1.0–1.2 AES-CBC with HMAC (MAC-then-encrypt, or encrypt-then-MAC
//! per RFC 7366). Every record's authenticity is checked (AEAD tag, HMAC)
//! before plaintext is returned.

use alloc::boxed::Box;
use alloc::vec::Vec;

use aes::cipher::{Array, BlockModeDecrypt, InnerIvInit, consts::U16};
use aes::{Aes128, Aes256};
use aes_gcm::aead::{AeadCore, AeadInOut, Nonce, Tag};
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384};
use subtle::ConstantTimeEq;

use super::keys::{TrafficKeys, tls13_next_secret, tls13_traffic_keys};
use super::suite::{AeadAlg, HashAlg, MacAlg};

const TAG_LEN: usize = 16;
const AES_BLOCK: usize = 16;
const EXPLICIT_NONCE_LEN: usize = 8;
/// Most TLS 1.3 KeyUpdates a gap may hide that resynchronisation recovers.
pub(crate) const MAX_LOST_KEY_UPDATES: usize = 2;

/// Why a record could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Tag, MAC or padding check failed (wrong key, corruption).
    Auth,
    /// The record cannot be valid for this protection, whatever the key.
    Malformed(&'static str),
}

/// An AEAD with its key.
enum AeadKey {
    Aes128Gcm(Box<Aes128Gcm>),
    Aes256Gcm(Box<Aes256Gcm>),
    ChaCha20Poly1305(Box<ChaCha20Poly1305>),
}

fn open_with<A>(
    aead: &A,
    nonce: [u8; 12],
    aad: &[u8],
    data: &mut [u8],
    tag: &[u8],
) -> Result<(), OpenError>
where
    A: AeadInOut + AeadCore<NonceSize = aes_gcm::aead::consts::U12, TagSize = U16>,
{
    let nonce = Nonce::<A>::from(nonce);
    let tag = Tag::<A>::try_from(tag).map_err(|_| OpenError::Malformed("short tag"))?;
    aead.decrypt_inout_detached(&nonce, aad, data.into(), &tag)
        .map_err(|_| OpenError::Auth)
}

impl AeadKey {
    fn new(alg: AeadAlg, key: &[u8]) -> Option<AeadKey> {
        Some(match alg {
            AeadAlg::Aes128Gcm => {
                AeadKey::Aes128Gcm(Box::new(Aes128Gcm::new_from_slice(key).ok()?))
            }
            AeadAlg::Aes256Gcm => {
                AeadKey::Aes256Gcm(Box::new(Aes256Gcm::new_from_slice(key).ok()?))
            }
            AeadAlg::ChaCha20Poly1305 => {
                AeadKey::ChaCha20Poly1305(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?))
            }
        })
    }

    /// Decrypts `data` (ciphertext followed by the 16-byte tag) in place and
    /// drops the tag.
    fn open(&self, nonce: [u8; 12], aad: &[u8], data: &mut Vec<u8>) -> Result<(), OpenError> {
        let ct_len = data
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(OpenError::Malformed("shorter than the AEAD tag"))?;
        let (ct, tag) = data.split_at_mut(ct_len);
        match self {
            AeadKey::Aes128Gcm(a) => open_with(a.as_ref(), nonce, aad, ct, tag)?,
            AeadKey::Aes256Gcm(a) => open_with(a.as_ref(), nonce, aad, ct, tag)?,
            AeadKey::ChaCha20Poly1305(a) => open_with(a.as_ref(), nonce, aad, ct, tag)?,
        }
        data.truncate(ct_len);
        Ok(())
    }
}

fn xor_seq(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut nonce = *iv;
    nonce[4..]
        .iter_mut()
        .zip(seq.to_be_bytes())
        .for_each(|(n, s)| *n ^= s);
    nonce
}

/// TLS 1.2-style additional data / MAC header: seq, type, version, length.
fn seq_header(seq: u64, content_type: u8, version: u16, len: usize) -> Option<[u8; 13]> {
    let len = u16::try_from(len).ok()?;
    let mut h = [0; 13];
    h[..8].copy_from_slice(&seq.to_be_bytes());
    h[8] = content_type;
    h[9..11].copy_from_slice(&version.to_be_bytes());
    h[11..].copy_from_slice(&len.to_be_bytes());
    Some(h)
}

/// An AES key for CBC.
#[derive(Clone)]
enum AesKey {
    Aes128(Box<Aes128>),
    Aes256(Box<Aes256>),
}

impl AesKey {
    fn new(key: &[u8]) -> Option<AesKey> {
        Some(match key.len() {
            16 => AesKey::Aes128(Box::new(Aes128::new_from_slice(key).ok()?)),
            32 => AesKey::Aes256(Box::new(Aes256::new_from_slice(key).ok()?)),
            _ => return None,
        })
    }

    /// CBC-decrypts whole blocks of `data` in place.
    fn cbc_decrypt(&self, iv: &[u8; AES_BLOCK], data: &mut [u8]) {
        let (blocks, _) = Array::<u8, U16>::slice_as_chunks_mut(data);
        let iv = Array::from(*iv);
        match self {
            AesKey::Aes128(k) => {
                cbc::Decryptor::<Aes128>::inner_iv_init((**k).clone(), &iv).decrypt_blocks(blocks)
            }
            AesKey::Aes256(k) => {
                cbc::Decryptor::<Aes256>::inner_iv_init((**k).clone(), &iv).decrypt_blocks(blocks)
            }
        }
    }
}

/// HMAC over the given parts.
fn hmac(alg: MacAlg, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn run<M: Mac + hmac::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match <M as hmac::KeyInit>::new_from_slice(key) {
            Ok(mut mac) => {
                parts.iter().for_each(|p| mac.update(p));
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    match alg {
        MacAlg::Sha1 => run::<Hmac<Sha1>>(key, parts),
        MacAlg::Sha256 => run::<Hmac<Sha256>>(key, parts),
        MacAlg::Sha384 => run::<Hmac<Sha384>>(key, parts),
    }
}

/// Constant-time comparison of a received MAC with the computed one.
fn mac_matches(expected: &[u8], received: &[u8]) -> bool {
    expected.len() == received.len() && bool::from(expected.ct_eq(received))
}

/// The keys of one direction of a TLS ≤ 1.2 CBC suite.
pub(crate) struct CbcKeys {
    pub(crate) enc_key: Vec<u8>,
    pub(crate) mac_key: Vec<u8>,
    pub(crate) mac: MacAlg,
    /// The key-block IV: used only by TLS 1.0 (chained IVs).
    pub(crate) iv: [u8; AES_BLOCK],
    /// TLS 1.0: the IV is the last ciphertext block of the previous record.
    pub(crate) chained_iv: bool,
    pub(crate) encrypt_then_mac: bool,
}

enum Kind {
    Tls13 {
        aead: AeadKey,
        alg: AeadAlg,
        iv: [u8; 12],
        hash: HashAlg,
        secret: Vec<u8>,
    },
    Tls12Aead {
        aead: AeadKey,
        /// 4-byte salt (GCM) or 12-byte IV (ChaCha20-Poly1305).
        iv: Vec<u8>,
    },
    Cbc {
        key: AesKey,
        mac_key: Vec<u8>,
        mac: MacAlg,
        /// Next record's IV for TLS 1.0; `None` for explicit IVs.
        chained_iv: Option<[u8; AES_BLOCK]>,
        encrypt_then_mac: bool,
    },
}

/// Decryption state of one direction: keys and sequence number.
pub(crate) struct RecordProtection {
    kind: Kind,
    seq: u64,
}

/// A decrypted record.
pub(crate) struct Opened {
    /// The real content type (TLS 1.3 inner type, or the record's type).
    pub(crate) content_type: u8,
}

impl RecordProtection {
    /// TLS 1.3 protection from a traffic secret; `None` if the secret does
    /// not fit the suite's hash.
    pub(crate) fn tls13(alg: AeadAlg, hash: HashAlg, secret: &[u8]) -> Option<RecordProtection> {
        let TrafficKeys { key, iv } = tls13_traffic_keys(hash, secret, alg.key_len())?;
        Some(RecordProtection {
            kind: Kind::Tls13 {
                aead: AeadKey::new(alg, &key)?,
                alg,
                iv,
                hash,
                secret: secret.to_vec(),
            },
            seq: 0,
        })
    }

    /// TLS 1.2 AEAD protection: `iv` is the 4-byte GCM salt or the 12-byte
    /// ChaCha20-Poly1305 IV from the key block.
    pub(crate) fn tls12_aead(alg: AeadAlg, key: &[u8], iv: &[u8]) -> Option<RecordProtection> {
        Some(RecordProtection {
            kind: Kind::Tls12Aead {
                aead: AeadKey::new(alg, key)?,
                iv: iv.to_vec(),
            },
            seq: 0,
        })
    }

    /// TLS 1.0–1.2 AES-CBC + HMAC protection.
    pub(crate) fn cbc(keys: CbcKeys) -> Option<RecordProtection> {
        Some(RecordProtection {
            kind: Kind::Cbc {
                key: AesKey::new(&keys.enc_key)?,
                mac_key: keys.mac_key,
                mac: keys.mac,
                chained_iv: keys.chained_iv.then_some(keys.iv),
                encrypt_then_mac: keys.encrypt_then_mac,
            },
            seq: 0,
        })
    }

    /// TLS 1.3 KeyUpdate: moves to the next application traffic secret.
    /// Returns false for non-TLS 1.3 protection.
    pub(crate) fn key_update(&mut self) -> bool {
        match self.updated() {
            Some(p) => {
                *self = p;
                true
            }
            None => false,
        }
    }

    /// Steps the sequence number back over a record that was skipped rather
    /// than consumed (TLS 1.3 0-RTT data the server rejected).
    pub(crate) fn rewind(&mut self) {
        self.seq = self.seq.wrapping_sub(1);
    }

    /// Opens the first record after a gap in the stream, when up to
    /// `max_lost` records may have been lost: tries the sequence numbers
    /// from the expected one on (for TLS 1.2 GCM, first the one its explicit
    /// nonce suggests, as OpenSSL, GnuTLS and rustls send the sequence number
    /// there). With `key_updates`, TLS 1.3 keys up to
    /// [`MAX_LOST_KEY_UPDATES`] generations later are tried too, in case the
    /// gap swallowed KeyUpdate messages. Returns the plaintext's type and how
    /// many records were lost (`None` when keys changed in the gap). On
    /// failure nothing changes.
    pub(crate) fn open_after_gap(
        &mut self,
        content_type: u8,
        version: u16,
        payload: &mut Vec<u8>,
        max_lost: u64,
        key_updates: bool,
    ) -> Result<(Opened, Option<u64>), OpenError> {
        if let Kind::Cbc {
            chained_iv: Some(_),
            ..
        } = self.kind
        {
            return Err(OpenError::Malformed(
                "TLS 1.0 CBC cannot resume after a gap: the chained IV was lost",
            ));
        }
        let base = self.seq;
        if let Some(opened) = self.try_seqs(content_type, version, payload, base, max_lost)? {
            return Ok((opened, Some(self.seq - 1 - base)));
        }
        if !key_updates {
            return Err(OpenError::Auth);
        }
        let mut later = self.updated();
        for _ in 0..MAX_LOST_KEY_UPDATES {
            let Some(mut candidate) = later else {
                break;
            };
            if let Some(opened) = candidate.try_seqs(content_type, version, payload, 0, max_lost)? {
                *self = candidate;
                return Ok((opened, None));
            }
            later = candidate.updated();
        }
        Err(OpenError::Auth)
    }

    /// Tries sequence numbers `base..=base + max_lost` (GCM explicit nonce
    /// hint first). `Ok(None)` when none authenticates; the sequence number
    /// is then left at `base`.
    fn try_seqs(
        &mut self,
        content_type: u8,
        version: u16,
        payload: &mut Vec<u8>,
        base: u64,
        max_lost: u64,
    ) -> Result<Option<Opened>, OpenError> {
        let last = base.saturating_add(max_lost);
        let hint = match &self.kind {
            Kind::Tls12Aead { iv, .. } if iv.len() == 4 && payload.len() >= EXPLICIT_NONCE_LEN => {
                let mut n = [0; EXPLICIT_NONCE_LEN];
                n.copy_from_slice(&payload[..EXPLICIT_NONCE_LEN]);
                Some(u64::from_be_bytes(n)).filter(|s| (base..=last).contains(s))
            }
            _ => None,
        };
        let candidates = hint
            .into_iter()
            .chain((base..=last).filter(|s| Some(*s) != hint));
        for seq in candidates {
            let mut trial = payload.clone();
            self.seq = seq;
            match self.open(content_type, version, &mut trial) {
                Ok(opened) => {
                    *payload = trial;
                    return Ok(Some(opened));
                }
                Err(OpenError::Auth) => {}
                Err(e) => {
                    self.seq = base;
                    return Err(e);
                }
            }
        }
        self.seq = base;
        Ok(None)
    }

    /// The TLS 1.3 protection after one KeyUpdate (sequence number 0).
    fn updated(&self) -> Option<RecordProtection> {
        let Kind::Tls13 {
            alg, hash, secret, ..
        } = &self.kind
        else {
            return None;
        };
        RecordProtection::tls13(*alg, *hash, &tls13_next_secret(*hash, secret)?)
    }

    /// Sequence number of the next record.
    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }

    /// Decrypts `payload` of a record with header (`content_type`,
    /// `version`) in place, leaving the plaintext. The sequence number
    /// advances whatever the outcome, so one bad record does not break the
    /// following ones.
    pub(crate) fn open(
        &mut self,
        content_type: u8,
        version: u16,
        payload: &mut Vec<u8>,
    ) -> Result<Opened, OpenError> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        match &mut self.kind {
            Kind::Tls13 { aead, iv, .. } => {
                let len =
                    u16::try_from(payload.len()).map_err(|_| OpenError::Malformed("too long"))?;
                let mut aad = [content_type, 0, 0, 0, 0];
                aad[1..3].copy_from_slice(&version.to_be_bytes());
                aad[3..].copy_from_slice(&len.to_be_bytes());
                aead.open(xor_seq(iv, seq), &aad, payload)?;
                // TLSInnerPlaintext: content, real type, zero padding.
                let end = payload
                    .iter()
                    .rposition(|&b| b != 0)
                    .ok_or(OpenError::Malformed(
                        "TLS 1.3 inner plaintext has no content type",
                    ))?;
                let inner = payload[end];
                payload.truncate(end);
                Ok(Opened {
                    content_type: inner,
                })
            }
            Kind::Tls12Aead { aead, iv } => {
                let nonce = if iv.len() == 4 {
                    if payload.len() < EXPLICIT_NONCE_LEN + TAG_LEN {
                        return Err(OpenError::Malformed("shorter than explicit nonce and tag"));
                    }
                    let mut n = [0; 12];
                    n[..4].copy_from_slice(iv);
                    n[4..].copy_from_slice(&payload[..EXPLICIT_NONCE_LEN]);
                    payload.drain(..EXPLICIT_NONCE_LEN);
                    n
                } else {
                    let iv: [u8; 12] = iv
                        .as_slice()
                        .try_into()
                        .map_err(|_| OpenError::Malformed("bad IV"))?;
                    xor_seq(&iv, seq)
                };
                let plain_len = payload
                    .len()
                    .checked_sub(TAG_LEN)
                    .ok_or(OpenError::Malformed("shorter than the AEAD tag"))?;
                let aad = seq_header(seq, content_type, version, plain_len)
                    .ok_or(OpenError::Malformed("too long"))?;
                aead.open(nonce, &aad, payload)?;
                Ok(Opened { content_type })
            }
            Kind::Cbc {
                key,
                mac_key,
                mac,
                chained_iv,
                encrypt_then_mac,
            } => {
                open_cbc(
                    key,
                    mac_key,
                    *mac,
                    chained_iv,
                    *encrypt_then_mac,
                    seq,
                    content_type,
                    version,
                    payload,
                )?;
                Ok(Opened { content_type })
            }
        }
    }
}

/// AES-CBC + HMAC record: MAC-then-encrypt (`IV | E(data | MAC | padding)`)
/// or encrypt-then-MAC (`IV | E(data | padding) | MAC`). The IV is absent
/// from the record in TLS 1.0 (chained).
#[allow(clippy::too_many_arguments)]
fn open_cbc(
    key: &AesKey,
    mac_key: &[u8],
    mac: MacAlg,
    chained_iv: &mut Option<[u8; AES_BLOCK]>,
    encrypt_then_mac: bool,
    seq: u64,
    content_type: u8,
    version: u16,
    payload: &mut Vec<u8>,
) -> Result<(), OpenError> {
    let mac_len = mac.len();
    if encrypt_then_mac {
        let ct_len = payload
            .len()
            .checked_sub(mac_len)
            .ok_or(OpenError::Malformed("shorter than the MAC"))?;
        let header = seq_header(seq, content_type, version, ct_len)
            .ok_or(OpenError::Malformed("too long"))?;
        let expected = hmac(mac, mac_key, &[&header, &payload[..ct_len]]);
        if !mac_matches(&expected, &payload[ct_len..]) {
            return Err(OpenError::Auth);
        }
        payload.truncate(ct_len);
    }
    let iv_len = if chained_iv.is_some() { 0 } else { AES_BLOCK };
    let ct_len = payload.len() - iv_len.min(payload.len());
    if payload.len() < iv_len || ct_len == 0 || !ct_len.is_multiple_of(AES_BLOCK) {
        return Err(OpenError::Malformed(
            "CBC ciphertext is not a whole number of blocks",
        ));
    }
    let iv: [u8; AES_BLOCK] = match chained_iv {
        Some(iv) => *iv,
        None => payload[..AES_BLOCK]
            .try_into()
            .map_err(|_| OpenError::Malformed("no IV"))?,
    };
    if let Some(next) = chained_iv {
        next.copy_from_slice(&payload[payload.len() - AES_BLOCK..]);
    }
    payload.drain(..iv_len);
    key.cbc_decrypt(&iv, payload);
    // Padding: pad_len bytes of value pad_len, then pad_len itself.
    let pad_len = usize::from(*payload.last().ok_or(OpenError::Auth)?);
    let min_len = pad_len + 1 + if encrypt_then_mac { 0 } else { mac_len };
    if payload.len() < min_len {
        return Err(OpenError::Auth);
    }
    let pad_start = payload.len() - pad_len - 1;
    let pad_ok = payload[pad_start..]
        .iter()
        .fold(0u8, |acc, &b| acc | (b ^ pad_len as u8))
        == 0;
    if !pad_ok {
        return Err(OpenError::Auth);
    }
    payload.truncate(pad_start);
    if !encrypt_then_mac {
        let data_len = payload.len() - mac_len;
        let header = seq_header(seq, content_type, version, data_len)
            .ok_or(OpenError::Malformed("too long"))?;
        let expected = hmac(mac, mac_key, &[&header, &payload[..data_len]]);
        if !mac_matches(&expected, &payload[data_len..]) {
            return Err(OpenError::Auth);
        }
        payload.truncate(data_len);
    }
    Ok(())
}
