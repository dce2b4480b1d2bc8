//! TCP gaps in real sessions: the TLS layer finds the next record, recovers
//! the sequence number and goes on decrypting.

#[path = "common/tls_sessions.rs"]
mod tls_sessions;

use oncp_core::trace::Direction;
use oncp_core::trace::tls::{KeyLog, TlsConnection, TlsEvent, TlsEventKind};
use proptest::prelude::*;
use tls_sessions::{Chunks, load};

/// Sessions with at least three client records after the first data line.
const MULTI_RECORD: &[&str] = &[
    "tls13_aes128gcm",
    "tls13_aes256gcm",
    "tls13_chacha20",
    "tls12_ecdhe_aes128gcm",
    "tls12_ecdhe_aes128cbc_sha_etm",
    "tls12_ecdhe_aes128cbc_sha256_mte",
];

/// Feeds the chunks; bytes `[from, to)` of the client stream are replaced by
/// a gap. Returns the events.
fn run_with_gap(chunks: &Chunks, keys: &KeyLog, from: u64, to: u64, piece: usize) -> Vec<TlsEvent> {
    let mut conn = TlsConnection::new();
    let mut events = Vec::new();
    let mut pos = 0u64;
    for (d, chunk) in chunks {
        if *d == Direction::ServerToClient {
            for part in chunk.chunks(piece) {
                conn.feed(*d, part, keys, &mut events);
            }
            continue;
        }
        let (start, end) = (pos, pos + chunk.len() as u64);
        pos = end;
        let keep_before = from.clamp(start, end) - start;
        let keep_after = end - to.clamp(start, end);
        let cut = chunk.len() as u64 - keep_before - keep_after;
        for part in chunk[..keep_before as usize].chunks(piece) {
            conn.feed(*d, part, keys, &mut events);
        }
        if cut > 0 {
            conn.gap(*d, cut, &mut events);
        }
        for part in chunk[(chunk.len() as u64 - keep_after) as usize..].chunks(piece) {
            conn.feed(*d, part, keys, &mut events);
        }
    }
    conn.finish(keys, &mut events);
    events
}

/// Client application data before and after the resynchronisation.
/// `(lost_bytes, lost_records)` of a resynchronisation.
type Resync = (u64, Option<u64>);

fn split_at_resync(events: &[TlsEvent]) -> (Vec<u8>, Vec<u8>, Option<Resync>) {
    let (mut before, mut after, mut resync) = (Vec::new(), Vec::new(), None);
    for e in events
        .iter()
        .filter(|e| e.direction == Direction::ClientToServer)
    {
        match &e.kind {
            TlsEventKind::Resynchronized {
                lost_bytes,
                lost_records,
            } => resync = Some((*lost_bytes, *lost_records)),
            TlsEventKind::ApplicationData { data, .. } if resync.is_none() => before.extend(data),
            TlsEventKind::ApplicationData { data, .. } => after.extend(data),
            _ => {}
        }
    }
    (before, after, resync)
}

fn client_data(events: &[TlsEvent]) -> Vec<u8> {
    let (mut before, after, _) = split_at_resync(events);
    before.extend(after);
    before
}

