//! The receiving side of an SA (spec/oncp.md §7.5, §7.7): length, SPI,
//! replay pre-check, ICV in constant time before any decryption, then
//! decryption, next header and padding; only a packet that passes all of
//! them moves the replay window.

use core::ops::Range;

use subtle::ConstantTimeEq;

use super::algorithm::{BLOCK_LEN, CipherKey, MacKey};
use super::layout::HEADER_LEN;
use super::params::SaParams;
use super::replay::{ReplayVerdict, ReplayWindow};
use super::{EspError, NextHeader};

/// A packet that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// Its sequence number.
    pub seq: u32,
    /// Its next-header value (4, 5 or 41).
    pub next_header: NextHeader,
    /// Where the payload sits in the caller's buffer.
    pub payload: Range<usize>,
}

impl Decrypted {
    /// Whether this is a probe or probe reply: the payload is the single
    /// byte `00`, whatever the next header (spec §7.6).
    pub fn is_probe(&self, buf: &[u8]) -> bool {
        buf.get(self.payload.clone()) == Some(&[0][..])
    }
}

/// Counters of packets an inbound SA accepted and refused.
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
    /// Authenticated packets with bad padding or next header.
    pub malformed: u64,
    /// Datagrams of a bad length or another SA's SPI.
    pub invalid: u64,
}

/// The most blocks `InboundSa::decrypt` gathers for one decryption call:
/// a head's first 7 blocks (the decoder asks for 3) and the last block.
const GATHERED_BLOCKS: usize = 8;

/// The part of a payload that [`InboundSa::decrypt_head_in_place`] left
/// encrypted: give it to [`InboundSa::decrypt_rest`] to decrypt it too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedRest {
    /// Where it sits in the caller's buffer (whole blocks, between the
    /// decrypted head and the decrypted last block).
    pub range: Range<usize>,
    /// The ciphertext block before it (its CBC IV), which decrypting the
    /// head overwrote.
    iv: [u8; BLOCK_LEN],
}

/// What the checks before the ICV found out about a datagram.
#[derive(Debug, Clone, Copy)]
pub(super) struct Prechecked {
    /// Its sequence number.
    pub(super) seq: u32,
    /// Where its ciphertext ends (its ICV starts).
    pub(super) ct_end: usize,
    /// The replay window's verdict (refusals are errors already).
    pub(super) verdict: ReplayVerdict,
}

/// The receiving side of an SA.
#[derive(Clone)]
pub struct InboundSa {
    spi: u32,
    cipher: CipherKey,
    pub(super) mac: MacKey,
    window: ReplayWindow,
    replay_protection: bool,
    stats: InboundStats,
}

