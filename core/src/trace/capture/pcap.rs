//! The classic pcap format: a 24-byte file header, then 16-byte record
//! headers each followed by the captured bytes.

use super::{CaptureError, Endian, LinkType};

/// File header length.
pub(crate) const FILE_HEADER_LEN: usize = 24;
/// Record header length.
pub(crate) const RECORD_HEADER_LEN: usize = 16;

/// What the file header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PcapHeader {
    pub(crate) endian: Endian,
    pub(crate) nanosecond: bool,
    pub(crate) version: (u16, u16),
    pub(crate) snaplen: u32,
    pub(crate) link_type: LinkType,
}

/// Recognises a pcap magic in the first four bytes.
pub(crate) fn magic(first: [u8; 4]) -> Option<(Endian, bool)> {
    match first {
        [0xa1, 0xb2, 0xc3, 0xd4] => Some((Endian::Big, false)),
        [0xd4, 0xc3, 0xb2, 0xa1] => Some((Endian::Little, false)),
        [0xa1, 0xb2, 0x3c, 0x4d] => Some((Endian::Big, true)),
        [0x4d, 0x3c, 0xb2, 0xa1] => Some((Endian::Little, true)),
        _ => None,
    }
}

/// Parses the 24-byte file header (`b` holds at least that much and starts
/// with a pcap magic).
pub(crate) fn parse_header(b: &[u8]) -> Option<PcapHeader> {
    let (endian, nanosecond) = magic([b[0], b[1], b[2], b[3]])?;
    Some(PcapHeader {
        endian,
        nanosecond,
        version: (endian.u16(b, 4), endian.u16(b, 6)),
        snaplen: endian.u32(b, 16),
        // The upper bits may carry FCS information (LINKTYPE_ values are
        // 16 bits).
        link_type: LinkType(endian.u32(b, 20) as u16),
    })
}

/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    pub(crate) time_us: u64,
    pub(crate) captured: u32,
    pub(crate) original: u32,
}

/// Parses a 16-byte record header.
pub(crate) fn parse_record_header(h: &PcapHeader, b: &[u8]) -> RecordHeader {
    let secs = u64::from(h.endian.u32(b, 0));
    let frac = u64::from(h.endian.u32(b, 4));
    let frac_us = if h.nanosecond { frac / 1000 } else { frac };
    RecordHeader {
        time_us: secs.saturating_mul(1_000_000).saturating_add(frac_us),
        captured: h.endian.u32(b, 8),
        original: h.endian.u32(b, 12),
    }
}

/// Checks a record's captured length against the limit.
pub(crate) fn check_record(offset: u64, rec: &RecordHeader, max: u32) -> Result<(), CaptureError> {
    if rec.captured > max {
        return Err(CaptureError::TooLong {
            offset,
            what: "packet record",
            length: rec.captured.into(),
            limit: max.into(),
        });
    }
    Ok(())
}
