//! The authentication messages, TCG types 5, 6 and 7 (spec/pulse.md §4.2):
//! the auth type word `00 0a 4c 01`, then an EAP packet (absent in the
//! gateway's first, 20-byte challenge).

use alloc::vec::Vec;

use super::super::avp::{Avp, avps_len, emit_avps, parse_avps};
use super::super::eap::{EapCode, EapPacket, juniper_type};
use super::super::error::{PulseError, PulseErrorKind};
use super::super::ift::{HEADER_LEN, IftMessage, MessageType};

/// The only auth type seen: vendor 0x000a4c, method 1.
pub const AUTH_TYPE_JUNIPER: u32 = 0x000a_4c01;

/// Which of the three TCG authentication messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthStage {
    /// TCG 5: challenge (S>C).
    Challenge,
    /// TCG 6: response (C>S).
    Response,
    /// TCG 7: success (S>C).
    Success,
}

impl AuthStage {
    /// The IF-T message type.
    pub const fn message_type(self) -> MessageType {
        match self {
            AuthStage::Challenge => MessageType::AUTH_CHALLENGE,
            AuthStage::Response => MessageType::AUTH_RESPONSE,
            AuthStage::Success => MessageType::AUTH_SUCCESS,
        }
    }

    /// The stage of an IF-T message type, if it is one of the three.
    pub fn of(t: MessageType) -> Option<AuthStage> {
        match t {
            MessageType::AUTH_CHALLENGE => Some(AuthStage::Challenge),
            MessageType::AUTH_RESPONSE => Some(AuthStage::Response),
            MessageType::AUTH_SUCCESS => Some(AuthStage::Success),
            _ => None,
        }
    }
}

/// A TCG 5/6/7 message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthMessage {
    /// Which message.
    pub stage: AuthStage,
    /// The auth type word (checked to be [`AUTH_TYPE_JUNIPER`]).
    pub auth_type: u32,
    /// The EAP packet; `None` only in the first challenge.
    pub eap: Option<EapPacket>,
}

impl AuthMessage {
    /// Parses the value of a TCG 5, 6 or 7 message. The EAP length must
    /// cover the rest of the message exactly.
    pub fn parse(msg: &IftMessage) -> Result<AuthMessage, PulseError> {
        let stage = AuthStage::of(msg.msg_type).ok_or(PulseError::new(
            4,
            PulseErrorKind::UnexpectedMessage {
                vendor: msg.msg_type.vendor.0,
                msg_type: msg.msg_type.number,
            },
        ))?;
        let v = &msg.value;
        let base = HEADER_LEN as u64;
        if v.len() < 4 {
            return Err(PulseError::new(
                base + v.len() as u64,
                PulseErrorKind::Truncated {
                    what: "auth type",
                    needed: 4 - v.len(),
                },
            ));
        }
        let auth_type = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
        if auth_type != AUTH_TYPE_JUNIPER {
            return Err(PulseError::new(
                base,
                PulseErrorKind::BadFixedBytes { what: "auth type" },
            ));
        }
        let eap = if v.len() == 4 {
            None
        } else {
            Some(EapPacket::parse(&v[4..]).map_err(|e| e.shifted(base + 4))?)
        };
        Ok(AuthMessage {
            stage,
            auth_type,
            eap,
        })
    }

    /// The IF-T message with identifier `id`.
    pub fn to_message(&self, id: u32) -> IftMessage {
        let mut value = Vec::with_capacity(4 + self.eap.as_ref().map_or(0, |e| e.wire_len()));
        value.extend_from_slice(&self.auth_type.to_be_bytes());
        if let Some(e) = &self.eap {
            e.emit(&mut value);
        }
        IftMessage::new(self.stage.message_type(), id, value)
    }

    /// The gateway's first challenge: auth type only (20 bytes).
    pub fn start() -> AuthMessage {
        AuthMessage {
            stage: AuthStage::Challenge,
            auth_type: AUTH_TYPE_JUNIPER,
            eap: None,
        }
    }

    /// A message of `stage` carrying `eap`.
    pub fn with_eap(stage: AuthStage, eap: EapPacket) -> AuthMessage {
        AuthMessage {
            stage,
            auth_type: AUTH_TYPE_JUNIPER,
            eap: Some(eap),
        }
    }

    /// A Juniper/1 request (stage challenge) or response with `avps`.
    pub fn juniper1(stage: AuthStage, identifier: u8, avps: &[Avp]) -> AuthMessage {
        let code = if stage == AuthStage::Response {
            EapCode::Response
        } else {
            EapCode::Request
        };
        let mut data = Vec::with_capacity(avps_len(avps));
        emit_avps(avps, &mut data);
        Self::with_eap(
            stage,
            EapPacket::juniper(code, identifier, juniper_type::AVPS, data),
        )
    }

    /// The TCG 7 success with EAP Success `identifier` (24 bytes).
    pub fn success(identifier: u8) -> AuthMessage {
        Self::with_eap(
            AuthStage::Success,
            EapPacket {
                code: EapCode::Success,
                identifier,
                body: super::super::eap::EapBody::Empty,
            },
        )
    }

    /// The AVPs, if this carries a Juniper/1 packet.
    pub fn juniper1_avps(&self) -> Option<Result<Vec<Avp>, PulseError>> {
        let eap = self.eap.as_ref()?;
        (eap.juniper_type() == Some(juniper_type::AVPS))
            .then(|| parse_avps(eap.data()).map_err(|e| e.shifted((HEADER_LEN + 4 + 12) as u64)))
    }
}
