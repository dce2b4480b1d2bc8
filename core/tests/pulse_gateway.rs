//! The Pulse gateway session against a scripted client that speaks like
//! OpenConnect 9.01 (spec/pulse.md §4, §8, §9): password, realm, token,
//! session-limit and cookie sign-ins decided by a test driver; the
//! configuration, ESP keys, probes and data over ESP and TLS; rekey,
//! dead ESP, logout, termination; the whole client stream split at every
//! offset; bad input from the client. Simulated clock: `Instant` values.

use std::net::{Ipv4Addr, Ipv6Addr};

use oncp_core::esp::{
    CipherCode, InboundSa, MacCode, NextHeader, OutboundSa, SaLifetime, SaParams,
};
use oncp_core::pulse::auth::{
    AuthMessage, AuthStage, ClientAnswer, Credential, Juniper2Response, RequestKind, ServerRequest,
};
use oncp_core::pulse::config::{EspKeyEntry, EspKeyMessage, EspKeyReply, PulseConfig};
use oncp_core::pulse::control::{
    ClientInfo, FatalError, data_message, logout_message, ncmo_message,
};
use oncp_core::pulse::eap::{EapCode, EapPacket, eap_type};
use oncp_core::pulse::session::GatewaySession;
use oncp_core::pulse::version::VersionRequest;
use oncp_core::pulse::{Deframer, IftMessage, Message, MessageType, Secret, Sender};
use oncp_core::rng::TestRng;
use oncp_core::time::{Duration, Instant};
use oncp_core::tunnel::{
    DisconnectReason, EspConfig, EspDownReason, GatewayEvent, GatewayTunnel, IfAddr, LoginAnswer,
    LoginStep, OpenSession, Output, Prefix, RejectReason, TunnelConfig,
};
use zeroize::Zeroizing;

const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: vpn.example.com\r\n\
User-Agent: Open AnyConnect VPN Agent v9.01\r\nContent-Type: EAP\r\n\
Upgrade: IF-T/TLS 1.0\r\nContent-Length: 0\r\n\r\n";
const DSID: &str = "0123456789abcdef0123456789abcdef";
const UA: &str = "Open AnyConnect VPN Agent v9.01";

fn config(esp: bool) -> TunnelConfig {
    TunnelConfig {
        ipv4: Some(IfAddr {
            addr: Ipv4Addr::new(10, 10, 1, 2),
            prefix_len: Some(24),
        }),
        ipv6: Some(IfAddr {
            addr: "fd00:10::2".parse().unwrap(),
            prefix_len: Some(64),
        }),
        include_v4: vec![Prefix {
            addr: Ipv4Addr::new(10, 0, 0, 0),
            len: 8,
        }],
        dns: vec![Ipv4Addr::new(10, 0, 0, 53).into()],
        search_domains: vec!["example.com".into()],
        mtu: Some(1400),
        esp: if esp {
            EspConfig {
                port: Some(4500),
                cipher: Some(CipherCode::AES128_CBC),
                integrity: Some(MacCode::HMAC_SHA256_128),
                dpd_secs: Some(10),
                lifetime_secs: Some(100),
                ..EspConfig::default()
            }
        } else {
            EspConfig::default()
        },
        ..TunnelConfig::default()
    }
}

/// A gateway session and what it produced.
struct Gw {
    s: GatewaySession,
    tls: Vec<Vec<u8>>,
    udp: Vec<Vec<u8>>,
    ip: Vec<Vec<u8>>,
    events: Vec<GatewayEvent>,
}

impl Gw {
    fn new(seed: u64) -> Gw {
        Gw {
            s: GatewaySession::new(Box::new(TestRng::new(seed)), Instant(0)),
            tls: Vec::new(),
            udp: Vec::new(),
            ip: Vec::new(),
            events: Vec::new(),
        }
    }
    fn pull(&mut self) {
        let mut buf = Vec::new();
        while let Some(o) = self.s.poll_output(&mut buf) {
            match o {
                Output::Tls => self.tls.push(buf.clone()),
                Output::Udp => self.udp.push(buf.clone()),
                Output::Ip => self.ip.push(buf.clone()),
                Output::Event(e) => self.events.push(e),
            }
        }
    }
    fn feed(&mut self, now: Instant, data: &[u8]) {
        self.s.handle_tls(now, data);
        self.pull();
    }
    /// The IF-T messages sent since the last call, one per TLS output.
    fn messages(&mut self) -> Vec<IftMessage> {
        let mut out = Vec::new();
        for t in std::mem::take(&mut self.tls) {
            let (m, used) = IftMessage::parse(&t, 1 << 20).expect("one whole message");
            assert_eq!(used, t.len(), "one IF-T message per TLS record");
            out.push(m);
        }
        out
    }
    fn take_events(&mut self) -> Vec<GatewayEvent> {
        std::mem::take(&mut self.events)
    }
}

