//! The credential payloads nested in AVP 79 (spec/pulse.md §4.8):
//! Juniper/2 password requests and responses (TLVs of 1-byte type and a
//! 1-byte length counting the TLV header), Juniper/5 (password in exactly
//! 18 bytes) and GTC token codes.

use alloc::string::String;
use alloc::vec::Vec;

use super::super::eap::{EapCode, EapPacket, eap_type, juniper_type};
use super::super::error::{PulseError, PulseErrorKind};
use super::super::secret::Secret;

/// Longest password or token code a 1-byte TLV length allows.
pub const MAX_CREDENTIAL_LEN: usize = 253;

/// Bytes of the password field in a Juniper/5 response.
pub const JUNIPER5_PASSWORD_LEN: usize = 18;

/// Juniper/2 request codes.
pub mod j2 {
    /// Password wanted.
    pub const PASSWORD: u8 = 0x01;
    /// Response code byte.
    pub const RESPONSE: u8 = 0x02;
    /// Password expired, change required.
    pub const CHANGE: u8 = 0x43;
    /// Password wanted again.
    pub const RETRY: u8 = 0x81;
    /// Failure, with a text TLV.
    pub const FAILURE: u8 = 0xc5;
    /// TLV: current password.
    pub const TLV_PASSWORD: u8 = 0x02;
    /// TLV: new password.
    pub const TLV_NEW_PASSWORD: u8 = 0x03;
    /// TLV: failure message text.
    pub const TLV_MESSAGE: u8 = 0x01;
}

/// A Juniper/2 request from the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Juniper2Request {
    /// 0x01: password wanted.
    Password,
    /// 0x81: password wanted again (previous one rejected).
    Retry,
    /// 0x43: password expired, a new one is required.
    Change,
    /// 0xc5: failure with a message.
    Failure(String),
}

impl Juniper2Request {
    /// Parses the type data (after the expanded header). Codes 0x01, 0x81
    /// and 0x43 must be exactly one byte; 0xc5 must carry one message TLV
    /// filling the rest, as OpenConnect checks.
    pub fn parse(data: &[u8]) -> Result<Self, PulseError> {
        let bad = |p| PulseError::new(0, PulseErrorKind::Eap(p));
        match data {
            [j2::PASSWORD] => Ok(Juniper2Request::Password),
            [j2::RETRY] => Ok(Juniper2Request::Retry),
            [j2::CHANGE] => Ok(Juniper2Request::Change),
            [j2::FAILURE, j2::TLV_MESSAGE, len, text @ ..]
                if *len as usize == text.len() + 2 && !text.is_empty() =>
            {
                Ok(Juniper2Request::Failure(
                    String::from_utf8_lossy(text).into_owned(),
                ))
            }
            [j2::PASSWORD | j2::RETRY | j2::CHANGE, ..] => {
                Err(bad("Juniper/2 request with extra bytes"))
            }
            [j2::FAILURE, ..] => Err(bad("Juniper/2 failure without a message")),
            _ => Err(bad("unknown Juniper/2 request code")),
        }
    }

    /// The type data.
    pub fn to_data(&self) -> Vec<u8> {
        match self {
            Juniper2Request::Password => alloc::vec![j2::PASSWORD],
            Juniper2Request::Retry => alloc::vec![j2::RETRY],
            Juniper2Request::Change => alloc::vec![j2::CHANGE],
            Juniper2Request::Failure(text) => {
                let t = &text.as_bytes()[..text.len().min(MAX_CREDENTIAL_LEN)];
                let mut v = alloc::vec![j2::FAILURE, j2::TLV_MESSAGE, (t.len() + 2) as u8];
                v.extend_from_slice(t);
                v
            }
        }
    }
}

/// A Juniper/2 response: the password and, for a change, the new one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Juniper2Response {
    /// The current password (empty when only a user name was asked for).
    pub password: Secret,
    /// The new password (password change only).
    pub new_password: Option<Secret>,
}

