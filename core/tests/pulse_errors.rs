//! Bad Pulse input gets a typed error, never a panic: headers, lengths,
//! EAP, AVPs, request classification, configuration and ESP keys.

use oncp_core::pulse::auth::*;
use oncp_core::pulse::avp::{Avp, code, parse_avps};
use oncp_core::pulse::config::*;
use oncp_core::pulse::eap::{EapCode, EapPacket};
use oncp_core::pulse::version::{VersionRequest, VersionResponse};
use oncp_core::pulse::*;

#[path = "common/pulse_dumps.rs"]
mod dumps;
use dumps::*;

fn kind(r: Result<impl std::fmt::Debug, PulseError>) -> PulseErrorKind {
    r.unwrap_err().kind
}

#[test]
fn header_errors() {
    let mut b = hex(VERSION_REQUEST_1);
    b[0] = 1;
    assert!(matches!(
        kind(IftHeader::parse(&b)),
        PulseErrorKind::BadFixedBytes { .. }
    ));
    let mut b = hex(VERSION_REQUEST_1);
    b[11] = 15;
    assert_eq!(
        IftHeader::parse(&b).unwrap_err(),
        PulseError::new(
            8,
            PulseErrorKind::BadLength {
                what: "IF-T message",
                length: 15
            }
        )
    );
    assert!(matches!(
        kind(IftHeader::parse(&b[..10])),
        PulseErrorKind::Truncated { .. }
    ));
    let b = hex(VERSION_REQUEST_1);
    assert!(matches!(
        kind(IftMessage::parse(&b[..19], 1 << 20)),
        PulseErrorKind::Truncated { needed: 1, .. }
    ));
    assert!(matches!(
        kind(IftMessage::parse(&b, 19)),
        PulseErrorKind::TooLong {
            length: 20,
            limit: 19,
            ..
        }
    ));
}

#[test]
fn deframer_limits_before_buffering() {
    // A header announcing 4 GiB is refused as soon as its 16 bytes are in.
    let mut d = Deframer::new().with_max_message_len(16384);
    let huge = [
        0, 0, 0x0a, 0x4c, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1,
    ];
    let e = d.feed(&huge).unwrap_err();
    assert_eq!(e.offset, 8);
    assert!(matches!(e.kind, PulseErrorKind::TooLong { .. }));
    assert_eq!(d.buffered(), 0);
    assert!(d.is_ended());
    assert_eq!(d.feed(&[0]).unwrap_err().kind, PulseErrorKind::StreamEnded);
    assert!(d.feed(&[]).is_ok());
    // Offsets are stream offsets: the bad header is the second message.
    let mut d = Deframer::new();
    let mut s = hex(VERSION_REQUEST_1);
    s.extend_from_slice(&[1; 16]);
    let e = d.feed(&s).unwrap_err();
    assert_eq!(e.offset, 20);
    assert!(d.poll().is_some());
}

#[test]
fn version_errors() {
    assert!(matches!(
        kind(VersionRequest::parse(&[0, 1, 2])),
        PulseErrorKind::BadLength { .. }
    ));
    assert!(matches!(
        kind(VersionRequest::parse(&[1, 1, 2, 2])),
        PulseErrorKind::BadFixedBytes { .. }
    ));
    assert!(matches!(
        kind(VersionResponse::parse(&[0, 1, 0, 2])),
        PulseErrorKind::BadFixedBytes { .. }
    ));
    assert!(matches!(
        kind(VersionResponse::parse(&[0, 0, 0, 2, 0])),
        PulseErrorKind::BadLength { .. }
    ));
    assert_eq!(
        VersionRequest {
            min: 3,
            max: 4,
            preferred: 4
        }
        .select(1, 2),
        None
    );
    assert_eq!(
        VersionRequest {
            min: 1,
            max: 3,
            preferred: 3
        }
        .select(1, 2),
        Some(2)
    );
}

