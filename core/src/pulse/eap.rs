//! EAP packets (RFC 3748 §4) as Pulse carries them (spec/pulse.md §4.2,
//! §4.3): code, identifier, length, then a type and its data. The
//! expanded type 254 carries a 24-bit vendor id and a 32-bit vendor type;
//! Pulse uses vendor 0x000a4c types 1 (AVP container), 2 and 5 (password)
//! and 3 (Host Checker).

use alloc::vec::Vec;

use nom::Parser;
use nom::number::streaming::{be_u8, be_u16};

use super::error::{PulseError, PulseErrorKind};
use super::parse::run;

/// EAP header length (code, identifier, length).
pub const EAP_HEADER_LEN: usize = 4;
/// Length of an expanded-type header after the EAP header (type 254,
/// 3-byte vendor, 4-byte vendor type).
pub const EXPANDED_HEADER_LEN: usize = 8;

/// The Juniper EAP vendor id, 0x000a4c.
pub const JUNIPER_EAP_VENDOR: u32 = 0x000a4c;

/// EAP code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EapCode {
    /// 1: Request.
    Request,
    /// 2: Response.
    Response,
    /// 3: Success.
    Success,
    /// 4: Failure.
    Failure,
}

impl EapCode {
    /// The code for `b`, if it is one of the four.
    pub const fn from_u8(b: u8) -> Option<EapCode> {
        match b {
            1 => Some(EapCode::Request),
            2 => Some(EapCode::Response),
            3 => Some(EapCode::Success),
            4 => Some(EapCode::Failure),
            _ => None,
        }
    }
    /// The wire value.
    pub const fn to_u8(self) -> u8 {
        match self {
            EapCode::Request => 1,
            EapCode::Response => 2,
            EapCode::Success => 3,
            EapCode::Failure => 4,
        }
    }
}

/// EAP method types Pulse uses.
pub mod eap_type {
    /// Identity.
    pub const IDENTITY: u8 = 1;
    /// Generic Token Card.
    pub const GTC: u8 = 6;
    /// EAP-TLS (only seen nested in TTLS; unsupported).
    pub const TLS: u8 = 13;
    /// EAP-TTLS.
    pub const TTLS: u8 = 21;
    /// Expanded type.
    pub const EXPANDED: u8 = 254;
}

/// Juniper expanded vendor types.
pub mod juniper_type {
    /// Juniper/1: AVP container, the whole login dialogue.
    pub const AVPS: u32 = 1;
    /// Juniper/2: password request/response.
    pub const PASSWORD: u32 = 2;
    /// Juniper/3: Host Checker (TNCC), unsupported.
    pub const HOST_CHECKER: u32 = 3;
    /// Juniper/5: newer password request/response.
    pub const PASSWORD5: u32 = 5;
}

/// The body of an EAP packet after code, identifier and length.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum EapBody {
    /// No type: Success and Failure (length 4).
    Empty,
    /// Expanded type 254.
    Expanded {
        /// 24-bit vendor id.
        vendor: u32,
        /// Vendor type.
        vendor_type: u32,
        /// The type data.
        data: Vec<u8>,
    },
    /// Any other type (Identity, GTC, TTLS, …) with its data.
    Typed {
        /// The EAP type.
        eap_type: u8,
        /// The type data.
        data: Vec<u8>,
    },
}

impl core::fmt::Debug for EapBody {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Data may be a password or token code: sizes only.
        match self {
            EapBody::Empty => f.write_str("Empty"),
            EapBody::Expanded {
                vendor,
                vendor_type,
                data,
            } => write!(
                f,
                "Expanded({vendor:#08x}/{vendor_type}, {} bytes)",
                data.len()
            ),
            EapBody::Typed { eap_type, data } => {
                write!(f, "Typed({eap_type}, {} bytes)", data.len())
            }
        }
    }
}

/// An EAP packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EapPacket {
    /// Code.
    pub code: EapCode,
    /// Identifier.
    pub identifier: u8,
    /// Type and data.
    pub body: EapBody,
}

impl EapPacket {
    /// A Juniper/`vendor_type` expanded packet.
    pub fn juniper(code: EapCode, identifier: u8, vendor_type: u32, data: Vec<u8>) -> Self {
        EapPacket {
            code,
            identifier,
            body: EapBody::Expanded {
                vendor: JUNIPER_EAP_VENDOR,
                vendor_type,
                data,
            },
        }
    }

