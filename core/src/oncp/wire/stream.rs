//! Incremental decoding of one direction of the oNCP stream
//! (spec/oncp.md §2–§3.6).
//!
//! Feed the TLS plaintext that follows the HTTP head in chunks of any size
//! (one byte at a time works) and poll for [`StreamItem`]s. Record
//! boundaries are stripped: KMP messages may straddle records and several
//! may share one. The decoder knows each direction's preamble (the
//! client's hostname packet, the gateway's status byte, alone or combined
//! with the start of the 301) and the 301 continuation quirk of some
//! gateways (a KMP 300 record interleaved between 301 continuation
//! records, §2.5). Buffering is bounded by one KMP message (limit set with
//! [`StreamDecoder::with_max_message_len`]) plus at most one record of the
//! chunk being fed; nothing is allocated per byte.
//!
//! A zero-length record is always read as the termination notice, even in
//! the status position (OpenConnect calls a zero length there an error;
//! either way the stream ends).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::error::{WireError, WireErrorKind};
use super::kmp::{KMP_HEADER_LEN, KmpHeader, KmpMessage, MAX_KMP_PAYLOAD};
use super::kmp_type::KmpType;
use super::preamble::{HostnamePacket, MAX_HOSTNAME_LEN, Status};
use super::record::TerminationReason;

/// Which direction a [`StreamDecoder`] decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Client to gateway: hostname packet, then KMP messages.
    ClientToServer,
    /// Gateway to client: status byte, then KMP messages.
    ServerToClient,
}

/// One decoded item of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// The client's hostname packet (first client record).
    Hostname(HostnamePacket),
    /// The gateway's status byte (first gateway record).
    Status(Status),
    /// A whole KMP message.
    Message {
        /// The message.
        message: KmpMessage,
        /// Stream offset of its first byte.
        start: u64,
        /// Stream offset just past its last byte.
        end: u64,
        /// Whether it arrived as a whole record in the middle of another
        /// message (the 301 continuation quirk).
        interleaved: bool,
    },
    /// The gateway's termination notice; nothing follows.
    Terminated(TerminationReason),
}

#[derive(Debug)]
enum State {
    Header {
        buf: [u8; 2],
        have: u8,
    },
    Reason,
    Body {
        remaining: usize,
        len: usize,
        mode: Mode,
    },
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Hostname,
    StatusByte,
    Stream,
    Peek,
    Interleaved,
}

/// Incremental decoder of one direction of the oNCP stream.
#[derive(Debug)]
pub struct StreamDecoder {
    kind: StreamKind,
    state: State,
    /// Stream offset of the next input byte.
    offset: u64,
    records: u64,
    /// Concatenated record payload not yet parsed into messages.
    kmp: Vec<u8>,
    /// (position in `kmp`, stream offset of that byte) for each appended run.
    segments: VecDeque<(usize, u64)>,
    /// The first record (hostname) or a record checked for interleaving.
    side: Vec<u8>,
    side_start: u64,
    items: VecDeque<StreamItem>,
    /// Largest KMP message (header + payload) accepted.
    max_message_len: usize,
}

/// Default limit on a KMP message (header + payload): the most the 16-bit
/// length field can express.
pub const DEFAULT_MAX_MESSAGE_LEN: usize = KMP_HEADER_LEN + MAX_KMP_PAYLOAD;

/// Longest hostname-packet record accepted (13 fixed bytes + the longest
/// host name).
const MAX_HOSTNAME_RECORD: usize = 13 + MAX_HOSTNAME_LEN;

const INTERLEAVE_PEEK: usize = KMP_HEADER_LEN + 1;

impl StreamDecoder {
    /// A decoder for the stream in direction `kind`, starting right after
    /// the HTTP head.
    pub fn new(kind: StreamKind) -> Self {
        StreamDecoder {
            kind,
            state: State::Header {
                buf: [0; 2],
                have: 0,
            },
            offset: 0,
            records: 0,
            kmp: Vec::new(),
            segments: VecDeque::new(),
            side: Vec::new(),
            side_start: 0,
            items: VecDeque::new(),
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
        }
    }

    /// The same decoder with a lower limit on the length of a KMP message
    /// (20-byte header included; at least 20). A message announcing more is
    /// a [`WireErrorKind::TooLong`] error as soon as its header is seen,
    /// as soon as its header has arrived.
    #[must_use]
    pub fn with_max_message_len(mut self, max: usize) -> Self {
        self.max_message_len = max.clamp(KMP_HEADER_LEN, DEFAULT_MAX_MESSAGE_LEN);
        self
    }

