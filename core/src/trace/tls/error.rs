//! Errors of the TLS layer. Offsets are byte offsets in the TCP stream of the
//! direction the error was found in.

use thiserror::Error;

use super::keylog::SecretLabel;
use super::suite::{CipherSuite, ProtocolVersion};

/// Something in a TLS byte stream that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlsError {
    /// The record header's content type is not a TLS one (not TLS, or the
    /// stream lost sync). Later bytes of this direction are not decoded.
    #[error("record at offset {offset}: content type {content_type} is not a TLS record type")]
    BadContentType {
        /// Offset of the record header.
        offset: u64,
        /// The byte found.
        content_type: u8,
    },
    /// The record header's version is not 3.x. Later bytes are not decoded.
    #[error("record at offset {offset}: record version {version:#06x} is not SSL 3/TLS")]
    BadRecordVersion {
        /// Offset of the record header.
        offset: u64,
        /// The version found.
        version: u16,
    },
    /// The record length is over the limit. Later bytes are not decoded.
    #[error("record at offset {offset}: length {length} exceeds the limit of {limit} bytes")]
    RecordTooLong {
        /// Offset of the record header.
        offset: u64,
        /// The length field.
        length: usize,
        /// [`super::MAX_RECORD_LEN`].
        limit: usize,
    },
    /// Bytes are missing from the TCP stream; later bytes of this direction are
    /// not decoded.
    #[error(
        "{missing} bytes missing from the stream at offset {offset}; the rest of this direction is not decoded"
    )]
    StreamGap {
        /// Where the gap starts.
        offset: u64,
        /// How many bytes are missing.
        missing: u64,
    },
    /// The stream ended inside a record.
    #[error("stream ends inside a record: {buffered} bytes buffered from offset {offset}")]
    Truncated {
        /// Offset of the incomplete record.
        offset: u64,
        /// Bytes of it that arrived.
        buffered: usize,
    },
    /// A handshake message longer than we buffer for parsing.
    #[error(
        "handshake message {msg_type} at offset {offset}: {length} bytes exceeds the limit of {limit}"
    )]
    HandshakeTooLong {
        /// Offset of the record holding the message header.
        offset: u64,
        /// Handshake message type.
        msg_type: u8,
        /// Its length field.
        length: usize,
        /// The buffering limit.
        limit: usize,
    },
    /// A handshake message does not parse.
    #[error("{message} at offset {offset}: malformed {field} at byte {at} of the message body")]
    MalformedHandshake {
        /// Offset of the record holding the message header.
        offset: u64,
        /// `ClientHello`, `ServerHello`, `KeyUpdate`.
        message: &'static str,
        /// The field being read.
        field: &'static str,
        /// Position within the message body.
        at: usize,
    },
    /// A handshake message was split across a key change (forbidden by TLS).
    #[error("record at offset {offset}: handshake message unfinished at a key change")]
    HandshakeAcrossKeyChange {
        /// Offset of the record that finished the epoch.
        offset: u64,
    },
    /// A record whose size or contents are impossible for its protection.
    #[error("record at offset {offset}: {what}")]
    BadRecord {
        /// Offset of the record header.
        offset: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// A key log secret cannot be used with the negotiated suite.
    #[error("{label} for this connection is {len} bytes, which does not fit {suite}")]
    BadSecret {
        /// Which secret.
        label: SecretLabel,
        /// Its length.
        len: usize,
        /// The negotiated suite.
        suite: CipherSuite,
    },
}

/// Why a connection (or the rest of it) cannot be decrypted. Reported once
/// per connection.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CannotDecrypt {
    /// The key log has no secret for this connection's client random.
    #[error("no {label} in the key log for client random {}", Hex(client_random))]
    MissingKey {
        /// The secret that was needed.
        label: SecretLabel,
        /// The connection's client random.
        client_random: [u8; 32],
    },
    /// The server picked a suite we cannot decrypt.
    #[error("unsupported cipher suite {0}")]
    UnsupportedSuite(CipherSuite),
    /// The server picked a version we cannot decrypt.
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(ProtocolVersion),
    /// Encrypted records without the hellos (the capture began mid-connection).
    #[error(
        "encrypted records without a ClientHello/ServerHello (capture started mid-connection?)"
    )]
    NoHandshake,
}

/// Lower-case hex display of a byte string.
pub(crate) struct Hex<'a>(pub(crate) &'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}
