//! IF-T/TLS messages (spec/pulse.md §3.1–§3.3): the 16-byte big-endian
//! header (reserved byte, 24-bit vendor id, type, length including the
//! header, identifier) and the value after it.

use alloc::vec::Vec;

use nom::Parser;
use nom::number::streaming::{be_u8, be_u24, be_u32};

use super::error::{PulseError, PulseErrorKind};
use super::parse::run;

/// Length of the IF-T header; also the smallest message.
pub const HEADER_LEN: usize = 16;

/// Default limit on a whole message (header included): 1 MiB, the most
/// OpenConnect 9.20+ accepts for a configuration (spec/pulse.md §3.6).
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 1 << 20;

/// An IF-T message-type vendor id (24 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vendor(pub u32);

impl Vendor {
    /// 0x005597, the Trusted Computing Group: standard IF-T messages.
    pub const TCG: Vendor = Vendor(0x0000_5597);
    /// 0x000a4c, Juniper Networks: the Pulse messages.
    pub const JUNIPER: Vendor = Vendor(0x0000_0a4c);
}

/// A (vendor, type) pair naming an IF-T message (spec/pulse.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageType {
    /// Vendor id.
    pub vendor: Vendor,
    /// Type number within the vendor's namespace.
    pub number: u32,
}

impl MessageType {
    const fn tcg(number: u32) -> Self {
        MessageType {
            vendor: Vendor::TCG,
            number,
        }
    }
    const fn juniper(number: u32) -> Self {
        MessageType {
            vendor: Vendor::JUNIPER,
            number,
        }
    }
    /// TCG 1: version request (C>S).
    pub const VERSION_REQUEST: Self = Self::tcg(1);
    /// TCG 2: version response (S>C).
    pub const VERSION_RESPONSE: Self = Self::tcg(2);
    /// TCG 5: client authentication challenge (S>C, EAP requests).
    pub const AUTH_CHALLENGE: Self = Self::tcg(5);
    /// TCG 6: client authentication response (C>S, EAP responses).
    pub const AUTH_RESPONSE: Self = Self::tcg(6);
    /// TCG 7: client authentication success (S>C).
    pub const AUTH_SUCCESS: Self = Self::tcg(7);
    /// Juniper 1: configuration / ESP keys (both directions).
    pub const CONFIG: Self = Self::juniper(1);
    /// Juniper 4: one IP packet.
    pub const DATA: Self = Self::juniper(4);
    /// Juniper 5: `ncmo=1` after the ESP key reply.
    pub const NCMO: Self = Self::juniper(5);
    /// Juniper 0x88: client information.
    pub const CLIENT_INFO: Self = Self::juniper(0x88);
    /// Juniper 0x89: logout.
    pub const LOGOUT: Self = Self::juniper(0x89);
    /// Juniper 0x8f: end of configuration.
    pub const END_OF_CONFIG: Self = Self::juniper(0x8f);
    /// Juniper 0x93: fatal error / session termination.
    pub const FATAL_ERROR: Self = Self::juniper(0x93);
    /// Juniper 0x96: licence information.
    pub const LICENCE: Self = Self::juniper(0x96);

    /// A short name for display, if the type is known.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::VERSION_REQUEST => "version request",
            Self::VERSION_RESPONSE => "version response",
            Self::AUTH_CHALLENGE => "auth challenge",
            Self::AUTH_RESPONSE => "auth response",
            Self::AUTH_SUCCESS => "auth success",
            Self::CONFIG => "configuration",
            Self::DATA => "IP data",
            Self::NCMO => "ncmo",
            Self::CLIENT_INFO => "client information",
            Self::LOGOUT => "logout",
            Self::END_OF_CONFIG => "end of configuration",
            Self::FATAL_ERROR => "fatal error",
            Self::LICENCE => "licence",
            _ => return None,
        })
    }
}

impl core::fmt::Display for MessageType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let v = if self.vendor == Vendor::TCG {
            "TCG"
        } else if self.vendor == Vendor::JUNIPER {
            "Juniper"
        } else {
            return write!(f, "{:#08x}/{:#x}", self.vendor.0, self.number);
        };
        match self.name() {
            Some(n) => write!(f, "{v} {:#x} ({n})", self.number),
            None => write!(f, "{v} {:#x}", self.number),
        }
    }
}

