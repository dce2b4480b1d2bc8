//! Handshake processing of a [`TlsConnection`]: hellos, key changes
//! (ChangeCipherSpec, TLS 1.3 ServerHello/Finished/KeyUpdate) and the key
//! specs handed to the key setup.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::super::error::{CannotDecrypt, TlsError};
use super::super::event::{TlsEvent, TlsEventKind};
use super::super::handshake::{
    HS_CLIENT_HELLO, HS_CLIENT_KEY_EXCHANGE, HS_FINISHED, HS_KEY_UPDATE, HS_SERVER_HELLO,
    HandshakeMessage,
};
use super::super::hello::{ClientHello, ServerHello};
use super::super::key_setup::{KeySpec, RsaPremaster, SetupError, Stage, setup};
use super::super::keylog::KeyLog;
use super::super::suite::{BulkCipher, ProtocolVersion};
use super::{AfterRecord, Epoch, TlsConnection, index};
use crate::trace::Direction;

impl TlsConnection {
    pub(super) fn on_change_cipher_spec(
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

    pub(super) fn spec(
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
    pub(super) fn end_epoch(&mut self, direction: Direction, offset: u64, out: &mut Vec<TlsEvent>) {
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

    pub(super) fn start_epoch(
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

    pub(super) fn on_handshake(
        &mut self,
        direction: Direction,
        offset: u64,
        data: &[u8],
        encrypted: bool,
        keys: &KeyLog,
        out: &mut Vec<TlsEvent>,
    ) {
        let (mut messages, mut errors) = (Vec::new(), Vec::new());
        // The session hash covers the handshake from the ClientHello up to
        // the ClientKeyExchange (a renegotiation's runs encrypted).
        let transcript = Some(&mut self.transcript);
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

    pub(super) fn on_handshake_message(
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
}
