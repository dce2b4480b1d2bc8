//! Fuzzes the oNCP stream decoder (records, the preamble of each
//! direction, KMP messages straddling records, the 301 continuation quirk,
//! the termination notice) fed in arbitrary chunks.
//!
//! Input: `[mode u8][cuts u8]` then the stream bytes. Mode bit 0 picks the
//! direction (set: gateway to client), bit 1 starts after the preamble,
//! bits 2–3 lower the message limit (none, 64, 1500, 16384 bytes). `cuts`
//! seeds the chunk sizes (1 to 256 bytes, from a small generator).
//!
//! Checked: no panic; the items, the error and the final state are the same
//! whether the stream is fed whole or in chunks; a message's header length
//! equals its payload length, its offsets lie inside the bytes fed and
//! cover at least its own bytes, and no message exceeds the limit;
//! buffering stays below the limit plus one record; nothing is accepted
//! after the stream ended.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::oncp::wire::kmp::KMP_HEADER_LEN;
use oncp_core::oncp::wire::record::MAX_RECORD_PAYLOAD;
use oncp_core::oncp::wire::stream::DEFAULT_MAX_MESSAGE_LEN;
use oncp_core::oncp::wire::{StreamDecoder, StreamItem, StreamKind, WireError};

struct Run {
    items: Vec<StreamItem>,
    error: Option<WireError>,
    offset: u64,
    ended: bool,
    partial: bool,
}

fn decoder(mode: u8) -> (StreamDecoder, usize) {
    let kind = if mode & 1 == 0 {
        StreamKind::ClientToServer
    } else {
        StreamKind::ServerToClient
    };
    let d = if mode & 2 == 0 {
        StreamDecoder::new(kind)
    } else {
        StreamDecoder::new_after_preamble(kind)
    };
    let limit = [DEFAULT_MAX_MESSAGE_LEN, 64, 1500, 16384][usize::from(mode >> 2 & 3)];
    (d.with_max_message_len(limit), limit)
}

fn run(mode: u8, stream: &[u8], mut next_chunk: impl FnMut() -> usize) -> Run {
    let (mut d, limit) = decoder(mode);
    let mut items = Vec::new();
    let mut error = None;
    let mut rest = stream;
    while !rest.is_empty() {
        let n = next_chunk().clamp(1, rest.len());
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let r = d.feed(chunk);
        while let Some(i) = d.poll_item() {
            if let StreamItem::Message {
                message,
                start,
                end,
                ..
            } = &i
            {
                assert_eq!(message.header.length as usize, message.payload.len());
                let len = (KMP_HEADER_LEN + message.payload.len()) as u64;
                assert!(len as usize <= limit, "message over the limit");
                assert!(start + len <= *end, "offsets shorter than the message");
                assert!(*end <= d.offset(), "offsets past the bytes fed");
            }
            items.push(i);
        }
        assert!(
            d.buffered() < limit + MAX_RECORD_PAYLOAD + 1,
            "{} bytes buffered",
            d.buffered()
        );
        if let Err(e) = r {
            assert!(d.is_ended());
            error = Some(e);
            break;
        }
    }
    if d.is_ended() {
        assert!(d.feed(&[0]).is_err(), "bytes accepted after the end");
    }
    Run {
        items,
        error,
        offset: d.offset(),
        ended: d.is_ended(),
        partial: d.has_partial(),
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, cuts, stream @ ..] = data else {
        return;
    };
    let whole = run(*mode, stream, || usize::MAX);
    let mut state = u32::from(*cuts) | 0x100;
    let chunked = run(*mode, stream, || {
        // xorshift: a deterministic sequence of chunk sizes 1..=256.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state & 0xff) as usize + 1
    });
    assert_eq!(whole.items, chunked.items);
    assert_eq!(whole.error, chunked.error);
    assert_eq!(whole.ended, chunked.ended);
    if whole.error.is_none() {
        assert_eq!(whole.offset, chunked.offset);
        assert_eq!(whole.partial, chunked.partial);
    }
});
