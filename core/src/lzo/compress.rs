//! LZO1X compression in the LZO1X-1 manner: a single-probe hash table of
//! 4-byte sequences, greedy matching, and a probe step that grows while no
//! match is found (so incompressible data passes quickly).
//!
//! The output decodes with liblzo2's `lzo1x_decompress_safe` and with
//! OpenConnect's stricter decoder: it never uses the M1 or 3-byte match
//! forms (so nothing after the initial literal run is below 16, spec §8.4),
//! only M2, M3 and M4 matches, literal runs and the end marker.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::LzoError;

const HASH_BITS: u32 = 14;
const MIN_MATCH: usize = 4;
const M2_MAX_LEN: usize = 8;
const M2_MAX_DIST: usize = 2048;
const M3_MAX_DIST: usize = 16384;
const M4_MAX_DIST: usize = 49151;
/// Literals that fit in the first byte of a stream (17 + n ≤ 255).
const FIRST_RUN_MAX: usize = 238;

/// The largest output [`Compressor::compress_into`] can produce for `n`
/// input bytes (the same bound as liblzo2's `lzo1x_worst_compress`:
/// n + n/16 + 64 + 3).
pub const fn worst_compressed_len(n: usize) -> usize {
    n + n / 16 + 64 + 3
}

/// A reusable LZO1X compressor: its 64 KiB hash table is allocated once
/// by [`Compressor::new`]; [`Compressor::compress_into`] allocates nothing.
#[derive(Clone)]
pub struct Compressor {
    /// `base + position` of the last 4-byte sequence seen per hash.
    table: Box<[u32; 1 << HASH_BITS]>,
    /// Added to positions so that entries of earlier calls (below `base`)
    /// are recognised as stale without clearing the table.
    base: u32,
}

impl core::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Compressor").finish_non_exhaustive()
    }
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

/// One 4-byte load (a byte-wise form makes four checked byte loads).
#[inline(always)]
fn le32(b: &[u8], i: usize) -> u32 {
    let (w, _) = b[i..].split_first_chunk::<4>().expect("4 bytes");
    u32::from_le_bytes(*w)
}

