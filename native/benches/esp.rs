//! ESP throughput on 1400-byte packets (a full-size IPv4 packet under a
//! 1400 MTU): encrypt and decrypt, AES-128-CBC and AES-256-CBC with
//! HMAC-SHA1-96. Throughput counts payload bytes. `scripts/bench-esp`
//! runs this beside `openssl speed` and prints the ratios.
//!
//! Encrypt works in place in a buffer with headroom and tailroom, exactly
//! like the data path. Decrypt copies the pristine 1444-byte packet into
//! the buffer first (it is decrypted in place) and runs with replay
//! protection off so every iteration does the full work: window check,
//! ICV, decryption and padding check.
//!
//! With `ONCP_ESP_BENCH_SECS` set it instead runs the fixed loops
//! `scripts/bench-esp` uses and prints `operation name ns` lines: CPU
//! nanoseconds per packet of this thread (`CLOCK_THREAD_CPUTIME_ID`),
//! so a machine shared with other work measures what `openssl speed`
//! measures by default, the time actually spent computing.
//!
//! The batch bench seals [`BATCH_LANES`] packets per iteration with the
//! multi-buffer API; throughput is still payload bytes. It hashes with the
//! 16-lane SHA-1 the `oncp` binary installs at start (AVX-512, when the
//! CPU has it; `ONCP_NO_SHA1_LANES=1` leaves it out), which is why this
//! bench lives in the native crate.

use criterion::{Criterion, Throughput, criterion_group};
use oncp_core::esp::*;
use oncp_core::rng::TestRng;
use oncp_core::time::Instant;
use std::hint::black_box;

const PAYLOAD: usize = 1400;

fn sa_params(cipher: Cipher) -> SaParams {
    SaParams::generate(cipher, Integrity::HmacSha1_96, &mut TestRng::new(7))
}

