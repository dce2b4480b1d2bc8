//! Errors of the oNCP wire layer: what was wrong and where.

use core::fmt;

use thiserror::Error;

use super::kmp_type::KmpType;

/// A malformed or unacceptable piece of the oNCP byte stream.
///
/// Says where ([`Self::offset`]), in which KMP message when known
/// ([`Self::kmp`]), and what ([`Self::kind`], which names the TLV for TLV
/// errors).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("at byte {offset}{}: {kind}", KmpContext(*.kmp))]
pub struct WireError {
    /// Byte offset where the problem was found: within the buffer handed to
    /// a parser, or within the whole stream for the stream decoder.
    pub offset: u64,
    /// The type of the KMP message being parsed, when known.
    pub kmp: Option<KmpType>,
    /// What was wrong.
    pub kind: WireErrorKind,
}

/// Displays " in KMP <type>" for a known message type, nothing otherwise.
struct KmpContext(Option<KmpType>);

impl fmt::Display for KmpContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => write!(f, " in KMP {t}"),
            None => Ok(()),
        }
    }
}

impl WireError {
    /// An error of `kind` at `offset`, outside any known KMP message.
    pub const fn new(offset: u64, kind: WireErrorKind) -> Self {
        WireError {
            offset,
            kmp: None,
            kind,
        }
    }

    /// The same error with `base` added to its offset (for errors found in a
    /// slice that starts at `base` of a larger buffer).
    pub const fn shifted(self, base: u64) -> Self {
        WireError {
            offset: self.offset.saturating_add(base),
            ..self
        }
    }

    /// The same error, found inside a KMP message of type `kmp` (an
    /// already known message type is kept).
    pub const fn in_kmp(self, kmp: KmpType) -> Self {
        WireError {
            kmp: match self.kmp {
                Some(k) => Some(k),
                None => Some(kmp),
            },
            ..self
        }
    }
}

/// The kinds of [`WireError`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireErrorKind {
    /// The input ends before the structure does.
    #[error("truncated: {needed} more bytes needed for {what}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// How many more bytes it needs.
        needed: usize,
    },
    /// A length field is larger than this implementation accepts.
    #[error("{what} length {length} exceeds the limit of {limit}")]
    TooLong {
        /// What the length belongs to.
        what: &'static str,
        /// The length found.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// A fixed field holds an unexpected value.
    #[error("{what}: unexpected bytes")]
    BadFixedBytes {
        /// Which field.
        what: &'static str,
    },
    /// A KMP message of a type not allowed here.
    #[error("unexpected KMP message type {0}")]
    UnexpectedKmpType(KmpType),
    /// The bytes inside a KMP message do not add up to its length.
    #[error("KMP {kmp}: {problem}")]
    BadKmpPayload {
        /// Message type.
        kmp: KmpType,
        /// What is wrong.
        problem: &'static str,
    },
    /// A TLV (group or attribute) runs past its container.
    #[error("TLV {group}/{attr}: length {length} runs past the end of its container")]
    TlvOverrun {
        /// Group number.
        group: u16,
        /// Attribute number (0 for a group header).
        attr: u16,
        /// The length field.
        length: u32,
    },
    /// A known TLV has the wrong length.
    #[error("unexpected length {length} for TLV {group}/{attr} (expected {expected})")]
    TlvLength {
        /// Group number.
        group: u16,
        /// Attribute number.
        attr: u16,
        /// The length found.
        length: usize,
        /// The length the TLV must have.
        expected: usize,
    },
    /// A group not allowed in this message (e.g. not 7 or 8 in a KMP 302).
    #[error("group {group} not allowed in KMP {kmp}")]
    GroupNotAllowed {
        /// Group number.
        group: u16,
        /// Message type.
        kmp: KmpType,
    },
    /// A TLV that is not allowed in this message and not known to exist
    /// (e.g. an attribute other than 1 or 2 in a KMP 303).
    #[error("unknown TLV {group}/{attr}")]
    UnknownTlv {
        /// Group number.
        group: u16,
        /// Attribute number.
        attr: u16,
    },
    /// A required TLV is missing.
    #[error("missing TLV {group}/{attr}")]
    MissingTlv {
        /// Group number.
        group: u16,
        /// Attribute number.
        attr: u16,
    },
    /// An IP packet inside a KMP 300 is not IPv4 or IPv6 or has a bad length.
    #[error("KMP 300: bad IP packet ({problem})")]
    BadIpPacket {
        /// What is wrong.
        problem: &'static str,
    },
    /// The HTTP head is malformed.
    #[error("HTTP: {0}")]
    Http(&'static str),
    /// The stream ended earlier (a termination record or an earlier error);
    /// nothing more is accepted.
    #[error("stream already ended")]
    StreamEnded,
}
