//! Typed IF-T messages: [`Message::decode`] dispatches on (vendor, type)
//! and, for Juniper type 1, on the kind word (spec/pulse.md §3.3, §5.2);
//! [`Message::to_ift`] builds the wire message. Unknown types are kept
//! raw.

use alloc::string::String;
use alloc::vec::Vec;

use super::auth::AuthMessage;
use super::config::{ConfigKind, EspKeyMessage, EspKeyReply, MainConfig};
use super::control::{
    ClientInfo, END_OF_CONFIG_VALUE, FatalError, NCMO_VALUE, data_message, end_of_config_message,
    licence_message, logout_message, ncmo_message,
};
use super::error::{PulseError, PulseErrorKind};
use super::ift::{HEADER_LEN, IftMessage, MessageType};
use super::version::{VersionRequest, VersionResponse};

/// Who sent a message (Juniper type 1 ESP keys differ by direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sender {
    /// The client.
    Client,
    /// The gateway.
    Gateway,
}

/// A decoded IF-T message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Message {
    /// TCG 1.
    VersionRequest(VersionRequest),
    /// TCG 2.
    VersionResponse(VersionResponse),
    /// TCG 5, 6, 7.
    Auth(AuthMessage),
    /// Juniper 0x88.
    ClientInfo(ClientInfo),
    /// Juniper 1, main kinds.
    Config(MainConfig),
    /// Juniper 1, ESP keys from the gateway.
    EspKeys(EspKeyMessage),
    /// Juniper 1, ESP key reply from the client.
    EspReply(EspKeyReply),
    /// Juniper 1 of another kind, kept raw.
    OtherConfig {
        /// Kind word.
        kind: ConfigKind,
        /// Whole value.
        value: Vec<u8>,
    },
    /// Juniper 4: one IP packet.
    Data(Vec<u8>),
    /// Juniper 5 `ncmo=1` (value as received).
    Ncmo(Vec<u8>),
    /// Juniper 0x8f.
    EndOfConfig,
    /// Juniper 0x93 matching the pattern.
    FatalError(FatalError),
    /// Juniper 0x96, licence text.
    Licence(String),
    /// Juniper 0x89.
    Logout,
    /// Anything else (including a 0x93 not matching its pattern).
    Unknown(IftMessage),
}

impl Message {
    /// Decodes `msg` sent by `sender`. Malformed known messages are
    /// errors; unknown types are [`Message::Unknown`].
    pub fn decode(msg: &IftMessage, sender: Sender) -> Result<Message, PulseError> {
        let shift = |e: PulseError| e.shifted(HEADER_LEN as u64);
        let v = msg.value.as_slice();
        Ok(match msg.msg_type {
            MessageType::VERSION_REQUEST => {
                Message::VersionRequest(VersionRequest::parse(v).map_err(shift)?)
            }
            MessageType::VERSION_RESPONSE => {
                Message::VersionResponse(VersionResponse::parse(v).map_err(shift)?)
            }
            MessageType::AUTH_CHALLENGE
            | MessageType::AUTH_RESPONSE
            | MessageType::AUTH_SUCCESS => Message::Auth(AuthMessage::parse(msg)?),
            MessageType::CLIENT_INFO => Message::ClientInfo(ClientInfo::parse(v).map_err(shift)?),
            MessageType::CONFIG => {
                let (kind, _) = super::config::header::split_common(v)?;
                match (kind, sender) {
                    (ConfigKind::MAIN | ConfigKind::MAIN_EXTENDED, _) => {
                        Message::Config(MainConfig::parse(v)?)
                    }
                    (ConfigKind::ESP_KEYS, Sender::Gateway) => {
                        Message::EspKeys(EspKeyMessage::parse(v)?)
                    }
                    (ConfigKind::ESP_KEYS, Sender::Client) => {
                        Message::EspReply(EspKeyReply::parse(v)?)
                    }
                    _ => Message::OtherConfig {
                        kind,
                        value: v.to_vec(),
                    },
                }
            }
            MessageType::DATA => Message::Data(v.to_vec()),
            MessageType::NCMO => Message::Ncmo(v.to_vec()),
            MessageType::END_OF_CONFIG => {
                if v != END_OF_CONFIG_VALUE {
                    return Err(PulseError::new(
                        HEADER_LEN as u64,
                        PulseErrorKind::BadFixedBytes {
                            what: "end of configuration value",
                        },
                    ));
                }
                Message::EndOfConfig
            }
            MessageType::FATAL_ERROR => match FatalError::parse(v) {
                Some(f) => Message::FatalError(f),
                None => Message::Unknown(msg.clone()),
            },
            MessageType::LICENCE => Message::Licence(String::from_utf8_lossy(v).into_owned()),
            MessageType::LOGOUT => {
                if !v.is_empty() {
                    return Err(PulseError::new(
                        HEADER_LEN as u64,
                        PulseErrorKind::TrailingBytes {
                            what: "logout",
                            extra: v.len(),
                        },
                    ));
                }
                Message::Logout
            }
            _ => Message::Unknown(msg.clone()),
        })
    }

    /// The wire message with identifier `id`.
    pub fn to_ift(&self, id: u32) -> IftMessage {
        match self {
            Message::VersionRequest(r) => r.to_message(id),
            Message::VersionResponse(r) => r.to_message(id),
            Message::Auth(a) => a.to_message(id),
            Message::ClientInfo(c) => c.to_message(id),
            Message::Config(c) => c.to_message(id),
            Message::EspKeys(k) => k.to_message(id),
            Message::EspReply(r) => r.to_message(id),
            Message::OtherConfig { value, .. } => {
                IftMessage::new(MessageType::CONFIG, id, value.clone())
            }
            Message::Data(p) => data_message(id, p),
            Message::Ncmo(v) if v.as_slice() == NCMO_VALUE => ncmo_message(id),
            Message::Ncmo(v) => IftMessage::new(MessageType::NCMO, id, v.clone()),
            Message::EndOfConfig => end_of_config_message(id),
            Message::FatalError(f) => f.to_message(id),
            Message::Licence(t) => licence_message(id, t),
            Message::Logout => logout_message(id),
            Message::Unknown(m) => IftMessage::new(m.msg_type, id, m.value.clone()),
        }
    }
}
