//! The worked example of spec/pulse.md §8 (and the smaller examples of
//! §5.4, §5.5, §6.8, §7.4), parsed and rebuilt byte for byte, and both
//! directions' streams cut at every offset.

use std::net::{IpAddr, Ipv4Addr};

use oncp_core::pulse::auth::*;
use oncp_core::pulse::avp::{Avp, code};
use oncp_core::pulse::config::*;
use oncp_core::pulse::control::*;
use oncp_core::pulse::eap::{EapCode, EapPacket, eap_type};
use oncp_core::pulse::version::{VersionRequest, VersionResponse};
use oncp_core::pulse::*;

#[path = "common/pulse_dumps.rs"]
mod dumps;
use dumps::*;

fn one(bytes: &[u8]) -> IftMessage {
    let (m, used) = IftMessage::parse(bytes, 1 << 20).unwrap();
    assert_eq!(used, bytes.len());
    assert_eq!(m.to_bytes(), bytes, "re-emission differs");
    m
}

fn seq(a: u8) -> [u8; 16] {
    std::array::from_fn(|i| a + i as u8)
}

#[test]
fn version_and_client_info() {
    let b = hex(VERSION_REQUEST_1);
    let m = one(&b);
    assert_eq!(m.identifier, 0);
    assert_eq!(
        Message::decode(&m, Sender::Client).unwrap(),
        Message::VersionRequest(VersionRequest::OPENCONNECT)
    );
    assert_eq!(VersionRequest::OPENCONNECT.to_message(0).to_bytes(), b);
    assert_eq!(VersionRequest::OPENCONNECT.select(1, 2), Some(2));

    let b = hex(VERSION_RESPONSE_2);
    let m = one(&b);
    assert_eq!(
        Message::decode(&m, Sender::Gateway).unwrap(),
        Message::VersionResponse(VersionResponse { version: 2 })
    );
    assert_eq!(
        VersionResponse { version: 2 }.to_message(0x1f5).to_bytes(),
        b
    );

    let b = hex(CLIENT_INFO_3);
    let info = ClientInfo::new("debian", Some("192.0.2.10"));
    assert_eq!(info.to_message(1).to_bytes(), b);
    let Message::ClientInfo(parsed) = Message::decode(&one(&b), Sender::Client).unwrap() else {
        panic!("not client info")
    };
    assert_eq!(parsed, info);
    assert_eq!(parsed.get("clientIp"), Some("192.0.2.10"));
}

#[test]
fn first_eap_exchange() {
    let b = hex(AUTH_START_4);
    assert_eq!(AuthMessage::start().to_message(0x1f6).to_bytes(), b);
    assert_eq!(AuthMessage::parse(&one(&b)).unwrap(), AuthMessage::start());

    let b = hex(IDENTITY_RESPONSE_5);
    let id = AuthMessage::with_eap(
        AuthStage::Response,
        EapPacket::typed(
            EapCode::Response,
            1,
            eap_type::IDENTITY,
            IDENTITY.as_bytes().to_vec(),
        ),
    );
    assert_eq!(id.to_message(2).to_bytes(), b);
    assert_eq!(AuthMessage::parse(&one(&b)).unwrap(), id);

    let b = hex(SERVER_INFO_6);
    let auth = AuthMessage::parse(&one(&b)).unwrap();
    let eap = auth.eap.as_ref().unwrap();
    assert_eq!((eap.code, eap.identifier), (EapCode::Request, 2));
    let avps = auth.juniper1_avps().unwrap().unwrap();
    let req = ServerRequest::from_avps(&avps).unwrap();
    assert_eq!(req.kind, RequestKind::ServerInfo);
    let other = vec![
        Avp::pulse_u32(code::D49, 4),
        Avp::pulse_u32(code::D4A, 1),
        Avp::pulse_str(code::LICENCE, "LIC-00001"),
    ];
    assert_eq!(req.other, other);
    let rebuilt = AuthMessage::juniper1(AuthStage::Challenge, 2, &req.to_avps());
    assert_eq!(rebuilt.to_message(0x1f7).to_bytes(), b);

    let b = hex(CLIENT_VERSION_7);
    let hello = ClientAnswer::Hello {
        version: "Open AnyConnect VPN Agent v9.01".into(),
        cookie: None,
        os: None,
    };
    let msg = AuthMessage::juniper1(AuthStage::Response, 2, &hello.to_avps().unwrap());
    assert_eq!(msg.to_message(3).to_bytes(), b);
    let back = AuthMessage::parse(&one(&b)).unwrap();
    let resp = ClientAnswer::from_avps(&back.juniper1_avps().unwrap().unwrap()).unwrap();
    assert_eq!(resp.answer, hello);
    assert!(resp.other.is_empty());
}

