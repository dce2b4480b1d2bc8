//! Errors of the ESP layer.

use thiserror::Error;

/// Why an ESP packet was not built or not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum EspError {
    /// The cipher code (TLV 8/1) is not one oNCP uses.
    #[error("unsupported ESP cipher code {0} (oNCP has 2, AES-128-CBC, and 5, AES-256-CBC)")]
    UnsupportedCipher(u8),
    /// The integrity code (TLV 8/2) is not one oNCP uses.
    #[error(
        "unsupported ESP integrity code {0} (oNCP has 1, HMAC-MD5-96, and 2, HMAC-SHA1-96; 3, HMAC-SHA-256-128, is Pulse-only)"
    )]
    UnsupportedIntegrity(u8),
    /// The datagram is too short to be an ESP packet of this SA.
    #[error("ESP datagram of {0} bytes is too short (at least 52 needed)")]
    TooShort(usize),
    /// The ciphertext is not a whole number of cipher blocks.
    #[error("ESP ciphertext length {0} is not a multiple of 16")]
    BadLength(usize),
    /// The SPI is not the one of this SA.
    #[error("SPI {0:#010x} does not belong to this SA")]
    WrongSpi(u32),
    /// The ICV does not match: forged or corrupted.
    #[error("ICV mismatch")]
    BadIcv,
    /// The sequence number was already received (replay protection on).
    #[error("sequence number {0} replayed")]
    Replayed(u32),
    /// The sequence number is older than the replay window.
    #[error("sequence number {0} too old for the replay window")]
    TooOld(u32),
    /// The padding or pad length byte is wrong after decryption.
    #[error("bad ESP padding")]
    BadPadding,
    /// The next-header value is not IPv4, LZO-IPv4 or IPv6.
    #[error("unexpected next header {0}")]
    BadNextHeader(u8),
    /// The caller's buffer is too small for the packet being built.
    #[error("buffer of {have} bytes too small, {need} needed")]
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// An ESP packet needs at least one payload byte (the receiver's
    /// pad-length rule refuses an empty one).
    #[error("empty ESP payload")]
    EmptyPayload,
    /// The outbound sequence number space is exhausted: rekey first.
    #[error("outbound sequence numbers exhausted; a new SA is needed")]
    SequenceExhausted,
}
