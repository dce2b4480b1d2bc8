//! The gateway side of a Pulse IF-T/TLS session (spec/pulse.md §9): the
//! upgrade answered with 101, version negotiation, the EAP sign-in whose
//! every step the driver decides, the configuration, ESP keys, IP packets
//! over TLS and ESP, rekeys, logout and termination.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::IdCounter;
use super::config_out::{EspOffer, esp_offer, pulse_config};
use super::gateway_auth::{Asked, StepRequest, answer_for, request_for};
use crate::esp::{SaLifetime, SaParams};
use crate::oncp::wire::http::RequestHead;
use crate::pulse::auth::{
    AuthMessage, AuthStage, ClientAnswer, Failure, RequestKind, ServerRequest,
};
use crate::pulse::avp::{Avp, code};
use crate::pulse::config::{ConfigKind, EspKeyEntry, EspKeyMessage, EspKeyReply, PulseConfig};
use crate::pulse::control::{ClientInfo, FatalError, end_of_config_message, licence_message};
use crate::pulse::eap::{EapCode, eap_type};
use crate::pulse::http::{SWITCHING_PROTOCOLS, is_upgrade_request};
use crate::pulse::ift::{HEADER_LEN, IftHeader, IftMessage, MessageType};
use crate::pulse::version::{VersionRequest, VersionResponse};
use crate::pulse::{Deframer, PulseError};
use crate::rng::Random;
use crate::time::{Duration, Instant};
use crate::tunnel::esp_link::{EspLink, Opened};
use crate::tunnel::open_batch::OPEN_BATCH;
use crate::tunnel::{
    DisconnectReason, EspDownReason, GatewayEvent, GatewayTunnel, LoginAnswer, LoginStep, Output,
    OutputQueue, RejectReason, SessionStats, TunnelConfig, TunnelRequest,
};

/// The answer to anything but the IF-T upgrade.
pub const NOT_FOUND_RESPONSE: &[u8] =
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Largest message accepted from the client before the configuration:
/// OpenConnect 9.01 reads login messages into 16 KiB (spec §3.6).
pub const MAX_LOGIN_MESSAGE: usize = 16_384;
/// Largest IP packet carried over TLS: OpenConnect accepts payloads up to
/// max(16384, MTU) (spec §6.8).
const MIN_DATA_LIMIT: usize = 16_384;
/// Largest configuration message OpenConnect 9.01 reads (spec §3.6).
const MAX_CONFIG_MESSAGE: usize = 16_384;
/// How long a client has from the upgrade to the end of its sign-in.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
/// Our IF-T versions.
const VERSIONS: (u8, u8) = (1, 2);
/// ESP DPD interval assumed when none is announced (OpenConnect's
/// default, spec §6.4).
const DEFAULT_DPD: Duration = Duration::from_secs(60);
/// ESP to the client is used while the client's ESP was heard from
/// within this many DPD intervals.
const ESP_DEAD_AFTER: u64 = 3;
/// How long an unanswered rekey blocks a sequence-driven one.
const REKEY_RETRY: Duration = Duration::from_secs(10);
/// The licence text sent after the configuration (§7.3).
const LICENCE: &str = "oncp gateway";

/// Where the dialogue stands.
#[derive(Debug)]
enum Phase {
    /// Reading the HTTP request head.
    AwaitUpgrade(Vec<u8>),
    /// Expecting TCG 1.
    Version,
    /// Expecting Juniper 0x88.
    ClientInfo,
    /// Expecting the EAP Identity response.
    Identity,
    /// Expecting the Juniper/1 response to the server information.
    Hello,
    /// [`GatewayEvent::Login`] reported; waiting for `login_step`.
    AwaitStep,
    /// A request is out; waiting for the client's answer.
    Asked(Asked),
    /// [`GatewayEvent::TunnelRequested`] reported; waiting for a verdict.
    /// `via_cookie`: the client offered the cookie itself (else the
    /// sign-in just granted it and the client answered the cookie).
    AwaitVerdict {
        dsid: Zeroizing<String>,
        via_cookie: bool,
    },
    /// The tunnel runs.
    Data,
    Closed,
}