#[test]
fn password_cookie_success() {
    let b = hex(PASSWORD_REQUEST_8);
    let req = ServerRequest::new(RequestKind::Password {
        inner_id: 1,
        request: Juniper2Request::Password,
    });
    let msg = AuthMessage::juniper1(AuthStage::Challenge, 3, &req.to_avps());
    assert_eq!(msg.to_message(0x1f8).to_bytes(), b);
    let avps = AuthMessage::parse(&one(&b))
        .unwrap()
        .juniper1_avps()
        .unwrap()
        .unwrap();
    assert_eq!(ServerRequest::from_avps(&avps).unwrap(), req);
    assert_eq!(avps[0].flags, 0x40);

    let b = hex(PASSWORD_RESPONSE_9);
    let ans = ClientAnswer::Credential {
        username: Some("alice".into()),
        inner_id: 1,
        credential: Credential::Password(Juniper2Response {
            password: Secret::from("hunter2"),
            new_password: None,
        }),
    };
    let msg = AuthMessage::juniper1(AuthStage::Response, 3, &ans.to_avps().unwrap());
    assert_eq!(msg.to_message(4).to_bytes(), b);
    let avps = AuthMessage::parse(&one(&b))
        .unwrap()
        .juniper1_avps()
        .unwrap()
        .unwrap();
    assert_eq!(ClientAnswer::from_avps(&avps).unwrap().answer, ans);
    // AVP 79: length 30 = 23 + 7 (spec §4.8), nested EAP length 22.
    assert_eq!(avps[1].length(), 30);
    assert_eq!(avps[1].data.len(), 22);

    // (10): the cookie request, 108 bytes, AVP 0xd53 of length 44.
    let mut cookie = ServerRequest::new(RequestKind::Cookie(Secret::from(
        "0123456789abcdef0123456789abcdef",
    )));
    cookie.modifiers.session_lifetime = Some(43200);
    cookie.modifiers.idle_timeout = Some(900);
    let avps = cookie.to_avps();
    assert_eq!(avps[0].length(), 44);
    let m = AuthMessage::juniper1(AuthStage::Challenge, 4, &avps).to_message(0x1f9);
    let wire = m.to_bytes();
    assert_eq!(wire.len(), 108);
    let back = AuthMessage::parse(&one(&wire)).unwrap();
    assert_eq!(
        ServerRequest::from_avps(&back.juniper1_avps().unwrap().unwrap()).unwrap(),
        cookie
    );

    let b = hex(EMPTY_RESPONSE_11);
    assert_eq!(
        AuthMessage::juniper1(AuthStage::Response, 4, &[])
            .to_message(5)
            .to_bytes(),
        b
    );
    let avps = AuthMessage::parse(&one(&b))
        .unwrap()
        .juniper1_avps()
        .unwrap()
        .unwrap();
    assert_eq!(
        ClientAnswer::from_avps(&avps).unwrap().answer,
        ClientAnswer::Empty
    );

    let b = hex(AUTH_SUCCESS_12);
    assert_eq!(AuthMessage::success(4).to_message(0x1fa).to_bytes(), b);
    let s = AuthMessage::parse(&one(&b)).unwrap();
    assert_eq!(s.stage, AuthStage::Success);
    assert_eq!(s.eap.unwrap().code, EapCode::Success);
}

