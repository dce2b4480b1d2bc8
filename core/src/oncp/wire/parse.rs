//! Glue between nom's streaming byte parsers and [`WireError`].
//!
//! The wire parsers are written with `nom::number::streaming` and
//! `nom::bytes::streaming`, so a short input reports exactly how many more
//! bytes it needs. [`run`] turns nom's result into our typed error with an
//! offset into the caller's buffer.

use nom::error::{ErrorKind, ParseError};
use nom::{Err, IResult, Needed};

use super::error::{WireError, WireErrorKind};

/// nom's error for our byte parsers: where it happened (the remaining
/// input) and nothing else; callers attach their own meaning.
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

/// The result type of our nom parsers.
pub(crate) type PResult<'a, O> = IResult<&'a [u8], O, At<'a>>;

/// Runs `parser` on `input` (which starts at byte `base` of the buffer the
/// caller reports offsets in) and maps nom's outcome:
/// `Incomplete(n)` becomes [`WireErrorKind::Truncated`] at the end of the
/// input, any other failure becomes `on_error` at the failing position.
pub(crate) fn run<'a, O>(
    input: &'a [u8],
    base: u64,
    what: &'static str,
    parser: impl FnOnce(&'a [u8]) -> PResult<'a, O>,
    on_error: impl FnOnce() -> WireErrorKind,
) -> Result<(O, &'a [u8]), WireError> {
    match parser(input) {
        Ok((rest, out)) => Ok((out, rest)),
        Err(Err::Incomplete(needed)) => Err(WireError::new(
            base + input.len() as u64,
            WireErrorKind::Truncated {
                what,
                needed: match needed {
                    Needed::Size(n) => n.get(),
                    Needed::Unknown => 1,
                },
            },
        )),
        Err(Err::Error(At(at)) | Err::Failure(At(at))) => Err(WireError::new(
            base + (input.len() - at.len()) as u64,
            on_error(),
        )),
    }
}
