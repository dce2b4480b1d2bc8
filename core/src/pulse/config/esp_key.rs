//! The ESP key message (S>C) and the client's reply (C>S), Juniper type 1
//! kind 0x21202400 (spec/pulse.md §6.1, §6.2). The SPI is little-endian
//! on this wire, unlike everywhere else.

use alloc::vec::Vec;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::super::error::{PulseError, PulseErrorKind};
use super::super::ift::{HEADER_LEN, IftMessage, MessageType};
use super::super::parse::{be16, be32};
use super::header::{COMMON_LEN, ConfigKind, join_common, split_common};

/// One key entry: LE32 SPI, `00 40`, 64-byte key block (70 bytes).
pub const ENTRY_LEN: usize = 70;
/// Smallest key message accepted: the header and one whole entry
/// (0x7a bytes). Spec doubt: OpenConnect checks only for 0x6a bytes but
/// then reads the key block up to 0x3a + 64 = 0x7a, so anything shorter
/// cannot hold the keys; it is refused here.
pub const MIN_SERVER_LEN: usize = 0x34 + ENTRY_LEN;
/// Length of the client's reply.
pub const REPLY_LEN: usize = 0xc0;
/// The six trailing bytes seen after the server's entry.
const SERVER_TRAILER: usize = 6;
const MAGIC: u32 = 0x0100_0000;

/// An SPI and its 64-byte key block (encryption key ‖ HMAC key ‖ zero
/// fill). Zeroed on drop; `Debug` shows only the SPI.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct EspKeyEntry {
    /// The SPI as ESP headers carry it (decoded from little-endian).
    pub spi: u32,
    /// The key block.
    pub secrets: [u8; 64],
}

impl core::fmt::Debug for EspKeyEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EspKeyEntry")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .finish_non_exhaustive()
    }
}

impl EspKeyEntry {
    fn parse(b: &[u8], at: usize) -> Result<EspKeyEntry, PulseError> {
        let spi = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if be16(b, 4) != Some(0x40) {
            return Err(PulseError::new(
                (at + 4) as u64,
                PulseErrorKind::BadFixedBytes {
                    what: "ESP key block length",
                },
            ));
        }
        let mut secrets = [0u8; 64];
        secrets.copy_from_slice(&b[6..ENTRY_LEN]);
        Ok(EspKeyEntry { spi, secrets })
    }

    fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.spi.to_le_bytes());
        out.extend_from_slice(&0x40u16.to_be_bytes());
        out.extend_from_slice(&self.secrets);
    }
}

/// The body word checks shared by both directions; returns the entries
/// area (from message offset 0x34).
fn split_body(value: &[u8]) -> Result<&[u8], PulseError> {
    let (kind, body) = split_common(value)?;
    let base = HEADER_LEN + COMMON_LEN;
    if kind != ConfigKind::ESP_KEYS {
        return Err(PulseError::new(
            (HEADER_LEN + 16) as u64,
            PulseErrorKind::Config("not an ESP key message"),
        ));
    }
    if body.len() + base < MIN_SERVER_LEN {
        return Err(PulseError::new(
            (base + body.len()) as u64,
            PulseErrorKind::Truncated {
                what: "ESP key message",
                needed: MIN_SERVER_LEN - base - body.len(),
            },
        ));
    }
    if be32(body, 0).map(|l| l as usize) != Some(body.len()) {
        return Err(PulseError::new(
            base as u64,
            PulseErrorKind::BadLength {
                what: "ESP key body",
                length: be32(body, 0).unwrap_or(0) as usize,
            },
        ));
    }
    if be32(body, 4) != Some(MAGIC) {
        return Err(PulseError::new(
            (base + 4) as u64,
            PulseErrorKind::BadFixedBytes {
                what: "ESP key message 01 00 00 00",
            },
        ));
    }
    Ok(&body[8..])
}

fn join_body(entries: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(8 + entries.len());
    body.extend_from_slice(&((8 + entries.len()) as u32).to_be_bytes());
    body.extend_from_slice(&MAGIC.to_be_bytes());
    body.extend_from_slice(entries);
    join_common(ConfigKind::ESP_KEYS, &body)
}

/// The gateway's ESP key message: the SA for client-to-server packets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EspKeyMessage {
    /// SPI and keys of the client-to-server SA.
    pub entry: EspKeyEntry,
    /// Bytes after the entry, kept as received (six zero bytes seen).
    pub trailer: Vec<u8>,
}

impl EspKeyMessage {
    /// A message as gateways send it (six zero trailing bytes).
    pub fn new(entry: EspKeyEntry) -> Self {
        EspKeyMessage {
            entry,
            trailer: alloc::vec![0; SERVER_TRAILER],
        }
    }

    /// Parses the value of a Juniper type 1 message of kind 0x21202400.
    pub fn parse(value: &[u8]) -> Result<Self, PulseError> {
        let e = split_body(value)?;
        let entry = EspKeyEntry::parse(e, 0x34)?;
        Ok(EspKeyMessage {
            entry,
            trailer: e[ENTRY_LEN..].to_vec(),
        })
    }

    /// The message with identifier `id`.
    pub fn to_message(&self, id: u32) -> IftMessage {
        let mut e = Vec::new();
        self.entry.emit(&mut e);
        e.extend_from_slice(&self.trailer);
        IftMessage::new(MessageType::CONFIG, id, join_body(&e))
    }
}

/// The client's reply: its SA for server-to-client packets, then a copy
/// of the gateway's entry (192 bytes in all).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EspKeyReply {
    /// SPI and keys of the server-to-client SA (chosen by the client).
    pub client: EspKeyEntry,
    /// The copy of the gateway's entry.
    pub server: EspKeyEntry,
}

impl EspKeyReply {
    /// Parses the value; the message must be exactly 192 bytes.
    pub fn parse(value: &[u8]) -> Result<Self, PulseError> {
        if value.len() + HEADER_LEN != REPLY_LEN {
            return Err(PulseError::new(
                8,
                PulseErrorKind::BadLength {
                    what: "ESP key reply",
                    length: value.len() + HEADER_LEN,
                },
            ));
        }
        let e = split_body(value)?;
        Ok(EspKeyReply {
            client: EspKeyEntry::parse(e, 0x34)?,
            server: EspKeyEntry::parse(&e[ENTRY_LEN..], 0x7a)?,
        })
    }

    /// The message with identifier `id`.
    pub fn to_message(&self, id: u32) -> IftMessage {
        let mut e = Vec::new();
        self.client.emit(&mut e);
        self.server.emit(&mut e);
        IftMessage::new(MessageType::CONFIG, id, join_body(&e))
    }
}