fn example_config() -> PulseConfig {
    PulseConfig {
        ipv4_address: Some(Ipv4Addr::new(10, 10, 1, 2)),
        ipv4_netmask: Some(Ipv4Addr::BROADCAST),
        dns: vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 53))],
        search_domains: vec!["example.com".into()],
        split_include: vec![Ipv4Cidr {
            addr: Ipv4Addr::new(10, 0, 0, 0),
            prefix: 8,
        }],
        split_exclude: vec![Ipv4Cidr {
            addr: Ipv4Addr::new(10, 1, 2, 0),
            prefix: 24,
        }],
        mtu: Some(1400),
        esp: PulseEsp {
            cipher: Some(2),
            mac: Some(3),
            lifetime_secs: Some(1200),
            replay_protection: Some(true),
            port: Some(4500),
            fallback_secs: Some(15),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn main_configuration() {
    let b = hex(MAIN_CONFIG_13);
    let m = one(&b);
    let Message::Config(main) = Message::decode(&m, Sender::Gateway).unwrap() else {
        panic!("not a main configuration")
    };
    assert_eq!(main.kind, ConfigKind::MAIN);
    assert_eq!(
        main.routes,
        vec![
            RouteRange {
                exclude: false,
                first: Ipv4Addr::new(10, 0, 0, 0),
                last: Ipv4Addr::new(10, 255, 255, 255),
            },
            RouteRange {
                exclude: true,
                first: Ipv4Addr::new(10, 1, 2, 0),
                last: Ipv4Addr::new(10, 1, 2, 255),
            },
        ]
    );
    assert_eq!(main.attrs.len(), 11);
    assert_eq!(main.to_message(0x1fb).to_bytes(), b);
    let values = PulseConfig::from_main(&main).unwrap();
    assert_eq!(values, example_config());
    assert!(values.is_sufficient());
    assert!(values.esp.usable());
    assert_eq!(values.esp.algorithms().unwrap().1.icv_len(), 16);
    // A gateway building the same values sends the same bytes.
    assert_eq!(example_config().to_main().to_message(0x1fb).to_bytes(), b);
}

fn server_entry() -> EspKeyEntry {
    let mut secrets = [0u8; 64];
    secrets[..16].copy_from_slice(&seq(0));
    secrets[16..32].copy_from_slice(&seq(0x20));
    secrets[32..48].copy_from_slice(&seq(0x30));
    EspKeyEntry {
        spi: 0x1122_3344,
        secrets,
    }
}

#[test]
fn esp_keys_and_reply() {
    let b = hex(ESP_KEYS_14);
    let m = one(&b);
    let Message::EspKeys(keys) = Message::decode(&m, Sender::Gateway).unwrap() else {
        panic!("not ESP keys")
    };
    assert_eq!(keys, EspKeyMessage::new(server_entry()));
    assert_eq!(keys.entry.spi, 0x1122_3344);
    assert_eq!(&b[0x34..0x38], &[0x44, 0x33, 0x22, 0x11]);
    assert_eq!(
        EspKeyMessage::new(server_entry())
            .to_message(0x1fc)
            .to_bytes(),
        b
    );

    // (15): the client's reply as §8.5 describes it.
    let mut secrets = [0u8; 64];
    secrets[..16].copy_from_slice(&seq(0x40));
    secrets[16..48].copy_from_slice(&std::array::from_fn::<u8, 32, _>(|i| 0x60 + i as u8));
    let reply = EspKeyReply {
        client: EspKeyEntry {
            spi: 0xa1b2_c3d4,
            secrets,
        },
        server: server_entry(),
    };
    let r = reply.to_message(6).to_bytes();
    assert_eq!(r.len(), 192);
    assert_eq!(
        &r[..16],
        &[0, 0, 0x0a, 0x4c, 0, 0, 0, 1, 0, 0, 0, 0xc0, 0, 0, 0, 6]
    );
    assert_eq!(&r[16..32], &[0; 16]);
    assert_eq!(
        &r[0x20..0x34],
        &[
            0x21, 0x20, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0xb0, 0, 0, 0, 0x94, 1, 0, 0, 0
        ]
    );
    assert_eq!(&r[0x34..0x3a], &[0xd4, 0xc3, 0xb2, 0xa1, 0x00, 0x40]);
    assert_eq!(&r[0x3a..0x4a], &seq(0x40));
    assert_eq!(&r[0x6a..0x7a], &[0; 16]);
    assert_eq!(&r[0x7a..], &b[0x34..0x7a]);
    let back = Message::decode(&one(&r), Sender::Client).unwrap();
    assert_eq!(back, Message::EspReply(reply));
}

#[test]
fn small_juniper_messages() {
    let ncmo = ncmo_message(7).to_bytes();
    assert_eq!(ncmo.len(), 24);
    assert_eq!(&ncmo[16..], b"ncmo=1\n\0");

    let end = [
        0, 0, 0x0a, 0x4c, 0, 0, 0, 0x8f, 0, 0, 0, 0x14, 0, 0, 1, 0xfd, 0, 0, 0, 0,
    ];
    assert_eq!(end_of_config_message(0x1fd).to_bytes(), end);
    assert_eq!(
        Message::decode(&one(&end), Sender::Gateway).unwrap(),
        Message::EndOfConfig
    );

    // §6.8: the 20-byte IPv4 packet of oncp.md §11.4 from the client, id 8.
    let packet = [
        0x45, 0, 0, 0x14, 0, 1, 0, 0, 0x40, 0xfd, 0x64, 0xe0, 10, 10, 1, 2, 10, 0, 0, 1,
    ];
    let data = data_message(8, &packet).to_bytes();
    assert_eq!(data.len(), 36);
    assert_eq!(
        &data[..16],
        &[0, 0, 0x0a, 0x4c, 0, 0, 0, 4, 0, 0, 0, 0x24, 0, 0, 0, 8]
    );
    assert_eq!(
        Message::decode(&one(&data), Sender::Client).unwrap(),
        Message::Data(packet.to_vec())
    );

    // §7.4: logout, identifier 9.
    let logout = [0, 0, 0x0a, 0x4c, 0, 0, 0, 0x89, 0, 0, 0, 0x10, 0, 0, 0, 9];
    assert_eq!(logout_message(9).to_bytes(), logout);
    assert_eq!(
        Message::decode(&one(&logout), Sender::Client).unwrap(),
        Message::Logout
    );

    // Client information with a newline inside a value (found by fuzzing):
    // only one final `\n` and NUL are removed, so it survives re-emission.
    let odd = ClientInfo::parse(b"clientIp=10\n \n\0").unwrap();
    assert_eq!(odd.get("clientIp"), Some("10\n"));
    assert_eq!(ClientInfo::parse(&odd.to_value()).unwrap(), odd);

    // §7.2: a fatal error, URL-encoded.
    let value = b"errorType=8 errorString=Session+timed%20out%2E\n";
    let f = FatalError::parse(value).unwrap();
    assert_eq!(f.error_type, 8);
    assert_eq!(f.text, "Session timed out.");
    assert_eq!(f.meaning(), Some("session timed out"));
    assert_eq!(FatalError::parse(&f.to_value()), Some(f));
    assert_eq!(FatalError::parse(b"errorType=x errorString=a\n"), None);
    assert_eq!(FatalError::parse(b"garbage and more garbage"), None);
}

#[test]
fn extra_blocks_of_newer_servers() {
    // §5.4: the 9.1R16 extra blocks, then the route and attribute blocks.
    let r16 = [
        0x2e, 0, 0, 0x0d, 3, 0, 0, 0, 0x40, 0x25, 0, 1, 1, 0x2c, 0, 0, 0x0d, 3, 0, 0, 0, 0x40,
        0x26, 0, 1, 1,
    ];
    let mut body = r16.to_vec();
    body.extend_from_slice(&[0x2e, 0, 0, 8, 0, 0, 0, 0]);
    body.extend_from_slice(&[0, 0, 0, 0x10, 3, 0, 0, 0, 0x40, 5, 0, 4, 0, 0, 5, 0x78]);
    let mut value = vec![0u8; 16];
    value.extend_from_slice(&[0x2e, 0x20, 0xf0, 0, 0, 0, 0, 0]);
    value.extend_from_slice(&((28 + body.len()) as u32).to_be_bytes());
    value.extend_from_slice(&body);
    let m = IftMessage::new(MessageType::CONFIG, 1, value);
    let Message::Config(main) = Message::decode(&m, Sender::Gateway).unwrap() else {
        panic!("not a main configuration")
    };
    assert_eq!(main.kind, ConfigKind::MAIN_EXTENDED);
    assert_eq!(main.extra.len(), 2);
    assert_eq!(main.extra[0].flag, 0x2e00);
    assert_eq!(main.extra[1].attrs, vec![Attribute::new(0x4026, [1])]);
    assert_eq!(main.to_message(1), m);
    let v = PulseConfig::from_main(&main).unwrap();
    assert_eq!(v.mtu, Some(1400));
    assert_eq!(v.unknown.len(), 2);
}

#[test]
fn ranges_become_exact_cidrs() {
    let c = |a: [u8; 4], p| Ipv4Cidr {
        addr: Ipv4Addr::from(a),
        prefix: p,
    };
    // §5.5's example.
    assert_eq!(
        range_to_cidrs(Ipv4Addr::new(10, 0, 0, 0), Ipv4Addr::new(10, 0, 63, 255)),
        vec![c([10, 0, 0, 0], 18)]
    );
    assert_eq!(
        range_to_cidrs(Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST),
        vec![c([0, 0, 0, 0], 0)]
    );
    assert_eq!(
        range_to_cidrs(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 6)),
        vec![
            c([10, 0, 0, 1], 32),
            c([10, 0, 0, 2], 31),
            c([10, 0, 0, 4], 31),
            c([10, 0, 0, 6], 32)
        ]
    );
    assert_eq!(
        range_to_cidrs(Ipv4Addr::BROADCAST, Ipv4Addr::BROADCAST),
        vec![c([255; 4], 32)]
    );
    assert!(range_to_cidrs(Ipv4Addr::new(1, 0, 0, 1), Ipv4Addr::new(1, 0, 0, 0)).is_empty());
}

