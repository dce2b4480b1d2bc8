//! The real OpenSSL sessions in `tests/fixtures/tls/` (made by
//! `scripts/make-tls-fixtures.sh`), loaded for the TLS test binaries.
#![allow(dead_code)] // each test binary uses a subset

use std::path::PathBuf;

use oncp_core::trace::Direction;
use oncp_core::trace::tls::KeyLog;

/// A session's TCP payloads in capture order, each with its direction.
pub type Chunks = Vec<(Direction, Vec<u8>)>;

/// The folder of the fixture session `name`.
pub fn session_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// Reads `name`'s `transcript.bin`: entries `[direction u8][len u32 BE][len
/// bytes]`, direction 0 = client to server, 1 = server to client. Panics on
/// any other direction byte or a truncated entry.
pub fn read_transcript(name: &str) -> Chunks {
    let transcript = std::fs::read(session_dir(name).join("transcript.bin")).unwrap();
    let mut chunks = Vec::new();
    let mut rest = &transcript[..];
    while !rest.is_empty() {
        let direction = match rest[0] {
            0 => Direction::ClientToServer,
            1 => Direction::ServerToClient,
            other => panic!("{name}: bad direction {other}"),
        };
        let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        chunks.push((direction, rest[5..5 + len].to_vec()));
        rest = &rest[5 + len..];
    }
    chunks
}

/// Reads `name`'s `keylog.txt` as bytes.
pub fn read_keylog_text(name: &str) -> Vec<u8> {
    std::fs::read(session_dir(name).join("keylog.txt")).unwrap()
}

/// Parses `name`'s key log text; every line must parse.
pub fn parse_keylog(name: &str, text: &[u8]) -> KeyLog {
    let (keys, report) = KeyLog::from_text(text);
    assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
    keys
}

/// The transcript and the parsed key log of the fixture session `name`.
pub fn load(name: &str) -> (Chunks, KeyLog) {
    (
        read_transcript(name),
        parse_keylog(name, &read_keylog_text(name)),
    )
}
