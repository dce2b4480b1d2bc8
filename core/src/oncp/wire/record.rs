//! oNCP records on the TLS stream (spec/oncp.md §3.1): an LE16 length and
//! that many payload bytes. A zero length followed by one reason byte is
//! the gateway's termination notice.

use alloc::vec::Vec;

use nom::Parser;
use nom::bytes::streaming::take;
use nom::combinator::map;
use nom::number::streaming::{le_u16, u8};

use super::error::WireError;
#[cfg(test)]
use super::error::WireErrorKind;
use super::kmp::{KMP_HEADER_LEN, KmpHeader, Sender, kmp_payload_len};
use super::kmp_type::KmpType;
use super::parse::PResult;

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

/// Why the gateway ended the session (the byte after a zero-length record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TerminationReason(pub u8);

impl TerminationReason {
    /// 1: session expired.
    pub const SESSION_EXPIRED: TerminationReason = TerminationReason(1);
    /// 8: idle timeout.
    pub const IDLE_TIMEOUT: TerminationReason = TerminationReason(8);

    /// A human-readable description.
    pub const fn describe(self) -> &'static str {
        match self.0 {
            1 => "session expired",
            8 => "idle timeout",
            _ => "server terminated connection",
        }
    }
}

/// The three-byte termination notice `00 00 RR`.
pub const fn termination_record(reason: TerminationReason) -> [u8; 3] {
    [0, 0, reason.0]
}

/// Appends one KMP message of `kmp_type` from `sender` with `payload`,
/// framed as records of at most `max_payload` bytes (clamped to
/// 1..=[`MAX_RECORD_PAYLOAD`]), to `out` without building the message
/// first: one copy of the payload. The usual case (a message that fits one
/// record) is one record.
///
/// Errors: a payload longer than
/// [`MAX_KMP_PAYLOAD`](super::kmp::MAX_KMP_PAYLOAD).
pub fn append_kmp_records(
    kmp_type: KmpType,
    sender: Sender,
    payload: &[u8],
    max_payload: usize,
    out: &mut Vec<u8>,
) -> Result<(), WireError> {
    let len = kmp_payload_len(payload.len()).map_err(|e| e.in_kmp(kmp_type))?;
    let header = KmpHeader::new(kmp_type, sender, len).to_bytes();
    let max = max_payload.clamp(1, MAX_RECORD_PAYLOAD);
    let total = KMP_HEADER_LEN + payload.len();
    if total <= max {
        out.reserve(2 + total);
        out.extend_from_slice(&(total as u16).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(payload);
    } else {
        let mut message = Vec::with_capacity(total);
        message.extend_from_slice(&header);
        message.extend_from_slice(payload);
        append_records(&message, max, out);
    }
    Ok(())
}

/// One record seen in place (a borrowed view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Record<'a> {
    /// A record with a non-zero length: its payload.
    Payload(&'a [u8]),
    /// A zero-length record and its reason byte: the termination notice.
    Termination(TerminationReason),
}

impl Record<'_> {
    /// Bytes on the wire: 2 + payload, or 3 for a termination notice.
    pub fn buffer_len(&self) -> usize {
        match self {
            Record::Payload(p) => 2 + p.len(),
            Record::Termination(_) => 3,
        }
    }

    /// Appends the record's bytes to `out`.
    ///
    /// A payload longer than [`MAX_RECORD_PAYLOAD`] is split into several
    /// records; an empty payload gives no bytes.
    pub fn emit(&self, out: &mut Vec<u8>) {
        match self {
            Record::Payload(p) => append_records(p, MAX_RECORD_PAYLOAD, out),
            Record::Termination(r) => out.extend_from_slice(&termination_record(*r)),
        }
    }
}

/// Parses the record at the start of `buf`: `Ok(None)` while it is
/// incomplete, otherwise the record and the number of bytes it used. Every
/// LE16 length is acceptable, so this never fails on its own; a caller
/// that knows what the payload holds checks it.
pub fn parse_record(buf: &[u8]) -> Option<(Record<'_>, usize)> {
    match record(buf) {
        Ok((rest, r)) => Some((r, buf.len() - rest.len())),
        Err(_) => None,
    }
}

/// nom parser of one record (streaming: short input is incomplete).
fn record(input: &[u8]) -> PResult<'_, Record<'_>> {
    let (input, len) = le_u16(input)?;
    if len == 0 {
        map(u8, |r| Record::Termination(TerminationReason(r))).parse(input)
    } else {
        map(take(len), Record::Payload).parse(input)
    }
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
    fn kmp_records_match_building_the_message_first() {
        use crate::oncp::wire::kmp::KmpMessage;
        for (len, max) in [
            (0, 0xffff),
            (20, 0xffff),
            (1400, 0xffff),
            (1400, 100),
            (65535, 0xffff),
        ] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let msg = KmpMessage::new(KmpType::DATA, Sender::Client, payload.clone()).unwrap();
            let mut out = vec![9];
            append_kmp_records(KmpType::DATA, Sender::Client, &payload, max, &mut out).unwrap();
            assert_eq!(out[0], 9);
            assert_eq!(
                out[1..],
                encode_records(&msg.to_vec(), max)[..],
                "{len} {max}"
            );
        }
        let e = append_kmp_records(
            KmpType::DATA,
            Sender::Client,
            &vec![0; 65536],
            0xffff,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(matches!(e.kind, WireErrorKind::TooLong { .. }));
    }

    #[test]
    fn records_parse_incrementally() {
        let mut bytes = encode_record(&[1, 2, 3]);
        bytes.extend(termination_record(TerminationReason::SESSION_EXPIRED));
        for cut in 0..5 {
            assert_eq!(parse_record(&bytes[..cut]), None);
        }
        let (r, used) = parse_record(&bytes).unwrap();
        assert_eq!((r, used), (Record::Payload(&[1, 2, 3]), 5));
        assert_eq!(r.buffer_len(), 5);
        assert_eq!(parse_record(&bytes[5..7]), None);
        let (t, used) = parse_record(&bytes[5..]).unwrap();
        assert_eq!(
            (t, used),
            (Record::Termination(TerminationReason::SESSION_EXPIRED), 3)
        );
        let mut again = Vec::new();
        r.emit(&mut again);
        t.emit(&mut again);
        assert_eq!(again, bytes);
    }

    #[test]
    fn termination_matches_spec_11_7() {
        assert_eq!(
            termination_record(TerminationReason::IDLE_TIMEOUT),
            [0, 0, 8]
        );
    }
}
