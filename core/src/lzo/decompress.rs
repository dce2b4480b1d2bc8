//! Safe LZO1X decompression (spec/oncp.md §8.2–§8.4).
//!
//! Accepts the reference (liblzo2) format, including the M1 match or
//! 3-byte match directly after an initial literal run, which OpenConnect's
//! decoder rejects (§8.4). Every read and write is bounds-checked; the
//! output never grows past the caller's limit; the end marker must be the
//! last byte of the input.

use alloc::vec::Vec;

use super::LzoError;

/// Longest run of zero bytes accepted in an extended length (bounds the
/// value far above any real packet while preventing overflow).
const MAX_ZERO_RUN: usize = 1 << 16;

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    #[inline]
    fn byte(&mut self) -> Result<u8, LzoError> {
        let b = *self
            .input
            .get(self.pos)
            .ok_or(LzoError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    /// `ext(x, mask)`: the low bits of `x` if non-zero, else an extended
    /// length of zero bytes (255 each) ended by a non-zero byte.
    #[inline]
    fn ext(&mut self, x: u8, mask: u8) -> Result<usize, LzoError> {
        let low = (x & mask) as usize;
        if low != 0 {
            return Ok(low);
        }
        let start = self.pos;
        let mut zeros = 0usize;
        loop {
            let b = self.byte()?;
            if b != 0 {
                return Ok(255 * zeros + mask as usize + b as usize);
            }
            zeros += 1;
            if zeros > MAX_ZERO_RUN {
                return Err(LzoError::LengthOverflow(start));
            }
        }
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&[u8], LzoError> {
        let s = self
            .input
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or(LzoError::Truncated(self.input.len()))?;
        self.pos += n;
        Ok(s)
    }
}

struct Writer<'o> {
    out: &'o mut [u8],
    len: usize,
}

impl Writer<'_> {
    #[inline]
    fn literals(&mut self, src: &[u8], at: usize) -> Result<(), LzoError> {
        let end = self.len + src.len();
        let limit = self.out.len();
        let dst = self
            .out
            .get_mut(self.len..end)
            .ok_or(LzoError::OutputFull { at, limit })?;
        dst.copy_from_slice(src);
        self.len = end;
        Ok(())
    }

    #[inline]
    fn copy_match(&mut self, distance: usize, length: usize, at: usize) -> Result<(), LzoError> {
        if distance > self.len || distance == 0 {
            return Err(LzoError::BadDistance {
                at,
                distance,
                produced: self.len,
            });
        }
        let end = self.len + length;
        if end > self.out.len() {
            return Err(LzoError::OutputFull {
                at,
                limit: self.out.len(),
            });
        }
        let from = self.len - distance;
        if distance >= length {
            self.out.copy_within(from..from + length, self.len);
        } else {
            for i in 0..length {
                self.out[self.len + i] = self.out[from + i];
            }
        }
        self.len = end;
        Ok(())
    }
}

/// Decompresses `input` into `out`, returning the number of bytes written.
/// `out.len()` is the output limit.
pub fn decompress_into(input: &[u8], out: &mut [u8]) -> Result<usize, LzoError> {
    let mut r = Reader { input, pos: 0 };
    let mut w = Writer { out, len: 0 };
    // State: `t` trailing literals of the last match; `after_run` when the
    // current instruction byte directly follows a literal run.
    let mut t: usize;
    let mut after_run: bool;
    let mut x = r.byte()?;
    if x >= 18 {
        let n = x as usize - 17;
        let at = r.pos;
        w.literals(r.take(n)?, at)?;
        // liblzo2: a run of 4+ acts like a literal run, 1–3 like a match's
        // trailing literals.
        after_run = n >= 4;
        t = if n >= 4 { 0 } else { n };
        x = r.byte()?;
    } else {
        t = 0;
        after_run = false;
    }
    loop {
        let at = r.pos - 1;
        if x >= 64 {
            let length = (x as usize >> 5) + 1;
            let b = r.byte()? as usize;
            let distance = b * 8 + ((x as usize >> 2) & 7) + 1;
            w.copy_match(distance, length, at)?;
            t = x as usize & 3;
        } else if x >= 32 {
            let length = r.ext(x, 31)? + 2;
            let b0 = r.byte()? as usize;
            let b1 = r.byte()? as usize;
            let distance = b1 * 64 + (b0 >> 2) + 1;
            w.copy_match(distance, length, at)?;
            t = b0 & 3;
        } else if x >= 16 {
            let n = r.ext(x, 7)?;
            let b0 = r.byte()? as usize;
            let b1 = r.byte()? as usize;
            let distance = 16384 + ((x as usize & 8) << 11) + b1 * 64 + (b0 >> 2);
            if distance == 16384 {
                if n != 1 {
                    return Err(LzoError::BadEndMarker(at));
                }
                if r.pos != input.len() {
                    return Err(LzoError::TrailingData(input.len() - r.pos));
                }
                return Ok(w.len);
            }
            w.copy_match(distance, n + 2, at)?;
            t = b0 & 3;
        } else if after_run {
            // The 3-byte match that may directly follow a literal run.
            let b = r.byte()? as usize;
            let distance = 2048 + b * 4 + (x as usize >> 2) + 1;
            w.copy_match(distance, 3, at)?;
            t = x as usize & 3;
        } else if t == 0 {
            let n = r.ext(x, 15)? + 3;
            let lit_at = r.pos;
            w.literals(r.take(n)?, lit_at)?;
            after_run = true;
            x = r.byte()?;
            continue;
        } else {
            // M1: a 2-byte match after a match's trailing literals.
            let b = r.byte()? as usize;
            let distance = b * 4 + (x as usize >> 2) + 1;
            w.copy_match(distance, 2, at)?;
            t = x as usize & 3;
        }
        after_run = false;
        if t > 0 {
            let lit_at = r.pos;
            w.literals(r.take(t)?, lit_at)?;
        }
        x = r.byte()?;
    }
}

/// Decompresses `input` into a new vector of at most `limit` bytes.
pub fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, LzoError> {
    // Output is bounded by the limit and, loosely, by what the input can
    // express; never allocate more than needed for small inputs.
    let cap = limit.min(input.len().saturating_mul(256).saturating_add(64));
    let mut out = alloc::vec![0u8; cap];
    match decompress_into(input, &mut out) {
        Ok(n) => {
            out.truncate(n);
            Ok(out)
        }
        Err(LzoError::OutputFull { at, .. }) if cap < limit => {
            // The estimate was too small: try with the full limit.
            let mut out = alloc::vec![0u8; limit];
            let n = decompress_into(input, &mut out).map_err(|e| match e {
                LzoError::OutputFull { .. } => LzoError::OutputFull { at, limit },
                e => e,
            })?;
            out.truncate(n);
            Ok(out)
        }
        Err(e) => Err(e),
    }
}
