//! The Pulse client session (sans-IO) against the Pulse gateway session
//! over a simulated link and clock: password, realm, token and session
//! limit sign-ins with every answer given by the test as the driver;
//! failures as typed reasons; the configuration of both families; ESP up
//! with HMAC-SHA-256-128 and IPv4 over ESP, IPv6 over TLS (spec §6.5);
//! data over TLS with ESP off; rekey; reconnect with the cookie; the
//! gateway's stream split at every offset; logout in band.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use oncp_core::esp::{CipherCode, MacCode};
use oncp_core::pulse::Secret;
use oncp_core::pulse::session::{ClientOptions, ClientSession, GatewaySession};
use oncp_core::rng::TestRng;
use oncp_core::time::{Duration, Instant};
use oncp_core::tunnel::{
    ChoiceKind, ClientEvent, ClientTunnel, DisconnectReason, EspConfig, GatewayEvent,
    GatewayTunnel, IfAddr, LoginAnswer, LoginPrompt, LoginReply, LoginStep, OpenSession, Output,
    Prefix, Transport, TunnelConfig,
};
use zeroize::Zeroizing;

const DSID: &str = "0123456789abcdef0123456789abcdef";

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
        include_v6: vec![Prefix {
            addr: "fd00:10::".parse().unwrap(),
            len: 48,
        }],
        dns: vec![
            Ipv4Addr::new(10, 0, 0, 53).into(),
            "fd00:10::53".parse::<std::net::Ipv6Addr>().unwrap().into(),
        ],
        search_domains: vec!["example.com".into()],
        mtu: Some(1400),
        esp: if esp {
            EspConfig {
                port: Some(4500),
                cipher: Some(CipherCode::AES128_CBC),
                integrity: Some(MacCode::HMAC_SHA256_128),
                dpd_secs: Some(10),
                lifetime_secs: Some(1000),
                ..EspConfig::default()
            }
        } else {
            EspConfig::default()
        },
        ..TunnelConfig::default()
    }
}

fn ipv4(len: usize, id: u8) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    p[4] = id;
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&[10, 10, 1, 2]);
    p[16..20].copy_from_slice(&[10, 0, 0, 1]);
    p
}

fn ipv6(payload: usize) -> Vec<u8> {
    let mut p = vec![0u8; 40 + payload];
    p[0] = 0x60;
    p[4..6].copy_from_slice(&(payload as u16).to_be_bytes());
    p[6] = 59;
    p[7] = 64;
    p
}

/// A client and a gateway joined by a simulated link.
struct Pair {
    c: ClientSession,
    g: GatewaySession,
    now: Instant,
    /// The gateway's next sign-in steps, one per `Login` event.
    steps: VecDeque<LoginStep>,
    /// The client driver's replies, one per prompt.
    replies: VecDeque<LoginReply>,
    config: TunnelConfig,
    prompts: Vec<LoginPrompt>,
    c_events: Vec<ClientEvent>,
    g_events: Vec<GatewayEvent>,
    c_ip: Vec<Vec<u8>>,
    g_ip: Vec<Vec<u8>>,
    /// Every byte the gateway sent the client over TLS.
    g_stream: Vec<u8>,
    udp_up: bool,
    udp_to_gateway: usize,
}

impl Pair {
    fn new(
        opts: ClientOptions,
        config: TunnelConfig,
        steps: Vec<LoginStep>,
        replies: Vec<LoginReply>,
    ) -> Pair {
        Pair {
            c: ClientSession::new(opts, Box::new(TestRng::new(1)), Instant(0)),
            g: GatewaySession::new(Box::new(TestRng::new(2)), Instant(0)),
            now: Instant(0),
            steps: steps.into(),
            replies: replies.into(),
            config,
            prompts: Vec::new(),
            c_events: Vec::new(),
            g_events: Vec::new(),
            c_ip: Vec::new(),
            g_ip: Vec::new(),
            g_stream: Vec::new(),
            udp_up: true,
            udp_to_gateway: 0,
        }
    }

