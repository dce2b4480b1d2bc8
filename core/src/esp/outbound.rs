//! The sending side of an SA (spec/oncp.md §7.4): sequence numbers from 0,
//! padding `01 02 …`, AES-CBC with the caller's IV, truncated HMAC; and
//! the accounting that says when the SA should be replaced.

use alloc::vec::Vec;

use super::algorithm::{BLOCK_LEN, CipherKey, Integrity, MacKey};
use super::layout::{HEADER_LEN, ciphertext_len, packet_len_with};
use super::params::{SaLifetime, SaParams};
use super::{EspError, NextHeader};
use crate::rng::Random;
use crate::time::Instant;

/// Sequence numbers left when an outbound SA starts asking for a rekey, so
/// the new keys can arrive before the counter runs out.
pub const SEQ_REKEY_MARGIN: u64 = 1 << 16;

/// Why an outbound SA should be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RekeyReason {
    /// Fewer than [`SEQ_REKEY_MARGIN`] sequence numbers are left (or none).
    SequenceNumbers,
    /// The byte lifetime (TLV 8/5) is used up.
    Bytes,
    /// The time lifetime (TLV 8/6) has passed.
    Time,
}

/// The sending side of an SA.
#[derive(Clone)]
pub struct OutboundSa {
    spi: u32,
    cipher: CipherKey,
    mac: MacKey,
    integrity: Integrity,
    /// Next sequence number; 2^32 once exhausted.
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
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl OutboundSa {
    /// An SA sending with `params`, created at `now`; its first packet gets
    /// sequence number 0, as OpenConnect's do.
    pub fn new(params: &SaParams, now: Instant, lifetime: SaLifetime) -> Self {
        OutboundSa {
            spi: params.spi,
            cipher: CipherKey::new(params.cipher, params.enc_key()),
            mac: MacKey::new(params.integrity, params.mac_key()),
            integrity: params.integrity,
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

    /// Whole packet length for a payload of `payload_len` bytes on this SA
    /// (its ICV length included).
    pub fn packet_len(&self, payload_len: usize) -> usize {
        packet_len_with(self.integrity, payload_len)
    }

    /// The sequence number the next packet gets (2^32: none left).
    pub fn next_seq(&self) -> u64 {
        self.seq
    }

    /// Payload bytes sent so far.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes
    }

    /// Why the SA should be replaced now, if it should: sequence numbers
    /// nearly used up, or a lifetime reached.
    pub fn rekey_reason(&self, now: Instant) -> Option<RekeyReason> {
        if self.seq + SEQ_REKEY_MARGIN > 1 << 32 {
            Some(RekeyReason::SequenceNumbers)
        } else if self.lifetime.bytes.is_some_and(|b| self.bytes >= b) {
            Some(RekeyReason::Bytes)
        } else if self.lifetime.time.is_some_and(|t| now - self.created >= t) {
            Some(RekeyReason::Time)
        } else {
            None
        }
    }

    /// Whether the SA should be replaced (see [`Self::rekey_reason`]).
    pub fn needs_rekey(&self, now: Instant) -> bool {
        self.rekey_reason(now).is_some()
    }

    /// When the SA's time lifetime runs out, if it has one.
    pub fn expires_at(&self) -> Option<Instant> {
        self.lifetime.time.map(|t| self.created + t)
    }

    /// Encrypts in place. `buf[HEADER_LEN..HEADER_LEN + payload_len]` holds
    /// the payload; `buf` must be at least [`Self::packet_len`]`(payload_len)`
    /// long (headroom [`HEADER_LEN`], tailroom up to
    /// [`super::MAX_TRAILER_LEN`]). Writes SPI, sequence, `iv`, padding,
    /// trailer and ICV and returns the packet length. Nothing is counted
    /// if it fails.
    pub fn encrypt_in_place(
        &mut self,
        buf: &mut [u8],
        payload_len: usize,
        next_header: NextHeader,
        iv: [u8; BLOCK_LEN],
    ) -> Result<usize, EspError> {
        let need = self.check(buf.len(), payload_len)?;
        if self.seq > u32::MAX as u64 {
            return Err(EspError::SequenceExhausted);
        }
        // A batch of one: AES-CBC and HMAC-SHA1 stitched (see batch.rs).
        let mut one = [super::seal_slot::SealSlot::new(
            buf,
            payload_len,
            next_header,
            iv,
        )];
        self.seal_group(&mut one);
        Ok(need)
    }

    /// The packet length for `payload_len` bytes in a buffer of `buf_len`,
    /// or why it cannot be built there.
    pub(super) fn check(&self, buf_len: usize, payload_len: usize) -> Result<usize, EspError> {
        if payload_len == 0 {
            // The receiver's pad-length rule (spec §7.5 step 7) refuses it.
            return Err(EspError::EmptyPayload);
        }
        if payload_len > buf_len {
            return Err(EspError::BufferTooSmall {
                need: self.packet_len(buf_len),
                have: buf_len,
            });
        }
        let need = self.packet_len(payload_len);
        if buf_len < need {
            return Err(EspError::BufferTooSmall {
                need,
                have: buf_len,
            });
        }
        Ok(need)
    }

    /// Writes SPI, `seq`, `iv`, padding, pad length and next header around
    /// the payload of a [`Self::check`]ed buffer; returns where the
    /// ciphertext (still plaintext) ends.
    pub(super) fn frame(
        &self,
        buf: &mut [u8],
        payload_len: usize,
        next_header: NextHeader,
        iv: &[u8; BLOCK_LEN],
        seq: u32,
    ) -> usize {
        let ct_len = ciphertext_len(payload_len);
        let ct_end = HEADER_LEN + ct_len;
        let pad = ct_len - payload_len - 2;
        let trailer = HEADER_LEN + payload_len;
        for (i, b) in buf[trailer..trailer + pad].iter_mut().enumerate() {
            *b = (i + 1) as u8;
        }
        buf[ct_end - 2] = pad as u8;
        buf[ct_end - 1] = next_header.0;
        buf[..4].copy_from_slice(&self.spi.to_be_bytes());
        buf[4..8].copy_from_slice(&seq.to_be_bytes());
        buf[8..HEADER_LEN].copy_from_slice(iv);
        ct_end
    }

    /// Sets the next sequence number (tests of exhaustion).
    #[cfg(test)]
    pub(super) fn set_next_seq_for_test(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// The keys and counters a batch works with.
    pub(super) fn parts(&mut self) -> (&CipherKey, &MacKey, &mut u64, &mut u64) {
        (&self.cipher, &self.mac, &mut self.seq, &mut self.bytes)
    }

    /// [`Self::encrypt_in_place`] with a fresh IV from `rng`.
    pub fn encrypt_in_place_with_rng(
        &mut self,
        buf: &mut [u8],
        payload_len: usize,
        next_header: NextHeader,
        rng: &mut dyn Random,
    ) -> Result<usize, EspError> {
        let mut iv = [0u8; BLOCK_LEN];
        rng.fill(&mut iv);
        self.encrypt_in_place(buf, payload_len, next_header, iv)
    }

    /// Encrypts `payload` into `out` (cleared first), with a fresh IV from
    /// `rng`. Reusing `out` across packets avoids any allocation once its
    /// capacity suffices.
    pub fn encrypt_into(
        &mut self,
        payload: &[u8],
        next_header: NextHeader,
        rng: &mut dyn Random,
        out: &mut Vec<u8>,
    ) -> Result<(), EspError> {
        out.clear();
        out.resize(self.packet_len(payload.len()), 0);
        out[HEADER_LEN..HEADER_LEN + payload.len()].copy_from_slice(payload);
        let r = self.encrypt_in_place_with_rng(out, payload.len(), next_header, rng);
        if r.is_err() {
            out.clear();
        }
        r.map(|_| ())
    }

    /// Encrypts `payload` into a new buffer, with a fresh IV from `rng`.
    pub fn encrypt(
        &mut self,
        payload: &[u8],
        next_header: NextHeader,
        rng: &mut dyn Random,
    ) -> Result<Vec<u8>, EspError> {
        let mut out = Vec::new();
        self.encrypt_into(payload, next_header, rng, &mut out)?;
        Ok(out)
    }

    /// A probe (spec §7.6): payload one byte `00`, next header IPv4; 52
    /// bytes. Use [`Self::probe_with`] for IPv6 (next header 41).
    pub fn probe(&mut self, rng: &mut dyn Random) -> Result<Vec<u8>, EspError> {
        self.probe_with(NextHeader::IPV4, rng)
    }

    /// A probe with the given next header (41 when the gateway's address
    /// is IPv6, spec §7.4).
    pub fn probe_with(
        &mut self,
        next_header: NextHeader,
        rng: &mut dyn Random,
    ) -> Result<Vec<u8>, EspError> {
        self.encrypt(&[0], next_header, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esp::{Cipher, Integrity};
    use crate::rng::TestRng;
    use crate::time::Duration;

    fn sa(lifetime: SaLifetime) -> OutboundSa {
        let p = SaParams::new(0x1000, Cipher::Aes128Cbc, Integrity::HmacSha1_96, &[3; 64]);
        OutboundSa::new(&p, Instant(1_000_000), lifetime)
    }

    #[test]
    fn rekey_reasons() {
        let mut o = sa(SaLifetime {
            bytes: Some(100),
            time: Some(Duration::from_secs(10)),
        });
        let mut rng = TestRng::new(1);
        assert_eq!(o.rekey_reason(Instant(1_000_000)), None);
        assert_eq!(o.expires_at(), Some(Instant(11_000_000)));
        assert_eq!(o.rekey_reason(Instant(10_999_999)), None);
        assert_eq!(o.rekey_reason(Instant(11_000_000)), Some(RekeyReason::Time));
        o.encrypt(&[0x45; 99], NextHeader::IPV4, &mut rng).unwrap();
        assert_eq!(o.rekey_reason(Instant(0)), None);
        o.encrypt(&[0x45; 1], NextHeader::IPV4, &mut rng).unwrap();
        assert_eq!(o.bytes_sent(), 100);
        assert_eq!(o.rekey_reason(Instant(0)), Some(RekeyReason::Bytes));
    }

    #[test]
    fn sequence_exhaustion() {
        let mut o = sa(SaLifetime::default());
        let mut rng = TestRng::new(2);
        o.seq = (1 << 32) - SEQ_REKEY_MARGIN;
        assert!(!o.needs_rekey(Instant(0)));
        o.encrypt(&[1], NextHeader::IPV4, &mut rng).unwrap();
        assert_eq!(
            o.rekey_reason(Instant(0)),
            Some(RekeyReason::SequenceNumbers)
        );
        o.seq = u32::MAX as u64;
        let last = o.encrypt(&[1], NextHeader::IPV4, &mut rng).unwrap();
        assert_eq!(&last[4..8], &[0xff; 4]);
        assert_eq!(o.next_seq(), 1 << 32);
        assert_eq!(
            o.encrypt(&[1], NextHeader::IPV4, &mut rng),
            Err(EspError::SequenceExhausted)
        );
        // A failed call changes nothing.
        assert_eq!((o.next_seq(), o.bytes_sent()), (1 << 32, 2));
    }

    #[test]
    fn bad_requests_are_typed_errors() {
        let mut o = sa(SaLifetime::default());
        let mut buf = [0u8; 64];
        assert_eq!(
            o.encrypt_in_place(&mut buf, 0, NextHeader::IPV4, [0; 16]),
            Err(EspError::EmptyPayload)
        );
        assert_eq!(
            o.encrypt_in_place(&mut buf, 30, NextHeader::IPV4, [0; 16]),
            Err(EspError::BufferTooSmall { need: 68, have: 64 })
        );
        assert!(matches!(
            o.encrypt_in_place(&mut buf, usize::MAX, NextHeader::IPV4, [0; 16]),
            Err(EspError::BufferTooSmall { have: 64, .. })
        ));
        assert_eq!(o.next_seq(), 0);
        // Exactly enough room works, and the reused Vec keeps its capacity.
        assert_eq!(
            o.encrypt_in_place(&mut [0u8; 68], 30, NextHeader::IPV4, [0; 16]),
            Ok(68)
        );
        let mut out = Vec::with_capacity(2048);
        let mut rng = TestRng::new(3);
        o.encrypt_into(&[0x45; 1400], NextHeader::IPV4, &mut rng, &mut out)
            .unwrap();
        assert_eq!(out.len(), 1444);
        assert_eq!(out.capacity(), 2048);
    }
}
