//! One TLS connection seen from the side: both directions' byte streams in,
//! [`TlsEvent`]s out.
//!
//! Keys are looked up in the [`KeyLog`] passed to each call when a direction
//! starts encrypting. If the key log does not have them yet (a pcapng
//! decryption-secrets block may come later), encrypted records are held back
//! — at most [`MAX_PENDING_BYTES`] per connection — and decrypted as soon as
//! a later call brings a key log that has the secret. When the limit is hit,
//! or [`TlsConnection::finish`] is called while still waiting, the connection
//! reports [`CannotDecrypt::MissingKey`] once and later records of that
//! direction are only counted.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::error::CannotDecrypt;
use super::event::{TlsEvent, TlsEventKind};
use super::handshake::HandshakeReassembler;
use super::hello::{ClientHello, ServerHello};
use super::key_setup::{KeySpec, Role, Stage, setup};
use super::keylog::KeyLog;
use super::protection::RecordProtection;
use super::record::{Record, RecordReader};
use super::suite::ProtocolVersion;
use super::transcript::Transcript;
use crate::trace::Direction;

mod handshake_flow;
mod record_flow;

/// Most encrypted bytes held back per connection while waiting for keys
/// (each record also counts its bookkeeping).
pub const MAX_PENDING_BYTES: usize = 256 * 1024;

/// Counters for one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// Records read.
    pub records: u64,
    /// Records decrypted.
    pub decrypted_records: u64,
    /// Encrypted records that were not decrypted (no key, failure, skipped).
    pub undecrypted_records: u64,
    /// Application data bytes decrypted.
    pub application_bytes: u64,
}

enum Epoch {
    /// No encryption yet.
    Plaintext,
    /// Decrypting.
    Active(Box<RecordProtection>, Stage),
    /// Encrypted, keys not (yet) in the key log: records are queued.
    Awaiting(KeySpec),
    /// Encrypted and given up on: records are counted only.
    Undecryptable,
}

struct DirState {
    reader: RecordReader,
    handshake: HandshakeReassembler,
    epoch: Epoch,
    pending: VecDeque<Record>,
    /// Offset of the next application data byte in the decrypted stream.
    app_offset: u64,
    /// The last record failed to decrypt (reports failures once per run).
    failing: bool,
    /// Records decrypted since the current keys were installed.
    epoch_successes: u64,
    /// Set after a gap until a record decrypts again.
    resync: Option<Resync>,
    stats: DirectionStats,
}

/// Finding the sequence number again after a gap.
#[derive(Debug, Clone, Copy, Default)]
struct Resync {
    /// Stream bytes lost so far.
    lost_bytes: u64,
    /// Most records that can have been lost (sequence numbers to try).
    max_lost: u64,
    /// Records after the gap that did not decrypt with any of them.
    failed_records: u32,
}

/// Records tried after a gap before the direction is given up.
const MAX_RESYNC_RECORDS: u32 = 8;

/// Smallest protected record (TLS 1.3: header, content type, tag): bounds
/// the number of records a gap of a given size can hide.
const MIN_PROTECTED_RECORD: u64 = 5 + 1 + 16;

/// Sequence numbers tried when TLS ≤ 1.2 application data arrives without a
/// ChangeCipherSpec before it (the Finished and a few records may be lost).
const LOST_CCS_TRIALS: u64 = 16;

/// Most sequence numbers tried for the first record after a gap.
pub const MAX_RESYNC_TRIALS: u64 = 4096;

impl DirState {
    fn new() -> DirState {
        DirState {
            reader: RecordReader::default(),
            handshake: HandshakeReassembler::default(),
            epoch: Epoch::Plaintext,
            pending: VecDeque::new(),
            app_offset: 0,
            failing: false,
            epoch_successes: 0,
            resync: None,
            stats: DirectionStats::default(),
        }
    }
}

/// What a handshake record asks for once all its messages are handled.
enum AfterRecord {
    Tls13Handshake,
    Tls13Finished,
    KeyUpdate(bool),
}

