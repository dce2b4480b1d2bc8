//! Reassembly of one direction of a TCP connection into a byte stream with
//! offsets: in-order data passes straight through, out-of-order segments
//! wait (bounded), retransmissions and overlaps are trimmed, and bytes that
//! will never come are reported as gaps.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// A piece of the reassembled stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamChunk<'a> {
    /// Bytes at `offset` (offset 0 = the byte after the SYN, or the first
    /// byte seen when the capture starts mid-connection).
    Data {
        /// Stream offset of `data[0]`.
        offset: u64,
        /// The bytes.
        data: &'a [u8],
    },
    /// `missing` bytes at `offset` never appeared in the capture.
    Gap {
        /// Where the gap starts.
        offset: u64,
        /// Its length.
        missing: u64,
    },
}

/// What one segment was, for the per-packet summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentVerdict {
    /// New in-order bytes (or a segment without payload).
    InOrder,
    /// All of its bytes were seen before.
    Retransmission,
    /// Part of its bytes were seen before.
    Overlap,
    /// It lies beyond a hole; held back.
    OutOfOrder,
    /// Payload after this direction's FIN or RST, ignored.
    AfterClose,
}

impl SegmentVerdict {
    /// A short name.
    pub const fn name(self) -> &'static str {
        match self {
            SegmentVerdict::InOrder => "in-order",
            SegmentVerdict::Retransmission => "retransmission",
            SegmentVerdict::Overlap => "overlap",
            SegmentVerdict::OutOfOrder => "out-of-order",
            SegmentVerdict::AfterClose => "after-close",
        }
    }
}

/// One direction's reassembler.
#[derive(Debug, Default)]
pub struct StreamReassembler {
    /// Sequence number of stream offset 0.
    base: Option<u32>,
    /// A SYN fixed the base (otherwise the capture started mid-stream).
    syn_seen: bool,
    /// The next offset to deliver.
    next: u64,
    ooo: BTreeMap<u64, Vec<u8>>,
    ooo_bytes: usize,
    limit: usize,
    fin_at: Option<u64>,
    closed: bool,
    delivered: u64,
    gaps: u64,
}

impl StreamReassembler {
    /// A reassembler holding at most `limit` out-of-order bytes.
    pub fn new(limit: usize) -> Self {
        StreamReassembler {
            limit,
            ..Default::default()
        }
    }

    /// The next stream offset expected.
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// Bytes delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Bytes reported missing so far.
    pub fn missing(&self) -> u64 {
        self.gaps
    }

    /// Out-of-order bytes held.
    pub fn buffered(&self) -> usize {
        self.ooo_bytes
    }

    /// Whether a SYN was seen (offsets count from it).
    pub fn syn_seen(&self) -> bool {
        self.syn_seen
    }

    /// Whether this direction's FIN was reached (or an RST seen).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Maps a sequence number to the stream offset nearest `next`.
    fn offset_of(&self, seq: u32) -> Option<u64> {
        let base = self.base?;
        let rel = u64::from(seq.wrapping_sub(base));
        let epoch = self.next & !0xFFFF_FFFF;
        let candidates = [
            epoch.checked_sub(1 << 32).map(|e| e | rel),
            Some(epoch | rel),
            epoch.checked_add(1 << 32).map(|e| e | rel),
        ];
        candidates
            .into_iter()
            .flatten()
            .min_by_key(|&c| c.abs_diff(self.next))
    }

    /// Adds a segment of this direction.
    pub fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        payload: &[u8],
        sink: &mut dyn FnMut(StreamChunk<'_>),
    ) -> SegmentVerdict {
        if syn {
            if self.base.is_none() || (self.delivered == 0 && self.ooo.is_empty()) {
                self.base = Some(seq.wrapping_add(1));
                self.syn_seen = true;
                self.next = 0;
            }
        } else if self.base.is_none() {
            self.base = Some(seq);
        }
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let Some(start) = self.offset_of(data_seq) else {
            return SegmentVerdict::InOrder;
        };
        let end = start + payload.len() as u64;
        if fin && self.fin_at.is_none() {
            self.fin_at = Some(end);
        }
        if self.closed {
            let verdict = if payload.is_empty() {
                SegmentVerdict::InOrder
            } else if end <= self.next {
                SegmentVerdict::Retransmission
            } else {
                SegmentVerdict::AfterClose
            };
            return verdict;
        }
        let verdict = if payload.is_empty() {
            SegmentVerdict::InOrder
        } else if end <= self.next {
            SegmentVerdict::Retransmission
        } else if start < self.next {
            let skip = (self.next - start) as usize;
            self.deliver(&payload[skip..], sink);
            SegmentVerdict::Overlap
        } else if start == self.next {
            self.deliver(payload, sink);
            SegmentVerdict::InOrder
        } else {
            let slot = self.ooo.entry(start).or_default();
            if slot.len() < payload.len() {
                self.ooo_bytes += payload.len() - slot.len();
                slot.clear();
                slot.extend_from_slice(payload);
            }
            while self.ooo_bytes > self.limit {
                self.skip_to_first_held(sink);
            }
            SegmentVerdict::OutOfOrder
        };
        self.drain(sink);
        self.check_fin();
        verdict
    }

