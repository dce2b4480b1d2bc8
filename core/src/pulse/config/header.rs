//! The common header of Juniper type 1 messages (spec/pulse.md §5.2):
//! 16 zero bytes, a kind word, a zero word and `length − 16`, all inside
//! the IF-T value (offsets here are from the start of the value, 16 less
//! than the spec's message offsets).

use alloc::vec::Vec;

use super::super::error::{PulseError, PulseErrorKind};
use super::super::ift::HEADER_LEN;
use super::super::parse::be32;

/// Bytes of the common header inside the value (message offsets 0x10 to
/// 0x2c).
pub const COMMON_LEN: usize = 0x2c - HEADER_LEN;

/// Kind word of a Juniper type 1 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfigKind(pub u32);

impl ConfigKind {
    /// 0x2c20f000: main configuration.
    pub const MAIN: ConfigKind = ConfigKind(0x2c20_f000);
    /// 0x2e20f000: main configuration with extra blocks (9.1R14+).
    pub const MAIN_EXTENDED: ConfigKind = ConfigKind(0x2e20_f000);
    /// 0x21202400: ESP keys (both directions).
    pub const ESP_KEYS: ConfigKind = ConfigKind(0x2120_2400);
}

/// Checks the common header of a type 1 value and returns its kind and
/// the body (from message offset 0x2c).
pub fn split_common(value: &[u8]) -> Result<(ConfigKind, &[u8]), PulseError> {
    if value.len() < COMMON_LEN {
        return Err(PulseError::new(
            (HEADER_LEN + value.len()) as u64,
            PulseErrorKind::Truncated {
                what: "configuration header",
                needed: COMMON_LEN - value.len(),
            },
        ));
    }
    let fixed = |at: usize, what| {
        PulseError::new(
            (HEADER_LEN + at) as u64,
            PulseErrorKind::BadFixedBytes { what },
        )
    };
    if value[..16].iter().any(|&b| b != 0) {
        return Err(fixed(0, "configuration header zero bytes"));
    }
    let kind = ConfigKind(be32(value, 16).unwrap_or(0));
    if be32(value, 20) != Some(0) {
        return Err(fixed(20, "configuration header zero word"));
    }
    if be32(value, 24).map(|l| l as usize) != Some(value.len()) {
        return Err(PulseError::new(
            (HEADER_LEN + 24) as u64,
            PulseErrorKind::BadLength {
                what: "configuration message",
                length: be32(value, 24).unwrap_or(0) as usize,
            },
        ));
    }
    Ok((kind, &value[COMMON_LEN..]))
}

/// A type 1 value: common header of `kind` followed by `body`.
pub fn join_common(kind: ConfigKind, body: &[u8]) -> Vec<u8> {
    let len = COMMON_LEN + body.len();
    let mut v = Vec::with_capacity(len);
    v.resize(16, 0);
    v.extend_from_slice(&kind.0.to_be_bytes());
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&(len as u32).to_be_bytes());
    v.extend_from_slice(body);
    v
}