/// A passively observed TLS connection.
pub struct TlsConnection {
    dirs: [DirState; 2],
    client_dir: Option<Direction>,
    client_hello: Option<ClientHello>,
    server_hello: Option<ServerHello>,
    /// Handshake hash up to the ClientKeyExchange (for `RSA` key log lines).
    transcript: Transcript,
    /// First 8 bytes of the RSA-encrypted pre-master secret.
    rsa_encrypted_prefix: Option<[u8; 8]>,
    pending_bytes: usize,
    /// Key log generation last tried while a direction waits for keys.
    tried_generation: Option<u64>,
    cannot_decrypt_reported: bool,
}

impl Default for TlsConnection {
    fn default() -> Self {
        TlsConnection::new()
    }
}

const fn index(direction: Direction) -> usize {
    match direction {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl TlsConnection {
    /// A connection with nothing seen yet.
    pub fn new() -> TlsConnection {
        TlsConnection {
            dirs: [DirState::new(), DirState::new()],
            client_dir: None,
            client_hello: None,
            server_hello: None,
            transcript: Transcript::default(),
            rsa_encrypted_prefix: None,
            pending_bytes: 0,
            tried_generation: None,
            cannot_decrypt_reported: false,
        }
    }

    /// Feeds the next bytes of one direction's TCP stream. Events go to
    /// `out`. Directions are taken as given until a ClientHello shows which
    /// side is the client. Feed both directions in capture order, and pass
    /// the same (growing) [`KeyLog`] every time: held-back records are
    /// retried when its [`KeyLog::generation`] changes.
    pub fn feed(
        &mut self,
        direction: Direction,
        data: &[u8],
        keys: &KeyLog,
        out: &mut Vec<TlsEvent>,
    ) {
        self.retry_pending(keys, out);
        let mut input = data;
        while let Some(next) = self.dirs[index(direction)].reader.next_record(&mut input) {
            match next {
                Ok(record) => self.on_record(direction, record, keys, out),
                Err(e) => out.push(TlsEvent {
                    direction,
                    offset: self.dirs[index(direction)].reader.position(),
                    kind: TlsEventKind::Error(e),
                }),
            }
        }
    }

    /// Tells the connection `missing` bytes of `direction` were lost (a TCP
    /// gap). The direction goes on at the next record recognised after the
    /// gap (two consecutive plausible headers), trying up to
    /// [`MAX_RESYNC_TRIALS`] sequence numbers to decrypt it; a
    /// [`TlsEventKind::Resynchronized`] event marks the hole.
    pub fn gap(&mut self, direction: Direction, missing: u64, out: &mut Vec<TlsEvent>) {
        let dir = &mut self.dirs[index(direction)];
        dir.handshake.reset();
        let offset = dir.reader.position();
        if let Some(e) = dir.reader.gap(missing) {
            out.push(TlsEvent {
                direction,
                offset,
                kind: TlsEventKind::Error(e),
            });
        }
    }

    /// Retries decryption of held-back records after secrets were added to
    /// the key log (also done at the start of every [`feed`](Self::feed)).
    pub fn keys_added(&mut self, keys: &KeyLog, out: &mut Vec<TlsEvent>) {
        self.retry_pending(keys, out);
    }

    /// The end of the connection: reports a record cut short and records
    /// still waiting for keys.
    pub fn finish(&mut self, keys: &KeyLog, out: &mut Vec<TlsEvent>) {
        self.retry_pending(keys, out);
        for direction in [Direction::ClientToServer, Direction::ServerToClient] {
            let dir = &self.dirs[index(direction)];
            if let Some(e) = dir.reader.truncated() {
                out.push(TlsEvent {
                    direction,
                    offset: dir.reader.position(),
                    kind: TlsEventKind::Error(e),
                });
            }
            if matches!(dir.epoch, Epoch::Awaiting(_)) {
                self.give_up(direction, out);
            }
        }
    }

    /// The ClientHello, once seen.
    pub fn client_hello(&self) -> Option<&ClientHello> {
        self.client_hello.as_ref()
    }

    /// The ServerHello, once seen.
    pub fn server_hello(&self) -> Option<&ServerHello> {
        self.server_hello.as_ref()
    }

    /// Counters for one direction.
    pub fn stats(&self, direction: Direction) -> DirectionStats {
        self.dirs[index(direction)].stats
    }

    /// The direction the client sends in (from the ClientHello, else as given).
    pub fn client_direction(&self) -> Direction {
        self.client_dir.unwrap_or(Direction::ClientToServer)
    }

    fn role(&self, direction: Direction) -> Role {
        if direction == self.client_direction() {
            Role::Client
        } else {
            Role::Server
        }
    }

    fn version(&self) -> Option<ProtocolVersion> {
        self.server_hello
            .as_ref()
            .filter(|h| !h.hello_retry_request)
            .map(ServerHello::version)
    }

    fn is_tls13(&self) -> bool {
        self.version() == Some(ProtocolVersion::TLS13)
    }

    fn report_cannot_decrypt(
        &mut self,
        direction: Direction,
        offset: u64,
        why: CannotDecrypt,
        out: &mut Vec<TlsEvent>,
    ) {
        if !self.cannot_decrypt_reported {
            self.cannot_decrypt_reported = true;
            out.push(TlsEvent {
                direction,
                offset,
                kind: TlsEventKind::CannotDecrypt(why),
            });
        }
    }

    /// Queues a record while its direction waits for keys.
    fn hold_back(&mut self, direction: Direction, record: Record, out: &mut Vec<TlsEvent>) {
        let len = held_size(&record);
        if self.pending_bytes + len > MAX_PENDING_BYTES {
            self.dirs[index(direction)].stats.undecrypted_records += 1;
            self.give_up(direction, out);
            return;
        }
        self.pending_bytes += len;
        self.dirs[index(direction)].pending.push_back(record);
    }

    /// Stops waiting for keys on `direction`: reports the missing key once and
    /// counts the held-back records as undecrypted.
    fn give_up(&mut self, direction: Direction, out: &mut Vec<TlsEvent>) {
        let i = index(direction);
        let dir = &mut self.dirs[i];
        let Epoch::Awaiting(spec) = core::mem::replace(&mut dir.epoch, Epoch::Undecryptable) else {
            return;
        };
        let pending = core::mem::take(&mut dir.pending);
        dir.stats.undecrypted_records += pending.len() as u64;
        let freed: usize = pending.iter().map(held_size).sum();
        self.pending_bytes -= freed;
        let offset = pending.front().map_or(dir.reader.position(), |r| r.offset);
        let why = CannotDecrypt::MissingKey {
            label: spec.label(),
            client_random: spec.client_random,
        };
        self.report_cannot_decrypt(direction, offset, why, out);
    }

    fn retry_pending(&mut self, keys: &KeyLog, out: &mut Vec<TlsEvent>) {
        if self.tried_generation.is_none_or(|g| g == keys.generation()) {
            return;
        }
        self.tried_generation = None;
        for direction in [Direction::ClientToServer, Direction::ServerToClient] {
            let i = index(direction);
            let Epoch::Awaiting(spec) = &self.dirs[i].epoch else {
                continue;
            };
            let spec = spec.clone();
            match setup(&spec, keys) {
                Ok(protection) => {
                    self.dirs[i].epoch = Epoch::Active(Box::new(protection), spec.stage);
                    let pending = core::mem::take(&mut self.dirs[i].pending);
                    self.pending_bytes -= pending.iter().map(held_size).sum::<usize>();
                    self.dirs[i].stats.records -= pending.len() as u64;
                    for record in pending {
                        self.on_record(direction, record, keys, out);
                    }
                }
                Err(_) => self.tried_generation = Some(keys.generation()),
            }
        }
    }
}

/// What a held-back record counts against [`MAX_PENDING_BYTES`]: its payload
/// plus bookkeeping, so many tiny records are bounded too.
fn held_size(record: &Record) -> usize {
    record.payload.len() + core::mem::size_of::<Record>()
}
