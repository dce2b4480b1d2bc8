//! Passive TLS decryption: a TLS connection's two byte streams plus an NSS
//! key log in, handshake summaries and decrypted application data out.
//!
//! - [`KeyLog`]: the `SSLKEYLOGFILE` secrets (`CLIENT_RANDOM` for TLS ≤ 1.2,
//!   the TLS 1.3 traffic secrets, `RSA` pre-master secrets for RSA key
//!   exchange — with the extended master secret's session hash when
//!   negotiated), added incrementally.
//! - [`TlsConnection`]: feed each direction's reassembled TCP bytes; it
//!   splits records (each length checked against [`MAX_RECORD_LEN`] before
//!   buffering), reassembles handshake messages, follows the key changes
//!   (ChangeCipherSpec in TLS ≤ 1.2, renegotiations included; ServerHello,
//!   HelloRetryRequest, Finished and KeyUpdate in TLS 1.3) and decrypts.
//! - Decryptable suites: TLS 1.3 AES-128/256-GCM and ChaCha20-Poly1305;
//!   TLS 1.2 AES-128/256-GCM and ChaCha20-Poly1305; TLS 1.0–1.2 AES-128/256-CBC
//!   with HMAC-SHA1/SHA256/SHA384, MAC-then-encrypt or encrypt-then-MAC — with
//!   any key exchange (RSA, DHE, ECDHE), since the key log gives the master
//!   secret.
//! - Not decrypted: TLS 1.3 0-RTT early data (skipped, the rest of the
//!   connection still decrypts), SSL 3.0, CCM/3DES/NULL suites, TLS 1.0 CBC
//!   after a TCP gap (the chained IV is lost).
//! - After a TCP gap ([`TlsConnection::gap`]) the next record is found again
//!   and decrypted by trying the sequence numbers the gap can have hidden.
//!
//! Data that arrives before its keys are known is held back (bounded, see
//! [`MAX_PENDING_BYTES`]) and decrypted when a later call brings the keys.
//!
//! ```
//! use oncp_core::trace::Direction;
//! use oncp_core::trace::tls::{KeyLog, TlsConnection, TlsEventKind};
//!
//! let (keys, report) = KeyLog::from_text(b"# no secrets yet\n");
//! assert!(report.errors.is_empty());
//! let mut conn = TlsConnection::new();
//! let mut events = Vec::new();
//! // Each direction's reassembled TCP bytes, in capture order, any chunking.
//! conn.feed(Direction::ClientToServer, &[22, 3, 1, 0, 4, 1, 0, 0, 0], &keys, &mut events);
//! conn.finish(&keys, &mut events);
//! for event in &events {
//!     if let TlsEventKind::ApplicationData { stream_offset, data } = &event.kind {
//!         println!("{:?} {stream_offset}: {} bytes", event.direction, data.len());
//!     } else {
//!         println!("{event}"); // e.g. "C->S @0: error: ClientHello at offset 0: ..."
//!     }
//! }
//! assert!(matches!(events[0].kind, TlsEventKind::Error(_)));
//! ```

mod connection;
mod error;
mod event;
mod handshake;
mod hello;
mod key_setup;
mod keylog;
mod keys;
mod protection;
mod record;
mod suite;
mod transcript;

pub use connection::{DirectionStats, MAX_PENDING_BYTES, MAX_RESYNC_TRIALS, TlsConnection};
pub use error::{CannotDecrypt, TlsError};
pub use event::{Alert, TlsEvent, TlsEventKind};
pub use handshake::{MAX_PARSED_HANDSHAKE, handshake_type_name};
pub use hello::{ClientHello, ServerHello};
pub(crate) use keylog::decode_hex;
pub use keylog::{KeyLog, KeyLogError, KeyLogReport, MAX_KEYLOG_LINE, SecretLabel};
pub use record::{MAX_RECORD_LEN, RECORD_HEADER_LEN, looks_like_client_hello};
pub use suite::{CipherSuite, ProtocolVersion};
