//! Decrypts the real OpenSSL sessions in `tests/fixtures/tls/` (made by
//! `scripts/make-tls-fixtures.sh`) and checks the plaintext against what was
//! sent: the client's lines, and the server's answers (each line reversed).

#[path = "common/tls_sessions.rs"]
mod tls_sessions;

use oncp_core::trace::Direction;
use oncp_core::trace::tls::{
    CannotDecrypt, CipherSuite, KeyLog, ProtocolVersion, SecretLabel, TlsConnection, TlsEvent,
    TlsEventKind,
};
use tls_sessions::{parse_keylog, read_keylog_text, read_transcript, session_dir};

struct Fixture {
    name: &'static str,
    chunks: Vec<(Direction, Vec<u8>)>,
    keylog: Vec<u8>,
    input: String,
}

fn load(name: &'static str) -> Fixture {
    Fixture {
        name,
        chunks: read_transcript(name),
        keylog: read_keylog_text(name),
        input: std::fs::read_to_string(session_dir(name).join("input.txt")).unwrap(),
    }
}

impl Fixture {
    fn keys(&self) -> KeyLog {
        parse_keylog(self.name, &self.keylog)
    }

    /// The lines the client sent as data (s_client consumes `k`/`K`/`R`).
    fn client_lines(&self) -> Vec<&str> {
        self.input
            .lines()
            .filter(|l| !matches!(*l, "k" | "K" | "R"))
            .collect()
    }

    fn expected_c2s(&self) -> Vec<u8> {
        self.client_lines()
            .iter()
            .flat_map(|l| format!("{l}\n").into_bytes())
            .collect()
    }

    fn expected_s2c(&self) -> Vec<u8> {
        self.client_lines()
            .iter()
            .flat_map(|l| format!("{}\n", l.chars().rev().collect::<String>()).into_bytes())
            .collect()
    }

    /// Feeds every chunk, split further into pieces of `piece` bytes.
    fn run(&self, keys: &KeyLog, piece: usize) -> (TlsConnection, Vec<TlsEvent>) {
        let mut conn = TlsConnection::new();
        let mut events = Vec::new();
        for (direction, chunk) in &self.chunks {
            for part in chunk.chunks(piece) {
                conn.feed(*direction, part, keys, &mut events);
            }
        }
        conn.finish(keys, &mut events);
        (conn, events)
    }
}

/// The application data of one direction, checking offsets are contiguous.
fn app_data(events: &[TlsEvent], direction: Direction) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e.direction == direction) {
        if let TlsEventKind::ApplicationData {
            stream_offset,
            data,
        } = &e.kind
        {
            assert_eq!(*stream_offset, out.len() as u64);
            out.extend_from_slice(data);
        }
    }
    out
}

fn problems(events: &[TlsEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                TlsEventKind::Error(_)
                    | TlsEventKind::DecryptionFailed { .. }
                    | TlsEventKind::CannotDecrypt(_)
            )
        })
        .map(ToString::to_string)
        .collect()
}

fn check_decrypts(name: &'static str, version: ProtocolVersion, suite: u16, key_updates: usize) {
    let fx = load(name);
    let keys = fx.keys();
    for piece in [usize::MAX, 7] {
        let (conn, events) = fx.run(&keys, piece);
        assert_eq!(problems(&events), Vec::<String>::new(), "{name}");
        let sh = conn.server_hello().expect("ServerHello");
        assert_eq!(sh.version(), version, "{name}");
        assert_eq!(sh.cipher_suite, CipherSuite(suite), "{name}");
        assert_eq!(
            conn.client_hello().unwrap().server_name.as_deref(),
            Some("fixture.oncp.test")
        );
        let c2s = app_data(&events, Direction::ClientToServer);
        let s2c = app_data(&events, Direction::ServerToClient);
        assert_eq!(
            String::from_utf8_lossy(&c2s),
            String::from_utf8_lossy(&fx.expected_c2s()),
            "{name}"
        );
        assert_eq!(
            String::from_utf8_lossy(&s2c),
            String::from_utf8_lossy(&fx.expected_s2c()),
            "{name}"
        );
        let updates = events
            .iter()
            .filter(|e| matches!(e.kind, TlsEventKind::KeyUpdate { .. }))
            .count();
        assert_eq!(updates, key_updates, "{name}");
        // s_client ends with close_notify, which must decrypt as an alert.
        assert!(
            events.iter().any(|e| matches!(
                e.kind,
                TlsEventKind::Alert { alert, encrypted: true } if alert.description == 0
            )),
            "{name}: no encrypted close_notify"
        );
        let stats = conn.stats(Direction::ClientToServer);
        assert_eq!(stats.undecrypted_records, 0, "{name}");
        assert_eq!(stats.application_bytes, c2s.len() as u64);
    }
}