    /// Moves outputs both ways until both sides are quiet.
    fn run(&mut self) {
        let mut buf = Vec::new();
        loop {
            let mut moved = false;
            while let Some(o) = self.c.poll_output(&mut buf) {
                moved = true;
                match o {
                    Output::Tls => self.g.handle_tls(self.now, &buf),
                    Output::Udp => {
                        self.udp_to_gateway += 1;
                        if self.udp_up {
                            self.g.handle_udp(self.now, &buf);
                        }
                    }
                    Output::Ip => self.c_ip.push(buf.clone()),
                    Output::Event(ClientEvent::LoginPrompt(p)) => {
                        self.prompts.push(p);
                        let r = self.replies.pop_front().expect("a reply for every prompt");
                        self.c.answer_login(self.now, r);
                    }
                    Output::Event(e) => self.c_events.push(e),
                }
            }
            while let Some(o) = self.g.poll_output(&mut buf) {
                moved = true;
                match o {
                    Output::Tls => {
                        self.g_stream.extend_from_slice(&buf);
                        self.c.handle_tls(self.now, &buf)
                    }
                    Output::Udp => {
                        if self.udp_up {
                            self.c.handle_udp(self.now, &buf)
                        }
                    }
                    Output::Ip => self.g_ip.push(buf.clone()),
                    Output::Event(GatewayEvent::Login(a)) => {
                        self.g_events.push(GatewayEvent::Login(a));
                        let s = self.steps.pop_front().expect("a step for every answer");
                        self.g.login_step(self.now, s);
                    }
                    Output::Event(GatewayEvent::TunnelRequested(r)) => {
                        assert_eq!(r.dsid.as_deref(), Some(DSID));
                        self.g.accept(self.now, self.config.clone());
                    }
                    Output::Event(e) => self.g_events.push(e),
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Advances the clock to `t`, firing both sides' timers on the way.
    fn advance(&mut self, t: Instant) {
        loop {
            let next = [self.c.poll_timeout(), self.g.poll_timeout()]
                .into_iter()
                .flatten()
                .filter(|&d| d <= t)
                .min();
            let Some(d) = next else { break };
            self.now = d.max(self.now);
            self.c.handle_timeout(self.now);
            self.g.handle_timeout(self.now);
            self.run();
        }
        self.now = t;
    }

    fn configured(&self) -> Option<&TunnelConfig> {
        self.c_events.iter().rev().find_map(|e| match e {
            ClientEvent::Configured(c) => Some(&**c),
            _ => None,
        })
    }
}

fn secs(s: u64) -> Instant {
    Instant(s * 1_000_000)
}

fn password(user: &str, pw: &str) -> LoginReply {
    LoginReply::Password {
        username: Some(user.into()),
        password: Zeroizing::new(pw.into()),
    }
}

fn granted() -> LoginStep {
    LoginStep::Granted(Zeroizing::new(DSID.into()))
}

fn ask_password() -> LoginStep {
    LoginStep::Password {
        username: true,
        retry: false,
    }
}

fn password_pair(esp: bool) -> Pair {
    let mut p = Pair::new(
        ClientOptions::new("vpn.example.com"),
        config(esp),
        vec![ask_password(), granted()],
        vec![password("alice", "hunter2")],
    );
    p.run();
    p
}

#[test]
fn password_sign_in_configures_both_families() {
    let p = password_pair(true);
    assert!(
        p.g_events.iter().any(|e| matches!(e,
            GatewayEvent::Login(LoginAnswer::Password { username, password })
                if username.as_deref() == Some("alice") && password.as_str() == "hunter2")),
        "{:?}",
        p.g_events
    );
    assert!(matches!(
        p.prompts[0],
        LoginPrompt::Password {
            username: true,
            retry: false,
            ..
        }
    ));
    assert!(
        p.c_events
            .iter()
            .any(|e| matches!(e, ClientEvent::SignedIn(c) if c.expose() == DSID))
    );
    let t = p.configured().expect("configured");
    assert_eq!(t.ipv4.unwrap().addr, Ipv4Addr::new(10, 10, 1, 2));
    assert_eq!(t.ipv4.unwrap().prefix_len, Some(24));
    assert_eq!(
        t.ipv6.unwrap().addr,
        "fd00:10::2".parse::<std::net::Ipv6Addr>().unwrap()
    );
    assert_eq!(t.ipv6.unwrap().prefix_len, Some(64));
    assert_eq!(t.include_v4.len(), 1);
    assert_eq!(t.include_v6[0].len, 48);
    assert_eq!(t.dns.len(), 2);
    assert_eq!(t.search_domains, ["example.com"]);
    assert_eq!(t.mtu, Some(1400));
    assert_eq!(t.esp.integrity, Some(MacCode::HMAC_SHA256_128));
    assert_eq!(p.c.esp_port(), Some(4500));
}

#[test]
fn esp_comes_up_ipv4_over_esp_ipv6_over_tls() {
    let mut p = password_pair(true);
    p.advance(secs(1));
    assert!(p.c_events.contains(&ClientEvent::EspUp), "{:?}", p.c_events);
    assert_eq!(p.c.transport(), Transport::Esp);
    let before = p.udp_to_gateway;
    p.c.send_ip(p.now, &ipv4(60, 1));
    p.run();
    assert_eq!(p.udp_to_gateway, before + 1, "IPv4 over ESP");
    assert_eq!(p.g_ip.last().unwrap(), &ipv4(60, 1));
    let tls_before = p.c.stats().tls_packets_out;
    p.c.send_ip(p.now, &ipv6(20));
    p.run();
    assert_eq!(
        p.c.stats().tls_packets_out,
        tls_before + 1,
        "IPv6 over TLS (§6.5)"
    );
    assert_eq!(p.g_ip.last().unwrap(), &ipv6(20));
    // And back: the gateway's packets arrive whole.
    p.g.send_ip(p.now, &ipv4(100, 2));
    p.g.send_ip(p.now, &ipv6(30));
    p.run();
    assert!(p.c_ip.contains(&ipv4(100, 2)) && p.c_ip.contains(&ipv6(30)));
    // Not whole packets are refused.
    p.c.send_ip(p.now, &ipv4(60, 3)[..50]);
    assert_eq!(p.c.stats().unsendable, 1);
}

#[test]
fn without_esp_everything_goes_over_tls() {
    let mut p = password_pair(false);
    p.advance(secs(5));
    assert_eq!(p.c.esp_port(), None);
    assert_eq!(p.c.transport(), Transport::Tls);
    p.c.send_ip(p.now, &ipv4(40, 9));
    p.c.send_ip(p.now, &ipv6(8));
    p.run();
    assert_eq!(p.g_ip, [ipv4(40, 9), ipv6(8)]);
    assert_eq!(p.udp_to_gateway, 0);
}

#[test]
fn no_dtls_keeps_esp_off_though_offered() {
    let mut opts = ClientOptions::new("vpn.example.com");
    opts.esp = false;
    let mut p = Pair::new(
        opts,
        config(true),
        vec![ask_password(), granted()],
        vec![password("alice", "pw")],
    );
    p.run();
    p.advance(secs(3));
    assert!(p.configured().is_some());
    assert_eq!(p.udp_to_gateway, 0);
    assert_eq!(p.c.esp_port(), None);
}

#[test]
fn realm_token_and_session_limit_are_asked_of_the_driver() {
    let realms = vec!["Users".to_string(), "Admins".to_string()];
    let mut p = Pair::new(
        ClientOptions::new("vpn.example.com"),
        config(false),
        vec![
            LoginStep::ChooseRealm(realms.clone()),
            ask_password(),
            LoginStep::Token {
                prompt: "Enter code".into(),
            },
            LoginStep::ChooseSession(vec![OpenSession {
                id: "s1".into(),
                from: "192.0.2.7".into(),
                login_time: 1_700_000_000,
            }]),
            granted(),
        ],
        vec![
            LoginReply::Choice("Admins".into()),
            password("bob", "pw"),
            LoginReply::Token(Zeroizing::new("123456".into())),
            LoginReply::Choice("s1".into()),
        ],
    );
    p.run();
    assert!(
        matches!(&p.prompts[0], LoginPrompt::Choose { kind: ChoiceKind::Realm, options } if options.len() == 2)
    );
    assert!(matches!(&p.prompts[2], LoginPrompt::Token { prompt } if prompt == "Enter code"));
    assert!(matches!(
        &p.prompts[3],
        LoginPrompt::Choose {
            kind: ChoiceKind::SessionToEnd,
            ..
        }
    ));
    let answers: Vec<_> = p
        .g_events
        .iter()
        .filter_map(|e| match e {
            GatewayEvent::Login(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(answers[1], LoginAnswer::Realm("Admins".into()));
    assert!(matches!(&answers[3], LoginAnswer::Token { code, .. } if code.as_str() == "123456"));
    assert_eq!(answers[4], LoginAnswer::EndSession("s1".into()));
    assert!(p.configured().is_some());
}

#[test]
fn failures_and_cancelled_prompts_are_typed() {
    let mut p = Pair::new(
        ClientOptions::new("vpn.example.com"),
        config(false),
        vec![ask_password(), LoginStep::Failed("Wrong password".into())],
        vec![password("alice", "bad")],
    );
    p.run();
    assert_eq!(
        p.c_events.last(),
        Some(&ClientEvent::Disconnected(DisconnectReason::LoginFailed(
            "Wrong password".into()
        )))
    );
    assert!(p.c.is_closed());
    let mut p = Pair::new(
        ClientOptions::new("vpn.example.com"),
        config(false),
        vec![ask_password()],
        vec![LoginReply::Cancel(
            "no password: give --passwd-on-stdin".into(),
        )],
    );
    p.run();
    assert_eq!(
        p.c_events.last(),
        Some(&ClientEvent::Disconnected(DisconnectReason::LoginFailed(
            "no password: give --passwd-on-stdin".into()
        )))
    );
}

/// A gateway with no usable configuration for the user refuses after
/// handing out the cookie, as one more request carrying its message: the
/// client ends with that message, not a protocol error.
#[test]
fn refusal_after_the_cookie_is_a_login_failure_with_the_message() {
    let mut p = Pair::new(
        ClientOptions::new("vpn.example.com"),
        TunnelConfig::default(),
        vec![ask_password(), granted()],
        vec![password("alice", "hunter2")],
    );
    p.run();
    match p.c_events.last() {
        Some(ClientEvent::Disconnected(DisconnectReason::LoginFailed(m))) => {
            assert!(m.contains("no usable configuration"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert!(p.c.is_closed());
}

#[test]
fn cookie_sign_in_and_refused_cookie() {
    let mut opts = ClientOptions::new("vpn.example.com");
    opts.cookie = Some(Secret::from(DSID));
    // The gateway asks a driver that accepts every cookie (the
    // TunnelRequested check in `run`).
    let mut p = Pair::new(opts.clone(), config(false), vec![], vec![]);
    p.run();
    assert!(p.prompts.is_empty());
    assert!(p.configured().is_some(), "{:?}", p.c_events);
    // A gateway that answers the cookie with a prompt refused it.
    opts.cookie = Some(Secret::from("stale"));
    let mut p = Pair::new(opts, config(false), vec![ask_password()], vec![]);
    p.g = GatewaySession::new(Box::new(TestRng::new(2)), Instant(0));
    let mut buf = Vec::new();
    // Drive by hand: reject the stale cookie.
    loop {
        let mut moved = false;
        while let Some(o) = p.c.poll_output(&mut buf) {
            moved = true;
            match o {
                Output::Tls => p.g.handle_tls(p.now, &buf),
                Output::Event(e) => p.c_events.push(e),
                _ => {}
            }
        }
        while let Some(o) = p.g.poll_output(&mut buf) {
            moved = true;
            match o {
                Output::Tls => p.c.handle_tls(p.now, &buf),
                Output::Event(GatewayEvent::TunnelRequested(_)) => {
                    p.g.reject(p.now, oncp_core::tunnel::RejectReason::BadCookie)
                }
                Output::Event(GatewayEvent::Login(_)) => p.g.login_step(p.now, ask_password()),
                _ => {}
            }
        }
        if !moved {
            break;
        }
    }
    assert_eq!(
        p.c_events.last(),
        Some(&ClientEvent::Disconnected(
            DisconnectReason::CookieNotAccepted
        )),
        "{:?}",
        p.c_events
    );
}

#[test]
fn reconnect_reuses_the_cookie_and_esp_restarts() {
    let mut p = password_pair(true);
    p.advance(secs(1));
    assert_eq!(p.c.transport(), Transport::Esp);
    // The TLS connection breaks; a new gateway connection takes the
    // cookie (the gateway session of the new connection).
    p.c.handle_tls_closed(p.now);
    p.run();
    assert!(p.c_events.contains(&ClientEvent::ReconnectNeeded));
    p.g = GatewaySession::new(Box::new(TestRng::new(3)), p.now);
    p.c_events.clear();
    p.c.reconnect(p.now);
    p.run();
    assert!(p.configured().is_some(), "{:?}", p.c_events);
    assert_eq!(p.prompts.len(), 1, "no new prompt on reconnect");
    p.advance(secs(3));
    assert!(p.c_events.contains(&ClientEvent::EspUp), "{:?}", p.c_events);
}

#[test]
fn rekey_keeps_esp_running() {
    let mut p = password_pair(true);
    p.advance(secs(1));
    p.g.rekey(p.now);
    p.run();
    assert!(
        p.c_events.contains(&ClientEvent::Rekeyed),
        "{:?}",
        p.c_events
    );
    assert_eq!(p.c.stats().rekeys, 1);
    p.c.send_ip(p.now, &ipv4(80, 4));
    p.run();
    assert_eq!(p.g_ip.last().unwrap(), &ipv4(80, 4));
    assert_eq!(p.c.transport(), Transport::Esp);
}

#[test]
fn dead_esp_falls_back_to_tls() {
    let mut p = password_pair(true);
    p.advance(secs(1));
    assert_eq!(p.c.transport(), Transport::Esp);
    p.udp_up = false;
    p.advance(secs(40));
    assert!(
        p.c_events
            .iter()
            .any(|e| matches!(e, ClientEvent::EspDown(_))),
        "{:?}",
        p.c_events
    );
    p.c.send_ip(p.now, &ipv4(44, 5));
    p.run();
    assert_eq!(
        p.g_ip.last(),
        Some(&ipv4(44, 5)),
        "over TLS: {:?} {:?}",
        p.c_events,
        p.g_events
    );
}

#[test]
fn logout_goes_in_band_and_fatal_errors_end_the_session() {
    let mut p = password_pair(false);
    p.c.close(p.now);
    p.run();
    assert!(p.c.is_closed());
    assert!(p.c.logout_request().is_empty(), "no HTTP fallback needed");
    assert!(
        p.g_events
            .contains(&GatewayEvent::Disconnected(DisconnectReason::LoggedOut)),
        "{:?}",
        p.g_events
    );
    let mut p = password_pair(false);
    p.g.terminate(7, "Session terminated");
    p.run();
    assert_eq!(
        p.c_events.last(),
        Some(&ClientEvent::Disconnected(DisconnectReason::ServerError {
            code: 7,
            text: "Session terminated".into()
        }))
    );
}

#[test]
fn silent_gateway_times_out() {
    let mut c = ClientSession::new(
        ClientOptions::new("vpn"),
        Box::new(TestRng::new(1)),
        Instant(0),
    );
    let mut buf = Vec::new();
    assert_eq!(c.poll_output(&mut buf), Some(Output::Tls));
    assert!(buf.starts_with(b"GET / HTTP/1.1\r\nHost: vpn\r\n"));
    let t = c.poll_timeout().unwrap();
    assert_eq!(t, Instant(0) + Duration::from_secs(30));
    c.handle_timeout(t);
    assert_eq!(
        c.poll_output(&mut buf),
        Some(Output::Event(ClientEvent::Disconnected(
            DisconnectReason::SetupTimeout(30)
        )))
    );
}

/// Events of a client fed `stream` cut at `cuts`.
fn replay(stream: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut opts = ClientOptions::new("vpn.example.com");
    opts.cookie = Some(Secret::from(DSID));
    let mut c = ClientSession::new(opts, Box::new(TestRng::new(1)), Instant(0));
    let mut buf = Vec::new();
    let mut events = Vec::new();
    let mut last = 0;
    for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
        c.handle_tls(Instant(0), &stream[last..cut]);
        last = cut;
        while let Some(o) = c.poll_output(&mut buf) {
            if let Output::Event(e) = o {
                events.push(format!("{e:?}"));
            }
        }
    }
    events
}

#[test]
fn gateway_stream_split_at_every_offset() {
    let mut opts = ClientOptions::new("vpn.example.com");
    opts.cookie = Some(Secret::from(DSID));
    let mut p = Pair::new(opts, config(true), vec![], vec![]);
    p.run();
    assert!(p.configured().is_some());
    let stream = p.g_stream.clone();
    let whole = replay(&stream, &[]);
    assert!(
        whole.iter().any(|e| e.starts_with("Configured")),
        "{whole:?}"
    );
    for cut in 1..stream.len() {
        assert_eq!(replay(&stream, &[cut]), whole, "cut at {cut}");
    }
    let every: Vec<usize> = (1..stream.len()).collect();
    assert_eq!(replay(&stream, &every), whole, "byte by byte");
}

#[test]
fn garbage_from_the_gateway_is_a_typed_error() {
    for junk in [
        &b"HTTP/1.1 200 OK\r\n\r\n"[..],
        b"HTTP/1.1 101 Switching\r\n\r\n\x01\x00\x55\x97\x00\x00\x00\x02\x00\x00\x00\x14\x00\x00\x00\x00",
        b"HTTP/1.1 101 Switching\r\n\r\n\x00\x00\x55\x97\x00\x00\x00\x02\x00\x00\x00\x05\x00\x00\x00\x00",
        b"HTTP/1.1 101 Switching\r\n\r\n\x00\x00\x55\x97\x00\x00\x00\x02\x7f\xff\xff\xff\x00\x00\x00\x00",
        b"HTTP/1.1 101 Switching\r\n\r\n\x00\x00\x55\x97\x00\x00\x00\x07\x00\x00\x00\x14\x00\x00\x00\x00\x00\x00\x00\x02",
    ] {
        let mut c = ClientSession::new(ClientOptions::new("vpn"), Box::new(TestRng::new(1)), Instant(0));
        c.handle_tls(Instant(0), junk);
        let mut buf = Vec::new();
        let mut end = None;
        while let Some(o) = c.poll_output(&mut buf) {
            if let Output::Event(ClientEvent::Disconnected(r)) = o {
                end = Some(r);
            }
        }
        assert!(end.is_some(), "{junk:?}");
        assert!(c.is_closed());
    }
}
