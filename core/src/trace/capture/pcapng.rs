//! pcapng blocks: section header (with its byte order), interface
//! description (link type, snap length, `if_tsresol`, `if_tsoffset`),
//! enhanced, simple and obsolete packet blocks, decryption secrets.

use super::{CaptureError, Endian, LinkType};

/// Section header block type (a palindrome, so readable in either order).
pub(crate) const SHB: u32 = 0x0A0D_0D0A;
/// Interface description block.
pub(crate) const IDB: u32 = 1;
/// Obsolete packet block.
pub(crate) const PB: u32 = 2;
/// Simple packet block.
pub(crate) const SPB: u32 = 3;
/// Enhanced packet block.
pub(crate) const EPB: u32 = 6;
/// Decryption secrets block.
pub(crate) const DSB: u32 = 10;
/// The byte-order magic in a section header.
pub(crate) const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Timestamp units of an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// 10^-n seconds.
    Decimal(u8),
    /// 2^-n seconds.
    Binary(u8),
}

impl Resolution {
    /// Decodes an `if_tsresol` byte.
    pub(crate) fn from_option(v: u8) -> Option<Resolution> {
        if v & 0x80 == 0 {
            // 10^19 still fits u64 arithmetic below through u128.
            (v <= 19).then_some(Resolution::Decimal(v))
        } else {
            Some(Resolution::Binary(v & 0x7f))
        }
    }

    /// Converts a timestamp in these units to microseconds.
    pub(crate) fn to_micros(self, ts: u64) -> u64 {
        let ts = u128::from(ts);
        let us = match self {
            Resolution::Decimal(n) if n <= 6 => ts * 10u128.pow(u32::from(6 - n)),
            Resolution::Decimal(n) => ts / 10u128.pow(u32::from(n - 6)),
            Resolution::Binary(n) => (ts * 1_000_000) >> n,
        };
        u64::try_from(us).unwrap_or(u64::MAX)
    }
}

/// An interface of the current section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interface {
    pub(crate) link_type: LinkType,
    pub(crate) snaplen: u32,
    pub(crate) resolution: Resolution,
    /// `if_tsoffset`, seconds added to every timestamp.
    pub(crate) ts_offset: i64,
}

impl Interface {
    pub(crate) fn time_us(&self, ts: u64) -> u64 {
        let us = self.resolution.to_micros(ts);
        let off = self.ts_offset.saturating_mul(1_000_000);
        if off >= 0 {
            us.saturating_add(off as u64)
        } else {
            us.saturating_sub(off.unsigned_abs())
        }
    }
}

/// Parses an interface description block's body (after type and length,
/// before the trailing length).
pub(crate) fn parse_idb(e: Endian, body: &[u8], offset: u64) -> Result<Interface, CaptureError> {
    if body.len() < 8 {
        return Err(CaptureError::BlockTooShort {
            offset,
            block_type: IDB,
            length: (body.len() + 12) as u32,
        });
    }
    let mut iface = Interface {
        link_type: LinkType(e.u16(body, 0)),
        snaplen: e.u32(body, 4),
        resolution: Resolution::Decimal(6),
        ts_offset: 0,
    };
    for (code, value) in Options::new(e, &body[8..]) {
        match code {
            9 if !value.is_empty() => {
                iface.resolution =
                    Resolution::from_option(value[0]).ok_or(CaptureError::BadTsResolution {
                        offset,
                        tsresol: value[0],
                    })?;
            }
            14 if value.len() >= 8 => {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&value[..8]);
                iface.ts_offset = match e {
                    Endian::Little => i64::from_le_bytes(bytes),
                    Endian::Big => i64::from_be_bytes(bytes),
                };
            }
            _ => {}
        }
    }
    Ok(iface)
}

/// Walks a block's options: (code, value) until `opt_endofopt` or the end.
pub(crate) struct Options<'a> {
    e: Endian,
    rest: &'a [u8],
}

impl<'a> Options<'a> {
    pub(crate) fn new(e: Endian, rest: &'a [u8]) -> Self {
        Options { e, rest }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < 4 {
            return None;
        }
        let code = self.e.u16(self.rest, 0);
        let len = usize::from(self.e.u16(self.rest, 2));
        if code == 0 || 4 + len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let value = &self.rest[4..4 + len];
        let padded = (4 + len + 3) & !3;
        self.rest = self.rest.get(padded..).unwrap_or(&[]);
        Some((code, value))
    }
}

