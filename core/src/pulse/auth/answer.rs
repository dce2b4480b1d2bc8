//! The client's Juniper/1 responses (spec/pulse.md §4.6, §4.7, §4.9):
//! the first one with the client version (and a cookie to reuse), then
//! one answer per request, and the empty response after the cookie.
//! [`ClientAnswer::to_avps`] builds them; [`ClientAnswer::from_avps`]
//! reads them for a gateway.

use alloc::string::String;
use alloc::vec::Vec;

use super::super::avp::{Avp, PULSE_AVP_VENDOR, code};
use super::super::eap::{EapCode, EapPacket, eap_type, juniper_type};
use super::super::error::{PulseError, PulseErrorKind};
use super::super::secret::Secret;
use super::credentials::{
    Juniper2Response, gtc_response, juniper5_password, juniper5_response_data,
};

/// A nested credential answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Credential {
    /// Juniper/2 response: password (and new password for a change).
    Password(Juniper2Response),
    /// Juniper/5 response: password in 18 bytes.
    Password5(Secret),
    /// GTC response: token code.
    Token(Secret),
}

/// What the client answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientAnswer {
    /// First response: 0xd5e OS (9.20+), 0xd70 version, 0xd53 cookie.
    Hello {
        /// 0xd70: client version string.
        version: String,
        /// 0xd53: cookie to reuse.
        cookie: Option<Secret>,
        /// 0xd5e: client OS.
        os: Option<String>,
    },
    /// 0xd50: chosen or typed realm.
    Realm(String),
    /// 0xd52: chosen region.
    Region(String),
    /// [0xd6d user name] + AVP 79 with a credential.
    Credential {
        /// 0xd6d, when the user name was asked for.
        username: Option<String>,
        /// Nested EAP identifier (echoing the request's).
        inner_id: u8,
        /// The credential.
        credential: Credential,
    },
    /// 0xd69: session id to end.
    KillSession(String),
    /// 0xd7c = 1: notice acknowledged.
    NoticeAck,
    /// No AVPs: the answer to the cookie.
    Empty,
}

/// A client response: its answer and any other AVPs (e.g. the official
/// client's 0xd6b, unknown ones), kept as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientResponse {
    /// The answer.
    pub answer: ClientAnswer,
    /// Other AVPs.
    pub other: Vec<Avp>,
}

fn bad(p: &'static str) -> PulseError {
    PulseError::new(0, PulseErrorKind::BadRequest(p))
}

impl ClientAnswer {
    /// The AVPs of this answer. Errors if a credential is too long.
    pub fn to_avps(&self) -> Result<Vec<Avp>, PulseError> {
        let mut v = Vec::new();
        match self {
            ClientAnswer::Hello {
                version,
                cookie,
                os,
            } => {
                if let Some(os) = os {
                    v.push(Avp::pulse_str(code::CLIENT_OS, os));
                }
                v.push(Avp::pulse_str(code::CLIENT_VERSION, version));
                if let Some(c) = cookie {
                    v.push(Avp::pulse_str(code::COOKIE, c.expose()));
                }
            }
            ClientAnswer::Realm(r) => v.push(Avp::pulse_str(code::REALM, r)),
            ClientAnswer::Region(r) => v.push(Avp::pulse_str(code::REGION, r)),
            ClientAnswer::Credential {
                username,
                inner_id,
                credential,
            } => {
                if let Some(u) = username {
                    v.push(Avp::pulse_str(code::USERNAME, u));
                }
                let eap = match credential {
                    Credential::Password(r) => EapPacket::juniper(
                        EapCode::Response,
                        *inner_id,
                        juniper_type::PASSWORD,
                        r.to_data()?,
                    ),
                    Credential::Password5(p) => EapPacket::juniper(
                        EapCode::Response,
                        *inner_id,
                        juniper_type::PASSWORD5,
                        juniper5_response_data(p),
                    ),
                    Credential::Token(c) => gtc_response(*inner_id, c)?,
                };
                v.push(Avp::eap_message(eap.to_bytes()));
            }
            ClientAnswer::KillSession(s) => v.push(Avp::pulse_str(code::KILL_SESSION, s)),
            ClientAnswer::NoticeAck => v.push(Avp::pulse_u32(code::NOTICE_ACK, 1)),
            ClientAnswer::Empty => {}
        }
        Ok(v)
    }

    /// Reads a client response's AVPs. Unknown AVPs are kept in
    /// [`ClientResponse::other`]; mixing answers is an error.
    pub fn from_avps(avps: &[Avp]) -> Result<ClientResponse, PulseError> {
        let mut version = None;
        let mut cookie = None;
        let mut os = None;
        let mut username = None;
        let mut nested = None;
        let mut answers = Vec::new();
        let mut other = Vec::new();
        for a in avps {
            if a.is_eap_message() {
                if nested.replace(&a.data).is_some() {
                    return Err(bad("several EAP-Message AVPs"));
                }
                continue;
            }
            if a.vendor != Some(PULSE_AVP_VENDOR) {
                other.push(a.clone());
                continue;
            }
            match a.code {
                code::CLIENT_VERSION => version = Some(a.to_string()?),
                code::COOKIE => cookie = Some(Secret::new(a.to_string()?)),
                code::CLIENT_OS => os = Some(a.to_string()?),
                code::USERNAME => username = Some(a.to_string()?),
                code::REALM => answers.push(ClientAnswer::Realm(a.to_string()?)),
                code::REGION => answers.push(ClientAnswer::Region(a.to_string()?)),
                code::KILL_SESSION => answers.push(ClientAnswer::KillSession(a.to_string()?)),
                code::NOTICE_ACK => {
                    a.as_u32()?;
                    answers.push(ClientAnswer::NoticeAck)
                }
                _ => other.push(a.clone()),
            }
        }
        if let Some(version) = version {
            answers.push(ClientAnswer::Hello {
                version,
                cookie: cookie.take(),
                os: os.take(),
            });
        }
        if let Some(data) = nested {
            let (inner_id, credential) = parse_credential(data)?;
            answers.push(ClientAnswer::Credential {
                username: username.take(),
                inner_id,
                credential,
            });
        }
        if cookie.is_some() || os.is_some() {
            return Err(bad("cookie or OS outside the first response"));
        }
        if username.is_some() {
            return Err(bad("user name without a credential"));
        }
        let answer = match answers.len() {
            0 => ClientAnswer::Empty,
            1 => answers.pop().unwrap_or(ClientAnswer::Empty),
            _ => return Err(bad("several answers in one response")),
        };
        Ok(ClientResponse { answer, other })
    }
}

fn parse_credential(data: &[u8]) -> Result<(u8, Credential), PulseError> {
    let eap = EapPacket::parse(data)?;
    if eap.code != EapCode::Response {
        return Err(bad("nested EAP is not a Response"));
    }
    let c = match (eap.eap_type(), eap.juniper_type()) {
        (Some(eap_type::GTC), _) => Credential::Token(Secret::new(
            core::str::from_utf8(eap.data())
                .map_err(|_| PulseError::new(0, PulseErrorKind::NotUtf8("token code")))?,
        )),
        (_, Some(juniper_type::PASSWORD)) => {
            Credential::Password(Juniper2Response::parse(eap.data())?)
        }
        (_, Some(juniper_type::PASSWORD5)) => Credential::Password5(juniper5_password(eap.data())?),
        _ => return Err(bad("unknown nested EAP method in a response")),
    };
    Ok((eap.identifier, c))
}
