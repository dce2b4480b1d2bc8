//! Feeding a byte stream to the oNCP stream decoder in pieces, shared by the
//! wire tests.
#![allow(dead_code)] // each test binary uses a subset

use oncp_core::oncp::wire::{StreamDecoder, StreamItem, StreamKind};

/// Feeds `stream` in pieces ending at `cuts` (ascending) and collects the
/// items; panics on an error or if bytes are left over.
pub fn decode(kind: StreamKind, stream: &[u8], cuts: &[usize]) -> Vec<StreamItem> {
    let (items, partial) = decode_partial(kind, stream, cuts);
    assert!(!partial, "bytes left over");
    items
}

/// As [`decode`], also returning whether an incomplete message is left.
pub fn decode_partial(kind: StreamKind, stream: &[u8], cuts: &[usize]) -> (Vec<StreamItem>, bool) {
    let mut d = StreamDecoder::new(kind);
    let mut items = Vec::new();
    let mut prev = 0;
    for &c in cuts.iter().chain(std::iter::once(&stream.len())) {
        d.feed(&stream[prev..c]).unwrap();
        prev = c;
        while let Some(i) = d.poll_item() {
            items.push(i);
        }
    }
    (items, d.has_partial())
}