/// A client speaking like OpenConnect 9.01.
struct Client {
    ids: u32,
}

impl Client {
    fn new() -> Client {
        Client { ids: 0 }
    }
    fn msg(&mut self, m: IftMessage) -> Vec<u8> {
        let m = IftMessage::new(m.msg_type, self.ids, m.value);
        self.ids += 1;
        m.to_bytes()
    }
    fn version(&mut self) -> Vec<u8> {
        self.msg(VersionRequest::OPENCONNECT.to_message(0))
    }
    fn info(&mut self) -> Vec<u8> {
        self.msg(ClientInfo::new("debian", Some("192.0.2.10")).to_message(0))
    }
    fn identity(&mut self) -> Vec<u8> {
        let e = EapPacket::typed(
            EapCode::Response,
            1,
            eap_type::IDENTITY,
            b"anonymous".to_vec(),
        );
        self.msg(AuthMessage::with_eap(AuthStage::Response, e).to_message(0))
    }
    fn answer(&mut self, eap_id: u8, a: ClientAnswer) -> Vec<u8> {
        let avps = a.to_avps().unwrap();
        self.msg(AuthMessage::juniper1(AuthStage::Response, eap_id, &avps).to_message(0))
    }
    fn hello(&mut self, eap_id: u8, cookie: Option<&str>) -> Vec<u8> {
        self.answer(
            eap_id,
            ClientAnswer::Hello {
                version: UA.into(),
                cookie: cookie.map(Secret::from),
                os: None,
            },
        )
    }
}

/// The EAP identifier and classified request of a gateway challenge.
fn request(m: &IftMessage) -> (u8, ServerRequest) {
    assert_eq!(m.msg_type, MessageType::AUTH_CHALLENGE);
    let a = AuthMessage::parse(m).unwrap();
    let id = a.eap.as_ref().unwrap().identifier;
    let avps = a.juniper1_avps().unwrap().unwrap();
    (id, ServerRequest::from_avps(&avps).unwrap())
}

/// Runs the client up to its first Juniper/1 response; returns the EAP id
/// of the server-information request.
fn open(gw: &mut Gw, c: &mut Client) -> u8 {
    gw.feed(Instant(0), UPGRADE);
    assert!(gw.tls.remove(0).starts_with(b"HTTP/1.1 101 "));
    gw.feed(Instant(0), &c.version());
    let m = gw.messages();
    assert_eq!(m[0].msg_type, MessageType::VERSION_RESPONSE);
    assert_eq!(m[0].to_bytes().len(), 20);
    assert_eq!(m[0].value, [0, 0, 0, 2]);
    gw.feed(Instant(0), &c.info());
    assert_eq!(gw.s.client_hostname(), "debian");
    let m = gw.messages();
    assert_eq!(m[0].to_bytes().len(), 20, "auth start: auth type only");
    gw.feed(Instant(0), &c.identity());
    let m = gw.messages();
    let (id, r) = request(&m[0]);
    assert_eq!(r.kind, RequestKind::ServerInfo);
    id
}

fn password(user: &str, inner: u8, pw: &str) -> ClientAnswer {
    ClientAnswer::Credential {
        username: Some(user.into()),
        inner_id: inner,
        credential: Credential::Password(Juniper2Response {
            password: Secret::from(pw),
            new_password: None,
        }),
    }
}

/// After the cookie request: the client's empty response, the tunnel
/// request and its acceptance; returns the setup messages.
fn finish(gw: &mut Gw, c: &mut Client, eap_id: u8, cfg: TunnelConfig) -> Vec<IftMessage> {
    gw.feed(Instant(0), &c.answer(eap_id, ClientAnswer::Empty));
    let ev = gw.take_events();
    assert!(
        matches!(&ev[..], [GatewayEvent::TunnelRequested(r)] if r.dsid.as_deref() == Some(DSID)),
        "{ev:?}"
    );
    gw.s.accept(Instant(0), cfg);
    gw.pull();
    gw.messages()
}

