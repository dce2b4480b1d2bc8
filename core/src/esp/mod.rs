//! ESP over UDP as oNCP uses it (spec/oncp.md §6–§7): security
//! associations with AES-CBC and HMAC-96, in-place encryption and
//! decryption, the replay window and probes.
//!
//! The UDP payload is a plain ESP packet (no UDP-encapsulation marker):
//! SPI, sequence number, IV, ciphertext of payload ‖ padding ‖ pad length ‖
//! next header, then a 12-byte ICV over everything before it.

mod algorithm;
mod error;
pub mod replay;
pub mod sa;

pub use algorithm::{BLOCK_LEN, Cipher, ICV_LEN, Integrity};
pub use error::EspError;
pub use replay::{ReplayVerdict, ReplayWindow};
pub use sa::{
    Decrypted, HEADER_LEN, InboundSa, InboundStats, OutboundSa, SaLifetime, SaParams,
    ciphertext_len, packet_len,
};

/// An ESP next-header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NextHeader(pub u8);

impl NextHeader {
    /// 4: an IPv4 packet.
    pub const IPV4: NextHeader = NextHeader(4);
    /// 5: an LZO-compressed IPv4 packet (Juniper's reuse of the number).
    pub const LZO_IPV4: NextHeader = NextHeader(5);
    /// 41: an IPv6 packet.
    pub const IPV6: NextHeader = NextHeader(41);

    /// The next header for an uncompressed IP packet: IPv6 if its first
    /// nibble is 6, IPv4 otherwise (spec §7.4).
    pub fn for_packet(packet: &[u8]) -> NextHeader {
        match packet.first().map(|b| b >> 4) {
            Some(6) => NextHeader::IPV6,
            _ => NextHeader::IPV4,
        }
    }
}

/// The SPI of an ESP datagram, for picking its SA (`None` if shorter than
/// an SPI).
pub fn spi_of(datagram: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(datagram.get(..4)?.try_into().ok()?))
}

/// The sequence number of an ESP datagram, unauthenticated.
pub fn seq_of(datagram: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(datagram.get(4..8)?.try_into().ok()?))
}
