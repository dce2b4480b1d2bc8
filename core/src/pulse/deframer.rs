//! Incremental cutting of one direction of the IF-T stream into messages
//! (spec/pulse.md §3.6, §10): feed the TLS plaintext after the HTTP head
//! in chunks of any size and poll for whole [`IftMessage`]s. TLS record
//! boundaries do not matter. The header is checked as soon as its 16 bytes
//! are in, and a length above the limit is refused before the value is
//! buffered, so buffering never exceeds one message of the limit.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::error::{PulseError, PulseErrorKind};
use super::ift::{DEFAULT_MAX_MESSAGE_LEN, HEADER_LEN, IftHeader, IftMessage};

/// A message cut from the stream, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    /// The message.
    pub message: IftMessage,
    /// Stream offset of its first byte.
    pub start: u64,
}

/// Incremental IF-T deframer for one direction.
#[derive(Debug)]
pub struct Deframer {
    /// Bytes of the message being assembled (header first).
    buf: Vec<u8>,
    /// Its header once parsed.
    header: Option<IftHeader>,
    /// Stream offset of the next input byte.
    offset: u64,
    items: VecDeque<Framed>,
    max_len: usize,
    ended: bool,
}

impl Default for Deframer {
    fn default() -> Self {
        Self::new()
    }
}

impl Deframer {
    /// A deframer with the default limit of [`DEFAULT_MAX_MESSAGE_LEN`].
    pub fn new() -> Self {
        Deframer {
            buf: Vec::new(),
            header: None,
            offset: 0,
            items: VecDeque::new(),
            max_len: DEFAULT_MAX_MESSAGE_LEN,
            ended: false,
        }
    }

    /// The same deframer with another limit on a whole message (at least
    /// 16; e.g. 16384 + 16 for the data phase).
    #[must_use]
    pub fn with_max_message_len(mut self, max: usize) -> Self {
        self.max_len = max.max(HEADER_LEN);
        self
    }

    /// Changes the limit for messages whose header has not arrived yet.
    pub fn set_max_message_len(&mut self, max: usize) {
        self.max_len = max.max(HEADER_LEN);
    }

    /// The limit on a whole message.
    pub fn max_message_len(&self) -> usize {
        self.max_len
    }

    /// Input bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes buffered for the incomplete message.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Whether an incomplete message is buffered.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Whether the stream ended with an error.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The next whole message, if any.
    #[must_use]
    pub fn poll(&mut self) -> Option<Framed> {
        self.items.pop_front()
    }

    /// Feeds the next bytes. After an error nothing more is accepted.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), PulseError> {
        if self.ended {
            return if data.is_empty() {
                Ok(())
            } else {
                Err(PulseError::new(self.offset, PulseErrorKind::StreamEnded))
            };
        }
        while !data.is_empty() {
            let want = match self.header {
                None => HEADER_LEN - self.buf.len(),
                Some(h) => h.length as usize - self.buf.len(),
            };
            let take = want.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            self.offset += take as u64;
            if self.header.is_none() && self.buf.len() == HEADER_LEN {
                let start = self.offset - HEADER_LEN as u64;
                let h = match IftHeader::parse(&self.buf) {
                    Ok(h) => h,
                    Err(e) => return Err(self.fail(e.shifted(start))),
                };
                if h.length as usize > self.max_len {
                    let e = PulseError::new(
                        start + 8,
                        PulseErrorKind::TooLong {
                            what: "IF-T message",
                            length: h.length as usize,
                            limit: self.max_len,
                        },
                    );
                    return Err(self.fail(e));
                }
                self.header = Some(h);
                self.buf.reserve_exact(h.length as usize - HEADER_LEN);
            }
            if let Some(h) = self.header
                && self.buf.len() == h.length as usize
            {
                let start = self.offset - h.length as u64;
                let value = self.buf.split_off(HEADER_LEN);
                self.buf.clear();
                self.header = None;
                self.items.push_back(Framed {
                    message: IftMessage {
                        msg_type: h.msg_type,
                        identifier: h.identifier,
                        value,
                    },
                    start,
                });
            }
        }
        Ok(())
    }

    fn fail(&mut self, e: PulseError) -> PulseError {
        self.ended = true;
        self.buf.clear();
        self.header = None;
        e
    }
}
