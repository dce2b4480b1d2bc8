//! The gateway's Juniper/1 requests (spec/pulse.md §4.5, §4.7): each asks
//! for exactly one thing (realm, region, password, token code, session to
//! end, notice acknowledgement) or delivers the cookie or a failure;
//! modifier AVPs (prompt fields, labels, lifetimes, certificate MD5) may
//! accompany any of them. [`ServerRequest::from_avps`] classifies as
//! OpenConnect does and [`ServerRequest::to_avps`] builds the AVPs for a
//! gateway.

use alloc::string::String;
use alloc::vec::Vec;

use super::super::avp::{Avp, PULSE_AVP_VENDOR, code, parse_avps};
use super::super::eap::{EapCode, EapPacket, eap_type, juniper_type};
use super::super::error::{PulseError, PulseErrorKind};
use super::super::secret::Secret;
use super::credentials::{JUNIPER5_REQUEST_DATA, Juniper2Request, gtc_request, juniper2_request};

/// One existing session offered for termination (AVP 0xd65).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExistingSession {
    /// 0xd66: session id (what the client sends back in 0xd69).
    pub id: String,
    /// 0xd67: where it was started from.
    pub from: String,
    /// 0xd68: login time, Unix seconds.
    pub login_time: u64,
}

/// Why the gateway refused the login.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Failure {
    /// 0xd60 with its code (0x0d locked out, 0x0e certificate required).
    Code(u32),
    /// Juniper/2 code 0xc5 with its message.
    Message(String),
}

impl Failure {
    /// A human description.
    pub fn describe(&self) -> String {
        match self {
            Failure::Code(0x0d) => String::from("account locked out"),
            Failure::Code(0x0e) => String::from("client certificate required"),
            Failure::Code(c) => alloc::format!("failure code {c:#04x}"),
            Failure::Message(m) => m.clone(),
        }
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// None of the kinds: the gateway's first request (server
    /// information; 0xd49, 0xd4a, 0xd56 end up in `other`).
    ServerInfo,
    /// 0xd4e ×n: choose a realm.
    RealmList(Vec<String>),
    /// 0xd4f: type a realm name.
    RealmEntry,
    /// 0xd51 ×n: choose a region.
    RegionList(Vec<String>),
    /// Nested Juniper/2 password request, change or retry.
    Password {
        /// Nested EAP identifier.
        inner_id: u8,
        /// Which request (never `Failure`; that is [`RequestKind::Failure`]).
        request: Juniper2Request,
    },
    /// Nested Juniper/5 password request (newer gateways).
    Password5 {
        /// Nested EAP identifier.
        inner_id: u8,
    },
    /// Nested GTC: token code.
    Token {
        /// Nested EAP identifier.
        inner_id: u8,
        /// The prompt text.
        prompt: String,
    },
    /// 0xd65 ×n: session limit, choose a session to end.
    SessionLimit(Vec<ExistingSession>),
    /// 0xd7b alone: a sign-in notice to acknowledge.
    Notice,
    /// 0xd53: login done, the session cookie.
    Cookie(Secret),
    /// 0xd60 or Juniper/2 0xc5: the login failed.
    Failure(Failure),
    /// Nested Juniper/3: Host Checker, unsupported.
    HostChecker,
}

/// Modifier AVPs that may accompany any request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Modifiers {
    /// 0xd73: which fields to ask for (1 user+password, 3/15 password,
    /// 5 user).
    pub prompt_fields: Option<u32>,
    /// 0xd80: user name label.
    pub user_label: Option<String>,
    /// 0xd81: password label.
    pub password_label: Option<String>,
    /// 0xd82: secondary user name label.
    pub user2_label: Option<String>,
    /// 0xd83: secondary password label.
    pub password2_label: Option<String>,
    /// 0xd5c: remaining session lifetime, seconds.
    pub session_lifetime: Option<u32>,
    /// 0xd75: idle timeout, seconds.
    pub idle_timeout: Option<u32>,
    /// 0xd55: MD5 of the gateway certificate (hex).
    pub cert_md5: Option<String>,
    /// 0xd7b: sign-in notice text (may accompany another kind).
    pub notice: Option<String>,
}

impl Modifiers {
    /// Whether the user name should be asked for (0xd73 1 or 5, or any
    /// unknown value, as OpenConnect then asks for both; absent: yes).
    pub fn wants_username(&self) -> bool {
        !matches!(self.prompt_fields, Some(3) | Some(15))
    }
    /// Whether the password should be asked for (0xd73 other than 5).
    pub fn wants_password(&self) -> bool {
        self.prompt_fields != Some(5)
    }
}

/// A classified gateway request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerRequest {
    /// What it asks for.
    pub kind: RequestKind,
    /// Modifiers.
    pub modifiers: Modifiers,
    /// Other AVPs kept as received (unknown ones without M, 0xd49, 0xd4a,
    /// 0xd54, 0xd56, 0xd57, …).
    pub other: Vec<Avp>,
}

fn bad_avp(c: u32, problem: &'static str) -> PulseError {
    PulseError::new(0, PulseErrorKind::BadAvp { code: c, problem })
}