#[test]
fn eap_errors() {
    // Length field not matching the bytes.
    assert!(matches!(
        kind(EapPacket::parse(&[2, 1, 0, 9, 1, b'a'])),
        PulseErrorKind::BadLength { .. }
    ));
    assert!(matches!(
        kind(EapPacket::parse(&[2, 1, 0])),
        PulseErrorKind::Truncated { .. }
    ));
    assert_eq!(
        kind(EapPacket::parse(&[9, 1, 0, 4])),
        PulseErrorKind::Eap("unknown code")
    );
    assert!(matches!(
        kind(EapPacket::parse(&[3, 1, 0, 5, 1])),
        PulseErrorKind::Eap(_)
    ));
    assert!(matches!(
        kind(EapPacket::parse(&[1, 1, 0, 4])),
        PulseErrorKind::Eap(_)
    ));
    assert!(matches!(
        kind(EapPacket::parse(&[1, 1, 0, 8, 254, 0, 0x0a, 0x4c])),
        PulseErrorKind::Truncated { .. }
    ));
    // An auth message with another auth type, or a short one.
    let mut b = hex(AUTH_START_4);
    b[19] = 2;
    let m = IftMessage::parse(&b, 100).unwrap().0;
    assert_eq!(AuthMessage::parse(&m).unwrap_err().offset, 16);
    let m = IftMessage::new(MessageType::AUTH_CHALLENGE, 0, vec![0, 0x0a]);
    assert!(matches!(
        kind(AuthMessage::parse(&m)),
        PulseErrorKind::Truncated { .. }
    ));
    let m = IftMessage::new(MessageType::DATA, 0, vec![]);
    assert!(matches!(
        kind(AuthMessage::parse(&m)),
        PulseErrorKind::UnexpectedMessage { .. }
    ));
    // The EAP length of (6) one short: offset points into the message.
    let mut b = hex(SERVER_INFO_6);
    b[23] -= 1;
    let m = IftMessage::parse(&b, 200).unwrap().0;
    assert_eq!(AuthMessage::parse(&m).unwrap_err().offset, 22);
}

#[test]
fn avp_errors() {
    // Length below the header.
    assert!(matches!(
        kind(parse_avps(&[
            0, 0, 0xd, 0x53, 0x80, 0, 0, 11, 0, 0, 5, 0x83
        ])),
        PulseErrorKind::BadLength { .. }
    ));
    // Running past the data.
    assert!(matches!(
        kind(parse_avps(&[
            0, 0, 0xd, 0x53, 0x80, 0, 0, 20, 0, 0, 5, 0x83
        ])),
        PulseErrorKind::Truncated { .. }
    ));
    // A stray byte after a whole AVP.
    let mut b = Vec::new();
    Avp::pulse_u32(code::D49, 1).emit(&mut b);
    b.push(0);
    let e = parse_avps(&b).unwrap_err();
    assert_eq!(e.offset, 17);
    // Missing padding after the last AVP is tolerated, garbage padding too.
    let mut b = Vec::new();
    Avp::pulse_str(code::USERNAME, "alice").emit(&mut b);
    let n = b.len();
    b[n - 3..].copy_from_slice(&[0xde, 0xad, 0xbe]);
    Avp::pulse_str(code::REALM, "r").emit(&mut b);
    b.truncate(b.len() - 3);
    let avps = parse_avps(&b).unwrap();
    assert_eq!(avps[0].as_str().unwrap(), "alice");
    assert_eq!(avps[1].as_str().unwrap(), "r");
    assert!(matches!(
        kind(Avp::pulse_str(1, "ab").as_u32()),
        PulseErrorKind::BadAvp { .. }
    ));
    assert!(matches!(
        kind(Avp::pulse(1, vec![0xff]).as_str()),
        PulseErrorKind::BadAvp { .. }
    ));
}

