//! The client side of a Pulse IF-T/TLS session (spec/pulse.md §2–§7), as
//! OpenConnect 9.01 `--protocol=pulse` behaves on the wire: the upgrade
//! GET, version negotiation, client information, the EAP sign-in with
//! every answer coming from the driver ([`ClientEvent::LoginPrompt`],
//! [`ClientTunnel::answer_login`]), cookie reuse on reconnects, the
//! configuration, the ESP key reply and `ncmo=1`, ESP through the shared
//! link, IP over TLS when ESP is down (and for the other IP family,
//! §6.5), rekeys, fatal errors and the in-band logout.

use alloc::boxed::Box;
use alloc::string::ToString;
use alloc::vec::Vec;

use super::IdCounter;
use super::client_auth::{Pending, Step, answer_for, step_for};
use super::client_options::ClientOptions;
use super::tunnel_config::tunnel_config;
use crate::esp::{SaLifetime, SaParams};
use crate::oncp::wire::http::ResponseHead;
use crate::pulse::auth::{AuthMessage, AuthStage, ClientAnswer, ServerRequest};
use crate::pulse::config::{EspKeyEntry, EspKeyMessage, EspKeyReply, PulseConfig};
use crate::pulse::control::{ClientInfo, data_message, logout_message, ncmo_message};
use crate::pulse::eap::{EapCode, EapPacket, eap_type};
use crate::pulse::http::UpgradeRequest;
use crate::pulse::ift::HEADER_LEN;
use crate::pulse::version::VersionRequest;
use crate::pulse::{Deframer, IftMessage, Message, Secret, Sender};
use crate::rng::Random;
use crate::time::{Duration, Instant};
use crate::tunnel::esp_link::EspLink;
use crate::tunnel::open_batch::OPEN_BATCH;
use crate::tunnel::probe::{DEFAULT_DPD, EspState, PROBE_INTERVAL, ProbeAction};
use crate::tunnel::{
    ClientEvent, ClientTunnel, DisconnectReason, EspDownReason, LoginReply, Output, OutputQueue,
    SessionCookie, SessionStats, Transport,
};

/// How long the gateway may stay silent while we wait for its next step
/// of the setup (a pending prompt does not count: the user may be slow).
/// Not in the spec; as for oNCP's setup timeout.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Gateway requests answered at most in one sign-in (an EAP loop ends
/// the session instead of running for ever).
pub const MAX_LOGIN_ROUNDS: u32 = 32;

/// Largest IP packet taken from a data message (spec §6.8:
/// max(16384, MTU)).
const MIN_PACKET_LIMIT: usize = 16384;

/// Largest IF-T message accepted in the data phase: data messages up to
/// 64 KiB plus header (licence and error texts are far smaller).
const DATA_PHASE_MAX: usize = 65_536 + HEADER_LEN;

/// Where the IF-T dialogue stands on the current connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Version request sent.
    Version,
    /// Client information sent; waiting for the 20-byte auth start.
    AuthStart,
    /// Identity sent; waiting for the server information request.
    ServerInfo,
    /// In the Juniper/1 dialogue; `eap_id` of the last request.
    Auth { eap_id: u8 },
    /// Waiting for the driver's answer to a request with `eap_id`.
    Prompted { eap_id: u8, pending: Pending },
    /// Cookie answered; waiting for the EAP success.
    Success,
    /// Receiving the configuration.
    Config,
    /// Configured: data flows.
    Data,
}

#[derive(Debug)]
enum Phase {
    /// Waiting for the HTTP 101.
    AwaitHttp(Vec<u8>),
    /// IF-T messages.
    Ift(Deframer, Stage),
    /// The TLS connection is gone; waiting for [`ClientTunnel::reconnect`].
    Reconnecting,
    /// Over for good.
    Closed,
}

