//! Checked views of IPv4 and IPv6 headers over any byte buffer, in the
//! style of smoltcp's `wire` module: `new_unchecked` wraps, `check_len`
//! proves the accessors cannot panic, `new_checked` does both. Every place
//! that reads an IP header (sessions, data messages, the echo tools, the
//! trace decoder, the native gateway) reads it through these.

use core::net::{Ipv4Addr, Ipv6Addr};

use thiserror::Error;

/// IPv4 header length without options.
pub const IPV4_MIN_HEADER_LEN: usize = 20;
/// IPv6 fixed header length.
pub const IPV6_HEADER_LEN: usize = 40;

/// Why a buffer is not a usable IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ViewError {
    /// Shorter than the header (or than the length it declares).
    #[error("IP packet of {len} bytes is shorter than the {need} bytes needed")]
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        need: usize,
    },
    /// The version nibble is not the one of this view.
    #[error("IP version {0} is not the one expected")]
    Version(u8),
    /// IPv4: header length field below 5 words or beyond the total length.
    #[error("IPv4 header length {ihl} words is invalid (total length {total})")]
    HeaderLength {
        /// The IHL field.
        ihl: u8,
        /// The total length field.
        total: usize,
    },
}

/// The version nibble of an IP packet, if it has a first byte.
pub fn version(packet: &[u8]) -> Option<u8> {
    packet.first().map(|b| b >> 4)
}

/// The length an IP packet declares in its own header (IPv4 total length,
/// IPv6 payload length + 40), when the field is present and the version
/// is 4 or 6.
pub fn declared_len(packet: &[u8]) -> Option<usize> {
    match version(packet)? {
        4 if packet.len() >= 4 => Some(Ipv4Packet::new_unchecked(packet).total_len()),
        6 if packet.len() >= 6 => Some(Ipv6Packet::new_unchecked(packet).total_len()),
        _ => None,
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// A view of an IPv4 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps `buffer` without checking (accessors may panic until
    /// [`check_len`](Self::check_len) or [`check_header`](Self::check_header)
    /// passed).
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// Wraps `buffer` after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, ViewError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// The header is present and sane (version 4, IHL at least 5 words,
    /// within the total length and the buffer); the packet may be cut
    /// short after it.
    pub fn check_header(&self) -> Result<(), ViewError> {
        let b = self.buffer.as_ref();
        if b.len() < IPV4_MIN_HEADER_LEN {
            return Err(ViewError::Truncated {
                len: b.len(),
                need: IPV4_MIN_HEADER_LEN,
            });
        }
        if b[0] >> 4 != 4 {
            return Err(ViewError::Version(b[0] >> 4));
        }
        let (ihl, total) = (b[0] & 0x0f, self.total_len());
        if ihl < 5 || self.header_len() > total {
            return Err(ViewError::HeaderLength { ihl, total });
        }
        if b.len() < self.header_len() {
            return Err(ViewError::Truncated {
                len: b.len(),
                need: self.header_len(),
            });
        }
        Ok(())
    }

    /// [`check_header`](Self::check_header), and the buffer holds the
    /// whole declared length (it may hold more).
    pub fn check_len(&self) -> Result<(), ViewError> {
        self.check_header()?;
        let len = self.buffer.as_ref().len();
        if len < self.total_len() {
            return Err(ViewError::Truncated {
                len,
                need: self.total_len(),
            });
        }
        Ok(())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[0] & 0x0f) * 4
    }
    /// The total length field.
    pub fn total_len(&self) -> usize {
        usize::from(be16(self.buffer.as_ref(), 2))
    }
    /// The identification field.
    pub fn ident(&self) -> u16 {
        be16(self.buffer.as_ref(), 4)
    }
    /// The more-fragments flag.
    pub fn more_fragments(&self) -> bool {
        be16(self.buffer.as_ref(), 6) & 0x2000 != 0
    }
    /// The fragment offset in bytes.
    pub fn frag_offset(&self) -> usize {
        usize::from(be16(self.buffer.as_ref(), 6) & 0x1fff) * 8
    }
    /// Whether this is a fragment (more fragments, or a non-zero offset).
    pub fn is_fragment(&self) -> bool {
        self.more_fragments() || self.frag_offset() != 0
    }
    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[8]
    }
    /// The protocol number.
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[9]
    }
    /// Whether the header checksum is right.
    pub fn verify_checksum(&self) -> bool {
        super::checksum(&self.buffer.as_ref()[..self.header_len()]) == 0
    }
    /// Source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[12], b[13], b[14], b[15])
    }
    /// Destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[16], b[17], b[18], b[19])
    }
    /// The payload: after the header, up to the declared length or the
    /// end of the buffer, whichever comes first.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[self.header_len()..self.total_len().min(b.len())]
    }
}

