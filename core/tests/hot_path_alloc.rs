//! Issue 17, item 3: the ESP hot path allocates nothing per packet. A
//! counting global allocator (global in this test binary only) watches
//! 10,000 IP packets each way between a client and a gateway session over
//! ESP, after a warm-up that lets every buffer reach its size: sealing,
//! the simulated link, opening and both output queues together make no
//! allocation and no reallocation — without LZO, and with LZO both ways;
//! one datagram at a time and in batches of 16 (`handle_udp_batch`, which
//! verifies them with the 16-lane SHA-1).
//!
//! One test function, so no other test thread allocates while it counts.

#[path = "session/harness.rs"]
mod harness;

use std::alloc::System;

use harness::*;
use oncp_core::time::{Duration, Instant};
use oncp_core::tunnel::{Output, Transport};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const WARM_UP: u32 = 1_000;
const MEASURED: u32 = 10_000;

fn size(id: u32) -> usize {
    40 + (id as usize * 37) % 1300
}

/// Buffers the simulated link and the two sides' drivers keep.
struct Bufs {
    packet: Vec<u8>,
    client: Vec<u8>,
    gateway: Vec<u8>,
    /// The datagrams of one batch (and a last one for the poll that
    /// finds none).
    batch: Vec<Vec<u8>>,
}

/// One packet each way: client -> (ESP) -> gateway, gateway -> (ESP) ->
/// client, every output drained into the drivers' reused buffers. Returns
/// how many packets came out of each side intact (0..=2 in total).
fn round(p: &mut Pair, b: &mut Bufs, id: u32) -> (u32, u32) {
    let now = p.now;
    let (client, gateway) = (&mut p.client.inner, &mut p.gateway.inner);
    let len = size(id);
    let mut delivered = (0, 0);

    write_packet(&mut b.packet[..len], id, C, S);
    client.send_ip(now, &b.packet[..len]);
    while let Some(o) = client.poll_output(&mut b.client) {
        assert_eq!(o, Output::Udp, "client output of packet {id}");
        assert!(gateway.handle_udp(now, &b.client));
    }
    while let Some(o) = gateway.poll_output(&mut b.gateway) {
        assert_eq!(o, Output::Ip, "gateway output of packet {id}");
        if b.gateway[..] == b.packet[..len] {
            delivered.0 += 1;
        }
    }

    write_packet(&mut b.packet[..len], id, S, C);
    gateway.send_ip(now, &b.packet[..len]);
    while let Some(o) = gateway.poll_output(&mut b.gateway) {
        assert_eq!(o, Output::Udp, "gateway output of packet {id}");
        client.handle_udp(now, &b.gateway);
    }
    while let Some(o) = client.poll_output(&mut b.client) {
        assert_eq!(o, Output::Ip, "client output of packet {id}");
        if b.client[..] == b.packet[..len] {
            delivered.1 += 1;
        }
    }
    p.now = now + Duration(50);
    delivered
}

/// Datagrams per batch in [`round_batch`]: one receive's worth.
const BATCH: usize = 16;

/// As [`round`] for `BATCH` packets each way, handed over as one batch of
/// datagrams (`handle_udp_batch`, as the drivers do after recvmmsg/GRO).
fn round_batch(p: &mut Pair, b: &mut Bufs, first: u32) -> (u32, u32) {
    let now = p.now;
    let (client, gateway) = (&mut p.client.inner, &mut p.gateway.inner);
    let mut delivered = (0, 0);
    for (from, to) in [(C, S), (S, C)] {
        let upload = from == C;
        for id in first..first + BATCH as u32 {
            let len = size(id);
            write_packet(&mut b.packet[..len], id, from, to);
            if upload {
                client.send_ip(now, &b.packet[..len]);
            } else {
                gateway.send_ip(now, &b.packet[..len]);
            }
        }
        let mut k = 0;
        loop {
            // Whether the output is a datagram (the sides' events differ).
            let udp = if upload {
                client
                    .poll_output(&mut b.batch[k])
                    .map(|o| o == Output::Udp)
            } else {
                gateway
                    .poll_output(&mut b.batch[k])
                    .map(|o| o == Output::Udp)
            };
            match udp {
                Some(true) => k += 1,
                None => break,
                Some(false) => panic!("not a datagram among those of packet {first}"),
            }
        }
        assert_eq!(k, BATCH, "datagrams of packets {first}..");
        let datagrams: [&[u8]; BATCH] = std::array::from_fn(|i| &b.batch[i][..]);
        if upload {
            let mut authentic = [false; BATCH];
            gateway.handle_udp_batch(now, &datagrams, &mut authentic);
            assert_eq!(authentic, [true; BATCH]);
        } else {
            client.handle_udp_batch(now, &datagrams);
        }
        let mut id = first;
        loop {
            let (ip, out) = if upload {
                let ip = gateway.poll_output(&mut b.gateway).map(|o| o == Output::Ip);
                (ip, &b.gateway)
            } else {
                let ip = client.poll_output(&mut b.client).map(|o| o == Output::Ip);
                (ip, &b.client)
            };
            let Some(ip) = ip else { break };
            assert!(ip, "output of packet {id} is an IP packet");
            let len = size(id);
            write_packet(&mut b.packet[..len], id, from, to);
            if out[..] == b.packet[..len] {
                if upload {
                    delivered.0 += 1;
                } else {
                    delivered.1 += 1;
                }
            }
            id += 1;
        }
    }
    p.now = now + Duration(50);
    delivered
}