// `k` updates the client's keys; `K` updates the client's and then, on
// request, the server's.
#[test]
fn tls13_aes128gcm_with_key_updates() {
    check_decrypts("tls13_aes128gcm", ProtocolVersion::TLS13, 0x1301, 3);
}

#[test]
fn tls13_aes256gcm() {
    check_decrypts("tls13_aes256gcm", ProtocolVersion::TLS13, 0x1302, 1);
}

#[test]
fn tls13_chacha20_poly1305() {
    check_decrypts("tls13_chacha20", ProtocolVersion::TLS13, 0x1303, 2);
}

#[test]
fn tls12_ecdhe_aes128gcm() {
    check_decrypts("tls12_ecdhe_aes128gcm", ProtocolVersion::TLS12, 0xc02f, 0);
}

#[test]
fn tls12_ecdhe_aes256gcm() {
    check_decrypts("tls12_ecdhe_aes256gcm", ProtocolVersion::TLS12, 0xc030, 0);
}

#[test]
fn tls12_ecdhe_chacha20_poly1305() {
    check_decrypts("tls12_ecdhe_chacha20", ProtocolVersion::TLS12, 0xcca8, 0);
}

#[test]
fn tls12_ecdhe_aes128cbc_sha_encrypt_then_mac() {
    check_decrypts(
        "tls12_ecdhe_aes128cbc_sha_etm",
        ProtocolVersion::TLS12,
        0xc013,
        0,
    );
}

#[test]
fn tls12_ecdhe_aes256cbc_sha_mac_then_encrypt() {
    check_decrypts(
        "tls12_ecdhe_aes256cbc_sha_mte",
        ProtocolVersion::TLS12,
        0xc014,
        0,
    );
}

#[test]
fn tls12_ecdhe_aes128cbc_sha256_small_records() {
    check_decrypts(
        "tls12_ecdhe_aes128cbc_sha256_mte",
        ProtocolVersion::TLS12,
        0xc027,
        0,
    );
}

#[test]
fn tls12_ecdhe_aes256cbc_sha384_encrypt_then_mac() {
    check_decrypts(
        "tls12_ecdhe_aes256cbc_sha384_etm",
        ProtocolVersion::TLS12,
        0xc028,
        0,
    );
}

#[test]
fn tls12_rsa_aes256cbc_sha256() {
    check_decrypts(
        "tls12_rsa_aes256cbc_sha256_mte",
        ProtocolVersion::TLS12,
        0x003d,
        0,
    );
}

#[test]
fn tls12_rsa_aes128cbc_sha_encrypt_then_mac() {
    check_decrypts(
        "tls12_rsa_aes128cbc_sha_etm",
        ProtocolVersion::TLS12,
        0x002f,
        0,
    );
}

/// A client-initiated renegotiation: the second handshake runs encrypted,
/// with new randoms and a second CLIENT_RANDOM line.
#[test]
fn tls12_renegotiation() {
    check_decrypts(
        "tls12_ecdhe_aes128gcm_renegotiated",
        ProtocolVersion::TLS12,
        0xc02f,
        0,
    );
    let fx = load("tls12_ecdhe_aes128gcm_renegotiated");
    let (conn, events) = fx.run(&fx.keys(), usize::MAX);
    let hellos: Vec<bool> = events
        .iter()
        .filter_map(|e| match &e.kind {
            TlsEventKind::ClientHello(_) => Some(false),
            TlsEventKind::Handshake {
                msg_type: 20,
                encrypted,
                ..
            } => Some(*encrypted),
            _ => None,
        })
        .collect();
    // Two ClientHellos; each Finished (client's and server's, twice) encrypted.
    assert_eq!(hellos.iter().filter(|e| !**e).count(), 2, "{hellos:?}");
    assert_eq!(hellos.iter().filter(|e| **e).count(), 4, "{hellos:?}");
    let encrypted_hello = events
        .iter()
        .any(|e| matches!(e.kind, TlsEventKind::ClientHello(_)) && e.offset > 0);
    assert!(encrypted_hello);
    let first_random = events
        .iter()
        .find_map(|e| match &e.kind {
            TlsEventKind::ClientHello(h) => Some(h.random),
            _ => None,
        })
        .unwrap();
    assert_ne!(conn.client_hello().unwrap().random, first_random);
}

#[test]
fn tls12_rsa_without_extended_master_secret() {
    check_decrypts(
        "tls12_rsa_aes128cbc_sha256_noems",
        ProtocolVersion::TLS12,
        0x003c,
        0,
    );
}