/// The setup messages: success, main configuration, [ESP keys], end,
/// licence.
fn check_setup(m: &[IftMessage], esp: bool) -> (PulseConfig, Option<EspKeyMessage>) {
    assert_eq!(m[0].msg_type, MessageType::AUTH_SUCCESS);
    assert_eq!(m[0].to_bytes().len(), 24, "success is exactly 24 bytes");
    let Message::Config(main) = Message::decode(&m[1], Sender::Gateway).unwrap() else {
        panic!("main configuration second");
    };
    let cfg = PulseConfig::from_main(&main).unwrap();
    let keys = if esp {
        let Message::EspKeys(k) = Message::decode(&m[2], Sender::Gateway).unwrap() else {
            panic!("ESP keys third");
        };
        Some(k)
    } else {
        None
    };
    let rest = &m[if esp { 3 } else { 2 }..];
    assert_eq!(rest[0].msg_type, MessageType::END_OF_CONFIG);
    assert_eq!(rest[1].msg_type, MessageType::LICENCE);
    assert_eq!(rest.len(), 2);
    (cfg, keys)
}

/// A password sign-in up to the configuration.
fn password_login(
    gw: &mut Gw,
    c: &mut Client,
    cfg: TunnelConfig,
) -> (PulseConfig, Option<EspKeyMessage>) {
    let id = open(gw, c);
    gw.feed(Instant(0), &c.hello(id, None));
    let ev = gw.take_events();
    assert!(
        matches!(&ev[..], [GatewayEvent::Login(LoginAnswer::Start { client_version })] if client_version == UA),
        "{ev:?}"
    );
    gw.s.login_step(
        Instant(0),
        LoginStep::Password {
            username: true,
            retry: false,
        },
    );
    gw.pull();
    let m = gw.messages();
    let (id, r) = request(&m[0]);
    let RequestKind::Password { inner_id, .. } = r.kind else {
        panic!("password request: {r:?}");
    };
    assert_eq!(r.modifiers.prompt_fields, None);
    gw.feed(
        Instant(0),
        &c.answer(id, password("alice", inner_id, "hunter2")),
    );
    let ev = gw.take_events();
    assert!(
        matches!(&ev[..], [GatewayEvent::Login(LoginAnswer::Password { username, password })]
            if username.as_deref() == Some("alice") && password.as_str() == "hunter2"),
        "{ev:?}"
    );
    gw.s.login_step(Instant(0), LoginStep::Granted(Zeroizing::new(DSID.into())));
    gw.pull();
    let m = gw.messages();
    let (id, r) = request(&m[0]);
    assert!(matches!(r.kind, RequestKind::Cookie(ref d) if d.expose() == DSID));
    let esp = cfg.esp.port.is_some();
    let setup = finish(gw, c, id, cfg);
    let ev = gw.take_events();
    assert!(matches!(ev[0], GatewayEvent::Accepted { .. }), "{ev:?}");
    assert!(matches!(ev[1], GatewayEvent::Configured), "{ev:?}");
    check_setup(&setup, esp)
}

/// The client's keys: its reply and its SAs (outbound to the gateway
/// with the gateway's keys, inbound with its own).
fn client_keys(
    keys: &EspKeyMessage,
    cfg: &PulseConfig,
    seed: u64,
) -> (EspKeyReply, OutboundSa, InboundSa) {
    let (cipher, integrity) = cfg.esp.algorithms().unwrap();
    let mine = SaParams::generate(cipher, integrity, &mut TestRng::new(seed));
    let reply = EspKeyReply {
        client: EspKeyEntry {
            spi: mine.spi,
            secrets: mine.secrets,
        },
        server: keys.entry.clone(),
    };
    let to_gw = SaParams::new(keys.entry.spi, cipher, integrity, &keys.entry.secrets);
    (
        reply,
        OutboundSa::new(&to_gw, Instant(0), SaLifetime::default()),
        InboundSa::new(&mine, true),
    )
}

