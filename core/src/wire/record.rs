//! oNCP records on the TLS stream (spec/oncp.md §3.1): an LE16 length and
//! that many payload bytes. A zero length followed by one reason byte is
//! the gateway's termination notice.

use alloc::vec::Vec;

use super::preamble::TerminationReason;

/// Largest record payload the length field can express.
pub const MAX_RECORD_PAYLOAD: usize = 0xffff;

/// Largest record payload that, with its 2-byte length, fits one TLS record
/// (2^14 bytes). Gateways use it during setup, where OpenConnect 9.01
/// expects one oNCP record per TLS record (spec §2.5, §12).
pub const MAX_RECORD_PAYLOAD_IN_ONE_TLS_RECORD: usize = 16382;

/// Encodes `payload` as records of at most [`MAX_RECORD_PAYLOAD`] bytes
/// each (one record unless the payload is larger). An empty payload gives
/// no bytes: a zero-length record would mean termination.
pub fn encode_record(payload: &[u8]) -> Vec<u8> {
    encode_records(payload, MAX_RECORD_PAYLOAD)
}

/// Encodes `payload` as consecutive records of at most `max_payload` bytes
/// each (clamped to 1..=[`MAX_RECORD_PAYLOAD`]).
pub fn encode_records(payload: &[u8], max_payload: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 2 * (payload.len() / 1024 + 1));
    append_records(payload, max_payload, &mut out);
    out
}

/// Appends `payload` as records of at most `max_payload` bytes to `out`.
pub fn append_records(payload: &[u8], max_payload: usize, out: &mut Vec<u8>) {
    let max = max_payload.clamp(1, MAX_RECORD_PAYLOAD);
    for chunk in payload.chunks(max) {
        out.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
        out.extend_from_slice(chunk);
    }
}

/// The three-byte termination notice `00 00 RR`.
pub const fn termination_record(reason: TerminationReason) -> [u8; 3] {
    [0, 0, reason.0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn small_payload_is_one_record() {
        assert_eq!(encode_record(&[1, 2, 3]), [3, 0, 1, 2, 3]);
        assert!(encode_record(&[]).is_empty());
    }

    #[test]
    fn large_payload_is_split() {
        let p = vec![7u8; 70_000];
        let r = encode_record(&p);
        assert_eq!(&r[..2], &[0xff, 0xff]);
        assert_eq!(r.len(), 70_000 + 4);
        assert_eq!(
            u16::from_le_bytes([r[65537], r[65538]]) as usize,
            70_000 - 65535
        );
        let r = encode_records(&p[..100], 30);
        assert_eq!(r.len(), 100 + 4 * 2);
        assert_eq!(r[0], 30);
    }

    #[test]
    fn termination_matches_spec_11_7() {
        assert_eq!(
            termination_record(TerminationReason::IDLE_TIMEOUT),
            [0, 0, 8]
        );
    }
}
