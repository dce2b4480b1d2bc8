//! IP fragment reassembly, bounded in datagrams, bytes and capture time.

use alloc::vec::Vec;
use core::net::IpAddr;

use super::ip::IpHeader;

/// Limits of the reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentLimits {
    /// Datagrams reassembled at once; the oldest is dropped for a new one.
    pub max_pending: usize,
    /// The largest reassembled payload (bytes).
    pub max_datagram: usize,
    /// Capture time after which an incomplete datagram is dropped (µs).
    pub timeout_us: u64,
}

impl Default for FragmentLimits {
    fn default() -> Self {
        FragmentLimits {
            max_pending: 64,
            max_datagram: 65_535,
            timeout_us: 30_000_000,
        }
    }
}

/// A datagram dropped before it was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    /// Its fragments stopped arriving within the timeout.
    #[error("fragments of {src} -> {dst} id {id} timed out with {have} bytes")]
    TimedOut {
        /// Source.
        src: IpAddr,
        /// Destination.
        dst: IpAddr,
        /// Identification.
        id: u32,
        /// Payload bytes received.
        have: usize,
    },
    /// Too many datagrams in reassembly; the oldest was dropped.
    #[error("fragments of {src} -> {dst} id {id} dropped: too many datagrams in reassembly")]
    Evicted {
        /// Source.
        src: IpAddr,
        /// Destination.
        dst: IpAddr,
        /// Identification.
        id: u32,
    },
    /// A fragment reaches past the size limit.
    #[error("fragment of {src} -> {dst} id {id} ends at {end}, past the limit of {limit}")]
    TooLarge {
        /// Source.
        src: IpAddr,
        /// Destination.
        dst: IpAddr,
        /// Identification.
        id: u32,
        /// Where the fragment ends.
        end: usize,
        /// The limit.
        limit: usize,
    },
}

#[derive(Debug)]
struct Pending {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    protocol: u8,
    first_seen_us: u64,
    /// The header of the offset-0 fragment.
    header: Option<IpHeader>,
    data: Vec<u8>,
    /// Received ranges, sorted and merged.
    have: Vec<(usize, usize)>,
    total: Option<usize>,
}

impl Pending {
    fn add_range(&mut self, start: usize, end: usize) {
        self.have.push((start, end));
        self.have.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }

    fn complete(&self) -> bool {
        matches!((self.total, self.have.as_slice()), (Some(t), [(0, e)]) if *e >= t)
            && self.header.is_some()
    }
}

/// Reassembles IPv4 and IPv6 fragments.
#[derive(Debug, Default)]
pub struct Reassembler {
    limits: FragmentLimits,
    pending: Vec<Pending>,
}

impl Reassembler {
    /// A reassembler with these limits.
    pub fn new(limits: FragmentLimits) -> Self {
        Reassembler {
            limits,
            pending: Vec::new(),
        }
    }

    /// Datagrams in reassembly.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Drops datagrams older than the timeout at capture time `now_us`.
    pub fn expire(&mut self, now_us: u64, out: &mut Vec<FragmentError>) {
        let timeout = self.limits.timeout_us;
        self.pending.retain(|p| {
            let keep = now_us.saturating_sub(p.first_seen_us) <= timeout;
            if !keep {
                out.push(FragmentError::TimedOut {
                    src: p.src,
                    dst: p.dst,
                    id: p.id,
                    have: p.have.iter().map(|(s, e)| e - s).sum(),
                });
            }
            keep
        });
    }

