//! Link-layer headers: finding the IP packet inside a captured frame.

use super::capture::LinkType;

/// The most VLAN tags skipped in one Ethernet frame.
pub const MAX_VLAN_TAGS: usize = 4;

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPayload<'a> {
    /// An IPv4 or IPv6 packet (the version nibble tells which).
    Ip {
        /// The packet bytes (may include link padding at the end).
        packet: &'a [u8],
        /// Offset of the packet within the frame.
        offset: usize,
        /// VLAN ids, outermost first (at most [`MAX_VLAN_TAGS`]).
        vlans: [Option<u16>; MAX_VLAN_TAGS],
    },
    /// Something else (ARP, LLDP, …): its EtherType or address family.
    Other {
        /// The EtherType, or the address family for loopback captures.
        protocol: u32,
    },
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The frame is shorter than its link header.
    #[error("{link} frame of {len} bytes is shorter than its {need}-byte header")]
    Truncated {
        /// The link type name.
        link: &'static str,
        /// Frame length.
        len: usize,
        /// Header length needed.
        need: usize,
    },
    /// The capture's link type is not one we decode.
    #[error("link type {0} is not supported")]
    Unsupported(u16),
    /// More VLAN tags than [`MAX_VLAN_TAGS`].
    #[error("more than {MAX_VLAN_TAGS} VLAN tags")]
    TooManyVlans,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn need(link: LinkType, frame: &[u8], n: usize) -> Result<(), LinkError> {
    if frame.len() < n {
        Err(LinkError::Truncated {
            link: link.name(),
            len: frame.len(),
            need: n,
        })
    } else {
        Ok(())
    }
}

fn by_ethertype(
    frame: &[u8],
    ethertype: u16,
    at: usize,
    vlans: [Option<u16>; MAX_VLAN_TAGS],
) -> LinkPayload<'_> {
    match ethertype {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => LinkPayload::Ip {
            packet: &frame[at..],
            offset: at,
            vlans,
        },
        other => LinkPayload::Other {
            protocol: other.into(),
        },
    }
}

