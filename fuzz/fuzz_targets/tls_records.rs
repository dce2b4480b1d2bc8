//! Fuzzes the TLS layer: record splitting, handshake reassembly and parsing,
//! key changes, decryption, gap resynchronisation.
//!
//! Input: a sequence of `[flags u8][len u32 BE][len bytes]`; flags bit 0 is
//! the direction (0 = client->server), bit 1 turns the entry into a TCP gap
//! of `len` bytes (no bytes follow). This is the `transcript.bin` format of
//! `core/tests/fixtures/tls/`, so those real sessions are good seeds; their
//! key logs are loaded so mutated sessions reach the decryption paths.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use oncp_core::trace::Direction;
use oncp_core::trace::tls::{KeyLog, TlsConnection, TlsEventKind};

macro_rules! keylogs {
    ($($name:literal),* $(,)?) => {
        &[$(include_bytes!(concat!("../../core/tests/fixtures/tls/", $name, "/keylog.txt"))),*]
    };
}

const KEYLOGS: &[&[u8]] = keylogs!(
    "tls13_aes128gcm",
    "tls13_aes256gcm",
    "tls13_chacha20",
    "tls13_hrr",
    "tls13_aes128gcm_resumed",
    "tls12_ecdhe_aes128gcm",
    "tls12_ecdhe_aes256gcm",
    "tls12_ecdhe_chacha20",
    "tls12_ecdhe_aes128gcm_resumed",
    "tls12_ecdhe_aes128cbc_sha_etm",
    "tls12_ecdhe_aes256cbc_sha_mte",
    "tls12_ecdhe_aes128cbc_sha256_mte",
    "tls12_ecdhe_aes256cbc_sha384_etm",
    "tls12_rsa_aes256cbc_sha256_mte",
    "tls12_rsa_aes128cbc_sha_etm",
    "tls12_rsa_aes128cbc_sha256_noems",
    "tls12_ecdhe_aes128gcm_renegotiated",
    "tls12_rsa_aes128cbc_sha_renegotiated",
    "tls11_rsa_aes128cbc_sha",
    "tls10_ecdhe_aes256cbc_sha",
);

static KEYS: LazyLock<KeyLog> = LazyLock::new(|| {
    let mut keys = KeyLog::new();
    for text in KEYLOGS {
        keys.add_text(text);
    }
    keys
});

fuzz_target!(|data: &[u8]| {
    let keys = &*KEYS;
    let mut conn = TlsConnection::new();
    let mut events = Vec::new();
    let mut rest = data;
    let mut plaintext = [0u64; 2];
    while rest.len() >= 5 {
        let flags = rest[0];
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        rest = &rest[5..];
        let direction = if flags & 1 == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        if flags & 2 != 0 {
            conn.gap(direction, len as u64, &mut events);
            continue;
        }
        let len = len.min(rest.len());
        conn.feed(direction, &rest[..len], keys, &mut events);
        rest = &rest[len..];
        for e in events.drain(..) {
            if let TlsEventKind::ApplicationData {
                stream_offset,
                data,
            } = &e.kind
            {
                let i = usize::from(e.direction == Direction::ServerToClient);
                assert_eq!(*stream_offset, plaintext[i]);
                plaintext[i] += data.len() as u64;
            }
            let _ = e.to_string();
        }
    }
    conn.finish(keys, &mut events);
});
