//! The first oNCP records of each direction (spec/oncp.md §2.3–§2.4): the
//! client's hostname packet and the gateway's status byte.

use alloc::vec::Vec;

use nom::Parser;
use nom::bytes::complete::{tag, take};
use nom::combinator::eof;
use nom::number::complete::le_u16;
use nom::sequence::{preceded, terminated};

use super::error::{WireError, WireErrorKind};
use super::kmp::KmpMessage;
use super::parse::{PResult, run};

const HOSTNAME_PREFIX: [u8; 5] = [0x00, 0x04, 0x00, 0x00, 0x00];
const HOSTNAME_SUFFIX: [u8; 6] = [0xbb, 0x01, 0x00, 0x00, 0x00, 0x00];

/// Longest host name accepted in a hostname packet.
pub const MAX_HOSTNAME_LEN: usize = 255;

/// The client's hostname packet: the payload of its first record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostnamePacket {
    /// The host name bytes (no terminator).
    pub hostname: Vec<u8>,
}

impl HostnamePacket {
    /// A packet for `hostname` (truncated to [`MAX_HOSTNAME_LEN`] bytes).
    pub fn new(hostname: &str) -> Self {
        let b = hostname.as_bytes();
        HostnamePacket {
            hostname: b[..b.len().min(MAX_HOSTNAME_LEN)].to_vec(),
        }
    }

    /// The record payload (13 + N bytes; wrap it with
    /// [`super::record::encode_record`]).
    pub fn to_payload(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(13 + self.hostname.len());
        v.extend_from_slice(&HOSTNAME_PREFIX);
        v.extend_from_slice(&(self.hostname.len() as u16).to_le_bytes());
        v.extend_from_slice(&self.hostname);
        v.extend_from_slice(&HOSTNAME_SUFFIX);
        v
    }

    /// Parses a record payload (13 + N bytes). The fixed bytes must match
    /// and nothing may follow the suffix.
    pub fn parse(payload: &[u8]) -> Result<Self, WireError> {
        let trunc = |needed| {
            WireError::new(
                payload.len() as u64,
                WireErrorKind::Truncated {
                    what: "hostname packet",
                    needed,
                },
            )
        };
        if payload.len() < 7 {
            return Err(trunc(7 - payload.len()));
        }
        let (n, rest) = run(payload, 0, "hostname packet", hostname_head, || {
            WireErrorKind::BadFixedBytes {
                what: "hostname packet prefix",
            }
        })?;
        let n = n as usize;
        if n > MAX_HOSTNAME_LEN {
            return Err(WireError::new(
                5,
                WireErrorKind::TooLong {
                    what: "host name",
                    length: n,
                    limit: MAX_HOSTNAME_LEN,
                },
            ));
        }
        let total = 7 + n + HOSTNAME_SUFFIX.len();
        if payload.len() < total {
            return Err(trunc(total - payload.len()));
        }
        let (hostname, _) = run(
            rest,
            7,
            "hostname packet",
            |i| hostname_tail(i, n),
            || WireErrorKind::BadFixedBytes {
                what: "hostname packet suffix",
            },
        )
        .map_err(|e| WireError {
            offset: (7 + n) as u64,
            ..e
        })?;
        Ok(HostnamePacket {
            hostname: hostname.to_vec(),
        })
    }

    /// The host name as text (invalid UTF-8 replaced).
    pub fn hostname_lossy(&self) -> alloc::borrow::Cow<'_, str> {
        alloc::string::String::from_utf8_lossy(&self.hostname)
    }

    /// Length of the record payload.
    pub fn buffer_len(&self) -> usize {
        13 + self.hostname.len()
    }

    /// The whole record: LE16 length and payload.
    pub fn to_record(&self) -> Vec<u8> {
        super::record::encode_record(&self.to_payload())
    }
}

/// nom parser of the fixed prefix and the LE16 host name length.
fn hostname_head(input: &[u8]) -> PResult<'_, u16> {
    preceded(tag(&HOSTNAME_PREFIX[..]), le_u16).parse(input)
}

/// nom parser of `n` host name bytes, the fixed suffix, and the end.
fn hostname_tail(input: &[u8], n: usize) -> PResult<'_, &[u8]> {
    terminated(take(n), (tag(&HOSTNAME_SUFFIX[..]), eof)).parse(input)
}

/// The gateway's status byte after the hostname packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

impl Status {
    /// 0: OK, the configuration follows.
    pub const OK: Status = Status(0);
    /// 8: believed to mean oNCP is disabled on this gateway (Pulse only).
    pub const ONCP_DISABLED: Status = Status(8);

    /// Whether this status lets the session continue.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The status as its own record: `01 00 SS` (spec §2.4, form 1).
    pub const fn to_record(self) -> [u8; 3] {
        [1, 0, self.0]
    }

    /// The status combined with the start of `message` in one record
    /// (spec §2.4, form 2): `LL LL SS` + message bytes, where the first
    /// record holds at most `max_record_payload` bytes (clamped to
    /// 2..=65535) and the rest of the message follows in continuation
    /// records of the same size limit.
    pub fn combined_records(self, message: &KmpMessage, max_record_payload: usize) -> Vec<u8> {
        let mut payload = Vec::with_capacity(1 + message.buffer_len());
        payload.push(self.0);
        message.emit(&mut payload);
        super::record::encode_records(&payload, max_record_payload.max(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncp::wire::record::encode_record;

    #[test]
    fn hostname_packets_match_spec() {
        let debian = [
            0x13, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x06, 0x00, 0x64, 0x65, 0x62, 0x69, 0x61,
            0x6e, 0xbb, 0x01, 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(
            encode_record(&HostnamePacket::new("debian").to_payload()),
            debian
        );
        let client1 = [
            0x14, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07, 0x00, 0x63, 0x6c, 0x69, 0x65, 0x6e,
            0x74, 0x31, 0xbb, 0x01, 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(
            encode_record(&HostnamePacket::new("client1").to_payload()),
            client1
        );
        assert_eq!(
            HostnamePacket::parse(&client1[2..]).unwrap().hostname,
            b"client1"
        );
    }

    #[test]
    fn bad_hostname_packets_are_typed_errors() {
        let good = HostnamePacket::new("h").to_payload();
        for cut in 0..good.len() {
            assert!(HostnamePacket::parse(&good[..cut]).is_err());
        }
        let mut bad = good.clone();
        bad[0] = 9;
        assert!(matches!(
            HostnamePacket::parse(&bad).unwrap_err().kind,
            WireErrorKind::BadFixedBytes { .. }
        ));
        let mut long = good.clone();
        long.push(0);
        assert!(HostnamePacket::parse(&long).is_err());
    }
}
