//! The client side of an oNCP session.

use alloc::boxed::Box;
use alloc::string::ToString;
use alloc::vec::Vec;

use super::options::ClientOptions;
use super::tls_data;
use super::tunnel_config::tunnel_config;
use crate::esp::{Cipher, Integrity, SaLifetime, SaParams};
use crate::oncp::wire::data::MIN_PACKET_LIMIT;
use crate::oncp::wire::http::{ResponseHead, TunnelOutcome, TunnelRequest};
use crate::oncp::wire::record::encode_record;
use crate::oncp::wire::{
    Config, Control, EspKeys, HostnamePacket, KmpMessage, KmpType, Sender, StreamDecoder,
    StreamItem, StreamKind,
};
use crate::rng::Random;
use crate::time::{Duration, Instant};
use crate::tunnel::esp_link::EspLink;
use crate::tunnel::open_batch::OPEN_BATCH;
use crate::tunnel::probe::{DEFAULT_DPD, EspState, ProbeAction};
use crate::tunnel::{
    ClientEvent, ClientTunnel, DisconnectReason, EspDownReason, Output, OutputQueue, SessionStats,
    Transport,
};

/// How long the client waits for the gateway to rekey after its own
/// outbound SA ran out before reconnecting to get fresh keys.
const REKEY_GRACE: Duration = Duration::from_secs(10);

/// How long the gateway may take from the tunnel request to the
/// configuration (KMP 301). A gateway that accepts the connection and then
/// stays silent would otherwise hold the client for ever: at start-up the
/// session ends ([`DisconnectReason::SetupTimeout`]); on a reconnect the
/// connection counts as lost, so the driver's reconnect budget applies.
/// Not in the spec (OpenConnect has no such limit); real gateways answer
/// within a second or two.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
enum Phase {
    /// Waiting for the HTTP answer to the tunnel request.
    AwaitHttp(Vec<u8>),
    /// Waiting for the status byte and then the 301.
    Setup(StreamDecoder),
    /// Configured: data flows.
    Data(StreamDecoder),
    /// The TLS connection is gone; waiting for [`ClientSession::reconnect`].
    Reconnecting,
    /// Over for good.
    Closed,
}

/// The client side of an oNCP session, sans-IO.
///
/// The driver owns the TLS connection, a UDP socket towards the gateway's
/// ESP port and the TUN device, and a clock:
/// - inputs: [`handle_tls`](Self::handle_tls) (TLS plaintext),
///   [`handle_udp`](Self::handle_udp), [`send_ip`](Self::send_ip) (from the
///   TUN), [`handle_timeout`](Self::handle_timeout),
///   [`handle_tls_closed`](Self::handle_tls_closed),
///   [`reconnect`](Self::reconnect), [`close`](Self::close);
/// - outputs, drained after every input:
///   [`poll_tls_transmit`](Self::poll_tls_transmit) (each item is written
///   with one TLS write), [`poll_udp_transmit`](Self::poll_udp_transmit),
///   [`poll_ip`](Self::poll_ip) (to the TUN),
///   [`poll_event`](Self::poll_event), and
///   [`poll_timeout`](Self::poll_timeout) (call `handle_timeout` then).
pub struct ClientSession {
    opts: ClientOptions,
    rng: Box<dyn Random + Send>,
    phase: Phase,
    config: Option<Config>,
    esp: EspLink,
    esp_state: EspState,
    cipher: Option<Cipher>,
    integrity: Option<Integrity>,
    replay_protection: bool,
    dpd: Duration,
    mtu: u32,
    /// When our outbound SA ran out and we started waiting for a rekey.
    rekey_wait: Option<Instant>,
    /// While setting up a connection: when it must be configured by.
    setup_deadline: Option<Instant>,
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
    /// A session to the gateway in `opts`. The first
    /// [`poll_tls_transmit`](Self::poll_tls_transmit) yields the HTTP
    /// tunnel request for a freshly opened TLS connection.
    pub fn new(opts: ClientOptions, rng: Box<dyn Random + Send>, now: Instant) -> Self {
        let mut s = ClientSession {
            opts,
            rng,
            phase: Phase::Closed,
            config: None,
            esp: EspLink::new(),
            esp_state: EspState::Unavailable,
            cipher: None,
            integrity: None,
            replay_protection: true,
            dpd: DEFAULT_DPD,
            mtu: 0,
            rekey_wait: None,
            setup_deadline: None,
            out: OutputQueue::new(),
            stats: SessionStats::default(),
        };
        s.start_connection(now);
        s
    }