#[test]
fn request_classification_errors() {
    let mandatory = |c: u32, vendor| Avp {
        code: c,
        flags: 0x40 | if vendor { 0x80 } else { 0 },
        vendor: vendor.then_some(0x583),
        data: vec![],
    };
    assert_eq!(
        kind(ServerRequest::from_avps(&[mandatory(0xdff, true)])),
        PulseErrorKind::UnknownMandatoryAvp { code: 0xdff }
    );
    assert_eq!(
        kind(ServerRequest::from_avps(&[mandatory(7, false)])),
        PulseErrorKind::UnknownMandatoryAvp { code: 7 }
    );
    // Unknown without M is kept.
    let r = ServerRequest::from_avps(&[Avp::pulse(0xdff, vec![1, 2])]).unwrap();
    assert_eq!(r.other, vec![Avp::pulse(0xdff, vec![1, 2])]);
    // Several kinds.
    let two = [
        Avp::pulse_str(code::REALM_LIST, "a"),
        Avp::pulse(code::REALM_ENTRY, vec![]),
    ];
    assert!(matches!(
        kind(ServerRequest::from_avps(&two)),
        PulseErrorKind::BadRequest(_)
    ));
    // A notice may accompany another kind.
    let with_notice = [
        Avp::pulse_str(code::REALM_LIST, "a"),
        Avp::pulse_str(code::NOTICE, "hi"),
    ];
    let r = ServerRequest::from_avps(&with_notice).unwrap();
    assert_eq!(r.kind, RequestKind::RealmList(vec!["a".into()]));
    assert_eq!(r.modifiers.notice.as_deref(), Some("hi"));
    // Wrong sizes of known AVPs.
    assert!(matches!(
        kind(ServerRequest::from_avps(&[Avp::pulse(
            code::PROMPT_FIELDS,
            vec![1]
        )])),
        PulseErrorKind::BadAvp { .. }
    ));
    assert!(matches!(
        kind(ServerRequest::from_avps(&[Avp::pulse(
            code::SESSION,
            vec![0; 3]
        )])),
        PulseErrorKind::Truncated { .. }
    ));
    let no_time = ServerRequest::new(RequestKind::SessionLimit(vec![ExistingSession {
        id: "s".into(),
        from: "1.2.3.4".into(),
        login_time: 0,
    }]))
    .to_avps();
    assert!(matches!(
        kind(ServerRequest::from_avps(&no_time)),
        PulseErrorKind::BadAvp { .. }
    ));
    // Nested EAP: a Response, an unknown method, a bad length.
    let resp = Avp::eap_message(EapPacket::juniper(EapCode::Response, 1, 2, vec![1]).to_bytes());
    assert!(matches!(
        kind(ServerRequest::from_avps(&[resp])),
        PulseErrorKind::BadAvp { .. }
    ));
    let unk = Avp::eap_message(EapPacket::juniper(EapCode::Request, 1, 9, vec![1]).to_bytes());
    assert!(matches!(
        kind(ServerRequest::from_avps(&[unk])),
        PulseErrorKind::BadAvp { .. }
    ));
    let mut bad = EapPacket::juniper(EapCode::Request, 1, 2, vec![1]).to_bytes();
    bad.push(0);
    assert!(matches!(
        kind(ServerRequest::from_avps(&[Avp::eap_message(bad)])),
        PulseErrorKind::BadLength { .. }
    ));
    let extra = Avp::eap_message(EapPacket::juniper(EapCode::Request, 1, 2, vec![1, 0]).to_bytes());
    assert!(matches!(
        kind(ServerRequest::from_avps(&[extra])),
        PulseErrorKind::Eap(_)
    ));
    // Failures are results, not errors, and win over anything else.
    let fail = [
        Avp::pulse_str(code::REALM_LIST, "a"),
        Avp::pulse_u32(code::FAILURE, 0x0d),
    ];
    let r = ServerRequest::from_avps(&fail).unwrap();
    assert_eq!(r.kind, RequestKind::Failure(Failure::Code(0x0d)));
    assert_eq!(Failure::Code(0x0d).describe(), "account locked out");
    let msg = ServerRequest::new(RequestKind::Failure(Failure::Message(
        "Could not change password.".into(),
    )));
    let r = ServerRequest::from_avps(&msg.to_avps()).unwrap();
    assert_eq!(r.kind, msg.kind);
    // The pulse.c capture of a Juniper/2 failure (0xc5 + TLV 01).
    let mut data = vec![0xc5, 0x01, 0x4d];
    data.extend_from_slice(
        b"Could not change password. New password must be at least 4 characters long.",
    );
    assert_eq!(data.len(), 0x4d + 1);
    assert_eq!(
        Juniper2Request::parse(&data).unwrap(),
        Juniper2Request::Failure(
            "Could not change password. New password must be at least 4 characters long.".into()
        )
    );
    assert!(Juniper2Request::parse(&[0xc5, 1, 9, b'x']).is_err());
    assert!(Juniper2Request::parse(&[0x77]).is_err());
}

