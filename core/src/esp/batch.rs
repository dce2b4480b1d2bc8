//! Sealing many packets at once (Intel's multi-buffer idea). CBC
//! encryption is a chain within a packet, so one packet leaves the AES
//! unit waiting on each block's latency; a batch encrypts block `c` of
//! every packet in one call ([`CipherKey::encrypt_blocks`], 8 blocks in
//! flight with AES-NI). HMAC-SHA1 is a chain too: each packet's 64-byte
//! blocks are hashed as soon as their ciphertext exists, one packet after
//! another, so the SHA unit and the AES unit each work on independent
//! chains. The bytes are exactly those of sealing one packet at a time.

use super::EspError;
use super::algorithm::{BLOCK_LEN, ICV_LEN};
use super::hmac_lanes::{HmacLanes, LANES_MIN};
use super::hmac_sha1::{SHA1_BLOCK, SHA1_LEN, absorb};
use super::layout::HEADER_LEN;
use super::outbound::OutboundSa;
use super::seal_slot::SealSlot;
use super::sha1_lanes::{self, SHA1_LANES, Sha1LanesFn};

/// Packets worked on together: two AES-NI pipelines' worth, and 16
/// packets of 1.5 KB stay within the L1 data cache.
pub const BATCH_LANES: usize = 16;

impl OutboundSa {
    /// Seals every slot in place, in order (consecutive sequence numbers),
    /// byte for byte as [`Self::encrypt_in_place`] one at a time would,
    /// but several times faster per packet on hardware AES. Checks every
    /// slot first: if one cannot be sealed (empty payload, buffer too
    /// small) or fewer sequence numbers are left than slots, nothing is
    /// sealed or counted and the error says why. Allocates nothing.
    pub fn seal_batch<B: AsMut<[u8]>>(
        &mut self,
        slots: &mut [SealSlot<B>],
    ) -> Result<(), EspError> {
        self.seal_batch_using(slots, sha1_lanes::installed())
    }

    /// [`Self::seal_batch`] hashing with `lanes` (none: one packet at a
    /// time) instead of the installed block function.
    fn seal_batch_using<B: AsMut<[u8]>>(
        &mut self,
        slots: &mut [SealSlot<B>],
        lanes: Option<Sha1LanesFn>,
    ) -> Result<(), EspError> {
        for s in slots.iter_mut() {
            self.check(s.buf.as_mut().len(), s.payload_len)?;
        }
        if self.next_seq() + slots.len() as u64 > 1 << 32 {
            return Err(EspError::SequenceExhausted);
        }
        for group in slots.chunks_mut(BATCH_LANES) {
            self.seal_group_using(group, lanes);
        }
        Ok(())
    }

    /// Seals up to [`BATCH_LANES`] checked slots.
    pub(super) fn seal_group<B: AsMut<[u8]>>(&mut self, group: &mut [SealSlot<B>]) {
        self.seal_group_using(group, sha1_lanes::installed());
    }