fn client_stream() -> Vec<u8> {
    let mut s = Vec::new();
    for d in [
        VERSION_REQUEST_1,
        CLIENT_INFO_3,
        IDENTITY_RESPONSE_5,
        CLIENT_VERSION_7,
        PASSWORD_RESPONSE_9,
        EMPTY_RESPONSE_11,
    ] {
        s.extend(hex(d));
    }
    s.extend(ncmo_message(7).to_bytes());
    s.extend(logout_message(9).to_bytes());
    s
}

fn server_stream() -> Vec<u8> {
    let mut s = Vec::new();
    for d in [
        VERSION_RESPONSE_2,
        AUTH_START_4,
        SERVER_INFO_6,
        PASSWORD_REQUEST_8,
        AUTH_SUCCESS_12,
        MAIN_CONFIG_13,
        ESP_KEYS_14,
    ] {
        s.extend(hex(d));
    }
    s.extend(end_of_config_message(0x1fd).to_bytes());
    s
}

fn deframe(stream: &[u8], cuts: &[usize]) -> Vec<Framed> {
    let mut d = Deframer::new();
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts.iter().chain([stream.len()].iter()) {
        d.feed(&stream[last..c]).unwrap();
        last = c;
        while let Some(f) = d.poll() {
            out.push(f);
        }
    }
    assert!(!d.has_partial());
    out
}

