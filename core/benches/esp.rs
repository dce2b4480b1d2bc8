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

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

criterion_group!(benches, encrypt, decrypt);
criterion_main!(benches);
