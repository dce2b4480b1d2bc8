//! The TUN device's offloads in use: frames read (a virtio header and a
//! packet, maybe a TSO/USO super-packet) turned into packets, packets to
//! write coalesced into super-packets (the packet logic is
//! `oncp_core::offload`), and counters showing that both happen. Without
//! offloads (`--no-offload`, or a kernel that refuses them) frames are
//! plain packets and both sides pass them through.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use oncp_core::offload::{Coalescer, Push, Segmenter};

/// How often the TUN offloads were used (shared between the reading and
/// the writing side, and with whoever reports them).
#[derive(Debug, Default)]
pub struct OffloadStats {
    /// Super-packets read (TSO/USO).
    pub gso_reads: AtomicU64,
    /// Packets those super-packets were split into.
    pub segments_read: AtomicU64,
    /// Super-packets written (coalesced TCP segments).
    pub coalesced_writes: AtomicU64,
    /// Packets those super-packets carried.
    pub segments_written: AtomicU64,
}

/// A plain copy of [`OffloadStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OffloadSnapshot {
    /// See [`OffloadStats::gso_reads`].
    pub gso_reads: u64,
    /// See [`OffloadStats::segments_read`].
    pub segments_read: u64,
    /// See [`OffloadStats::coalesced_writes`].
    pub coalesced_writes: u64,
    /// See [`OffloadStats::segments_written`].
    pub segments_written: u64,
}

impl OffloadStats {
    /// The current values.
    pub fn snapshot(&self) -> OffloadSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        OffloadSnapshot {
            gso_reads: g(&self.gso_reads),
            segments_read: g(&self.segments_read),
            coalesced_writes: g(&self.coalesced_writes),
            segments_written: g(&self.segments_written),
        }
    }
}

impl std::fmt::Display for OffloadSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TUN offload: {} super-packets read ({} packets), {} coalesced writes ({} packets)",
            self.gso_reads, self.segments_read, self.coalesced_writes, self.segments_written
        )
    }
}

/// Turns what one read of the device gave into packets.
#[derive(Debug)]
pub struct FrameReader {
    /// `None`: no virtio header, frames are packets.
    seg: Option<Segmenter>,
    stats: Arc<OffloadStats>,
}

impl FrameReader {
    /// A reader for a device with (`vnet`) or without virtio headers.
    pub fn new(vnet: bool, stats: Arc<OffloadStats>) -> FrameReader {
        FrameReader {
            seg: vnet.then(Segmenter::new),
            stats,
        }
    }

    /// Hands each packet of `frame` to `f`; a frame that cannot be split
    /// is dropped (logged at debug level), like a packet the kernel drops.
    pub fn packets<F: FnMut(&[u8])>(&mut self, frame: &mut [u8], mut f: F) {
        let Some(seg) = &mut self.seg else {
            f(frame);
            return;
        };
        match seg.split(frame, f) {
            Ok(n) if n > 1 => {
                self.stats.gso_reads.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .segments_read
                    .fetch_add(n as u64, Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(e) => tracing::debug!("TUN read dropped: {e}"),
        }
    }
}

/// Writes packets to the device, coalescing TCP segments when it takes
/// virtio headers. Packets are held until [`FrameWriter::flush`].
#[derive(Debug)]
pub struct FrameWriter {
    /// `None`: no virtio header, one write per packet.
    co: Option<Coalescer>,
    stats: Arc<OffloadStats>,
}

impl FrameWriter {
    /// A writer for a device with (`vnet`) or without virtio headers.
    pub fn new(vnet: bool, stats: Arc<OffloadStats>) -> FrameWriter {
        FrameWriter {
            co: vnet.then(Coalescer::new),
            stats,
        }
    }

    /// Writes `packet` (or adds it to the pending super-packet). An error
    /// is that of an earlier frame's write; `packet` is taken anyway.
    pub async fn write(&mut self, dev: &tun::AsyncDevice, packet: &[u8]) -> std::io::Result<()> {
        let mut result = Ok(());
        loop {
            let Some(co) = &mut self.co else {
                return dev.send(packet).await.map(|_| ());
            };
            match co.push(packet) {
                Push::Taken => return result,
                Push::FlushFirst => {
                    if let Err(e) = self.flush(dev).await {
                        result = Err(e);
                    }
                }
                Push::TooLong => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "packet longer than 65,535 bytes",
                    ));
                }
            }
        }
    }

    /// Writes the pending frame, if any.
    pub async fn flush(&mut self, dev: &tun::AsyncDevice) -> std::io::Result<()> {
        let Some(frame) = self.co.as_mut().and_then(Coalescer::take) else {
            return Ok(());
        };
        if frame.segments > 1 {
            self.stats.coalesced_writes.fetch_add(1, Ordering::Relaxed);
            self.stats
                .segments_written
                .fetch_add(frame.segments as u64, Ordering::Relaxed);
        }
        dev.send(frame.bytes).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_reader_passes_frames_through_and_counts_nothing() {
        let stats = Arc::new(OffloadStats::default());
        let mut r = FrameReader::new(false, stats.clone());
        let mut got = Vec::new();
        r.packets(&mut [0x45, 1, 2], |p| got.push(p.to_vec()));
        assert_eq!(got, [vec![0x45, 1, 2]]);
        assert_eq!(stats.snapshot(), OffloadSnapshot::default());
    }

    #[test]
    fn vnet_reader_strips_the_header_and_drops_bad_frames() {
        let stats = Arc::new(OffloadStats::default());
        let mut r = FrameReader::new(true, stats.clone());
        let mut got = Vec::new();
        let mut frame = [0u8; 13];
        frame[10] = 0x45;
        r.packets(&mut frame, |p| got.push(p.to_vec()));
        r.packets(&mut [0u8; 4], |p| got.push(p.to_vec()));
        assert_eq!(got, [vec![0x45, 0, 0]]);
        assert_eq!(stats.snapshot().gso_reads, 0);
    }

    #[test]
    fn snapshot_reads_as_one_line() {
        let s = OffloadSnapshot {
            gso_reads: 2,
            segments_read: 90,
            coalesced_writes: 3,
            segments_written: 40,
        };
        assert_eq!(
            s.to_string(),
            "TUN offload: 2 super-packets read (90 packets), 3 coalesced writes (40 packets)"
        );
    }
}