#[test]
fn streams_split_at_every_offset() {
    for (stream, count, sender) in [
        (client_stream(), 8, Sender::Client),
        (server_stream(), 8, Sender::Gateway),
    ] {
        let whole = deframe(&stream, &[]);
        assert_eq!(whole.len(), count);
        for f in &whole {
            Message::decode(&f.message, sender).unwrap();
        }
        let rebuilt: Vec<u8> = whole.iter().flat_map(|f| f.message.to_bytes()).collect();
        assert_eq!(rebuilt, stream);
        for cut in 0..=stream.len() {
            assert_eq!(deframe(&stream, &[cut]), whole, "cut at {cut}");
        }
        let bytes: Vec<usize> = (1..stream.len()).collect();
        assert_eq!(deframe(&stream, &bytes), whole);
    }
}

#[test]
fn upgrade_request_and_logout() {
    use oncp_core::oncp::wire::http::{RequestHead, ResponseHead};
    use oncp_core::pulse::http::*;
    let mut r = UpgradeRequest {
        host: "vpn.example.com".into(),
        port: 443,
        path: String::new(),
        user_agent: "Open AnyConnect VPN Agent v9.01".into(),
        dsid: None,
    };
    // §2.1, byte for byte.
    assert_eq!(
        r.to_bytes(),
        b"GET / HTTP/1.1\r\nHost: vpn.example.com\r\nUser-Agent: Open AnyConnect VPN Agent v9.01\r\n\
Content-Type: EAP\r\nUpgrade: IF-T/TLS 1.0\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(r.logout_bytes(), None);
    let head = RequestHead::parse(&r.to_bytes()).unwrap();
    assert!(is_upgrade_request(&head));
    r.path = "/sign-in/staff".into();
    r.port = 8443;
    r.host = "2001:db8::1".into();
    r.dsid = Some(Secret::from("abc"));
    let text = String::from_utf8(r.to_bytes()).unwrap();
    assert!(text.starts_with("GET /sign-in/staff HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n"));
    assert!(text.contains("\r\nCookie: DSID=abc\r\nContent-Type: EAP\r\n"));
    assert!(!format!("{r:?}").contains("abc"));
    let logout = String::from_utf8(r.logout_bytes().unwrap()).unwrap();
    assert!(logout.starts_with("GET /dana-na/auth/logout.cgi HTTP/1.1\r\n"));
    assert!(logout.contains("Cookie: DSID=abc\r\n") && !logout.contains("NCP-Version"));
    // The oNCP tunnel request is not an upgrade.
    let oncp =
        RequestHead::parse(b"POST /dana/js?prot=1&svc=4 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(!is_upgrade_request(&oncp));
    let resp = ResponseHead::parse(SWITCHING_PROTOCOLS).unwrap();
    assert_eq!(resp.status, 101);
}
