//! Which IP packets a session agrees to send.

use crate::netpkt::{Ipv4Packet, Ipv6Packet, version};

/// Whether `packet` is one whole IPv4 packet (or IPv6 when `ipv6` is
/// set): the receiver splits KMP 300 payloads by the packets' own length
/// fields (spec §3.5), so a packet whose declared length differs from its
/// real length would desynchronise it — OpenConnect ends the session on
/// that.
pub(crate) fn is_whole_packet(packet: &[u8], ipv6: bool) -> bool {
    match version(packet) {
        Some(4) => Ipv4Packet::new_checked(packet).is_ok_and(|p| p.total_len() == packet.len()),
        Some(6) if ipv6 => {
            Ipv6Packet::new_checked(packet).is_ok_and(|p| p.total_len() == packet.len())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_whole_packets() {
        let mut v4 = [0u8; 28];
        v4[0] = 0x45;
        v4[3] = 28;
        assert!(is_whole_packet(&v4, false));
        assert!(!is_whole_packet(&v4[..27], false), "cut short");
        v4[3] = 20;
        assert!(!is_whole_packet(&v4, false), "trailing bytes");
        let mut v6 = [0u8; 48];
        v6[0] = 0x60;
        v6[5] = 8;
        assert!(is_whole_packet(&v6, true));
        assert!(!is_whole_packet(&v6, false), "IPv6 not carried");
        assert!(!is_whole_packet(&[], true));
        assert!(!is_whole_packet(&[0x45, 0, 0, 4], false), "below 20");
    }
}
