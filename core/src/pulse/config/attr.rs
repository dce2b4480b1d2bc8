//! Configuration attributes (spec/pulse.md §5.3, §5.6): BE16 type, BE16
//! length, value, back to back without padding.

use alloc::vec::Vec;

use super::super::error::{PulseError, PulseErrorKind};
use super::super::parse::{be16, truncated};

/// Attribute type numbers of spec/pulse.md §5.6.
pub mod attr_type {
    /// Internal IPv4 address.
    pub const IPV4_ADDRESS: u16 = 0x0001;
    /// Its netmask.
    pub const IPV4_NETMASK: u16 = 0x0002;
    /// IPv4 DNS server (repeatable).
    pub const IPV4_DNS: u16 = 0x0003;
    /// WINS server (repeatable).
    pub const WINS: u16 = 0x0004;
    /// Internal IPv6 address + prefix length.
    pub const IPV6_ADDRESS: u16 = 0x0008;
    /// IPv6 DNS server (repeatable).
    pub const IPV6_DNS: u16 = 0x000a;
    /// IPv6 split include (address + prefix length).
    pub const IPV6_INCLUDE: u16 = 0x000f;
    /// IPv6 split exclude (address + prefix length).
    pub const IPV6_EXCLUDE: u16 = 0x0010;
    /// MTU (BE32).
    pub const MTU: u16 = 0x4005;
    /// DNS search domain(s), text.
    pub const SEARCH_DOMAINS: u16 = 0x4006;
    /// Internal IPv4 gateway.
    pub const IPV4_GATEWAY: u16 = 0x400b;
    /// ESP cipher (BE16).
    pub const ESP_CIPHER: u16 = 0x4010;
    /// ESP MAC (BE16).
    pub const ESP_MAC: u16 = 0x4011;
    /// ESP key lifetime, seconds (BE32).
    pub const ESP_LIFETIME_SECS: u16 = 0x4012;
    /// ESP key lifetime, bytes (BE32).
    pub const ESP_LIFETIME_BYTES: u16 = 0x4013;
    /// ESP replay protection (BE32, non-zero on).
    pub const ESP_REPLAY: u16 = 0x4014;
    /// ESP UDP port (BE16).
    pub const ESP_PORT: u16 = 0x4016;
    /// ESP-to-TLS fallback seconds (BE32).
    pub const ESP_FALLBACK: u16 = 0x4017;
    /// "ESP only" flag (1 byte).
    pub const ESP_ONLY: u16 = 0x401a;
    /// Internal IPv6 gateway.
    pub const IPV6_GATEWAY: u16 = 0x401e;
    /// ESP may carry both IP families (1 byte).
    pub const ESP_BOTH_FAMILIES: u16 = 0x4024;
}

/// One attribute, kept raw.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Type.
    pub attr_type: u16,
    /// Value.
    pub value: Vec<u8>,
}

impl Attribute {
    /// An attribute of `attr_type` with `value`.
    pub fn new(attr_type: u16, value: impl Into<Vec<u8>>) -> Self {
        Attribute {
            attr_type,
            value: value.into(),
        }
    }

    /// Appends type, length and value (a value over 65535 bytes saturates
    /// the length; builders never make one).
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.attr_type.to_be_bytes());
        let len = u16::try_from(self.value.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.value[..len as usize]);
    }

    /// Bytes on the wire.
    pub fn wire_len(&self) -> usize {
        4 + self.value.len().min(u16::MAX as usize)
    }
}

/// Parses attributes filling `b` exactly; one running past the end is an
/// error.
pub fn parse_attributes(b: &[u8]) -> Result<Vec<Attribute>, PulseError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let rest = &b[pos..];
        let (Some(t), Some(len)) = (be16(rest, 0), be16(rest, 2)) else {
            return Err(truncated(b.len(), "attribute header", 4 - rest.len()));
        };
        let len = len as usize;
        if rest.len() < 4 + len {
            return Err(PulseError::new(
                (pos + 2) as u64,
                PulseErrorKind::Config("attribute runs past its block"),
            ));
        }
        out.push(Attribute::new(t, &rest[4..4 + len]));
        pos += 4 + len;
    }
    Ok(out)
}
