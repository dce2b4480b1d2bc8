//! IPv4 and IPv6 headers (IPv6 extension headers skipped, the fragment
//! header read).

use core::net::IpAddr;

use crate::netpkt::{Ipv4Packet, Ipv6Packet, ViewError};

/// IP protocol numbers we name.
pub mod protocol {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ESP (not UDP-encapsulated).
    pub const ESP: u8 = 50;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;

    /// A protocol's name for summaries ("IP" for one not named here).
    pub const fn name(p: u8) -> &'static str {
        match p {
            ICMP => "ICMP",
            TCP => "TCP",
            UDP => "UDP",
            ESP => "ESP",
            ICMPV6 => "ICMPv6",
            _ => "IP",
        }
    }
}

/// The most IPv6 extension headers walked before giving up.
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// Fragment information of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Identification (16 bits for IPv4, 32 for IPv6).
    pub id: u32,
    /// Offset of this fragment's payload in bytes.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
}

/// A parsed IP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpHeader {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The upper-layer protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// TTL / hop limit.
    pub ttl: u8,
    /// Header length including IPv6 extension headers.
    pub header_len: usize,
    /// The packet's declared total length.
    pub total_len: usize,
    /// Set when the packet is a fragment.
    pub fragment: Option<Fragment>,
    /// The capture holds fewer bytes than the declared length.
    pub truncated: bool,
}

impl IpHeader {
    /// 4 or 6.
    pub fn version(&self) -> u8 {
        if self.src.is_ipv4() { 4 } else { 6 }
    }
}