/// The client side of a Pulse session, sans-IO. Its first output is the
/// upgrade request for a freshly opened TLS connection.
pub struct ClientSession {
    opts: ClientOptions,
    rng: Box<dyn Random + Send>,
    phase: Phase,
    ids: IdCounter,
    /// The cookie we hold (given, or obtained by the sign-in).
    cookie: Option<Secret>,
    /// The cookie was offered on this connection (a prompt then means it
    /// was refused, spec §4.10).
    cookie_login: bool,
    /// Credential requests answered in this sign-in.
    credential_rounds: u32,
    login_rounds: u32,
    /// The configuration being received, then in force.
    pending_config: Option<PulseConfig>,
    config: Option<PulseConfig>,
    esp: EspLink,
    esp_state: EspState,
    ncmo_sent: bool,
    dpd: Duration,
    mtu: u32,
    deadline: Option<Instant>,
    logged_out: bool,
    out: OutputQueue<ClientEvent>,
    stats: SessionStats,
}

impl core::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientSession")
            .field("host", &self.opts.host)
            .field("phase", &self.phase)
            .field("esp_state", &self.esp_state)
            .finish_non_exhaustive()
    }
}

impl ClientSession {
    /// A session to the gateway in `opts`.
    pub fn new(opts: ClientOptions, rng: Box<dyn Random + Send>, now: Instant) -> Self {
        let mut s = ClientSession {
            cookie: opts.cookie.clone(),
            opts,
            rng,
            phase: Phase::Closed,
            ids: IdCounter::default(),
            cookie_login: false,
            credential_rounds: 0,
            login_rounds: 0,
            pending_config: None,
            config: None,
            esp: EspLink::new(),
            esp_state: EspState::Unavailable,
            ncmo_sent: false,
            dpd: DEFAULT_DPD,
            mtu: 0,
            deadline: None,
            logged_out: false,
            out: OutputQueue::new(),
            stats: SessionStats::default(),
        };
        s.start_connection(now);
        s
    }

    fn upgrade_request(&self) -> UpgradeRequest {
        UpgradeRequest {
            host: self.opts.host.clone(),
            port: self.opts.port,
            path: self.opts.path.clone(),
            user_agent: self.opts.user_agent.clone(),
            dsid: self.cookie.clone(),
        }
    }

    fn start_connection(&mut self, now: Instant) {
        self.out.clear_tls();
        self.ids = IdCounter::default();
        self.cookie_login = false;
        self.credential_rounds = 0;
        self.login_rounds = 0;
        self.ncmo_sent = false;
        self.pending_config = None;
        self.deadline = Some(now + SETUP_TIMEOUT);
        self.out.push_tls(self.upgrade_request().to_bytes());
        self.phase = Phase::AwaitHttp(Vec::new());
    }

    /// The configuration in force, once received.
    pub fn config(&self) -> Option<&PulseConfig> {
        self.config.as_ref()
    }

    fn send(&mut self, build: impl FnOnce(u32) -> IftMessage) {
        let id = self.ids.next_id();
        let mut buf = self.out.buffer();
        build(id).emit(&mut buf);
        self.out.push_tls(buf);
    }

    fn send_auth(&mut self, eap_id: u8, answer: &ClientAnswer) {
        match answer.to_avps() {
            Ok(avps) => self.send(|id| {
                AuthMessage::juniper1(AuthStage::Response, eap_id, &avps).to_message(id)
            }),
            Err(e) => self.fail(DisconnectReason::LoginFailed(e.to_string())),
        }
    }

    fn set_stage(&mut self, stage: Stage) {
        if let Phase::Ift(_, s) = &mut self.phase {
            *s = stage;
        }
    }

    fn stage(&self) -> Option<&Stage> {
        match &self.phase {
            Phase::Ift(_, s) => Some(s),
            _ => None,
        }
    }

    fn protocol(&mut self, what: &str) {
        self.fail(DisconnectReason::Protocol(what.into()));
    }