/// The 16-byte IF-T header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IftHeader {
    /// Vendor and type.
    pub msg_type: MessageType,
    /// Whole message length, header included (at least 16).
    pub length: u32,
    /// Message identifier (the sender's sequence number).
    pub identifier: u32,
}

impl IftHeader {
    /// Parses a header from the first 16 bytes of `b`. The reserved byte
    /// must be zero (OpenConnect compares the whole first word) and the
    /// length at least 16.
    pub fn parse(b: &[u8]) -> Result<IftHeader, PulseError> {
        let ((reserved, vendor, number, length, identifier), _) = run(
            b,
            "IF-T header",
            |i| (be_u8, be_u24, be_u32, be_u32, be_u32).parse(i),
            || PulseErrorKind::BadFixedBytes {
                what: "IF-T header",
            },
        )?;
        if reserved != 0 {
            return Err(PulseError::new(
                0,
                PulseErrorKind::BadFixedBytes {
                    what: "IF-T reserved byte",
                },
            ));
        }
        if (length as usize) < HEADER_LEN {
            return Err(PulseError::new(
                8,
                PulseErrorKind::BadLength {
                    what: "IF-T message",
                    length: length as usize,
                },
            ));
        }
        Ok(IftHeader {
            msg_type: MessageType {
                vendor: Vendor(vendor),
                number,
            },
            length,
            identifier,
        })
    }

    /// The 16 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..4].copy_from_slice(&(self.msg_type.vendor.0 & 0x00ff_ffff).to_be_bytes());
        b[4..8].copy_from_slice(&self.msg_type.number.to_be_bytes());
        b[8..12].copy_from_slice(&self.length.to_be_bytes());
        b[12..16].copy_from_slice(&self.identifier.to_be_bytes());
        b
    }
}

/// One whole IF-T message: its type, identifier and value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IftMessage {
    /// Vendor and type.
    pub msg_type: MessageType,
    /// Message identifier.
    pub identifier: u32,
    /// The bytes after the header.
    pub value: Vec<u8>,
}

impl core::fmt::Debug for IftMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Values may hold passwords or keys: only their size is shown.
        f.debug_struct("IftMessage")
            .field("msg_type", &self.msg_type)
            .field("identifier", &self.identifier)
            .field("value_len", &self.value.len())
            .finish()
    }
}

impl IftMessage {
    /// A message of `msg_type` with `value`.
    pub fn new(msg_type: MessageType, identifier: u32, value: Vec<u8>) -> Self {
        IftMessage {
            msg_type,
            identifier,
            value,
        }
    }

    /// Parses one whole message at the start of `b`; returns it and the
    /// bytes it used. Messages longer than `max_len` are refused before
    /// anything is allocated.
    pub fn parse(b: &[u8], max_len: usize) -> Result<(IftMessage, usize), PulseError> {
        let h = IftHeader::parse(b)?;
        let len = h.length as usize;
        if len > max_len {
            return Err(PulseError::new(
                8,
                PulseErrorKind::TooLong {
                    what: "IF-T message",
                    length: len,
                    limit: max_len,
                },
            ));
        }
        if b.len() < len {
            return Err(PulseError::new(
                b.len() as u64,
                PulseErrorKind::Truncated {
                    what: "IF-T message",
                    needed: len - b.len(),
                },
            ));
        }
        Ok((
            IftMessage {
                msg_type: h.msg_type,
                identifier: h.identifier,
                value: b[HEADER_LEN..len].to_vec(),
            },
            len,
        ))
    }

    /// The header this message is sent with. Panics never; a value longer
    /// than `u32::MAX - 16` bytes gets a saturated length (callers never
    /// build such values).
    pub fn header(&self) -> IftHeader {
        IftHeader {
            msg_type: self.msg_type,
            length: u32::try_from(HEADER_LEN + self.value.len()).unwrap_or(u32::MAX),
            identifier: self.identifier,
        }
    }

    /// Whole length on the wire.
    pub fn wire_len(&self) -> usize {
        HEADER_LEN + self.value.len()
    }

    /// Appends the message's bytes to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.header().to_bytes());
        out.extend_from_slice(&self.value);
    }

    /// The message's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.wire_len());
        self.emit(&mut v);
        v
    }
}