/// Allocations and reallocations while [`MEASURED`] packets go each way
/// after the warm-up, and how many arrived intact each way.
fn steady_state(compress: bool, batched: bool) -> (usize, usize, (u32, u32), (u64, u64)) {
    let mut gw = gateway_config();
    gw.compression = compress;
    let mut opts = client_options();
    opts.compress_outbound = compress;
    let mut p = Pair::new(gw, opts, 99);
    p.run_for(Duration::from_millis(500));
    assert_eq!(p.client.transport(), Transport::Esp);
    assert!(p.gateway.esp_active());
    // Whatever the setup left queued is drained by the harness.
    p.collect();
    let start = p.now;
    let mut b = Bufs {
        packet: vec![0; 1500],
        client: Vec::new(),
        gateway: Vec::new(),
        batch: vec![Vec::new(); BATCH + 1],
    };
    // One packet each way per round, or a batch of 16.
    let step = if batched { BATCH as u32 } else { 1 };
    let run = |p: &mut Pair, b: &mut Bufs, id: u32| {
        if batched {
            round_batch(p, b, id)
        } else {
            round(p, b, id)
        }
    };
    for id in (0..WARM_UP).step_by(step as usize) {
        assert_eq!(run(&mut p, &mut b, id), (step, step), "warm-up packet {id}");
    }
    let region = Region::new(GLOBAL);
    let mut delivered = (0, 0);
    for id in (WARM_UP..WARM_UP + MEASURED).step_by(step as usize) {
        let (a, c) = run(&mut p, &mut b, id);
        delivered = (delivered.0 + a, delivered.1 + c);
    }
    let change = region.change();
    // The timers were never due: the rounds took half a second.
    assert!(p.now < start + Duration::from_secs(1));
    assert!(p.client.poll_timeout().is_none_or(|t| t > Instant(p.now.0)));
    let lzo = (p.client.stats().lzo_out, p.gateway.stats().lzo_out);
    (change.allocations, change.reallocations, delivered, lzo)
}

#[test]
fn esp_hot_path_allocates_nothing_per_packet() {
    for (compress, batched) in [(false, false), (true, false), (false, true), (true, true)] {
        let (allocs, reallocs, delivered, lzo) = steady_state(compress, batched);
        eprintln!(
            "compression {compress}, batched {batched}: {allocs} allocations, {reallocs} reallocations, {lzo:?} LZO packets out"
        );
        assert_eq!(
            delivered,
            (MEASURED, MEASURED),
            "compression {compress}, batched {batched}"
        );
        if compress {
            // Most packets compress (the shortest ones do not).
            let most = u64::from(WARM_UP + MEASURED) * 3 / 4;
            assert!(lzo.0 >= most && lzo.1 >= most, "{lzo:?} compressed");
        } else {
            assert_eq!(lzo, (0, 0));
        }
        assert_eq!(
            (allocs, reallocs),
            (0, 0),
            "allocations and reallocations for {MEASURED} packets each way, compression {compress}, batched {batched}"
        );
    }
    assert_eq!(
        seal_batches(),
        (0, 0),
        "seal_batch allocations, reallocations"
    );
}

/// `OutboundSa::seal_batch` over buffers sized once: 10,000 packets in
/// batches of 16, the allocations and reallocations while it runs.
fn seal_batches() -> (usize, usize) {
    use oncp_core::esp::*;
    let params = SaParams::new(1, Cipher::Aes256Cbc, Integrity::HmacSha1_96, &[5; 64]);
    let mut sa = OutboundSa::new(&params, Instant(0), SaLifetime::default());
    let mut pool = vec![[0u8; 1500]; 16];
    let region = Region::new(GLOBAL);
    for round in 0..MEASURED as usize / 16 {
        let mut bufs = pool.iter_mut();
        let mut slots: [SealSlot<&mut [u8]>; 16] = std::array::from_fn(|i| {
            let len = size((round * 16 + i) as u32);
            let buf = bufs.next().expect("16 buffers");
            SealSlot::new(&mut buf[..], len, NextHeader::IPV4, [i as u8; 16])
        });
        sa.seal_batch(&mut slots).unwrap();
    }
    let change = region.change();
    assert_eq!(sa.next_seq(), MEASURED as u64 / 16 * 16);
    (change.allocations, change.reallocations)
}