impl core::fmt::Debug for InboundSa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InboundSa")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("window", &self.window)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl InboundSa {
    /// An SA receiving with `params`; `replay_protection` per TLV 8/10
    /// (off: replays and too-old packets are accepted, spec §7.7).
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

    /// Whether replays are refused.
    pub fn replay_protection(&self) -> bool {
        self.replay_protection
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
    /// order: length and block alignment, SPI, the replay window (a
    /// pre-check that changes nothing), the ICV (constant time, before any
    /// decryption), then after decryption the next header and padding
    /// (spec §7.5 steps 6–7). Only a packet that passes all of them moves
    /// the replay window; a refused one leaves the SA as it was (and
    /// `buf` untouched unless the ICV was good).
    pub fn decrypt_in_place(&mut self, buf: &mut [u8]) -> Result<Decrypted, EspError> {
        let r = self.open(buf, None);
        self.count(r).map(|(d, _)| d)
    }

    /// As [`decrypt_in_place`](Self::decrypt_in_place), with the same
    /// checks and outcome, but decrypting only the first `head` bytes of
    /// the payload (rounded up to whole blocks) and the last block (or the
    /// last blocks the padding spans): for a reader that looks only at the
    /// headers of the packet inside (a trace decoder). The rest of the
    /// payload, if any, stays ciphertext; it is returned as an
    /// [`EncryptedRest`] for [`decrypt_rest`](Self::decrypt_rest). A short
    /// payload is decrypted whole (no rest).
    pub fn decrypt_head_in_place(
        &mut self,
        buf: &mut [u8],
        head: usize,
    ) -> Result<(Decrypted, Option<EncryptedRest>), EspError> {
        let r = self.open(buf, Some(head));
        self.count(r)
    }

    /// Decrypts the part of the payload that
    /// [`decrypt_head_in_place`](Self::decrypt_head_in_place) left
    /// encrypted in `buf` (the same buffer, unchanged since); the payload
    /// is then as [`decrypt_in_place`](Self::decrypt_in_place) leaves it.
    /// A `rest` that does not fit `buf` (another buffer) changes nothing.
    pub fn decrypt_rest(&self, buf: &mut [u8], rest: &EncryptedRest) {
        if let Some(blocks) = buf.get_mut(rest.range.clone())
            && blocks.len().is_multiple_of(BLOCK_LEN)
        {
            self.cipher.decrypt(&rest.iv, blocks);
        }
    }

    /// Counts the outcome of `open` in the stats.
    pub(super) fn count<T>(&mut self, r: Result<T, EspError>) -> Result<T, EspError> {
        let counter = match &r {
            Ok(_) => &mut self.stats.accepted,
            Err(EspError::BadIcv) => &mut self.stats.bad_icv,
            Err(EspError::Replayed(_)) => &mut self.stats.replayed,
            Err(EspError::TooOld(_)) => &mut self.stats.too_old,
            Err(EspError::BadPadding | EspError::BadNextHeader(_)) => &mut self.stats.malformed,
            Err(_) => &mut self.stats.invalid,
        };
        *counter += 1;
        r
    }

    /// Checks and decrypts; only the first `head` payload bytes and the
    /// trailer when `head` is given (see `decrypt_head_in_place`).
    fn open(
        &mut self,
        buf: &mut [u8],
        head: Option<usize>,
    ) -> Result<(Decrypted, Option<EncryptedRest>), EspError> {
        let checked = self.precheck(buf)?;
        let icv_len = self.mac.icv_len();
        let ct_end = checked.ct_end;
        let icv = self.mac.icv(&buf[..ct_end]);
        if !bool::from(icv[..icv_len].ct_eq(&buf[ct_end..])) {
            return Err(EspError::BadIcv);
        }
        self.open_authentic(buf, checked, head)
    }

    /// The checks before the ICV (spec §7.5 steps 1–3): length and block
    /// alignment, SPI, and the replay pre-check, which changes nothing.
    pub(super) fn precheck(&self, buf: &[u8]) -> Result<Prechecked, EspError> {
        // Step 1 of §7.5: 36 bytes or fewer carry no ciphertext at all;
        // with whole blocks a valid packet is at least MIN_PACKET_LEN.
        let icv_len = self.mac.icv_len();
        if buf.len() <= HEADER_LEN + icv_len {
            return Err(EspError::TooShort(buf.len()));
        }
        let ct_end = buf.len() - icv_len;
        let ct_len = ct_end - HEADER_LEN;
        if !ct_len.is_multiple_of(BLOCK_LEN) {
            return Err(EspError::BadLength(ct_len));
        }
        let header = super::header::EspPacket::new_unchecked(buf);
        let (spi, seq) = (header.spi(), header.seq());
        if spi != self.spi {
            return Err(EspError::WrongSpi(spi));
        }
        // The replay pre-check costs nothing and spares the HMAC of a
        // replayed packet; nothing changes until the packet proved good.
        let verdict = self.window_verdict(seq)?;
        Ok(Prechecked {
            seq,
            ct_end,
            verdict,
        })
    }

    /// The replay window's verdict on `seq`; an error if it refuses it.
    pub(super) fn window_verdict(&self, seq: u32) -> Result<ReplayVerdict, EspError> {
        let verdict = self.window.check(seq);
        if self.replay_protection {
            match verdict {
                ReplayVerdict::Replayed => return Err(EspError::Replayed(seq)),
                ReplayVerdict::TooOld => return Err(EspError::TooOld(seq)),
                ReplayVerdict::Fresh => {}
            }
        }
        Ok(verdict)
    }

    /// The steps after a good ICV: decryption, next header and padding,
    /// then the replay window moves.
    pub(super) fn open_authentic(
        &mut self,
        buf: &mut [u8],
        checked: Prechecked,
        head: Option<usize>,
    ) -> Result<(Decrypted, Option<EncryptedRest>), EspError> {
        let Prechecked {
            seq,
            ct_end,
            verdict,
        } = checked;
        let ct_len = ct_end - HEADER_LEN;
        let rest = self.decrypt(buf, ct_end, head);
        let next_header = NextHeader(buf[ct_end - 1]);
        if !matches!(
            next_header,
            NextHeader::IPV4 | NextHeader::LZO_IPV4 | NextHeader::IPV6
        ) {
            return Err(EspError::BadNextHeader(next_header.0));
        }
        // Pad length < decrypted length − 2, so at least one payload byte.
        let pad = buf[ct_end - 2] as usize;
        if pad + 2 >= ct_len {
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
        let decrypted = Decrypted {
            seq,
            next_header,
            payload: HEADER_LEN..payload_end,
        };
        Ok((decrypted, rest))
    }

    /// Decrypts the ciphertext `buf[HEADER_LEN..ct_end]` (whole blocks),
    /// all of it, or with `head` its first `head` bytes (whole blocks) and
    /// its trailer when at least one block lies between them; returns what
    /// stayed encrypted.
    fn decrypt(&self, buf: &mut [u8], ct_end: usize, head: Option<usize>) -> Option<EncryptedRest> {
        let mut iv = [0u8; BLOCK_LEN];
        iv.copy_from_slice(&buf[8..HEADER_LEN]);
        let head_end = head.map(|h| HEADER_LEN + h.div_ceil(BLOCK_LEN).max(1) * BLOCK_LEN);
        let last = ct_end - BLOCK_LEN;
        let Some(head_end) = head_end.filter(|&e| e < last) else {
            self.cipher.decrypt(&iv, &mut buf[HEADER_LEN..ct_end]);
            return None;
        };
        // The head's first blocks (all of a short head) and the last one
        // (pad length and next header) decrypted together, each then XORed
        // with the ciphertext block before it (the IV for the first); the
        // blocks of a longer head after those are CBC-decrypted on their own.
        let head_blocks = (head_end - HEADER_LEN) / BLOCK_LEN;
        let gathered = head_blocks.min(GATHERED_BLOCKS - 1);
        let gathered_end = HEADER_LEN + gathered * BLOCK_LEN;
        let mut blocks = [aes::Block::default(); GATHERED_BLOCKS];
        for (i, b) in blocks[..gathered].iter_mut().enumerate() {
            b.copy_from_slice(&buf[HEADER_LEN + i * BLOCK_LEN..][..BLOCK_LEN]);
        }
        blocks[gathered].copy_from_slice(&buf[last..ct_end]);
        self.cipher.decrypt_blocks(&mut blocks[..=gathered]);
        let mut rest_iv = [0u8; BLOCK_LEN];
        rest_iv.copy_from_slice(&buf[head_end - BLOCK_LEN..head_end]);
        if gathered_end < head_end {
            let mut chain = [0u8; BLOCK_LEN];
            chain.copy_from_slice(&buf[gathered_end - BLOCK_LEN..gathered_end]);
            self.cipher
                .decrypt(&chain, &mut buf[gathered_end..head_end]);
        }
        // From the end, so that each chain block is still ciphertext when
        // it is used (the last block's lies at or after `head_end`).
        for (i, block) in blocks[..=gathered].iter().enumerate().rev() {
            let start = if i == gathered {
                last
            } else {
                HEADER_LEN + i * BLOCK_LEN
            };
            let (before, this) = buf.split_at_mut(start);
            let chain = &before[start - BLOCK_LEN..];
            for ((p, d), c) in this[..BLOCK_LEN].iter_mut().zip(block).zip(chain) {
                *p = d ^ c;
            }
        }
        if usize::from(buf[ct_end - 2]) + 2 > BLOCK_LEN {
            // The padding reaches into the blocks between: decrypt them too.
            self.cipher.decrypt(&rest_iv, &mut buf[head_end..last]);
            return None;
        }
        Some(EncryptedRest {
            range: head_end..last,
            iv: rest_iv,
        })
    }
}