impl Phase {
    fn waits_for_driver(&self) -> bool {
        matches!(self, Phase::AwaitStep | Phase::AwaitVerdict { .. })
    }
}

/// The configuration accepted for the tunnel, kept until it goes out.
struct Prepared {
    config: PulseConfig,
    offer: Option<EspOffer>,
}

/// The gateway side of one client's Pulse session, sans-IO.
///
/// Driven through [`GatewayTunnel`]: feed TLS plaintext from the first
/// byte of the request (or hand over a request head the driver already
/// parsed, [`handle_request`](Self::handle_request)); answer
/// [`GatewayEvent::Login`] with [`GatewayTunnel::login_step`] and
/// [`GatewayEvent::TunnelRequested`] with `accept` or `reject`. Each TLS
/// output goes out as its own TLS record (one IF-T message per record
/// during login and configuration, spec §9).
pub struct GatewaySession {
    rng: Box<dyn Random + Send>,
    phase: Phase,
    deframer: Deframer,
    ids: IdCounter,
    /// The EAP identifier of our last request.
    eap_id: u8,
    /// Client messages that came while the driver was deciding (at most
    /// what one `handle_tls` call brought: the driver answers before it
    /// feeds more).
    held: VecDeque<IftMessage>,
    /// A framing error met while messages were held: the session ends
    /// once they are handled, as it would had the bytes come later.
    broken: Option<DisconnectReason>,
    hostname: String,
    client_version: String,
    prepared: Option<Prepared>,
    /// The cookie the sign-in granted, until the client answers it.
    granted: Option<Zeroizing<String>>,
    offer: Option<EspOffer>,
    data_limit: usize,
    esp: EspLink,
    /// The client sent `ncmo=1` after its keys.
    esp_enabled: bool,
    /// When an authentic ESP datagram last came from the client.
    esp_heard: Option<Instant>,
    /// Whether ESP carries data to the client now (reported as events).
    esp_up: bool,
    /// The configuration let ESP carry IPv6 too (0x4024 = 1, spec §6.5).
    esp_both_families: bool,
    rekey_started: Option<Instant>,
    next_rekey: Option<Instant>,
    probe_unanswered: bool,
    login_deadline: Option<Instant>,
    out: OutputQueue<GatewayEvent>,
    stats: SessionStats,
}

impl core::fmt::Debug for GatewaySession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GatewaySession")
            .field("phase", &core::mem::discriminant(&self.phase))
            .field("esp_up", &self.esp_up)
            .finish_non_exhaustive()
    }
}

fn protocol(e: &PulseError) -> DisconnectReason {
    DisconnectReason::Protocol(e.to_string())
}

impl GatewaySession {
    /// A session for a newly accepted TLS connection.
    pub fn new(rng: Box<dyn Random + Send>, now: Instant) -> Self {
        GatewaySession {
            rng,
            phase: Phase::AwaitUpgrade(Vec::new()),
            deframer: Deframer::new().with_max_message_len(MAX_LOGIN_MESSAGE),
            ids: IdCounter::starting_at(1),
            eap_id: 1,
            held: VecDeque::new(),
            broken: None,
            hostname: String::new(),
            client_version: String::new(),
            prepared: None,
            granted: None,
            offer: None,
            data_limit: MIN_DATA_LIMIT,
            esp: EspLink::new(),
            esp_enabled: false,
            esp_heard: None,
            esp_up: false,
            esp_both_families: false,
            rekey_started: None,
            next_rekey: None,
            probe_unanswered: false,
            login_deadline: Some(now + LOGIN_TIMEOUT),
            out: OutputQueue::new(),
            stats: SessionStats::default(),
        }
    }