    /// The peer acknowledged `ack`: bytes below it that we hold no segment
    /// for were lost by the capture, so a hole before held data is a gap.
    pub fn peer_acked(&mut self, ack: u32, sink: &mut dyn FnMut(StreamChunk<'_>)) {
        let Some(ack_off) = self.offset_of(ack) else {
            return;
        };
        while let Some((&first, _)) = self.ooo.first_key_value() {
            if first > self.next && first <= ack_off {
                self.skip_to_first_held(sink);
            } else {
                break;
            }
        }
        self.check_fin();
    }

    /// An RST: nothing more will be delivered.
    pub fn reset(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) {
        self.flush(sink);
        self.closed = true;
    }

    /// End of capture: held data is delivered with gaps before it.
    pub fn flush(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) {
        while !self.ooo.is_empty() {
            self.skip_to_first_held(sink);
        }
        self.check_fin();
    }

    fn deliver(&mut self, data: &[u8], sink: &mut dyn FnMut(StreamChunk<'_>)) {
        if data.is_empty() {
            return;
        }
        sink(StreamChunk::Data {
            offset: self.next,
            data,
        });
        self.next += data.len() as u64;
        self.delivered += data.len() as u64;
    }

    fn skip_to_first_held(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) {
        if let Some((&first, _)) = self.ooo.first_key_value()
            && first > self.next
        {
            let missing = first - self.next;
            sink(StreamChunk::Gap {
                offset: self.next,
                missing,
            });
            self.gaps += missing;
            self.next = first;
        }
        self.drain(sink);
    }

    fn drain(&mut self, sink: &mut dyn FnMut(StreamChunk<'_>)) {
        while let Some(entry) = self.ooo.first_entry() {
            let start = *entry.key();
            if start > self.next {
                break;
            }
            let data = entry.remove();
            self.ooo_bytes -= data.len();
            let end = start + data.len() as u64;
            if end > self.next {
                let skip = (self.next - start) as usize;
                self.deliver(&data[skip..], sink);
            }
        }
    }

    fn check_fin(&mut self) {
        if let Some(fin) = self.fin_at
            && self.next >= fin
            && self.ooo.is_empty()
        {
            self.closed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[derive(Debug, PartialEq, Eq)]
    enum Got {
        D(u64, Vec<u8>),
        G(u64, u64),
    }

    fn run(
        r: &mut StreamReassembler,
        seq: u32,
        syn: bool,
        fin: bool,
        p: &[u8],
        got: &mut Vec<Got>,
    ) -> SegmentVerdict {
        r.segment(seq, syn, fin, p, &mut |c| match c {
            StreamChunk::Data { offset, data } => got.push(Got::D(offset, data.to_vec())),
            StreamChunk::Gap { offset, missing } => got.push(Got::G(offset, missing)),
        })
    }

    #[test]
    fn in_order_out_of_order_retransmit_overlap() {
        let mut r = StreamReassembler::new(1 << 20);
        let mut got = Vec::new();
        let isn = 0xFFFF_FFF0; // wraps during the test
        assert_eq!(
            run(&mut r, isn, true, false, b"", &mut got),
            SegmentVerdict::InOrder
        );
        assert_eq!(
            run(&mut r, isn + 1, false, false, b"abc", &mut got),
            SegmentVerdict::InOrder
        );
        assert_eq!(
            run(&mut r, isn.wrapping_add(20), false, false, b"xyz", &mut got),
            SegmentVerdict::OutOfOrder
        );
        assert_eq!(
            run(&mut r, isn + 1, false, false, b"abc", &mut got),
            SegmentVerdict::Retransmission
        );
        assert_eq!(
            run(&mut r, isn + 2, false, false, b"bcdefgh", &mut got),
            SegmentVerdict::Overlap
        );
        // Fills the hole 8..19 and overlaps the held segment.
        assert_eq!(
            run(
                &mut r,
                isn.wrapping_add(9),
                false,
                false,
                b"ijklmnopqrstu",
                &mut got
            ),
            SegmentVerdict::InOrder
        );
        assert_eq!(
            got,
            vec![
                Got::D(0, b"abc".to_vec()),
                Got::D(3, b"defgh".to_vec()),
                Got::D(8, b"ijklmnopqrstu".to_vec()),
                Got::D(21, b"z".to_vec()),
            ]
        );
        assert_eq!(r.next_offset(), 22);
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.missing(), 0);
    }

    #[test]
    fn gaps_from_acks_limits_and_flush() {
        let mut r = StreamReassembler::new(8);
        let mut got = Vec::new();
        run(&mut r, 1000, false, false, b"aa", &mut got); // mid-stream start
        run(&mut r, 1010, false, false, b"bb", &mut got);
        let mut sink = |c: StreamChunk<'_>| match c {
            StreamChunk::Data { offset, data } => got.push(Got::D(offset, data.to_vec())),
            StreamChunk::Gap { offset, missing } => got.push(Got::G(offset, missing)),
        };
        r.peer_acked(1005, &mut sink); // hole not yet acked past the held data
        r.peer_acked(1012, &mut sink);
        assert_eq!(
            got,
            vec![
                Got::D(0, b"aa".to_vec()),
                Got::G(2, 8),
                Got::D(10, b"bb".to_vec())
            ]
        );
        got.clear();
        // Over the limit: the oldest hole becomes a gap.
        run(&mut r, 1020, false, false, b"cccccc", &mut got);
        run(&mut r, 1030, false, false, b"ddddd", &mut got);
        assert_eq!(got, vec![Got::G(12, 8), Got::D(20, b"cccccc".to_vec())]);
        assert_eq!(r.buffered(), 5);
        got.clear();
        run(&mut r, 1035, false, true, b"", &mut got);
        assert!(!r.is_closed());
        r.flush(&mut |c| match c {
            StreamChunk::Data { offset, data } => got.push(Got::D(offset, data.to_vec())),
            StreamChunk::Gap { offset, missing } => got.push(Got::G(offset, missing)),
        });
        assert_eq!(got, vec![Got::G(26, 4), Got::D(30, b"ddddd".to_vec())]);
        assert!(r.is_closed());
        assert_eq!(r.missing(), 20);
        assert_eq!(
            run(&mut r, 1036, false, false, b"late", &mut got),
            SegmentVerdict::AfterClose
        );
    }
}