/// Finds the IP packet in `frame` captured with `link`.
pub fn decode(link: LinkType, frame: &[u8]) -> Result<LinkPayload<'_>, LinkError> {
    let no_vlans = [None; MAX_VLAN_TAGS];
    match link {
        LinkType::ETHERNET => {
            need(link, frame, 14)?;
            let mut at = 12;
            let mut vlans = no_vlans;
            let mut n = 0;
            loop {
                let ethertype = be16(frame, at);
                if matches!(ethertype, 0x8100 | 0x88A8 | 0x9100) {
                    if n == MAX_VLAN_TAGS {
                        return Err(LinkError::TooManyVlans);
                    }
                    need(link, frame, at + 6)?;
                    vlans[n] = Some(be16(frame, at + 2) & 0x0FFF);
                    n += 1;
                    at += 4;
                    continue;
                }
                return Ok(by_ethertype(frame, ethertype, at + 2, vlans));
            }
        }
        LinkType::LINUX_SLL => {
            need(link, frame, 16)?;
            Ok(by_ethertype(frame, be16(frame, 14), 16, no_vlans))
        }
        LinkType::LINUX_SLL2 => {
            need(link, frame, 20)?;
            Ok(by_ethertype(frame, be16(frame, 0), 20, no_vlans))
        }
        LinkType::RAW | LinkType::RAW_BSD | LinkType::IPV4 | LinkType::IPV6 => {
            Ok(LinkPayload::Ip {
                packet: frame,
                offset: 0,
                vlans: no_vlans,
            })
        }
        LinkType::NULL | LinkType::LOOP => {
            need(link, frame, 4)?;
            let raw = [frame[0], frame[1], frame[2], frame[3]];
            // LOOP is always big-endian; NULL is in the writer's byte order,
            // and a family is a small number, so the order that gives one wins.
            let family = if link == LinkType::LOOP || u32::from_be_bytes(raw) < 0x100 {
                u32::from_be_bytes(raw)
            } else {
                u32::from_le_bytes(raw)
            };
            match family {
                // AF_INET; AF_INET6 of BSDs (24), FreeBSD (28), macOS (30).
                2 | 24 | 28 | 30 => Ok(LinkPayload::Ip {
                    packet: &frame[4..],
                    offset: 4,
                    vlans: no_vlans,
                }),
                other => Ok(LinkPayload::Other { protocol: other }),
            }
        }
        other => Err(LinkError::Unsupported(other.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const IP: [u8; 4] = [0x45, 0, 0, 20];

    fn ip_of(p: LinkPayload<'_>) -> (&[u8], [Option<u16>; 4]) {
        match p {
            LinkPayload::Ip { packet, vlans, .. } => (packet, vlans),
            other => panic!("not IP: {other:?}"),
        }
    }

    #[test]
    fn ethernet_plain_and_qinq() {
        let mut f = Vec::from([0u8; 12]);
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&IP);
        assert_eq!(ip_of(decode(LinkType::ETHERNET, &f).unwrap()).0, IP);

        let mut q = Vec::from([0u8; 12]);
        q.extend_from_slice(&[0x88, 0xA8, 0x00, 0x64, 0x81, 0x00, 0x20, 0x07, 0x86, 0xDD]);
        q.extend_from_slice(&IP);
        let (p, v) = ip_of(decode(LinkType::ETHERNET, &q).unwrap());
        assert_eq!(p, IP);
        assert_eq!(v[..2], [Some(100), Some(7)]);

        let mut arp = Vec::from([0u8; 12]);
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        assert_eq!(
            decode(LinkType::ETHERNET, &arp).unwrap(),
            LinkPayload::Other { protocol: 0x0806 }
        );
        let mut many = Vec::from([0u8; 12]);
        for _ in 0..5 {
            many.extend_from_slice(&[0x81, 0x00, 0, 1]);
        }
        many.extend_from_slice(&[0x08, 0x00]);
        assert_eq!(
            decode(LinkType::ETHERNET, &many),
            Err(LinkError::TooManyVlans)
        );
        assert!(matches!(
            decode(LinkType::ETHERNET, &q[..15]),
            Err(LinkError::Truncated { .. })
        ));
    }

    #[test]
    fn linux_cooked() {
        let mut sll = Vec::from([0u8; 14]);
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&IP);
        assert_eq!(ip_of(decode(LinkType::LINUX_SLL, &sll).unwrap()).0, IP);

        let mut sll2 = Vec::from([0x86, 0xDD]);
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&IP);
        assert_eq!(ip_of(decode(LinkType::LINUX_SLL2, &sll2).unwrap()).0, IP);
        assert!(decode(LinkType::LINUX_SLL2, &sll2[..19]).is_err());
    }

    #[test]
    fn raw_and_null_in_both_orders() {
        for lt in [
            LinkType::RAW,
            LinkType::IPV4,
            LinkType::IPV6,
            LinkType::RAW_BSD,
        ] {
            assert_eq!(ip_of(decode(lt, &IP).unwrap()).0, IP);
        }
        let mut le = Vec::from(2u32.to_le_bytes());
        le.extend_from_slice(&IP);
        assert_eq!(ip_of(decode(LinkType::NULL, &le).unwrap()).0, IP);
        let mut be = Vec::from(30u32.to_be_bytes());
        be.extend_from_slice(&IP);
        assert_eq!(ip_of(decode(LinkType::NULL, &be).unwrap()).0, IP);
        let mut lo = Vec::from(24u32.to_be_bytes());
        lo.extend_from_slice(&IP);
        assert_eq!(ip_of(decode(LinkType::LOOP, &lo).unwrap()).0, IP);
        assert_eq!(
            decode(LinkType::NULL, &7u32.to_le_bytes()).unwrap(),
            LinkPayload::Other { protocol: 7 }
        );
        assert_eq!(decode(LinkType(147), &IP), Err(LinkError::Unsupported(147)));
    }
}