impl Juniper2Response {
    /// Parses the type data: `02`, TLV `02`, optional TLV `03`.
    pub fn parse(data: &[u8]) -> Result<Self, PulseError> {
        let bad = |at: usize, p| PulseError::new(at as u64, PulseErrorKind::Eap(p));
        let Some((&j2::RESPONSE, mut rest)) = data.split_first() else {
            return Err(bad(0, "Juniper/2 response code is not 02"));
        };
        let mut password = None;
        let mut new_password = None;
        while !rest.is_empty() {
            let at = data.len() - rest.len();
            let [t, len, ..] = *rest else {
                return Err(bad(at, "truncated Juniper/2 TLV"));
            };
            let len = len as usize;
            if len < 2 || len > rest.len() {
                return Err(bad(at, "bad Juniper/2 TLV length"));
            }
            let value = core::str::from_utf8(&rest[2..len])
                .map_err(|_| bad(at, "Juniper/2 password is not UTF-8"))?;
            match t {
                j2::TLV_PASSWORD if password.is_none() => password = Some(Secret::from(value)),
                j2::TLV_NEW_PASSWORD if password.is_some() && new_password.is_none() => {
                    new_password = Some(Secret::from(value))
                }
                _ => return Err(bad(at, "unexpected Juniper/2 TLV")),
            }
            rest = &rest[len..];
        }
        Ok(Juniper2Response {
            password: password.ok_or(bad(1, "Juniper/2 response without a password"))?,
            new_password,
        })
    }

    /// The type data; errors if a password exceeds 253 bytes.
    pub fn to_data(&self) -> Result<Vec<u8>, PulseError> {
        let mut v = alloc::vec![j2::RESPONSE];
        push_tlv(&mut v, j2::TLV_PASSWORD, &self.password)?;
        if let Some(n) = &self.new_password {
            push_tlv(&mut v, j2::TLV_NEW_PASSWORD, n)?;
        }
        Ok(v)
    }
}

fn too_long(len: usize) -> PulseError {
    PulseError::new(
        0,
        PulseErrorKind::TooLong {
            what: "credential",
            length: len,
            limit: MAX_CREDENTIAL_LEN,
        },
    )
}

fn push_tlv(v: &mut Vec<u8>, t: u8, s: &Secret) -> Result<(), PulseError> {
    if s.len() > MAX_CREDENTIAL_LEN {
        return Err(too_long(s.len()));
    }
    v.push(t);
    v.push((s.len() + 2) as u8);
    v.extend_from_slice(s.expose().as_bytes());
    Ok(())
}

/// The Juniper/5 response data: `01` and the password truncated or
/// NUL-padded to exactly 18 bytes (spec §4.8).
pub fn juniper5_response_data(password: &Secret) -> Vec<u8> {
    let mut v = alloc::vec![0x01];
    let p = password.expose().as_bytes();
    let n = p.len().min(JUNIPER5_PASSWORD_LEN);
    v.extend_from_slice(&p[..n]);
    v.resize(1 + JUNIPER5_PASSWORD_LEN, 0);
    v
}

/// The password of a Juniper/5 response's data (NUL padding removed).
pub fn juniper5_password(data: &[u8]) -> Result<Secret, PulseError> {
    match data {
        [0x01, p @ ..] if p.len() == JUNIPER5_PASSWORD_LEN => {
            let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
            core::str::from_utf8(&p[..end])
                .map(Secret::from)
                .map_err(|_| PulseError::new(1, PulseErrorKind::NotUtf8("Juniper/5 password")))
        }
        _ => Err(PulseError::new(
            0,
            PulseErrorKind::Eap("Juniper/5 response is not 01 + 18 bytes"),
        )),
    }
}

/// The Juniper/5 request data seen: `01` + five zero bytes.
pub const JUNIPER5_REQUEST_DATA: [u8; 6] = [1, 0, 0, 0, 0, 0];

/// A nested Juniper/2 request packet.
pub fn juniper2_request(identifier: u8, req: &Juniper2Request) -> EapPacket {
    EapPacket::juniper(
        EapCode::Request,
        identifier,
        juniper_type::PASSWORD,
        req.to_data(),
    )
}

/// A nested GTC request with `prompt`.
pub fn gtc_request(identifier: u8, prompt: &str) -> EapPacket {
    EapPacket::typed(
        EapCode::Request,
        identifier,
        eap_type::GTC,
        prompt.as_bytes().to_vec(),
    )
}

/// A nested GTC response with `code`; errors above 253 bytes.
pub fn gtc_response(identifier: u8, code: &Secret) -> Result<EapPacket, PulseError> {
    if code.len() > MAX_CREDENTIAL_LEN {
        return Err(too_long(code.len()));
    }
    Ok(EapPacket::typed(
        EapCode::Response,
        identifier,
        eap_type::GTC,
        code.expose().as_bytes().to_vec(),
    ))
}
