//! Security associations: building (outbound) and opening (inbound) ESP
//! packets in place (spec/oncp.md §6.2, §7.2, §7.4–§7.5).

use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use subtle::ConstantTimeEq;

use super::algorithm::{BLOCK_LEN, Cipher, CipherKey, ICV_LEN, Integrity, MacKey};
use super::replay::{ReplayVerdict, ReplayWindow};
use super::{EspError, NextHeader};
use crate::rng::Random;
use crate::time::{Duration, Instant};

/// SPI (4) + sequence number (4) + IV (16): the bytes before the ciphertext.
pub const HEADER_LEN: usize = 8 + BLOCK_LEN;

/// Bytes of ciphertext for a payload of `payload_len` bytes: payload, pad
/// length and next header rounded up to whole blocks.
pub const fn ciphertext_len(payload_len: usize) -> usize {
    (payload_len + 2).div_ceil(BLOCK_LEN) * BLOCK_LEN
}

/// Whole ESP packet length for a payload of `payload_len` bytes.
pub const fn packet_len(payload_len: usize) -> usize {
    HEADER_LEN + ciphertext_len(payload_len) + ICV_LEN
}

/// Sequence numbers left before an outbound SA asks for a rekey.
const SEQ_REKEY_MARGIN: u64 = 1 << 16;

/// The parameters of one SA: SPI, algorithms and the 64-byte secrets
/// block (encryption key ‖ HMAC key ‖ filler, spec §6.2).
#[derive(Clone, PartialEq, Eq)]
pub struct SaParams {
    /// The SPI.
    pub spi: u32,
    /// Encryption algorithm.
    pub cipher: Cipher,
    /// Integrity algorithm.
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
    /// The encryption key part of the secrets.
    pub fn enc_key(&self) -> &[u8] {
        &self.secrets[..self.cipher.key_len()]
    }
    /// The HMAC key part of the secrets.
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

/// Limits after which an outbound SA asks to be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaLifetime {
    /// Bytes of payload (TLV 8/5), if limited.
    pub bytes: Option<u64>,
    /// Age (TLV 8/6), if limited.
    pub time: Option<Duration>,
}

/// The sending side of an SA.
#[derive(Clone)]
pub struct OutboundSa {
    spi: u32,
    cipher: CipherKey,
    mac: MacKey,
    seq: u64,
    bytes: u64,
    created: Instant,
    lifetime: SaLifetime,
}

impl core::fmt::Debug for OutboundSa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutboundSa")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl OutboundSa {
    /// An SA sending with `params`, created at `now`.
    pub fn new(params: &SaParams, now: Instant, lifetime: SaLifetime) -> Self {
        OutboundSa {
            spi: params.spi,
            cipher: CipherKey::new(params.cipher, params.enc_key()),
            mac: MacKey::new(params.integrity, params.mac_key()),
            seq: 0,
            bytes: 0,
            created: now,
            lifetime,
        }
    }

    /// The SPI.
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// The sequence number the next packet gets.
    pub fn next_seq(&self) -> u64 {
        self.seq
    }

    /// Whether the SA should be replaced: sequence numbers nearly used up,
    /// or a lifetime reached.
    pub fn needs_rekey(&self, now: Instant) -> bool {
        self.seq + SEQ_REKEY_MARGIN > u32::MAX as u64
            || self.lifetime.bytes.is_some_and(|b| self.bytes >= b)
            || self.lifetime.time.is_some_and(|t| now - self.created >= t)
    }

    /// When the SA's time lifetime runs out, if it has one.
    pub fn expires_at(&self) -> Option<Instant> {
        self.lifetime.time.map(|t| self.created + t)
    }

    /// Encrypts in place. `buf[HEADER_LEN..HEADER_LEN + payload_len]` holds
    /// the payload; `buf` must be at least [`packet_len`]`(payload_len)`
    /// long. Writes SPI, sequence, `iv`, padding, trailer and ICV and
    /// returns the packet length.
    pub fn encrypt_in_place(
        &mut self,
        buf: &mut [u8],
        payload_len: usize,
        next_header: NextHeader,
        iv: [u8; BLOCK_LEN],
    ) -> Result<usize, EspError> {
        let need = packet_len(payload_len);
        if buf.len() < need {
            return Err(EspError::BufferTooSmall {
                need,
                have: buf.len(),
            });
        }
        if self.seq > u32::MAX as u64 {
            return Err(EspError::SequenceExhausted);
        }
        let ct_len = ciphertext_len(payload_len);
        let pad = ct_len - payload_len - 2;
        let trailer = HEADER_LEN + payload_len;
        for (i, b) in buf[trailer..trailer + pad].iter_mut().enumerate() {
            *b = (i + 1) as u8;
        }
        buf[trailer + pad] = pad as u8;
        buf[trailer + pad + 1] = next_header.0;
        buf[..4].copy_from_slice(&self.spi.to_be_bytes());
        buf[4..8].copy_from_slice(&(self.seq as u32).to_be_bytes());
        buf[8..HEADER_LEN].copy_from_slice(&iv);
        self.cipher
            .encrypt(&iv, &mut buf[HEADER_LEN..HEADER_LEN + ct_len]);
        let icv = self.mac.icv(&buf[..HEADER_LEN + ct_len]);
        buf[HEADER_LEN + ct_len..need].copy_from_slice(&icv);
        self.seq += 1;
        self.bytes += payload_len as u64;
        Ok(need)
    }

    /// Encrypts `payload` into a new buffer, with a random IV.
    pub fn encrypt(
        &mut self,
        payload: &[u8],
        next_header: NextHeader,
        rng: &mut dyn Random,
    ) -> Result<Vec<u8>, EspError> {
        let mut buf = vec![0u8; packet_len(payload.len())];
        buf[HEADER_LEN..HEADER_LEN + payload.len()].copy_from_slice(payload);
        let mut iv = [0u8; BLOCK_LEN];
        rng.fill(&mut iv);
        self.encrypt_in_place(&mut buf, payload.len(), next_header, iv)?;
        Ok(buf)
    }

    /// A probe (payload one byte `00`, next header IPv4; 52 bytes).
    pub fn probe(&mut self, rng: &mut dyn Random) -> Result<Vec<u8>, EspError> {
        self.encrypt(&[0], NextHeader::IPV4, rng)
    }
}

