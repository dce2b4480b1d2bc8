//! Per-record processing of a [`TlsConnection`]: decryption (with
//! resynchronisation after gaps) and dispatch by content type.

use alloc::vec::Vec;

use super::super::error::{CannotDecrypt, TlsError};
use super::super::event::{Alert, TlsEvent, TlsEventKind};
use super::super::key_setup::{Role, Stage};
use super::super::keylog::KeyLog;
use super::super::protection::OpenError;
use super::super::record::{
    CONTENT_ALERT, CONTENT_APPLICATION_DATA, CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE,
    CONTENT_HEARTBEAT, Record,
};
use super::super::suite::ProtocolVersion;
use super::{
    DirState, Epoch, LOST_CCS_TRIALS, MAX_RESYNC_RECORDS, MAX_RESYNC_TRIALS, MIN_PROTECTED_RECORD,
    Resync, TlsConnection, index,
};
use crate::trace::Direction;

impl TlsConnection {
    pub(super) fn on_record(
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
                if tls13 && record.content_type != CONTENT_APPLICATION_DATA {
                    // TLS 1.3 protects every record as application_data: any
                    // other type is plaintext (the middlebox-compatibility
                    // CCS, or an alert sent before the keys were ready).
                    let (offset, ct) = (record.offset, record.content_type);
                    self.dispatch(direction, offset, ct, record.payload, false, keys, out);
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

    pub(super) fn plaintext_application_data(
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
    pub(super) fn dispatch(
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
}

/// Undoes the sequence number advance of a skipped (0-RTT) record.
fn protection_rewind(dir: &mut DirState) {
    if let Epoch::Active(protection, _) = &mut dir.epoch {
        protection.rewind();
    }
}
