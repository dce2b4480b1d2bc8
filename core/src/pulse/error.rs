//! Errors of the Pulse wire layer: what was wrong and where.

use thiserror::Error;

/// A malformed or unacceptable piece of the Pulse IF-T/TLS byte stream.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("at byte {offset}: {kind}")]
pub struct PulseError {
    /// Byte offset of the problem: within the buffer given to a parser, or
    /// within the whole stream for the deframer.
    pub offset: u64,
    /// What was wrong.
    pub kind: PulseErrorKind,
}

impl PulseError {
    /// An error of `kind` at `offset`.
    pub const fn new(offset: u64, kind: PulseErrorKind) -> Self {
        PulseError { offset, kind }
    }

    /// The same error with `base` added to its offset.
    pub const fn shifted(self, base: u64) -> Self {
        PulseError {
            offset: self.offset.saturating_add(base),
            kind: self.kind,
        }
    }
}

/// The kinds of [`PulseError`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PulseErrorKind {
    /// The input ends before the structure does.
    #[error("truncated: {needed} more bytes needed for {what}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// How many more bytes it needs (at least).
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
    /// A length field is impossible (smaller than its own header, or not
    /// matching the bytes around it).
    #[error("{what}: bad length {length}")]
    BadLength {
        /// What the length belongs to.
        what: &'static str,
        /// The length found.
        length: usize,
    },
    /// A fixed field holds an unexpected value.
    #[error("{what}: unexpected bytes")]
    BadFixedBytes {
        /// Which field.
        what: &'static str,
    },
    /// Bytes follow a structure that must end the message.
    #[error("{what}: {extra} trailing bytes")]
    TrailingBytes {
        /// What was parsed.
        what: &'static str,
        /// How many bytes were left over.
        extra: usize,
    },
    /// A message of a vendor/type not expected here.
    #[error("unexpected IF-T message vendor {vendor:#08x} type {msg_type:#x}")]
    UnexpectedMessage {
        /// Vendor id.
        vendor: u32,
        /// Message type.
        msg_type: u32,
    },
    /// An EAP packet that is malformed or not what the protocol allows here.
    #[error("EAP: {0}")]
    Eap(&'static str),
    /// An AVP with the M flag that this implementation does not know
    /// (OpenConnect aborts on these, spec/pulse.md §4.4).
    #[error("unknown mandatory AVP {code:#x}")]
    UnknownMandatoryAvp {
        /// AVP code.
        code: u32,
    },
    /// A known AVP whose data does not fit its definition.
    #[error("AVP {code:#x}: {problem}")]
    BadAvp {
        /// AVP code.
        code: u32,
        /// What is wrong.
        problem: &'static str,
    },
    /// A server request with none or several of the request kinds of
    /// spec/pulse.md §4.7 ("Unhandled Pulse authentication packet").
    #[error("authentication request: {0}")]
    BadRequest(&'static str),
    /// A configuration message that breaks a rule of spec/pulse.md §5.
    #[error("configuration: {0}")]
    Config(&'static str),
    /// Text that is not valid UTF-8 where text is required.
    #[error("{0}: not UTF-8")]
    NotUtf8(&'static str),
    /// The stream ended earlier (an error); nothing more is accepted.
    #[error("stream already ended")]
    StreamEnded,
}
