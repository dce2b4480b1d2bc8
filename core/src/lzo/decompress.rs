//! Safe LZO1X decompression (spec/oncp.md §8.2–§8.4).
//!
//! Accepts the reference (liblzo2) format, including the M1 match or
//! 3-byte match directly after an initial literal run, which OpenConnect's
//! decoder rejects (§8.4). Like OpenConnect (and unlike liblzo2) it
//! requires the end marker to be exactly `11 00 00` and to be the last
//! byte of the input.
//!
//! Every read and write is bounds-checked and the output never grows past
//! the caller's buffer. For speed, short copies are done in whole 4/8/16
//! byte chunks when the buffers have room for them, so bytes of the output
//! buffer *after* the returned length may be overwritten with scratch data.

use alloc::vec::Vec;

use super::LzoError;

/// Longest run of zero bytes accepted in an extended length (bounds the
/// value far above any real packet while preventing overflow).
const MAX_ZERO_RUN: usize = 1 << 16;

/// Reads the byte at `*ip` and advances.
#[inline(always)]
fn next(input: &[u8], ip: &mut usize) -> Result<u8, LzoError> {
    match input.get(*ip) {
        Some(&b) => {
            *ip += 1;
            Ok(b)
        }
        None => Err(LzoError::Truncated(input.len())),
    }
}

/// Reads two bytes (a match's distance field) and advances.
#[inline(always)]
fn next2(input: &[u8], ip: &mut usize) -> Result<(usize, usize), LzoError> {
    match input.get(*ip..*ip + 2) {
        Some(&[b0, b1]) => {
            *ip += 2;
            Ok((b0 as usize, b1 as usize))
        }
        _ => Err(LzoError::Truncated(input.len())),
    }
}

/// The extended part of `ext(x, mask)` once the low bits of `x` were
/// found zero: 255 per `00` byte, ended by a non-zero byte `b`; the value
/// is `255·zeros + mask + b`.
#[cold]
fn ext(input: &[u8], ip: &mut usize, mask: usize) -> Result<usize, LzoError> {
    let start = *ip;
    let rest = input.get(start..).unwrap_or(&[]);
    let zeros = rest.iter().take(MAX_ZERO_RUN + 1).position(|&b| b != 0);
    match zeros {
        Some(z) => {
            *ip = start + z + 1;
            Ok(255 * z + mask + rest[z] as usize)
        }
        None if rest.len() > MAX_ZERO_RUN => Err(LzoError::LengthOverflow(start)),
        None => Err(LzoError::Truncated(input.len())),
    }
}

/// Copies `n` literals from the input to the output.
#[inline(always)]
fn literals(
    input: &[u8],
    ip: &mut usize,
    out: &mut [u8],
    op: &mut usize,
    n: usize,
) -> Result<(), LzoError> {
    let (i, o) = (*ip, *op);
    if n <= 16 && input.len() >= i + 16 && out.len() >= o + 16 {
        // Room for a whole chunk on both sides: copy 16, keep n.
        out[o..o + 16].copy_from_slice(&input[i..i + 16]);
    } else {
        if input.len() - i < n {
            return Err(LzoError::Truncated(input.len()));
        }
        if out.len() - o < n {
            return Err(LzoError::OutputFull {
                at: i,
                limit: out.len(),
            });
        }
        out[o..o + n].copy_from_slice(&input[i..i + n]);
    }
    *ip = i + n;
    *op = o + n;
    Ok(())
}

/// Copies the 1–3 literals that trail a match.
#[inline(always)]
fn trailing_literals(
    input: &[u8],
    ip: &mut usize,
    out: &mut [u8],
    op: &mut usize,
    t: usize,
) -> Result<(), LzoError> {
    let (i, o) = (*ip, *op);
    if input.len() >= i + 4 && out.len() >= o + 4 {
        out[o..o + 4].copy_from_slice(&input[i..i + 4]);
        *ip = i + t;
        *op = o + t;
        Ok(())
    } else {
        literals(input, ip, out, op, t)
    }
}

/// Copies `length` bytes from `distance` back, forward byte by byte in
/// effect (so `distance < length` repeats the last `distance` bytes).
#[inline(always)]
fn copy_match(
    out: &mut [u8],
    op: usize,
    distance: usize,
    length: usize,
    at: usize,
) -> Result<(), LzoError> {
    if distance > op {
        return Err(LzoError::BadDistance {
            at,
            distance,
            produced: op,
        });
    }
    let room = out.len() - op;
    if length > room {
        return Err(LzoError::OutputFull {
            at,
            limit: out.len(),
        });
    }
    let from = op - distance;
    if distance >= 16 && room >= length + 16 {
        // Each 16-byte chunk reads only bytes written before it.
        let mut i = 0;
        loop {
            out.copy_within(from + i..from + i + 16, op + i);
            i += 16;
            if i >= length {
                break;
            }
        }
    } else if distance >= 8 && room >= length + 8 {
        let mut i = 0;
        loop {
            out.copy_within(from + i..from + i + 8, op + i);
            i += 8;
            if i >= length {
                break;
            }
        }
    } else if distance >= length {
        out.copy_within(from..from + length, op);
    } else {
        overlapping_copy(out, from, op, length);
    }
    Ok(())
}

