//! IP packets over the TLS path (KMP 300 data messages, spec/oncp.md §3.6),
//! shared by client and gateway: counted in [`SessionStats`] each way.

use alloc::vec::Vec;

use crate::oncp::wire::data::{data_message, split_ip_packets};
use crate::oncp::wire::record::encode_record;
use crate::oncp::wire::{KmpMessage, Sender};
use crate::tunnel::{OutputQueue, SessionStats};

/// The oNCP record carrying `packet` as a data message from `sender`,
/// counted as sent over TLS; `None` if it does not fit one message.
pub(super) fn data_record(
    packet: &[u8],
    sender: Sender,
    stats: &mut SessionStats,
) -> Option<Vec<u8>> {
    let message = data_message(packet, sender).ok()?;
    stats.tls_packets_out += 1;
    stats.tls_bytes_out += packet.len() as u64;
    Some(encode_record(&message.to_vec()))
}

/// Queues the IP packets of a received data message (each at most
/// `max_packet` bytes) on `out`, counted as received over TLS. A
/// malformed data message is dropped whole; the stream stays in sync.
pub(super) fn receive_data<E>(
    message: &KmpMessage,
    max_packet: usize,
    stats: &mut SessionStats,
    out: &mut OutputQueue<E>,
) {
    if let Ok(packets) = split_ip_packets(&message.payload, max_packet) {
        for p in packets {
            stats.tls_packets_in += 1;
            stats.tls_bytes_in += p.len() as u64;
            let mut buf = out.buffer();
            buf.extend_from_slice(p);
            out.push_ip(buf);
        }
    }
}
