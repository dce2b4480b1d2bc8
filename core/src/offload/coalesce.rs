//! GRO for a TUN write: consecutive TCP segments of one flow that leave
//! the tunnel together become one super-packet with a virtio header
//! (`gso_type` TCPV4/TCPV6), so the kernel takes one write instead of one
//! per segment. Everything else is written alone behind a zero header.

use alloc::vec;
use alloc::vec::Vec;

use super::layout::{Layout, PROTO_TCP};
use super::vnet::{self, VnetHdr};
use super::{MAX_IP_PACKET, csum};

const TCP_ACK: u8 = 0x10;
const TCP_PSH: u8 = 0x08;

/// What [`Coalescer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// The packet is in the pending frame.
    Taken,
    /// The packet cannot join the pending frame: write
    /// [`Coalescer::take`]'s frame, then push the packet again.
    FlushFirst,
    /// The packet is longer than an IP packet can be; it was not taken.
    TooLong,
}

/// A frame ready for one TUN write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The virtio header and the packet.
    pub bytes: &'a [u8],
    /// How many packets it carries (more than one: a super-packet).
    pub segments: usize,
}

/// The run of segments in the pending frame.
#[derive(Debug, Clone, Copy)]
struct Run {
    layout: Layout,
    /// Payload bytes of each segment but the last.
    seg: usize,
    segments: usize,
    next_seq: u32,
    /// Whether another segment may join.
    open: bool,
}

/// Builds TUN write frames, coalescing TCP segments, in one buffer sized
/// once.
#[derive(Debug, Clone)]
pub struct Coalescer {
    buf: Vec<u8>,
    len: usize,
    run: Option<Run>,
}

impl Default for Coalescer {
    fn default() -> Coalescer {
        Coalescer::new()
    }
}

impl Coalescer {
    /// An empty coalescer with its 64 KB frame buffer.
    pub fn new() -> Coalescer {
        Coalescer {
            buf: vec![0; vnet::LEN + MAX_IP_PACKET],
            len: 0,
            run: None,
        }
    }

    /// Whether no frame is pending.
    pub fn is_empty(&self) -> bool {
        self.run.is_none()
    }

    /// Adds `pkt` to the pending frame, or starts one with it.
    pub fn push(&mut self, pkt: &[u8]) -> Push {
        if pkt.len() > MAX_IP_PACKET {
            return if self.run.is_some() {
                Push::FlushFirst
            } else {
                Push::TooLong
            };
        }
        match self.run {
            None => {
                self.start(pkt);
                Push::Taken
            }
            Some(run) => {
                if run.open && self.append(run, pkt) {
                    Push::Taken
                } else {
                    Push::FlushFirst
                }
            }
        }
    }

