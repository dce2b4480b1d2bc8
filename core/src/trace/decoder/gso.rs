//! UDP super-packets in a capture: several ESP packets of one SA, back to
//! back in one UDP payload.
//!
//! A Linux sender that uses UDP GSO (`UDP_SEGMENT`, as `oncp` does) hands
//! the kernel one datagram that the kernel cuts into equal segments (the
//! last may be shorter). A capture taken before that cut — on the sending
//! host, or on a veth peer, which passes the super-packet on uncut — shows
//! one UDP datagram holding them all; a receiver with UDP GRO shows the
//! same. Such a payload fails as one ESP packet (its length is no whole
//! number of cipher blocks, or its ICV is wrong), and is recognised by the
//! headers repeating: every segment starts with the same SPI and the next
//! sequence number. Eight bytes matching at a segment boundary by chance
//! in ciphertext has a probability of 2⁻⁶⁴ per offset, and the ICV of
//! every segment is checked as usual afterwards.

/// Segments of one super-packet at most (the kernel's `UDP_MAX_SEGMENTS`
/// is 128 since Linux 5.8; 64 before).
pub(super) const MAX_SEGMENTS: usize = 128;

/// ESP header (SPI and sequence number) bytes that every segment starts
/// with.
const HEADER: usize = 8;

/// The segment size when `payload` is two or more ESP packets of one SPI
/// with consecutive sequence numbers, each `size` bytes but the last
/// (which may be shorter, but holds more than a header); `None` otherwise.
pub(super) fn segment_size(payload: &[u8]) -> Option<usize> {
    let first = payload.get(..HEADER)?;
    let spi = &first[..4];
    let seq = u32::from_be_bytes([first[4], first[5], first[6], first[7]]);
    // Every segment, the last one too, holds more than its header.
    (HEADER + 1..=payload.len().checked_sub(HEADER + 1)?)
        .filter(|&s| starts_segment(payload, s, spi, seq.wrapping_add(1)))
        .find(|&s| every_segment_fits(payload, s, spi, seq))
}

/// Whether an ESP header of `spi` and sequence number `seq` starts at
/// `at` in `payload`.
fn starts_segment(payload: &[u8], at: usize, spi: &[u8], seq: u32) -> bool {
    payload
        .get(at..at + HEADER)
        .is_some_and(|h| h[..4] == *spi && h[4..] == seq.to_be_bytes())
}

/// Whether cutting `payload` every `size` bytes gives at most
/// [`MAX_SEGMENTS`] segments that each start with the next header.
fn every_segment_fits(payload: &[u8], size: usize, spi: &[u8], seq: u32) -> bool {
    let count = payload.len().div_ceil(size);
    count <= MAX_SEGMENTS
        && (1..count).all(|k| starts_segment(payload, k * size, spi, seq.wrapping_add(k as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// `lens` fake ESP packets of SPI 0x01020304 from sequence number
    /// `seq`, their bodies filled with `fill`.
    fn packets(lens: &[usize], seq: u32, fill: u8) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, &len) in lens.iter().enumerate() {
            out.extend_from_slice(&[1, 2, 3, 4]);
            out.extend_from_slice(&seq.wrapping_add(k as u32).to_be_bytes());
            out.resize(out.len() + len - HEADER, fill);
        }
        out
    }

    #[test]
    fn finds_equal_segments_and_a_short_last_one() {
        assert_eq!(segment_size(&packets(&[52, 52], 0, 0xaa)), Some(52));
        assert_eq!(segment_size(&packets(&[100, 100, 100], 7, 0)), Some(100));
        assert_eq!(
            segment_size(&packets(&[1436, 1436, 84], 9, 0x55)),
            Some(1436)
        );
    }

    #[test]
    fn sequence_numbers_may_wrap() {
        assert_eq!(segment_size(&packets(&[68, 68], u32::MAX, 0)), Some(68));
    }

    #[test]
    fn one_packet_is_not_a_super_packet() {
        assert_eq!(segment_size(&packets(&[1436], 3, 0x11)), None);
        assert_eq!(segment_size(&[1, 2, 3]), None);
        assert_eq!(segment_size(&[]), None);
    }

    #[test]
    fn headers_must_repeat_at_every_boundary() {
        // The second header is right, the third has a wrong SPI.
        let mut p = packets(&[60, 60, 60], 1, 0);
        p[120] ^= 1;
        assert_eq!(segment_size(&p), None);
        // Right SPI, sequence number not the next one.
        let mut p = packets(&[60, 60], 1, 0);
        p[67] = 9;
        assert_eq!(segment_size(&p), None);
    }

    #[test]
    fn unequal_segments_are_not_a_super_packet() {
        // GSO cuts equal segments: a longer last one cannot come from it.
        assert_eq!(segment_size(&packets(&[60, 100], 1, 0)), None);
    }

    #[test]
    fn a_last_segment_needs_more_than_a_header() {
        assert_eq!(segment_size(&packets(&[60, 8], 1, 0)), None);
    }

    #[test]
    fn too_many_segments_are_refused() {
        let lens = [20; MAX_SEGMENTS + 1];
        assert_eq!(segment_size(&packets(&lens, 1, 0)), None);
        assert_eq!(
            segment_size(&packets(&lens[..MAX_SEGMENTS], 1, 0)),
            Some(20)
        );
    }
}
