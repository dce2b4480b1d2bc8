//! HMAC-SHA1 (RFC 2104) on the `sha1` crate's block function
//! (`sha1::block_api::compress`, SHA-NI when the CPU has it, detected at
//! run time). The key's inner and outer pad blocks are hashed once per SA;
//! a message then costs only its own blocks plus the final inner block and
//! one outer block. Working on the raw 160-bit state lets a batch hash
//! several packets block by block in turn, so the SHA unit works on
//! independent chains instead of waiting on one (see `batch.rs`).

use sha1::block_api::compress;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// SHA-1 block length.
pub(crate) const SHA1_BLOCK: usize = 64;
/// SHA-1 digest length.
pub(crate) const SHA1_LEN: usize = 20;

const INIT: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// A keyed HMAC-SHA1: the states after the inner and the outer pad block.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct HmacSha1Key {
    inner: [u32; 5],
    outer: [u32; 5],
}

/// Hashes one whole block into `state`.
#[inline(always)]
pub(crate) fn absorb(state: &mut [u32; 5], block: &[u8]) {
    let (blocks, _) = block.as_chunks::<SHA1_BLOCK>();
    compress(state, blocks);
}

/// Writes the final block(s) of a message into `out`: `tail` (under 64
/// bytes), `80`, zeros, and the bit length of the `total` bytes hashed
/// (pad block included); returns how many blocks that is (1 or 2).
#[inline(always)]
pub(crate) fn final_blocks(out: &mut [u8; 2 * SHA1_BLOCK], tail: &[u8], total: usize) -> usize {
    out[..tail.len()].copy_from_slice(tail);
    out[tail.len()] = 0x80;
    let end = if tail.len() < SHA1_BLOCK - 8 {
        SHA1_BLOCK
    } else {
        2 * SHA1_BLOCK
    };
    out[end - 8..end].copy_from_slice(&((total as u64) * 8).to_be_bytes());
    end / SHA1_BLOCK
}

/// Hashes the final block(s) of a message (see [`final_blocks`]).
#[inline(always)]
fn finish(state: &mut [u32; 5], tail: &[u8], total: usize) {
    let mut last = [0u8; 2 * SHA1_BLOCK];
    let count = final_blocks(&mut last, tail, total);
    let (blocks, _) = last[..count * SHA1_BLOCK].as_chunks::<SHA1_BLOCK>();
    compress(state, blocks);
    last.zeroize();
}

/// The digest bytes of a state.
pub(crate) fn digest(state: &[u32; 5]) -> [u8; SHA1_LEN] {
    let mut out = [0u8; SHA1_LEN];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

impl HmacSha1Key {
    /// Keys the HMAC (a key longer than a block is hashed first, RFC 2104).
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut k = [0u8; SHA1_BLOCK];
        if key.len() > SHA1_BLOCK {
            let mut s = INIT;
            let whole = key.len() / SHA1_BLOCK * SHA1_BLOCK;
            for b in key[..whole].chunks_exact(SHA1_BLOCK) {
                absorb(&mut s, b);
            }
            finish(&mut s, &key[whole..], key.len());
            k[..SHA1_LEN].copy_from_slice(&digest(&s));
            s.zeroize();
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let mut pad = [0u8; SHA1_BLOCK];
        let mut keyed = |x: u8| {
            for (p, b) in pad.iter_mut().zip(&k) {
                *p = b ^ x;
            }
            let mut s = INIT;
            absorb(&mut s, &pad);
            s
        };
        let (inner, outer) = (keyed(0x36), keyed(0x5c));
        pad.zeroize();
        k.zeroize();
        HmacSha1Key { inner, outer }
    }

    /// The state to hash a message's whole blocks into with [`absorb`].
    #[inline(always)]
    pub(crate) fn start(&self) -> [u32; 5] {
        self.inner
    }

    /// The state to hash the inner digest into (the outer pad block hashed).
    #[inline(always)]
    pub(crate) fn outer_start(&self) -> [u32; 5] {
        self.outer
    }

    /// The MAC of a message of `len` bytes whose whole blocks went into
    /// `state` and whose last `len % 64` bytes are `tail`.
    #[inline(always)]
    pub(crate) fn end(&self, mut state: [u32; 5], tail: &[u8], len: usize) -> [u8; SHA1_LEN] {
        finish(&mut state, tail, SHA1_BLOCK + len);
        let mut inner = digest(&state);
        state.zeroize();
        let mut outer = self.outer;
        finish(&mut outer, &inner, SHA1_BLOCK + SHA1_LEN);
        inner.zeroize();
        digest(&outer)
    }

    /// The MAC of `data`.
    pub(crate) fn mac(&self, data: &[u8]) -> [u8; SHA1_LEN] {
        let whole = data.len() / SHA1_BLOCK * SHA1_BLOCK;
        let mut s = self.start();
        let (blocks, _) = data[..whole].as_chunks::<SHA1_BLOCK>();
        compress(&mut s, blocks);
        self.end(s, &data[whole..], data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc2202_vectors() {
        let long_key = [0xaau8; 80];
        let cases: [(&[u8], &[u8], &str); 4] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                &[0xaa; 20],
                &[0xdd; 50],
                "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            ),
            (
                &long_key,
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(HmacSha1Key::new(key).mac(data).to_vec(), hex(want));
        }
    }

    #[test]
    fn every_length_matches_the_hmac_crate() {
        let data: alloc::vec::Vec<u8> = (0..300u32).map(|i| (i * 31 + 7) as u8).collect();
        for key_len in [0, 1, 20, 63, 64, 65, 100] {
            let key = &data[..key_len];
            let ours = HmacSha1Key::new(key);
            for n in 0..data.len() {
                let mut m = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key).unwrap();
                m.update(&data[..n]);
                assert_eq!(
                    ours.mac(&data[..n])[..],
                    m.finalize().into_bytes()[..],
                    "key {key_len}, length {n}"
                );
            }
        }
    }
}
