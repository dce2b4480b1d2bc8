//! Where the headers of an IPv4/IPv6 TCP or UDP packet are, and the
//! pseudo-header sum of its transport part.

use core::net::{Ipv4Addr, Ipv6Addr};

use super::csum;

/// IP protocol number of TCP.
pub(crate) const PROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub(crate) const PROTO_UDP: u8 = 17;

/// The header layout of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// IPv6 (else IPv4).
    pub v6: bool,
    /// Offset of the transport header (the IP header's length).
    pub l4: usize,
    /// Offset of the payload (after the transport header).
    pub payload: usize,
}

impl Layout {
    /// Parses `p` as an unfragmented IPv4 packet or an IPv6 packet without
    /// extension headers, carrying `proto` (TCP or UDP) with its whole
    /// header inside `p`.
    pub fn parse(p: &[u8], proto: u8) -> Option<Layout> {
        let (v6, l4) = match p.first()? >> 4 {
            4 => {
                let ihl = usize::from(p[0] & 0x0f) * 4;
                if ihl < 20 || p.len() < ihl || p[9] != proto {
                    return None;
                }
                // MF or a fragment offset: not a whole transport packet.
                if u16::from_be_bytes([p[6], p[7]]) & 0x3fff != 0 {
                    return None;
                }
                (false, ihl)
            }
            6 => {
                if p.len() < 40 || p[6] != proto {
                    return None;
                }
                (true, 40)
            }
            _ => return None,
        };
        let l4_len = match proto {
            PROTO_TCP => usize::from(*p.get(l4 + 12)? >> 4) * 4,
            PROTO_UDP => 8,
            _ => return None,
        };
        if l4_len < 8 || p.len() < l4 + l4_len {
            return None;
        }
        Some(Layout {
            v6,
            l4,
            payload: l4 + l4_len,
        })
    }

    /// The pseudo-header sum of `p`'s transport part if it were `len`
    /// bytes long.
    pub fn pseudo(&self, p: &[u8], proto: u8, len: usize) -> u64 {
        if self.v6 {
            let a = |o: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&p[o..o + 16]);
                Ipv6Addr::from(b)
            };
            csum::pseudo_v6(a(8), a(24), proto, len)
        } else {
            let a = |o: usize| Ipv4Addr::new(p[o], p[o + 1], p[o + 2], p[o + 3]);
            csum::pseudo_v4(a(12), a(16), proto, len)
        }
    }

    /// Sets the IP length fields of `p` (whose headers are this layout's)
    /// for a whole packet of `total` bytes, and the IPv4 header checksum.
    pub fn set_ip_len(&self, p: &mut [u8], total: usize) {
        if self.v6 {
            p[4..6].copy_from_slice(&((total - 40) as u16).to_be_bytes());
        } else {
            p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
            csum::fix_ipv4_header(&mut p[..self.l4]);
        }
    }
}
