//! Internet checksums (RFC 1071), as the offloads need them: sums that can
//! be carried between parts (pseudo-header, header, payload) and folded at
//! the end.

use core::net::{Ipv4Addr, Ipv6Addr};

/// Adds `data` to the running sum `acc`, as 16-bit big-endian words (an
/// odd last byte padded with zero). `data` must start at an even offset of
/// what is being summed. The result is not folded: pass it on, then
/// [`fold`] it.
pub fn add(mut acc: u64, data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_be_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        // Two 32-bit halves: 2^32 ≡ 1 (mod 2^16 - 1), so their sum folds
        // to the sum of the four 16-bit words.
        acc += (v >> 32) + (v & 0xffff_ffff);
    }
    let mut rest = words.remainder().chunks_exact(2);
    for c in &mut rest {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = rest.remainder() {
        acc += u64::from(*b) << 8;
    }
    acc
}

/// Folds a running sum to 16 bits (one's complement addition of the
/// carries); not inverted.
pub fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The checksum field value for the running sum `acc` (folded, inverted).
pub fn finish(acc: u64) -> u16 {
    !fold(acc)
}

/// The running sum of the IPv4 pseudo-header for `protocol` and an
/// upper-layer length of `len` bytes.
pub fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, len: usize) -> u64 {
    let acc = add(add(0, &src.octets()), &dst.octets());
    acc + u64::from(protocol) + len as u64
}

/// The running sum of the IPv6 pseudo-header for `next_header` and an
/// upper-layer length of `len` bytes.
pub fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: usize) -> u64 {
    let acc = add(add(0, &src.octets()), &dst.octets());
    acc + u64::from(next_header) + len as u64
}

/// Recomputes the header checksum of the IPv4 header `h` (its whole
/// length, options included) in place.
pub fn fix_ipv4_header(h: &mut [u8]) {
    if h.len() < 20 {
        return;
    }
    h[10] = 0;
    h[11] = 0;
    let c = finish(add(0, h));
    h[10..12].copy_from_slice(&c.to_be_bytes());
}
