//! LZO1X throughput: compression and decompression of 1400-byte packets
//! (the ESP use), in criterion (`cargo bench -p oncp-core --bench lzo`).
//!
//! With `ONCP_LZO_BENCH_FILES` set (space-separated paths) it instead runs
//! the fixed loop `scripts/bench-lzo` compares with liblzo2: each file cut
//! in 1400-byte packets, `ONCP_LZO_BENCH_ROUNDS` times compressed, then as
//! many times decompressed, printing per file
//! `compress_ns decompress_ns compressed_len` exactly like
//! `scripts/lzo-oracle/lzo-oracle.c bench`.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use oncp_core::lzo::{Compressor, decompress_into, worst_compressed_len};

const PACKET: usize = 1400;

/// Compresses every packet of `data`, each stream prefixed by its
/// big-endian 16-bit length (the layout the C bench uses).
fn compress_packets(c: &mut Compressor, data: &[u8], out: &mut Vec<u8>) {
    out.clear();
    for p in data.chunks(PACKET) {
        let at = out.len();
        out.resize(at + 2 + worst_compressed_len(p.len()), 0);
        let n = c.compress_into(p, &mut out[at + 2..]).expect("sized");
        out[at..at + 2].copy_from_slice(&(n as u16).to_be_bytes());
        out.truncate(at + 2 + n);
    }
}

/// Decompresses every length-prefixed stream, returning the bytes produced.
fn decompress_packets(streams: &[u8], out: &mut [u8]) -> usize {
    let mut total = 0;
    let mut o = 0;
    while o < streams.len() {
        let l = u16::from_be_bytes([streams[o], streams[o + 1]]) as usize;
        total += decompress_into(&streams[o + 2..o + 2 + l], out).expect("valid stream");
        o += 2 + l;
    }
    total
}

/// CPU time this thread has run, in nanoseconds (the C harness uses
/// `CLOCK_THREAD_CPUTIME_ID`): on a machine shared with other work, wall
/// time mostly measures the other work.
fn cpu_ns() -> u64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .expect("thread CPU clock");
    t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64
}

fn raw(files: &str) {
    let rounds: usize = std::env::var("ONCP_LZO_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100);
    let mut c = Compressor::new();
    let mut streams = Vec::new();
    let mut out = vec![0u8; 4096];
    for path in files.split_whitespace() {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // Correctness first, outside the timing.
        compress_packets(&mut c, &data, &mut streams);
        let mut back = Vec::new();
        let mut o = 0;
        while o < streams.len() {
            let l = u16::from_be_bytes([streams[o], streams[o + 1]]) as usize;
            let n = decompress_into(&streams[o + 2..o + 2 + l], &mut out).unwrap();
            back.extend_from_slice(&out[..n]);
            o += 2 + l;
        }
        assert!(back == data, "{path}: round trip differs");

        let t0 = cpu_ns();
        for _ in 0..rounds {
            compress_packets(&mut c, black_box(&data), &mut streams);
        }
        let t1 = cpu_ns();
        for _ in 0..rounds {
            black_box(decompress_packets(black_box(&streams), &mut out));
        }
        let t2 = cpu_ns();
        println!("{} {} {}", t1 - t0, t2 - t1, streams.len());
    }
}

/// Deterministic sample packets: IP-like text traffic, repetitive binary,
/// incompressible bytes.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let mut ip = vec![
        0x45, 0, 5, 0x78, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 10, 1, 2, 10, 0, 0, 1,
    ];
    ip.extend(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<tr><td class=\"n\">item</td></tr>\n"
            .repeat(20),
    );
    ip.truncate(PACKET);
    let binary: Vec<u8> = (0..PACKET as u32 / 4)
        .flat_map(|i| (i / 3).to_le_bytes())
        .collect();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let random: Vec<u8> = (0..PACKET)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    vec![("ip-text", ip), ("binary", binary), ("random", random)]
}

fn criterion_benches(cr: &mut Criterion) {
    let mut c = Compressor::new();
    let mut group = cr.benchmark_group("lzo");
    for (name, packet) in samples() {
        group.throughput(Throughput::Bytes(packet.len() as u64));
        let mut stream = vec![0u8; worst_compressed_len(packet.len())];
        group.bench_function(format!("compress/{name}"), |b| {
            b.iter(|| c.compress_into(black_box(&packet), &mut stream).unwrap())
        });
        let n = c.compress_into(&packet, &mut stream).unwrap();
        let stream = &stream[..n];
        let mut out = vec![0u8; 4096];
        group.bench_function(format!("decompress/{name}"), |b| {
            b.iter(|| decompress_into(black_box(stream), &mut out).unwrap())
        });
    }
    group.finish();
}

fn main() {
    if let Ok(files) = std::env::var("ONCP_LZO_BENCH_FILES") {
        raw(&files);
        return;
    }
    let mut cr = Criterion::default().configure_from_args();
    criterion_benches(&mut cr);
    cr.final_summary();
}