    /// The request head the driver already parsed (to route it), with the
    /// bytes that followed it. Anything but the IF-T upgrade is answered
    /// 404.
    pub fn handle_request(&mut self, now: Instant, head: &RequestHead, rest: &[u8]) {
        if !matches!(self.phase, Phase::AwaitUpgrade(_)) {
            return;
        }
        if !is_upgrade_request(head) {
            self.out.push_tls(NOT_FOUND_RESPONSE.to_vec());
            return self.end(DisconnectReason::HttpFailure(404));
        }
        self.out.push_tls(SWITCHING_PROTOCOLS.to_vec());
        self.phase = Phase::Version;
        if !rest.is_empty() {
            self.feed(now, rest);
        }
    }

    /// Whether data to the client goes over ESP now.
    pub fn esp_active(&self) -> bool {
        self.esp_up
    }

    fn send(&mut self, msg: &IftMessage) {
        self.out.push_tls(msg.to_bytes());
    }

    fn send_auth(&mut self, a: &AuthMessage) {
        let id = self.ids.next_id();
        self.send(&a.to_message(id));
    }

    fn next_eap_id(&mut self) -> u8 {
        self.eap_id = self.eap_id.wrapping_add(1);
        self.eap_id
    }

    fn send_request(&mut self, r: &ServerRequest) {
        let avps = r.to_avps();
        let id = self.next_eap_id();
        self.send_auth(&AuthMessage::juniper1(AuthStage::Challenge, id, &avps));
    }

    fn feed(&mut self, now: Instant, data: &[u8]) {
        // Whole messages before a framing error are handled first, so the
        // outcome does not depend on how the stream was cut (found by the
        // pulse_gateway fuzz target).
        let framing = self.deframer.feed(data);
        self.handle_framed(now);
        if let Err(e) = framing {
            if self.phase.waits_for_driver() {
                self.broken.get_or_insert(protocol(&e));
            } else {
                self.end(protocol(&e));
            }
        }
    }

    fn handle_framed(&mut self, now: Instant) {
        while let Some(f) = self.deframer.poll() {
            if self.is_closed() {
                return;
            }
            if self.phase.waits_for_driver() {
                self.held.push_back(f.message);
                continue;
            }
            self.handle_message(now, f.message);
        }
    }

    /// Handles the messages held while the driver was deciding.
    fn resume(&mut self, now: Instant) {
        while !self.phase.waits_for_driver() && !self.is_closed() {
            let Some(m) = self.held.pop_front() else {
                if let Some(r) = self.broken.take() {
                    self.end(r);
                }
                return;
            };
            self.handle_message(now, m);
        }
    }