#[inline(always)]
fn hash(v: u32) -> usize {
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

/// How many bytes from `a` and `b` onwards are equal, `b` > `a`, not
/// reading past the end of `input`: 8 bytes a step, the first differing
/// byte found from the XOR's trailing zeros.
#[inline(always)]
fn common_len(input: &[u8], a: usize, b: usize) -> usize {
    // Most matches are short: one 8-byte comparison settles them.
    if let Some((y, _)) = input.get(b..).and_then(|y| y.split_first_chunk::<8>())
        && let Some((x, _)) = input.get(a..).and_then(|x| x.split_first_chunk::<8>())
    {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            return (diff.trailing_zeros() / 8) as usize;
        }
    }
    let (Some(x), Some(y)) = (input.get(a..), input.get(b..)) else {
        return 0;
    };
    let mut len = 0;
    for (p, q) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
        let p = u64::from_le_bytes(p.try_into().unwrap_or_default());
        let q = u64::from_le_bytes(q.try_into().unwrap_or_default());
        let diff = p ^ q;
        if diff != 0 {
            return len + (diff.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    len + x[len..]
        .iter()
        .zip(&y[len..])
        .take_while(|(p, q)| p == q)
        .count()
}

/// An output cursor over a buffer at least `worst_compressed_len` long.
struct Out<'o> {
    buf: &'o mut [u8],
    pos: usize,
}

impl Out<'_> {
    #[inline(always)]
    fn push(&mut self, b: u8) {
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    /// Several bytes with one bounds check.
    #[inline(always)]
    fn push_all<const N: usize>(&mut self, b: [u8; N]) {
        self.buf[self.pos..self.pos + N].copy_from_slice(&b);
        self.pos += N;
    }

    /// The extended part of a length: `00` per 255, then the rest (1–255).
    #[inline]
    fn push_ext(&mut self, mut rest: usize) {
        while rest > 255 {
            self.push(0);
            rest -= 255;
        }
        self.push(rest as u8);
    }

    /// Literals: as the first instruction, in the two low bits of the
    /// previous match's last-but-one byte (1–3, where every match form
    /// keeps its `t`), or as a literal run instruction (4 or more).
    /// The literals are `input[start..end]`.
    #[inline(always)]
    fn literals(&mut self, input: &[u8], start: usize, end: usize) {
        let n = end - start;
        if n == 0 {
            return;
        }
        if self.pos == 0 && n <= FIRST_RUN_MAX {
            self.push(17 + n as u8);
        } else if self.pos != 0 && n <= 3 {
            self.buf[self.pos - 2] |= n as u8;
        } else if n - 3 <= 15 {
            self.push((n - 3) as u8);
        } else {
            self.push(0);
            self.push_ext(n - 3 - 15);
        }
        // Short runs (most of them) as one fixed 16-byte copy where both
        // sides have the room; the bytes past the run are overwritten by
        // what follows or lie beyond the stream's end.
        if n <= 16 && start + 16 <= input.len() && self.pos + 16 <= self.buf.len() {
            self.buf[self.pos..self.pos + 16].copy_from_slice(&input[start..start + 16]);
        } else {
            self.buf[self.pos..self.pos + n].copy_from_slice(&input[start..end]);
        }
        self.pos += n;
    }

    /// A match as M2 (short and near), M3 (up to 16 KiB back) or M4.
    #[inline(always)]
    fn matched(&mut self, dist: usize, len: usize) {
        if len <= M2_MAX_LEN && dist <= M2_MAX_DIST {
            let d = dist - 1;
            let m2 = [(((len - 1) << 5) | ((d & 7) << 2)) as u8, (d >> 3) as u8];
            self.push_all(m2);
            return;
        }
        let (d, marker, mask) = if dist <= M3_MAX_DIST {
            (dist - 1, 32usize, 31usize)
        } else {
            let d = dist - 16384;
            (d, 16 | ((d >> 11) & 8), 7)
        };
        let l = len - 2;
        let tail = [((d & 63) << 2) as u8, ((d >> 6) & 255) as u8];
        if l <= mask {
            self.push_all([(marker | l) as u8, tail[0], tail[1]]);
        } else {
            self.push(marker as u8);
            self.push_ext(l - mask);
            self.push_all(tail);
        }
    }
}

impl Compressor {
    /// A compressor with an empty table.
    pub fn new() -> Self {
        Compressor {
            table: Box::new([0; 1 << HASH_BITS]),
            base: 1,
        }
    }

    /// Compresses `input` into `out`, returning the stream's length.
    /// `out` must hold at least [`worst_compressed_len`]`(input.len())`
    /// bytes, else [`LzoError::CompressBufferTooSmall`]. Bytes of `out`
    /// past the stream may be overwritten. No allocation.
    pub fn compress_into(&mut self, input: &[u8], out: &mut [u8]) -> Result<usize, LzoError> {
        let need = worst_compressed_len(input.len());
        if out.len() < need {
            return Err(LzoError::CompressBufferTooSmall {
                need,
                have: out.len(),
            });
        }
        Ok(self.compress_sized(input, out))
    }

    /// Compresses `input`, appending the LZO1X stream to `out` (which
    /// grows at most once).
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + worst_compressed_len(input.len()), 0);
        let n = self.compress_sized(input, &mut out[start..]);
        out.truncate(start + n);
    }

    /// The compressor proper; `out` is at least `worst_compressed_len`
    /// long (that bound covers every stream it writes).
    fn compress_sized(&mut self, input: &[u8], out: &mut [u8]) -> usize {
        let n = input.len();
        // Reset the table before `base + position` could wrap.
        if u64::from(self.base) + n as u64 + 2 >= u64::from(u32::MAX) {
            self.table.fill(0);
            self.base = 1;
        }
        let mut out = Out { buf: out, pos: 0 };
        // Up to M4's reach every earlier position is a legal match source,
        // so the probe loop needs no distance test (packets, the common case).
        let lit_start = if n <= M4_MAX_DIST + 1 {
            self.probe::<false>(input, &mut out)
        } else {
            self.probe::<true>(input, &mut out)
        };
        out.literals(input, lit_start, n);
        out.push(0x11);
        out.push(0);
        out.push(0);
        self.base += n as u32 + 1;
        out.pos
    }

    /// The match search over `input` (at least 5 bytes are needed for it to
    /// find anything), writing literals and matches; returns where the
    /// final literal run starts. `FAR` tests each match's distance against
    /// M4's reach (inputs longer than that reach).
    #[inline(always)]
    fn probe<const FAR: bool>(&mut self, input: &[u8], out: &mut Out<'_>) -> usize {
        let n = input.len();
        if n < MIN_MATCH + 1 {
            return 0;
        }
        let base = self.base;
        let table = &mut *self.table;
        // The last position a 4-byte probe may start at.
        let last = n - MIN_MATCH;
        // Position 0 is entered up front and probing starts at 1, so a
        // stale entry (from an earlier call, below `base`) can stand for
        // position 0: always an earlier position, so a real match source
        // when its bytes agree. That keeps the probe to one branch.
        table[hash(le32(input, 0))] = base;
        let mut lit_start = 0usize;
        let mut ip = 1usize;
        while ip <= last {
            let v = le32(input, ip);
            let slot = &mut table[hash(v)];
            let here = base + ip as u32;
            // The distance back to the entry; a stale one lies beyond the
            // input's start and so stands for position 0.
            let back = here.wrapping_sub(*slot) as usize;
            *slot = here;
            let c = ip.saturating_sub(back);
            if le32(input, c) != v || (FAR && ip - c > M4_MAX_DIST) {
                // No match: step further the longer the literal run grows.
                ip += 1 + ((ip - lit_start) >> 5);
                continue;
            }
            let dist = ip - c;
            let len = MIN_MATCH + common_len(input, c + MIN_MATCH, ip + MIN_MATCH);
            out.literals(input, lit_start, ip);
            out.matched(dist, len);
            ip += len;
            lit_start = ip;
        }
        lit_start
    }
}