/// A view of an IPv6 packet (fixed header; extension headers are the
/// payload's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps `buffer` without checking.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv6Packet { buffer }
    }

    /// Wraps `buffer` after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, ViewError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// The fixed header is present and the version is 6.
    pub fn check_header(&self) -> Result<(), ViewError> {
        let b = self.buffer.as_ref();
        if b.len() < IPV6_HEADER_LEN {
            return Err(ViewError::Truncated {
                len: b.len(),
                need: IPV6_HEADER_LEN,
            });
        }
        if b[0] >> 4 != 6 {
            return Err(ViewError::Version(b[0] >> 4));
        }
        Ok(())
    }

    /// [`check_header`](Self::check_header), and the buffer holds the
    /// whole declared length.
    pub fn check_len(&self) -> Result<(), ViewError> {
        self.check_header()?;
        let len = self.buffer.as_ref().len();
        if len < self.total_len() {
            return Err(ViewError::Truncated {
                len,
                need: self.total_len(),
            });
        }
        Ok(())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
    /// The payload length field.
    pub fn payload_len(&self) -> usize {
        usize::from(be16(self.buffer.as_ref(), 4))
    }
    /// Header plus payload length.
    pub fn total_len(&self) -> usize {
        IPV6_HEADER_LEN + self.payload_len()
    }
    /// The next header field.
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[6]
    }
    /// The hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[7]
    }
    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        addr16(&self.buffer.as_ref()[8..24])
    }
    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        addr16(&self.buffer.as_ref()[24..40])
    }
    /// The payload: after the fixed header, up to the declared length or
    /// the end of the buffer.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[IPV6_HEADER_LEN..self.total_len().min(b.len())]
    }
}

fn addr16(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ipv6Addr::from(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn v4(total: u16, buf_len: usize) -> alloc::vec::Vec<u8> {
        let mut p = vec![0u8; buf_len];
        p[0] = 0x45;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p[9] = 17;
        p[12..16].copy_from_slice(&[10, 0, 0, 1]);
        p[16..20].copy_from_slice(&[10, 0, 0, 2]);
        p
    }

    #[test]
    fn ipv4_lengths_are_checked_before_any_read() {
        let whole = v4(28, 28);
        let p = Ipv4Packet::new_checked(&whole[..]).unwrap();
        assert_eq!((p.header_len(), p.total_len(), p.protocol()), (20, 28, 17));
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(p.payload().len(), 8);
        assert!(!p.is_fragment());
        assert_eq!(
            Ipv4Packet::new_checked(&whole[..27]),
            Err(ViewError::Truncated { len: 27, need: 28 })
        );
        let short = v4(28, 24);
        let cut = Ipv4Packet::new_unchecked(&short[..]);
        assert_eq!(cut.check_header(), Ok(()), "header whole, packet cut");
        assert_eq!(cut.payload().len(), 4);
        assert_eq!(
            Ipv4Packet::new_checked(&whole[..19]),
            Err(ViewError::Truncated { len: 19, need: 20 })
        );
        let mut bad_ihl = v4(28, 28);
        bad_ihl[0] = 0x44;
        assert_eq!(
            Ipv4Packet::new_checked(&bad_ihl[..]),
            Err(ViewError::HeaderLength { ihl: 4, total: 28 })
        );
        let mut long_ihl = v4(28, 28);
        long_ihl[0] = 0x48;
        assert!(Ipv4Packet::new_checked(&long_ihl[..]).is_err());
        let mut six = v4(28, 28);
        six[0] = 0x65;
        assert_eq!(
            Ipv4Packet::new_checked(&six[..]),
            Err(ViewError::Version(6))
        );
        assert!(Ipv4Packet::new_checked(&[][..]).is_err());
    }

    #[test]
    fn ipv6_lengths_are_checked_before_any_read() {
        let mut p = [0u8; 48];
        p[0] = 0x60;
        p[5] = 8;
        p[6] = 58;
        p[23] = 1;
        p[39] = 2;
        let v = Ipv6Packet::new_checked(&p[..]).unwrap();
        assert_eq!(
            (v.payload_len(), v.total_len(), v.next_header()),
            (8, 48, 58)
        );
        assert_eq!(v.src_addr(), "::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(v.dst_addr(), "::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            Ipv6Packet::new_checked(&p[..47]),
            Err(ViewError::Truncated { len: 47, need: 48 })
        );
        assert!(Ipv6Packet::new_checked(&p[..39]).is_err());
        p[0] = 0x45;
        assert_eq!(Ipv6Packet::new_checked(&p[..]), Err(ViewError::Version(4)));
    }

    #[test]
    fn declared_length_needs_only_the_length_field() {
        assert_eq!(declared_len(&[0x45, 0, 0, 60]), Some(60));
        assert_eq!(declared_len(&[0x45, 0, 0]), None);
        assert_eq!(declared_len(&[0x60, 0, 0, 0, 0, 8]), Some(48));
        assert_eq!(declared_len(&[0x70, 0, 0, 0, 0, 8]), None);
        assert_eq!(declared_len(&[]), None);
    }
}
