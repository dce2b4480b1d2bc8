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

use super::error::{CannotDecrypt, TlsError};
use super::event::{Alert, TlsEvent, TlsEventKind};
use super::handshake::{
    HS_CLIENT_HELLO, HS_CLIENT_KEY_EXCHANGE, HS_FINISHED, HS_KEY_UPDATE, HS_SERVER_HELLO,
    HandshakeMessage, HandshakeReassembler,
};
use super::hello::{ClientHello, ServerHello};
use super::key_setup::{KeySpec, Role, RsaPremaster, SetupError, Stage, setup};
use super::keylog::KeyLog;
use super::protection::{OpenError, RecordProtection};
use super::record::{
    CONTENT_ALERT, CONTENT_APPLICATION_DATA, CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE,
    CONTENT_HEARTBEAT, Record, RecordReader,
};
use super::suite::{BulkCipher, ProtocolVersion};
use super::transcript::Transcript;
use crate::trace::Direction;

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
    /// side is the client.
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

    fn on_record(
        &mut self,
        direction: Direction,
        record: Record,
        keys: &KeyLog,
        out: &mut Vec<TlsEvent>,
    ) {
        let i = index(direction);
        self.dirs[i].stats.records += 1;
        let tls13 = self.is_tls13();
        let dir = &mut self.dirs[i];
        match &mut dir.epoch {
            Epoch::Undecryptable => {
                if record.content_type != CONTENT_CHANGE_CIPHER_SPEC {
                    dir.stats.undecrypted_records += 1;
                }
            }
            Epoch::Awaiting(_) => self.hold_back(direction, record, out),
            Epoch::Plaintext => {
                if record.content_type == CONTENT_APPLICATION_DATA {
                    self.plaintext_application_data(direction, record, keys, out);
                } else {
                    if let Some(lost_bytes) = record.lost_before {
                        out.push(TlsEvent {
                            direction,
                            offset: record.offset,
                            kind: TlsEventKind::Resynchronized {
                                lost_bytes,
                                lost_records: None,
                            },
                        });
                    }
                    let (offset, ct) = (record.offset, record.content_type);
                    self.dispatch(direction, offset, ct, record.payload, false, keys, out);
                }
            }
            Epoch::Active(protection, stage) => {
                if tls13 && record.content_type == CONTENT_CHANGE_CIPHER_SPEC {
                    // TLS 1.3 middlebox-compatibility CCS: never encrypted.
                    out.push(TlsEvent {
                        direction,
                        offset: record.offset,
                        kind: TlsEventKind::ChangeCipherSpec,
                    });
                    return;
                }
                let stage = *stage;
                let mut payload = record.payload;
                if let Some(lost) = record.lost_before {
                    let r = dir.resync.get_or_insert_with(Resync::default);
                    r.lost_bytes += lost;
                    r.max_lost =
                        (r.max_lost + lost / MIN_PROTECTED_RECORD + 1).min(MAX_RESYNC_TRIALS);
                }
                let opened = match dir.resync {
                    Some(r) => protection
                        .open_after_gap(
                            record.content_type,
                            record.version,
                            &mut payload,
                            r.max_lost,
                            stage == Stage::Tls13Application,
                        )
                        .map(|(opened, lost)| (opened, Some((r.lost_bytes, lost)))),
                    None => protection
                        .open(record.content_type, record.version, &mut payload)
                        .map(|opened| (opened, None)),
                };
                match opened {
                    Ok((opened, resynced)) => {
                        dir.stats.decrypted_records += 1;
                        dir.failing = false;
                        dir.epoch_successes += 1;
                        if let Some((lost_bytes, lost_records)) = resynced {
                            dir.resync = None;
                            out.push(TlsEvent {
                                direction,
                                offset: record.offset,
                                kind: TlsEventKind::Resynchronized {
                                    lost_bytes,
                                    lost_records,
                                },
                            });
                        }
                        self.dispatch(
                            direction,
                            record.offset,
                            opened.content_type,
                            payload,
                            true,
                            keys,
                            out,
                        );
                    }
                    Err(e) => {
                        let seq = protection.seq().wrapping_sub(1);
                        dir.stats.undecrypted_records += 1;
                        if let Some(r) = &mut dir.resync {
                            // This record used a sequence number too.
                            r.max_lost = (r.max_lost + 1).min(MAX_RESYNC_TRIALS);
                            r.failed_records += 1;
                            if r.failed_records >= MAX_RESYNC_RECORDS {
                                // Not this connection's records, or keys that
                                // changed in the gap: stop paying for trials.
                                dir.epoch = Epoch::Undecryptable;
                                dir.resync = None;
                            }
                        }
                        // Rejected 0-RTT data precedes the client's handshake
                        // records; it cannot open with handshake keys.
                        let early_data = stage == Stage::Tls13Handshake
                            && dir.epoch_successes == 0
                            && dir.resync.is_none()
                            && self.role(direction) == Role::Client
                            && self.client_hello.as_ref().is_some_and(|h| h.early_data);
                        if early_data && e == OpenError::Auth {
                            protection_rewind(&mut self.dirs[i]);
                            return;
                        }
                        let dir = &mut self.dirs[i];
                        let kind = match e {
                            OpenError::Auth if dir.failing => None,
                            OpenError::Auth => Some(TlsEventKind::DecryptionFailed { seq }),
                            OpenError::Malformed(what) => {
                                Some(TlsEventKind::Error(TlsError::BadRecord {
                                    offset: record.offset,
                                    what,
                                }))
                            }
                        };
                        dir.failing = true;
                        if let Some(kind) = kind {
                            out.push(TlsEvent {
                                direction,
                                offset: record.offset,
                                kind,
                            });
                        }
                    }
                }
            }
        }
    }

    fn plaintext_application_data(
        &mut self,
        direction: Direction,
        record: Record,
        keys: &KeyLog,
        out: &mut Vec<TlsEvent>,
    ) {
        let i = index(direction);
        self.dirs[i].stats.undecrypted_records += 1;
        let early_data = self.role(direction) == Role::Client
            && self.client_hello.as_ref().is_some_and(|h| h.early_data)
            && self.server_hello.is_none();
        if early_data {
            // 0-RTT data before the ServerHello: not decrypted (see the
            // module docs); the handshake that follows still is.
            return;
        }
        if self.client_hello.is_none() {
            self.dirs[i].epoch = Epoch::Undecryptable;
            self.report_cannot_decrypt(direction, record.offset, CannotDecrypt::NoHandshake, out);
            return;
        }
        let tls12 = self.version().filter(|v| *v != ProtocolVersion::TLS13);
        if let Some(spec) = tls12.and_then(|v| self.spec(direction, Stage::Tls12, v)) {
            // TLS ≤ 1.2 encrypted data without a ChangeCipherSpec: the CCS
            // was lost (in a gap). Start the keys here and find the
            // sequence number (the Finished used at least one).
            self.start_epoch(direction, record.offset, spec, keys, out);
            let dir = &mut self.dirs[i];
            dir.resync = Some(Resync {
                lost_bytes: record.lost_before.unwrap_or(0),
                max_lost: LOST_CCS_TRIALS,
                failed_records: 0,
            });
            dir.stats.undecrypted_records -= 1;
            dir.stats.records -= 1;
            let record = Record {
                lost_before: None,
                ..record
            };
            self.on_record(direction, record, keys, out);
            return;
        }
        self.dirs[i].epoch = Epoch::Undecryptable;
        out.push(TlsEvent {
            direction,
            offset: record.offset,
            kind: TlsEventKind::Error(TlsError::BadRecord {
                offset: record.offset,
                what: "application data before encryption started; the rest of this direction is not decoded",
            }),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        direction: Direction,
        offset: u64,
        content_type: u8,
        data: Vec<u8>,
        encrypted: bool,
        keys: &KeyLog,
        out: &mut Vec<TlsEvent>,
    ) {
        let event = |kind| TlsEvent {
            direction,
            offset,
            kind,
        };
        match content_type {
            CONTENT_CHANGE_CIPHER_SPEC => {
                out.push(event(TlsEventKind::ChangeCipherSpec));
                if data != [1] {
                    out.push(event(TlsEventKind::Error(TlsError::BadRecord {
                        offset,
                        what: "ChangeCipherSpec body is not the single byte 1",
                    })));
                }
                self.on_change_cipher_spec(direction, offset, keys, out);
            }
            CONTENT_ALERT => {
                if data.is_empty() || !data.len().is_multiple_of(2) {
                    out.push(event(TlsEventKind::Error(TlsError::BadRecord {
                        offset,
                        what: "alert record is not a whole number of 2-byte alerts",
                    })));
                }
                for pair in data.chunks_exact(2) {
                    let alert = Alert {
                        level: pair[0],
                        description: pair[1],
                    };
                    out.push(event(TlsEventKind::Alert { alert, encrypted }));
                }
            }
            CONTENT_HANDSHAKE => self.on_handshake(direction, offset, &data, encrypted, keys, out),
            CONTENT_APPLICATION_DATA => {
                let dir = &mut self.dirs[index(direction)];
                let stream_offset = dir.app_offset;
                dir.app_offset += data.len() as u64;
                dir.stats.application_bytes += data.len() as u64;
                out.push(event(TlsEventKind::ApplicationData {
                    stream_offset,
                    data,
                }));
            }
            CONTENT_HEARTBEAT => {}
            _ => out.push(event(TlsEventKind::Error(TlsError::BadRecord {
                offset,
                what: "unknown inner content type",
            }))),
        }
    }

    fn on_change_cipher_spec(
        &mut self,
        direction: Direction,
        offset: u64,
        keys: &KeyLog,
        out: &mut Vec<TlsEvent>,
    ) {
        // Before the ServerHello, or in TLS 1.3, a CCS changes nothing.
        let Some(version) = self.version() else {
            return;
        };
        if version == ProtocolVersion::TLS13 {
            return;
        }
        self.end_epoch(direction, offset, out);
        let spec = self.spec(direction, Stage::Tls12, version);
        match spec {
            Some(spec) => self.start_epoch(direction, offset, spec, keys, out),
            None => {
                self.dirs[index(direction)].epoch = Epoch::Undecryptable;
                self.report_cannot_decrypt(direction, offset, CannotDecrypt::NoHandshake, out);
            }
        }
    }

    fn spec(
        &self,
        direction: Direction,
        stage: Stage,
        version: ProtocolVersion,
    ) -> Option<KeySpec> {
        let (ch, sh) = (self.client_hello.as_ref()?, self.server_hello.as_ref()?);
        let is_cbc = sh
            .cipher_suite
            .params()
            .is_some_and(|p| matches!(p.cipher, BulkCipher::AesCbc { .. }));
        Some(KeySpec {
            suite: sh.cipher_suite,
            version,
            client_random: ch.random,
            server_random: sh.random,
            encrypt_then_mac: is_cbc && ch.encrypt_then_mac && sh.encrypt_then_mac,
            role: self.role(direction),
            stage,
            rsa: None,
        })
        .map(|mut spec| {
            if stage == Stage::Tls12
                && let Some(encrypted_prefix) = self.rsa_encrypted_prefix
            {
                let ems = ch.extended_master_secret && sh.extended_master_secret;
                spec.rsa = Some(RsaPremaster {
                    encrypted_prefix,
                    session_hash: ems
                        .then(|| spec.prf().map(|prf| self.transcript.session_hash(prf)))
                        .flatten(),
                });
            }
            spec
        })
    }

    /// A key change: a handshake message must not straddle it.
    fn end_epoch(&mut self, direction: Direction, offset: u64, out: &mut Vec<TlsEvent>) {
        let hs = &mut self.dirs[index(direction)].handshake;
        if hs.is_mid_message() {
            hs.reset();
            out.push(TlsEvent {
                direction,
                offset,
                kind: TlsEventKind::Error(TlsError::HandshakeAcrossKeyChange { offset }),
            });
        }
    }

    fn start_epoch(
        &mut self,
        direction: Direction,
        offset: u64,
        spec: KeySpec,
        keys: &KeyLog,
        out: &mut Vec<TlsEvent>,
    ) {
        let i = index(direction);
        self.dirs[i].failing = false;
        self.dirs[i].epoch_successes = 0;
        match setup(&spec, keys) {
            Ok(protection) => self.dirs[i].epoch = Epoch::Active(Box::new(protection), spec.stage),
            Err(SetupError::Missing(_)) => {
                self.dirs[i].epoch = Epoch::Awaiting(spec);
                self.tried_generation = Some(keys.generation());
            }
            Err(SetupError::Unsupported(why)) => {
                self.dirs[i].epoch = Epoch::Undecryptable;
                self.report_cannot_decrypt(direction, offset, why, out);
            }
            Err(SetupError::BadSecret(e)) => {
                self.dirs[i].epoch = Epoch::Undecryptable;
                out.push(TlsEvent {
                    direction,
                    offset,
                    kind: TlsEventKind::Error(e),
                });
            }
        }
    }

    fn on_handshake(
        &mut self,
        direction: Direction,
        offset: u64,
        data: &[u8],
        encrypted: bool,
        keys: &KeyLog,
        out: &mut Vec<TlsEvent>,
    ) {
        let (mut messages, mut errors) = (Vec::new(), Vec::new());
        // The session hash covers the plaintext handshake up to the
        // ClientKeyExchange.
        let transcript = (!encrypted && !self.transcript.is_done()).then_some(&mut self.transcript);
        self.dirs[index(direction)].handshake.push(
            offset,
            data,
            &mut messages,
            &mut errors,
            transcript,
        );
        out.extend(errors.into_iter().map(|e| TlsEvent {
            direction,
            offset,
            kind: TlsEventKind::Error(e),
        }));
        let mut after = None;
        for message in messages {
            if let Some(next) = self.on_handshake_message(direction, message, encrypted, out) {
                after = Some(next);
            }
        }
        let Some(after) = after else {
            return;
        };
        match after {
            AfterRecord::Tls13Handshake => {
                for d in [Direction::ClientToServer, Direction::ServerToClient] {
                    self.end_epoch(d, offset, out);
                    if let Some(spec) = self.spec(d, Stage::Tls13Handshake, ProtocolVersion::TLS13)
                    {
                        self.start_epoch(d, offset, spec, keys, out);
                    }
                }
            }
            AfterRecord::Tls13Finished => {
                self.end_epoch(direction, offset, out);
                if let Some(spec) =
                    self.spec(direction, Stage::Tls13Application, ProtocolVersion::TLS13)
                {
                    self.start_epoch(direction, offset, spec, keys, out);
                }
            }
            AfterRecord::KeyUpdate(update_requested) => {
                self.end_epoch(direction, offset, out);
                if let Epoch::Active(protection, _) = &mut self.dirs[index(direction)].epoch
                    && protection.key_update()
                {
                    out.push(TlsEvent {
                        direction,
                        offset,
                        kind: TlsEventKind::KeyUpdate { update_requested },
                    });
                }
            }
        }
    }

    fn on_handshake_message(
        &mut self,
        direction: Direction,
        message: HandshakeMessage,
        encrypted: bool,
        out: &mut Vec<TlsEvent>,
    ) -> Option<AfterRecord> {
        let offset = message.offset;
        let event = |kind| TlsEvent {
            direction,
            offset,
            kind,
        };
        let stage = match &self.dirs[index(direction)].epoch {
            Epoch::Active(_, stage) => Some(*stage),
            _ => None,
        };
        let body = message.body.as_deref().unwrap_or_default();
        match message.msg_type {
            HS_CLIENT_HELLO if message.body.is_some() => match ClientHello::parse(body, offset) {
                Ok(hello) => {
                    if self.client_dir.is_none() {
                        self.client_dir = Some(direction);
                    }
                    out.push(event(TlsEventKind::ClientHello(hello.clone())));
                    self.client_hello = Some(hello);
                }
                Err(e) => out.push(event(TlsEventKind::Error(e))),
            },
            HS_SERVER_HELLO if message.body.is_some() => match ServerHello::parse(body, offset) {
                Ok(hello) => {
                    out.push(event(TlsEventKind::ServerHello(hello.clone())));
                    let starts_tls13 =
                        !hello.hello_retry_request && hello.version() == ProtocolVersion::TLS13;
                    self.server_hello = Some(hello);
                    if starts_tls13 {
                        return Some(AfterRecord::Tls13Handshake);
                    }
                }
                Err(e) => out.push(event(TlsEventKind::Error(e))),
            },
            HS_KEY_UPDATE if message.body.is_some() => {
                out.push(event(TlsEventKind::Handshake {
                    msg_type: message.msg_type,
                    length: message.length,
                    encrypted,
                }));
                match body {
                    [request] if *request <= 1 && stage == Some(Stage::Tls13Application) => {
                        return Some(AfterRecord::KeyUpdate(*request == 1));
                    }
                    _ => out.push(event(TlsEventKind::Error(TlsError::MalformedHandshake {
                        offset,
                        message: "KeyUpdate",
                        field: "request_update",
                        at: 0,
                    }))),
                }
            }
            HS_CLIENT_KEY_EXCHANGE if message.body.is_some() => {
                out.push(event(TlsEventKind::Handshake {
                    msg_type: message.msg_type,
                    length: message.length,
                    encrypted,
                }));
                let rsa_kex = self
                    .server_hello
                    .as_ref()
                    .and_then(|h| h.cipher_suite.name())
                    .is_some_and(|name| name.starts_with("TLS_RSA_"));
                // TLS 1.0+: a 2-byte length, then the encrypted pre-master.
                if rsa_kex && let Some(prefix) = body.get(2..10) {
                    let mut p = [0; 8];
                    p.copy_from_slice(prefix);
                    self.rsa_encrypted_prefix = Some(p);
                }
            }
            msg_type => {
                out.push(event(TlsEventKind::Handshake {
                    msg_type,
                    length: message.length,
                    encrypted,
                }));
                if msg_type == HS_FINISHED && stage == Some(Stage::Tls13Handshake) {
                    return Some(AfterRecord::Tls13Finished);
                }
            }
        }
        None
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

/// Undoes the sequence number advance of a skipped (0-RTT) record.
fn protection_rewind(dir: &mut DirState) {
    if let Epoch::Active(protection, _) = &mut dir.epoch {
        protection.rewind();
    }
}
