//! Opening the datagrams of one receive (recvmmsg, UDP GRO) as a batch:
//! [`InboundSa::decrypt_batch_in_place`] computes their ICVs 16 at a time
//! when the shell installed a lanes block function. The outcome is that of
//! [`EspLink::open_to`] one datagram after another: the same results in
//! the same order, the same IP packets queued in the same order.
//!
//! [`InboundSa::decrypt_batch_in_place`]: crate::esp::InboundSa::decrypt_batch_in_place

use alloc::vec::Vec;

use crate::esp::{Decrypted, EspError, EspPacket, SHA1_LANES};
use crate::time::Instant;
use crate::tunnel::esp_link::{EspLink, OpenError, Opened};
use crate::tunnel::{OutputQueue, SessionStats};

/// Datagrams opened together (one call of the lanes block function).
pub(crate) const OPEN_BATCH: usize = SHA1_LANES;

impl EspLink {
    /// Opens up to [`OPEN_BATCH`] datagrams (more are opened one at a
    /// time) as [`Self::open_to`] would one after another, and tells
    /// `each` the outcome of datagram `i`. They are decrypted as one
    /// batch when all are for the current inbound SA; otherwise (a rekey's
    /// previous SA, a datagram too short for a header) one at a time.
    pub(crate) fn open_batch_to<E>(
        &mut self,
        datagrams: &[&[u8]],
        now: Instant,
        stats: &mut SessionStats,
        queue: &mut OutputQueue<E>,
        mut each: impl FnMut(usize, Result<Opened, OpenError>),
    ) {
        let current = self.inbound.as_ref().map(|sa| sa.spi());
        let batchable = datagrams.len() > 1
            && datagrams.len() <= OPEN_BATCH
            && datagrams
                .iter()
                .all(|d| EspPacket::new_checked(d).is_ok_and(|h| Some(h.spi()) == current));
        let Some(sa) = self.inbound.as_mut().filter(|_| batchable) else {
            for (i, d) in datagrams.iter().enumerate() {
                each(i, self.open_to(d, now, stats, queue));
            }
            return;
        };
        let n = datagrams.len();
        let mut bufs: [Vec<u8>; OPEN_BATCH] = Default::default();
        for (b, d) in bufs.iter_mut().zip(datagrams) {
            *b = queue.buffer();
            b.extend_from_slice(d);
        }
        let mut decrypted: [Option<Result<Decrypted, EspError>>; OPEN_BATCH] = Default::default();
        sa.decrypt_batch_in_place(&mut bufs[..n], |i, r| decrypted[i] = Some(r));
        for (i, (buf, d)) in bufs.iter_mut().zip(&mut decrypted).take(n).enumerate() {
            let mut buf = core::mem::take(buf);
            let r = match d.take() {
                Some(Ok(d)) => self.deliver(d, stats, &mut buf),
                Some(Err(e)) => Err(OpenError::Esp(e)),
                // decrypt_batch_in_place reports every datagram.
                None => Err(OpenError::NoKeys),
            };
            if r == Ok(Opened::Packet) {
                queue.push_ip(buf);
            } else {
                buf.clear();
                queue.recycle(buf);
            }
            each(i, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esp::{
        Cipher, Integrity, NextHeader, OutboundSa, SaLifetime, SaParams, install_sha1_lanes,
        sha1_compress_lanes,
    };
    use crate::rng::TestRng;
    use crate::tunnel::output::Output;

    type Outcome = (Vec<Result<Opened, OpenError>>, Vec<Vec<u8>>, SessionStats);

    fn drain(queue: &mut OutputQueue<()>) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(o) = queue.poll(&mut buf) {
            if let Output::Ip = o {
                out.push(buf.clone());
            }
        }
        out
    }

    fn run(datagrams: &[Vec<u8>], p: &SaParams, batch: bool) -> Outcome {
        let mut link = EspLink::new();
        link.set_inbound(p, true, Instant(0));
        let mut stats = SessionStats::default();
        let mut queue = OutputQueue::<()>::new();
        let mut results = Vec::new();
        if batch {
            for chunk in datagrams.chunks(OPEN_BATCH) {
                let refs: Vec<&[u8]> = chunk.iter().map(|d| &d[..]).collect();
                link.open_batch_to(&refs, Instant(0), &mut stats, &mut queue, |_, r| {
                    results.push(r)
                });
            }
        } else {
            for d in datagrams {
                results.push(link.open_to(d, Instant(0), &mut stats, &mut queue));
            }
        }
        (results, drain(&mut queue), stats)
    }

    #[test]
    fn a_batch_opens_as_one_datagram_after_another() {
        // Whether or not another test installed it first, the lanes are
        // the portable function (the only one core knows).
        install_sha1_lanes(sha1_compress_lanes);
        let mut rng = TestRng::new(9);
        let p = SaParams::generate(Cipher::Aes128Cbc, Integrity::HmacSha1_96, &mut rng);
        let mut tx = OutboundSa::new(&p, Instant(0), SaLifetime::default());
        let mut d: Vec<Vec<u8>> = (0..40usize)
            .map(|i| {
                if i % 9 == 4 {
                    return tx.probe(&mut rng).unwrap();
                }
                let len = 20 + (i * 37) % 1400;
                let mut ip: Vec<u8> = (0..len).map(|j| (i + j) as u8).collect();
                ip[0] = 0x45;
                tx.encrypt(&ip, NextHeader::IPV4, &mut rng).unwrap()
            })
            .collect();
        d[6] = d[5].clone();
        d[10][40] ^= 4;
        d[25].truncate(3);
        let other = SaParams::generate(Cipher::Aes128Cbc, Integrity::HmacSha1_96, &mut rng);
        d[33] = OutboundSa::new(&other, Instant(0), SaLifetime::default())
            .probe(&mut rng)
            .unwrap();
        let (one, many) = (run(&d, &p, false), run(&d, &p, true));
        assert_eq!(one.0, many.0);
        assert_eq!(one.1, many.1);
        assert_eq!(one.2, many.2);
        assert!(one.0.iter().filter(|r| r.is_err()).count() >= 4);
        assert!(one.1.len() >= 30);
    }
}