/// A packet that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// Its sequence number.
    pub seq: u32,
    /// Its next-header value.
    pub next_header: NextHeader,
    /// Where the payload sits in the caller's buffer.
    pub payload: Range<usize>,
}

impl Decrypted {
    /// Whether this is a probe: the payload is the single byte `00`.
    pub fn is_probe(&self, buf: &[u8]) -> bool {
        buf.get(self.payload.clone()) == Some(&[0][..])
    }
}

/// Counters of packets an inbound SA refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboundStats {
    /// Packets accepted.
    pub accepted: u64,
    /// Packets with a bad ICV.
    pub bad_icv: u64,
    /// Replays refused.
    pub replayed: u64,
    /// Packets older than the window refused.
    pub too_old: u64,
    /// Packets with bad padding or next header.
    pub malformed: u64,
}

/// The receiving side of an SA.
#[derive(Clone)]
pub struct InboundSa {
    spi: u32,
    cipher: CipherKey,
    mac: MacKey,
    window: ReplayWindow,
    replay_protection: bool,
    stats: InboundStats,
}

impl core::fmt::Debug for InboundSa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InboundSa")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl InboundSa {
    /// An SA receiving with `params`; `replay_protection` per TLV 8/10.
    pub fn new(params: &SaParams, replay_protection: bool) -> Self {
        InboundSa {
            spi: params.spi,
            cipher: CipherKey::new(params.cipher, params.enc_key()),
            mac: MacKey::new(params.integrity, params.mac_key()),
            window: ReplayWindow::new(),
            replay_protection,
            stats: InboundStats::default(),
        }
    }

    /// The SPI.
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// The replay window.
    pub fn window(&self) -> &ReplayWindow {
        &self.window
    }

    /// Counters of accepted and refused packets.
    pub fn stats(&self) -> InboundStats {
        self.stats
    }

    /// Verifies and decrypts the datagram in `buf` in place. Checks, in
    /// order: length, SPI, ICV (constant time, before any decryption),
    /// replay window, then after decryption padding and next header; only
    /// a packet that passes all of them moves the replay window.
    pub fn decrypt_in_place(&mut self, buf: &mut [u8]) -> Result<Decrypted, EspError> {
        let r = self.open(buf);
        match &r {
            Ok(_) => self.stats.accepted += 1,
            Err(EspError::BadIcv) => self.stats.bad_icv += 1,
            Err(EspError::Replayed(_)) => self.stats.replayed += 1,
            Err(EspError::TooOld(_)) => self.stats.too_old += 1,
            Err(EspError::BadPadding | EspError::BadNextHeader(_)) => self.stats.malformed += 1,
            Err(_) => {}
        }
        r
    }

    fn open(&mut self, buf: &mut [u8]) -> Result<Decrypted, EspError> {
        if buf.len() <= HEADER_LEN + ICV_LEN {
            return Err(EspError::TooShort(buf.len()));
        }
        let ct_end = buf.len() - ICV_LEN;
        let ct_len = ct_end - HEADER_LEN;
        if !ct_len.is_multiple_of(BLOCK_LEN) {
            return Err(EspError::BadLength(ct_len));
        }
        let spi = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        if spi != self.spi {
            return Err(EspError::WrongSpi(spi));
        }
        let icv = self.mac.icv(&buf[..ct_end]);
        if !bool::from(icv.ct_eq(&buf[ct_end..])) {
            return Err(EspError::BadIcv);
        }
        let seq = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let verdict = self.window.check(seq);
        if self.replay_protection {
            match verdict {
                ReplayVerdict::Replayed => return Err(EspError::Replayed(seq)),
                ReplayVerdict::TooOld => return Err(EspError::TooOld(seq)),
                ReplayVerdict::Fresh => {}
            }
        }
        let mut iv = [0u8; BLOCK_LEN];
        iv.copy_from_slice(&buf[8..HEADER_LEN]);
        self.cipher.decrypt(&iv, &mut buf[HEADER_LEN..ct_end]);
        let next_header = NextHeader(buf[ct_end - 1]);
        let pad = buf[ct_end - 2] as usize;
        if !matches!(
            next_header,
            NextHeader::IPV4 | NextHeader::LZO_IPV4 | NextHeader::IPV6
        ) {
            return Err(EspError::BadNextHeader(next_header.0));
        }
        if pad + 2 > ct_len {
            return Err(EspError::BadPadding);
        }
        let payload_end = ct_end - 2 - pad;
        let padding_ok = buf[payload_end..ct_end - 2]
            .iter()
            .enumerate()
            .all(|(i, &b)| b as usize == i + 1);
        if !padding_ok {
            return Err(EspError::BadPadding);
        }
        if verdict == ReplayVerdict::Fresh {
            self.window.commit(seq);
        }
        Ok(Decrypted {
            seq,
            next_header,
            payload: HEADER_LEN..payload_end,
        })
    }
}
