//! IP packets: checked header views ([`Ipv4Packet`], [`Ipv6Packet`]) and
//! small IPv4 tools for tests, the demo and the gateway's echo mode:
//! header checksums, ICMP echo requests, and an echo responder that
//! answers ICMP echo and UDP echo (port 7) addressed to it.

mod icmpv6;
mod view;

pub use icmpv6::{NEXT_HEADER_ICMPV6, echo_reply_v6, icmpv6_echo_request, parse_icmpv6_echo_reply};

pub use view::{
    IPV4_MIN_HEADER_LEN, IPV6_HEADER_LEN, Ipv4Packet, Ipv6Packet, ViewError, declared_len, version,
};

use alloc::vec::Vec;
use core::net::Ipv4Addr;

/// IP protocol number of ICMP.
pub const PROTO_ICMP: u8 = 1;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// The UDP echo port.
pub const UDP_ECHO_PORT: u16 = 7;

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [b] = chunks.remainder() {
        sum += (*b as u32) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The fields of an IPv4 header that the echo tools use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Header {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol number.
    pub protocol: u8,
    /// Header length in bytes.
    pub header_len: usize,
    /// Total length in bytes.
    pub total_len: usize,
}

impl Ipv4Header {
    /// Parses the header of an IPv4 packet (`None` if not a whole,
    /// unfragmented IPv4 packet with a correct header checksum).
    pub fn parse(p: &[u8]) -> Option<Ipv4Header> {
        let v = Ipv4Packet::new_checked(p).ok()?;
        if v.is_fragment() || !v.verify_checksum() {
            return None;
        }
        Some(Ipv4Header {
            src: v.src_addr(),
            dst: v.dst_addr(),
            protocol: v.protocol(),
            header_len: v.header_len(),
            total_len: v.total_len(),
        })
    }
}

/// Builds an IPv4 packet with a 20-byte header around `payload`.
pub fn ipv4_packet(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0x40, 0, 64, protocol, 0, 0]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = checksum(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An ICMP echo request from `src` to `dst`.
pub fn icmp_echo_request(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ident: u16,
    seq: u16,
    data: &[u8],
) -> Vec<u8> {
    let mut icmp = Vec::with_capacity(8 + data.len());
    icmp.extend_from_slice(&[8, 0, 0, 0]);
    icmp.extend_from_slice(&ident.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(data);
    let c = checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    ipv4_packet(src, dst, PROTO_ICMP, seq, &icmp)
}

/// An ICMP echo reply: (identifier, sequence, data), if `p` is one.
pub fn parse_icmp_echo_reply(p: &[u8]) -> Option<(u16, u16, &[u8])> {
    let h = Ipv4Header::parse(p)?;
    let icmp = &p[h.header_len..h.total_len];
    if h.protocol != PROTO_ICMP || icmp.len() < 8 || icmp[0] != 0 || checksum(icmp) != 0 {
        return None;
    }
    Some((
        u16::from_be_bytes([icmp[4], icmp[5]]),
        u16::from_be_bytes([icmp[6], icmp[7]]),
        &icmp[8..],
    ))
}

/// Answers `p` if it is an ICMP echo request, or a UDP datagram to port 7,
/// addressed to `me`: the reply goes back to the sender.
pub fn echo_reply(p: &[u8], me: Ipv4Addr) -> Option<Vec<u8>> {
    let h = Ipv4Header::parse(p)?;
    if h.dst != me {
        return None;
    }
    let body = &p[h.header_len..h.total_len];
    match h.protocol {
        PROTO_ICMP if body.len() >= 8 && body[0] == 8 && checksum(body) == 0 => {
            let mut icmp = body.to_vec();
            icmp[0] = 0;
            icmp[2..4].copy_from_slice(&[0, 0]);
            let c = checksum(&icmp);
            icmp[2..4].copy_from_slice(&c.to_be_bytes());
            Some(ipv4_packet(me, h.src, PROTO_ICMP, 0, &icmp))
        }
        PROTO_UDP if body.len() >= 8 => {
            let sport = u16::from_be_bytes([body[0], body[1]]);
            let dport = u16::from_be_bytes([body[2], body[3]]);
            let ulen = u16::from_be_bytes([body[4], body[5]]) as usize;
            if dport != UDP_ECHO_PORT || ulen < 8 || ulen > body.len() {
                return None;
            }
            let mut udp = body[..ulen].to_vec();
            udp[0..2].copy_from_slice(&dport.to_be_bytes());
            udp[2..4].copy_from_slice(&sport.to_be_bytes());
            udp[6..8].copy_from_slice(&[0, 0]);
            let mut pseudo = Vec::with_capacity(12 + udp.len());
            pseudo.extend_from_slice(&me.octets());
            pseudo.extend_from_slice(&h.src.octets());
            pseudo.extend_from_slice(&[0, PROTO_UDP]);
            pseudo.extend_from_slice(&(udp.len() as u16).to_be_bytes());
            pseudo.extend_from_slice(&udp);
            let c = match checksum(&pseudo) {
                0 => 0xffff,
                c => c,
            };
            udp[6..8].copy_from_slice(&c.to_be_bytes());
            Some(ipv4_packet(me, h.src, PROTO_UDP, 0, &udp))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Ipv4Addr = Ipv4Addr::new(10, 10, 1, 2);
    const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

    #[test]
    fn header_checksum_matches_spec_example() {
        // spec/oncp.md §11.4: checksum 0x64e0.
        // Our builder sets DF (0x4000); the spec's packet has no flags.
        let mut p = ipv4_packet(A, B, 253, 1, &[]);
        assert_eq!(checksum(&p[..20]), 0);
        p[6] = 0;
        p[10..12].copy_from_slice(&[0, 0]);
        assert_eq!(checksum(&p[..20]), 0x64e0);
    }

    #[test]
    fn icmp_echo_round_trip() {
        let req = icmp_echo_request(A, B, 0x1234, 7, b"hello");
        let reply = echo_reply(&req, B).unwrap();
        let h = Ipv4Header::parse(&reply).unwrap();
        assert_eq!((h.src, h.dst), (B, A));
        assert_eq!(checksum(&reply[..20]), 0);
        assert_eq!(
            parse_icmp_echo_reply(&reply),
            Some((0x1234, 7, &b"hello"[..]))
        );
        assert!(echo_reply(&req, A).is_none(), "not addressed to A");
        assert!(echo_reply(&reply, A).is_none(), "replies are not answered");
    }

    #[test]
    fn udp_echo_swaps_ports() {
        let mut udp = alloc::vec![0x9c, 0x40, 0, 7, 0, 12, 0, 0, b'p', b'i', b'n', b'g'];
        udp[6..8].copy_from_slice(&[0, 0]);
        let req = ipv4_packet(A, B, PROTO_UDP, 3, &udp);
        let reply = echo_reply(&req, B).unwrap();
        assert_eq!(&reply[20..24], &[0, 7, 0x9c, 0x40]);
        assert_eq!(&reply[28..], b"ping");
        // The UDP checksum verifies over the pseudo-header.
        let mut pseudo = B.octets().to_vec();
        pseudo.extend_from_slice(&A.octets());
        pseudo.extend_from_slice(&[0, 17, 0, 12]);
        pseudo.extend_from_slice(&reply[20..]);
        assert_eq!(checksum(&pseudo), 0);
        let mut other = req.clone();
        other[23] = 9;
        assert!(echo_reply(&other, B).is_none());
    }

    #[test]
    fn bad_header_checksum_is_ignored() {
        let mut req = icmp_echo_request(A, B, 1, 1, b"x");
        req[10] ^= 1;
        assert!(Ipv4Header::parse(&req).is_none());
        assert!(echo_reply(&req, B).is_none());
    }

    #[test]
    fn bad_icmp_checksum_and_truncation_are_ignored() {
        let req = icmp_echo_request(A, B, 1, 1, b"abcd");
        let mut bad = req.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x55;
        assert!(echo_reply(&bad, B).is_none(), "ICMP checksum is checked");
        // Total length claims more than there is.
        assert!(echo_reply(&req[..req.len() - 1], B).is_none());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_replies_are_valid(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..120)) {
            if let Some(r) = echo_reply(&bytes, B) {
                let h = Ipv4Header::parse(&r).expect("a valid reply header");
                proptest::prop_assert_eq!(h.src, B);
                proptest::prop_assert_eq!(checksum(&r[..20]), 0);
            }
        }

        #[test]
        fn every_echo_request_is_answered(
            ident in proptest::num::u16::ANY,
            seq in proptest::num::u16::ANY,
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..1400),
        ) {
            let req = icmp_echo_request(A, B, ident, seq, &data);
            let reply = echo_reply(&req, B).expect("answered");
            proptest::prop_assert_eq!(parse_icmp_echo_reply(&reply), Some((ident, seq, &data[..])));
        }
    }

    #[test]
    fn garbage_is_ignored() {
        for p in [&[][..], &[0x45; 19], &[0x60; 40]] {
            assert!(Ipv4Header::parse(p).is_none());
            assert!(echo_reply(p, B).is_none());
        }
    }
}
