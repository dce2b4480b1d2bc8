//! Version negotiation (spec/pulse.md §3.4): TCG type 1 request
//! `00 min max preferred`, TCG type 2 response `00 00 00 version`; both
//! values exactly 4 bytes.

use super::error::{PulseError, PulseErrorKind};
use super::ift::{IftMessage, MessageType};

/// The client's version request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRequest {
    /// Lowest version accepted.
    pub min: u8,
    /// Highest version accepted.
    pub max: u8,
    /// Preferred version.
    pub preferred: u8,
}

impl VersionRequest {
    /// What OpenConnect offers: 1–2, preferring 2 (gateways only offer
    /// HMAC-SHA-256 for ESP to version-2 clients).
    pub const OPENCONNECT: VersionRequest = VersionRequest {
        min: 1,
        max: 2,
        preferred: 2,
    };

    /// Parses the 4-byte value of a TCG 1 message.
    pub fn parse(value: &[u8]) -> Result<Self, PulseError> {
        let v = exactly4(value, "version request")?;
        if v[0] != 0 {
            return Err(PulseError::new(
                0,
                PulseErrorKind::BadFixedBytes {
                    what: "version request reserved byte",
                },
            ));
        }
        Ok(VersionRequest {
            min: v[1],
            max: v[2],
            preferred: v[3],
        })
    }

    /// The version a gateway supporting `lo..=hi` picks: the preferred one
    /// if both accept it, else the highest common one.
    pub fn select(&self, lo: u8, hi: u8) -> Option<u8> {
        let (a, b) = (self.min.max(lo), self.max.min(hi));
        if a > b {
            None
        } else if (a..=b).contains(&self.preferred) {
            Some(self.preferred)
        } else {
            Some(b)
        }
    }

    /// The TCG 1 message with identifier `id`.
    pub fn to_message(&self, id: u32) -> IftMessage {
        IftMessage::new(
            MessageType::VERSION_REQUEST,
            id,
            [0, self.min, self.max, self.preferred].to_vec(),
        )
    }
}

/// The gateway's version response: the selected version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionResponse {
    /// The version selected.
    pub version: u8,
}

impl VersionResponse {
    /// Parses the 4-byte value of a TCG 2 message (reserved bytes zero).
    pub fn parse(value: &[u8]) -> Result<Self, PulseError> {
        let v = exactly4(value, "version response")?;
        if v[..3] != [0, 0, 0] {
            return Err(PulseError::new(
                0,
                PulseErrorKind::BadFixedBytes {
                    what: "version response reserved bytes",
                },
            ));
        }
        Ok(VersionResponse { version: v[3] })
    }

    /// The TCG 2 message with identifier `id`.
    pub fn to_message(&self, id: u32) -> IftMessage {
        IftMessage::new(
            MessageType::VERSION_RESPONSE,
            id,
            [0, 0, 0, self.version].to_vec(),
        )
    }
}

fn exactly4(value: &[u8], what: &'static str) -> Result<[u8; 4], PulseError> {
    value.try_into().map_err(|_| {
        PulseError::new(
            0,
            PulseErrorKind::BadLength {
                what,
                length: value.len() + super::ift::HEADER_LEN,
            },
        )
    })
}