    /// [`Self::seal_group`] hashing with `lanes` if given.
    fn seal_group_using<B: AsMut<[u8]>>(
        &mut self,
        group: &mut [SealSlot<B>],
        lanes: Option<Sha1LanesFn>,
    ) {
        let n = group.len();
        let mut bufs: [&mut [u8]; BATCH_LANES] = Default::default();
        // Ciphertext blocks per packet.
        let mut cols = [0usize; BATCH_LANES];
        for (i, s) in group.iter_mut().enumerate() {
            let len = self.packet_len(s.payload_len);
            s.packet_len = len;
            let (seq, payload_len, next_header, iv) =
                (self.next_seq() as u32, s.payload_len, s.next_header, s.iv);
            let buf = &mut s.buf.as_mut()[..len];
            let ct_end = self.frame(buf, payload_len, next_header, &iv, seq);
            cols[i] = (ct_end - HEADER_LEN) / BLOCK_LEN;
            bufs[i] = buf;
            let (_, _, next, bytes) = self.parts();
            *next += 1;
            *bytes += payload_len as u64;
        }
        let (cipher, mac, _, _) = self.parts();
        let sha1 = mac.sha1();
        // 16 HMACs per block function call when the shell installed one
        // (AVX-512) and the batch is large enough to pay for it.
        let mut lanes = sha1
            .filter(|_| n >= LANES_MIN)
            .zip(lanes)
            .map(|(k, f)| HmacLanes::new(k, f, n));
        // Whole SHA-1 blocks of the shortest packet: how far the lanes
        // can hash while the ciphertext is still being written.
        let common = (0..n)
            .map(|i| (HEADER_LEN + cols[i] * BLOCK_LEN) / SHA1_BLOCK)
            .min()
            .unwrap_or(0);
        let mut states = [[0u32; 5]; BATCH_LANES];
        if let Some(k) = sha1 {
            for s in &mut states[..n] {
                *s = k.start();
            }
        }
        let mut blocks = [aes::Block::default(); BATCH_LANES];
        let mut lane = [0usize; BATCH_LANES];
        // SHA-1 blocks hashed so far per packet.
        let mut hashed = [0usize; BATCH_LANES];
        let most = cols[..n].iter().copied().max().unwrap_or(0);
        for c in 0..most {
            let at = HEADER_LEN + c * BLOCK_LEN;
            let mut k = 0;
            for i in 0..n {
                if cols[i] > c {
                    // CBC: this plaintext block XOR the previous ciphertext
                    // block (the IV, written just before block 0).
                    let b = &bufs[i][at - BLOCK_LEN..at + BLOCK_LEN];
                    let x = u128::from_ne_bytes(b[..BLOCK_LEN].try_into().expect("16"))
                        ^ u128::from_ne_bytes(b[BLOCK_LEN..].try_into().expect("16"));
                    blocks[k] = x.to_ne_bytes().into();
                    lane[k] = i;
                    k += 1;
                }
            }
            cipher.encrypt_blocks(&mut blocks[..k]);
            for (b, &i) in blocks[..k].iter().zip(&lane[..k]) {
                bufs[i][at..at + BLOCK_LEN].copy_from_slice(b);
            }
            // Stitching: a quarter of the packets per column hash the
            // 64-byte blocks whose ciphertext now exists, so SHA-1 work
            // (throughput-bound) sits between AES work (latency-bound
            // for few packets) and the core overlaps the two.
            if let Some(lanes) = &mut lanes {
                let ready = ((at + BLOCK_LEN) / SHA1_BLOCK).min(common);
                while lanes.hashed() < ready {
                    let h = lanes.hashed();
                    lanes.step(|i| &bufs[i].as_chunks::<SHA1_BLOCK>().0[h]);
                }
            } else if sha1.is_some() {
                let ready = (at + BLOCK_LEN) / SHA1_BLOCK;
                for i in (c % 4..n).step_by(4) {
                    let full = (HEADER_LEN + cols[i] * BLOCK_LEN) / SHA1_BLOCK;
                    let upto = ready.min(full);
                    for h in hashed[i]..upto {
                        absorb(
                            &mut states[i],
                            &bufs[i][h * SHA1_BLOCK..(h + 1) * SHA1_BLOCK],
                        );
                    }
                    hashed[i] = hashed[i].max(upto);
                }
            }
        }
        if let Some(lanes) = lanes {
            let mut icvs = [[0u8; SHA1_LEN]; SHA1_LANES];
            lanes.finish(|i| &bufs[i][..HEADER_LEN + cols[i] * BLOCK_LEN], &mut icvs);
            for i in 0..n {
                let ct_end = HEADER_LEN + cols[i] * BLOCK_LEN;
                bufs[i][ct_end..ct_end + ICV_LEN].copy_from_slice(&icvs[i][..ICV_LEN]);
            }
            return;
        }
        for i in 0..n {
            let ct_end = HEADER_LEN + cols[i] * BLOCK_LEN;
            let buf = &mut *bufs[i];
            match sha1 {
                Some(k) => {
                    let whole = ct_end / SHA1_BLOCK * SHA1_BLOCK;
                    for h in hashed[i]..whole / SHA1_BLOCK {
                        absorb(&mut states[i], &buf[h * SHA1_BLOCK..(h + 1) * SHA1_BLOCK]);
                    }
                    let icv = k.end(states[i], &buf[whole..ct_end], ct_end);
                    buf[ct_end..ct_end + ICV_LEN].copy_from_slice(&icv[..ICV_LEN]);
                }
                None => {
                    let icv = mac.icv(&buf[..ct_end]);
                    let icv_len = mac.icv_len();
                    buf[ct_end..ct_end + icv_len].copy_from_slice(&icv[..icv_len]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esp::{
        Cipher, InboundSa, Integrity, MAX_TRAILER_LEN, NextHeader, SaLifetime, SaParams,
    };
    use crate::time::Instant;
    use alloc::vec;
    use alloc::vec::Vec;

    fn sa(cipher: Cipher, integrity: Integrity) -> OutboundSa {
        let p = SaParams::new(0x1234_5678, cipher, integrity, &[9; 64]);
        OutboundSa::new(&p, Instant(0), SaLifetime::default())
    }

    /// Payloads of many lengths (block boundaries, SHA-1 boundaries).
    fn payloads(count: usize) -> Vec<Vec<u8>> {
        (0..count)
            .map(|i| {
                let len = [1, 13, 14, 15, 16, 40, 41, 100, 1400, 1420][i % 10] + i / 10;
                (0..len).map(|j| (j * 7 + i) as u8).collect()
            })
            .collect()
    }

    fn iv(i: usize) -> [u8; BLOCK_LEN] {
        [i as u8 ^ 0x5a; BLOCK_LEN]
    }

    /// A buffer with room for the sealed packet, `p` at the payload offset.
    fn buffer_for(p: &[u8]) -> Vec<u8> {
        let mut buf = vec![0u8; HEADER_LEN + p.len() + MAX_TRAILER_LEN];
        buf[HEADER_LEN..HEADER_LEN + p.len()].copy_from_slice(p);
        buf
    }

    #[test]
    fn batch_is_byte_identical_to_one_at_a_time() {
        for lanes in [None, Some(sha1_lanes::sha1_compress_lanes as Sha1LanesFn)] {
            for cipher in Cipher::ALL {
                for integrity in Integrity::ALL {
                    for count in [1, 2, 7, 10, 16, 17, 26, 40] {
                        let mut one = sa(cipher, integrity);
                        let mut many = one.clone();
                        let ps = payloads(count);
                        let mut slots: Vec<SealSlot<Vec<u8>>> = ps
                            .iter()
                            .enumerate()
                            .map(|(i, p)| {
                                SealSlot::new(
                                    buffer_for(p),
                                    p.len(),
                                    NextHeader(4 + (i % 2) as u8),
                                    iv(i),
                                )
                            })
                            .collect();
                        many.seal_batch_using(&mut slots, lanes).unwrap();
                        for (i, (p, s)) in ps.iter().zip(&slots).enumerate() {
                            let mut buf = buffer_for(p);
                            let n = one
                                .encrypt_in_place(&mut buf, p.len(), s.next_header, iv(i))
                                .unwrap();
                            assert_eq!(n, s.packet_len);
                            assert_eq!(
                                buf[..n],
                                s.buf[..n],
                                "{cipher:?} {integrity:?} packet {i} of {count}, lanes {}",
                                lanes.is_some()
                            );
                        }
                        assert_eq!(one.next_seq(), many.next_seq());
                        assert_eq!(one.bytes_sent(), many.bytes_sent());
                    }
                }
            }
        }
    }

    #[test]
    fn batch_packets_open() {
        let p = SaParams::new(7, Cipher::Aes256Cbc, Integrity::HmacSha1_96, &[4; 64]);
        let mut out = OutboundSa::new(&p, Instant(0), SaLifetime::default());
        let mut inb = InboundSa::new(&p, true);
        let ps = payloads(20);
        let mut slots: Vec<SealSlot<Vec<u8>>> = ps
            .iter()
            .enumerate()
            .map(|(i, p)| SealSlot::new(buffer_for(p), p.len(), NextHeader::IPV4, iv(i)))
            .collect();
        out.seal_batch(&mut slots).unwrap();
        for (i, (p, s)) in ps.iter().zip(&mut slots).enumerate() {
            let d = inb.decrypt_in_place(&mut s.buf[..s.packet_len]).unwrap();
            assert_eq!(d.seq, i as u32);
            assert_eq!(&s.buf[d.payload], &p[..]);
        }
    }

    #[test]
    fn a_bad_slot_seals_nothing() {
        let mut o = sa(Cipher::Aes128Cbc, Integrity::HmacSha1_96);
        let mut a = [0u8; 100];
        let mut b = [0u8; 60];
        let mut slots = [
            SealSlot::new(&mut a[..], 20, NextHeader::IPV4, [0; 16]),
            SealSlot::new(&mut b[..], 30, NextHeader::IPV4, [0; 16]),
        ];
        assert_eq!(
            o.seal_batch(&mut slots),
            Err(EspError::BufferTooSmall { need: 68, have: 60 })
        );
        slots[1].payload_len = 0;
        assert_eq!(o.seal_batch(&mut slots), Err(EspError::EmptyPayload));
        assert_eq!((o.next_seq(), o.bytes_sent()), (0, 0));
        assert_eq!(a, [0; 100]);
        // Sequence numbers for only one of two packets: none sealed.
        let mut c = [0u8; 100];
        let mut x = sa(Cipher::Aes128Cbc, Integrity::HmacSha1_96);
        x.set_next_seq_for_test(u32::MAX as u64);
        let mut slots = [
            SealSlot::new(&mut a[..], 20, NextHeader::IPV4, [0; 16]),
            SealSlot::new(&mut c[..], 20, NextHeader::IPV4, [0; 16]),
        ];
        assert_eq!(x.seal_batch(&mut slots), Err(EspError::SequenceExhausted));
        assert_eq!(x.next_seq(), u32::MAX as u64);
        x.seal_batch(&mut slots[..1]).unwrap();
        assert_eq!(x.next_seq(), 1 << 32);
        assert_eq!(&a[4..8], &[0xff; 4]);
    }
}
