//! The first oNCP records of each direction (spec/oncp.md §2.3–§2.4): the
//! client's hostname packet and the gateway's status byte.

use alloc::vec::Vec;

use super::error::{WireError, WireErrorKind};

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

    /// Parses a record payload. The fixed bytes must match.
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
        if payload[..5] != HOSTNAME_PREFIX {
            return Err(WireError::new(
                0,
                WireErrorKind::BadFixedBytes {
                    what: "hostname packet prefix",
                },
            ));
        }
        let n = u16::from_le_bytes([payload[5], payload[6]]) as usize;
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
        if payload[7 + n..total] != HOSTNAME_SUFFIX || payload.len() != total {
            return Err(WireError::new(
                (7 + n) as u64,
                WireErrorKind::BadFixedBytes {
                    what: "hostname packet suffix",
                },
            ));
        }
        Ok(HostnamePacket {
            hostname: payload[7..7 + n].to_vec(),
        })
    }
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
}

/// Why the gateway ended the session (the byte after a zero-length record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TerminationReason(pub u8);

impl TerminationReason {
    /// 1: session expired.
    pub const SESSION_EXPIRED: TerminationReason = TerminationReason(1);
    /// 8: idle timeout.
    pub const IDLE_TIMEOUT: TerminationReason = TerminationReason(8);

    /// A human-readable description.
    pub const fn describe(self) -> &'static str {
        match self.0 {
            1 => "session expired",
            8 => "idle timeout",
            _ => "server terminated connection",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::record::encode_record;

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
