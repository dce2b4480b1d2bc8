//! ICMPv6 echo (RFC 4443 §4) for tests, the demo and the gateway's echo
//! mode: building echo requests and answering those addressed to us.

use alloc::vec::Vec;
use core::net::Ipv6Addr;

use super::{Ipv6Packet, checksum};

/// IPv6 next-header value of ICMPv6.
pub const NEXT_HEADER_ICMPV6: u8 = 58;
/// ICMPv6 echo request type.
const ECHO_REQUEST: u8 = 128;
/// ICMPv6 echo reply type.
const ECHO_REPLY: u8 = 129;
/// Hop limit of the packets built here.
const HOP_LIMIT: u8 = 64;

/// The ICMPv6 checksum of `msg` (its checksum field zero) between `src`
/// and `dst`: over the pseudo-header of RFC 8200 §8.1 and the message.
fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut buf = Vec::with_capacity(40 + msg.len());
    buf.extend_from_slice(&src.octets());
    buf.extend_from_slice(&dst.octets());
    buf.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    buf.extend_from_slice(&[0, 0, 0, NEXT_HEADER_ICMPV6]);
    buf.extend_from_slice(msg);
    checksum(&buf)
}

/// An IPv6 packet carrying the ICMPv6 message `msg` (checksum filled in);
/// `None` if it does not fit a payload length.
fn ipv6_icmp(src: Ipv6Addr, dst: Ipv6Addr, mut msg: Vec<u8>) -> Option<Vec<u8>> {
    let len = u16::try_from(msg.len()).ok()?;
    msg[2..4].copy_from_slice(&[0, 0]);
    let c = icmpv6_checksum(src, dst, &msg);
    msg[2..4].copy_from_slice(&c.to_be_bytes());
    let mut p = Vec::with_capacity(40 + msg.len());
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&len.to_be_bytes());
    p.extend_from_slice(&[NEXT_HEADER_ICMPV6, HOP_LIMIT]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&msg);
    Some(p)
}

/// An ICMPv6 echo request from `src` to `dst`; `None` if `data` is too
/// long for one packet.
pub fn icmpv6_echo_request(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    ident: u16,
    seq: u16,
    data: &[u8],
) -> Option<Vec<u8>> {
    let mut msg = Vec::with_capacity(8 + data.len());
    msg.extend_from_slice(&[ECHO_REQUEST, 0, 0, 0]);
    msg.extend_from_slice(&ident.to_be_bytes());
    msg.extend_from_slice(&seq.to_be_bytes());
    msg.extend_from_slice(data);
    ipv6_icmp(src, dst, msg)
}

/// The (identifier, sequence, data) of an ICMPv6 echo reply with a valid
/// checksum.
pub fn parse_icmpv6_echo_reply(p: &[u8]) -> Option<(u16, u16, &[u8])> {
    let v = Ipv6Packet::new_checked(p).ok()?;
    let msg = p.get(super::IPV6_HEADER_LEN..v.total_len())?;
    if v.next_header() != NEXT_HEADER_ICMPV6
        || msg.len() < 8
        || msg[0] != ECHO_REPLY
        || icmpv6_checksum(v.src_addr(), v.dst_addr(), msg) != 0
    {
        return None;
    }
    Some((
        u16::from_be_bytes([msg[4], msg[5]]),
        u16::from_be_bytes([msg[6], msg[7]]),
        &msg[8..],
    ))
}

/// Answers `p` if it is an ICMPv6 echo request (no extension headers,
/// valid checksum) addressed to `me`: the reply goes back to the sender.
pub fn echo_reply_v6(p: &[u8], me: Ipv6Addr) -> Option<Vec<u8>> {
    let v = Ipv6Packet::new_checked(p).ok()?;
    let msg = v.payload();
    if v.dst_addr() != me
        || v.next_header() != NEXT_HEADER_ICMPV6
        || msg.len() < 8
        || msg[0] != ECHO_REQUEST
        || icmpv6_checksum(v.src_addr(), me, msg) != 0
    {
        return None;
    }
    let mut reply = msg.to_vec();
    reply[0] = ECHO_REPLY;
    ipv6_icmp(me, v.src_addr(), reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_requests_to_us_are_answered() {
        let me: Ipv6Addr = "fd00:10::1".parse().unwrap();
        let peer: Ipv6Addr = "fd00:10::2".parse().unwrap();
        let req = icmpv6_echo_request(peer, me, 7, 3, b"hello").unwrap();
        let reply = echo_reply_v6(&req, me).unwrap();
        assert_eq!(parse_icmpv6_echo_reply(&reply), Some((7, 3, &b"hello"[..])));
        let v = Ipv6Packet::new_checked(&reply[..]).unwrap();
        assert_eq!((v.src_addr(), v.dst_addr()), (me, peer));
        // Not for us, not a request, a bad checksum, truncated: no answer.
        assert_eq!(echo_reply_v6(&req, peer), None);
        assert_eq!(echo_reply_v6(&reply, peer), None);
        let mut bad = req.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(echo_reply_v6(&bad, me), None);
        assert_eq!(echo_reply_v6(&req[..45], me), None);
        assert_eq!(parse_icmpv6_echo_reply(&req), None);
    }

    #[test]
    fn known_checksum() {
        // An echo request ::1 -> ::1, id 0, seq 0, no data: the checksum
        // is ~(0x8000 + 0x0001 + 0x0001 + 0x0008 + 0x003a) = ~0x8044 = 0x7fbb.
        let lo = Ipv6Addr::LOCALHOST;
        let p = icmpv6_echo_request(lo, lo, 0, 0, &[]).unwrap();
        assert_eq!(&p[42..44], &[0x7f, 0xbb]);
    }
}