    fn tunnel_request(&self) -> TunnelRequest {
        TunnelRequest {
            host: self.opts.host.clone(),
            port: self.opts.port,
            user_agent: self.opts.user_agent.clone(),
            cookie: self.opts.cookie.clone(),
        }
    }

    fn start_connection(&mut self, now: Instant) {
        self.setup_deadline = Some(now + SETUP_TIMEOUT);
        self.out.clear_tls();
        self.out.push_tls(self.tunnel_request().to_bytes());
        self.phase = Phase::AwaitHttp(Vec::new());
    }

    /// The configuration in force, once received.
    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref()
    }

    fn decoder(&mut self) -> Option<&mut StreamDecoder> {
        match &mut self.phase {
            Phase::Setup(d) | Phase::Data(d) => Some(d),
            _ => None,
        }
    }

    fn handle_item(&mut self, now: Instant, item: StreamItem) {
        let configured = matches!(self.phase, Phase::Data(_));
        match item {
            StreamItem::Status(s) if !s.is_ok() => self.fail(DisconnectReason::BadStatus(s.0)),
            StreamItem::Status(_) | StreamItem::Hostname(_) => {}
            StreamItem::Terminated(r) => self.fail(DisconnectReason::Terminated(r.0)),
            StreamItem::Message { message, .. } => match message.kmp_type() {
                KmpType::CONFIG if !configured => self.handle_config(now, &message),
                KmpType::DATA => self.handle_data(&message),
                KmpType::ESP_KEYS if configured => self.handle_rekey(now, &message),
                // Anything else is not meaningful here; ignore it rather
                // than end the session (9.01 would quit).
                _ => {}
            },
        }
    }

    fn handle_config(&mut self, now: Instant, message: &KmpMessage) {
        let cfg = match Config::parse(&message.payload) {
            Ok(c) => c,
            Err(e) => return self.fail(DisconnectReason::Protocol(e.to_string())),
        };
        let v = cfg.values();
        // Spec §4.3: a reconnect must give the same address.
        let cfg = match &self.config {
            None if v.address.is_none() => {
                return self.fail(DisconnectReason::BadConfig(
                    "no IPv4 address received".into(),
                ));
            }
            Some(prev) => {
                let p = prev.values();
                if v.address.is_some_and(|a| Some(a) != p.address)
                    || (v.address.is_some() && p.netmask.is_some() && v.netmask != p.netmask)
                {
                    return self.fail(DisconnectReason::AddressChanged);
                }
                if v.address.is_none() || v.mtu.is_none() {
                    let mut merged = v.clone();
                    merged.address = merged.address.or(p.address);
                    merged.netmask = merged.netmask.or(p.netmask);
                    merged.mtu = merged.mtu.or(p.mtu);
                    Config::from_values(merged)
                } else {
                    cfg
                }
            }
            None => cfg,
        };
        let v = cfg.values().clone();
        self.mtu = v.mtu.unwrap_or(self.mtu);
        self.esp.set_mtu(self.mtu);
        // At least one second: a zero interval would declare ESP dead on
        // every timer.
        self.dpd = self
            .opts
            .force_dpd
            .unwrap_or(match v.esp.fallback_secs {
                Some(s) if s > 0 => Duration::from_secs(s as u64),
                _ => DEFAULT_DPD,
            })
            .max(Duration::from_secs(1));
        self.replay_protection = v.esp.replay_protection.unwrap_or(false);
        let mut reply = Control::Mtu(self.mtu).to_message().to_vec();
        self.esp.clear();
        self.esp_state = EspState::Unavailable;
        if let Some(keys) = self.setup_esp(now, &v.esp) {
            reply.extend(keys.to_client_message().to_vec());
        }
        self.out.push_tls(encode_record(&reply));
        self.config = Some(cfg.clone());
        self.setup_deadline = None;
        if let Phase::Setup(d) = core::mem::replace(&mut self.phase, Phase::Closed) {
            self.phase = Phase::Data(d);
        }
        self.out
            .push_event(ClientEvent::Configured(Box::new(tunnel_config(
                cfg.values(),
            ))));
        if self.esp.has_keys() {
            self.esp_state = EspState::start_probing(now);
            self.handle_timeout(now);
        }
    }

    /// Installs the gateway's outbound keys and generates our inbound ones;
    /// returns our keys to announce, or `None` if ESP can't be used.
    fn setup_esp(&mut self, now: Instant, esp: &crate::oncp::wire::EspSettings) -> Option<EspKeys> {
        if !self.opts.esp || esp.port.is_none() {
            return None;
        }
        let outbound = esp.sa_params().ok()?;
        let (cipher, integrity) = (outbound.cipher, outbound.integrity);
        self.cipher = Some(cipher);
        self.integrity = Some(integrity);
        // Only the seconds lifetime (8/6) is acted on. Whether gateways
        // rekey on the byte lifetime (8/5) is unknown and OpenConnect
        // ignores both, so acting on 8/5 could force needless reconnects.
        let lifetime = SaLifetime {
            bytes: None,
            time: esp
                .lifetime_secs
                .filter(|&s| s > 0)
                .map(|s| Duration::from_secs(s as u64)),
        };
        self.esp.set_outbound(&outbound, now, lifetime);
        let inbound = SaParams::generate(cipher, integrity, &mut *self.rng);
        self.esp.set_inbound(&inbound, self.replay_protection, now);
        if esp.compression == Some(true) && self.opts.compress_outbound {
            self.esp.enable_compression();
        }
        self.rekey_wait = None;
        Some(EspKeys {
            spi: inbound.spi,
            secrets: inbound.secrets,
        })
    }

    fn handle_data(&mut self, message: &KmpMessage) {
        let limit = MIN_PACKET_LIMIT.max(self.mtu as usize);
        tls_data::receive_data(message, limit, &mut self.stats, &mut self.out);
    }

    fn handle_rekey(&mut self, now: Instant, message: &KmpMessage) {
        let esp_offered = self
            .config
            .as_ref()
            .is_some_and(|c| c.values().esp.port.is_some());
        if !self.opts.esp || !esp_offered {
            // ESP is off (option or no ESP port): new keys are of no use.
            return;
        }
        let result = Config::parse_rekey(&message.payload).map_err(|e| e.to_string());
        let new = result.and_then(|cfg| {
            let mut esp = cfg.values().esp.clone();
            esp.cipher = esp.cipher.or(self.cipher.map(Cipher::code));
            esp.mac = esp.mac.or(self.integrity.map(Integrity::code));
            esp.port = self.config.as_ref().and_then(|c| c.values().esp.port);
            esp.compression = self
                .config
                .as_ref()
                .and_then(|c| c.values().esp.compression);
            self.setup_esp(now, &esp)
                .ok_or_else(|| "unusable ESP keys or algorithms".to_string())
        });
        match new {
            Ok(keys) => {
                self.out
                    .push_tls(encode_record(&keys.to_client_message().to_vec()));
                self.stats.rekeys += 1;
                if matches!(self.esp_state, EspState::Unavailable) {
                    self.esp_state = EspState::start_probing(now);
                }
                self.out.push_event(ClientEvent::Rekeyed);
            }
            Err(why) => {
                if self.esp_state.is_established() {
                    self.out
                        .push_tls(encode_record(&Control::Esp(false).to_message().to_vec()));
                }
                self.esp.clear();
                self.esp_state = EspState::Unavailable;
                self.out
                    .push_event(ClientEvent::EspDown(EspDownReason::BadRekey(why)));
            }
        }
    }

    fn check_lifetime(&mut self, now: Instant) {
        if self.rekey_wait.is_none()
            && self
                .esp
                .outbound
                .as_ref()
                .is_some_and(|o| o.needs_rekey(now))
        {
            self.rekey_wait = Some(now);
        }
    }

    /// Our outbound SA ran out (seconds lifetime or sequence numbers) and
    /// the gateway did not rekey within [`REKEY_GRACE`]. The client cannot
    /// ask for new keys over oNCP. If ESP was carrying our data, the TLS
    /// connection has been idle and may have died silently, losing the
    /// gateway's rekey (spec §6.3): reconnect to get fresh keys (the 2023
    /// OpenConnect proposal). Otherwise just stop using the expired keys;
    /// data keeps flowing over TLS and a later gateway rekey restarts ESP.
    fn keys_expired(&mut self) {
        self.rekey_wait = None;
        if self.esp_state.is_established() {
            self.teardown_esp(EspDownReason::KeysExpired);
            self.lose_tls();
        } else {
            self.teardown_esp(EspDownReason::KeysExpired);
        }
    }

    fn lose_tls(&mut self) {
        self.teardown_esp(EspDownReason::TlsLost);
        self.out.clear_tls();
        self.phase = Phase::Reconnecting;
        self.out.push_event(ClientEvent::ReconnectNeeded);
    }

    /// Forgets every ESP key and state (they belong to one TLS connection).
    fn teardown_esp(&mut self, reason: EspDownReason) {
        if self.esp_state.is_established() {
            self.out.push_event(ClientEvent::EspDown(reason));
        }
        self.esp.clear();
        self.esp_state = EspState::Unavailable;
        self.out.clear_udp();
    }

    fn fail(&mut self, reason: DisconnectReason) {
        self.phase = Phase::Closed;
        self.esp.clear();
        self.esp_state = EspState::Unavailable;
        self.out.push_event(ClientEvent::Disconnected(reason));
    }

    /// After a datagram was opened (`ok`) or dropped: the first authentic
    /// one brings ESP up (an ESP-enable 303 to the gateway, spec §7.6).
    fn on_opened(&mut self, now: Instant, ok: bool) {
        if !ok {
            self.stats.esp_dropped += 1;
        } else if self.esp_state.on_receive(now) {
            self.out
                .push_tls(encode_record(&Control::Esp(true).to_message().to_vec()));
            self.out.push_event(ClientEvent::EspUp);
        }
    }
}