    /// Adds a fragment (`header.fragment` is set). Returns the whole
    /// datagram's header (fragment cleared) and payload once complete.
    pub fn push(
        &mut self,
        now_us: u64,
        header: &IpHeader,
        payload: &[u8],
        out: &mut Vec<FragmentError>,
    ) -> Option<(IpHeader, Vec<u8>)> {
        let frag = header.fragment?;
        let end = frag.offset + payload.len();
        if end > self.limits.max_datagram {
            out.push(FragmentError::TooLarge {
                src: header.src,
                dst: header.dst,
                id: frag.id,
                end,
                limit: self.limits.max_datagram,
            });
            return None;
        }
        let idx = match self.pending.iter().position(|p| {
            p.id == frag.id
                && p.src == header.src
                && p.dst == header.dst
                && p.protocol == header.protocol
        }) {
            Some(i) => i,
            None => {
                if self.pending.len() >= self.limits.max_pending && !self.pending.is_empty() {
                    let old = self.pending.remove(0);
                    out.push(FragmentError::Evicted {
                        src: old.src,
                        dst: old.dst,
                        id: old.id,
                    });
                }
                self.pending.push(Pending {
                    src: header.src,
                    dst: header.dst,
                    id: frag.id,
                    protocol: header.protocol,
                    first_seen_us: now_us,
                    header: None,
                    data: Vec::new(),
                    have: Vec::new(),
                    total: None,
                });
                self.pending.len() - 1
            }
        };
        let p = &mut self.pending[idx];
        if p.data.len() < end {
            p.data.resize(end, 0);
        }
        p.data[frag.offset..end].copy_from_slice(payload);
        if !payload.is_empty() {
            p.add_range(frag.offset, end);
        }
        if frag.offset == 0 {
            p.header = Some(*header);
        }
        if !frag.more {
            p.total = Some(end);
        }
        if !p.complete() {
            return None;
        }
        let done = self.pending.remove(idx);
        let total = done.total.unwrap_or(0);
        let mut h = done.header?;
        h.fragment = None;
        h.total_len = h.header_len + total;
        h.truncated = false;
        let mut data = done.data;
        data.truncate(total);
        Some((h, data))
    }
}

#[cfg(test)]
mod tests {
    use super::super::ip::{build, parse};
    use super::*;

    fn frag(id: u16, off8: u16, more: bool, data: &[u8]) -> Vec<u8> {
        let flags = if more { 0x2000 } else { 0 };
        build::v4([1, 1, 1, 1], [2, 2, 2, 2], 17, id, flags | off8, data)
    }

    #[test]
    fn reassembles_out_of_order_with_overlap() {
        let mut r = Reassembler::default();
        let mut errs = Vec::new();
        let parts = [
            frag(9, 2, false, b"CCCCz"),
            frag(9, 0, true, b"AAAAAAAA"),
            frag(9, 1, true, b"BBBBBBBBCC"),
        ];
        let mut result = None;
        for p in &parts {
            let (h, body) = parse(p).unwrap();
            assert!(result.is_none());
            result = r.push(0, &h, body, &mut errs);
        }
        let (h, data) = result.unwrap();
        assert_eq!(data, b"AAAAAAAABBBBBBBBCCCCz");
        assert_eq!(h.fragment, None);
        assert_eq!(h.total_len, 20 + 21);
        assert!(errs.is_empty());
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn bounded_and_timed_out() {
        let mut r = Reassembler::new(FragmentLimits {
            max_pending: 2,
            max_datagram: 64,
            timeout_us: 10,
        });
        let mut errs = Vec::new();
        for id in 0..3 {
            let p = frag(id, 0, true, b"12345678");
            let (h, body) = parse(&p).unwrap();
            assert!(r.push(id.into(), &h, body, &mut errs).is_none());
        }
        assert_eq!(r.pending(), 2);
        assert!(matches!(errs[0], FragmentError::Evicted { id: 0, .. }));
        r.expire(12, &mut errs);
        assert!(matches!(
            errs[1],
            FragmentError::TimedOut { id: 1, have: 8, .. }
        ));
        assert_eq!(r.pending(), 1);
        let p = frag(5, 8, false, b"12345678");
        let (h, body) = parse(&p).unwrap();
        assert!(r.push(0, &h, body, &mut errs).is_none());
        assert!(matches!(errs[2], FragmentError::TooLarge { end: 72, .. }));
    }
}
