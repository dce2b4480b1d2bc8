//! The ESP half of a session, shared by client and gateway and by every
//! protocol with an ESP data path (oNCP, Pulse): the current
//! SAs each way, the previous inbound SA during its grace period after a
//! rekey (spec/oncp.md §6.3), LZO on both paths, and counters.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::esp::{
    Decrypted, EspError, EspPacket, HEADER_LEN, InboundSa, MAX_TRAILER_LEN, NextHeader, OutboundSa,
    SaLifetime, SaParams,
};
use crate::lzo::{Compressor, decompress_into, worst_compressed_len};
use crate::rng::Random;
use crate::time::{Duration, Instant};
use crate::tunnel::seal_queue::SealQueue;
use crate::tunnel::{OutputQueue, SessionStats};

/// Packets of the previous inbound SA accepted after a rekey (spec §6.3).
const OLD_SA_GRACE: u64 = 32;
/// Sequence numbers left on an SA when a rekey is due.
const SEQ_MARGIN: u64 = 1 << 16;
/// How long the previous inbound SA stays usable at most after a rekey.
const OLD_SA_MAX_AGE: Duration = Duration::from_secs(10);

/// What an accepted datagram held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// A probe or probe reply (payload `00`); the buffer is left empty.
    Probe,
    /// An IP packet (decompressed if it was LZO), in the caller's buffer.
    Packet,
}

/// Why a datagram was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpenError {
    NoKeys,
    Esp(EspError),
    Lzo,
}

/// The inbound SA replaced by a rekey, still accepted for a while.
struct PreviousSa {
    sa: InboundSa,
    /// E: the sequence number it expected next when it was replaced.
    expected: u64,
    replaced_at: Instant,
}

impl PreviousSa {
    /// Whether a packet with sequence `seq` may still use this SA, given
    /// the next sequence number expected on the new SA.
    ///
    /// OpenConnect 9.01 accepts the old SA while `seq + next_new < E + 32`
    /// (spec §6.3), which loses packets when more than 32 are in flight
    /// while the other side learns the new keys (one TLS trip). We accept
    /// that, and also anything while the new SA has seen fewer than 32
    /// packets, i.e. until the peer has really switched over; both only
    /// for [`OLD_SA_MAX_AGE`]. The old SA's replay window still refuses
    /// duplicates.
    fn accepts(&self, seq: u64, next_new: u64, now: Instant) -> bool {
        now < self.replaced_at + OLD_SA_MAX_AGE
            && (next_new < OLD_SA_GRACE || seq + next_new < self.expected + OLD_SA_GRACE)
    }
}

pub(crate) struct EspLink {
    pub(crate) outbound: Option<OutboundSa>,
    pub(crate) inbound: Option<InboundSa>,
    /// The previous inbound SA during its grace period.
    previous: Option<PreviousSa>,
    compressor: Option<Box<Compressor>>,
    /// Output limit for LZO (spec §7.5: max(2048, MTU + 256)).
    lzo_limit: usize,
    /// Where LZO payloads are decompressed, `lzo_limit` long once the
    /// first one came; reused for every packet after it.
    lzo_out: Vec<u8>,
    /// Packets waiting to be sealed as one batch (uncompressed only).
    batch: SealQueue,
    /// Counts of a batch sealed at an SA change, for the next flush.
    batch_stats: SessionStats,
}

impl EspLink {
    pub(crate) fn new() -> Self {
        EspLink {
            outbound: None,
            inbound: None,
            previous: None,
            compressor: None,
            lzo_limit: 2048,
            lzo_out: Vec::new(),
            batch: SealQueue::default(),
            batch_stats: SessionStats::default(),
        }
    }

    pub(crate) fn has_keys(&self) -> bool {
        self.outbound.is_some() && self.inbound.is_some()
    }

    pub(crate) fn set_mtu(&mut self, mtu: u32) {
        self.lzo_limit = 2048usize.max(mtu as usize + 256);
    }

    /// Compress what we send from now on.
    pub(crate) fn enable_compression(&mut self) {
        if self.compressor.is_none() {
            self.compressor = Some(Box::new(Compressor::new()));
        }
    }

    pub(crate) fn set_outbound(&mut self, params: &SaParams, now: Instant, lifetime: SaLifetime) {
        // What waits was meant for the SA it was sized for.
        if let Some(sa) = self.outbound.as_mut() {
            self.batch.seal(sa, &mut self.batch_stats);
        }
        self.outbound = Some(OutboundSa::new(params, now, lifetime));
    }