    /// The direction this decoder decodes.
    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// The number of bytes buffered for incomplete messages or records.
    pub fn buffered(&self) -> usize {
        self.kmp.len() + self.side.len()
    }

    /// A decoder for the stream after its preamble (hostname or status)
    /// was handled elsewhere: everything is KMP messages.
    pub fn new_after_preamble(kind: StreamKind) -> Self {
        let mut d = Self::new(kind);
        d.records = 1;
        d
    }

    /// The number of input bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the stream ended (termination notice or error).
    pub fn is_ended(&self) -> bool {
        matches!(self.state, State::Ended)
    }

    /// Whether bytes of an incomplete record or message are buffered.
    pub fn has_partial(&self) -> bool {
        !self.kmp.is_empty() || !matches!(self.state, State::Header { have: 0, .. } | State::Ended)
    }

    /// The next decoded item, if any.
    #[must_use]
    pub fn poll_item(&mut self) -> Option<StreamItem> {
        self.items.pop_front()
    }

    /// Feeds the next bytes of the stream. Items become available through
    /// [`Self::poll_item`]. After an error or a termination notice the
    /// decoder accepts nothing more.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), WireError> {
        if self.is_ended() {
            return if data.is_empty() {
                Ok(())
            } else {
                Err(WireError::new(self.offset, WireErrorKind::StreamEnded))
            };
        }
        let r = self.feed_inner(&mut data);
        if r.is_err() {
            self.state = State::Ended;
        }
        r
    }

    fn feed_inner(&mut self, data: &mut &[u8]) -> Result<(), WireError> {
        while !data.is_empty() {
            match &mut self.state {
                State::Ended => {
                    return Err(WireError::new(self.offset, WireErrorKind::StreamEnded));
                }
                State::Header { buf, have } => {
                    buf[*have as usize] = data[0];
                    *have += 1;
                    let full = *have == 2;
                    let len = u16::from_le_bytes(*buf) as usize;
                    self.advance(data, 1);
                    if full {
                        self.start_record(len)?;
                    }
                }
                State::Reason => {
                    let reason = TerminationReason(data[0]);
                    self.advance(data, 1);
                    self.items.push_back(StreamItem::Terminated(reason));
                    self.state = State::Ended;
                }
                State::Body {
                    remaining,
                    len,
                    mode,
                } => {
                    let (len, mode_now) = (*len, *mode);
                    let take = match mode_now {
                        Mode::StatusByte => 1,
                        Mode::Peek => (INTERLEAVE_PEEK - self.side.len()).min(*remaining),
                        _ => *remaining,
                    }
                    .min(data.len());
                    *remaining -= take;
                    let left = *remaining;
                    let chunk = &data[..take];
                    let chunk_offset = self.offset;
                    match mode_now {
                        Mode::Hostname | Mode::Peek | Mode::Interleaved => {
                            self.side.extend_from_slice(chunk)
                        }
                        Mode::StatusByte => {
                            self.items.push_back(StreamItem::Status(Status(chunk[0])))
                        }
                        Mode::Stream => {
                            self.push_segment(chunk_offset);
                            self.kmp.extend_from_slice(chunk);
                        }
                    }
                    self.advance(data, take);
                    self.after_body_chunk(len, left, mode_now)?;
                }
            }
        }
        Ok(())
    }

    fn advance(&mut self, data: &mut &[u8], n: usize) {
        *data = &data[n..];
        self.offset += n as u64;
    }

    fn start_record(&mut self, len: usize) -> Result<(), WireError> {
        let first = self.records == 0;
        if first && self.kind == StreamKind::ClientToServer && len > MAX_HOSTNAME_RECORD {
            return Err(WireError::new(
                self.offset - 2,
                WireErrorKind::TooLong {
                    what: "hostname packet",
                    length: len,
                    limit: MAX_HOSTNAME_RECORD,
                },
            ));
        }
        self.records += 1;
        if len == 0 {
            self.state = State::Reason;
            return Ok(());
        }
        let mode = match (first, self.kind) {
            (true, StreamKind::ClientToServer) => Mode::Hostname,
            (true, StreamKind::ServerToClient) => Mode::StatusByte,
            (false, StreamKind::ServerToClient)
                if len >= INTERLEAVE_PEEK && self.partial_type() == Some(KmpType::CONFIG) =>
            {
                Mode::Peek
            }
            _ => Mode::Stream,
        };
        self.side.clear();
        self.side_start = self.offset;
        self.state = State::Body {
            remaining: len,
            len,
            mode,
        };
        Ok(())
    }

    /// The type of the incomplete message at the head of the buffer.
    fn partial_type(&self) -> Option<KmpType> {
        (self.kmp.len() >= 8).then(|| KmpType(u16::from_be_bytes([self.kmp[6], self.kmp[7]])))
    }

    fn after_body_chunk(&mut self, len: usize, left: usize, mode: Mode) -> Result<(), WireError> {
        let mut next_mode = mode;
        match mode {
            Mode::Hostname if left == 0 => {
                let h =
                    HostnamePacket::parse(&self.side).map_err(|e| e.shifted(self.side_start))?;
                self.items.push_back(StreamItem::Hostname(h));
            }
            Mode::StatusByte => next_mode = Mode::Stream,
            Mode::Stream => self.extract_messages()?,
            Mode::Peek if self.side.len() == INTERLEAVE_PEEK || left == 0 => {
                if is_interleaved_data(&self.side, len) {
                    next_mode = Mode::Interleaved;
                } else {
                    let side = core::mem::take(&mut self.side);
                    self.push_segment(self.side_start);
                    self.kmp.extend_from_slice(&side);
                    next_mode = Mode::Stream;
                    self.extract_messages()?;
                }
            }
            _ => {}
        }
        if next_mode == Mode::Interleaved && left == 0 {
            let (message, used) =
                KmpMessage::parse(&self.side).map_err(|e| e.shifted(self.side_start))?;
            self.items.push_back(StreamItem::Message {
                message,
                start: self.side_start,
                end: self.side_start + used as u64,
                interleaved: true,
            });
            self.side.clear();
        }
        self.state = if left == 0 {
            State::Header {
                buf: [0; 2],
                have: 0,
            }
        } else {
            State::Body {
                remaining: left,
                len,
                mode: next_mode,
            }
        };
        Ok(())
    }

    /// Records that the bytes appended next to `kmp` start at stream
    /// offset `offset`, unless they continue the last run (so feeding one
    /// byte at a time does not grow the segment list).
    fn push_segment(&mut self, offset: u64) {
        let contiguous = self
            .segments
            .back()
            .is_some_and(|&(p, o)| o + (self.kmp.len() - p) as u64 == offset);
        if !contiguous {
            self.segments.push_back((self.kmp.len(), offset));
        }
    }

    fn stream_offset_of(&self, pos: usize) -> u64 {
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|(p, _)| *p <= pos)
            .copied()
            .unwrap_or((0, self.offset));
        seg.1 + (pos - seg.0) as u64
    }

    fn extract_messages(&mut self) -> Result<(), WireError> {
        let mut pos = 0;
        while self.kmp.len() - pos >= KMP_HEADER_LEN {
            let header = KmpHeader::parse(&self.kmp[pos..])
                .map_err(|e| e.shifted(self.stream_offset_of(pos)))?;
            let total = KMP_HEADER_LEN + header.length as usize;
            if total > self.max_message_len {
                return Err(WireError::new(
                    self.stream_offset_of(pos + 16),
                    WireErrorKind::TooLong {
                        what: "KMP message",
                        length: total,
                        limit: self.max_message_len,
                    },
                )
                .in_kmp(header.kmp_type));
            }
            if self.kmp.len() - pos < total {
                break;
            }
            let message = KmpMessage {
                header,
                payload: self.kmp[pos + KMP_HEADER_LEN..pos + total].to_vec(),
            };
            let start = self.stream_offset_of(pos);
            let end = self.stream_offset_of(pos + total - 1) + 1;
            self.items.push_back(StreamItem::Message {
                message,
                start,
                end,
                interleaved: false,
            });
            pos += total;
        }
        if pos > 0 {
            self.kmp.drain(..pos);
            let keep_from = self
                .segments
                .iter()
                .rposition(|(p, _)| *p <= pos)
                .unwrap_or(0);
            self.segments.drain(..keep_from);
            for seg in self.segments.iter_mut() {
                if seg.0 <= pos {
                    seg.1 += (pos - seg.0) as u64;
                    seg.0 = 0;
                } else {
                    seg.0 -= pos;
                }
            }
            if self.kmp.is_empty() {
                self.segments.clear();
            }
        }
        Ok(())
    }
}

/// Whether a record of `record_len` bytes starting with `head` is a whole
/// KMP 300 holding one IPv4 packet with byte 8 of its header zero: the shape
/// OpenConnect 9.10+ accepts between 301 continuation records.
fn is_interleaved_data(head: &[u8], record_len: usize) -> bool {
    head.len() >= INTERLEAVE_PEEK
        && head[6..8] == [0x01, 0x2c]
        && head[8] == 0
        && KMP_HEADER_LEN + u16::from_be_bytes([head[18], head[19]]) as usize == record_len
        && head[16..18] == [0, 0]
        && head[20] == 0x45
}