/// The RSA key exchange sessions decrypt from the `RSA` key log lines alone
/// (pre-master secret by encrypted pre-master prefix): with the extended
/// master secret (session hash: SHA-256, or MD5+SHA-1 in TLS 1.1) and
/// without it.
#[test]
fn rsa_key_exchange_from_rsa_lines_only() {
    for name in [
        "tls12_rsa_aes256cbc_sha256_mte",
        "tls12_rsa_aes128cbc_sha_etm",
        "tls12_rsa_aes128cbc_sha256_noems",
        "tls11_rsa_aes128cbc_sha",
        "tls12_rsa_aes128cbc_sha_renegotiated",
    ] {
        let fx = load(name);
        let text = String::from_utf8(fx.keylog.clone()).unwrap();
        let rsa_only: String = text
            .lines()
            .filter(|l| l.starts_with("RSA "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(!rsa_only.is_empty(), "{name}");
        let (keys, report) = KeyLog::from_text(rsa_only.as_bytes());
        assert!(report.added >= 1 && report.errors.is_empty(), "{name}");
        let (_, events) = fx.run(&keys, usize::MAX);
        assert_eq!(problems(&events), Vec::<String>::new(), "{name}");
        assert_eq!(
            app_data(&events, Direction::ClientToServer),
            fx.expected_c2s(),
            "{name}"
        );
        assert_eq!(
            app_data(&events, Direction::ServerToClient),
            fx.expected_s2c(),
            "{name}"
        );
    }
}

#[test]
fn tls11_rsa_aes128cbc_sha() {
    check_decrypts("tls11_rsa_aes128cbc_sha", ProtocolVersion::TLS11, 0x002f, 0);
}

#[test]
fn tls10_ecdhe_aes256cbc_sha_chained_iv() {
    check_decrypts(
        "tls10_ecdhe_aes256cbc_sha",
        ProtocolVersion::TLS10,
        0xc014,
        0,
    );
}

#[test]
fn tls13_hello_retry_request() {
    check_decrypts("tls13_hrr", ProtocolVersion::TLS13, 0x1302, 0);
    let fx = load("tls13_hrr");
    let (_, events) = fx.run(&fx.keys(), usize::MAX);
    let hellos: Vec<bool> = events
        .iter()
        .filter_map(|e| match &e.kind {
            TlsEventKind::ServerHello(h) => Some(h.hello_retry_request),
            _ => None,
        })
        .collect();
    assert_eq!(hellos, [true, false]);
    let client_hellos = events
        .iter()
        .filter(|e| matches!(e.kind, TlsEventKind::ClientHello(_)))
        .count();
    assert_eq!(client_hellos, 2);
}

/// Handshake message types seen in a direction.
fn handshake_types(events: &[TlsEvent], direction: Direction) -> Vec<u8> {
    events
        .iter()
        .filter(|e| e.direction == direction)
        .filter_map(|e| match e.kind {
            TlsEventKind::Handshake { msg_type, .. } => Some(msg_type),
            TlsEventKind::ClientHello(_) => Some(1),
            TlsEventKind::ServerHello(_) => Some(2),
            _ => None,
        })
        .collect()
}

#[test]
fn tls13_resumed_psk_handshake() {
    check_decrypts("tls13_aes128gcm_resumed", ProtocolVersion::TLS13, 0x1301, 0);
    let fx = load("tls13_aes128gcm_resumed");
    let (_, events) = fx.run(&fx.keys(), usize::MAX);
    // No Certificate: EncryptedExtensions, Finished, then session tickets.
    let server = handshake_types(&events, Direction::ServerToClient);
    assert_eq!(server[..3], [2, 8, 20], "{server:?}");
    assert!(!server.contains(&11));
}

#[test]
fn tls12_resumed_abbreviated_handshake() {
    check_decrypts(
        "tls12_ecdhe_aes128gcm_resumed",
        ProtocolVersion::TLS12,
        0xc02f,
        0,
    );
    let fx = load("tls12_ecdhe_aes128gcm_resumed");
    let (_, events) = fx.run(&fx.keys(), usize::MAX);
    // The server speaks first after its hello: CCS and Finished.
    let server = handshake_types(&events, Direction::ServerToClient);
    assert_eq!(server, [2, 20], "{server:?}");
    assert_eq!(handshake_types(&events, Direction::ClientToServer), [1, 20]);
}

/// Adds an empty `early_data` extension to the ClientHello record at the
/// start of `chunk` (fixing the record, handshake and extensions lengths).
fn offer_early_data(chunk: &mut Vec<u8>) {
    assert_eq!((chunk[0], chunk[5]), (22, 1), "ClientHello record first");
    let record_len = u16::from_be_bytes([chunk[3], chunk[4]]) as usize;
    let body = &chunk[9..5 + record_len];
    let mut pos = 2 + 32;
    pos += 1 + body[pos] as usize; // session id
    pos += 2 + u16::from_be_bytes([body[pos], body[pos + 1]]) as usize; // suites
    pos += 1 + body[pos] as usize; // compression
    let ext_len_at = 9 + pos;
    let bump = |bytes: &mut [u8]| {
        let v = u32::from_be_bytes([0, 0, bytes[0], bytes[1]]) + 4;
        bytes.copy_from_slice(&(v as u16).to_be_bytes());
    };
    bump(&mut chunk[3..5]);
    let hs_len = u32::from_be_bytes([0, chunk[6], chunk[7], chunk[8]]) + 4;
    chunk[6..9].copy_from_slice(&hs_len.to_be_bytes()[1..]);
    bump(&mut chunk[ext_len_at..ext_len_at + 2]);
    let end = 5 + record_len;
    chunk.splice(end..end, [0, 42, 0, 0]);
}

/// 0-RTT records are skipped without disturbing the rest: OpenSSL's
/// `s_server -rev` cannot take early data, so the ClientHello of a real
/// session is edited to offer it and fake 0-RTT records are inserted before
/// the ServerHello and after it (in flight when the server rejected them).
#[test]
fn tls13_early_data_is_skipped_and_the_rest_decrypts() {
    let mut fx = load("tls13_aes128gcm");
    offer_early_data(&mut fx.chunks[0].1);
    let fake = |n: u8| {
        (
            Direction::ClientToServer,
            [&[23, 3, 3, 0, 40][..], &[n; 40]].concat(),
        )
    };
    fx.chunks.insert(1, fake(1));
    fx.chunks.insert(2, fake(2));
    let server_hello_at = fx
        .chunks
        .iter()
        .position(|(d, _)| *d == Direction::ServerToClient)
        .unwrap();
    fx.chunks.insert(server_hello_at + 1, fake(3));
    let (conn, events) = fx.run(&fx.keys(), usize::MAX);
    assert!(conn.client_hello().unwrap().early_data);
    assert_eq!(problems(&events), Vec::<String>::new());
    assert_eq!(
        app_data(&events, Direction::ClientToServer),
        fx.expected_c2s()
    );
    assert_eq!(
        app_data(&events, Direction::ServerToClient),
        fx.expected_s2c()
    );
    assert_eq!(conn.stats(Direction::ClientToServer).undecrypted_records, 3);
}

/// TLS 1.3 protects every record as application_data, so an alert record
/// after the ServerHello is a plaintext one (sent before the peer had keys).
#[test]
fn tls13_plaintext_alert_after_the_server_hello() {
    let mut fx = load("tls13_aes256gcm");
    let server_hello_at = fx
        .chunks
        .iter()
        .position(|(d, _)| *d == Direction::ServerToClient)
        .unwrap();
    fx.chunks.insert(
        server_hello_at + 1,
        (Direction::ClientToServer, vec![21, 3, 3, 0, 2, 2, 40]),
    );
    let (_, events) = fx.run(&fx.keys(), usize::MAX);
    assert_eq!(problems(&events), Vec::<String>::new());
    let alert = events
        .iter()
        .find_map(|e| match e.kind {
            TlsEventKind::Alert { alert, encrypted } if alert.level == 2 => {
                Some((alert, encrypted))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(alert.0.to_string(), "fatal handshake_failure (40)");
    assert!(!alert.1);
    assert_eq!(
        app_data(&events, Direction::ClientToServer),
        fx.expected_c2s()
    );
}

#[test]
fn application_data_without_a_handshake_cannot_be_decrypted() {
    let fx = load("tls12_ecdhe_aes128gcm");
    let keys = fx.keys();
    // Drop everything up to the first client application data record.
    let mut conn = TlsConnection::new();
    let mut events = Vec::new();
    conn.feed(
        Direction::ClientToServer,
        &[23, 3, 3, 0, 3, 1, 2, 3],
        &keys,
        &mut events,
    );
    conn.feed(
        Direction::ServerToClient,
        &[23, 3, 3, 0, 3, 1, 2, 3],
        &keys,
        &mut events,
    );
    conn.finish(&keys, &mut events);
    assert_eq!(
        problems(&events),
        [
            "C->S @0: cannot decrypt: encrypted records without a ClientHello/ServerHello (capture started mid-connection?)"
        ]
    );
    assert_eq!(conn.stats(Direction::ServerToClient).undecrypted_records, 1);
}

const ALL: &[&str] = &[
    "tls13_aes128gcm",
    "tls13_aes256gcm",
    "tls13_chacha20",
    "tls12_ecdhe_aes128gcm",
    "tls12_ecdhe_aes256gcm",
    "tls12_ecdhe_chacha20",
    "tls12_ecdhe_aes128cbc_sha_etm",
    "tls12_ecdhe_aes256cbc_sha_mte",
    "tls12_ecdhe_aes128cbc_sha256_mte",
    "tls12_ecdhe_aes256cbc_sha384_etm",
    "tls12_rsa_aes256cbc_sha256_mte",
    "tls12_rsa_aes128cbc_sha_etm",
    "tls11_rsa_aes128cbc_sha",
    "tls10_ecdhe_aes256cbc_sha",
    "tls12_rsa_aes128cbc_sha256_noems",
    "tls12_ecdhe_aes128gcm_renegotiated",
    "tls12_rsa_aes128cbc_sha_renegotiated",
    "tls13_hrr",
    "tls13_aes128gcm_resumed",
    "tls12_ecdhe_aes128gcm_resumed",
];

/// A key log whose secrets are all one bit off.
fn corrupted_keys(fx: &Fixture) -> KeyLog {
    let text = String::from_utf8(fx.keylog.clone()).unwrap();
    let mut bad = String::new();
    for line in text.lines() {
        let mut fields: Vec<String> = line.split(' ').map(str::to_owned).collect();
        if fields.len() == 3 && !line.starts_with('#') {
            let secret = &mut fields[2];
            let flipped = if secret.starts_with('0') { "1" } else { "0" };
            secret.replace_range(0..1, flipped);
        }
        bad.push_str(&fields.join(" "));
        bad.push('\n');
    }
    KeyLog::from_text(bad.as_bytes()).0
}

#[test]
fn wrong_keys_give_one_clean_failure_per_direction_and_no_data() {
    for name in ALL {
        let fx = load(name);
        let (_, events) = fx.run(&corrupted_keys(&fx), usize::MAX);
        assert!(
            app_data(&events, Direction::ClientToServer).is_empty(),
            "{name}"
        );
        assert!(
            app_data(&events, Direction::ServerToClient).is_empty(),
            "{name}"
        );
        for direction in [Direction::ClientToServer, Direction::ServerToClient] {
            let failures = events
                .iter()
                .filter(|e| e.direction == direction)
                .filter(|e| matches!(e.kind, TlsEventKind::DecryptionFailed { .. }))
                .count();
            assert_eq!(
                failures,
                1,
                "{name} {direction:?}: {:#?}",
                problems(&events)
            );
        }
    }
}

#[test]
fn missing_keys_are_reported_once_at_the_end() {
    for name in ALL {
        let fx = load(name);
        let (conn, events) = fx.run(&KeyLog::new(), usize::MAX);
        let why: Vec<_> = events
            .iter()
            .filter_map(|e| match &e.kind {
                TlsEventKind::CannotDecrypt(why) => Some(why.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(why.len(), 1, "{name}");
        let CannotDecrypt::MissingKey {
            label,
            client_random,
        } = &why[0]
        else {
            panic!("{name}: {why:?}");
        };
        assert_eq!(*client_random, conn.client_hello().unwrap().random);
        let expected = if name.starts_with("tls13") {
            SecretLabel::ClientHandshakeTraffic
        } else {
            SecretLabel::MasterSecret
        };
        assert_eq!(*label, expected, "{name}");
        assert!(app_data(&events, Direction::ClientToServer).is_empty());
        assert!(conn.stats(Direction::ServerToClient).undecrypted_records > 0);
    }
}

#[test]
fn keys_arriving_late_release_the_held_back_records() {
    for name in ALL {
        let fx = load(name);
        let keys = fx.keys();
        let empty = KeyLog::new();
        let mut conn = TlsConnection::new();
        let mut events = Vec::new();
        let half = fx.chunks.len() / 2;
        for (i, (direction, chunk)) in fx.chunks.iter().enumerate() {
            conn.feed(
                *direction,
                chunk,
                if i < half { &empty } else { &keys },
                &mut events,
            );
        }
        conn.finish(&keys, &mut events);
        assert_eq!(problems(&events), Vec::<String>::new(), "{name}");
        assert_eq!(
            app_data(&events, Direction::ClientToServer),
            fx.expected_c2s(),
            "{name}"
        );
        assert_eq!(
            app_data(&events, Direction::ServerToClient),
            fx.expected_s2c(),
            "{name}"
        );
    }
}
