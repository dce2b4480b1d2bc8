//! Fuzzes TCP reassembly: one flow's segments in both directions, in any
//! order, with any flags, overlaps, wraps and gaps. Checks that each
//! direction's output is one contiguous run of data and gaps from offset 0
//! (or its first byte) with no byte delivered twice, and that held bytes
//! stay under the limit.
//!
//! Input: records of `[flags u8][seq u32 BE][ack u32 BE][len u8][len bytes]`;
//! flags bit 7 selects the server->client direction, the low 5 bits are the
//! TCP flags (FIN, SYN, RST, PSH, ACK).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use libfuzzer_sys::fuzz_target;
use oncp_core::trace::Direction;
use oncp_core::trace::net::tcp::{FlowLimits, FlowTable, StreamChunk, TcpFlags, TcpHeader};

const LIMIT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let client = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000);
    let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 443);
    let mut table: FlowTable<()> = FlowTable::new(FlowLimits {
        max_flows: 4,
        max_buffered: LIMIT,
    });
    let mut evicted = Vec::new();
    // Next expected offset per direction (as the flow names directions).
    let mut next: [Option<u64>; 2] = [None, None];
    let mut rest = data;
    fn check(next: &mut [Option<u64>; 2], dir: Direction, c: StreamChunk<'_>) {
        let i = usize::from(dir == Direction::ServerToClient);
        let (offset, len) = match c {
            StreamChunk::Data { offset, data } => {
                assert!(!data.is_empty());
                (offset, data.len() as u64)
            }
            StreamChunk::Gap { offset, missing } => {
                assert!(missing > 0);
                (offset, missing)
            }
        };
        if let Some(n) = next[i] {
            assert_eq!(offset, n, "non-contiguous output");
        }
        next[i] = Some(offset + len);
    }
    while rest.len() >= 10 {
        let flags = rest[0];
        let seq = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
        let ack = u32::from_be_bytes([rest[5], rest[6], rest[7], rest[8]]);
        let len = usize::from(rest[9]).min(rest.len() - 10);
        let payload = &rest[10..10 + len];
        rest = &rest[10 + len..];
        let (src, dst) = if flags & 0x80 == 0 {
            (client, server)
        } else {
            (server, client)
        };
        let header = TcpHeader {
            src_port: src.port(),
            dst_port: dst.port(),
            seq,
            ack,
            flags: TcpFlags(flags & 0x1f),
            window: 0,
            header_len: 20,
        };
        let flow = table.lookup(src, dst, &header, 0, |_, _, _| (), &mut evicted);
        if !evicted.is_empty() {
            // A new SYN replaced the flow: outputs restart.
            evicted.clear();
            next = [None, None];
        }
        flow.conn
            .segment(src, &header, payload, 0, &mut |d, c| check(&mut next, d, c));
        assert!(flow.conn.to_server.buffered() <= LIMIT);
        assert!(flow.conn.to_client.buffered() <= LIMIT);
    }
    for mut flow in table.drain() {
        flow.conn.flush(&mut |d, c| check(&mut next, d, c));
        assert_eq!(flow.conn.to_server.buffered(), 0);
        assert_eq!(flow.conn.to_client.buffered(), 0);
    }
});
