//! Property tests: garbage, record-shaped garbage, truncated and mutated real
//! sessions never panic, and decrypted data offsets stay consistent.

#[path = "common/tls_sessions.rs"]
mod tls_sessions;

use oncp_core::trace::Direction;
use oncp_core::trace::tls::{KeyLog, TlsConnection, TlsEvent, TlsEventKind};
use proptest::prelude::*;
use tls_sessions::load;

const FIXTURES: &[&str] = &[
    "tls13_aes128gcm",
    "tls13_chacha20",
    "tls12_ecdhe_aes256gcm",
    "tls12_ecdhe_chacha20",
    "tls12_ecdhe_aes128cbc_sha_etm",
    "tls12_ecdhe_aes128cbc_sha256_mte",
    "tls10_ecdhe_aes256cbc_sha",
];

fn direction(client: bool) -> Direction {
    if client {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    }
}

/// Feeds everything (each chunk in pieces of `piece` bytes), then finishes,
/// and checks invariants that hold whatever the input.
fn run(chunks: &[(Direction, Vec<u8>)], keys: &KeyLog, piece: usize) -> Vec<TlsEvent> {
    let mut conn = TlsConnection::new();
    let mut events = Vec::new();
    let mut fed = [0u64; 2];
    for (d, chunk) in chunks {
        for part in chunk.chunks(piece.max(1)) {
            conn.feed(*d, part, keys, &mut events);
        }
        fed[usize::from(*d == Direction::ServerToClient)] += chunk.len() as u64;
    }
    conn.finish(keys, &mut events);
    for d in [Direction::ClientToServer, Direction::ServerToClient] {
        let mut next = 0;
        let mut plaintext = 0;
        for e in events.iter().filter(|e| e.direction == d) {
            assert!(
                e.offset <= fed[usize::from(d == Direction::ServerToClient)],
                "{e}"
            );
            if let TlsEventKind::ApplicationData {
                stream_offset,
                data,
            } = &e.kind
            {
                assert_eq!(*stream_offset, next);
                next += data.len() as u64;
                plaintext += data.len() as u64;
            }
            // Every event renders.
            let _ = e.to_string();
        }
        assert!(plaintext <= fed[usize::from(d == Direction::ServerToClient)]);
        let stats = conn.stats(d);
        assert_eq!(stats.application_bytes, plaintext);
        assert!(stats.decrypted_records + stats.undecrypted_records <= stats.records);
    }
    let cannot = events
        .iter()
        .filter(|e| matches!(e.kind, TlsEventKind::CannotDecrypt(_)))
        .count();
    assert!(cannot <= 1, "cannot-decrypt is reported at most once");
    events
}

/// A record header plus payload, where the payload may itself look like a
/// handshake message.
fn record_strategy() -> impl Strategy<Value = Vec<u8>> {
    (
        20u8..=24,
        prop_oneof![Just(0x0301u16), Just(0x0303), Just(0x0304), any::<u16>()],
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            // Handshake-shaped: type, 24-bit length (often right), body.
            (
                prop_oneof![Just(1u8), Just(2), Just(4), Just(20), Just(24), any::<u8>()],
                proptest::collection::vec(any::<u8>(), 0..200),
                any::<bool>()
            )
                .prop_map(|(t, body, honest)| {
                    let len = if honest {
                        body.len() as u32
                    } else {
                        body.len() as u32 * 3
                    };
                    let mut v = vec![t];
                    v.extend_from_slice(&len.to_be_bytes()[1..]);
                    v.extend(body);
                    v
                }),
        ],
    )
        .prop_map(|(ct, version, payload)| {
            let mut r = vec![ct];
            r.extend_from_slice(&version.to_be_bytes());
            r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            r.extend(payload);
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(
        chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..600)), 0..12),
        piece in 1usize..700,
    ) {
        let (_, keys) = load("tls13_aes128gcm");
        let chunks: Vec<_> = chunks.into_iter().map(|(c, b)| (direction(c), b)).collect();
        run(&chunks, &keys, piece);
    }

    #[test]
    fn record_shaped_garbage_never_panics(
        records in proptest::collection::vec((any::<bool>(), record_strategy()), 0..24),
        piece in 1usize..400,
    ) {
        let (_, keys) = load("tls12_ecdhe_aes128cbc_sha_etm");
        let chunks: Vec<_> = records.into_iter().map(|(c, r)| (direction(c), r)).collect();
        run(&chunks, &keys, piece);
    }

    #[test]
    fn mutated_real_sessions_never_panic(
        fixture in 0..FIXTURES.len(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), 1u8..=255), 1..6),
        piece in 1usize..3000,
        cut in any::<prop::sample::Index>(),
    ) {
        let (mut chunks, keys) = load(FIXTURES[fixture]);
        let count = chunks.len();
        for (chunk, byte, x) in flips {
            let chunk = &mut chunks[chunk.index(count)].1;
            if !chunk.is_empty() {
                let i = byte.index(chunk.len());
                chunk[i] ^= x;
            }
        }
        chunks.truncate(cut.index(chunks.len()) + 1);
        run(&chunks, &keys, piece);
    }

    #[test]
    fn truncated_sessions_decrypt_a_prefix(
        fixture in 0..FIXTURES.len(),
        cut in any::<prop::sample::Index>(),
        piece in 1usize..3000,
    ) {
        let (chunks, keys) = load(FIXTURES[fixture]);
        let full: Vec<u8> = app_data(&run(&chunks, &keys, usize::MAX), Direction::ClientToServer);
        let mut bytes: Vec<(Direction, Vec<u8>)> = chunks.clone();
        // Cut the whole transcript at a byte position.
        let total: usize = bytes.iter().map(|(_, b)| b.len()).sum();
        let mut keep = cut.index(total + 1);
        bytes.retain_mut(|(_, b)| {
            if keep == 0 { return false; }
            let n = b.len().min(keep);
            b.truncate(n);
            keep -= n;
            true
        });
        let partial = app_data(&run(&bytes, &keys, piece), Direction::ClientToServer);
        prop_assert!(full.starts_with(&partial));
    }
}

fn app_data(events: &[TlsEvent], d: Direction) -> Vec<u8> {
    events
        .iter()
        .filter(|e| e.direction == d)
        .filter_map(|e| match &e.kind {
            TlsEventKind::ApplicationData { data, .. } => Some(data.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn a_gap_in_the_client_hello_is_reported_once() {
    let (chunks, keys) = load("tls12_ecdhe_aes256gcm");
    let mut conn = TlsConnection::new();
    let mut events = Vec::new();
    let (first_dir, first) = &chunks[0];
    conn.feed(*first_dir, &first[..10], &keys, &mut events);
    conn.gap(*first_dir, 5, &mut events);
    conn.gap(*first_dir, 5, &mut events);
    for (d, chunk) in &chunks[1..] {
        conn.feed(*d, chunk, &keys, &mut events);
    }
    conn.finish(&keys, &mut events);
    let errors: Vec<String> = events
        .iter()
        .filter(|e| matches!(e.kind, TlsEventKind::Error(_)))
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("5 bytes missing from the stream at offset 10"),
        "{errors:?}"
    );
}