    /// Installs a new inbound SA, keeping the current one for its grace
    /// period.
    pub(crate) fn set_inbound(&mut self, params: &SaParams, replay: bool, now: Instant) {
        let new = InboundSa::new(params, replay);
        self.previous = self.inbound.replace(new).map(|sa| PreviousSa {
            expected: sa.window().next_expected(),
            sa,
            replaced_at: now,
        });
    }

    /// Forgets every key (TLS lost: everything is renegotiated).
    pub(crate) fn clear(&mut self) {
        self.outbound = None;
        self.inbound = None;
        self.previous = None;
        self.batch.clear();
    }

    /// SPIs this link accepts: current, then previous while in grace.
    pub(crate) fn inbound_spis(&self) -> (Option<u32>, Option<u32>) {
        (
            self.inbound.as_ref().map(InboundSa::spi),
            self.previous.as_ref().map(|p| p.sa.spi()),
        )
    }

    /// Encrypts an IP packet (LZO-compressed when enabled and smaller)
    /// into `out`, counting it in `stats` once sealed. `out` is
    /// overwritten; once its capacity suffices nothing is allocated (the
    /// compressor writes straight behind the ESP header).
    pub(crate) fn seal(
        &mut self,
        packet: &[u8],
        rng: &mut dyn Random,
        stats: &mut SessionStats,
        out: &mut Vec<u8>,
    ) -> Result<(), EspError> {
        let sa = self.outbound.as_mut().ok_or(EspError::WrongSpi(0))?;
        out.clear();
        let mut payload = (packet.len(), NextHeader::for_packet(packet));
        let mut compressed = false;
        if let Some(c) = self.compressor.as_mut()
            && crate::netpkt::version(packet) == Some(4)
        {
            let room = HEADER_LEN + worst_compressed_len(packet.len()) + MAX_TRAILER_LEN;
            out.resize(room.max(sa.packet_len(packet.len())), 0);
            if let Ok(n) = c.compress_into(packet, &mut out[HEADER_LEN..])
                && n < packet.len()
            {
                payload = (n, NextHeader::LZO_IPV4);
                compressed = true;
            }
        } else {
            out.resize(sa.packet_len(packet.len()), 0);
        }
        if !compressed {
            out[HEADER_LEN..HEADER_LEN + packet.len()].copy_from_slice(packet);
        }
        match sa.encrypt_in_place_with_rng(out, payload.0, payload.1, rng) {
            Ok(n) => out.truncate(n),
            Err(e) => {
                out.clear();
                return Err(e);
            }
        }
        if compressed {
            stats.lzo_out += 1;
        }
        stats.esp_packets_out += 1;
        stats.esp_bytes_out += packet.len() as u64;
        Ok(())
    }

    /// [`Self::seal`] into a buffer of `queue`'s pool, queued as UDP
    /// output; whether it was (or, uncompressed, will be) sealed. An
    /// uncompressed packet waits to be sealed with the ones after it, at
    /// most [`crate::esp::BATCH_LANES`], until [`Self::flush_to`].
    pub(crate) fn seal_to<E>(
        &mut self,
        packet: &[u8],
        rng: &mut dyn Random,
        stats: &mut SessionStats,
        queue: &mut OutputQueue<E>,
    ) -> bool {
        match self.outbound.as_mut() {
            Some(sa) if self.compressor.is_none() && !packet.is_empty() => {
                if self.batch.is_full() {
                    self.batch.flush(Some(sa), stats, queue);
                }
                let buf = queue.buffer();
                self.batch.add(sa, packet, rng, buf);
                true
            }
            _ => {
                self.flush_to(stats, queue);
                pooled(queue, OutputQueue::push_udp, |buf| {
                    let sealed = self.seal(packet, rng, stats, buf).is_ok();
                    (sealed, sealed)
                })
            }
        }
    }

    /// Seals the packets [`Self::seal_to`] left waiting and queues them
    /// (and any sealed before an SA change) as UDP output, in order.
    pub(crate) fn flush_to<E>(&mut self, stats: &mut SessionStats, queue: &mut OutputQueue<E>) {
        stats.esp_packets_out += core::mem::take(&mut self.batch_stats.esp_packets_out);
        stats.esp_bytes_out += core::mem::take(&mut self.batch_stats.esp_bytes_out);
        self.batch.flush(self.outbound.as_mut(), stats, queue);
    }

