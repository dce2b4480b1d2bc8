//! Which IP packets a session agrees to send.

use crate::oncp::wire::data::declared_ip_len;

/// Whether `packet` is one whole IPv4 packet (or IPv6 when `ipv6` is
/// set): the receiver splits KMP 300 payloads by the packets' own length
/// fields (spec §3.5), so a packet whose declared length differs from its
/// real length would desynchronise it — OpenConnect ends the session on
/// that.
pub(crate) fn is_whole_packet(packet: &[u8], ipv6: bool) -> bool {
    let min = match packet.first().map(|b| b >> 4) {
        Some(4) => 20,
        Some(6) if ipv6 => 40,
        _ => return false,
    };
    packet.len() >= min && declared_ip_len(packet) == Some(packet.len())
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