/// A match shorter in distance than in length: the pattern of the last
/// `op - from` bytes repeats. Copies in doubling chunks, each from the
/// already repeated region (source and destination never overlap).
#[inline]
fn overlapping_copy(out: &mut [u8], from: usize, op: usize, length: usize) {
    if op - from == 1 {
        let b = out[from];
        out[op..op + length].fill(b);
        return;
    }
    let mut done = 0;
    while done < length {
        let n = (op + done - from).min(length - done);
        out.copy_within(from..from + n, op + done);
        done += n;
    }
}

/// Decompresses the LZO1X stream `input` into `out`, returning the number
/// of bytes written. `out.len()` is the output limit: a stream that would
/// produce more fails with [`LzoError::OutputFull`]. Bytes of `out` past
/// the returned length are unspecified (scratch space of chunked copies).
pub fn decompress_into(input: &[u8], out: &mut [u8]) -> Result<usize, LzoError> {
    let mut ip = 0usize;
    let mut op = 0usize;
    // `t`: trailing literals of the last match ("previous t");
    // `after_run`: the current instruction byte directly follows a
    // literal run (a byte ≤ 15 there is the 3-byte match).
    let mut t: usize;
    let mut after_run: bool;
    let mut x = next(input, &mut ip)?;
    if x >= 18 {
        let n = x as usize - 17;
        literals(input, &mut ip, out, &mut op, n)?;
        // liblzo2: a run of 4+ acts like a literal run, 1–3 like a
        // match's trailing literals.
        after_run = n >= 4;
        t = if n >= 4 { 0 } else { n };
        x = next(input, &mut ip)?;
    } else {
        t = 0;
        after_run = false;
    }
    loop {
        let at = ip - 1;
        let xs = x as usize;
        let (distance, length);
        if x >= 64 {
            // M2: LLLDDDTT B
            let b = next(input, &mut ip)? as usize;
            length = (xs >> 5) + 1;
            distance = (b << 3) + ((xs >> 2) & 7) + 1;
            t = xs & 3;
        } else if x >= 32 {
            // M3: 001LLLLL [ext] B0 B1
            let mut n = xs & 31;
            if n == 0 {
                n = ext(input, &mut ip, 31)?;
            }
            let (b0, b1) = next2(input, &mut ip)?;
            length = n + 2;
            distance = (b1 << 6) + (b0 >> 2) + 1;
            t = b0 & 3;
        } else if x >= 16 {
            // M4 or the end marker: 0001HLLL [ext] B0 B1
            let mut n = xs & 7;
            if n == 0 {
                n = ext(input, &mut ip, 7)?;
            }
            let (b0, b1) = next2(input, &mut ip)?;
            let d = ((xs & 8) << 11) + (b1 << 6) + (b0 >> 2);
            if d == 0 {
                if n != 1 {
                    return Err(LzoError::BadEndMarker(at));
                }
                if ip != input.len() {
                    return Err(LzoError::TrailingData(input.len() - ip));
                }
                return Ok(op);
            }
            length = n + 2;
            distance = 16384 + d;
            t = b0 & 3;
        } else if after_run {
            // The 3-byte match that may directly follow a literal run.
            let b = next(input, &mut ip)? as usize;
            length = 3;
            distance = 2049 + (b << 2) + (xs >> 2);
            t = xs & 3;
        } else if t == 0 {
            // Literal run: 0000LLLL [ext], then n + 3 literals.
            let mut n = xs;
            if n == 0 {
                n = ext(input, &mut ip, 15)?;
            }
            literals(input, &mut ip, out, &mut op, n + 3)?;
            after_run = true;
            x = next(input, &mut ip)?;
            continue;
        } else {
            // M1: a 2-byte match after a match's trailing literals.
            let b = next(input, &mut ip)? as usize;
            length = 2;
            distance = (b << 2) + (xs >> 2) + 1;
            t = xs & 3;
        }
        copy_match(out, op, distance, length, at)?;
        op += length;
        after_run = false;
        if t != 0 {
            trailing_literals(input, &mut ip, out, &mut op, t)?;
        }
        x = next(input, &mut ip)?;
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
