//! SHA-1's block function on 16 independent messages at once (Intel's
//! multi-buffer hashing): word `w` of lane `l`'s state is `state[w][l]`,
//! and every step of the round function is a loop over the 16 lanes, which
//! a compiler turns into one vector instruction per step when the target
//! has 512-bit vectors (AVX-512: 16 lanes of 32 bits, rotates and
//! three-input logic in one instruction each).
//!
//! Core has no `unsafe` and so cannot call code built for a CPU feature it
//! detects at run time; the shell can. [`sha1_compress_lanes`] is therefore
//! `#[inline(always)]`: the shell wraps it in a function compiled for
//! AVX-512 and installs that with [`install_sha1_lanes`], and ESP batches
//! then hash 16 packets per call ([`super::hmac_lanes`]). Without an
//! installed function (or in a build for a CPU without wide vectors) the
//! batches keep the one-packet-at-a-time SHA-NI path, which is faster than
//! this code without AVX-512.

// Loops over the lane index are the point here: each is one vector
// instruction once compiled for wide vectors.
#![allow(clippy::needless_range_loop)]

use once_cell::race::OnceBox;

/// Messages hashed together.
pub const SHA1_LANES: usize = 16;

/// Sixteen SHA-1 states: `state[w][l]` is word `w` (a to e) of lane `l`.
pub type Sha1LanesState = [[u32; SHA1_LANES]; 5];

/// A block function over [`SHA1_LANES`] lanes: hashes `blocks[l]` into lane
/// `l` of `state`, exactly as SHA-1's block function would one at a time.
pub type Sha1LanesFn = fn(&mut Sha1LanesState, &[&[u8; 64]; SHA1_LANES]);

type Lanes = [u32; SHA1_LANES];

static INSTALLED: OnceBox<Sha1LanesFn> = OnceBox::new();

/// Makes `f` the block function ESP batches hash with (the first call
/// wins; later ones return `false` and change nothing). `f` must compute
/// exactly [`sha1_compress_lanes`]; the shell passes that function compiled
/// for a vector extension the CPU has.
pub fn install_sha1_lanes(f: Sha1LanesFn) -> bool {
    INSTALLED.set(alloc::boxed::Box::new(f)).is_ok()
}

/// The installed block function, if any.
#[inline]
pub(crate) fn installed() -> Option<Sha1LanesFn> {
    INSTALLED.get().copied()
}

/// SHA-1's round functions (FIPS 180-4 §4.1.1), written so that each is
/// one three-input logic instruction where the target has one.
#[inline(always)]
fn choose(b: u32, c: u32, d: u32) -> u32 {
    d ^ (b & (c ^ d))
}
#[inline(always)]
fn parity(b: u32, c: u32, d: u32) -> u32 {
    b ^ c ^ d
}
#[inline(always)]
fn majority(b: u32, c: u32, d: u32) -> u32 {
    (b & c) | (d & (b | c))
}

/// One round in every lane: `e += rotl5(a) + f(b, c, d) + k + w`,
/// `b = rotl30(b)` (the caller renames the variables instead of moving
/// them). The sum is ordered so that only the last addition waits on `a`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn round(
    a: &Lanes,
    b: &mut Lanes,
    c: &Lanes,
    d: &Lanes,
    e: &mut Lanes,
    w: &Lanes,
    k: u32,
    f: impl Fn(u32, u32, u32) -> u32,
) {
    for l in 0..SHA1_LANES {
        e[l] = e[l]
            .wrapping_add(k.wrapping_add(w[l]))
            .wrapping_add(f(b[l], c[l], d[l]))
            .wrapping_add(a[l].rotate_left(5));
        b[l] = b[l].rotate_left(30);
    }
}

/// The message schedule's word `t` (16 and up) in every lane, in the
/// 16-word ring `w`: `w[t] = rotl1(w[t-3] ^ w[t-8] ^ w[t-14] ^ w[t-16])`.
/// With `t` a constant (the rounds are unrolled) the ring stays in
/// registers.
#[inline(always)]
fn expand(w: &mut [Lanes; 16], t: usize) {
    if t < 16 {
        return;
    }
    for l in 0..SHA1_LANES {
        w[t % 16][l] =
            (w[(t - 3) % 16][l] ^ w[(t - 8) % 16][l] ^ w[(t - 14) % 16][l] ^ w[t % 16][l])
                .rotate_left(1);
    }
}

