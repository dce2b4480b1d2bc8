//! The small Juniper messages (spec/pulse.md §3.5, §5.8, §6.3, §6.8, §7.2
//! – §7.4): client information 0x88, `ncmo=1` (5), end of configuration
//! 0x8f, IP data 4, fatal error 0x93, licence 0x96 and logout 0x89.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{PulseError, PulseErrorKind};
use super::ift::{IftMessage, MessageType};

/// The value of `ncmo=1` (Juniper 5): `ncmo=1\n\0`.
pub const NCMO_VALUE: &[u8] = b"ncmo=1\n\0";

/// The value of the end-of-configuration message (Juniper 0x8f).
pub const END_OF_CONFIG_VALUE: [u8; 4] = [0; 4];

/// Client information (Juniper 0x88): space-separated `key=value` pairs
/// ended by `\n` and one NUL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ClientInfo {
    /// The pairs in order (`clientHostName`, `clientIp`, …).
    pub pairs: Vec<(String, String)>,
}

impl ClientInfo {
    /// The 9.01 form: `clientHostName=<host>` and, when known,
    /// `clientIp=<addr>`.
    pub fn new(host_name: &str, client_ip: Option<&str>) -> Self {
        let mut pairs = alloc::vec![(String::from("clientHostName"), String::from(host_name))];
        if let Some(ip) = client_ip {
            pairs.push((String::from("clientIp"), String::from(ip)));
        }
        ClientInfo { pairs }
    }

    /// The value of a key, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Parses the value. The final NUL and the `\n` before it are
    /// optional (nobody checks them) and removed once each; a word without
    /// `=` is kept with an empty value.
    pub fn parse(value: &[u8]) -> Result<Self, PulseError> {
        let text = core::str::from_utf8(value).map_err(|e| {
            PulseError::new(
                e.valid_up_to() as u64,
                PulseErrorKind::NotUtf8("client information"),
            )
        })?;
        let text = text.strip_suffix('\0').unwrap_or(text);
        let text = text.strip_suffix('\n').unwrap_or(text);
        let pairs = text
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (String::from(k), String::from(v)),
                None => (String::from(w), String::new()),
            })
            .collect();
        Ok(ClientInfo { pairs })
    }

    /// The value bytes.
    pub fn to_value(&self) -> Vec<u8> {
        let mut v = Vec::new();
        for (i, (k, val)) in self.pairs.iter().enumerate() {
            if i > 0 {
                v.push(b' ');
            }
            v.extend_from_slice(k.as_bytes());
            v.push(b'=');
            v.extend_from_slice(val.as_bytes());
        }
        v.extend_from_slice(b"\n\0");
        v
    }

    /// The Juniper 0x88 message with identifier `id`.
    pub fn to_message(&self, id: u32) -> IftMessage {
        IftMessage::new(MessageType::CLIENT_INFO, id, self.to_value())
    }
}

/// A fatal error from the gateway (Juniper 0x93):
/// `errorType=<decimal> errorString=<URL-encoded text>\n`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FatalError {
    /// The error type (6 replaced by another session, 7 terminated, 8 idle
    /// timeout; others unknown).
    pub error_type: u32,
    /// The decoded text.
    pub text: String,
}

impl FatalError {
    /// A short meaning of [`Self::error_type`], if known (spec §7.2).
    pub fn meaning(&self) -> Option<&'static str> {
        match self.error_type {
            6 => Some("another session replaced this one"),
            7 => Some("session terminated"),
            8 => Some("session timed out"),
            _ => None,
        }
    }

    /// Parses the value; `None` when it does not match the pattern (a
    /// receiver then ignores the message, as OpenConnect does). The last
    /// byte is taken as the `\n`, as OpenConnect overwrites it; `+` and
    /// `%XX` are decoded as by OpenConnect's `urldecode_inplace`.
    pub fn parse(value: &[u8]) -> Option<FatalError> {
        if value.len() < 12 {
            return None;
        }
        let body = value[..value.len() - 1].strip_prefix(b"errorType=")?;
        let digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
        let error_type = core::str::from_utf8(&body[..digits]).ok()?.parse().ok()?;
        let encoded = body[digits..].strip_prefix(b" errorString=")?;
        let decoded = url_decode(encoded);
        Some(FatalError {
            error_type,
            text: String::from_utf8_lossy(&decoded).into_owned(),
        })
    }

    /// The value bytes (text URL-encoded).
    pub fn to_value(&self) -> Vec<u8> {
        let mut v = alloc::format!("errorType={} errorString=", self.error_type).into_bytes();
        for &b in self.text.as_bytes() {
            match b {
                b' ' => v.push(b'+'),
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => v.push(b),
                _ => v.extend_from_slice(alloc::format!("%{b:02X}").as_bytes()),
            }
        }
        v.push(b'\n');
        v
    }

    /// The Juniper 0x93 message with identifier `id`.
    pub fn to_message(&self, id: u32) -> IftMessage {
        IftMessage::new(MessageType::FATAL_ERROR, id, self.to_value())
    }
}

fn url_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The Juniper 4 message carrying one IP packet.
pub fn data_message(id: u32, packet: &[u8]) -> IftMessage {
    IftMessage::new(MessageType::DATA, id, packet.to_vec())
}

/// The `ncmo=1` message (Juniper 5).
pub fn ncmo_message(id: u32) -> IftMessage {
    IftMessage::new(MessageType::NCMO, id, NCMO_VALUE.to_vec())
}

/// The end-of-configuration message (Juniper 0x8f).
pub fn end_of_config_message(id: u32) -> IftMessage {
    IftMessage::new(MessageType::END_OF_CONFIG, id, END_OF_CONFIG_VALUE.to_vec())
}

/// The logout message (Juniper 0x89, no value).
pub fn logout_message(id: u32) -> IftMessage {
    IftMessage::new(MessageType::LOGOUT, id, Vec::new())
}

/// The licence message (Juniper 0x96) with `text`.
pub fn licence_message(id: u32, text: &str) -> IftMessage {
    IftMessage::new(MessageType::LICENCE, id, text.as_bytes().to_vec())
}