    /// A packet of plain type `eap_type`.
    pub fn typed(code: EapCode, identifier: u8, eap_type: u8, data: Vec<u8>) -> Self {
        EapPacket {
            code,
            identifier,
            body: EapBody::Typed { eap_type, data },
        }
    }

    /// The Juniper vendor type, if this is a Juniper expanded packet.
    pub fn juniper_type(&self) -> Option<u32> {
        match &self.body {
            EapBody::Expanded {
                vendor: JUNIPER_EAP_VENDOR,
                vendor_type,
                ..
            } => Some(*vendor_type),
            _ => None,
        }
    }

    /// The plain EAP type (254 for expanded, `None` for no type).
    pub fn eap_type(&self) -> Option<u8> {
        match &self.body {
            EapBody::Empty => None,
            EapBody::Expanded { .. } => Some(eap_type::EXPANDED),
            EapBody::Typed { eap_type, .. } => Some(*eap_type),
        }
    }

    /// The type data (empty for no type).
    pub fn data(&self) -> &[u8] {
        match &self.body {
            EapBody::Empty => &[],
            EapBody::Expanded { data, .. } | EapBody::Typed { data, .. } => data,
        }
    }

    /// Parses a packet that fills `b` exactly: the EAP length must equal
    /// `b.len()` (spec §4.2 for the outer packet, §4.7 for nested ones).
    pub fn parse(b: &[u8]) -> Result<EapPacket, PulseError> {
        let ((code, identifier, length), rest) = run(
            b,
            "EAP header",
            |i| (be_u8, be_u8, be_u16).parse(i),
            || PulseErrorKind::Eap("bad header"),
        )?;
        let code = EapCode::from_u8(code)
            .ok_or_else(|| PulseError::new(0, PulseErrorKind::Eap("unknown code")))?;
        if length as usize != b.len() {
            return Err(PulseError::new(
                2,
                PulseErrorKind::BadLength {
                    what: "EAP packet",
                    length: length as usize,
                },
            ));
        }
        let body = match rest.split_first() {
            None => EapBody::Empty,
            Some((&eap_type::EXPANDED, ext)) => {
                if ext.len() < EXPANDED_HEADER_LEN - 1 {
                    return Err(PulseError::new(
                        b.len() as u64,
                        PulseErrorKind::Truncated {
                            what: "EAP expanded header",
                            needed: EXPANDED_HEADER_LEN - 1 - ext.len(),
                        },
                    ));
                }
                EapBody::Expanded {
                    vendor: u32::from_be_bytes([0, ext[0], ext[1], ext[2]]),
                    vendor_type: u32::from_be_bytes([ext[3], ext[4], ext[5], ext[6]]),
                    data: ext[7..].to_vec(),
                }
            }
            Some((&t, data)) => EapBody::Typed {
                eap_type: t,
                data: data.to_vec(),
            },
        };
        if matches!(code, EapCode::Success | EapCode::Failure) && body != EapBody::Empty {
            return Err(PulseError::new(
                4,
                PulseErrorKind::Eap("Success/Failure with data"),
            ));
        }
        if matches!(code, EapCode::Request | EapCode::Response) && body == EapBody::Empty {
            return Err(PulseError::new(
                4,
                PulseErrorKind::Eap("Request/Response without a type"),
            ));
        }
        Ok(EapPacket {
            code,
            identifier,
            body,
        })
    }

    /// Whole length on the wire.
    pub fn wire_len(&self) -> usize {
        EAP_HEADER_LEN
            + match &self.body {
                EapBody::Empty => 0,
                EapBody::Expanded { data, .. } => EXPANDED_HEADER_LEN + data.len(),
                EapBody::Typed { data, .. } => 1 + data.len(),
            }
    }

    /// Appends the packet to `out`. The length field saturates at 65535
    /// (a packet built from over 64 KiB of data is a caller bug; parsers
    /// never produce one).
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.code.to_u8());
        out.push(self.identifier);
        let len = u16::try_from(self.wire_len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        match &self.body {
            EapBody::Empty => {}
            EapBody::Expanded {
                vendor,
                vendor_type,
                data,
            } => {
                out.push(eap_type::EXPANDED);
                out.extend_from_slice(&vendor.to_be_bytes()[1..]);
                out.extend_from_slice(&vendor_type.to_be_bytes());
                out.extend_from_slice(data);
            }
            EapBody::Typed { eap_type, data } => {
                out.push(*eap_type);
                out.extend_from_slice(data);
            }
        }
    }

    /// The packet's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.wire_len());
        self.emit(&mut v);
        v
    }
}
