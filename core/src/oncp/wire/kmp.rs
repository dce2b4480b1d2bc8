//! KMP messages: the 20-byte big-endian header and its payload
//! (spec/oncp.md §3.2–§3.3).

use alloc::vec::Vec;
use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32};

use super::error::{WireError, WireErrorKind};
use super::kmp_type::KmpType;
use super::parse::{PResult, run};
use super::tlv::ValueDebug;

/// Length of the KMP header.
pub const KMP_HEADER_LEN: usize = 20;

/// Largest KMP payload: the 16-bit length field at offset 18.
pub const MAX_KMP_PAYLOAD: usize = 0xffff;

/// Header bytes 8–17 the client sends (spec §3.2).
pub const CLIENT_PATTERN: [u8; 10] = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0];
/// Header bytes 8–17 the server sends in a 301 (and, by our choice, in
/// everything else it sends).
pub const SERVER_PATTERN: [u8; 10] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// Who sends a message; selects the header pattern of bytes 8–17.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sender {
    /// The VPN client.
    Client,
    /// The gateway.
    Server,
}

impl Sender {
    /// The bytes 8–17 this sender puts in a KMP header.
    pub const fn pattern(self) -> [u8; 10] {
        match self {
            Sender::Client => CLIENT_PATTERN,
            Sender::Server => SERVER_PATTERN,
        }
    }
}

/// A parsed KMP header. The bytes whose meaning is unknown are kept so
/// that emitting a parsed header reproduces it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KmpHeader {
    /// Bytes 0–5 (unknown; zero in practice).
    pub prefix: [u8; 6],
    /// Message type (bytes 6–7).
    pub kmp_type: KmpType,
    /// Bytes 8–17 (unknown; a sender pattern in practice).
    pub pattern: [u8; 10],
    /// Payload length (bytes 16–19 read as BE32; the high half is zero in
    /// every message anyone has seen).
    pub length: u32,
}

impl KmpHeader {
    /// A header for a message of `kmp_type` with a payload of `length`
    /// bytes sent by `sender`.
    pub const fn new(kmp_type: KmpType, sender: Sender, length: u16) -> Self {
        let p = sender.pattern();
        KmpHeader {
            prefix: [0; 6],
            kmp_type,
            pattern: [p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], 0, 0],
            length: length as u32,
        }
    }

    /// Parses a header from the first 20 bytes of `buf`.
    ///
    /// Errors: fewer than 20 bytes ([`WireErrorKind::Truncated`]), or a
    /// length above [`MAX_KMP_PAYLOAD`] ([`WireErrorKind::TooLong`], i.e.
    /// the high half at bytes 16–17 is not zero).
    pub fn parse(buf: &[u8]) -> Result<KmpHeader, WireError> {
        if buf.len() < KMP_HEADER_LEN {
            return Err(WireError::new(
                buf.len() as u64,
                WireErrorKind::Truncated {
                    what: "KMP header",
                    needed: KMP_HEADER_LEN - buf.len(),
                },
            ));
        }
        let (header, _) = run(
            &buf[..KMP_HEADER_LEN],
            0,
            "KMP header",
            header_fields,
            || WireErrorKind::Truncated {
                what: "KMP header",
                needed: 0,
            },
        )?;
        if header.length as usize > MAX_KMP_PAYLOAD {
            return Err(WireError::new(
                16,
                WireErrorKind::TooLong {
                    what: "KMP payload",
                    length: header.length as usize,
                    limit: MAX_KMP_PAYLOAD,
                },
            )
            .in_kmp(header.kmp_type));
        }
        Ok(header)
    }

    /// The 20 header bytes.
    pub fn to_bytes(&self) -> [u8; KMP_HEADER_LEN] {
        let mut b = [0u8; KMP_HEADER_LEN];
        b[..6].copy_from_slice(&self.prefix);
        b[6..8].copy_from_slice(&self.kmp_type.0.to_be_bytes());
        b[8..16].copy_from_slice(&self.pattern[..8]);
        b[16..20].copy_from_slice(&self.length.to_be_bytes());
        b
    }

    /// Whether bytes 0–5 are zero and 8–17 are exactly `sender`'s pattern.
    pub fn has_pattern_of(&self, sender: Sender) -> bool {
        self.prefix == [0; 6] && self.pattern == sender.pattern()
    }
}

/// A whole KMP message. `Debug` hides the payload of 301 and 302
/// messages, which carry ESP keys, and that payload is zeroed when the
/// message is dropped.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KmpMessage {
    /// The header (its `length` equals `payload.len()`).
    pub header: KmpHeader,
    /// The payload bytes.
    pub payload: Vec<u8>,
}

impl fmt::Debug for KmpMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = self.carries_secrets();
        f.debug_struct("KmpMessage")
            .field("header", &self.header)
            .field(
                "payload",
                &ValueDebug {
                    value: &self.payload,
                    secret,
                },
            )
            .finish()
    }
}

impl KmpMessage {
    /// Whether the payload carries ESP secrets (a 301 or 302).
    fn carries_secrets(&self) -> bool {
        matches!(self.header.kmp_type, KmpType::CONFIG | KmpType::ESP_KEYS)
    }
}

