//! Errors of LZO1X decompression and compression.

use thiserror::Error;

/// Why an LZO1X stream could not be decompressed (or, for
/// [`LzoError::CompressBufferTooSmall`], compressed). Offsets are positions
/// in the compressed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LzoError {
    /// The input ended inside an instruction or before the end marker.
    #[error("input ends at byte {0} before the end of the stream")]
    Truncated(usize),
    /// The output would exceed the caller's limit.
    #[error("output limit of {limit} bytes exceeded at input byte {at}")]
    OutputFull {
        /// Input offset of the instruction.
        at: usize,
        /// The limit.
        limit: usize,
    },
    /// A match reaches back before the start of the output.
    #[error("match at input byte {at} reaches back {distance} bytes with only {produced} produced")]
    BadDistance {
        /// Input offset of the instruction.
        at: usize,
        /// The distance.
        distance: usize,
        /// Bytes produced so far.
        produced: usize,
    },
    /// An extended length is absurdly long (a run of zero bytes).
    #[error("extended length at input byte {0} is too long")]
    LengthOverflow(usize),
    /// The end marker carries a length other than 1.
    #[error("malformed end marker at input byte {0}")]
    BadEndMarker(usize),
    /// Bytes follow the end marker.
    #[error("{0} bytes of trailing data after the end marker")]
    TrailingData(usize),
    /// The buffer given to the compressor is shorter than
    /// [`worst_compressed_len`](super::worst_compressed_len) of the input.
    #[error("compression needs an output buffer of {need} bytes, got {have}")]
    CompressBufferTooSmall {
        /// The bytes needed.
        need: usize,
        /// The buffer's length.
        have: usize,
    },
}
