//! `oncp connect --pcap FILE`: the IP packets that go through the tunnel,
//! as the TUN device sees them, written to a pcapng file for Wireshark.
//!
//! One interface (link type RAW, so IPv4 and IPv6 mix, nanosecond
//! timestamps); each packet's direction is in its `epb_flags` option
//! (outbound: from this host into the tunnel; inbound: from the gateway).
//! Written through a buffer and flushed when the capture is dropped, so a
//! file cut short by a crash is still readable up to its last whole block.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

/// `epb_flags` direction bits (pcapng §4.3.1): 01 inbound, 10 outbound.
const FLAG_INBOUND: u32 = 0b01;
const FLAG_OUTBOUND: u32 = 0b10;

/// Which way a tunnelled packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketDirection {
    /// From this host into the tunnel.
    Outbound,
    /// From the tunnel to this host.
    Inbound,
}

/// A pcapng file receiving the tunnel's inner packets.
pub struct PacketCapture {
    writer: PcapNgWriter<BufWriter<File>>,
    /// Set after the first write error; capturing stops, the tunnel goes on.
    failed: bool,
}

impl std::fmt::Debug for PacketCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketCapture")
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl PacketCapture {
    /// Creates (or truncates) `path` and writes the section and interface
    /// headers.
    pub fn create(path: &Path) -> anyhow::Result<PacketCapture> {
        let open = |e: &dyn std::fmt::Display| anyhow::anyhow!("--pcap {}: {e}", path.display());
        let file = File::create(path).map_err(|e| open(&e))?;
        let mut writer = PcapNgWriter::new(BufWriter::new(file)).map_err(|e| open(&e))?;
        let interface = InterfaceDescriptionBlock {
            linktype: DataLink::RAW,
            snaplen: 0,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("oncp tunnel")),
                InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                    "IP packets carried by the oNCP/ESP tunnel",
                )),
                // pcap-file writes timestamps in nanoseconds.
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        };
        writer.write_pcapng_block(interface).map_err(|e| open(&e))?;
        Ok(PacketCapture {
            writer,
            failed: false,
        })
    }

    /// Appends one IP packet. A write error is logged once and capturing
    /// stops; the tunnel is never disturbed by its capture file.
    pub fn record(&mut self, direction: PacketDirection, packet: &[u8]) {
        if self.failed {
            return;
        }
        let flags = match direction {
            PacketDirection::Inbound => FLAG_INBOUND,
            PacketDirection::Outbound => FLAG_OUTBOUND,
        };
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or(Duration::ZERO),
            original_len: u32::try_from(packet.len()).unwrap_or(u32::MAX),
            data: Cow::Borrowed(packet),
            options: vec![EnhancedPacketOption::Flags(flags)],
        };
        if let Err(e) = self.writer.write_pcapng_block(block) {
            tracing::warn!("--pcap: writing failed, capture stopped: {e}");
            self.failed = true;
        }
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) {
        if !self.failed
            && let Err(e) = self.writer.get_mut().flush()
        {
            tracing::warn!("--pcap: writing failed, capture stopped: {e}");
            self.failed = true;
        }
    }
}

impl Drop for PacketCapture {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncp_core::trace::{Decoder, DecoderOptions};

    /// The file reads back through our own trace decoder (an independent
    /// reader, core's pcapng parser) with both packets, in order.
    #[test]
    fn written_capture_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inner.pcapng");
        let (a, b) = ("10.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap());
        let icmp = oncp_core::netpkt::icmp_echo_request(a, b, 7, 1, b"hi");
        {
            let mut cap = PacketCapture::create(&path).unwrap();
            cap.record(PacketDirection::Outbound, &icmp);
            cap.record(PacketDirection::Inbound, &icmp);
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut decoder = Decoder::new(DecoderOptions {
            packet_events: true,
            ..Default::default()
        });
        decoder.push(&bytes);
        decoder.finish();
        let events: Vec<_> = std::iter::from_fn(|| decoder.poll_event()).collect();
        let errors: Vec<_> = events.iter().filter(|e| e.is_error()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let icmp_events = events
            .iter()
            .filter(|e| e.summary.contains("10.0.0.2") && e.summary.contains("10.0.0.1"))
            .count();
        assert_eq!(icmp_events, 2, "{events:#?}");
    }

    #[test]
    fn unwritable_path_is_a_clear_error() {
        let e = PacketCapture::create(Path::new("/nonexistent-dir/x.pcapng")).unwrap_err();
        assert!(
            e.to_string().contains("--pcap /nonexistent-dir/x.pcapng"),
            "{e}"
        );
    }
}
