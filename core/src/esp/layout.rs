//! Sizes and fixed fields of an oNCP ESP packet (spec/oncp.md §7.2):
//! SPI ‖ sequence ‖ IV ‖ ciphertext(payload ‖ padding ‖ pad length ‖ next
//! header) ‖ ICV.

use super::algorithm::{BLOCK_LEN, ICV_LEN, Integrity, MAX_ICV_LEN};

/// SPI (4) + sequence number (4) + IV (16): the bytes before the ciphertext,
/// i.e. the headroom a caller leaves in front of the payload.
pub const HEADER_LEN: usize = 8 + BLOCK_LEN;

/// The most bytes that follow the payload: 15 padding, pad length, next
/// header and the longest ICV (16 bytes, HMAC-SHA-256-128). With
/// [`HEADER_LEN`] of headroom and this much tailroom any payload can be
/// encrypted in place with any algorithm.
pub const MAX_TRAILER_LEN: usize = (BLOCK_LEN - 1) + 2 + MAX_ICV_LEN;

/// The smallest datagram that can carry a packet: header, one block, ICV.
pub const MIN_PACKET_LEN: usize = HEADER_LEN + BLOCK_LEN + ICV_LEN;

/// Length of a probe (payload `00`): 52 bytes (spec §7.6).
pub const PROBE_LEN: usize = packet_len(1);

/// Bytes of ciphertext for a payload of `payload_len` bytes: payload, pad
/// length and next header rounded up to whole blocks.
pub const fn ciphertext_len(payload_len: usize) -> usize {
    (payload_len + 2).div_ceil(BLOCK_LEN) * BLOCK_LEN
}

/// Padding bytes for a payload of `payload_len` bytes:
/// `15 − ((P + 1) mod 16)` (spec §7.2).
pub const fn padding_len(payload_len: usize) -> usize {
    ciphertext_len(payload_len) - payload_len - 2
}

/// Whole ESP packet length for a payload of `payload_len` bytes with a
/// 12-byte ICV (the HMAC-96 algorithms).
pub const fn packet_len(payload_len: usize) -> usize {
    HEADER_LEN + ciphertext_len(payload_len) + ICV_LEN
}

/// Whole ESP packet length for a payload of `payload_len` bytes with the
/// ICV of `integrity` (a Pulse SHA-256 probe is 56 bytes).
pub const fn packet_len_with(integrity: Integrity, payload_len: usize) -> usize {
    HEADER_LEN + ciphertext_len(payload_len) + integrity.icv_len()
}

/// The SPI of an ESP datagram, for picking its SA (`None` if shorter than
/// an SPI). Unauthenticated until the SA's ICV check passes.
pub fn spi_of(datagram: &[u8]) -> Option<u32> {
    if datagram.len() < 4 {
        return None;
    }
    Some(u32::from_be_bytes([
        datagram[0],
        datagram[1],
        datagram[2],
        datagram[3],
    ]))
}

/// The sequence number of an ESP datagram, unauthenticated.
pub fn seq_of(datagram: &[u8]) -> Option<u32> {
    super::header::EspPacket::new_checked(datagram)
        .ok()
        .map(|p| p.seq())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_spec_formula() {
        for p in 1..200 {
            let pad = padding_len(p);
            assert_eq!(pad, 15 - ((p + 1) % 16));
            assert_eq!((p + pad + 2) % BLOCK_LEN, 0);
            assert!(packet_len(p) - HEADER_LEN - p <= MAX_TRAILER_LEN);
            let longest = packet_len_with(Integrity::HmacSha256_128, p);
            assert!(longest - HEADER_LEN - p <= MAX_TRAILER_LEN);
        }
        assert_eq!(PROBE_LEN, 52);
        assert_eq!(packet_len(20), 68);
        assert_eq!(packet_len(1400), 1444);
        assert_eq!(MAX_TRAILER_LEN, 33);
        assert_eq!(packet_len_with(Integrity::HmacSha256_128, 1), 56);
        assert_eq!(packet_len_with(Integrity::HmacSha1_96, 1), PROBE_LEN);
        assert_eq!(spi_of(&[1, 2, 3]), None);
        assert_eq!(spi_of(&[1, 2, 3, 4]), Some(0x0102_0304));
        assert_eq!(seq_of(&[0, 0, 0, 0, 0, 0, 1]), None);
        assert_eq!(seq_of(&[0, 0, 0, 0, 0, 0, 1, 2]), Some(0x0102));
    }
}