impl ClientTunnel for ClientSession {
    /// Bytes of TLS plaintext from the gateway.
    fn handle_tls(&mut self, now: Instant, data: &[u8]) {
        match &mut self.phase {
            Phase::AwaitHttp(buf) => {
                buf.extend_from_slice(data);
                let (head, n) = match ResponseHead::parse_prefix(buf) {
                    Ok(Some(h)) => h,
                    Ok(None) => return,
                    Err(e) => return self.fail(DisconnectReason::Protocol(e.to_string())),
                };
                let rest = buf[n..].to_vec();
                match head.tunnel_outcome() {
                    TunnelOutcome::Accepted => {}
                    TunnelOutcome::CookieRejected => {
                        return self.fail(DisconnectReason::CookieRejected(head.status));
                    }
                    TunnelOutcome::Failed => {
                        return self.fail(DisconnectReason::HttpFailure(head.status));
                    }
                }
                let hostname = HostnamePacket::new(&self.opts.local_hostname);
                self.out.push_tls(encode_record(&hostname.to_payload()));
                self.phase = Phase::Setup(StreamDecoder::new(StreamKind::ServerToClient));
                if !rest.is_empty() {
                    self.handle_tls(now, &rest);
                }
            }
            Phase::Setup(dec) | Phase::Data(dec) => {
                if let Err(e) = dec.feed(data) {
                    return self.fail(DisconnectReason::Protocol(e.to_string()));
                }
                while let Some(item) = self.decoder().and_then(StreamDecoder::poll_item) {
                    self.handle_item(now, item);
                    if matches!(self.phase, Phase::Closed) {
                        return;
                    }
                }
            }
            Phase::Reconnecting | Phase::Closed => {}
        }
    }