fn known_other(c: u32) -> bool {
    matches!(
        c,
        code::D49 | code::D4A | code::D54 | code::LICENCE | code::D57 | 0xd8b | 0xd8d
    )
}

impl ServerRequest {
    /// A request of `kind` without modifiers.
    pub fn new(kind: RequestKind) -> Self {
        ServerRequest {
            kind,
            modifiers: Modifiers::default(),
            other: Vec::new(),
        }
    }

    /// Classifies the AVPs of a Juniper/1 request. Errors: an unknown AVP
    /// with M set, a known AVP of the wrong size, a nested EAP that is not
    /// a Request of a known method, or several kinds at once (a sign-in
    /// notice may accompany another kind).
    pub fn from_avps(avps: &[Avp]) -> Result<Self, PulseError> {
        let mut m = Modifiers::default();
        let mut other = Vec::new();
        let mut kinds: Vec<RequestKind> = Vec::new();
        let mut realms = Vec::new();
        let mut regions = Vec::new();
        let mut sessions = Vec::new();
        let mut realm_entry = false;
        // A failure or Host Checker request ends the login whatever else
        // the message holds (OpenConnect stops there); an unknown
        // mandatory AVP is an error only if neither is present.
        let mut terminal = None;
        let mut unknown_mandatory = None;
        for a in avps {
            if a.is_eap_message() {
                match nested_kind(&a.data)? {
                    k @ (RequestKind::Failure(_) | RequestKind::HostChecker) => {
                        terminal.get_or_insert(k);
                    }
                    k => kinds.push(k),
                }
                continue;
            }
            if a.vendor != Some(PULSE_AVP_VENDOR) {
                if a.mandatory() {
                    unknown_mandatory.get_or_insert(a.code);
                }
                other.push(a.clone());
                continue;
            }
            match a.code {
                code::FAILURE => {
                    let c = a.as_u32()?;
                    terminal.get_or_insert(RequestKind::Failure(Failure::Code(c)));
                }
                code::REALM_LIST => realms.push(a.to_string()?),
                code::REALM_ENTRY => realm_entry = true,
                code::REGION_LIST => regions.push(a.to_string()?),
                code::SESSION => sessions.push(parse_session(&a.data)?),
                code::COOKIE => kinds.push(RequestKind::Cookie(Secret::new(a.to_string()?))),
                code::PROMPT_FIELDS => m.prompt_fields = Some(a.as_u32()?),
                code::LABEL_USER => m.user_label = Some(a.to_string()?),
                code::LABEL_PASSWORD => m.password_label = Some(a.to_string()?),
                code::LABEL_USER2 => m.user2_label = Some(a.to_string()?),
                code::LABEL_PASSWORD2 => m.password2_label = Some(a.to_string()?),
                code::SESSION_LIFETIME => m.session_lifetime = Some(a.as_u32()?),
                code::IDLE_TIMEOUT => m.idle_timeout = Some(a.as_u32()?),
                code::CERT_MD5 => m.cert_md5 = Some(a.to_string()?),
                code::NOTICE => m.notice = Some(a.to_string()?),
                c => {
                    if a.mandatory() && !known_other(c) {
                        unknown_mandatory.get_or_insert(c);
                    }
                    other.push(a.clone());
                }
            }
        }
        if let Some(kind) = terminal {
            return Ok(ServerRequest {
                kind,
                modifiers: m,
                other,
            });
        }
        if let Some(c) = unknown_mandatory {
            return Err(PulseError::new(
                0,
                PulseErrorKind::UnknownMandatoryAvp { code: c },
            ));
        }
        if !realms.is_empty() {
            kinds.push(RequestKind::RealmList(realms));
        }
        if realm_entry {
            kinds.push(RequestKind::RealmEntry);
        }
        if !regions.is_empty() {
            kinds.push(RequestKind::RegionList(regions));
        }
        if !sessions.is_empty() {
            kinds.push(RequestKind::SessionLimit(sessions));
        }
        let kind = match (kinds.len(), &m.notice) {
            (0, Some(_)) => RequestKind::Notice,
            (0, None) => RequestKind::ServerInfo,
            (1, _) => kinds.pop().unwrap_or(RequestKind::ServerInfo),
            _ => {
                return Err(PulseError::new(
                    0,
                    PulseErrorKind::BadRequest("several request kinds in one message"),
                ));
            }
        };
        Ok(ServerRequest {
            kind,
            modifiers: m,
            other,
        })
    }