/// A packet block's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PacketFields {
    pub(crate) interface: u32,
    /// Raw timestamp in interface units; `None` for simple packet blocks.
    pub(crate) ts: Option<u64>,
    /// Range of the captured bytes within the body.
    pub(crate) data: (usize, usize),
    pub(crate) original: u32,
}

/// Parses an enhanced (`EPB`) or obsolete (`PB`) packet block body.
pub(crate) fn parse_epb(
    e: Endian,
    block_type: u32,
    body: &[u8],
    offset: u64,
) -> Result<PacketFields, CaptureError> {
    if body.len() < 20 {
        return Err(CaptureError::BlockTooShort {
            offset,
            block_type,
            length: (body.len() + 12) as u32,
        });
    }
    let interface = if block_type == PB {
        u32::from(e.u16(body, 0))
    } else {
        e.u32(body, 0)
    };
    let ts = (u64::from(e.u32(body, 4)) << 32) | u64::from(e.u32(body, 8));
    let captured = e.u32(body, 12);
    let original = e.u32(body, 16);
    let available = body.len() - 20;
    if captured as usize > available {
        return Err(CaptureError::BadCapturedLength {
            offset,
            captured,
            available: available as u64,
        });
    }
    Ok(PacketFields {
        interface,
        ts: Some(ts),
        data: (20, 20 + captured as usize),
        original,
    })
}

/// Parses a simple packet block body; the captured length is the smallest
/// of the original length, the snap length (0 = unlimited) and the body.
pub(crate) fn parse_spb(
    e: Endian,
    body: &[u8],
    snaplen: u32,
    offset: u64,
) -> Result<PacketFields, CaptureError> {
    if body.len() < 4 {
        return Err(CaptureError::BlockTooShort {
            offset,
            block_type: SPB,
            length: (body.len() + 12) as u32,
        });
    }
    let original = e.u32(body, 0);
    let mut len = (original as usize).min(body.len() - 4);
    if snaplen != 0 {
        len = len.min(snaplen as usize);
    }
    Ok(PacketFields {
        interface: 0,
        ts: None,
        data: (4, 4 + len),
        original,
    })
}

/// Parses a decryption secrets block body: (secrets type, secrets range).
pub(crate) fn parse_dsb(
    e: Endian,
    body: &[u8],
    offset: u64,
) -> Result<(u32, (usize, usize)), CaptureError> {
    if body.len() < 8 {
        return Err(CaptureError::BlockTooShort {
            offset,
            block_type: DSB,
            length: (body.len() + 12) as u32,
        });
    }
    let kind = e.u32(body, 0);
    let len = e.u32(body, 4);
    if len as usize > body.len() - 8 {
        return Err(CaptureError::BadCapturedLength {
            offset,
            captured: len,
            available: (body.len() - 8) as u64,
        });
    }
    Ok((kind, (8, 8 + len as usize)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(Resolution::Decimal(6).to_micros(5), 5);
        assert_eq!(Resolution::Decimal(9).to_micros(5_000), 5);
        assert_eq!(Resolution::Decimal(3).to_micros(5), 5_000);
        assert_eq!(Resolution::Binary(10).to_micros(1024), 1_000_000);
        assert_eq!(
            Resolution::from_option(0x80 | 20),
            Some(Resolution::Binary(20))
        );
        assert_eq!(Resolution::from_option(25), None);
    }

    #[test]
    fn ts_offset_option_in_both_orders() {
        let mut le = alloc::vec::Vec::new();
        le.extend_from_slice(&1u16.to_le_bytes());
        le.extend_from_slice(&0u16.to_le_bytes());
        le.extend_from_slice(&0u32.to_le_bytes());
        le.extend_from_slice(&14u16.to_le_bytes());
        le.extend_from_slice(&8u16.to_le_bytes());
        le.extend_from_slice(&100i64.to_le_bytes());
        let i = parse_idb(Endian::Little, &le, 0).unwrap();
        assert_eq!(i.ts_offset, 100);
        assert_eq!(i.time_us(1), 100_000_001);

        let mut be = alloc::vec::Vec::new();
        be.extend_from_slice(&1u16.to_be_bytes());
        be.extend_from_slice(&0u16.to_be_bytes());
        be.extend_from_slice(&0u32.to_be_bytes());
        be.extend_from_slice(&14u16.to_be_bytes());
        be.extend_from_slice(&8u16.to_be_bytes());
        be.extend_from_slice(&(-2i64).to_be_bytes());
        let i = parse_idb(Endian::Big, &be, 0).unwrap();
        assert_eq!(i.ts_offset, -2);
        assert_eq!(i.time_us(3_000_000), 1_000_000);
    }
}
