//! One packet's place in a batch seal: its buffer, payload length, next
//! header and IV in, the sealed length out. Kept apart from the SA and the
//! batch code so both can name it without naming each other.

use super::NextHeader;
use super::algorithm::BLOCK_LEN;

/// One packet of a batch for `OutboundSa::seal_batch`: like the
/// arguments of `OutboundSa::encrypt_in_place`.
#[derive(Debug, Clone)]
pub struct SealSlot<B> {
    /// The buffer: payload at `HEADER_LEN..HEADER_LEN + payload_len`, with
    /// room for the whole packet (`OutboundSa::packet_len`).
    pub buf: B,
    /// Payload bytes.
    pub payload_len: usize,
    /// The next-header value.
    pub next_header: NextHeader,
    /// The packet's IV (fresh and unpredictable per packet).
    pub iv: [u8; BLOCK_LEN],
    /// Set by `OutboundSa::seal_batch`: the sealed packet's length, the
    /// first bytes of `buf`.
    pub packet_len: usize,
}

impl<B> SealSlot<B> {
    /// A slot for a payload of `payload_len` bytes in `buf`.
    pub fn new(buf: B, payload_len: usize, next_header: NextHeader, iv: [u8; BLOCK_LEN]) -> Self {
        SealSlot {
            buf,
            payload_len,
            next_header,
            iv,
            packet_len: 0,
        }
    }
}
