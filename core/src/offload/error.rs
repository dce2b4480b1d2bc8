//! What can be wrong with a frame read from a TUN device with offloads.

/// A TUN frame that cannot be turned into packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OffloadError {
    /// Shorter than the virtio header.
    #[error("frame shorter than the virtio-net header")]
    ShortFrame,
    /// A GSO type this code does not segment.
    #[error("unsupported GSO type {0}")]
    UnsupportedGso(u8),
    /// The packet's headers do not match its GSO type (wrong IP version or
    /// protocol, IPv6 extension headers, truncated headers).
    #[error("packet headers do not match GSO type {0}")]
    BadHeaders(u8),
    /// GSO with a segment size of zero.
    #[error("GSO segment size 0")]
    ZeroSegmentSize,
    /// The checksum position is outside the packet.
    #[error("checksum offsets outside the packet")]
    BadChecksumOffsets,
}