    /// The TLS connection was lost (read/write error or EOF).
    fn handle_tls_closed(&mut self, _now: Instant) {
        if matches!(self.phase, Phase::Closed | Phase::Reconnecting) {
            return;
        }
        if matches!(self.phase, Phase::AwaitHttp(_)) && self.config.is_none() {
            // Never got in: nothing to resume.
            return self.fail(DisconnectReason::HttpFailure(0));
        }
        self.lose_tls();
    }

    /// A new TLS connection to the gateway is up: start over with the same
    /// cookie. ESP is probed again once the new configuration arrives.
    ///
    /// May also be called without a prior
    /// [`ClientEvent::ReconnectNeeded`] (the driver noticed the loss
    /// first): ESP is torn down the same way.
    fn reconnect(&mut self, now: Instant) {
        match self.phase {
            Phase::Closed => return,
            Phase::Reconnecting => {}
            _ => self.teardown_esp(EspDownReason::TlsLost),
        }
        self.rekey_wait = None;
        self.start_connection(now);
    }

    /// A UDP datagram from the gateway's ESP port.
    fn handle_udp(&mut self, now: Instant, datagram: &[u8]) {
        if !matches!(self.phase, Phase::Data(_)) {
            return;
        }
        let r = self
            .esp
            .open_to(datagram, now, &mut self.stats, &mut self.out);
        self.on_opened(now, r.is_ok());
    }