fn pairs() -> [(&'static str, Cipher); 2] {
    [
        ("aes128-sha1", Cipher::Aes128Cbc),
        ("aes256-sha1", Cipher::Aes256Cbc),
    ]
}

fn encrypt(c: &mut Criterion) {
    let mut g = c.benchmark_group("esp-encrypt-1400");
    g.throughput(Throughput::Bytes(PAYLOAD as u64));
    for (name, cipher) in pairs() {
        let mut sa = OutboundSa::new(&sa_params(cipher), Instant(0), SaLifetime::default());
        let mut buf = vec![0x45u8; HEADER_LEN + PAYLOAD + MAX_TRAILER_LEN];
        let mut iv = [0u8; BLOCK_LEN];
        g.bench_function(name, |b| {
            b.iter(|| {
                // A new IV per packet as the data path draws one; cheap
                // next to the cipher (the RNG itself is the caller's).
                iv[0] = iv[0].wrapping_add(1);
                let n = sa
                    .encrypt_in_place(black_box(&mut buf), PAYLOAD, NextHeader::IPV4, iv)
                    .unwrap();
                black_box(n)
            })
        });
    }
    g.finish();
}

fn decrypt(c: &mut Criterion) {
    let mut g = c.benchmark_group("esp-decrypt-1400");
    g.throughput(Throughput::Bytes(PAYLOAD as u64));
    for (name, cipher) in pairs() {
        let p = sa_params(cipher);
        let mut out = OutboundSa::new(&p, Instant(0), SaLifetime::default());
        let packet = out
            .encrypt(&[0x45; PAYLOAD], NextHeader::IPV4, &mut TestRng::new(1))
            .unwrap();
        let mut sa = InboundSa::new(&p, false);
        let mut buf = packet.clone();
        g.bench_function(name, |b| {
            b.iter(|| {
                buf.copy_from_slice(&packet);
                let d = sa.decrypt_in_place(black_box(&mut buf)).unwrap();
                black_box(d.payload.len())
            })
        });
    }
    g.finish();
}

/// Packets per batch in the batch benches: one full batch of lanes.
const BATCH: usize = BATCH_LANES;

fn encrypt_batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("esp-encrypt-batch-1400");
    g.throughput(Throughput::Bytes((PAYLOAD * BATCH) as u64));
    for (name, cipher) in pairs() {
        let mut sa = OutboundSa::new(&sa_params(cipher), Instant(0), SaLifetime::default());
        let mut slots: Vec<SealSlot<Vec<u8>>> = (0..BATCH)
            .map(|i| {
                let buf = vec![0x45u8; HEADER_LEN + PAYLOAD + MAX_TRAILER_LEN];
                SealSlot::new(buf, PAYLOAD, NextHeader::IPV4, [i as u8; BLOCK_LEN])
            })
            .collect();
        g.bench_function(name, |b| {
            b.iter(|| {
                for s in slots.iter_mut() {
                    s.iv[0] = s.iv[0].wrapping_add(1);
                }
                sa.seal_batch(black_box(&mut slots)).unwrap();
                black_box(slots[0].packet_len)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, encrypt, decrypt, encrypt_batch);

/// CPU time this thread has run, in nanoseconds.
fn cpu_ns() -> u64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .expect("thread CPU clock");
    t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64
}

/// CPU nanoseconds per packet of `step`, which handles `per_step`
/// packets, run for at least `secs` seconds of CPU time.
fn per_packet(secs: f64, per_step: usize, mut step: impl FnMut()) -> f64 {
    for _ in 0..100 {
        step();
    }
    let start = cpu_ns();
    let mut steps = 0u64;
    while (cpu_ns() - start) as f64 * 1e-9 < secs {
        for _ in 0..200 {
            step();
        }
        steps += 200;
    }
    (cpu_ns() - start) as f64 / (steps as f64 * per_step as f64)
}

fn raw(secs: f64) {
    for (name, cipher) in pairs() {
        let p = sa_params(cipher);
        let mut sa = OutboundSa::new(&p, Instant(0), SaLifetime::default());
        let mut buf = vec![0x45u8; HEADER_LEN + PAYLOAD + MAX_TRAILER_LEN];
        let mut iv = [0u8; BLOCK_LEN];
        let ns = per_packet(secs, 1, || {
            iv[0] = iv[0].wrapping_add(1);
            black_box(sa.encrypt_in_place(black_box(&mut buf), PAYLOAD, NextHeader::IPV4, iv))
                .unwrap();
        });
        println!("encrypt {name} {ns:.1}");
        let mut slots: Vec<SealSlot<Vec<u8>>> = (0..BATCH)
            .map(|i| {
                let buf = vec![0x45u8; HEADER_LEN + PAYLOAD + MAX_TRAILER_LEN];
                SealSlot::new(buf, PAYLOAD, NextHeader::IPV4, [i as u8; BLOCK_LEN])
            })
            .collect();
        let ns = per_packet(secs, BATCH, || {
            for s in slots.iter_mut() {
                s.iv[0] = s.iv[0].wrapping_add(1);
            }
            sa.seal_batch(black_box(&mut slots)).unwrap();
        });
        println!("encrypt-batch {name} {ns:.1}");
        let mut rng = TestRng::new(1);
        let packets: Vec<Vec<u8>> = (0..BATCH)
            .map(|_| {
                sa.encrypt(&[0x45; PAYLOAD], NextHeader::IPV4, &mut rng)
                    .unwrap()
            })
            .collect();
        let mut inbound = InboundSa::new(&p, false);
        let mut one = packets[0].clone();
        let ns = per_packet(secs, 1, || {
            one.copy_from_slice(&packets[0]);
            black_box(inbound.decrypt_in_place(black_box(&mut one))).unwrap();
        });
        println!("decrypt {name} {ns:.1}");
        let mut bufs = packets.clone();
        let ns = per_packet(secs, BATCH, || {
            for (b, p) in bufs.iter_mut().zip(&packets) {
                b.copy_from_slice(p);
            }
            inbound.decrypt_batch_in_place(black_box(&mut bufs), |_, r| {
                black_box(r).unwrap();
            });
        });
        println!("decrypt-batch {name} {ns:.1}");
    }
}

fn main() {
    let lanes = oncp::sha1_lanes::install();
    eprintln!("SHA-1 lanes: {lanes:?}");
    match std::env::var("ONCP_ESP_BENCH_SECS") {
        Ok(secs) => raw(secs.parse().expect("ONCP_ESP_BENCH_SECS: seconds")),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