    fn handle_message(&mut self, now: Instant, msg: IftMessage) {
        let Some(stage) = self.stage().cloned() else {
            return;
        };
        if !matches!(stage, Stage::Prompted { .. } | Stage::Data) {
            self.deadline = Some(now + SETUP_TIMEOUT);
        }
        let decoded = Message::decode(&msg, Sender::Gateway);
        if let Ok(Message::FatalError(f)) = &decoded {
            return self.fail(DisconnectReason::ServerError {
                code: f.error_type,
                text: f.text.clone(),
            });
        }
        match stage {
            Stage::Version => match decoded {
                Ok(Message::VersionResponse(_)) if msg.wire_len() == 20 => {
                    let info =
                        ClientInfo::new(&self.opts.local_hostname, self.opts.local_ip.as_deref());
                    self.send(|id| info.to_message(id));
                    self.set_stage(Stage::AuthStart);
                }
                _ => self.protocol("no valid version response"),
            },
            Stage::AuthStart => match decoded {
                Ok(Message::Auth(a)) if a.stage == AuthStage::Challenge && a.eap.is_none() => {
                    let identity = EapPacket::typed(
                        EapCode::Response,
                        1,
                        eap_type::IDENTITY,
                        b"anonymous".to_vec(),
                    );
                    self.send(|id| {
                        AuthMessage::with_eap(AuthStage::Response, identity).to_message(id)
                    });
                    self.set_stage(Stage::ServerInfo);
                }
                _ => self.protocol("expected the start of the sign-in (TCG 5 without EAP)"),
            },
            Stage::ServerInfo | Stage::Auth { .. } => self.handle_challenge(&stage, decoded),
            Stage::Prompted { .. } => self.protocol("a message arrived while a question was open"),
            Stage::Success => match decoded {
                Ok(Message::Auth(a))
                    if a.stage == AuthStage::Success
                        && msg.wire_len() == 24
                        && a.eap.as_ref().is_some_and(|e| e.code == EapCode::Success) =>
                {
                    if let Some(c) = &self.cookie {
                        self.out
                            .push_event(ClientEvent::SignedIn(SessionCookie::new(c.expose())));
                    }
                    self.set_stage(Stage::Config);
                }
                // A gateway that refuses the session at the last step (no
                // usable configuration for the user, say) sends its failure
                // as one more request: answered like any other, so the user
                // reads its message.
                Ok(Message::Auth(a)) if a.stage == AuthStage::Challenge => {
                    self.handle_challenge(&Stage::Auth { eap_id: 0 }, Ok(Message::Auth(a)));
                }
                _ => self.protocol("expected the EAP success after the cookie"),
            },
            Stage::Config => self.handle_config_message(now, decoded),
            Stage::Data => self.handle_data_message(now, decoded),
        }
    }

