//! Diameter-style AVPs (RFC 5281 §10.1) inside Juniper/1 EAP packets
//! (spec/pulse.md §4.4, §4.5): code, flags (V, M), 24-bit length without
//! the padding, optional vendor id, data, then zero to three padding bytes
//! whose contents are ignored.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{PulseError, PulseErrorKind};
use super::parse::{be32, truncated};

/// V flag: a vendor id follows the length.
pub const FLAG_VENDOR: u8 = 0x80;
/// M flag: the receiver must understand the AVP.
pub const FLAG_MANDATORY: u8 = 0x40;

/// The Pulse AVP vendor id 0x583 (Funk Software; "Juniper2" in
/// OpenConnect).
pub const PULSE_AVP_VENDOR: u32 = 0x0583;

/// AVP codes of spec/pulse.md §4.5 (vendor 0x583 unless noted).
pub mod code {
    /// 79, no vendor: EAP-Message (nested EAP).
    pub const EAP_MESSAGE: u32 = 0x4f;
    /// Unknown BE32 in the first server request (and sent by the
    /// official client).
    pub const D49: u32 = 0xd49;
    /// Unknown BE32 in the first server request.
    pub const D4A: u32 = 0xd4a;
    /// Realm list entry (repeated).
    pub const REALM_LIST: u32 = 0xd4e;
    /// "Type a realm name".
    pub const REALM_ENTRY: u32 = 0xd4f;
    /// Chosen or typed realm.
    pub const REALM: u32 = 0xd50;
    /// Region list entry (9.10+).
    pub const REGION_LIST: u32 = 0xd51;
    /// Chosen region.
    pub const REGION: u32 = 0xd52;
    /// Session cookie (DSID value).
    pub const COOKIE: u32 = 0xd53;
    /// Unknown string sent with the cookie.
    pub const D54: u32 = 0xd54;
    /// MD5 of the gateway certificate, 32 hex characters.
    pub const CERT_MD5: u32 = 0xd55;
    /// Licensing information.
    pub const LICENCE: u32 = 0xd56;
    /// Unknown BE32 sent with the cookie.
    pub const D57: u32 = 0xd57;
    /// Remaining session lifetime, seconds.
    pub const SESSION_LIFETIME: u32 = 0xd5c;
    /// Client OS.
    pub const CLIENT_OS: u32 = 0xd5e;
    /// Client language.
    pub const LANGUAGE: u32 = 0xd5f;
    /// Authentication failure code.
    pub const FAILURE: u32 = 0xd60;
    /// One existing session (nested AVPs).
    pub const SESSION: u32 = 0xd65;
    /// Session id (in 0xd65).
    pub const SESSION_ID: u32 = 0xd66;
    /// Session origin address (in 0xd65).
    pub const SESSION_FROM: u32 = 0xd67;
    /// Session login time, BE64 Unix seconds (in 0xd65).
    pub const SESSION_TIME: u32 = 0xd68;
    /// Session id to terminate.
    pub const KILL_SESSION: u32 = 0xd69;
    /// User name.
    pub const USERNAME: u32 = 0xd6d;
    /// Client version string.
    pub const CLIENT_VERSION: u32 = 0xd70;
    /// Which fields to ask for.
    pub const PROMPT_FIELDS: u32 = 0xd73;
    /// Idle timeout, seconds.
    pub const IDLE_TIMEOUT: u32 = 0xd75;
    /// Sign-in notice text.
    pub const NOTICE: u32 = 0xd7b;
    /// Sign-in notice acknowledgement.
    pub const NOTICE_ACK: u32 = 0xd7c;
    /// Prompt label: user name.
    pub const LABEL_USER: u32 = 0xd80;
    /// Prompt label: password.
    pub const LABEL_PASSWORD: u32 = 0xd81;
    /// Prompt label: secondary user name.
    pub const LABEL_USER2: u32 = 0xd82;
    /// Prompt label: secondary password.
    pub const LABEL_PASSWORD2: u32 = 0xd83;
}