    fn handle_message(&mut self, now: Instant, m: IftMessage) {
        let r = match &self.phase {
            Phase::Version => self.on_version(&m),
            Phase::ClientInfo => self.on_client_info(&m),
            Phase::Identity => self.on_identity(&m),
            Phase::Hello => self.on_hello(&m),
            Phase::Asked(a) => {
                let a = *a;
                self.on_answer(now, &m, a)
            }
            Phase::Data => {
                self.on_data(now, m);
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(reason) = r {
            self.end(reason);
        }
    }

    fn expect(m: &IftMessage, t: MessageType) -> Result<(), DisconnectReason> {
        if m.msg_type == t {
            Ok(())
        } else {
            Err(DisconnectReason::Protocol(alloc::format!(
                "expected {t}, got {}",
                m.msg_type
            )))
        }
    }

    fn on_version(&mut self, m: &IftMessage) -> Result<(), DisconnectReason> {
        Self::expect(m, MessageType::VERSION_REQUEST)?;
        let req = VersionRequest::parse(&m.value).map_err(|e| protocol(&e))?;
        let version = req
            .select(VERSIONS.0, VERSIONS.1)
            .ok_or_else(|| DisconnectReason::Protocol("no common IF-T version".into()))?;
        let id = self.ids.next_id();
        self.send(&VersionResponse { version }.to_message(id));
        self.phase = Phase::ClientInfo;
        Ok(())
    }

    fn on_client_info(&mut self, m: &IftMessage) -> Result<(), DisconnectReason> {
        Self::expect(m, MessageType::CLIENT_INFO)?;
        let info = ClientInfo::parse(&m.value).map_err(|e| protocol(&e))?;
        self.hostname = info.get("clientHostName").unwrap_or("").into();
        self.send_auth(&AuthMessage::start());
        self.phase = Phase::Identity;
        Ok(())
    }

    /// The client's TCG 6 with its EAP packet.
    fn auth_response(m: &IftMessage) -> Result<AuthMessage, DisconnectReason> {
        Self::expect(m, MessageType::AUTH_RESPONSE)?;
        let a = AuthMessage::parse(m).map_err(|e| protocol(&e))?;
        match &a.eap {
            Some(e) if e.code == EapCode::Response => Ok(a),
            _ => Err(DisconnectReason::Protocol(
                "authentication response without an EAP Response".into(),
            )),
        }
    }

    fn on_identity(&mut self, m: &IftMessage) -> Result<(), DisconnectReason> {
        let a = Self::auth_response(m)?;
        if a.eap.as_ref().and_then(|e| e.eap_type()) != Some(eap_type::IDENTITY) {
            return Err(DisconnectReason::Protocol(
                "expected the EAP Identity response".into(),
            ));
        }
        // Server information, as gateways send it (spec §8.3).
        let mut info = ServerRequest::new(RequestKind::ServerInfo);
        info.other = alloc::vec![
            Avp::pulse_u32(code::D49, 4),
            Avp::pulse_u32(code::D4A, 1),
            Avp::pulse_str(code::LICENCE, LICENCE),
        ];
        self.send_request(&info);
        self.phase = Phase::Hello;
        Ok(())
    }

    /// The client's Juniper/1 answer to our last request.
    fn juniper1_answer(
        &self,
        m: &IftMessage,
    ) -> Result<crate::pulse::auth::ClientResponse, DisconnectReason> {
        let a = Self::auth_response(m)?;
        let eap = a.eap.as_ref().map(|e| e.identifier);
        if eap != Some(self.eap_id) {
            return Err(DisconnectReason::Protocol(
                "EAP identifier of the response does not echo the request".into(),
            ));
        }
        let avps = a.juniper1_avps().ok_or_else(|| {
            DisconnectReason::Protocol("expected a Juniper/1 EAP response".into())
        })?;
        let avps = avps.map_err(|e| protocol(&e))?;
        ClientAnswer::from_avps(&avps).map_err(|e| protocol(&e))
    }

    fn on_hello(&mut self, m: &IftMessage) -> Result<(), DisconnectReason> {
        let resp = self.juniper1_answer(m)?;
        let ClientAnswer::Hello {
            version, cookie, ..
        } = resp.answer
        else {
            return Err(DisconnectReason::Protocol(
                "expected the client's version in its first response".into(),
            ));
        };
        self.client_version = version;
        match cookie {
            Some(c) => {
                let dsid = Zeroizing::new(String::from(c.expose()));
                self.request_tunnel(dsid, true);
            }
            None => self.report_login(LoginAnswer::Start {
                client_version: self.client_version.clone(),
            }),
        }
        Ok(())
    }

    fn report_login(&mut self, a: LoginAnswer) {
        self.phase = Phase::AwaitStep;
        self.out.push_event(GatewayEvent::Login(a));
    }

    fn request_tunnel(&mut self, dsid: Zeroizing<String>, via_cookie: bool) {
        self.out
            .push_event(GatewayEvent::TunnelRequested(TunnelRequest {
                dsid: Some(String::from(dsid.as_str())),
            }));
        self.phase = Phase::AwaitVerdict { dsid, via_cookie };
    }

    fn on_answer(
        &mut self,
        now: Instant,
        m: &IftMessage,
        asked: Asked,
    ) -> Result<(), DisconnectReason> {
        let resp = self.juniper1_answer(m)?;
        match answer_for(asked, resp).map_err(|e| DisconnectReason::Protocol(e.into()))? {
            Some(a) => self.report_login(a),
            // The empty response to the cookie: success and configuration
            // if the tunnel was accepted already (cookie login), else the
            // tunnel request with the cookie the sign-in granted.
            None => match (self.prepared.take(), self.granted.take()) {
                (Some(p), _) => self.send_setup(now, p),
                (None, Some(dsid)) => self.request_tunnel(dsid, false),
                (None, None) => {
                    return Err(DisconnectReason::Protocol("no cookie was granted".into()));
                }
            },
        }
        Ok(())
    }

    /// Sends the failure `text` and ends the session.
    fn fail_login(&mut self, text: String) {
        let r = ServerRequest::new(RequestKind::Failure(Failure::Message(text.clone())));
        self.send_request(&r);
        self.end(DisconnectReason::LoginFailed(text));
    }

    fn prepare(&mut self, config: &TunnelConfig) -> Result<Prepared, String> {
        let offer = esp_offer(config);
        let cfg = pulse_config(config, offer.as_ref()).map_err(|e| e.to_string())?;
        Ok(Prepared { config: cfg, offer })
    }

    /// Success, then the configuration, the ESP keys, the end marker and
    /// the licence, each its own message (spec §5.1, §9).
    fn send_setup(&mut self, now: Instant, p: Prepared) {
        let main = p.config.to_main().to_value();
        if HEADER_LEN + main.len() > MAX_CONFIG_MESSAGE {
            return self.fail_login("the configuration is too large".into());
        }
        self.send_auth(&AuthMessage::success(self.eap_id));
        let id = self.ids.next_id();
        self.send(&IftMessage::new(MessageType::CONFIG, id, main));
        let now_mtu = p.config.mtu.unwrap_or(0) as usize;
        self.data_limit = MIN_DATA_LIMIT.max(now_mtu);
        self.deframer
            .set_max_message_len(self.data_limit + HEADER_LEN);
        if let Some(m) = p.config.mtu {
            self.esp.set_mtu(m);
        }
        self.offer = p.offer;
        self.esp_both_families = p.config.esp.both_families == Some(true);
        self.phase = Phase::Data;
        self.login_deadline = None;
        if self.offer.is_some() {
            self.send_keys(now, false);
        }
        let id = self.ids.next_id();
        self.send(&end_of_config_message(id));
        let id = self.ids.next_id();
        self.send(&licence_message(id, LICENCE));
        self.out.push_event(GatewayEvent::Accepted {
            hostname: self.hostname.clone(),
        });
        self.out.push_event(GatewayEvent::Configured);
    }

    /// New inbound keys to the client in an ESP key message (at setup,
    /// or for a rekey).
    fn send_keys(&mut self, now: Instant, rekey: bool) {
        let Some(o) = self.offer else { return };
        let inbound = SaParams::generate(o.cipher, o.integrity, &mut *self.rng);
        self.esp.set_inbound(&inbound, o.replay_protection, now);
        let msg = EspKeyMessage::new(EspKeyEntry {
            spi: inbound.spi,
            secrets: inbound.secrets,
        });
        let id = self.ids.next_id();
        self.send(&msg.to_message(id));
        self.rekey_started = rekey.then_some(now);
    }

    fn on_data(&mut self, now: Instant, m: IftMessage) {
        match m.msg_type {
            MessageType::DATA => {
                let p = m.value;
                if p.len() > self.data_limit || !crate::tunnel::ip::is_whole_packet(&p, true) {
                    self.stats.unsendable += 1;
                    return;
                }
                self.stats.tls_packets_in += 1;
                self.stats.tls_bytes_in += p.len() as u64;
                // An IPv4 packet over TLS means the client gave up on ESP
                // (it sends IPv4 over ESP while that works, spec §6.5):
                // answer over TLS too until ESP is heard from again.
                if self.esp_up && crate::netpkt::version(&p) == Some(4) {
                    self.esp_up = false;
                    self.esp_heard = None;
                    self.out
                        .push_event(GatewayEvent::EspDown(EspDownReason::DisabledByPeer));
                }
                self.out.push_ip(p);
            }
            MessageType::CONFIG => self.on_client_keys(now, &m.value),
            MessageType::NCMO if self.esp.has_keys() => self.esp_enabled = true,
            MessageType::LOGOUT => self.end(DisconnectReason::LoggedOut),
            // Anything else is skipped, as OpenConnect does (spec §3.3).
            _ => {}
        }
    }

    fn on_client_keys(&mut self, now: Instant, value: &[u8]) {
        let Some(o) = self.offer else { return };
        let is_keys = crate::pulse::config::header::split_common(value)
            .is_ok_and(|(k, _)| k == ConfigKind::ESP_KEYS);
        if !is_keys {
            return;
        }
        let Ok(reply) = EspKeyReply::parse(value) else {
            return;
        };
        // The reply must copy our current keys (a stale reply is ignored).
        if self.esp.inbound_spis().0 != Some(reply.server.spi) {
            return;
        }
        let params = SaParams::new(
            reply.client.spi,
            o.cipher,
            o.integrity,
            &reply.client.secrets,
        );
        let rekey = self.esp.outbound.is_some();
        self.esp.set_outbound(&params, now, SaLifetime::default());
        if rekey && self.rekey_started.take().is_some() {
            self.stats.rekeys += 1;
            self.out.push_event(GatewayEvent::Rekeyed);
        }
        if core::mem::take(&mut self.probe_unanswered) {
            self.answer_probe();
        }
    }

    fn answer_probe(&mut self) {
        self.probe_unanswered = !self
            .esp
            .probe_to(&mut *self.rng, &mut self.stats, &mut self.out);
    }

    fn dpd(&self) -> Duration {
        self.offer.and_then(|o| o.dpd).unwrap_or(DEFAULT_DPD)
    }

    fn esp_dead_at(&self) -> Option<Instant> {
        let d = self.dpd();
        self.esp_heard
            .filter(|_| self.esp_up)
            .map(|t| t + Duration(d.0.saturating_mul(ESP_DEAD_AFTER)))
    }

    /// ESP carries data to the client once it asked for ESP, has keys and
    /// was heard from over ESP (so the driver knows where to send).
    fn update_esp(&mut self, now: Instant) {
        let alive = self.esp_enabled
            && self.esp.has_keys()
            && self
                .esp_heard
                .is_some_and(|t| now < t + Duration(self.dpd().0.saturating_mul(ESP_DEAD_AFTER)));
        if alive && !self.esp_up {
            self.esp_up = true;
            self.out.push_event(GatewayEvent::EspUp);
        } else if !alive && self.esp_up {
            self.esp_up = false;
            self.out
                .push_event(GatewayEvent::EspDown(EspDownReason::DeadPeer));
        }
    }

    /// Starts an ESP rekey: new inbound keys in an ESP key message alone
    /// in its record; the previous inbound SA stays valid for its grace.
    pub fn rekey(&mut self, now: Instant) {
        self.next_rekey = self.offer.and_then(|o| o.rekey_after).map(|d| now + d);
        if !matches!(self.phase, Phase::Data) || self.esp.outbound.is_none() {
            return;
        }
        self.send_keys(now, true);
    }

    fn check_exhaustion(&mut self, now: Instant) {
        let pending = self.rekey_started.is_some_and(|t| now < t + REKEY_RETRY);
        if !pending && self.esp.sequence_nearly_exhausted(now) {
            self.rekey(now);
        }
    }

    /// Ends the session with a fatal error message `error_type`/`text`
    /// (spec §7.2: 7 terminated, 8 timed out).
    pub fn terminate(&mut self, error_type: u32, text: &str) {
        if !matches!(self.phase, Phase::AwaitUpgrade(_) | Phase::Closed) {
            let id = self.ids.next_id();
            let f = FatalError {
                error_type,
                text: text.into(),
            };
            self.send(&f.to_message(id));
        }
        self.end(DisconnectReason::Closed);
    }

    fn end(&mut self, reason: DisconnectReason) {
        if self.is_closed() {
            return;
        }
        self.phase = Phase::Closed;
        self.held.clear();
        self.esp.clear();
        self.esp_enabled = false;
        self.esp_up = false;
        self.out.push_event(GatewayEvent::Disconnected(reason));
    }

    /// One IP packet as a Juniper 4 message, written into a pooled buffer.
    fn data_record(&mut self, packet: &[u8]) -> Vec<u8> {
        let h = IftHeader {
            msg_type: MessageType::DATA,
            length: (HEADER_LEN + packet.len()) as u32,
            identifier: self.ids.next_id(),
        };
        let mut b = self.out.buffer();
        b.extend_from_slice(&h.to_bytes());
        b.extend_from_slice(packet);
        b
    }

    /// After a datagram was opened (`Some`) or dropped; whether it was
    /// authentic.
    fn on_opened(&mut self, now: Instant, opened: Option<Opened>) -> bool {
        let Some(opened) = opened else {
            self.stats.esp_dropped += 1;
            return false;
        };
        self.esp_heard = Some(now);
        if opened == Opened::Probe {
            self.answer_probe();
        }
        self.update_esp(now);
        self.check_exhaustion(now);
        true
    }
}

impl GatewayTunnel for GatewaySession {
    fn handle_tls(&mut self, now: Instant, data: &[u8]) {
        match &mut self.phase {
            Phase::AwaitUpgrade(buf) => {
                if buf.len() + data.len() > MAX_LOGIN_MESSAGE {
                    return self.end(DisconnectReason::Protocol("request head too long".into()));
                }
                buf.extend_from_slice(data);
                let (head, n) = match RequestHead::parse_prefix(buf) {
                    Ok(Some(h)) => h,
                    Ok(None) => return,
                    Err(e) => return self.end(DisconnectReason::Protocol(e.to_string())),
                };
                let rest = buf[n..].to_vec();
                self.handle_request(now, &head, &rest);
            }
            Phase::Closed => {}
            _ => self.feed(now, data),
        }
    }

    fn handle_tls_closed(&mut self, _now: Instant) {
        self.end(DisconnectReason::ConnectionLost);
    }

    fn handle_udp(&mut self, now: Instant, datagram: &[u8]) -> bool {
        if !matches!(self.phase, Phase::Data) {
            return false;
        }
        let r = self
            .esp
            .open_to(datagram, now, &mut self.stats, &mut self.out);
        self.on_opened(now, r.ok())
    }

    fn handle_udp_batch(&mut self, now: Instant, datagrams: &[&[u8]], authentic: &mut [bool]) {
        authentic.fill(false);
        if !matches!(self.phase, Phase::Data) {
            return;
        }
        for (c, chunk) in datagrams.chunks(OPEN_BATCH).enumerate() {
            let mut opened = [None; OPEN_BATCH];
            self.esp
                .open_batch_to(chunk, now, &mut self.stats, &mut self.out, |i, r| {
                    opened[i] = r.ok()
                });
            for (i, &o) in opened[..chunk.len()].iter().enumerate() {
                let a = self.on_opened(now, o);
                if let Some(slot) = authentic.get_mut(c * OPEN_BATCH + i) {
                    *slot = a;
                }
            }
        }
    }

    /// An IP packet for the client: over ESP while it is up (IPv4 only,
    /// spec §6.5: 9.01 keeps the other family on TLS — IPv6 too when the
    /// configuration said 0x4024 = 1), else as a Juniper 4 message over
    /// TLS. Not one whole IPv4/IPv6 packet, or larger than
    /// the client takes: counted in [`SessionStats::unsendable`].
    fn send_ip(&mut self, now: Instant, packet: &[u8]) {
        if !matches!(self.phase, Phase::Data) {
            return;
        }
        if packet.len() > self.data_limit || !crate::tunnel::ip::is_whole_packet(packet, true) {
            self.stats.unsendable += 1;
            return;
        }
        self.update_esp(now);
        let family_ok = match crate::netpkt::version(packet) {
            Some(4) => true,
            Some(6) => self.esp_both_families,
            _ => false,
        };
        if self.esp_up
            && family_ok
            && self
                .esp
                .seal_to(packet, &mut *self.rng, &mut self.stats, &mut self.out)
        {
            self.check_exhaustion(now);
            return;
        }
        let r = self.data_record(packet);
        self.stats.tls_packets_out += 1;
        self.stats.tls_bytes_out += packet.len() as u64;
        self.out.push_tls(r);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.login_deadline.is_some_and(|t| now >= t) {
            self.login_deadline = None;
            return self.end(DisconnectReason::LoginFailed(
                "the client did not finish signing in".into(),
            ));
        }
        if self.next_rekey.is_some_and(|t| now >= t) {
            self.rekey(now);
        }
        self.update_esp(now);
    }

    fn poll_output(&mut self, buf: &mut Vec<u8>) -> Option<Output<GatewayEvent>> {
        // ESP packets waiting for a batch seal go out first.
        self.esp.flush_to(&mut self.stats, &mut self.out);
        self.out.poll(buf)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            return None;
        }
        [self.login_deadline, self.next_rekey, self.esp_dead_at()]
            .into_iter()
            .flatten()
            .min()
    }

    fn accept(&mut self, now: Instant, config: TunnelConfig) {
        let Phase::AwaitVerdict { dsid, via_cookie } =
            core::mem::replace(&mut self.phase, Phase::AwaitStep)
        else {
            return;
        };
        let p = match self.prepare(&config) {
            Ok(p) => p,
            Err(why) => {
                self.fail_login(alloc::format!("no usable configuration: {why}"));
                return;
            }
        };
        self.next_rekey = p.offer.and_then(|o| o.rekey_after).map(|d| now + d);
        if via_cookie {
            // Accept the cookie by handing it back (§4.10), then success
            // after the client's empty response.
            self.prepared = Some(p);
            let r = ServerRequest::new(RequestKind::Cookie(crate::pulse::Secret::new(
                dsid.as_str(),
            )));
            self.send_request(&r);
            self.phase = Phase::Asked(Asked::Empty);
        } else {
            self.send_setup(now, p);
        }
        self.resume(now);
    }

    fn reject(&mut self, now: Instant, reason: RejectReason) {
        let Phase::AwaitVerdict { via_cookie, .. } = &self.phase else {
            return;
        };
        match (reason, *via_cookie) {
            // A refused cookie: sign in instead (OpenConnect's connect
            // phase then reports "cookie not accepted").
            (RejectReason::BadCookie, true) => self.report_login(LoginAnswer::Start {
                client_version: self.client_version.clone(),
            }),
            (RejectReason::BadCookie, false) => {
                self.fail_login("the session was refused".into());
            }
        }
        self.resume(now);
    }

    fn login_step(&mut self, now: Instant, step: LoginStep) {
        if !matches!(self.phase, Phase::AwaitStep) {
            return;
        }
        let inner_id = self.eap_id.wrapping_add(1);
        match request_for(&step, inner_id) {
            StepRequest::Ask(r, asked) => {
                self.send_request(&r);
                self.phase = Phase::Asked(asked);
            }
            StepRequest::Cookie(r) => {
                if let LoginStep::Granted(dsid) = step {
                    self.granted = Some(dsid);
                }
                self.send_request(&r);
                self.phase = Phase::Asked(Asked::Empty);
            }
            StepRequest::Fail(text) => self.fail_login(text),
        }
        self.resume(now);
    }

    fn close(&mut self, _now: Instant) {
        self.terminate(7, "Session terminated by the gateway");
    }

    fn inbound_spis(&self) -> (Option<u32>, Option<u32>) {
        self.esp.inbound_spis()
    }

    fn client_hostname(&self) -> &str {
        &self.hostname
    }

    fn stats(&self) -> SessionStats {
        self.stats
    }

    fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }
}