    /// The datagrams of one receive, opened as a batch.
    fn handle_udp_batch(&mut self, now: Instant, datagrams: &[&[u8]]) {
        if !matches!(self.phase, Phase::Data(_)) {
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

    /// The UDP socket reported an error (for example ICMP port
    /// unreachable). If ESP was carrying data, fall back to TLS with an
    /// ESP-disable 303 and start probing again (spec §7.6); while probing,
    /// the schedule just continues.
    fn handle_udp_error(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Data(_)) && self.esp_state.is_established() {
            self.out
                .push_tls(encode_record(&Control::Esp(false).to_message().to_vec()));
            self.out
                .push_event(ClientEvent::EspDown(EspDownReason::UdpError));
            self.esp_state = EspState::start_probing(now + crate::tunnel::probe::PROBE_INTERVAL);
        }
    }

    /// An IP packet from the TUN device to send to the gateway. Only
    /// whole IPv4 packets are sent: gateways drop IPv6 (spec §10), and a
    /// packet whose length field disagrees with its size would break the
    /// gateway's parsing of the stream.
    fn send_ip(&mut self, now: Instant, packet: &[u8]) {
        if !matches!(self.phase, Phase::Data(_)) {
            return;
        }
        if !crate::tunnel::ip::is_whole_packet(packet, false) {
            self.stats.unsendable += 1;
            return;
        }
        if self.esp_state.is_established()
            && self
                .esp
                .seal_to(packet, &mut *self.rng, &mut self.stats, &mut self.out)
        {
            self.check_lifetime(now);
            return;
        }
        if let Some(r) = tls_data::data_record(packet, Sender::Client, &mut self.stats) {
            self.out.push_tls(r);
        }
    }

    /// Timers are due (see [`poll_timeout`](Self::poll_timeout)).
    fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.phase, Phase::AwaitHttp(_) | Phase::Setup(_)) {
            if self.setup_deadline.is_some_and(|d| now >= d) {
                self.setup_deadline = None;
                if self.config.is_none() {
                    self.fail(DisconnectReason::SetupTimeout(SETUP_TIMEOUT.as_secs()));
                } else {
                    self.lose_tls();
                }
            }
            return;
        }
        if !matches!(self.phase, Phase::Data(_)) {
            return;
        }
        match self.esp_state.on_timer(now, self.dpd) {
            ProbeAction::Wait => {}
            ProbeAction::SendProbe => {
                self.esp
                    .probe_to(&mut *self.rng, &mut self.stats, &mut self.out);
            }
            ProbeAction::Dead => {
                self.out
                    .push_tls(encode_record(&Control::Esp(false).to_message().to_vec()));
                self.out
                    .push_event(ClientEvent::EspDown(EspDownReason::DeadPeer));
                // Restart probing straight away.
                self.handle_timeout(now);
            }
        }
        self.check_lifetime(now);
        if let Some(t) = self.rekey_wait
            && now >= t + REKEY_GRACE
        {
            self.keys_expired();
        }
    }

    fn poll_output(&mut self, buf: &mut Vec<u8>) -> Option<Output<ClientEvent>> {
        // ESP packets waiting for a batch seal go out first.
        self.esp.flush_to(&mut self.stats, &mut self.out);
        self.out.poll(buf)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::AwaitHttp(_) | Phase::Setup(_)) {
            return self.setup_deadline;
        }
        if !matches!(self.phase, Phase::Data(_)) {
            return None;
        }
        let esp = self.esp_state.deadline(self.dpd);
        let rekey = self.rekey_wait.map(|t| t + REKEY_GRACE);
        let lifetime = self
            .esp
            .outbound
            .as_ref()
            .filter(|_| self.rekey_wait.is_none())
            .and_then(|o| o.expires_at());
        [esp, rekey, lifetime].into_iter().flatten().min()
    }

    /// Ends the session (user request). There is no goodbye message; the
    /// driver closes TLS and sends [`logout_request`](Self::logout_request).
    fn close(&mut self, _now: Instant) {
        if !matches!(self.phase, Phase::Closed) {
            self.fail(DisconnectReason::Closed);
        }
    }

    /// The logout request (spec §9.2), to send on a new TLS connection
    /// after the session ends (not after a rejected cookie).
    fn logout_request(&self) -> Vec<u8> {
        self.tunnel_request().logout_bytes()
    }

    /// The gateway's ESP UDP port, once configured with usable ESP.
    fn esp_port(&self) -> Option<u16> {
        if self.esp.has_keys() {
            self.config.as_ref()?.values().esp.port
        } else {
            None
        }
    }

    /// Which path carries outgoing data now.
    fn transport(&self) -> Transport {
        if self.esp_state.is_established() {
            Transport::Esp
        } else {
            Transport::Tls
        }
    }

    /// Counters.
    fn stats(&self) -> SessionStats {
        self.stats
    }

    /// Whether the session ended for good.
    fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }
}
