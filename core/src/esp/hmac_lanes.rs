//! HMAC-SHA1 of up to [`SHA1_LANES`] messages at once, on an installed
//! lanes block function ([`super::sha1_lanes`]). Each lane runs the same
//! HMAC as [`HmacSha1Key::mac`]; messages of different lengths are fine:
//! a lane that has no block at a step is fed a dummy block and keeps its
//! state, so the cost is that of the longest message.
//!
//! A batch can hash as it goes ([`HmacLanes::step`] for the blocks every
//! lane has ready, e.g. while its ciphertext is still being produced) and
//! then [`HmacLanes::finish`] the rest.

use zeroize::Zeroize;

use super::hmac_sha1::{HmacSha1Key, SHA1_BLOCK, SHA1_LEN, digest, final_blocks};
use super::sha1_lanes::{SHA1_LANES, Sha1LanesFn, Sha1LanesState};

/// Batches smaller than this hash one packet at a time instead: below it
/// the 16-lane call costs more than SHA-NI's blocks for the lanes in use
/// (measured: a 16-lane AVX-512 block is about 19 ns per lane, a SHA-NI
/// block about 33 ns, so 10 lanes break even).
pub(crate) const LANES_MIN: usize = 10;

/// The HMACs of up to 16 messages, partly hashed.
pub(crate) struct HmacLanes<'k> {
    key: &'k HmacSha1Key,
    compress: Sha1LanesFn,
    state: Sha1LanesState,
    lanes: usize,
    hashed: usize,
}

impl<'k> HmacLanes<'k> {
    /// HMACs of `lanes` messages (at most [`SHA1_LANES`]) under `key`.
    pub(crate) fn new(key: &'k HmacSha1Key, compress: Sha1LanesFn, lanes: usize) -> Self {
        debug_assert!(lanes <= SHA1_LANES);
        let inner = key.start();
        HmacLanes {
            key,
            compress,
            state: core::array::from_fn(|w| [inner[w]; SHA1_LANES]),
            lanes: lanes.min(SHA1_LANES),
            hashed: 0,
        }
    }

    /// Whole blocks hashed in every lane so far.
    pub(crate) fn hashed(&self) -> usize {
        self.hashed
    }

    /// Hashes block [`Self::hashed`] of every lane, `block_of(lane)`: each
    /// message's next 64 bytes (all lanes must have one).
    pub(crate) fn step<'m>(&mut self, block_of: impl Fn(usize) -> &'m [u8; SHA1_BLOCK]) {
        let lanes = self.lanes;
        self.compress_some(|l| (l < lanes).then(|| block_of(l)));
        self.hashed += 1;
    }

    /// One block function call; lanes given no block keep their state.
    fn compress_some<'m>(&mut self, block_of: impl Fn(usize) -> Option<&'m [u8; SHA1_BLOCK]>) {
        let dummy = [0u8; SHA1_BLOCK];
        let mut blocks = [&dummy; SHA1_LANES];
        let mut idle = [false; SHA1_LANES];
        for l in 0..SHA1_LANES {
            match block_of(l) {
                Some(b) => blocks[l] = b,
                None => idle[l] = true,
            }
        }
        if !idle.contains(&true) {
            (self.compress)(&mut self.state, &blocks);
            return;
        }
        let kept = self.state;
        (self.compress)(&mut self.state, &blocks);
        for l in (0..SHA1_LANES).filter(|&l| idle[l]) {
            for (word, old) in self.state.iter_mut().zip(&kept) {
                word[l] = old[l];
            }
        }
    }

    /// The MACs: `msg(lane)` is each lane's whole message, whose first
    /// [`Self::hashed`] blocks went in already; the rest, the padding and
    /// the outer hash are done here, and lane `l`'s MAC lands in `out[l]`.
    pub(crate) fn finish<'m>(
        mut self,
        msg: impl Fn(usize) -> &'m [u8],
        out: &mut [[u8; SHA1_LEN]; SHA1_LANES],
    ) {
        let n = self.lanes;
        // Each lane's final block(s): its tail, 0x80, zeros, bit length.
        let mut tails = [[0u8; 2 * SHA1_BLOCK]; SHA1_LANES];
        let mut whole = [0usize; SHA1_LANES];
        let mut total = [0usize; SHA1_LANES];
        for l in 0..n {
            let m = msg(l);
            whole[l] = m.len() / SHA1_BLOCK;
            let tail = &m[whole[l] * SHA1_BLOCK..];
            total[l] = whole[l] + final_blocks(&mut tails[l], tail, SHA1_BLOCK + m.len());
        }
        let steps = total[..n].iter().copied().max().unwrap_or(0);
        for s in self.hashed..steps {
            self.compress_some(|l| {
                if l >= n || s >= total[l] {
                    None
                } else if s < whole[l] {
                    msg(l).as_chunks::<SHA1_BLOCK>().0.get(s)
                } else {
                    tails[l].as_chunks::<SHA1_BLOCK>().0.get(s - whole[l])
                }
            });
        }
        // The outer hash: one block of the inner digest and its padding.
        let mut outer_blocks = [[0u8; 2 * SHA1_BLOCK]; SHA1_LANES];
        for (l, block) in outer_blocks.iter_mut().enumerate().take(n) {
            let inner: [u32; 5] = core::array::from_fn(|w| self.state[w][l]);
            let mut d = digest(&inner);
            final_blocks(block, &d, SHA1_BLOCK + SHA1_LEN);
            d.zeroize();
        }
        let outer = self.key.outer_start();
        self.state = core::array::from_fn(|w| [outer[w]; SHA1_LANES]);
        self.compress_some(|l| (l < n).then(|| &outer_blocks[l].as_chunks::<SHA1_BLOCK>().0[0]));
        for (l, o) in out.iter_mut().enumerate().take(n) {
            *o = digest(&core::array::from_fn(|w| self.state[w][l]));
        }
        outer_blocks.zeroize();
    }
}

impl Drop for HmacLanes<'_> {
    fn drop(&mut self) {
        self.state.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::super::sha1_lanes::sha1_compress_lanes;
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn every_lane_is_the_one_at_a_time_mac() {
        let data: Vec<u8> = (0..2100u32).map(|i| (i * 151 + 3) as u8).collect();
        let key = HmacSha1Key::new(b"sixteen lanes key");
        // Lengths around block and padding boundaries, all different.
        let lens = [
            0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 200, 1432, 1431, 1500, 1999, 7,
        ];
        for lanes in [1, 2, 9, 10, 15, 16] {
            for early in [0, 1, 3] {
                let msg = |l: usize| &data[l * 3..l * 3 + lens[l]];
                let mut m = HmacLanes::new(&key, sha1_compress_lanes, lanes);
                // Hash `early` blocks as a batch would while encrypting,
                // only as many as the shortest message has.
                let common = (0..lanes).map(|l| lens[l] / 64).min().unwrap_or(0);
                for _ in 0..early.min(common) {
                    let h = m.hashed();
                    m.step(|l| &msg(l).as_chunks::<64>().0[h]);
                }
                let mut out = [[0u8; SHA1_LEN]; SHA1_LANES];
                m.finish(msg, &mut out);
                for (l, o) in out.iter().enumerate().take(lanes) {
                    assert_eq!(*o, key.mac(msg(l)), "lanes {lanes}, lane {l}");
                }
                for o in &out[lanes..] {
                    assert_eq!(o, &[0; SHA1_LEN]);
                }
            }
        }
    }
}