    fn handle_challenge(
        &mut self,
        stage: &Stage,
        decoded: Result<Message, crate::pulse::PulseError>,
    ) {
        let a = match decoded {
            Ok(Message::Auth(a)) if a.stage == AuthStage::Challenge => a,
            Ok(Message::Auth(a)) if a.stage == AuthStage::Success => {
                return self.fail(DisconnectReason::LoginFailed(
                    "the gateway sent success before a cookie".into(),
                ));
            }
            Ok(_) => return self.protocol("unexpected message during the sign-in"),
            Err(e) => return self.fail(DisconnectReason::Protocol(e.to_string())),
        };
        let Some(eap) = a.eap.as_ref() else {
            return self.protocol("sign-in request without EAP");
        };
        if eap.code == EapCode::Failure {
            return self.fail(DisconnectReason::LoginFailed("EAP failure".into()));
        }
        if eap.code != EapCode::Request {
            return self.protocol("sign-in message is not an EAP request");
        }
        if eap.eap_type() == Some(eap_type::TTLS) {
            return self.fail(DisconnectReason::Unsupported(
                "certificate authentication (EAP-TTLS)".into(),
            ));
        }
        let eap_id = eap.identifier;
        let avps = match a.juniper1_avps() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return self.fail(DisconnectReason::Protocol(e.to_string())),
            None => return self.protocol("sign-in request is not Juniper/1"),
        };
        self.login_rounds += 1;
        if self.login_rounds > MAX_LOGIN_ROUNDS {
            return self.fail(DisconnectReason::LoginFailed(alloc::format!(
                "the gateway asked more than {MAX_LOGIN_ROUNDS} questions"
            )));
        }
        if *stage == Stage::ServerInfo {
            // The server information is not classified (spec §4.6).
            self.cookie_login = self.cookie.is_some();
            let hello = ClientAnswer::Hello {
                version: self.opts.user_agent.clone(),
                cookie: self.cookie.clone(),
                os: None,
            };
            self.send_auth(eap_id, &hello);
            self.set_stage(Stage::Auth { eap_id });
            return;
        }
        let request = match ServerRequest::from_avps(&avps) {
            Ok(r) => r,
            Err(e) => return self.fail(DisconnectReason::Protocol(e.to_string())),
        };
        match step_for(request, self.credential_rounds) {
            Step::Cookie(c) => {
                self.cookie = Some(c);
                self.send_auth(eap_id, &ClientAnswer::Empty);
                self.set_stage(Stage::Success);
            }
            Step::Fail(r) => {
                if self.cookie_login && matches!(r, DisconnectReason::LoginFailed(_)) {
                    self.fail(DisconnectReason::CookieNotAccepted)
                } else {
                    self.fail(r)
                }
            }
            Step::Ask(_, _) if self.cookie_login => self.fail(DisconnectReason::CookieNotAccepted),
            Step::Ask(prompt, pending) => {
                self.deadline = None;
                self.set_stage(Stage::Prompted { eap_id, pending });
                self.out.push_event(ClientEvent::LoginPrompt(prompt));
            }
        }
    }

    fn handle_config_message(
        &mut self,
        now: Instant,
        decoded: Result<Message, crate::pulse::PulseError>,
    ) {
        match decoded {
            Ok(Message::Config(main)) => match PulseConfig::from_main(&main) {
                Ok(c) => self.pending_config = Some(c),
                Err(e) => self.fail(DisconnectReason::BadConfig(e.to_string())),
            },
            Ok(Message::EspKeys(k)) => {
                if let Some(reply) = self.install_esp(now, &k) {
                    self.send(|id| reply.to_message(id));
                    if !self.ncmo_sent {
                        self.ncmo_sent = true;
                        self.send(ncmo_message);
                    }
                }
            }
            Ok(Message::EndOfConfig) => self.finish_config(now),
            // Anything else is skipped during configuration (spec §3.3),
            // including type 1 messages that fail their checks (§5.2).
            _ => {}
        }
    }

    /// Installs the gateway's keys and makes ours; `None` when ESP is off
    /// or unusable (then no reply is sent, spec §6.1).
    fn install_esp(&mut self, now: Instant, k: &EspKeyMessage) -> Option<EspKeyReply> {
        let cfg = self.pending_config.as_ref().or(self.config.as_ref())?;
        if !self.opts.esp || !cfg.esp.usable() {
            return None;
        }
        let (cipher, integrity) = cfg.esp.algorithms().ok()?;
        let replay = cfg.esp.replay_protection.unwrap_or(false);
        let lifetime = SaLifetime {
            bytes: None,
            time: cfg
                .esp
                .lifetime_secs
                .filter(|&s| s > 0)
                .map(|s| Duration::from_secs(u64::from(s))),
        };
        let outbound = SaParams::new(k.entry.spi, cipher, integrity, &k.entry.secrets);
        self.esp.set_outbound(&outbound, now, lifetime);
        let inbound = SaParams::generate(cipher, integrity, &mut *self.rng);
        self.esp.set_inbound(&inbound, replay, now);
        Some(EspKeyReply {
            client: EspKeyEntry {
                spi: inbound.spi,
                secrets: inbound.secrets,
            },
            server: k.entry.clone(),
        })
    }

    fn finish_config(&mut self, now: Instant) {
        let Some(mut c) = self.pending_config.take() else {
            return self.fail(DisconnectReason::BadConfig(
                "end of configuration without a configuration".into(),
            ));
        };
        if let Some(prev) = &self.config {
            // Spec §5.7: a reconnect keeps the addresses.
            let v4 = |x: &PulseConfig| (x.ipv4_address, x.ipv4_netmask);
            if (c.ipv4_address.is_some() && v4(&c) != v4(prev))
                || (c.ipv6_address.is_some() && c.ipv6_address != prev.ipv6_address)
            {
                return self.fail(DisconnectReason::AddressChanged);
            }
            c.ipv4_address = c.ipv4_address.or(prev.ipv4_address);
            c.ipv4_netmask = c.ipv4_netmask.or(prev.ipv4_netmask);
            c.ipv6_address = c.ipv6_address.or(prev.ipv6_address);
        }
        if !c.is_sufficient() {
            return self.fail(DisconnectReason::BadConfig(
                "no MTU, or neither an IPv4 nor an IPv6 address".into(),
            ));
        }
        self.mtu = c.mtu.unwrap_or(self.mtu);
        self.esp.set_mtu(self.mtu);
        self.dpd = self
            .opts
            .force_dpd
            .unwrap_or(match c.esp.fallback_secs {
                Some(s) if s > 0 => Duration::from_secs(u64::from(s)),
                _ => DEFAULT_DPD,
            })
            .max(Duration::from_secs(1));
        if !self.esp.has_keys() {
            self.esp_state = EspState::Unavailable;
        }
        let neutral = tunnel_config(&c);
        self.config = Some(c);
        self.deadline = None;
        if let Phase::Ift(d, s) = &mut self.phase {
            d.set_max_message_len(DATA_PHASE_MAX.max(self.mtu as usize + HEADER_LEN));
            *s = Stage::Data;
        }
        self.out
            .push_event(ClientEvent::Configured(Box::new(neutral)));
        if self.esp.has_keys() {
            self.esp_state = EspState::start_probing(now);
            self.handle_timeout(now);
        }
    }

    fn handle_data_message(
        &mut self,
        now: Instant,
        decoded: Result<Message, crate::pulse::PulseError>,
    ) {
        match decoded {
            Ok(Message::Data(p)) => {
                let limit = MIN_PACKET_LIMIT.max(self.mtu as usize);
                if !p.is_empty() && p.len() <= limit {
                    self.stats.tls_packets_in += 1;
                    self.stats.tls_bytes_in += p.len() as u64;
                    self.out.push_ip(p);
                }
            }
            Ok(Message::EspKeys(k)) => self.handle_rekey(now, &k),
            Ok(Message::Licence(_)) => {
                // Spec §6.6: some gateways ignore probes until now.
                if matches!(self.esp_state, EspState::Probing { .. }) {
                    self.esp_state = EspState::start_probing(now);
                    self.handle_timeout(now);
                }
            }
            // Other messages are logged and skipped by OpenConnect.
            _ => {}
        }
    }

    fn handle_rekey(&mut self, now: Instant, k: &EspKeyMessage) {
        let usable = self.config.as_ref().is_some_and(|c| c.esp.usable());
        if !self.opts.esp || !usable {
            return;
        }
        match self.install_esp(now, k) {
            Some(reply) => {
                self.send(|id| reply.to_message(id));
                self.stats.rekeys += 1;
                if matches!(self.esp_state, EspState::Unavailable) {
                    self.esp_state = EspState::start_probing(now);
                }
                self.out.push_event(ClientEvent::Rekeyed);
            }
            None => self.teardown_esp(EspDownReason::BadRekey("unusable ESP keys".into())),
        }
    }

    fn teardown_esp(&mut self, reason: EspDownReason) {
        if self.esp_state.is_established() {
            self.out.push_event(ClientEvent::EspDown(reason));
        }
        self.esp.clear();
        self.esp_state = EspState::Unavailable;
        self.out.clear_udp();
    }

    fn lose_tls(&mut self) {
        self.teardown_esp(EspDownReason::TlsLost);
        self.out.clear_tls();
        self.phase = Phase::Reconnecting;
        self.out.push_event(ClientEvent::ReconnectNeeded);
    }

    fn fail(&mut self, reason: DisconnectReason) {
        self.phase = Phase::Closed;
        self.deadline = None;
        self.esp.clear();
        self.esp_state = EspState::Unavailable;
        self.out.push_event(ClientEvent::Disconnected(reason));
    }

    /// Whether `packet` may go over ESP (spec §6.5).
    fn esp_carries(&self, packet: &[u8]) -> bool {
        let both = self
            .config
            .as_ref()
            .and_then(|c| c.esp.both_families)
            .unwrap_or(false);
        let v6 = crate::netpkt::version(packet) == Some(6);
        both || v6 == self.opts.outer_ipv6
    }

    /// After a datagram was opened (`ok`) or dropped: the first authentic
    /// one brings ESP up.
    fn on_opened(&mut self, now: Instant, ok: bool) {
        if !ok {
            self.stats.esp_dropped += 1;
        } else if self.esp_state.on_receive(now) {
            self.out.push_event(ClientEvent::EspUp);
        }
    }
}

