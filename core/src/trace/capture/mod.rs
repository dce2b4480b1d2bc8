//! Capture file readers: pcap (both byte orders, micro- and nanosecond
//! timestamps) and pcapng (sections in either byte order, several
//! interfaces with their own link types and timestamp resolutions,
//! enhanced and simple packet blocks, decryption secrets blocks).
//!
//! [`CaptureReader`] is streaming and sans-IO: [`CaptureReader::push`] any
//! chunk of the file, then take [`CaptureItem`]s with
//! [`CaptureReader::next_item`] until it returns `None`. Partial blocks are
//! kept until the rest arrives; every block length is checked against
//! [`CaptureLimits::max_block`] before anything is buffered for it, so
//! memory is bounded by one block, not by the file.

mod error;
mod pcap;
mod pcapng;
mod reader;

pub use error::CaptureError;
pub use reader::{CaptureItem, CaptureLimits, CaptureReader, Packet};

/// A link-layer header type (LINKTYPE_* of the pcap registry). Unknown
/// values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the writer's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (with 802.1Q / 802.1ad tags).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP on some BSDs (DLT_RAW = 12).
    pub const RAW_BSD: LinkType = LinkType(12);
    /// Raw IP (LINKTYPE_RAW).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte big-endian address family.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// A short name for the text rendering.
    pub const fn name(self) -> &'static str {
        match self.0 {
            0 => "null",
            1 => "ethernet",
            12 | 101 => "raw",
            108 => "loop",
            113 => "linux-sll",
            228 => "ipv4",
            229 => "ipv6",
            276 => "linux-sll2",
            _ => "unknown",
        }
    }
}

/// The secrets type of a pcapng decryption secrets block carrying an NSS
/// TLS key log.
pub const SECRETS_TLS_KEYLOG: u32 = 0x544c_534b;

/// Byte order of a capture section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    pub(crate) fn u16(self, b: &[u8], at: usize) -> u16 {
        let v = [b[at], b[at + 1]];
        match self {
            Endian::Little => u16::from_le_bytes(v),
            Endian::Big => u16::from_be_bytes(v),
        }
    }

    pub(crate) fn u32(self, b: &[u8], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        match self {
            Endian::Little => u32::from_le_bytes(v),
            Endian::Big => u32::from_be_bytes(v),
        }
    }
}