/// Why an IP packet could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IpError {
    /// Shorter than its header.
    #[error("IP packet of {len} bytes is shorter than its {need}-byte header")]
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        need: usize,
    },
    /// Version nibble not 4 or 6.
    #[error("IP version {0} is not 4 or 6")]
    BadVersion(u8),
    /// IPv4 header length field below 5 or above the total length.
    #[error("IPv4 header length {ihl} words is invalid (total length {total})")]
    BadHeaderLength {
        /// The IHL field.
        ihl: u8,
        /// The total length field.
        total: usize,
    },
    /// Too many IPv6 extension headers.
    #[error("more than {MAX_EXTENSION_HEADERS} IPv6 extension headers")]
    TooManyExtensions,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Parses an IP packet; returns the header and the payload (clipped to the
/// declared length, so link padding is dropped).
pub fn parse(packet: &[u8]) -> Result<(IpHeader, &[u8]), IpError> {
    let Some(&first) = packet.first() else {
        return Err(IpError::Truncated { len: 0, need: 20 });
    };
    match first >> 4 {
        4 => parse_v4(packet),
        6 => parse_v6(packet),
        v => Err(IpError::BadVersion(v)),
    }
}

/// The trace's error for a view's refusal.
fn view_error(e: ViewError) -> IpError {
    match e {
        ViewError::Truncated { len, need } => IpError::Truncated { len, need },
        ViewError::HeaderLength { ihl, total } => IpError::BadHeaderLength { ihl, total },
        ViewError::Version(v) => IpError::BadVersion(v),
    }
}

fn parse_v4(p: &[u8]) -> Result<(IpHeader, &[u8]), IpError> {
    // The header must be whole; the packet may be cut short by the capture.
    let v = Ipv4Packet::new_unchecked(p);
    v.check_header().map_err(view_error)?;
    let fragment = v.is_fragment().then_some(Fragment {
        id: v.ident().into(),
        offset: v.frag_offset(),
        more: v.more_fragments(),
    });
    let h = IpHeader {
        src: IpAddr::V4(v.src_addr()),
        dst: IpAddr::V4(v.dst_addr()),
        protocol: v.protocol(),
        ttl: v.ttl(),
        header_len: v.header_len(),
        total_len: v.total_len(),
        fragment,
        truncated: p.len() < v.total_len(),
    };
    Ok((h, &p[v.header_len()..v.total_len().min(p.len())]))
}

fn parse_v6(p: &[u8]) -> Result<(IpHeader, &[u8]), IpError> {
    let v = Ipv6Packet::new_unchecked(p);
    v.check_header().map_err(view_error)?;
    let total = v.total_len();
    let end = total.min(p.len());
    let mut next = v.next_header();
    let mut at = 40;
    let mut fragment = None;
    let mut walked = 0;
    loop {
        let ext_len = match next {
            0 | 43 | 60 => {
                if end < at + 8 {
                    return Err(IpError::Truncated {
                        len: end,
                        need: at + 8,
                    });
                }
                (usize::from(p[at + 1]) + 1) * 8
            }
            51 => {
                if end < at + 8 {
                    return Err(IpError::Truncated {
                        len: end,
                        need: at + 8,
                    });
                }
                (usize::from(p[at + 1]) + 2) * 4
            }
            44 => {
                if end < at + 8 {
                    return Err(IpError::Truncated {
                        len: end,
                        need: at + 8,
                    });
                }
                let off_flags = be16(p, at + 2);
                fragment = Some(Fragment {
                    id: u32::from_be_bytes([p[at + 4], p[at + 5], p[at + 6], p[at + 7]]),
                    offset: usize::from(off_flags >> 3) * 8,
                    more: off_flags & 1 != 0,
                });
                8
            }
            _ => break,
        };
        walked += 1;
        if walked > MAX_EXTENSION_HEADERS {
            return Err(IpError::TooManyExtensions);
        }
        if end < at + ext_len {
            return Err(IpError::Truncated {
                len: end,
                need: at + ext_len,
            });
        }
        next = p[at];
        at += ext_len;
    }
    let h = IpHeader {
        src: IpAddr::V6(v.src_addr()),
        dst: IpAddr::V6(v.dst_addr()),
        protocol: next,
        ttl: v.hop_limit(),
        header_len: at,
        total_len: total,
        fragment: fragment.filter(|f| f.more || f.offset != 0),
        truncated: p.len() < total,
    };
    Ok((h, &p[at..end]))
}

/// Builds IPv4 and IPv6 packets for tests.
#[cfg(test)]
pub(crate) mod build {
    use alloc::vec::Vec;

    /// An IPv4 packet (checksum left zero: we do not check it).
    pub(crate) fn v4(
        src: [u8; 4],
        dst: [u8; 4],
        proto: u8,
        id: u16,
        frag: u16,
        payload: &[u8],
    ) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut p = Vec::from([0x45, 0]);
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&frag.to_be_bytes());
        p.extend_from_slice(&[64, proto, 0, 0]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(payload);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn ipv4_strips_padding_and_reads_fragments() {
        let mut p = build::v4([10, 0, 0, 1], [10, 0, 0, 2], 17, 7, 0x2001, b"abcd");
        p.extend_from_slice(&[0; 6]); // Ethernet padding
        let (h, payload) = parse(&p).unwrap();
        assert_eq!(payload, b"abcd");
        assert_eq!(h.protocol, 17);
        assert_eq!(
            h.fragment,
            Some(Fragment {
                id: 7,
                offset: 8,
                more: true
            })
        );
        assert!(!h.truncated);
        let (h, payload) = parse(&p[..22]).unwrap();
        assert!(h.truncated);
        assert_eq!(payload, b"ab");
        assert!(matches!(parse(&p[..10]), Err(IpError::Truncated { .. })));
        let mut bad = p.clone();
        bad[0] = 0x44;
        assert!(matches!(parse(&bad), Err(IpError::BadHeaderLength { .. })));
        assert_eq!(parse(&[0x55]), Err(IpError::BadVersion(5)));
    }

    #[test]
    fn ipv6_skips_extensions_and_reads_fragment_header() {
        let mut p = Vec::from([0x60, 0, 0, 0]);
        let payload = b"hello";
        let ext_len = 8 + 8;
        p.extend_from_slice(&((ext_len + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 64]); // hop-by-hop next
        p.extend_from_slice(&[0xfe, 0x80]);
        p.extend_from_slice(&[0; 14]);
        p.extend_from_slice(&[0; 15]);
        p.push(1);
        // Hop-by-hop: next = fragment, length 0 (8 bytes).
        p.extend_from_slice(&[44, 0, 0, 0, 0, 0, 0, 0]);
        // Fragment: next = UDP, offset 2 (16 bytes), M=1, id 0x01020304.
        p.extend_from_slice(&[17, 0, 0, 0x11, 1, 2, 3, 4]);
        p.extend_from_slice(payload);
        let (h, body) = parse(&p).unwrap();
        assert_eq!(h.protocol, 17);
        assert_eq!(h.header_len, 56);
        assert_eq!(body, payload);
        assert_eq!(
            h.fragment,
            Some(Fragment {
                id: 0x0102_0304,
                offset: 16,
                more: true
            })
        );
        assert_eq!(h.version(), 6);
        assert!(matches!(parse(&p[..45]), Err(IpError::Truncated { .. })));
    }
}