/// Offsets of the client's application-data records, from a clean run.
fn client_data_records(events: &[TlsEvent]) -> Vec<(u64, Vec<u8>)> {
    events
        .iter()
        .filter(|e| e.direction == Direction::ClientToServer)
        .filter_map(|e| match &e.kind {
            TlsEventKind::ApplicationData { data, .. } => Some((e.offset, data.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_lost_record_is_skipped_and_decryption_goes_on() {
    for name in MULTI_RECORD {
        let (chunks, keys) = load(name);
        let clean = run_with_gap(&chunks, &keys, 0, 0, usize::MAX);
        let full = client_data(&clean);
        let records = client_data_records(&clean);
        // Lose exactly the first data record (its header through the next
        // record's header start).
        let (lost_at, lost_data) = records[0].clone();
        let next_at = records[1].0;
        let lost_len = lost_data.len();
        for piece in [usize::MAX, 5] {
            let events = run_with_gap(&chunks, &keys, lost_at, lost_at + 10, piece);
            // Part of the first record gone: it is not decrypted, the rest is.
            let (before, after, resync) = split_at_resync(&events);
            assert!(before.is_empty(), "{name}");
            let (lost_bytes, lost_records) = resync.unwrap_or_else(|| panic!("{name}: no resync"));
            assert_eq!(lost_records, Some(1), "{name}");
            assert!(lost_bytes >= 10, "{name}");
            assert_eq!(after, full[lost_len..], "{name} piece {piece}");
            let failures: Vec<String> = events
                .iter()
                .filter(|e| matches!(e.kind, TlsEventKind::DecryptionFailed { .. }))
                .map(ToString::to_string)
                .collect();
            assert!(failures.is_empty(), "{name}: {failures:?}");
        }
        // Losing exactly one whole record.
        let stream = client_stream(&chunks);
        let at = lost_at as usize;
        let record_end =
            lost_at + 5 + u64::from(u16::from_be_bytes([stream[at + 3], stream[at + 4]]));
        let events = run_with_gap(&chunks, &keys, lost_at, record_end, usize::MAX);
        let (_, after, resync) = split_at_resync(&events);
        assert_eq!(resync, Some((record_end - lost_at, Some(1))), "{name}");
        assert_eq!(after, full[lost_len..], "{name}");
        let _ = next_at;
    }
}

fn client_stream(chunks: &Chunks) -> Vec<u8> {
    chunks
        .iter()
        .filter(|(d, _)| *d == Direction::ClientToServer)
        .flat_map(|(_, c)| c.clone())
        .collect()
}

/// In `tls13_aes128gcm` the client sends a KeyUpdate between its first and
/// second lines: losing both, the keys one generation on are found.
#[test]
fn a_lost_key_update_is_recovered() {
    let (chunks, keys) = load("tls13_aes128gcm");
    let clean = run_with_gap(&chunks, &keys, 0, 0, usize::MAX);
    let full = client_data(&clean);
    let records = client_data_records(&clean);
    let updates_between = clean
        .iter()
        .filter(|e| e.direction == Direction::ClientToServer)
        .filter(|e| e.offset > records[0].0 && e.offset < records[1].0)
        .filter(|e| matches!(e.kind, TlsEventKind::KeyUpdate { .. }))
        .count();
    assert_eq!(updates_between, 1);
    let events = run_with_gap(&chunks, &keys, records[0].0, records[1].0, usize::MAX);
    let (before, after, resync) = split_at_resync(&events);
    assert!(before.is_empty());
    assert_eq!(resync, Some((records[1].0 - records[0].0, None)));
    assert_eq!(after, full[records[0].1.len()..]);
}

#[test]
fn a_gap_during_the_handshake_is_reported_and_survived() {
    let (chunks, keys) = load("tls12_ecdhe_aes256gcm");
    // Lose the middle of the ClientHello: the keys cannot be found, but
    // nothing panics and the gap is reported once.
    let events = run_with_gap(&chunks, &keys, 10, 15, usize::MAX);
    let gaps: Vec<String> = events
        .iter()
        .filter(|e| matches!(e.kind, TlsEventKind::Error(_)))
        .map(ToString::to_string)
        .collect();
    assert!(
        gaps[0].contains("5 bytes missing from the stream at offset 10"),
        "{gaps:?}"
    );
    assert!(client_data(&events).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever is lost, what decrypts is a prefix (before the gap) and a
    /// suffix (after it) of the real plaintext; and with at least three
    /// records after the gap, decryption resumes.
    #[test]
    fn gaps_anywhere_leave_a_prefix_and_a_suffix(
        fixture in 0..MULTI_RECORD.len(),
        from in any::<prop::sample::Index>(),
        len in 1u64..6000,
        piece in prop_oneof![Just(usize::MAX), 1usize..2000],
    ) {
        let name = MULTI_RECORD[fixture];
        let (chunks, keys) = load(name);
        let clean = run_with_gap(&chunks, &keys, 0, 0, usize::MAX);
        let full = client_data(&clean);
        let records = client_data_records(&clean);
        let total: u64 = chunks
            .iter()
            .filter(|(d, _)| *d == Direction::ClientToServer)
            .map(|(_, c)| c.len() as u64)
            .sum();
        // Gaps after the handshake (the first data record onwards).
        let first = records[0].0;
        let from = first + from.index((total - first) as usize) as u64;
        let to = (from + len).min(total);
        let events = run_with_gap(&chunks, &keys, from, to, piece);
        let (before, after, resync) = split_at_resync(&events);
        prop_assert!(full.starts_with(&before), "{}: prefix", name);
        prop_assert!(full.ends_with(&after), "{}: suffix", name);
        prop_assert!(before.len() + after.len() <= full.len());
        let records_after = records.iter().filter(|(at, _)| *at >= to).count();
        if records_after >= 3 {
            prop_assert!(resync.is_some(), "{}: no resync with {} records after", name, records_after);
            prop_assert!(!after.is_empty());
        }
    }
}

/// TLS 1.2: the client's ChangeCipherSpec and Finished fall in a gap; its
/// application data is still decrypted (keys started on the first encrypted
/// record, sequence number found).
#[test]
fn a_lost_change_cipher_spec_is_recovered() {
    for name in [
        "tls12_ecdhe_aes128gcm",
        "tls12_ecdhe_chacha20",
        "tls12_ecdhe_aes256cbc_sha_mte",
        "tls12_ecdhe_aes128cbc_sha_etm",
    ] {
        let (chunks, keys) = load(name);
        let clean = run_with_gap(&chunks, &keys, 0, 0, usize::MAX);
        let full = client_data(&clean);
        let ccs_at = clean
            .iter()
            .find(|e| {
                e.direction == Direction::ClientToServer && e.kind == TlsEventKind::ChangeCipherSpec
            })
            .map(|e| e.offset)
            .unwrap();
        let first_data_at = client_data_records(&clean)[0].0;
        let events = run_with_gap(&chunks, &keys, ccs_at, first_data_at, usize::MAX);
        let (before, after, resync) = split_at_resync(&events);
        assert!(before.is_empty(), "{name}");
        assert_eq!(
            resync,
            Some((first_data_at - ccs_at, Some(1))),
            "{name}: the Finished used seq 0"
        );
        let resyncs = events
            .iter()
            .filter(|e| matches!(e.kind, TlsEventKind::Resynchronized { .. }))
            .count();
        assert_eq!(resyncs, 1, "{name}");
        assert_eq!(after, full, "{name}");
    }
}

/// After a gap, records that decrypt with no sequence number are tried for a
/// bounded number of records only (each try costs up to 4096 decryptions).
#[test]
fn resynchronisation_gives_up_after_eight_foreign_records() {
    let (chunks, keys) = load("tls12_ecdhe_aes128gcm");
    let clean = run_with_gap(&chunks, &keys, 0, 0, usize::MAX);
    let full = client_data(&clean);
    let first_data_at = client_data_records(&clean)[0].0 as usize;
    let client = client_stream(&chunks);
    let server: Vec<u8> = chunks
        .iter()
        .filter(|(d, _)| *d == Direction::ServerToClient)
        .flat_map(|(_, c)| c.clone())
        .collect();
    for (foreign, decrypts) in [(7, true), (8, false)] {
        let mut conn = TlsConnection::new();
        let mut events = Vec::new();
        conn.feed(
            Direction::ClientToServer,
            &client[..first_data_at],
            &keys,
            &mut events,
        );
        conn.feed(Direction::ServerToClient, &server, &keys, &mut events);
        conn.gap(Direction::ClientToServer, 1000, &mut events);
        for i in 0..foreign {
            let mut record = vec![23, 3, 3, 0, 40];
            record.extend((0..40u8).map(|b| b.wrapping_mul(31).wrapping_add(i)));
            conn.feed(Direction::ClientToServer, &record, &keys, &mut events);
        }
        conn.feed(
            Direction::ClientToServer,
            &client[first_data_at..],
            &keys,
            &mut events,
        );
        conn.finish(&keys, &mut events);
        let (_, after, _) = split_at_resync(&events);
        assert_eq!(after == full, decrypts, "{foreign} foreign records");
        let failures = events
            .iter()
            .filter(|e| matches!(e.kind, TlsEventKind::DecryptionFailed { .. }))
            .count();
        assert_eq!(failures, 1);
    }
}
