//! Splitting what a TUN device with offloads hands over (a virtio header
//! and a packet, possibly a TSO/USO super-packet of up to 64 KB) into
//! whole, checksummed IP packets of at most the segment size each.

use alloc::vec;
use alloc::vec::Vec;

use super::layout::{Layout, PROTO_TCP, PROTO_UDP};
use super::vnet::{self, VnetHdr};
use super::{MAX_IP_PACKET, OffloadError, csum};

/// TCP flags the segmentation moves (as the kernel's own does).
const TCP_FIN: u8 = 0x01;
const TCP_PSH: u8 = 0x08;
const TCP_CWR: u8 = 0x80;

/// Turns TUN frames into packets, through one buffer sized once.
#[derive(Debug, Clone)]
pub struct Segmenter {
    buf: Vec<u8>,
}

impl Default for Segmenter {
    fn default() -> Segmenter {
        Segmenter::new()
    }
}

impl Segmenter {
    /// A segmenter with its 64 KB segment buffer.
    pub fn new() -> Segmenter {
        Segmenter {
            buf: vec![0; MAX_IP_PACKET],
        }
    }

    /// Hands every packet of `frame` (a virtio-net header and the packet
    /// after it) to `f`, in order, and returns how many there were: one
    /// for a plain packet (its checksum completed if the header asks for
    /// it), one per segment of a TCP or UDP super-packet (each with its
    /// IP length, IPv4 ID and header checksum, TCP sequence number and
    /// flags or UDP length, and a full transport checksum).
    pub fn split<F: FnMut(&[u8])>(
        &mut self,
        frame: &mut [u8],
        mut f: F,
    ) -> Result<usize, OffloadError> {
        let (hb, pkt) = frame
            .split_first_chunk_mut::<{ vnet::LEN }>()
            .ok_or(OffloadError::ShortFrame)?;
        let h = VnetHdr::from_bytes(hb);
        match h.gso_kind() {
            vnet::GSO_NONE => {
                if h.flags & vnet::F_NEEDS_CSUM != 0 {
                    complete_checksum(pkt, h.csum_start, h.csum_offset)?;
                }
                f(pkt);
                Ok(1)
            }
            k @ (vnet::GSO_TCPV4 | vnet::GSO_TCPV6) => {
                let l = Layout::parse(pkt, PROTO_TCP).ok_or(OffloadError::BadHeaders(k))?;
                if l.v6 != (k == vnet::GSO_TCPV6) {
                    return Err(OffloadError::BadHeaders(k));
                }
                self.segment(pkt, l, PROTO_TCP, h.gso_size, f)
            }
            vnet::GSO_UDP_L4 => {
                let l = Layout::parse(pkt, PROTO_UDP)
                    .ok_or(OffloadError::BadHeaders(vnet::GSO_UDP_L4))?;
                self.segment(pkt, l, PROTO_UDP, h.gso_size, f)
            }
            k => Err(OffloadError::UnsupportedGso(k)),
        }
    }

    fn segment<F: FnMut(&[u8])>(
        &mut self,
        pkt: &[u8],
        l: Layout,
        proto: u8,
        gso_size: u16,
        mut f: F,
    ) -> Result<usize, OffloadError> {
        let mss = usize::from(gso_size);
        if mss == 0 {
            return Err(OffloadError::ZeroSegmentSize);
        }
        let hdr = l.payload;
        if hdr + mss > self.buf.len() {
            return Err(OffloadError::BadHeaders(proto));
        }
        let payload = &pkt[hdr..];
        let count = payload.len().div_ceil(mss).max(1);
        let t = l.l4;
        let seq0 = u32::from_be_bytes([pkt[t + 4], pkt[t + 5], pkt[t + 6], pkt[t + 7]]);
        let id0 = u16::from_be_bytes([pkt[4], pkt[5]]);
        for i in 0..count {
            let chunk = &payload[(i * mss).min(payload.len())..((i + 1) * mss).min(payload.len())];
            let n = hdr + chunk.len();
            let out = &mut self.buf[..n];
            out[..hdr].copy_from_slice(&pkt[..hdr]);
            out[hdr..].copy_from_slice(chunk);
            if !l.v6 {
                out[4..6].copy_from_slice(&id0.wrapping_add(i as u16).to_be_bytes());
            }
            l.set_ip_len(out, n);
            let csum_at = if proto == PROTO_TCP {
                let seq = seq0.wrapping_add((i * mss) as u32);
                out[t + 4..t + 8].copy_from_slice(&seq.to_be_bytes());
                if i > 0 {
                    out[t + 13] &= !TCP_CWR;
                }
                if i + 1 < count {
                    out[t + 13] &= !(TCP_FIN | TCP_PSH);
                }
                t + 16
            } else {
                out[t + 4..t + 6].copy_from_slice(&((n - t) as u16).to_be_bytes());
                t + 6
            };
            out[csum_at] = 0;
            out[csum_at + 1] = 0;
            let sum = csum::add(l.pseudo(out, proto, n - t), &out[t..]);
            let c = match csum::finish(sum) {
                0 if proto == PROTO_UDP => 0xffff,
                c => c,
            };
            out[csum_at..csum_at + 2].copy_from_slice(&c.to_be_bytes());
            f(out);
        }
        Ok(count)
    }
}

/// Completes the partial checksum of `pkt`: the field at `start + offset`
/// holds the pseudo-header sum; the checksum covers `start..` (as the
/// kernel's `skb_checksum_help` does, a result of 0 is written as 0xffff).
pub(crate) fn complete_checksum(
    pkt: &mut [u8],
    start: u16,
    offset: u16,
) -> Result<(), OffloadError> {
    let start = usize::from(start);
    let at = start + usize::from(offset);
    if at + 2 > pkt.len() {
        return Err(OffloadError::BadChecksumOffsets);
    }
    let c = match csum::finish(csum::add(0, &pkt[start..])) {
        0 => 0xffff,
        c => c,
    };
    pkt[at..at + 2].copy_from_slice(&c.to_be_bytes());
    Ok(())
}