impl Drop for KmpMessage {
    fn drop(&mut self) {
        if self.carries_secrets() {
            self.payload.zeroize();
        }
    }
}

impl ZeroizeOnDrop for KmpMessage {}

/// A KMP payload length as its 16-bit header field, or an error when it
/// is longer than [`MAX_KMP_PAYLOAD`].
pub(crate) fn kmp_payload_len(length: usize) -> Result<u16, WireError> {
    u16::try_from(length).map_err(|_| {
        WireError::new(
            0,
            WireErrorKind::TooLong {
                what: "KMP payload",
                length,
                limit: MAX_KMP_PAYLOAD,
            },
        )
    })
}

impl KmpMessage {
    /// A message of `kmp_type` from `sender` carrying `payload`.
    ///
    /// Returns an error if the payload is longer than [`MAX_KMP_PAYLOAD`].
    pub fn new(kmp_type: KmpType, sender: Sender, payload: Vec<u8>) -> Result<Self, WireError> {
        let len = kmp_payload_len(payload.len())?;
        Ok(KmpMessage {
            header: KmpHeader::new(kmp_type, sender, len),
            payload,
        })
    }

    /// The message type.
    pub fn kmp_type(&self) -> KmpType {
        self.header.kmp_type
    }

    /// Parses one complete message from the start of `buf`, returning it
    /// and the number of bytes it used.
    pub fn parse(buf: &[u8]) -> Result<(KmpMessage, usize), WireError> {
        let header = KmpHeader::parse(buf)?;
        let total = KMP_HEADER_LEN + header.length as usize;
        let body = buf.get(KMP_HEADER_LEN..total).ok_or_else(|| {
            WireError::new(
                buf.len() as u64,
                WireErrorKind::Truncated {
                    what: "KMP payload",
                    needed: total - buf.len(),
                },
            )
        })?;
        Ok((
            KmpMessage {
                header,
                payload: body.to_vec(),
            },
            total,
        ))
    }

    /// Length on the wire: header plus payload.
    pub fn buffer_len(&self) -> usize {
        KMP_HEADER_LEN + self.payload.len()
    }

    /// Appends the message's bytes to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.header.to_bytes());
        out.extend_from_slice(&self.payload);
    }

    /// The message's bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.buffer_len());
        self.emit(&mut v);
        v
    }
}

/// nom parser of the 20 header bytes: prefix, type, bytes 8–15, BE32
/// length (bytes 16–19; the pattern's last two bytes are the length's
/// high half and kept zero in [`KmpHeader::pattern`]).
fn header_fields(input: &[u8]) -> PResult<'_, KmpHeader> {
    let (input, (prefix, kmp_type, pattern, length)) =
        (take(6usize), be_u16, take(8usize), be_u32).parse(input)?;
    let mut h = KmpHeader {
        prefix: [0; 6],
        kmp_type: KmpType(kmp_type),
        pattern: [0; 10],
        length,
    };
    h.prefix.copy_from_slice(prefix);
    h.pattern[..8].copy_from_slice(pattern);
    Ok((input, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_header_matches_spec_11_4() {
        let h = KmpHeader::new(KmpType::DATA, Sender::Client, 20);
        assert_eq!(
            h.to_bytes(),
            [
                0, 0, 0, 0, 0, 0, 1, 0x2c, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x14
            ]
        );
        assert_eq!(KmpHeader::parse(&h.to_bytes()).unwrap(), h);
        assert!(h.has_pattern_of(Sender::Client));
        assert!(!h.has_pattern_of(Sender::Server));
    }

    #[test]
    fn unknown_bytes_survive_a_round_trip() {
        let raw = [
            9, 8, 7, 6, 5, 4, 0x12, 0x34, 0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 3,
        ];
        let h = KmpHeader::parse(&raw).unwrap();
        assert_eq!(h.kmp_type, KmpType(0x1234));
        assert_eq!(h.length, 3);
        assert_eq!(h.to_bytes(), raw);
    }

    #[test]
    fn high_length_half_is_rejected() {
        let mut raw = KmpHeader::new(KmpType::DATA, Sender::Server, 0).to_bytes();
        raw[17] = 1;
        let e = KmpHeader::parse(&raw).unwrap_err();
        assert!(matches!(e.kind, WireErrorKind::TooLong { .. }));
    }

    #[test]
    fn truncated_message_is_an_error() {
        let m = KmpMessage::new(KmpType::CONTROL, Sender::Client, alloc::vec![1, 2, 3]).unwrap();
        let bytes = m.to_vec();
        for cut in 0..bytes.len() {
            assert!(KmpMessage::parse(&bytes[..cut]).is_err());
        }
        assert_eq!(KmpMessage::parse(&bytes).unwrap(), (m, 23));
    }

    #[test]
    fn oversized_payload_is_refused() {
        assert!(KmpMessage::new(KmpType::DATA, Sender::Client, alloc::vec![0; 65536]).is_err());
    }
}