    /// Finishes the pending frame and hands it out (`None` if there is
    /// none); the coalescer is empty afterwards.
    pub fn take(&mut self) -> Option<Frame<'_>> {
        let run = self.run.take()?;
        let mut h = VnetHdr::default();
        if run.segments > 1 {
            let l = run.layout;
            let p = &mut self.buf[vnet::LEN..self.len];
            let total = p.len();
            l.set_ip_len(p, total);
            // The kernel finishes the checksum of each segment from the
            // pseudo-header sum.
            let partial = csum::fold(l.pseudo(p, PROTO_TCP, total - l.l4));
            p[l.l4 + 16..l.l4 + 18].copy_from_slice(&partial.to_be_bytes());
            h = VnetHdr {
                flags: vnet::F_NEEDS_CSUM,
                gso_type: if l.v6 {
                    vnet::GSO_TCPV6
                } else {
                    vnet::GSO_TCPV4
                },
                hdr_len: l.payload as u16,
                gso_size: run.seg as u16,
                csum_start: l.l4 as u16,
                csum_offset: 16,
            };
        }
        self.buf[..vnet::LEN].copy_from_slice(&h.to_bytes());
        Some(Frame {
            bytes: &self.buf[..self.len],
            segments: run.segments,
        })
    }

    fn start(&mut self, pkt: &[u8]) {
        self.len = vnet::LEN + pkt.len();
        self.buf[vnet::LEN..self.len].copy_from_slice(pkt);
        let run = match segment_of(pkt) {
            Some((layout, flags, seq)) => {
                let seg = pkt.len() - layout.payload;
                Run {
                    layout,
                    seg,
                    segments: 1,
                    next_seq: seq.wrapping_add(seg as u32),
                    open: flags == TCP_ACK,
                }
            }
            None => Run {
                layout: Layout {
                    v6: false,
                    l4: 0,
                    payload: 0,
                },
                seg: 0,
                segments: 1,
                next_seq: 0,
                open: false,
            },
        };
        self.run = Some(run);
    }

    /// Appends `pkt` to `run` if it continues it.
    fn append(&mut self, mut run: Run, pkt: &[u8]) -> bool {
        let Some((layout, flags, seq)) = segment_of(pkt) else {
            return false;
        };
        let plen = pkt.len() - layout.payload;
        let head = &self.buf[vnet::LEN..vnet::LEN + run.layout.payload];
        let t = layout.l4;
        let same_ip = if layout.v6 {
            pkt[..4] == head[..4] && pkt[6..40] == head[6..40]
        } else {
            pkt[..2] == head[..2] && pkt[6..10] == head[6..10] && pkt[12..t] == head[12..t]
        };
        let fits = self.len + plen <= self.buf.len();
        if layout != run.layout
            || !same_ip
            || seq != run.next_seq
            || plen > run.seg
            || !fits
            // Ports, then acknowledgment number, data offset, window,
            // urgent pointer and options.
            || pkt[t..t + 4] != head[t..t + 4]
            || pkt[t + 8..t + 13] != head[t + 8..t + 13]
            || pkt[t + 14..t + 16] != head[t + 14..t + 16]
            || pkt[t + 18..layout.payload] != head[t + 18..layout.payload]
        {
            return false;
        }
        self.buf[self.len..self.len + plen].copy_from_slice(&pkt[layout.payload..]);
        self.len += plen;
        run.segments += 1;
        run.next_seq = seq.wrapping_add(plen as u32);
        if flags & TCP_PSH != 0 {
            self.buf[vnet::LEN + t + 13] |= TCP_PSH;
        }
        run.open = flags == TCP_ACK && plen == run.seg;
        self.run = Some(run);
        true
    }
}

/// The layout, flags and sequence number of `pkt` if it is a TCP segment
/// that may be coalesced: data, only ACK (and PSH) set, and a correct
/// checksum (so that the kernel, which recomputes it, cannot hide a
/// corrupted segment).
fn segment_of(pkt: &[u8]) -> Option<(Layout, u8, u32)> {
    let l = Layout::parse(pkt, PROTO_TCP)?;
    let t = l.l4;
    let flags = pkt[t + 13];
    if pkt.len() == l.payload || (flags != TCP_ACK && flags != TCP_ACK | TCP_PSH) {
        return None;
    }
    let sum = csum::add(l.pseudo(pkt, PROTO_TCP, pkt.len() - t), &pkt[t..]);
    if csum::fold(sum) != 0xffff || (!l.v6 && csum::fold(csum::add(0, &pkt[..t])) != 0xffff) {
        return None;
    }
    // The IP header must say the packet is exactly this long.
    let declared = if l.v6 {
        usize::from(u16::from_be_bytes([pkt[4], pkt[5]])) + 40
    } else {
        usize::from(u16::from_be_bytes([pkt[2], pkt[3]]))
    };
    if declared != pkt.len() {
        return None;
    }
    let seq = u32::from_be_bytes([pkt[t + 4], pkt[t + 5], pkt[t + 6], pkt[t + 7]]);
    Some((l, flags, seq))
}
