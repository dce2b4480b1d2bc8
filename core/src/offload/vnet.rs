//! The `virtio_net_hdr` (10 bytes, the layout of `linux/virtio_net.h`)
//! before every packet on a TUN device opened with `IFF_VNET_HDR`. Its
//! 16-bit fields are in the host's byte order for a legacy device (the
//! default: `TUNSETVNETLE` is not used); this module assumes a
//! little-endian host, as every Linux target oncp builds for is.

use super::OffloadError;

/// Bytes of the header.
pub const LEN: usize = 10;

/// `flags`: `csum_start`/`csum_offset` are valid and the checksum at
/// `csum_start + csum_offset` holds only the pseudo-header sum: the
/// checksum from `csum_start` to the end is still to be computed.
pub const F_NEEDS_CSUM: u8 = 1;
/// `flags`: the checksum was verified (reads only).
pub const F_DATA_VALID: u8 = 2;

/// `gso_type`: not a super-packet.
pub const GSO_NONE: u8 = 0;
/// `gso_type`: TCP over IPv4.
pub const GSO_TCPV4: u8 = 1;
/// `gso_type`: UDP fragmentation offload (obsolete; never segmented here).
pub const GSO_UDP: u8 = 3;
/// `gso_type`: TCP over IPv6.
pub const GSO_TCPV6: u8 = 4;
/// `gso_type`: UDP segmentation (USO), IPv4 or IPv6.
pub const GSO_UDP_L4: u8 = 5;
/// `gso_type` bit: the TCP flow uses ECN (CWR stays on the first segment).
pub const GSO_ECN: u8 = 0x80;

/// A parsed virtio-net header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VnetHdr {
    /// `F_NEEDS_CSUM`, `F_DATA_VALID`.
    pub flags: u8,
    /// `GSO_*`, possibly with `GSO_ECN`.
    pub gso_type: u8,
    /// Bytes of the headers (IP + TCP/UDP) before the payload.
    pub hdr_len: u16,
    /// Payload bytes per segment (the MSS for TCP).
    pub gso_size: u16,
    /// Where the checksummed part starts (the transport header).
    pub csum_start: u16,
    /// Where the checksum field is, from `csum_start`.
    pub csum_offset: u16,
}

impl VnetHdr {
    /// Splits `frame` into its header and the packet after it.
    pub fn parse(frame: &[u8]) -> Result<(VnetHdr, &[u8]), OffloadError> {
        let (h, rest) = frame
            .split_first_chunk::<LEN>()
            .ok_or(OffloadError::ShortFrame)?;
        Ok((VnetHdr::from_bytes(h), rest))
    }

    /// Decodes the 10 header bytes.
    pub fn from_bytes(h: &[u8; LEN]) -> VnetHdr {
        let u = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
        VnetHdr {
            flags: h[0],
            gso_type: h[1],
            hdr_len: u(2),
            gso_size: u(4),
            csum_start: u(6),
            csum_offset: u(8),
        }
    }

    /// Encodes the header.
    pub fn to_bytes(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[0] = self.flags;
        b[1] = self.gso_type;
        b[2..4].copy_from_slice(&self.hdr_len.to_le_bytes());
        b[4..6].copy_from_slice(&self.gso_size.to_le_bytes());
        b[6..8].copy_from_slice(&self.csum_start.to_le_bytes());
        b[8..10].copy_from_slice(&self.csum_offset.to_le_bytes());
        b
    }

    /// The GSO type without the ECN bit.
    pub fn gso_kind(&self) -> u8 {
        self.gso_type & !GSO_ECN
    }
}
