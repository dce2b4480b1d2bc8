//! Core's 16-lane SHA-1 block function (`oncp_core::esp::sha1_compress_lanes`)
//! compiled for AVX-512 and installed for ESP batches when the CPU has it.
//! Core cannot do this itself: calling code built for a CPU feature takes
//! `unsafe`, which core forbids. This module and `tun::offload_ioctl` are
//! the only places in oncp with `unsafe`.
//!
//! Measured on the 2-core CI VM (Xeon with SHA-NI and AVX-512): 19 ns per
//! block per lane, against 33 ns for one SHA-NI block, so a full batch of
//! 16 packets hashes in a little over half the time.
#![allow(unsafe_code)]

use oncp_core::esp::{SHA1_LANES, Sha1LanesState, install_sha1_lanes, sha1_compress_lanes};

/// The vector extension the installed block function was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sha1Lanes {
    /// AVX-512 (F and VL): one instruction per step for all 16 lanes.
    Avx512,
}

/// Whether this CPU runs [`compress_avx512`].
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// The portable block function, compiled with AVX-512 enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl")]
fn compress_avx512_unchecked(state: &mut Sha1LanesState, blocks: &[&[u8; 64]; SHA1_LANES]) {
    sha1_compress_lanes(state, blocks)
}

/// The AVX-512 block function, falling back to the portable one on a CPU
/// without AVX-512 (never the case once installed; the check is a cached
/// load and keeps this function sound for any caller).
#[cfg(target_arch = "x86_64")]
fn compress_avx512(state: &mut Sha1LanesState, blocks: &[&[u8; 64]; SHA1_LANES]) {
    if has_avx512() {
        // SAFETY: the CPU has AVX-512 F and VL (checked just above), the
        // only requirement of a `target_feature(enable = "avx512f,avx512vl")`
        // function; its arguments are ordinary references.
        unsafe { compress_avx512_unchecked(state, blocks) }
    } else {
        sha1_compress_lanes(state, blocks)
    }
}

/// Installs the fastest lanes block function this CPU has, if any beats
/// one-at-a-time SHA-NI (only AVX-512 does); returns which one is in use.
/// Called once at start; `ONCP_NO_SHA1_LANES=1` leaves it out (to compare).
pub fn install() -> Option<Sha1Lanes> {
    if std::env::var_os("ONCP_NO_SHA1_LANES").is_some_and(|v| v != "0") {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        install_sha1_lanes(compress_avx512);
        return Some(Sha1Lanes::Avx512);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_build_computes_the_portable_function() {
        let data: Vec<[u8; 64]> = (0..SHA1_LANES)
            .map(|i| std::array::from_fn(|j| (i * 29 + j * 7) as u8))
            .collect();
        let blocks: [&[u8; 64]; SHA1_LANES] = std::array::from_fn(|l| &data[l]);
        let start: Sha1LanesState =
            std::array::from_fn(|w| std::array::from_fn(|l| (w * 100 + l) as u32));
        let (mut fast, mut slow) = (start, start);
        for _ in 0..3 {
            compress_avx512(&mut fast, &blocks);
            sha1_compress_lanes(&mut slow, &blocks);
        }
        assert_eq!(fast, slow);
        assert_ne!(fast, start);
        if !has_avx512() {
            eprintln!("no AVX-512 here: only the fallback was compared");
        }
    }
}
