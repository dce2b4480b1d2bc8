//! Decoding the Pulse (IF-T/TLS) bytes of one dump with the Pulse codecs
//! (`crate::pulse`): each IF-T message named, the login requests and
//! answers classified (the gateway's failure reason kept for the verdict),
//! configurations counted. Secrets (cookies, passwords, token codes, keys)
//! are never shown: only what kind of message carried them.

use alloc::format;
use alloc::string::String;

use super::oncp::Cx;
use super::report::Item;
use super::tlv_names::hex;
use crate::pulse::auth::request::{RequestKind, ServerRequest};
use crate::pulse::ift::{HEADER_LEN, IftMessage};
use crate::pulse::{Message, Sender};
use crate::trace::Direction;

/// Largest IF-T message decoded from a log (the codec's default limit).
const MAX_MESSAGE: usize = crate::pulse::ift::DEFAULT_MAX_MESSAGE_LEN;

/// Whether `b` starts with an IF-T header of the TCG or Juniper vendor.
pub(crate) fn is_ift(b: &[u8]) -> bool {
    b.len() >= HEADER_LEN && (b[..4] == [0, 0, 0x55, 0x97] || b[..4] == [0, 0, 0x0a, 0x4c])
}

/// The IF-T messages of a dump in direction `dir`.
pub(crate) fn messages(b: &[u8], dir: Option<Direction>, cx: &mut Cx<'_>) -> Item {
    cx.facts.pulse_bytes.get_or_insert(cx.line);
    let mut it = Item::new(cx.line, dir, "Pulse IF-T messages");
    let mut pos = 0;
    let mut n = 0;
    while pos < b.len() {
        let rest = &b[pos..];
        match IftMessage::parse(rest, MAX_MESSAGE) {
            Ok((msg, used)) => {
                it.children.push(message(&msg, dir, cx));
                pos += used.max(1);
                n += 1;
            }
            Err(e) => {
                let declared = (rest.len() >= 12)
                    .then(|| u32::from_be_bytes([rest[8], rest[9], rest[10], rest[11]]));
                let mut bad = Item::new(
                    cx.line,
                    dir,
                    format!(
                        "{} bytes at {pos:#06x}: not a whole IF-T message",
                        rest.len()
                    ),
                );
                if let Some(l) = declared
                    && l as usize > rest.len()
                {
                    bad.note(format!(
                        "IF-T header says {l} bytes, {} follow: the rest is not in this dump",
                        rest.len()
                    ));
                } else {
                    bad.note(format!("{e}"));
                }
                bad.field("bytes", hex(&rest[..rest.len().min(32)]));
                it.children.push(bad);
                break;
            }
        }
    }
    it.summary = format!("{n} Pulse IF-T message(s)");
    it
}

fn message(msg: &IftMessage, dir: Option<Direction>, cx: &mut Cx<'_>) -> Item {
    let mut it = Item::new(
        cx.line,
        dir,
        format!("IF-T {}, {} bytes", msg.msg_type, msg.wire_len()),
    );
    let sender = match dir {
        Some(Direction::ClientToServer) => Sender::Client,
        _ => Sender::Gateway,
    };
    match Message::decode(msg, sender) {
        Ok(m) => describe(&mut it, &m, cx),
        Err(e) => it.note(format!("{e}")),
    }
    it
}

fn describe(it: &mut Item, m: &Message, cx: &mut Cx<'_>) {
    match m {
        Message::Auth(a) => {
            let Some(avps) = a.juniper1_avps() else {
                it.field(
                    "EAP",
                    String::from(if a.eap.is_some() { "present" } else { "none" }),
                );
                return;
            };
            match avps.and_then(|avps| ServerRequest::from_avps(&avps)) {
                Ok(req) => request(it, &req, cx),
                Err(_) => it.field("login", "client answer or other AVPs (not shown)"),
            }
        }
        Message::Config(c) => {
            it.field("routes", format!("{}", c.routes.len()));
            it.field("attributes", format!("{}", c.attrs.len()));
        }
        Message::EspKeys(_) | Message::EspReply(_) => {
            it.field("ESP keys", "<redacted>");
        }
        Message::FatalError(_) => {
            it.note("the gateway ended the session (fatal error message)");
            cx.facts.termination.get_or_insert((None, cx.line));
        }
        Message::Licence(t) => it.field("licence", super::lines::cut(t, 120)),
        Message::Unknown(u) => it.field("value", hex(&u.value[..u.value.len().min(32)])),
        _ => {}
    }
}

fn request(it: &mut Item, req: &ServerRequest, cx: &mut Cx<'_>) {
    let what: String = match &req.kind {
        RequestKind::ServerInfo => String::from("server information"),
        RequestKind::RealmList(r) => format!("choose a realm ({} offered)", r.len()),
        RequestKind::RealmEntry => String::from("type a realm"),
        RequestKind::RegionList(r) => format!("choose a region ({} offered)", r.len()),
        RequestKind::Password { .. } | RequestKind::Password5 { .. } => {
            String::from("password request")
        }
        RequestKind::Token { .. } => String::from("token code request"),
        RequestKind::SessionLimit(s) => {
            format!("session limit: {} sessions to choose from", s.len())
        }
        RequestKind::Notice => String::from("sign-in notice"),
        RequestKind::Cookie(_) => String::from("login done: session cookie <redacted>"),
        RequestKind::Failure(f) => {
            let why = f.describe();
            cx.facts
                .ift_auth_failure
                .get_or_insert((why.clone(), cx.line));
            format!("login failed: {why}")
        }
        RequestKind::HostChecker => String::from("Host Checker (not supported)"),
    };
    it.field("login", what);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::facts::Facts;
    use crate::pulse::auth::message::{AuthMessage, AuthStage};
    use crate::pulse::auth::request::Failure;

    #[test]
    fn failure_is_found_and_cut_messages_said() {
        let req = ServerRequest::new(RequestKind::Failure(Failure::Code(0x0d)));
        let msg = AuthMessage::juniper1(AuthStage::Challenge, 3, &req.to_avps()).to_message(7);
        let bytes = msg.to_bytes();
        assert!(is_ift(&bytes));
        let mut f = Facts::default();
        let mut cx = Cx {
            show: false,
            facts: &mut f,
            line: 1,
        };
        let it = messages(&bytes, Some(Direction::ServerToClient), &mut cx);
        assert!(format!("{it:?}").contains("account locked out"), "{it:?}");
        assert_eq!(
            f.ift_auth_failure.as_ref().map(|x| x.0.as_str()),
            Some("account locked out")
        );
        for cut in 0..bytes.len() {
            let mut f = Facts::default();
            let mut cx = Cx {
                show: false,
                facts: &mut f,
                line: 1,
            };
            let it = messages(&bytes[..cut], None, &mut cx);
            if cut > 12 {
                assert!(format!("{it:?}").contains("follow"), "{cut}: {it:?}");
            }
        }
    }
}