    /// Whether either SA is close to running out of sequence numbers.
    pub(crate) fn sequence_nearly_exhausted(&self, now: Instant) -> bool {
        let inbound = self
            .inbound
            .as_ref()
            .is_some_and(|sa| sa.window().next_expected() + SEQ_MARGIN > 1 << 32);
        let outbound = self.outbound.as_ref().is_some_and(|sa| sa.needs_rekey(now));
        inbound || outbound
    }

    /// A probe on the outbound SA, queued as UDP output on `queue` and
    /// counted in `stats`; false when there is no outbound SA (or its
    /// sequence numbers ran out).
    pub(crate) fn probe_to<E>(
        &mut self,
        rng: &mut dyn Random,
        stats: &mut SessionStats,
        queue: &mut OutputQueue<E>,
    ) -> bool {
        let Some(sa) = self.outbound.as_mut() else {
            return false;
        };
        pooled(queue, OutputQueue::push_udp, |buf| {
            let sent = sa.encrypt_into(&[0], NextHeader::IPV4, rng, buf).is_ok();
            stats.probes_out += u64::from(sent);
            (sent, sent)
        })
    }

    /// Verifies, decrypts and (if marked) decompresses a datagram into
    /// `out` (overwritten: the packet, or empty for a probe). Once `out`'s
    /// capacity suffices nothing is allocated: the datagram is decrypted
    /// in `out` and the payload moved to its front, an LZO payload is
    /// decompressed through a buffer the link keeps.
    pub(crate) fn open(
        &mut self,
        datagram: &[u8],
        now: Instant,
        stats: &mut SessionStats,
        out: &mut Vec<u8>,
    ) -> Result<Opened, OpenError> {
        out.clear();
        let r = self.open_in(datagram, now, stats, out);
        if !matches!(r, Ok(Opened::Packet)) {
            out.clear();
        }
        r
    }

    fn open_in(
        &mut self,
        datagram: &[u8],
        now: Instant,
        stats: &mut SessionStats,
        buf: &mut Vec<u8>,
    ) -> Result<Opened, OpenError> {
        let header = EspPacket::new_checked(datagram).map_err(OpenError::Esp)?;
        let spi = header.spi();
        let current = self.inbound.as_mut().ok_or(OpenError::NoKeys)?;
        buf.extend_from_slice(datagram);
        let decrypted = if current.spi() == spi {
            current.decrypt_in_place(buf).map_err(OpenError::Esp)?
        } else {
            let next_new = current.window().next_expected();
            let seq = u64::from(header.seq());
            let old = self
                .previous
                .as_mut()
                .filter(|p| p.sa.spi() == spi && p.accepts(seq, next_new, now))
                .ok_or(OpenError::Esp(EspError::WrongSpi(spi)))?;
            old.sa.decrypt_in_place(buf).map_err(OpenError::Esp)?
        };
        self.deliver(decrypted, stats, buf)
    }

    /// What an authentic datagram, decrypted in `buf`, held: a probe, or
    /// an IP packet (decompressed if LZO) moved to the front of `buf`.
    pub(super) fn deliver(
        &mut self,
        decrypted: Decrypted,
        stats: &mut SessionStats,
        buf: &mut Vec<u8>,
    ) -> Result<Opened, OpenError> {
        if decrypted.is_probe(buf) {
            stats.probes_in += 1;
            return Ok(Opened::Probe);
        }
        let payload = decrypted.payload;
        if decrypted.next_header == NextHeader::LZO_IPV4 {
            stats.lzo_in += 1;
            if self.lzo_out.len() != self.lzo_limit {
                self.lzo_out.resize(self.lzo_limit, 0);
            }
            let n =
                decompress_into(&buf[payload], &mut self.lzo_out).map_err(|_| OpenError::Lzo)?;
            buf.clear();
            buf.extend_from_slice(&self.lzo_out[..n]);
        } else {
            let len = payload.len();
            buf.copy_within(payload, 0);
            buf.truncate(len);
        }
        stats.esp_packets_in += 1;
        stats.esp_bytes_in += buf.len() as u64;
        Ok(Opened::Packet)
    }