fn ipv4(id: u8, len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 253;
    p[12..16].copy_from_slice(&[10, 10, 1, 1]);
    p[16..20].copy_from_slice(&[10, 10, 1, 2]);
    p[20] = id;
    p
}

fn ipv6(len: usize) -> Vec<u8> {
    let mut p = vec![0u8; 40 + len];
    p[0] = 0x60;
    p[4..6].copy_from_slice(&(len as u16).to_be_bytes());
    p[6] = 59;
    p[7] = 64;
    p
}

#[test]
fn password_login_then_esp_tls_data_rekey_and_logout() {
    let mut gw = Gw::new(7);
    let mut c = Client::new();
    let (cfg, keys) = password_login(&mut gw, &mut c, config(true));
    assert_eq!(cfg.ipv4_address, Some(Ipv4Addr::new(10, 10, 1, 2)));
    assert_eq!(cfg.ipv4_netmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(
        cfg.ipv6_address.unwrap().addr,
        "fd00:10::2".parse::<Ipv6Addr>().unwrap()
    );
    assert_eq!(cfg.split_include.len(), 1);
    assert_eq!(cfg.mtu, Some(1400));
    assert_eq!(
        (cfg.esp.port, cfg.esp.mac, cfg.esp.fallback_secs),
        (Some(4500), Some(3), Some(10))
    );
    assert!(cfg.is_sufficient() && cfg.esp.usable());
    let keys = keys.unwrap();
    assert_eq!(gw.s.inbound_spis().0, Some(keys.entry.spi));

    // Before the client's keys everything goes over TLS.
    gw.s.send_ip(Instant(0), &ipv4(1, 60));
    gw.pull();
    let m = gw.messages();
    assert_eq!(m[0].msg_type, MessageType::DATA);
    assert_eq!(m[0].value, ipv4(1, 60));

    let (reply, mut to_gw, mut from_gw) = client_keys(&keys, &cfg, 99);
    gw.feed(Instant(0), &c.msg(reply.to_message(0)));
    gw.feed(Instant(0), &c.msg(ncmo_message(0)));
    assert!(gw.messages().is_empty(), "nothing answers the reply");
    // A probe: answered on the client's SA; ESP is up.
    let mut rng = TestRng::new(5);
    let probe = to_gw.probe(&mut rng).unwrap();
    assert!(gw.s.handle_udp(Instant(1_000), &probe));
    gw.pull();
    let mut answer = gw.udp.remove(0);
    let d = from_gw.decrypt_in_place(&mut answer).unwrap();
    assert!(d.is_probe(&answer));
    assert!(gw.take_events().contains(&GatewayEvent::EspUp));
    assert!(gw.s.esp_active());

    // IPv4 to the client over ESP, IPv6 over TLS (spec §6.5).
    gw.s.send_ip(Instant(2_000), &ipv4(2, 100));
    gw.s.send_ip(Instant(2_000), &ipv6(8));
    gw.pull();
    let mut d = gw.udp.remove(0);
    let r = from_gw.decrypt_in_place(&mut d).unwrap();
    assert_eq!(&d[r.payload.clone()], &ipv4(2, 100)[..]);
    let m = gw.messages();
    assert_eq!(m[0].value, ipv6(8));
    // From the client: over ESP and over TLS.
    let e = to_gw
        .encrypt(&ipv4(3, 80), NextHeader::IPV4, &mut rng)
        .unwrap();
    assert!(gw.s.handle_udp(Instant(3_000), &e));
    gw.feed(Instant(3_000), &c.msg(data_message(0, &ipv6(16))));
    gw.pull();
    assert_eq!(gw.ip, [ipv4(3, 80), ipv6(16)]);
    // Not a whole packet: not sent.
    gw.s.send_ip(Instant(3_000), &ipv4(4, 60)[..50]);
    gw.pull();
    assert!(gw.udp.is_empty() && gw.tls.is_empty());
    assert_eq!(gw.s.stats().unsendable, 1);
    assert_eq!(gw.s.stats().esp_packets_in, 1);
    assert_eq!(gw.s.stats().tls_packets_in, 1);

    // Rekey after the 100 s lifetime: new keys alone in their record; the
    // client's reply completes it.
    let due = gw.s.poll_timeout().unwrap();
    assert!(due <= Instant(0) + Duration::from_secs(100));
    // Keep ESP alive until then.
    let t = Instant(0) + Duration::from_secs(100);
    let probe = to_gw.probe(&mut rng).unwrap();
    assert!(gw.s.handle_udp(t, &probe));
    gw.pull();
    gw.udp.clear();
    gw.s.handle_timeout(t);
    gw.pull();
    let m = gw.messages();
    assert_eq!(m.len(), 1);
    let Message::EspKeys(new_keys) = Message::decode(&m[0], Sender::Gateway).unwrap() else {
        panic!("rekey message");
    };
    assert_ne!(new_keys.entry.spi, keys.entry.spi);
    assert_eq!(
        gw.s.inbound_spis(),
        (Some(new_keys.entry.spi), Some(keys.entry.spi))
    );
    let (reply, _, _) = client_keys(&new_keys, &cfg, 100);
    gw.feed(t, &c.msg(reply.to_message(0)));
    assert!(gw.take_events().contains(&GatewayEvent::Rekeyed));
    assert_eq!(gw.s.stats().rekeys, 1);

    // Logout.
    gw.feed(t, &c.msg(logout_message(0)));
    assert_eq!(
        gw.take_events(),
        [GatewayEvent::Disconnected(DisconnectReason::LoggedOut)]
    );
    assert!(gw.s.is_closed());
    assert_eq!(gw.s.poll_timeout(), None);
}

#[test]
fn esp_silence_falls_back_to_tls() {
    let mut gw = Gw::new(8);
    let mut c = Client::new();
    let (cfg, keys) = password_login(&mut gw, &mut c, config(true));
    let (reply, mut to_gw, _) = client_keys(&keys.unwrap(), &cfg, 3);
    gw.feed(Instant(0), &c.msg(reply.to_message(0)));
    gw.feed(Instant(0), &c.msg(ncmo_message(0)));
    let probe = to_gw.probe(&mut TestRng::new(1)).unwrap();
    assert!(gw.s.handle_udp(Instant(0), &probe));
    gw.pull();
    assert!(gw.s.esp_active());
    gw.take_events();
    // DPD 10 s: after 3 intervals without ESP from the client, TLS.
    let dead = gw.s.poll_timeout().unwrap();
    assert_eq!(dead, Instant(0) + Duration::from_secs(30));
    gw.s.handle_timeout(dead);
    gw.pull();
    assert_eq!(
        gw.take_events(),
        [GatewayEvent::EspDown(EspDownReason::DeadPeer)]
    );
    gw.s.send_ip(dead, &ipv4(9, 40));
    gw.pull();
    assert_eq!(gw.messages()[0].msg_type, MessageType::DATA);
    // ESP again, then the client sends IPv4 over TLS: it left ESP, so the
    // gateway answers over TLS at once.
    let probe = to_gw.probe(&mut TestRng::new(2)).unwrap();
    assert!(gw.s.handle_udp(dead, &probe));
    gw.pull();
    assert!(gw.take_events().contains(&GatewayEvent::EspUp));
    gw.tls.clear();
    gw.feed(dead, &c.msg(data_message(0, &ipv4(10, 40))));
    assert_eq!(
        gw.take_events(),
        [GatewayEvent::EspDown(EspDownReason::DisabledByPeer)]
    );
    gw.udp.clear();
    gw.s.send_ip(dead, &ipv4(11, 40));
    gw.pull();
    assert!(gw.udp.is_empty());
    assert_eq!(gw.messages()[0].value, ipv4(11, 40));
    // A garbage datagram is refused and counted.
    assert!(!gw.s.handle_udp(dead, &[0u8; 60]));
    assert_eq!(gw.s.stats().esp_dropped, 1);
}

#[test]
fn realm_token_session_limit_and_failure() {
    let mut gw = Gw::new(9);
    let mut c = Client::new();
    let id = open(&mut gw, &mut c);
    gw.feed(Instant(0), &c.hello(id, None));
    gw.take_events();
    let realms = vec!["Users".to_string(), "Admins".to_string()];
    gw.s.login_step(Instant(0), LoginStep::ChooseRealm(realms.clone()));
    gw.pull();
    let (id, r) = request(&gw.messages()[0]);
    assert_eq!(r.kind, RequestKind::RealmList(realms));
    gw.feed(
        Instant(0),
        &c.answer(id, ClientAnswer::Realm("Admins".into())),
    );
    assert_eq!(
        gw.take_events(),
        [GatewayEvent::Login(LoginAnswer::Realm("Admins".into()))]
    );
    gw.s.login_step(
        Instant(0),
        LoginStep::Token {
            prompt: "Enter code".into(),
        },
    );
    gw.pull();
    let (id, r) = request(&gw.messages()[0]);
    let RequestKind::Token { inner_id, prompt } = r.kind else {
        panic!("{r:?}");
    };
    assert_eq!(prompt, "Enter code");
    assert_eq!(r.modifiers.prompt_fields, Some(3), "password only");
    gw.feed(
        Instant(0),
        &c.answer(
            id,
            ClientAnswer::Credential {
                username: None,
                inner_id,
                credential: Credential::Token(Secret::from("123456")),
            },
        ),
    );
    let ev = gw.take_events();
    assert!(
        matches!(&ev[..], [GatewayEvent::Login(LoginAnswer::Token { code, .. })] if code.as_str() == "123456"),
        "{ev:?}"
    );
    gw.s.login_step(
        Instant(0),
        LoginStep::ChooseSession(vec![OpenSession {
            id: "s1".into(),
            from: "192.0.2.7".into(),
            login_time: 1_700_000_000,
        }]),
    );
    gw.pull();
    let (id, r) = request(&gw.messages()[0]);
    let RequestKind::SessionLimit(s) = r.kind else {
        panic!("{r:?}");
    };
    assert_eq!(s[0].id, "s1");
    gw.feed(
        Instant(0),
        &c.answer(id, ClientAnswer::KillSession("s1".into())),
    );
    assert_eq!(
        gw.take_events(),
        [GatewayEvent::Login(LoginAnswer::EndSession("s1".into()))]
    );
    gw.s.login_step(Instant(0), LoginStep::Failed("Wrong code".into()));
    gw.pull();
    let (_, r) = request(&gw.messages()[0]);
    assert!(matches!(r.kind, RequestKind::Failure(_)), "{r:?}");
    assert_eq!(
        gw.take_events(),
        [GatewayEvent::Disconnected(DisconnectReason::LoginFailed(
            "Wrong code".into()
        ))]
    );
}

#[test]
fn wrong_answers_end_the_session() {
    let mut gw = Gw::new(10);
    let mut c = Client::new();
    let id = open(&mut gw, &mut c);
    gw.feed(Instant(0), &c.hello(id, None));
    gw.take_events();
    gw.s.login_step(Instant(0), LoginStep::ChooseRealm(vec!["A".into()]));
    gw.pull();
    let (id, _) = request(&gw.messages()[0]);
    // A password where a realm was asked for.
    gw.feed(Instant(0), &c.answer(id, password("a", 1, "b")));
    let ev = gw.take_events();
    assert!(
        matches!(
            &ev[..],
            [GatewayEvent::Disconnected(DisconnectReason::Protocol(_))]
        ),
        "{ev:?}"
    );
    // A wrong echo of the EAP identifier.
    let mut gw = Gw::new(10);
    let mut c = Client::new();
    let id = open(&mut gw, &mut c);
    gw.feed(Instant(0), &c.hello(id.wrapping_add(1), None));
    assert!(gw.s.is_closed());
    // Data before the login: a protocol error, not a panic.
    let mut gw = Gw::new(10);
    let mut c = Client::new();
    gw.feed(Instant(0), UPGRADE);
    gw.feed(Instant(0), &c.msg(data_message(0, &ipv4(1, 30))));
    assert!(gw.s.is_closed());
    // Not an upgrade: 404.
    let mut gw = Gw::new(10);
    gw.feed(Instant(0), b"GET /dana-na/ HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(gw.tls[0].starts_with(b"HTTP/1.1 404"));
    assert!(gw.s.is_closed());
    // A message longer than the login limit is refused from its header.
    let mut gw = Gw::new(10);
    gw.feed(Instant(0), UPGRADE);
    gw.feed(
        Instant(0),
        &[0, 0, 0x55, 0x97, 0, 0, 0, 1, 0x7f, 0, 0, 0, 0, 0, 0, 0],
    );
    assert!(gw.s.is_closed());
    // Whole messages before a framing error count, however the stream
    // is cut: version and client information answered, then the end.
    let mut c = Client::new();
    let mut stream = c.version();
    stream.extend(c.info());
    stream.extend([1u8; 16]);
    let mut one = Gw::new(10);
    one.feed(Instant(0), UPGRADE);
    one.feed(Instant(0), &stream);
    let mut two = Gw::new(10);
    two.feed(Instant(0), UPGRADE);
    for b in &stream {
        two.feed(Instant(0), &[*b]);
    }
    assert_eq!(one.tls, two.tls);
    assert_eq!(one.tls.len(), 3, "101, version, auth start");
    assert!(one.s.is_closed() && two.s.is_closed());
    // The sign-in times out.
    let mut gw = Gw::new(10);
    gw.feed(Instant(0), UPGRADE);
    let t = gw.s.poll_timeout().unwrap();
    gw.s.handle_timeout(t);
    gw.pull();
    assert!(matches!(
        gw.take_events()[..],
        [GatewayEvent::Disconnected(DisconnectReason::LoginFailed(_))]
    ));
}

#[test]
fn cookie_login_accepted_refused_and_terminated() {
    // Accepted: the cookie comes back, then success and configuration.
    let mut gw = Gw::new(11);
    let mut c = Client::new();
    let id = open(&mut gw, &mut c);
    gw.feed(Instant(0), &c.hello(id, Some(DSID)));
    let ev = gw.take_events();
    assert!(
        matches!(&ev[..], [GatewayEvent::TunnelRequested(r)] if r.dsid.as_deref() == Some(DSID)),
        "{ev:?}"
    );
    gw.s.accept(Instant(0), config(false));
    gw.pull();
    let (id, r) = request(&gw.messages()[0]);
    assert!(matches!(r.kind, RequestKind::Cookie(ref d) if d.expose() == DSID));
    gw.feed(Instant(0), &c.answer(id, ClientAnswer::Empty));
    let (cfg, keys) = check_setup(&gw.messages(), false);
    assert!(keys.is_none() && cfg.esp.port.is_none());
    // The gateway ends it: fatal error 7 with text.
    gw.s.close(Instant(0));
    gw.pull();
    let m = gw.messages();
    let Message::FatalError(FatalError { error_type, text }) =
        Message::decode(&m[0], Sender::Gateway).unwrap()
    else {
        panic!("fatal error");
    };
    assert_eq!(error_type, 7);
    assert!(text.contains("terminated"));

    // Refused: a normal sign-in starts instead.
    let mut gw = Gw::new(12);
    let mut c = Client::new();
    let id = open(&mut gw, &mut c);
    gw.feed(Instant(0), &c.hello(id, Some("stale")));
    gw.take_events();
    gw.s.reject(Instant(0), RejectReason::BadCookie);
    gw.pull();
    assert!(matches!(
        gw.take_events()[..],
        [GatewayEvent::Login(LoginAnswer::Start { .. })]
    ));
}

/// The whole client side of a password sign-in with ESP, as one byte
/// stream, and a driver that answers like the test above.
fn scripted_run(cuts: &[usize], script: &[u8]) -> (Vec<u8>, Vec<String>, Vec<Vec<u8>>) {
    let mut gw = Gw::new(21);
    let mut notes = Vec::new();
    let mut start = 0;
    let mut points: Vec<usize> = cuts.to_vec();
    points.push(script.len());
    for end in points {
        gw.s.handle_tls(Instant(0), &script[start..end]);
        start = end;
        loop {
            gw.pull();
            let ev = gw.take_events();
            if ev.is_empty() {
                break;
            }
            for e in ev {
                match e {
                    GatewayEvent::Login(LoginAnswer::Start { .. }) => gw.s.login_step(
                        Instant(0),
                        LoginStep::Password {
                            username: true,
                            retry: false,
                        },
                    ),
                    GatewayEvent::Login(_) => {
                        gw.s.login_step(Instant(0), LoginStep::Granted(Zeroizing::new(DSID.into())))
                    }
                    GatewayEvent::TunnelRequested(_) => gw.s.accept(Instant(0), config(true)),
                    other => notes.push(format!("{other:?}")),
                }
            }
        }
    }
    (gw.tls.concat(), notes, gw.ip)
}

#[test]
fn client_stream_split_at_every_offset() {
    // Learn the gateway's answers once (identifiers, keys), then build the
    // client's whole stream.
    let mut gw = Gw::new(21);
    let mut c = Client::new();
    let mut script = Vec::new();
    let push = |b: Vec<u8>, gw: &mut Gw, s: &mut Vec<u8>| {
        gw.feed(Instant(0), &b);
        s.extend_from_slice(&b);
    };
    push(UPGRADE.to_vec(), &mut gw, &mut script);
    push(c.version(), &mut gw, &mut script);
    push(c.info(), &mut gw, &mut script);
    push(c.identity(), &mut gw, &mut script);
    gw.tls.clear();
    let id = 2;
    push(c.hello(id, None), &mut gw, &mut script);
    gw.s.login_step(
        Instant(0),
        LoginStep::Password {
            username: true,
            retry: false,
        },
    );
    gw.pull();
    let (id, r) = request(&gw.messages()[0]);
    let RequestKind::Password { inner_id, .. } = r.kind else {
        panic!()
    };
    push(
        c.answer(id, password("alice", inner_id, "hunter2")),
        &mut gw,
        &mut script,
    );
    gw.s.login_step(Instant(0), LoginStep::Granted(Zeroizing::new(DSID.into())));
    gw.pull();
    let (id, _) = request(&gw.messages()[0]);
    push(c.answer(id, ClientAnswer::Empty), &mut gw, &mut script);
    gw.s.accept(Instant(0), config(true));
    gw.pull();
    let (cfg, keys) = check_setup(&gw.messages(), true);
    let (reply, _, _) = client_keys(&keys.unwrap(), &cfg, 4);
    push(c.msg(reply.to_message(0)), &mut gw, &mut script);
    push(c.msg(ncmo_message(0)), &mut gw, &mut script);
    push(c.msg(data_message(0, &ipv4(1, 40))), &mut gw, &mut script);
    push(c.msg(logout_message(0)), &mut gw, &mut script);

    let (whole_tls, whole_notes, whole_ip) = scripted_run(&[], &script);
    assert_eq!(whole_ip, [ipv4(1, 40)]);
    assert!(
        whole_notes.iter().any(|n| n.contains("LoggedOut")),
        "{whole_notes:?}"
    );
    let mut frames = Deframer::new();
    frames
        .feed(&whole_tls[oncp_core::pulse::http::SWITCHING_PROTOCOLS.len()..])
        .unwrap();
    let n = std::iter::from_fn(|| frames.poll()).count();
    assert!(n >= 10, "{n} gateway messages");
    for cut in 1..script.len() {
        let (tls, notes, ip) = scripted_run(&[cut], &script);
        assert_eq!(tls, whole_tls, "split at {cut}");
        assert_eq!(notes, whole_notes, "split at {cut}");
        assert_eq!(ip, whole_ip, "split at {cut}");
    }
    // And byte by byte.
    let all: Vec<usize> = (1..script.len()).collect();
    assert_eq!(scripted_run(&all, &script).0, whole_tls);
}

#[test]
fn garbage_in_every_phase_never_panics() {
    let mut rng = 0x1234_5678_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for round in 0..300 {
        let mut gw = Gw::new(round);
        let mut c = Client::new();
        let steps = round % 5;
        gw.feed(Instant(0), UPGRADE);
        if steps > 0 {
            gw.feed(Instant(0), &c.version());
        }
        if steps > 1 {
            gw.feed(Instant(0), &c.info());
        }
        if steps > 2 {
            gw.feed(Instant(0), &c.identity());
        }
        // A message with a plausible header and random contents.
        let len = (next() % 200) as usize;
        let mut value: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if round % 3 == 0 && value.len() >= 4 {
            value[..4].copy_from_slice(&[0, 0x0a, 0x4c, 0x01]);
        }
        let t = [
            MessageType::AUTH_RESPONSE,
            MessageType::CONFIG,
            MessageType::DATA,
            MessageType::VERSION_REQUEST,
            MessageType::CLIENT_INFO,
        ][(next() % 5) as usize];
        gw.feed(Instant(0), &c.msg(IftMessage::new(t, 0, value)));
        let raw: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
        gw.feed(Instant(0), &raw);
        let _ = gw.s.handle_udp(Instant(0), &raw);
        gw.s.handle_timeout(Instant(u64::MAX / 2));
        gw.pull();
    }
}