#[test]
fn answer_errors() {
    let two = [
        Avp::pulse_str(code::REALM, "a"),
        Avp::pulse_str(code::KILL_SESSION, "s"),
    ];
    assert!(matches!(
        kind(ClientAnswer::from_avps(&two)),
        PulseErrorKind::BadRequest(_)
    ));
    assert!(matches!(
        kind(ClientAnswer::from_avps(&[Avp::pulse_str(
            code::USERNAME,
            "u"
        )])),
        PulseErrorKind::BadRequest(_)
    ));
    assert!(matches!(
        kind(ClientAnswer::from_avps(&[Avp::pulse_str(
            code::COOKIE,
            "c"
        )])),
        PulseErrorKind::BadRequest(_)
    ));
    assert!(Juniper2Response::parse(&[1, 2, 2]).is_err());
    assert!(Juniper2Response::parse(&[2, 2, 9, b'x']).is_err());
    assert!(Juniper2Response::parse(&[2, 3, 2]).is_err());
    assert!(Juniper2Response::parse(&[2]).is_err());
    assert!(Juniper2Response::parse(&[2, 2, 2, 2, 2]).is_err());
    let long = Juniper2Response {
        password: Secret::new("x".repeat(254)),
        new_password: None,
    };
    assert!(matches!(
        long.to_data().unwrap_err().kind,
        PulseErrorKind::TooLong { .. }
    ));
    let ok = Juniper2Response {
        password: Secret::new("x".repeat(253)),
        new_password: Some(Secret::from("n")),
    };
    assert_eq!(Juniper2Response::parse(&ok.to_data().unwrap()).unwrap(), ok);
    // Juniper/5 pads to 18 bytes and truncates longer passwords.
    let d = credentials::juniper5_response_data(&Secret::from("abc"));
    assert_eq!(d.len(), 19);
    assert_eq!(credentials::juniper5_password(&d).unwrap().expose(), "abc");
    let d = credentials::juniper5_response_data(&Secret::new("y".repeat(30)));
    assert_eq!(credentials::juniper5_password(&d).unwrap().len(), 18);
    assert!(credentials::juniper5_password(&[1, 2]).is_err());
}

fn config_value(body: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 16];
    v.extend_from_slice(&[0x2c, 0x20, 0xf0, 0, 0, 0, 0, 0]);
    v.extend_from_slice(&((28 + body.len()) as u32).to_be_bytes());
    v.extend_from_slice(body);
    v
}

