//! LZO1X compression in the LZO1X-1 manner: a single-probe hash table of
//! 4-byte sequences, greedy matching.
//!
//! The output decodes with liblzo2's `lzo1x_decompress_safe` and with
//! OpenConnect's stricter decoder: it never uses the M1 or 3-byte match
//! forms (so nothing after the initial literal run is below 16, spec §8.4),
//! only M2, M3 and M4 matches, literal runs and the end marker.

use alloc::vec;
use alloc::vec::Vec;

const HASH_BITS: u32 = 14;
const MIN_MATCH: usize = 4;
const M2_MAX_LEN: usize = 8;
const M2_MAX_DIST: usize = 2048;
const M3_MAX_DIST: usize = 16384;
const M4_MAX_DIST: usize = 49151;

/// The largest output [`Compressor::compress`] can produce for `n` input
/// bytes (liblzo2's bound: n + n/16 + 64 + 3).
pub const fn worst_compressed_len(n: usize) -> usize {
    n + n / 16 + 64 + 3
}

/// A reusable LZO1X compressor. Its hash table is allocated once; calls
/// do not allocate beyond growing the output vector.
#[derive(Clone)]
pub struct Compressor {
    /// Positions (plus `base`) of the last 4-byte sequence per hash.
    table: Vec<u32>,
    /// Added to positions so that entries of earlier calls are stale.
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

#[inline]
fn hash(b: &[u8]) -> usize {
    let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

fn push_ext(out: &mut Vec<u8>, mut rest: usize) {
    while rest > 255 {
        out.push(0);
        rest -= 255;
    }
    out.push(rest as u8);
}

impl Compressor {
    /// A compressor with an empty table.
    pub fn new() -> Self {
        Compressor {
            table: vec![0; 1 << HASH_BITS],
            base: 1,
        }
    }

    /// Compresses `input`, appending the LZO1X stream to `out`.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(worst_compressed_len(input.len()));
        // Positions stored are `base + pos`; entries below `base` belong to
        // earlier calls. Reset the table before the counter could wrap.
        if (self.base as u64) + (input.len() as u64) + 1 >= u32::MAX as u64 {
            self.table.fill(0);
            self.base = 1;
        }
        let base = self.base;
        let mut lit_start = 0usize;
        let mut first = true;
        // Index into `out` of the last match's first byte, whose low two
        // bits take the count of 1–3 following literals.
        let mut last_match: Option<usize> = None;
        let mut i = 0usize;
        while input.len() >= MIN_MATCH && i + MIN_MATCH <= input.len() {
            let h = hash(&input[i..]);
            let cand = self.table[h];
            self.table[h] = base + i as u32;
            let found = (cand >= base).then(|| (cand - base) as usize).filter(|&c| {
                i - c <= M4_MAX_DIST && input[c..c + MIN_MATCH] == input[i..i + MIN_MATCH]
            });
            let Some(c) = found else {
                i += 1;
                continue;
            };
            let mut len = MIN_MATCH;
            while i + len < input.len() && input[c + len] == input[i + len] {
                len += 1;
            }
            let dist = i - c;
            // M4 distances must exceed 16384; a match that fits none of
            // the forms is skipped.
            if dist > M3_MAX_DIST && dist < 16385 {
                i += 1;
                continue;
            }
            emit_literals(out, &input[lit_start..i], &mut first, last_match);
            last_match = Some(out.len());
            emit_match(out, dist, len);
            first = false;
            // Index a few positions inside the match for later matches.
            let end = i + len;
            let mut j = i + 1;
            while j + MIN_MATCH <= input.len() && j < end {
                self.table[hash(&input[j..])] = base + j as u32;
                j += 2;
            }
            i = end;
            lit_start = i;
        }
        emit_literals(out, &input[lit_start..], &mut first, last_match);
        out.extend_from_slice(&[0x11, 0x00, 0x00]);
        self.base = base + input.len() as u32 + 1;
    }
}

/// Emits literals: as the first instruction, in the trailing bits of the
/// previous match (1–3), or as a literal run instruction (4 or more).
fn emit_literals(out: &mut Vec<u8>, lits: &[u8], first: &mut bool, last_match: Option<usize>) {
    let n = lits.len();
    if n == 0 {
        return;
    }
    if *first {
        *first = false;
        if n <= 238 {
            out.push(17 + n as u8);
        } else {
            push_run_header(out, n);
        }
    } else if n <= 3 {
        let m = last_match.expect("literals after the first follow a match");
        // M2 keeps t in its first byte; M3/M4 in the byte after the length.
        let at = if out[m] >= 64 {
            m
        } else {
            trailing_byte_of(out, m)
        };
        out[at] |= n as u8;
    } else {
        push_run_header(out, n);
    }
    out.extend_from_slice(lits);
}

fn push_run_header(out: &mut Vec<u8>, n: usize) {
    let l = n - 3;
    if l <= 15 {
        out.push(l as u8);
    } else {
        out.push(0);
        push_ext(out, l - 15);
    }
}

/// For an M3/M4 match starting at `m`, the index of its B0 byte (after any
/// extended-length bytes).
fn trailing_byte_of(out: &[u8], m: usize) -> usize {
    let mask = if out[m] >= 32 { 31 } else { 7 };
    let mut k = m + 1;
    if out[m] & mask == 0 {
        while out[k] == 0 {
            k += 1;
        }
        k += 1;
    }
    k
}

fn emit_match(out: &mut Vec<u8>, dist: usize, len: usize) {
    if len <= M2_MAX_LEN && dist <= M2_MAX_DIST {
        let d = dist - 1;
        out.push((((len - 1) << 5) | ((d & 7) << 2)) as u8);
        out.push((d >> 3) as u8);
    } else if dist <= M3_MAX_DIST {
        let d = dist - 1;
        let l = len - 2;
        if l <= 31 {
            out.push(32 | l as u8);
        } else {
            out.push(32);
            push_ext(out, l - 31);
        }
        out.push(((d & 63) << 2) as u8);
        out.push((d >> 6) as u8);
    } else {
        let d = dist - 16384;
        let h = ((d >> 14) & 1) as u8;
        let l = len - 2;
        if l <= 7 {
            out.push(16 | (h << 3) | l as u8);
        } else {
            out.push(16 | (h << 3));
            push_ext(out, l - 7);
        }
        out.push(((d & 63) << 2) as u8);
        out.push(((d >> 6) & 255) as u8);
    }
}
