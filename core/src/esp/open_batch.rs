//! Verifying and decrypting many datagrams at once: the ICVs of up to 16
//! are computed together on the installed lanes block function
//! ([`super::hmac_lanes`]), then each datagram goes through the rest of
//! the checks in order. The outcome — results, replay window, counters,
//! buffers — is exactly that of [`InboundSa::decrypt_in_place`] one
//! datagram after another, duplicates within the batch included.

use subtle::ConstantTimeEq;

use super::hmac_lanes::{HmacLanes, LANES_MIN};
use super::hmac_sha1::SHA1_LEN;
use super::inbound::Prechecked;
use super::sha1_lanes::{self, SHA1_LANES, Sha1LanesFn};
use super::{Decrypted, EspError, ICV_LEN, InboundSa};

impl InboundSa {
    /// Verifies and decrypts every datagram of `bufs` in place, in order,
    /// and tells `each` the outcome of datagram `i` as
    /// [`Self::decrypt_in_place`] would have returned it. With HMAC-SHA1
    /// and a lanes block function installed, 16 ICVs are computed per
    /// call; the ICV is still checked (in constant time) before a
    /// datagram is decrypted. Allocates nothing.
    pub fn decrypt_batch_in_place<B: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        bufs: &mut [B],
        each: impl FnMut(usize, Result<Decrypted, EspError>),
    ) {
        self.decrypt_batch_using(bufs, sha1_lanes::installed(), each)
    }

    /// [`Self::decrypt_batch_in_place`] hashing with `lanes` if given.
    fn decrypt_batch_using<B: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        bufs: &mut [B],
        lanes: Option<Sha1LanesFn>,
        mut each: impl FnMut(usize, Result<Decrypted, EspError>),
    ) {
        for (g, group) in bufs.chunks_mut(SHA1_LANES).enumerate() {
            self.open_group(group, lanes, |i, r| each(g * SHA1_LANES + i, r));
        }
    }

    /// Up to 16 datagrams.
    fn open_group<B: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        group: &mut [B],
        lanes: Option<Sha1LanesFn>,
        mut each: impl FnMut(usize, Result<Decrypted, EspError>),
    ) {
        let n = group.len();
        let lanes = self.mac.sha1().zip(lanes).filter(|_| n >= LANES_MIN);
        let Some((key, compress)) = lanes else {
            for (i, b) in group.iter_mut().enumerate() {
                each(i, self.decrypt_in_place(b.as_mut()));
            }
            return;
        };
        // The checks before the ICV, and the ICVs of those that pass.
        let mut checked: [Result<Prechecked, EspError>; SHA1_LANES] =
            core::array::from_fn(|_| Err(EspError::EmptyPayload));
        let mut lane_of = [0usize; SHA1_LANES];
        let mut hashed = [0usize; SHA1_LANES];
        let mut m = 0;
        for (i, b) in group.iter().enumerate() {
            checked[i] = self.precheck(b.as_ref());
            if checked[i].is_ok() {
                lane_of[i] = m;
                hashed[m] = i;
                m += 1;
            }
        }
        let mut macs = [[0u8; SHA1_LEN]; SHA1_LANES];
        if m > 0 {
            let ct_end = |i: usize| checked[i].as_ref().map_or(0, |c| c.ct_end);
            HmacLanes::new(key, compress, m).finish(
                |j| &group[hashed[j]].as_ref()[..ct_end(hashed[j])],
                &mut macs,
            );
        }
        // The rest in order; the window is asked again, as the packets
        // before may have moved it (a duplicate in the batch).
        for (i, b) in group.iter_mut().enumerate() {
            let r = match checked[i] {
                Err(e) => Err(e),
                Ok(c) => self.window_verdict(c.seq).and_then(|verdict| {
                    let buf = b.as_mut();
                    let icv = &macs[lane_of[i]][..ICV_LEN];
                    if bool::from(icv.ct_eq(&buf[c.ct_end..])) {
                        let c = Prechecked { verdict, ..c };
                        self.open_authentic(buf, c, None).map(|(d, _)| d)
                    } else {
                        Err(EspError::BadIcv)
                    }
                }),
            };
            each(i, self.count(r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esp::{Cipher, Integrity, NextHeader, OutboundSa, SaLifetime, SaParams};
    use crate::rng::TestRng;
    use crate::time::Instant;
    use alloc::vec::Vec;

    /// Datagrams of every kind: good ones of many lengths, duplicates in
    /// and across groups, a bad ICV, another SPI, too short, misaligned.
    fn datagrams(p: &SaParams) -> Vec<Vec<u8>> {
        let mut rng = TestRng::new(5);
        let mut out = OutboundSa::new(p, Instant(0), SaLifetime::default());
        let mut d: Vec<Vec<u8>> = (0..40usize)
            .map(|i| {
                let len = [1, 15, 40, 41, 100, 1400, 1420, 700][i % 8] + i;
                let payload: Vec<u8> = (0..len).map(|j| (j + i) as u8).collect();
                out.encrypt(&payload, NextHeader::IPV4, &mut rng).unwrap()
            })
            .collect();
        d[3] = d[1].clone();
        d[20] = d[2].clone();
        d[7][30] ^= 1;
        d[9][0] ^= 0x80;
        d[11].truncate(20);
        d[13].pop();
        d
    }

    #[test]
    fn batch_is_one_datagram_after_another() {
        for integrity in Integrity::ALL {
            for replay_protection in [true, false] {
                for lanes in [None, Some(sha1_lanes::sha1_compress_lanes as Sha1LanesFn)] {
                    for count in [1, 9, 10, 16, 17, 40] {
                        let p = SaParams::new(0xabcd, Cipher::Aes128Cbc, integrity, &[3; 64]);
                        let all = datagrams(&p);
                        let mut one = InboundSa::new(&p, replay_protection);
                        let mut many = one.clone();
                        let mut seq_bufs: Vec<Vec<u8>> = all[..count].to_vec();
                        let want: Vec<_> = seq_bufs
                            .iter_mut()
                            .map(|b| one.decrypt_in_place(b))
                            .collect();
                        let mut bufs: Vec<Vec<u8>> = all[..count].to_vec();
                        let mut got = Vec::new();
                        many.decrypt_batch_using(&mut bufs, lanes, |i, r| got.push((i, r)));
                        let got_indices: Vec<usize> = got.iter().map(|g| g.0).collect();
                        assert_eq!(got_indices, (0..count).collect::<Vec<_>>());
                        let got: Vec<_> = got.into_iter().map(|g| g.1).collect();
                        let what = (integrity, replay_protection, lanes.is_some(), count);
                        assert_eq!(got, want, "{what:?}");
                        assert_eq!(bufs, seq_bufs, "{what:?}");
                        assert_eq!(many.stats(), one.stats(), "{what:?}");
                        assert_eq!(many.window().next_expected(), one.window().next_expected());
                    }
                }
            }
        }
        // The mix really has every outcome.
        let p = SaParams::new(0xabcd, Cipher::Aes128Cbc, Integrity::HmacSha1_96, &[3; 64]);
        let mut sa = InboundSa::new(&p, true);
        let mut bufs = datagrams(&p);
        sa.decrypt_batch_using(&mut bufs, Some(sha1_lanes::sha1_compress_lanes), |_, _| {});
        let s = sa.stats();
        assert_eq!(
            (s.accepted, s.replayed, s.bad_icv, s.invalid),
            (34, 2, 1, 3)
        );
    }
}