#[test]
fn config_errors() {
    let b = hex(MAIN_CONFIG_13);
    let value = b[16..].to_vec();
    assert!(MainConfig::parse(&value).is_ok());
    let at = |i: usize, x: u8| {
        let mut v = value.clone();
        v[i - 16] ^= x;
        MainConfig::parse(&v).unwrap_err()
    };
    assert!(matches!(
        at(0x10, 1).kind,
        PulseErrorKind::BadFixedBytes { .. }
    ));
    assert!(matches!(
        at(0x24, 1).kind,
        PulseErrorKind::BadFixedBytes { .. }
    ));
    assert!(matches!(at(0x2b, 1).kind, PulseErrorKind::BadLength { .. }));
    assert_eq!(
        at(0x20, 0x10).kind,
        PulseErrorKind::Config("not a main configuration kind")
    );
    assert!(matches!(at(0x2c, 1).kind, PulseErrorKind::Config(_)));
    // Route count not matching the block length.
    assert!(matches!(at(0x30, 1).kind, PulseErrorKind::Config(_)));
    assert!(matches!(
        at(0x34, 0x10).kind,
        PulseErrorKind::Config("unknown route kind")
    ));
    assert!(matches!(at(0x3b, 1).kind, PulseErrorKind::Config(_)));
    assert!(matches!(at(0x57, 1).kind, PulseErrorKind::Config(_)));
    assert!(matches!(at(0x58, 1).kind, PulseErrorKind::Config(_)));
    // An attribute running past its block.
    let e = at(0x5e, 0x10);
    assert_eq!(
        e.kind,
        PulseErrorKind::Config("attribute runs past its block")
    );
    assert_eq!(e.offset, 0x5e);
    // Truncated header.
    assert!(matches!(
        kind(MainConfig::parse(&value[..20])),
        PulseErrorKind::Truncated { .. }
    ));
    // A known attribute of the wrong length is kept aside, not fatal.
    let mut body = vec![0x2e, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0x0f, 3, 0, 0, 0];
    body.extend_from_slice(&[0x40, 0x05, 0, 3, 0, 5, 0x78]);
    let m = MainConfig::parse(&config_value(&body)).unwrap();
    let v = PulseConfig::from_main(&m).unwrap();
    assert_eq!(v.mtu, None);
    assert_eq!(v.malformed, vec![Attribute::new(0x4005, [0, 5, 0x78])]);
    assert!(!v.is_sufficient());
    // A range ending before its start.
    let mut m = m;
    m.routes.push(RouteRange {
        exclude: false,
        first: [10, 0, 0, 9].into(),
        last: [10, 0, 0, 1].into(),
    });
    assert!(matches!(
        kind(PulseConfig::from_main(&m)),
        PulseErrorKind::Config(_)
    ));
    // An extended config whose extra blocks never end.
    let mut v = config_value(&[0x2e, 0, 0, 8, 3, 0, 0, 0]);
    v[16] = 0x2e;
    assert!(matches!(
        kind(MainConfig::parse(&v)),
        PulseErrorKind::Config(_)
    ));
}

#[test]
fn esp_key_errors() {
    let b = hex(ESP_KEYS_14);
    let value = b[16..].to_vec();
    assert!(EspKeyMessage::parse(&value).is_ok());
    let at = |i: usize| {
        let mut v = value.clone();
        v[i - 16] ^= 1;
        EspKeyMessage::parse(&v).unwrap_err()
    };
    assert!(matches!(at(0x2f).kind, PulseErrorKind::BadLength { .. }));
    assert!(matches!(
        at(0x30).kind,
        PulseErrorKind::BadFixedBytes { .. }
    ));
    assert!(matches!(
        at(0x39).kind,
        PulseErrorKind::BadFixedBytes { .. }
    ));
    assert!(matches!(at(0x20).kind, PulseErrorKind::Config(_)));
    // Too short to hold the key block (0x6a bytes is not enough).
    let mut short = value[..0x6a - 16].to_vec();
    let l = short.len() as u32;
    short[24..28].copy_from_slice(&l.to_be_bytes());
    short[28..32].copy_from_slice(&(l - 28).to_be_bytes());
    assert!(matches!(
        kind(EspKeyMessage::parse(&short)),
        PulseErrorKind::Truncated { .. }
    ));
    // The reply must be exactly 192 bytes.
    assert!(matches!(
        kind(EspKeyReply::parse(&value)),
        PulseErrorKind::BadLength { .. }
    ));
    // Type 1 with a bad common header is an error from the dispatcher.
    let m = IftMessage::new(MessageType::CONFIG, 1, vec![1; 40]);
    assert!(Message::decode(&m, Sender::Gateway).is_err());
    let m = IftMessage::new(MessageType::END_OF_CONFIG, 1, vec![1, 0, 0, 0]);
    assert!(Message::decode(&m, Sender::Gateway).is_err());
    let m = IftMessage::new(MessageType::LOGOUT, 1, vec![1]);
    assert!(Message::decode(&m, Sender::Client).is_err());
    // Unknown vendors and types are kept.
    let m = IftMessage::new(
        MessageType {
            vendor: Vendor(0x1234),
            number: 7,
        },
        1,
        vec![1],
    );
    assert_eq!(
        Message::decode(&m, Sender::Client).unwrap(),
        Message::Unknown(m.clone())
    );
}
