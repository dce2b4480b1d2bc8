//! KMP 300 data payloads (spec/oncp.md §3.5): whole IP packets back to
//! back, each delimited by its own length field.

use alloc::vec::Vec;

use super::error::{WireError, WireErrorKind};
use super::kmp::{KmpMessage, Sender};
use super::kmp_type::KmpType;

/// The smallest per-packet limit a receiver applies (OpenConnect uses
/// max(16384, MTU)).
pub const MIN_PACKET_LIMIT: usize = 16384;

/// The length an IP packet declares in its own header: IPv4 total length,
/// or IPv6 payload length + 40. `None` if `packet` is too short to tell or
/// is not IPv4/IPv6.
pub fn declared_ip_len(packet: &[u8]) -> Option<usize> {
    crate::netpkt::declared_len(packet)
}

/// Splits a KMP 300 payload into its IP packets. Each packet's declared
/// length must be non-zero, at most `max_packet` and within the payload,
/// and the packets must fill the payload exactly.
pub fn split_ip_packets(payload: &[u8], max_packet: usize) -> Result<Vec<&[u8]>, WireError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < payload.len() {
        let rest = &payload[pos..];
        let err = |problem| WireError::new(pos as u64, WireErrorKind::BadIpPacket { problem });
        let len = match crate::netpkt::version(rest) {
            Some(4) | Some(6) => declared_ip_len(rest).ok_or(err("header cut short"))?,
            _ => return Err(err("not IPv4 or IPv6")),
        };
        if len == 0 || (crate::netpkt::version(rest) == Some(4) && len < 20) {
            return Err(err("zero or too small length"));
        }
        if len > max_packet {
            return Err(err("packet longer than the limit"));
        }
        if len > rest.len() {
            return Err(err("packet runs past the message"));
        }
        out.push(&rest[..len]);
        pos += len;
    }
    Ok(out)
}

/// Appends `packet` as a KMP 300 from `sender` in one record (two if it is
/// longer than 65515 bytes) to `out`: the data-path fast path, copying the
/// packet once.
pub fn append_data_record(
    packet: &[u8],
    sender: Sender,
    out: &mut Vec<u8>,
) -> Result<(), WireError> {
    super::record::append_kmp_records(
        KmpType::DATA,
        sender,
        packet,
        super::record::MAX_RECORD_PAYLOAD,
        out,
    )
}

/// A KMP 300 carrying `packet` from `sender`.
pub fn data_message(packet: &[u8], sender: Sender) -> Result<KmpMessage, WireError> {
    KmpMessage::new(KmpType::DATA, sender, packet.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: [u8; 20] = [
        0x45, 0, 0, 0x14, 0x11, 0x11, 0, 0, 0x40, 0xfd, 0x1e, 0x00, 10, 0, 0, 1, 10, 10, 1, 2,
    ];

    #[test]
    fn splits_back_to_back_packets() {
        let mut p = P1.to_vec();
        p.extend_from_slice(&P1);
        let v = split_ip_packets(&p, MIN_PACKET_LIMIT).unwrap();
        assert_eq!(v, [&P1[..], &P1[..]]);
        let mut v6 = [0u8; 48];
        v6[0] = 0x60;
        v6[5] = 8;
        assert_eq!(split_ip_packets(&v6, MIN_PACKET_LIMIT).unwrap().len(), 1);
    }

    #[test]
    fn data_record_is_the_message_in_a_record() {
        let mut out = Vec::new();
        append_data_record(&P1, Sender::Server, &mut out).unwrap();
        let msg = data_message(&P1, Sender::Server).unwrap();
        assert_eq!(out, crate::oncp::wire::record::encode_record(&msg.to_vec()));
    }

    #[test]
    fn rejects_bad_data() {
        assert!(split_ip_packets(&[0x55, 0, 0, 20], 100).is_err());
        assert!(split_ip_packets(&P1[..19], 100).is_err());
        let mut p = P1.to_vec();
        p.push(0x45);
        assert_eq!(split_ip_packets(&p, 100).unwrap_err().offset, 20);
        assert!(split_ip_packets(&P1, 19).is_err());
        let mut zero = P1;
        zero[3] = 0;
        assert!(split_ip_packets(&zero, 100).is_err());
    }
}