/// Round `t`: the schedule word, then the round itself.
macro_rules! step {
    ($w:ident, $t:expr, $k:expr, $f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {
        expand(&mut $w, $t);
        round(&$a, &mut $b, &$c, &$d, &mut $e, &$w[($t) % 16], $k, $f);
    };
}

/// Five rounds from `t`, after which the variables are back in place.
macro_rules! five_rounds {
    ($w:ident, $t:expr, $k:expr, $f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {
        step!($w, $t, $k, $f, $a, $b, $c, $d, $e);
        step!($w, $t + 1, $k, $f, $e, $a, $b, $c, $d);
        step!($w, $t + 2, $k, $f, $d, $e, $a, $b, $c);
        step!($w, $t + 3, $k, $f, $c, $d, $e, $a, $b);
        step!($w, $t + 4, $k, $f, $b, $c, $d, $e, $a);
    };
}

/// Twenty rounds (one of SHA-1's four stages) from `t`.
macro_rules! stage {
    ($w:ident, $t:expr, $k:expr, $f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {
        five_rounds!($w, $t, $k, $f, $a, $b, $c, $d, $e);
        five_rounds!($w, $t + 5, $k, $f, $a, $b, $c, $d, $e);
        five_rounds!($w, $t + 10, $k, $f, $a, $b, $c, $d, $e);
        five_rounds!($w, $t + 15, $k, $f, $a, $b, $c, $d, $e);
    };
}

/// SHA-1's block function on 16 lanes: hashes `blocks[l]` into lane `l` of
/// `state`. Portable; see the module doc for why it is always inlined.
#[inline(always)]
pub fn sha1_compress_lanes(state: &mut Sha1LanesState, blocks: &[&[u8; 64]; SHA1_LANES]) {
    // The message words, lane-major: w[t][l] (then the schedule's ring).
    let mut w = [[0u32; SHA1_LANES]; 16];
    for (l, block) in blocks.iter().enumerate() {
        let (words, _) = block.as_chunks::<4>();
        for (t, word) in words.iter().enumerate() {
            w[t][l] = u32::from_be_bytes(*word);
        }
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    stage!(w, 0, 0x5A82_7999, choose, a, b, c, d, e);
    stage!(w, 20, 0x6ED9_EBA1, parity, a, b, c, d, e);
    stage!(w, 40, 0x8F1B_BCDC, majority, a, b, c, d, e);
    stage!(w, 60, 0xCA62_C1D6, parity, a, b, c, d, e);
    for (word, v) in state.iter_mut().zip([a, b, c, d, e]) {
        for l in 0..SHA1_LANES {
            word[l] = word[l].wrapping_add(v[l]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lane_is_the_sha1_block_function() {
        let data: alloc::vec::Vec<[u8; 64]> = (0..SHA1_LANES * 3)
            .map(|i| core::array::from_fn(|j| (i * 73 + j * 13 + (i ^ j)) as u8))
            .collect();
        // Different starting states per lane, three blocks each.
        let mut one: [[u32; 5]; SHA1_LANES] = core::array::from_fn(|l| {
            core::array::from_fn(|w| 0x0123_4567u32.wrapping_mul((l * 5 + w + 1) as u32))
        });
        let mut lanes: Sha1LanesState =
            core::array::from_fn(|w| core::array::from_fn(|l| one[l][w]));
        for round in 0..3 {
            let blocks: [&[u8; 64]; SHA1_LANES] =
                core::array::from_fn(|l| &data[round * SHA1_LANES + l]);
            sha1_compress_lanes(&mut lanes, &blocks);
            for (l, s) in one.iter_mut().enumerate() {
                sha1::block_api::compress(s, &[data[round * SHA1_LANES + l]]);
            }
        }
        for (l, s) in one.iter().enumerate() {
            for w in 0..5 {
                assert_eq!(lanes[w][l], s[w], "lane {l} word {w}");
            }
        }
    }
}