impl ClientTunnel for ClientSession {
    fn handle_tls(&mut self, now: Instant, data: &[u8]) {
        match &mut self.phase {
            Phase::AwaitHttp(buf) => {
                buf.extend_from_slice(data);
                let (head, n) = match ResponseHead::parse_prefix(buf) {
                    Ok(Some(h)) => h,
                    Ok(None) => return,
                    Err(e) => return self.fail(DisconnectReason::Protocol(e.to_string())),
                };
                if head.status != 101 {
                    return self.fail(DisconnectReason::HttpFailure(head.status));
                }
                let rest = buf[n..].to_vec();
                self.phase = Phase::Ift(Deframer::new(), Stage::Version);
                self.send(|id| VersionRequest::OPENCONNECT.to_message(id));
                if !rest.is_empty() {
                    self.handle_tls(now, &rest);
                }
            }
            Phase::Ift(d, _) => {
                if let Err(e) = d.feed(data) {
                    return self.fail(DisconnectReason::Protocol(e.to_string()));
                }
                loop {
                    let Phase::Ift(d, _) = &mut self.phase else {
                        return;
                    };
                    let Some(f) = d.poll() else {
                        return;
                    };
                    self.handle_message(now, f.message);
                }
            }
            Phase::Reconnecting | Phase::Closed => {}
        }
    }

