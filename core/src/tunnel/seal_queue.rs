//! Outbound ESP packets waiting to be sealed together: the packets a
//! session is handed in one go (the segments of one TSO read, a queue of
//! IP packets) are copied into their datagram buffers as they come, and
//! sealed [`BATCH_LANES`] at a time with [`OutboundSa::seal_batch`]
//! (multi-buffer CBC) instead of one by one. The bytes are those of
//! sealing each at once: the IVs are drawn in the same order and sequence
//! numbers are given in order when the batch is sealed.

use alloc::vec::Vec;

use crate::esp::{BATCH_LANES, HEADER_LEN, NextHeader, OutboundSa, SealSlot};
use crate::rng::Random;
use crate::tunnel::{OutputQueue, SessionStats};

/// Packets copied in and not yet sealed, and sealed datagrams not yet
/// queued as output.
#[derive(Default)]
pub(crate) struct SealQueue {
    pending: Vec<SealSlot<Vec<u8>>>,
    /// Sealed before an SA change, waiting for the next [`Self::flush`].
    sealed: Vec<Vec<u8>>,
}

impl SealQueue {
    /// Whether a batch is full (seal it before adding more).
    pub(crate) fn is_full(&self) -> bool {
        self.pending.len() >= BATCH_LANES
    }

    /// Copies `packet` into `buf` as the payload of a datagram of `sa`,
    /// with a fresh IV from `rng`, to be sealed with the next batch.
    pub(crate) fn add(
        &mut self,
        sa: &OutboundSa,
        packet: &[u8],
        rng: &mut dyn Random,
        mut buf: Vec<u8>,
    ) {
        if self.pending.capacity() == 0 {
            self.pending.reserve_exact(BATCH_LANES);
        }
        buf.clear();
        buf.resize(sa.packet_len(packet.len()), 0);
        buf[HEADER_LEN..HEADER_LEN + packet.len()].copy_from_slice(packet);
        let mut iv = [0u8; crate::esp::BLOCK_LEN];
        rng.fill(&mut iv);
        self.pending.push(SealSlot::new(
            buf,
            packet.len(),
            NextHeader::for_packet(packet),
            iv,
        ));
    }

    /// Seals what is pending with `sa` (in order, counted in `stats`) and
    /// keeps the datagrams for [`Self::flush`]. If the batch cannot be
    /// sealed (sequence numbers exhausted) its packets are dropped.
    pub(crate) fn seal(&mut self, sa: &mut OutboundSa, stats: &mut SessionStats) {
        if self.pending.is_empty() {
            return;
        }
        let ok = sa.seal_batch(&mut self.pending).is_ok();
        for mut s in self.pending.drain(..) {
            if ok {
                s.buf.truncate(s.packet_len);
                stats.esp_packets_out += 1;
                stats.esp_bytes_out += s.payload_len as u64;
                self.sealed.push(s.buf);
            }
        }
    }

    /// Seals what is pending with `sa` and queues every sealed datagram
    /// as UDP output, in order.
    pub(crate) fn flush<E>(
        &mut self,
        sa: Option<&mut OutboundSa>,
        stats: &mut SessionStats,
        queue: &mut OutputQueue<E>,
    ) {
        match sa {
            Some(sa) => self.seal(sa, stats),
            None => self.pending.clear(),
        }
        for d in self.sealed.drain(..) {
            queue.push_udp(d);
        }
    }

    /// Drops everything (the keys are gone).
    pub(crate) fn clear(&mut self) {
        self.pending.clear();
        self.sealed.clear();
    }
}
