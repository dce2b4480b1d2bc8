//! ESP over UDP as oNCP uses it (spec/oncp.md §6–§7): security
//! associations with AES-CBC and HMAC-96 (plus Pulse's HMAC-SHA-256-128), in-place encryption and
//! decryption, the replay window and probes.
//!
//! The UDP payload is a plain ESP packet (no UDP-encapsulation marker):
//! SPI, sequence number, IV, ciphertext of payload ‖ padding ‖ pad length ‖
//! next header, then a 12-byte ICV (16 with SHA-256) over everything before it.
//!
//! The hot path allocates nothing: a caller keeps [`HEADER_LEN`] bytes of
//! headroom in front of the payload and up to [`MAX_TRAILER_LEN`] bytes of
//! tailroom after it, [`OutboundSa::encrypt_in_place`] fills both, and
//! [`InboundSa::decrypt_in_place`] returns where the payload is.
//!
//! The grace period of the previous inbound SA after a rekey (spec §6.3)
//! is kept by the session (`oncp::session::esp_link`) around two [`InboundSa`]s.

mod algorithm;
mod batch;
mod bridge;
mod error;
mod header;
mod hmac_lanes;
mod hmac_sha1;
mod inbound;
mod layout;
mod open_batch;
mod outbound;
mod params;
mod replay;
mod seal_slot;
mod sha1_lanes;

pub use algorithm::{BLOCK_LEN, Cipher, CipherCode, ICV_LEN, Integrity, MAX_ICV_LEN, MacCode};
pub use batch::BATCH_LANES;
pub use bridge::SaError;
pub use error::EspError;
pub use header::{ESP_FIXED_LEN, EspPacket};
pub use inbound::{Decrypted, EncryptedRest, InboundSa, InboundStats};
pub use layout::{
    HEADER_LEN, MAX_TRAILER_LEN, MIN_PACKET_LEN, PROBE_LEN, ciphertext_len, packet_len,
    packet_len_with, padding_len, seq_of, spi_of,
};
pub use outbound::{OutboundSa, RekeyReason, SEQ_REKEY_MARGIN};
pub use params::{SaLifetime, SaParams};
pub use replay::{ReplayVerdict, ReplayWindow};
pub use seal_slot::SealSlot;
pub use sha1_lanes::{
    SHA1_LANES, Sha1LanesFn, Sha1LanesState, install_sha1_lanes, sha1_compress_lanes,
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
        match crate::netpkt::version(packet) {
            Some(6) => NextHeader::IPV6,
            _ => NextHeader::IPV4,
        }
    }
}
