//! Glue between nom's streaming byte parsers and [`PulseError`].

use nom::error::{ErrorKind, ParseError};
use nom::{Err, IResult, Needed};

use super::error::{PulseError, PulseErrorKind};

/// nom's error for the Pulse parsers: only where it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At<'a>(pub &'a [u8]);

impl<'a> ParseError<&'a [u8]> for At<'a> {
    fn from_error_kind(input: &'a [u8], _kind: ErrorKind) -> Self {
        At(input)
    }

    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

/// The result type of the Pulse nom parsers.
pub(crate) type PResult<'a, O> = IResult<&'a [u8], O, At<'a>>;

/// Runs `parser` on `input` and maps nom's outcome: `Incomplete` becomes
/// [`PulseErrorKind::Truncated`] at the end of the input, a failure
/// becomes `on_error()` at the failing position.
pub(crate) fn run<'a, O>(
    input: &'a [u8],
    what: &'static str,
    parser: impl FnOnce(&'a [u8]) -> PResult<'a, O>,
    on_error: impl FnOnce() -> PulseErrorKind,
) -> Result<(O, &'a [u8]), PulseError> {
    match parser(input) {
        Ok((rest, out)) => Ok((out, rest)),
        Err(Err::Incomplete(needed)) => Err(PulseError::new(
            input.len() as u64,
            PulseErrorKind::Truncated {
                what,
                needed: match needed {
                    Needed::Size(n) => n.get(),
                    Needed::Unknown => 1,
                },
            },
        )),
        Err(Err::Error(At(at)) | Err::Failure(At(at))) => {
            Err(PulseError::new((input.len() - at.len()) as u64, on_error()))
        }
    }
}

/// A truncation error: `what` needs `needed` more bytes at `offset`.
pub(crate) fn truncated(offset: usize, what: &'static str, needed: usize) -> PulseError {
    PulseError::new(offset as u64, PulseErrorKind::Truncated { what, needed })
}

/// Reads a big-endian u32 at `at` of `b`, if present.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads a big-endian u16 at `at` of `b`, if present.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