    fn handle_tls_closed(&mut self, _now: Instant) {
        match &self.phase {
            Phase::Closed | Phase::Reconnecting => {}
            Phase::Ift(_, Stage::Config | Stage::Data) => self.lose_tls(),
            _ if self.config.is_some() => self.lose_tls(),
            Phase::AwaitHttp(_) => self.fail(DisconnectReason::HttpFailure(0)),
            Phase::Ift(..) => self.fail(DisconnectReason::LoginFailed(
                "the gateway closed the connection during the sign-in".into(),
            )),
        }
    }

    fn reconnect(&mut self, now: Instant) {
        match self.phase {
            Phase::Closed => return,
            Phase::Reconnecting => {}
            _ => self.teardown_esp(EspDownReason::TlsLost),
        }
        self.start_connection(now);
    }

    fn handle_udp(&mut self, now: Instant, datagram: &[u8]) {
        if !matches!(self.phase, Phase::Ift(_, Stage::Data)) {
            return;
        }
        let r = self
            .esp
            .open_to(datagram, now, &mut self.stats, &mut self.out);
        self.on_opened(now, r.is_ok());
    }

    fn handle_udp_batch(&mut self, now: Instant, datagrams: &[&[u8]]) {
        if !matches!(self.phase, Phase::Ift(_, Stage::Data)) {
            return;
        }
        for chunk in datagrams.chunks(OPEN_BATCH) {
            let mut ok = [false; OPEN_BATCH];
            self.esp
                .open_batch_to(chunk, now, &mut self.stats, &mut self.out, |i, r| {
                    ok[i] = r.is_ok()
                });
            for &ok in &ok[..chunk.len()] {
                self.on_opened(now, ok);
            }
        }
    }

