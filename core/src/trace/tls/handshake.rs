//! Handshake message reassembly across records. Only the messages we parse
//! (hellos, key updates) are buffered, up to [`MAX_PARSED_HANDSHAKE`];
//! others (certificates, tickets) are counted and skipped without buffering.

use alloc::vec::Vec;

use super::error::TlsError;
use super::transcript::Transcript;

/// Largest ClientHello/ServerHello/KeyUpdate we buffer for parsing.
pub const MAX_PARSED_HANDSHAKE: usize = 1 << 17;

/// `client_hello`.
pub const HS_CLIENT_HELLO: u8 = 1;
/// `server_hello` (also a HelloRetryRequest in TLS 1.3).
pub const HS_SERVER_HELLO: u8 = 2;
/// `client_key_exchange`.
pub const HS_CLIENT_KEY_EXCHANGE: u8 = 16;
/// `hello_request` (not part of the transcript).
pub const HS_HELLO_REQUEST: u8 = 0;
/// `finished`.
pub const HS_FINISHED: u8 = 20;
/// `key_update` (TLS 1.3).
pub const HS_KEY_UPDATE: u8 = 24;

/// The name of a handshake message type.
pub const fn handshake_type_name(msg_type: u8) -> &'static str {
    match msg_type {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        22 => "CertificateStatus",
        24 => "KeyUpdate",
        254 => "MessageHash",
        _ => "unknown",
    }
}

const fn is_parsed(msg_type: u8) -> bool {
    matches!(
        msg_type,
        HS_CLIENT_HELLO | HS_SERVER_HELLO | HS_KEY_UPDATE | HS_CLIENT_KEY_EXCHANGE
    )
}

/// A complete handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandshakeMessage {
    /// Offset of the record that held the message header.
    pub(crate) offset: u64,
    pub(crate) msg_type: u8,
    pub(crate) length: usize,
    /// The body, for the types we parse; `None` for skipped types.
    pub(crate) body: Option<Vec<u8>>,
}

/// Reassembles one direction's handshake messages.
#[derive(Debug, Default)]
pub(crate) struct HandshakeReassembler {
    header: [u8; 4],
    header_len: usize,
    /// Body bytes still to come for the current message.
    remaining: usize,
    /// Whether the current message's body is kept.
    keep: bool,
    body: Vec<u8>,
    offset: u64,
}

impl HandshakeReassembler {
    /// Feeds the (decrypted) payload of a handshake record found at `offset`.
    /// Complete messages go to `out`; a too-long parsed message is reported
    /// in `errors` and skipped. Messages also go to `transcript` (when given)
    /// up to and including the ClientKeyExchange.
    pub(crate) fn push(
        &mut self,
        offset: u64,
        mut data: &[u8],
        out: &mut Vec<HandshakeMessage>,
        errors: &mut Vec<TlsError>,
        mut transcript: Option<&mut Transcript>,
    ) {
        while !data.is_empty() {
            if self.header_len < 4 {
                if self.header_len == 0 {
                    self.offset = offset;
                }
                let take = (4 - self.header_len).min(data.len());
                self.header[self.header_len..self.header_len + take].copy_from_slice(&data[..take]);
                self.header_len += take;
                data = &data[take..];
                if self.header_len < 4 {
                    return;
                }
                let msg_type = self.header[0];
                let length = u32::from_be_bytes([0, self.header[1], self.header[2], self.header[3]])
                    as usize;
                if msg_type == HS_HELLO_REQUEST {
                    transcript = None;
                }
                if msg_type == HS_CLIENT_HELLO
                    && let Some(t) = transcript.as_deref_mut()
                {
                    t.restart();
                }
                if let Some(t) = transcript.as_deref_mut() {
                    t.update(&self.header);
                }
                self.remaining = length;
                self.keep = is_parsed(msg_type);
                if self.keep && length > MAX_PARSED_HANDSHAKE {
                    errors.push(TlsError::HandshakeTooLong {
                        offset: self.offset,
                        msg_type,
                        length,
                        limit: MAX_PARSED_HANDSHAKE,
                    });
                    self.keep = false;
                }
                self.body.clear();
            }
            let take = self.remaining.min(data.len());
            if self.keep {
                self.body.extend_from_slice(&data[..take]);
            }
            if let Some(t) = transcript.as_deref_mut() {
                t.update(&data[..take]);
            }
            self.remaining -= take;
            data = &data[take..];
            if self.remaining == 0 {
                let msg_type = self.header[0];
                if msg_type == HS_CLIENT_KEY_EXCHANGE
                    && let Some(t) = transcript.as_deref_mut()
                {
                    t.finish();
                }
                out.push(HandshakeMessage {
                    offset: self.offset,
                    msg_type,
                    length: u32::from_be_bytes([0, self.header[1], self.header[2], self.header[3]])
                        as usize,
                    body: self.keep.then(|| core::mem::take(&mut self.body)),
                });
                self.header_len = 0;
                self.keep = false;
            }
        }
    }

    /// True when a message has begun but not ended.
    pub(crate) fn is_mid_message(&self) -> bool {
        self.header_len > 0
    }

    /// Drops a partial message (after a key change or lost record).
    pub(crate) fn reset(&mut self) {
        self.header_len = 0;
        self.remaining = 0;
        self.keep = false;
        self.body = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn reassembles_across_records_and_skips_unparsed_bodies() {
        let mut stream = vec![HS_CLIENT_HELLO, 0, 0, 5, 1, 2, 3, 4, 5];
        stream.extend_from_slice(&[11, 0, 1, 0]);
        stream.extend(core::iter::repeat_n(0xaa, 256));
        stream.extend_from_slice(&[HS_FINISHED, 0, 0, 2, 9, 9]);
        for chunk in 1..stream.len() {
            let mut r = HandshakeReassembler::default();
            let (mut out, mut errors) = (Vec::new(), Vec::new());
            for (i, piece) in stream.chunks(chunk).enumerate() {
                r.push(i as u64 * 100, piece, &mut out, &mut errors, None);
            }
            assert!(errors.is_empty());
            assert!(!r.is_mid_message());
            assert_eq!(out.len(), 3, "chunk {chunk}");
            assert_eq!(out[0].body.as_deref(), Some(&[1, 2, 3, 4, 5][..]));
            assert_eq!(
                (out[1].msg_type, out[1].length, out[1].body.clone()),
                (11, 256, None)
            );
            assert_eq!(out[2].offset, (9 + 260) as u64 / chunk as u64 * 100);
        }
    }

    #[test]
    fn oversized_parsed_message_is_reported_and_skipped() {
        let mut r = HandshakeReassembler::default();
        let (mut out, mut errors) = (Vec::new(), Vec::new());
        r.push(
            7,
            &[HS_SERVER_HELLO, 0xff, 0xff, 0xff, 1, 2],
            &mut out,
            &mut errors,
            None,
        );
        assert!(matches!(
            errors[..],
            [TlsError::HandshakeTooLong {
                offset: 7,
                msg_type: 2,
                ..
            }]
        ));
        assert!(out.is_empty());
        assert!(r.is_mid_message());
        r.reset();
        r.push(8, &[HS_KEY_UPDATE, 0, 0, 1, 0], &mut out, &mut errors, None);
        assert_eq!(out[0].body.as_deref(), Some(&[0][..]));
    }
}