/// A short name of a Pulse AVP code, if known.
pub fn code_name(vendor: Option<u32>, c: u32) -> Option<&'static str> {
    if vendor.is_none() {
        return (c == code::EAP_MESSAGE).then_some("EAP-Message");
    }
    if vendor != Some(PULSE_AVP_VENDOR) {
        return None;
    }
    Some(match c {
        code::REALM_LIST => "realm list",
        code::REALM_ENTRY => "realm entry",
        code::REALM => "realm",
        code::REGION_LIST => "region list",
        code::REGION => "region",
        code::COOKIE => "cookie",
        code::CERT_MD5 => "certificate MD5",
        code::LICENCE => "licence",
        code::SESSION_LIFETIME => "session lifetime",
        code::CLIENT_OS => "client OS",
        code::LANGUAGE => "language",
        code::FAILURE => "failure",
        code::SESSION => "existing session",
        code::SESSION_ID => "session id",
        code::SESSION_FROM => "session origin",
        code::SESSION_TIME => "session time",
        code::KILL_SESSION => "kill session",
        code::USERNAME => "user name",
        code::CLIENT_VERSION => "client version",
        code::PROMPT_FIELDS => "prompt fields",
        code::IDLE_TIMEOUT => "idle timeout",
        code::NOTICE => "sign-in notice",
        code::NOTICE_ACK => "notice acknowledgement",
        code::LABEL_USER => "user name label",
        code::LABEL_PASSWORD => "password label",
        code::LABEL_USER2 => "secondary user name label",
        code::LABEL_PASSWORD2 => "secondary password label",
        _ => return None,
    })
}

/// One AVP.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Avp {
    /// AVP code.
    pub code: u32,
    /// Flags byte as received; V is set on emission iff `vendor` is
    /// `Some`.
    pub flags: u8,
    /// Vendor id (present iff the V flag is set).
    pub vendor: Option<u32>,
    /// The data, without padding.
    pub data: Vec<u8>,
}

impl core::fmt::Debug for Avp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Cookie, user name and nested EAP can be secrets: sizes only.
        f.debug_struct("Avp")
            .field("code", &format_args!("{:#x}", self.code))
            .field("flags", &format_args!("{:#04x}", self.flags))
            .field("vendor", &self.vendor)
            .field("data_len", &self.data.len())
            .finish()
    }
}

impl Avp {
    /// A Pulse AVP (vendor 0x583, flags 0x80 as OpenConnect sends them).
    pub fn pulse(code: u32, data: Vec<u8>) -> Avp {
        Avp {
            code,
            flags: FLAG_VENDOR,
            vendor: Some(PULSE_AVP_VENDOR),
            data,
        }
    }

    /// A Pulse AVP holding a string.
    pub fn pulse_str(code: u32, s: &str) -> Avp {
        Self::pulse(code, s.as_bytes().to_vec())
    }

    /// A Pulse AVP holding a BE32.
    pub fn pulse_u32(code: u32, v: u32) -> Avp {
        Self::pulse(code, v.to_be_bytes().to_vec())
    }

    /// AVP 79, EAP-Message (flags 0x40, no vendor), holding `eap`.
    pub fn eap_message(eap: Vec<u8>) -> Avp {
        Avp {
            code: code::EAP_MESSAGE,
            flags: FLAG_MANDATORY,
            vendor: None,
            data: eap,
        }
    }

    /// Whether the M flag is set.
    pub fn mandatory(&self) -> bool {
        self.flags & FLAG_MANDATORY != 0
    }

    /// Whether this is the Pulse AVP `c` (vendor 0x583).
    pub fn is_pulse(&self, c: u32) -> bool {
        self.vendor == Some(PULSE_AVP_VENDOR) && self.code == c
    }

    /// Whether this is the EAP-Message AVP (no vendor, code 79).
    pub fn is_eap_message(&self) -> bool {
        self.vendor.is_none() && self.code == code::EAP_MESSAGE
    }

