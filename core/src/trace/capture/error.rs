//! Errors of the capture readers. Offsets are byte offsets in the capture file.

use thiserror::Error;

/// Something wrong in a pcap or pcapng file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CaptureError {
    /// The file starts with neither a pcap magic nor a pcapng section header.
    #[error("offset 0: magic {magic:#010x} is neither pcap nor pcapng")]
    BadMagic {
        /// The first four bytes, big-endian.
        magic: u32,
    },
    /// A pcapng section header's byte-order magic is not 0x1A2B3C4D.
    #[error("offset {offset}: section header byte-order magic {magic:#010x} is invalid")]
    BadByteOrderMagic {
        /// Offset of the section header block.
        offset: u64,
        /// The value read.
        magic: u32,
    },
    /// A block or record length is over the limit; the reader stops.
    #[error("offset {offset}: {what} length {length} exceeds the limit of {limit} bytes")]
    TooLong {
        /// Offset of the block or record.
        offset: u64,
        /// "block" or "packet record".
        what: &'static str,
        /// The length field.
        length: u64,
        /// The limit.
        limit: u64,
    },
    /// A pcapng block length is not a multiple of 4 or too small; the reader
    /// stops.
    #[error("offset {offset}: block length {length} is invalid (block type {block_type:#x})")]
    BadBlockLength {
        /// Offset of the block.
        offset: u64,
        /// Its type.
        block_type: u32,
        /// The length field.
        length: u32,
    },
    /// A pcapng block's trailing length differs from its leading one.
    #[error(
        "offset {offset}: block type {block_type:#x} trailing length {trailing} differs from {length}"
    )]
    LengthMismatch {
        /// Offset of the block.
        offset: u64,
        /// Its type.
        block_type: u32,
        /// The leading length.
        length: u32,
        /// The trailing length.
        trailing: u32,
    },
    /// A block's body is too short for its fixed fields; the block is skipped.
    #[error("offset {offset}: block type {block_type:#x} body is too short ({length} bytes)")]
    BlockTooShort {
        /// Offset of the block.
        offset: u64,
        /// Its type.
        block_type: u32,
        /// The block length.
        length: u32,
    },
    /// A packet names an interface that no interface description declared;
    /// the packet is skipped.
    #[error("offset {offset}: packet on undeclared interface {interface}")]
    UnknownInterface {
        /// Offset of the block.
        offset: u64,
        /// The interface id.
        interface: u32,
    },
    /// A packet block appears before any section header.
    #[error("offset {offset}: block type {block_type:#x} before any section header")]
    NoSection {
        /// Offset of the block.
        offset: u64,
        /// Its type.
        block_type: u32,
    },
    /// The interface's timestamp resolution cannot be represented.
    #[error("offset {offset}: unsupported timestamp resolution {tsresol:#04x}")]
    BadTsResolution {
        /// Offset of the interface description block.
        offset: u64,
        /// The option value.
        tsresol: u8,
    },
    /// The captured length of a record exceeds its original length or its block.
    #[error(
        "offset {offset}: captured length {captured} does not fit the record ({available} bytes)"
    )]
    BadCapturedLength {
        /// Offset of the record.
        offset: u64,
        /// The captured length field.
        captured: u32,
        /// The bytes available for it.
        available: u64,
    },
    /// The file ends inside a header, record or block.
    #[error("offset {offset}: file ends inside a {what} ({have} of {need} bytes)")]
    Truncated {
        /// Offset of the incomplete part.
        offset: u64,
        /// What was being read.
        what: &'static str,
        /// Bytes present.
        have: u64,
        /// Bytes needed.
        need: u64,
    },
}