    fn handle_udp_error(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Ift(_, Stage::Data)) && self.esp_state.is_established() {
            self.out
                .push_event(ClientEvent::EspDown(EspDownReason::UdpError));
            self.esp_state = EspState::start_probing(now + PROBE_INTERVAL);
        }
    }

    fn send_ip(&mut self, _now: Instant, packet: &[u8]) {
        if !matches!(self.phase, Phase::Ift(_, Stage::Data)) {
            return;
        }
        if !crate::tunnel::ip::is_whole_packet(packet, true) {
            self.stats.unsendable += 1;
            return;
        }
        if self.esp_state.is_established()
            && self.esp_carries(packet)
            && self
                .esp
                .seal_to(packet, &mut *self.rng, &mut self.stats, &mut self.out)
        {
            return;
        }
        self.stats.tls_packets_out += 1;
        self.stats.tls_bytes_out += packet.len() as u64;
        self.send(|id| data_message(id, packet));
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| now >= d) {
            self.deadline = None;
            if self.config.is_some() {
                self.lose_tls();
            } else {
                self.fail(DisconnectReason::SetupTimeout(SETUP_TIMEOUT.as_secs()));
            }
            return;
        }
        if !matches!(self.phase, Phase::Ift(_, Stage::Data)) {
            return;
        }
        match self.esp_state.on_timer(now, self.dpd) {
            ProbeAction::Wait => {}
            ProbeAction::SendProbe => {
                self.esp
                    .probe_to(&mut *self.rng, &mut self.stats, &mut self.out);
            }
            ProbeAction::Dead => {
                // No message: OpenConnect silently returns to TLS (§6.4).
                self.out
                    .push_event(ClientEvent::EspDown(EspDownReason::DeadPeer));
                self.handle_timeout(now);
            }
        }
    }

    fn poll_output(&mut self, buf: &mut Vec<u8>) -> Option<Output<ClientEvent>> {
        // ESP packets waiting for a batch seal go out first.
        self.esp.flush_to(&mut self.stats, &mut self.out);
        self.out.poll(buf)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let esp = if matches!(self.phase, Phase::Ift(_, Stage::Data)) {
            self.esp_state.deadline(self.dpd)
        } else {
            None
        };
        [self.deadline, esp].into_iter().flatten().min()
    }

    fn answer_login(&mut self, now: Instant, reply: LoginReply) {
        let Some(Stage::Prompted { eap_id, pending }) = self.stage().cloned() else {
            return;
        };
        match answer_for(&pending, reply) {
            Ok(answer) => {
                if matches!(answer, ClientAnswer::Credential { .. }) {
                    self.credential_rounds += 1;
                }
                self.deadline = Some(now + SETUP_TIMEOUT);
                self.set_stage(Stage::Auth { eap_id });
                self.send_auth(eap_id, &answer);
            }
            Err(r) => self.fail(r),
        }
    }

    /// Ends the session: on a live IF-T connection the logout message
    /// 0x89 goes out first (spec §7.4).
    fn close(&mut self, _now: Instant) {
        match self.phase {
            Phase::Closed => {}
            Phase::Ift(..) => {
                self.send(logout_message);
                self.logged_out = true;
                self.fail(DisconnectReason::Closed);
            }
            _ => self.fail(DisconnectReason::Closed),
        }
    }

    /// The HTTP logout fallback (spec §7.4), only when the in-band logout
    /// could not be sent and a cookie is held.
    fn logout_request(&self) -> Vec<u8> {
        if self.logged_out {
            return Vec::new();
        }
        self.upgrade_request().logout_bytes().unwrap_or_default()
    }

    fn esp_port(&self) -> Option<u16> {
        if self.esp.has_keys() {
            self.config.as_ref()?.esp.port
        } else {
            None
        }
    }

    fn transport(&self) -> Transport {
        if self.esp_state.is_established() {
            Transport::Esp
        } else {
            Transport::Tls
        }
    }

    fn stats(&self) -> SessionStats {
        self.stats
    }

    fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }
}