    /// The AVPs of this request, kind first, then modifiers, then `other`.
    pub fn to_avps(&self) -> Vec<Avp> {
        let mut v = Vec::new();
        match &self.kind {
            RequestKind::ServerInfo | RequestKind::Notice | RequestKind::HostChecker => {}
            RequestKind::RealmList(r) => {
                v.extend(r.iter().map(|s| Avp::pulse_str(code::REALM_LIST, s)))
            }
            RequestKind::RealmEntry => v.push(Avp::pulse(code::REALM_ENTRY, Vec::new())),
            RequestKind::RegionList(r) => {
                v.extend(r.iter().map(|s| Avp::pulse_str(code::REGION_LIST, s)))
            }
            RequestKind::Password { inner_id, request } => v.push(Avp::eap_message(
                juniper2_request(*inner_id, request).to_bytes(),
            )),
            RequestKind::Password5 { inner_id } => v.push(Avp::eap_message(
                EapPacket::juniper(
                    EapCode::Request,
                    *inner_id,
                    juniper_type::PASSWORD5,
                    JUNIPER5_REQUEST_DATA.to_vec(),
                )
                .to_bytes(),
            )),
            RequestKind::Token { inner_id, prompt } => {
                v.push(Avp::eap_message(gtc_request(*inner_id, prompt).to_bytes()))
            }
            RequestKind::SessionLimit(s) => v.extend(s.iter().map(session_avp)),
            RequestKind::Cookie(c) => v.push(Avp::pulse_str(code::COOKIE, c.expose())),
            RequestKind::Failure(Failure::Code(c)) => v.push(Avp::pulse_u32(code::FAILURE, *c)),
            RequestKind::Failure(Failure::Message(t)) => v.push(Avp::eap_message(
                juniper2_request(1, &Juniper2Request::Failure(t.clone())).to_bytes(),
            )),
        }
        if let RequestKind::HostChecker = self.kind {
            v.push(Avp::eap_message(
                EapPacket::juniper(EapCode::Request, 1, juniper_type::HOST_CHECKER, Vec::new())
                    .to_bytes(),
            ));
        }
        let m = &self.modifiers;
        let num = |c, x: Option<u32>| x.map(|x| Avp::pulse_u32(c, x));
        let text = |c, x: &Option<String>| x.as_deref().map(|x| Avp::pulse_str(c, x));
        v.extend(
            [
                num(code::PROMPT_FIELDS, m.prompt_fields),
                text(code::LABEL_USER, &m.user_label),
                text(code::LABEL_PASSWORD, &m.password_label),
                text(code::LABEL_USER2, &m.user2_label),
                text(code::LABEL_PASSWORD2, &m.password2_label),
                num(code::SESSION_LIFETIME, m.session_lifetime),
                num(code::IDLE_TIMEOUT, m.idle_timeout),
                text(code::CERT_MD5, &m.cert_md5),
                text(code::NOTICE, &m.notice),
            ]
            .into_iter()
            .flatten(),
        );
        v.extend(self.other.iter().cloned());
        v
    }
}

/// The kind a nested EAP request (AVP 79 data) stands for.
fn nested_kind(data: &[u8]) -> Result<RequestKind, PulseError> {
    let eap = EapPacket::parse(data)?;
    if eap.code != EapCode::Request {
        return Err(bad_avp(code::EAP_MESSAGE, "nested EAP is not a Request"));
    }
    let inner_id = eap.identifier;
    match (eap.eap_type(), eap.juniper_type()) {
        (Some(eap_type::GTC), _) => Ok(RequestKind::Token {
            inner_id,
            prompt: String::from_utf8_lossy(eap.data()).into_owned(),
        }),
        (_, Some(juniper_type::PASSWORD)) => match Juniper2Request::parse(eap.data())? {
            Juniper2Request::Failure(t) => Ok(RequestKind::Failure(Failure::Message(t))),
            request => Ok(RequestKind::Password { inner_id, request }),
        },
        (_, Some(juniper_type::PASSWORD5)) if eap.data().first() == Some(&1) => {
            Ok(RequestKind::Password5 { inner_id })
        }
        (_, Some(juniper_type::HOST_CHECKER)) => Ok(RequestKind::HostChecker),
        _ => Err(bad_avp(code::EAP_MESSAGE, "unknown nested EAP method")),
    }
}

fn parse_session(data: &[u8]) -> Result<ExistingSession, PulseError> {
    let mut id = None;
    let mut from = None;
    let mut when = None;
    for a in parse_avps(data)? {
        if a.is_pulse(code::SESSION_ID) {
            id = Some(a.to_string()?);
        } else if a.is_pulse(code::SESSION_FROM) {
            from = Some(a.to_string()?);
        } else if a.is_pulse(code::SESSION_TIME) {
            let b: [u8; 8] = a
                .data
                .as_slice()
                .try_into()
                .map_err(|_| bad_avp(code::SESSION_TIME, "not 8 bytes"))?;
            when = Some(u64::from_be_bytes(b));
        }
    }
    match (id, from, when) {
        (Some(id), Some(from), Some(login_time)) if login_time != 0 => Ok(ExistingSession {
            id,
            from,
            login_time,
        }),
        _ => Err(bad_avp(
            code::SESSION,
            "session entry lacks id, origin or time",
        )),
    }
}

fn session_avp(s: &ExistingSession) -> Avp {
    let mut data = Vec::new();
    for a in [
        Avp::pulse_str(code::SESSION_ID, &s.id),
        Avp::pulse_str(code::SESSION_FROM, &s.from),
        Avp::pulse(code::SESSION_TIME, s.login_time.to_be_bytes().to_vec()),
    ] {
        a.emit(&mut data);
    }
    Avp::pulse(code::SESSION, data)
}
