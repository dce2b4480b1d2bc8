//! What the TLS layer reports.

use alloc::vec::Vec;
use core::fmt;

use super::error::{CannotDecrypt, TlsError};
use super::handshake::handshake_type_name;
use super::hello::{ClientHello, ServerHello};
use crate::trace::Direction;

/// An alert record's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// 1 = warning, 2 = fatal.
    pub level: u8,
    /// The alert description code.
    pub description: u8,
}

impl Alert {
    /// `warning`, `fatal` or `unknown`.
    pub const fn level_name(self) -> &'static str {
        match self.level {
            1 => "warning",
            2 => "fatal",
            _ => "unknown",
        }
    }

    /// The RFC 8446 / RFC 5246 name of the description.
    pub const fn description_name(self) -> &'static str {
        match self.description {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => "unknown",
        }
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.level_name(),
            self.description_name(),
            self.description
        )
    }
}

/// One thing found in a TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsEvent {
    /// The direction (as the caller named it) the event was found in.
    pub direction: Direction,
    /// Offset in that direction's TCP stream of the record it came from.
    pub offset: u64,
    /// What was found.
    pub kind: TlsEventKind,
}

/// The kinds of [`TlsEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsEventKind {
    /// A ClientHello.
    ClientHello(ClientHello),
    /// A ServerHello (or a TLS 1.3 HelloRetryRequest, see its flag).
    ServerHello(ServerHello),
    /// Any other handshake message.
    Handshake {
        /// Its type (see [`handshake_type_name`]).
        msg_type: u8,
        /// Its body length.
        length: usize,
        /// It arrived encrypted.
        encrypted: bool,
    },
    /// A ChangeCipherSpec record.
    ChangeCipherSpec,
    /// An alert.
    Alert {
        /// The alert.
        alert: Alert,
        /// It arrived encrypted.
        encrypted: bool,
    },
    /// A TLS 1.3 KeyUpdate took effect for this direction.
    KeyUpdate {
        /// The sender asked the peer to update too.
        update_requested: bool,
    },
    /// The first record after a gap in the stream was found (and, when
    /// encrypted, decrypted): decoding goes on from here. The application
    /// data stream has a hole at this point.
    Resynchronized {
        /// Stream bytes lost or skipped before this record.
        lost_bytes: u64,
        /// Encrypted records lost, when known from the sequence numbers
        /// (`None` in plaintext, or when TLS 1.3 KeyUpdates were lost too).
        lost_records: Option<u64>,
    },
    /// Decrypted application data.
    ApplicationData {
        /// Offset of `data` within this direction's decrypted
        /// application-data stream.
        stream_offset: u64,
        /// The plaintext.
        data: Vec<u8>,
    },
    /// Records of this direction stopped decrypting (wrong key, corruption);
    /// reported again only after a record decrypted well in between.
    DecryptionFailed {
        /// Sequence number of the record.
        seq: u64,
    },
    /// The connection cannot be decrypted (reported once).
    CannotDecrypt(CannotDecrypt),
    /// A decoding error.
    Error(TlsError),
}

impl fmt::Display for TlsEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} @{}: ", self.direction.label(), self.offset)?;
        match &self.kind {
            TlsEventKind::ClientHello(h) => {
                write!(f, "ClientHello {}", h.legacy_version)?;
                if let Some(sni) = &h.server_name {
                    write!(f, " sni={sni}")?;
                }
                write!(f, ", {} suites", h.cipher_suites.len())
            }
            TlsEventKind::ServerHello(h) if h.hello_retry_request => {
                write!(f, "HelloRetryRequest {}", h.cipher_suite)
            }
            TlsEventKind::ServerHello(h) => {
                write!(f, "ServerHello {} {}", h.version(), h.cipher_suite)
            }
            TlsEventKind::Handshake {
                msg_type,
                length,
                encrypted,
            } => write!(
                f,
                "{}{} ({length} bytes)",
                if *encrypted { "encrypted " } else { "" },
                handshake_type_name(*msg_type)
            ),
            TlsEventKind::ChangeCipherSpec => f.write_str("ChangeCipherSpec"),
            TlsEventKind::Alert { alert, encrypted } => {
                write!(
                    f,
                    "{}alert {alert}",
                    if *encrypted { "encrypted " } else { "" }
                )
            }
            TlsEventKind::KeyUpdate { update_requested } => {
                write!(f, "KeyUpdate (update_requested={update_requested})")
            }
            TlsEventKind::Resynchronized {
                lost_bytes,
                lost_records,
            } => {
                write!(f, "resynchronized after {lost_bytes} lost bytes")?;
                match lost_records {
                    Some(n) => write!(f, " ({n} records)"),
                    None => Ok(()),
                }
            }
            TlsEventKind::ApplicationData {
                stream_offset,
                data,
            } => {
                write!(
                    f,
                    "application data {} bytes at {stream_offset}",
                    data.len()
                )
            }
            TlsEventKind::DecryptionFailed { seq } => write!(f, "decryption failed (record {seq})"),
            TlsEventKind::CannotDecrypt(why) => write!(f, "cannot decrypt: {why}"),
            TlsEventKind::Error(e) => write!(f, "error: {e}"),
        }
    }
}