    /// [`Self::open`] into a buffer of `queue`'s pool; an IP packet is
    /// queued as IP output.
    pub(crate) fn open_to<E>(
        &mut self,
        datagram: &[u8],
        now: Instant,
        stats: &mut SessionStats,
        queue: &mut OutputQueue<E>,
    ) -> Result<Opened, OpenError> {
        pooled(queue, OutputQueue::push_ip, |buf| {
            let r = self.open(datagram, now, stats, buf);
            let keep = r == Ok(Opened::Packet);
            (r, keep)
        })
    }
}

/// Lends `fill` a buffer of `queue`'s pool; queued with `push` if `fill`
/// says so (the second value it returns), else given back to the pool.
fn pooled<E, T>(
    queue: &mut OutputQueue<E>,
    push: fn(&mut OutputQueue<E>, Vec<u8>),
    fill: impl FnOnce(&mut Vec<u8>) -> (T, bool),
) -> T {
    let mut buf = queue.buffer();
    let (r, keep) = fill(&mut buf);
    if keep {
        push(queue, buf);
    } else {
        queue.recycle(buf);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esp::{Cipher, Integrity};
    use crate::rng::TestRng;

    fn link_with_old_sa(rng: &mut TestRng) -> (EspLink, OutboundSa, OutboundSa) {
        let old = SaParams::generate(Cipher::Aes128Cbc, Integrity::HmacSha1_96, rng);
        let new = SaParams::generate(Cipher::Aes256Cbc, Integrity::HmacMd5_96, rng);
        let mut link = EspLink::new();
        link.set_inbound(&old, true, Instant(0));
        let mut old_tx = OutboundSa::new(&old, Instant(0), SaLifetime::default());
        let mut stats = SessionStats::default();
        // 10 packets on the old SA before the rekey: E = 10.
        for _ in 0..10 {
            let d = old_tx.probe(rng).unwrap();
            assert_eq!(
                link.open(&d, Instant(0), &mut stats, &mut Vec::new()),
                Ok(Opened::Probe)
            );
        }
        link.set_inbound(&new, true, Instant(1_000_000));
        let new_tx = OutboundSa::new(&new, Instant(0), SaLifetime::default());
        (link, old_tx, new_tx)
    }

    #[test]
    fn old_sa_accepted_until_the_peer_switched() {
        let mut rng = TestRng::new(3);
        let (mut link, mut old_tx, mut new_tx) = link_with_old_sa(&mut rng);
        let mut stats = SessionStats::default();
        let t = Instant(1_500_000);
        // 100 packets still on the old SA (9.01 would stop after 32).
        for _ in 0..100 {
            let d = old_tx.probe(&mut rng).unwrap();
            assert_eq!(
                link.open(&d, t, &mut stats, &mut Vec::new()),
                Ok(Opened::Probe)
            );
        }
        // A duplicate is still refused by the old SA's replay window.
        let d = old_tx.probe(&mut rng).unwrap();
        assert!(link.open(&d, t, &mut stats, &mut Vec::new()).is_ok());
        assert!(link.open(&d, t, &mut stats, &mut Vec::new()).is_err());
        // The peer switches: once the new SA has seen 32 packets, old-SA
        // packets are only taken under 9.01's rule (seq + next_new < E + 32).
        let late = old_tx.probe(&mut rng).unwrap();
        for _ in 0..32 {
            let d = new_tx.probe(&mut rng).unwrap();
            assert!(link.open(&d, t, &mut stats, &mut Vec::new()).is_ok());
        }
        assert!(matches!(
            link.open(&late, t, &mut stats, &mut Vec::new()),
            Err(OpenError::Esp(EspError::WrongSpi(_)))
        ));
    }

    #[test]
    fn old_sa_expires_after_its_maximum_age() {
        let mut rng = TestRng::new(4);
        let (mut link, mut old_tx, _) = link_with_old_sa(&mut rng);
        let mut stats = SessionStats::default();
        let a = old_tx.probe(&mut rng).unwrap();
        let b = old_tx.probe(&mut rng).unwrap();
        let rekeyed = Instant(1_000_000);
        assert!(
            link.open(
                &a,
                rekeyed + Duration(9_999_999),
                &mut stats,
                &mut Vec::new()
            )
            .is_ok()
        );
        assert!(
            link.open(&b, rekeyed + OLD_SA_MAX_AGE, &mut stats, &mut Vec::new())
                .is_err()
        );
    }

    #[test]
    fn sealed_packets_open_in_reused_buffers_with_and_without_lzo() {
        let mut rng = TestRng::new(5);
        let params = SaParams::generate(Cipher::Aes128Cbc, Integrity::HmacSha1_96, &mut rng);
        let mut tx = EspLink::new();
        tx.set_outbound(&params, Instant(0), SaLifetime::default());
        let mut rx = EspLink::new();
        rx.set_inbound(&params, true, Instant(0));
        let mut stats = SessionStats::default();
        let mut packet = alloc::vec![0u8; 1400];
        packet[0] = 0x45;
        packet[2..4].copy_from_slice(&1400u16.to_be_bytes());
        let (mut sealed, mut opened) = (Vec::with_capacity(2048), Vec::with_capacity(2048));
        for compress in [false, true] {
            if compress {
                tx.enable_compression();
            }
            for i in 0..3u8 {
                packet[20] = i;
                tx.seal(&packet, &mut rng, &mut stats, &mut sealed).unwrap();
                // A compressible packet goes out smaller, marked LZO.
                assert_eq!(sealed.len() < 1400, compress);
                let r = rx.open(&sealed, Instant(0), &mut stats, &mut opened);
                assert_eq!(r, Ok(Opened::Packet));
                assert_eq!(opened, packet);
                assert_eq!((sealed.capacity(), opened.capacity()), (2048, 2048));
            }
        }
        assert_eq!(
            (stats.lzo_out, stats.lzo_in, stats.esp_packets_in),
            (3, 3, 6)
        );
        // A refused datagram leaves the buffer empty.
        tx.seal(&packet, &mut rng, &mut stats, &mut sealed).unwrap();
        sealed[30] ^= 1;
        let r = rx.open(&sealed, Instant(0), &mut stats, &mut opened);
        assert_eq!(r, Err(OpenError::Esp(EspError::BadIcv)));
        assert!(opened.is_empty());
    }

    #[test]
    fn batched_seal_to_gives_the_bytes_of_sealing_one_at_a_time() {
        let mut rng = TestRng::new(11);
        let first = SaParams::generate(Cipher::Aes128Cbc, Integrity::HmacSha1_96, &mut rng);
        let second = SaParams::generate(Cipher::Aes256Cbc, Integrity::HmacSha1_96, &mut rng);
        let (mut batched, mut single) = (EspLink::new(), EspLink::new());
        batched.set_outbound(&first, Instant(0), SaLifetime::default());
        single.set_outbound(&first, Instant(0), SaLifetime::default());
        let (mut rng_b, mut rng_s) = (TestRng::new(12), TestRng::new(12));
        let (mut stats_b, mut stats_s) = (SessionStats::default(), SessionStats::default());
        let mut queue = OutputQueue::<()>::new();
        let mut expected = Vec::new();
        let mut got = Vec::new();
        let take = |queue: &mut OutputQueue<()>, got: &mut Vec<Vec<u8>>| {
            let mut buf = Vec::new();
            while let Some(o) = queue.poll(&mut buf) {
                assert!(matches!(o, crate::tunnel::Output::Udp));
                got.push(buf.clone());
            }
        };
        for i in 0..40usize {
            if i == 21 {
                // An SA change seals what waits with the SA it was meant for.
                batched.set_outbound(&second, Instant(1), SaLifetime::default());
                single.set_outbound(&second, Instant(1), SaLifetime::default());
            }
            let len = 40 + i * 33;
            let mut packet = alloc::vec![i as u8; len];
            packet[0] = 0x45;
            packet[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            assert!(batched.seal_to(&packet, &mut rng_b, &mut stats_b, &mut queue));
            let mut one = Vec::new();
            single
                .seal(&packet, &mut rng_s, &mut stats_s, &mut one)
                .unwrap();
            expected.push(one);
            if i == 15 {
                // A full batch waits for the next packet or the flush.
                take(&mut queue, &mut got);
                assert!(got.is_empty());
            }
            if i == 16 {
                take(&mut queue, &mut got);
                assert_eq!(got.len(), 16);
            }
        }
        batched.flush_to(&mut stats_b, &mut queue);
        take(&mut queue, &mut got);
        assert_eq!(got, expected);
        assert_eq!(
            (stats_b.esp_packets_out, stats_b.esp_bytes_out),
            (stats_s.esp_packets_out, stats_s.esp_bytes_out)
        );
        assert_eq!(stats_b.esp_packets_out, 40);
    }
}