    /// The data as a BE32, or a typed error.
    pub fn as_u32(&self) -> Result<u32, PulseError> {
        let b: [u8; 4] = self.data.as_slice().try_into().map_err(|_| {
            PulseError::new(
                0,
                PulseErrorKind::BadAvp {
                    code: self.code,
                    problem: "not a 4-byte number",
                },
            )
        })?;
        Ok(u32::from_be_bytes(b))
    }

    /// The data as UTF-8 text, or a typed error.
    pub fn as_str(&self) -> Result<&str, PulseError> {
        core::str::from_utf8(&self.data).map_err(|_| {
            PulseError::new(
                0,
                PulseErrorKind::BadAvp {
                    code: self.code,
                    problem: "not UTF-8 text",
                },
            )
        })
    }

    /// The data as an owned string, or a typed error.
    pub fn to_string(&self) -> Result<String, PulseError> {
        self.as_str().map(String::from)
    }

    /// Header length: 12 with a vendor id, 8 without.
    pub fn header_len(&self) -> usize {
        if self.vendor.is_some() { 12 } else { 8 }
    }

    /// The length field: header + data, padding not counted.
    pub fn length(&self) -> usize {
        self.header_len() + self.data.len()
    }

    /// Length with padding to a multiple of 4.
    pub fn padded_len(&self) -> usize {
        self.length().next_multiple_of(4)
    }

    /// Appends the AVP and its zero padding to `out`. A length above the
    /// 24-bit field saturates (never produced by the parsers).
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.code.to_be_bytes());
        let flags = (self.flags & !FLAG_VENDOR)
            | if self.vendor.is_some() {
                FLAG_VENDOR
            } else {
                0
            };
        let len = (self.length() as u32).min(0x00ff_ffff);
        out.extend_from_slice(&((u32::from(flags) << 24) | len).to_be_bytes());
        if let Some(v) = self.vendor {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.data);
        out.resize(out.len() + (self.padded_len() - self.length()), 0);
    }
}

/// Parses a list of AVPs filling `b`. Padding after an AVP is skipped
/// whatever its contents, and may be missing after the last one; an AVP
/// whose length is below its header or runs past `b` is an error.
pub fn parse_avps(b: &[u8]) -> Result<Vec<Avp>, PulseError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let (avp, used) = parse_one(&b[pos..]).map_err(|e| e.shifted(pos as u64))?;
        out.push(avp);
        pos += used.min(b.len() - pos);
    }
    Ok(out)
}

/// One AVP at the start of `b`; returns it and its padded length (which
/// may exceed `b.len()` when the final padding is missing).
fn parse_one(b: &[u8]) -> Result<(Avp, usize), PulseError> {
    if b.len() < 8 {
        return Err(truncated(b.len(), "AVP header", 8 - b.len()));
    }
    let code = be32(b, 0).unwrap_or(0);
    let word = be32(b, 4).unwrap_or(0);
    let flags = (word >> 24) as u8;
    let length = (word & 0x00ff_ffff) as usize;
    let header = if flags & FLAG_VENDOR != 0 { 12 } else { 8 };
    if length < header {
        return Err(PulseError::new(
            5,
            PulseErrorKind::BadLength {
                what: "AVP",
                length,
            },
        ));
    }
    if b.len() < length {
        return Err(truncated(b.len(), "AVP", length - b.len()));
    }
    let vendor = (header == 12).then(|| be32(b, 8).unwrap_or(0));
    Ok((
        Avp {
            code,
            flags,
            vendor,
            data: b[header..length].to_vec(),
        },
        length.next_multiple_of(4),
    ))
}

/// Appends `avps` (each padded) to `out`.
pub fn emit_avps(avps: &[Avp], out: &mut Vec<u8>) {
    for a in avps {
        a.emit(out);
    }
}

/// The padded length of `avps`.
pub fn avps_len(avps: &[Avp]) -> usize {
    avps.iter().map(Avp::padded_len).sum()
}
