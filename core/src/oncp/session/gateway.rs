//! The gateway side of an oNCP session.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::options::GatewaySessionConfig;
use super::tls_data;
use crate::esp::{SaLifetime, SaParams};
use crate::oncp::wire::data::MIN_PACKET_LIMIT;
use crate::oncp::wire::http::{RequestHead, TUNNEL_ACCEPTED_RESPONSE};
use crate::oncp::wire::record::{
    MAX_RECORD_PAYLOAD_IN_ONE_TLS_RECORD, encode_record, termination_record,
};
use crate::oncp::wire::{
    Config, Control, EspKeys, EspSettings, KmpMessage, KmpType, Sender, Status, StreamDecoder,
    StreamItem, StreamKind, TerminationReason,
};
use crate::rng::Random;
use crate::time::{Duration, Instant};
use crate::tunnel::esp_link::{EspLink, Opened};
use crate::tunnel::open_batch::OPEN_BATCH;
use crate::tunnel::{
    DisconnectReason, EspDownReason, GatewayEvent, GatewayTunnel, Output, OutputQueue,
    RejectReason, SessionStats, TunnelConfig, TunnelRequest,
};

/// The answer to a tunnel request with a cookie we don't accept.
pub const COOKIE_REJECTED_RESPONSE: &[u8] =
    b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/// The answer to anything but the tunnel request.
pub const NOT_FOUND_RESPONSE: &[u8] =
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Largest IP packet we send over TLS: its KMP 300 record must fit one
/// TLS record (spec §12), which also keeps it within OpenConnect's
/// receive buffer of max(16384, MTU) + 20 (§3.6).
const MAX_DATA_PAYLOAD: usize =
    MAX_RECORD_PAYLOAD_IN_ONE_TLS_RECORD - crate::oncp::wire::kmp::KMP_HEADER_LEN;

/// How long an unanswered rekey blocks another sequence-driven one.
const REKEY_RETRY: Duration = Duration::from_secs(10);

#[derive(Debug)]
enum Phase {
    AwaitRequest(Zeroizing<Vec<u8>>),
    /// The tunnel request was reported; waiting for accept or reject.
    /// Holds what the client sent after the request head.
    AwaitVerdict(Vec<u8>),
    Stream {
        dec: StreamDecoder,
        configured: bool,
    },
    Closed,
}

/// The gateway side of one client's oNCP session, sans-IO.
///
/// Driven through [`GatewayTunnel`]: feed TLS plaintext from the very
/// first byte of the request (or hand over a request head the driver
/// already parsed, [`handle_request`](Self::handle_request)), answer
/// [`GatewayEvent::TunnelRequested`] with `accept` or `reject`, then UDP
/// datagrams whose SPI is one of the inbound SPIs, IP packets for the
/// client and timeouts; drain `poll_output`. Each TLS output must go out
/// as its own TLS record (OpenConnect 9.01 needs one oNCP record per TLS
/// record during setup and for rekeys, spec/oncp.md §12).
pub struct GatewaySession {
    cfg: GatewaySessionConfig,
    rng: Box<dyn Random + Send>,
    phase: Phase,
    esp: EspLink,
    /// The client asked for ESP (303 enable) and we have its keys.
    esp_enabled: bool,
    /// When our last rekey 302 went out, until the client's keys answer it.
    rekey_started: Option<Instant>,
    /// A probe arrived before the client's keys: answer it when they come.
    probe_unanswered: bool,
    next_rekey: Option<Instant>,
    hostname: String,
    /// The status byte answering the hostname packet.
    status: Status,
    client_mtu: Option<u32>,
    out: OutputQueue<GatewayEvent>,
    stats: SessionStats,
}

impl core::fmt::Debug for GatewaySession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GatewaySession")
            .field("phase", &self.phase)
            .field("esp_enabled", &self.esp_enabled)
            .finish_non_exhaustive()
    }
}

impl GatewaySession {
    /// A session for a newly accepted TLS connection.
    pub fn new(rng: Box<dyn Random + Send>, _now: Instant) -> Self {
        GatewaySession {
            cfg: GatewaySessionConfig::default(),
            rng,
            phase: Phase::AwaitRequest(Zeroizing::new(Vec::new())),
            esp: EspLink::new(),
            esp_enabled: false,
            rekey_started: None,
            probe_unanswered: false,
            next_rekey: None,
            hostname: String::new(),
            status: Status::OK,
            client_mtu: None,
            out: OutputQueue::new(),
            stats: SessionStats::default(),
        }
    }

    /// Whether data to the client goes over ESP.
    pub fn esp_active(&self) -> bool {
        self.esp_enabled && self.esp.outbound.is_some()
    }

    /// The SPI clients put on ESP packets to us, once configured.
    pub fn inbound_spi(&self) -> Option<u32> {
        self.esp.inbound_spis().0
    }

    /// The MTU the client reported.
    pub fn client_mtu(&self) -> Option<u32> {
        self.client_mtu
    }

    /// A tunnel-opening request whose head the driver already parsed
    /// (to route it), with the bytes that followed the head. Anything but
    /// the tunnel request is answered 404; the tunnel request is reported
    /// as [`GatewayEvent::TunnelRequested`] for the driver to accept or
    /// reject.
    pub fn handle_request(&mut self, now: Instant, head: &RequestHead, rest: &[u8]) {
        if !matches!(self.phase, Phase::AwaitRequest(_)) {
            return;
        }
        if !head.is_tunnel_request() {
            self.out.push_tls(NOT_FOUND_RESPONSE.to_vec());
            return self.end(DisconnectReason::HttpFailure(404));
        }
        let dsid = head.cookie("DSID").map(String::from);
        self.phase = Phase::AwaitVerdict(rest.to_vec());
        self.out
            .push_event(GatewayEvent::TunnelRequested(TunnelRequest { dsid }));
        let _ = now;
    }

    /// Accepts the pending tunnel request, offering `cfg`.
    pub fn accept_with(&mut self, now: Instant, cfg: GatewaySessionConfig) {
        let Phase::AwaitVerdict(rest) = &mut self.phase else {
            return;
        };
        let rest = core::mem::take(rest);
        self.cfg = cfg;
        self.out.push_tls(TUNNEL_ACCEPTED_RESPONSE.to_vec());
        self.phase = Phase::Stream {
            dec: StreamDecoder::new(StreamKind::ClientToServer),
            configured: false,
        };
        if !rest.is_empty() {
            self.handle_tls(now, &rest);
        }
    }

    fn handle_item(&mut self, now: Instant, item: StreamItem) {
        match item {
            StreamItem::Hostname(h) => {
                self.hostname = String::from_utf8_lossy(&h.hostname).into_owned();
                self.send_setup(now);
            }
            StreamItem::Message { message, .. } => match message.kmp_type() {
                KmpType::DATA => self.handle_data(&message),
                KmpType::CONTROL => self.handle_control(&message),
                KmpType::ESP_KEYS => self.handle_client_keys(now, &message),
                _ => {}
            },
            StreamItem::Status(_) | StreamItem::Terminated(_) => {}
        }
    }

    /// The status byte that answers the client's hostname packet. Any
    /// but [`Status::OK`] ends the session right after it, without a
    /// configuration — [`Status::ONCP_DISABLED`] (8) is how a Pulse
    /// gateway with oNCP switched off answers (spec/oncp.md §2.4).
    pub fn set_status(&mut self, status: Status) {
        self.status = status;
    }

    fn send_setup(&mut self, now: Instant) {
        // Status as its own record, then the 301 in records that each fit
        // one TLS record.
        self.out.push_tls(encode_record(&[self.status.0]));
        if !self.status.is_ok() {
            return self.end(DisconnectReason::BadStatus(self.status.0));
        }
        let mut values = self.cfg.values.clone();
        values.esp = EspSettings::default();
        if let Some(port) = self.cfg.esp_port {
            let inbound = SaParams::generate(self.cfg.cipher, self.cfg.integrity, &mut *self.rng);
            self.esp
                .set_inbound(&inbound, self.cfg.replay_protection, now);
            values.esp = self.esp_settings(&inbound);
            values.esp.port = Some(port);
            values.esp.compression = Some(self.cfg.compression);
            values.esp.lifetime_secs = self.cfg.rekey_after.map(|d| d.as_secs() as u32);
            values.esp.fallback_secs = self.cfg.dpd.map(|d| d.as_secs() as u32);
            values.esp.replay_protection = Some(self.cfg.replay_protection);
        }
        if let Some(m) = values.mtu {
            self.esp.set_mtu(m);
        }
        let config = Config::from_values(values);
        let Ok(msg) = config.to_message(KmpType::CONFIG) else {
            return self.end(DisconnectReason::BadConfig(
                "configuration too large".into(),
            ));
        };
        for chunk in msg.to_vec().chunks(MAX_RECORD_PAYLOAD_IN_ONE_TLS_RECORD) {
            self.out.push_tls(encode_record(chunk));
        }
        if let Phase::Stream { configured, .. } = &mut self.phase {
            *configured = true;
        }
        self.next_rekey = self.cfg.rekey_after.map(|d| now + d);
        self.out.push_event(GatewayEvent::Accepted {
            hostname: self.hostname.clone(),
        });
        self.out.push_event(GatewayEvent::Configured);
    }

    fn esp_settings(&self, inbound: &SaParams) -> EspSettings {
        EspSettings {
            spi: Some(inbound.spi),
            secrets: Some(inbound.secrets),
            cipher: Some(self.cfg.cipher.code()),
            mac: Some(self.cfg.integrity.code()),
            ..EspSettings::default()
        }
    }

    fn handle_data(&mut self, message: &KmpMessage) {
        tls_data::receive_data(message, MIN_PACKET_LIMIT, &mut self.stats, &mut self.out);
    }

    fn handle_control(&mut self, message: &KmpMessage) {
        let Ok(controls) = Control::parse_payload(&message.payload) else {
            return;
        };
        for c in controls {
            match c {
                Control::Mtu(m) => self.client_mtu = Some(m),
                Control::Esp(true) => {
                    if !self.esp_enabled && self.esp.outbound.is_some() {
                        self.esp_enabled = true;
                        self.out.push_event(GatewayEvent::EspUp);
                    }
                }
                Control::Esp(false) => {
                    if self.esp_enabled {
                        self.esp_enabled = false;
                        self.out
                            .push_event(GatewayEvent::EspDown(EspDownReason::DisabledByPeer));
                    }
                }
            }
        }
    }

    fn handle_client_keys(&mut self, now: Instant, message: &KmpMessage) {
        if self.cfg.esp_port.is_none() || self.esp.inbound.is_none() {
            // We offered no ESP: keys are of no use.
            return;
        }
        let Ok(keys) = EspKeys::parse_client_payload(&message.payload) else {
            return;
        };
        let params = SaParams {
            spi: keys.spi,
            cipher: self.cfg.cipher,
            integrity: self.cfg.integrity,
            secrets: keys.secrets,
        };
        let rekey = self.esp.outbound.is_some();
        self.esp.set_outbound(&params, now, SaLifetime::default());
        if self.cfg.compression {
            self.esp.enable_compression();
        }
        if rekey && self.rekey_started.take().is_some() {
            self.stats.rekeys += 1;
            self.out.push_event(GatewayEvent::Rekeyed);
        }
        if core::mem::take(&mut self.probe_unanswered) {
            self.answer_probe();
        }
    }

    fn answer_probe(&mut self) {
        // The probe may overtake the client's keys (UDP is faster than
        // TLS): then it is answered once they arrive.
        self.probe_unanswered = !self
            .esp
            .probe_to(&mut *self.rng, &mut self.stats, &mut self.out);
    }

    /// Starts an ESP rekey: new inbound keys go to the client in a KMP 302
    /// alone in its record; the old inbound SA stays valid for its grace.
    pub fn rekey(&mut self, now: Instant) {
        let configured = matches!(
            self.phase,
            Phase::Stream {
                configured: true,
                ..
            }
        );
        // The next periodic rekey is due a full period from now, whether
        // or not this one happens (a stale deadline would spin the driver).
        self.next_rekey = self.cfg.rekey_after.map(|d| now + d);
        // Only clients that sent keys can take new ones (a client with ESP
        // off never does).
        if !configured || self.cfg.esp_port.is_none() || self.esp.outbound.is_none() {
            return;
        }
        let inbound = SaParams::generate(self.cfg.cipher, self.cfg.integrity, &mut *self.rng);
        self.esp
            .set_inbound(&inbound, self.cfg.replay_protection, now);
        let config = Config::from_values(crate::oncp::wire::ConfigValues {
            esp: self.esp_settings(&inbound),
            ..Default::default()
        });
        if let Ok(msg) = config.to_message(KmpType::ESP_KEYS) {
            self.out.push_tls(encode_record(&msg.to_vec()));
        }
        self.rekey_started = Some(now);
    }

    /// Rekeys early when sequence numbers run out on either SA (about
    /// 2^32 packets; the client cannot ask for a rekey itself).
    fn check_exhaustion(&mut self, now: Instant) {
        let pending = self.rekey_started.is_some_and(|t| now < t + REKEY_RETRY);
        if !pending && self.esp.sequence_nearly_exhausted(now) {
            self.rekey(now);
        }
    }

    /// Ends the session with a termination notice (`00 00 reason`).
    pub fn terminate(&mut self, reason: TerminationReason) {
        if matches!(self.phase, Phase::Stream { .. }) {
            self.out.push_tls(termination_record(reason).to_vec());
        }
        self.end(DisconnectReason::Closed);
    }

    fn end(&mut self, reason: DisconnectReason) {
        self.phase = Phase::Closed;
        self.esp.clear();
        self.esp_enabled = false;
        self.out.push_event(GatewayEvent::Disconnected(reason));
    }

    /// After a datagram was opened (`Some`) or dropped; whether it was
    /// authentic.
    fn on_opened(&mut self, now: Instant, opened: Option<Opened>) -> bool {
        let Some(opened) = opened else {
            self.stats.esp_dropped += 1;
            return false;
        };
        if opened == Opened::Probe {
            self.answer_probe();
        }
        self.check_exhaustion(now);
        true
    }
}

impl GatewayTunnel for GatewaySession {
    /// Bytes of TLS plaintext from the client.
    fn handle_tls(&mut self, now: Instant, data: &[u8]) {
        match &mut self.phase {
            Phase::AwaitRequest(buf) => {
                buf.extend_from_slice(data);
                let (head, n) = match RequestHead::parse_prefix(buf) {
                    Ok(Some(h)) => h,
                    Ok(None) => return,
                    Err(e) => return self.end(DisconnectReason::Protocol(e.to_string())),
                };
                let rest = buf[n..].to_vec();
                self.handle_request(now, &head, &rest);
            }
            Phase::AwaitVerdict(rest) => rest.extend_from_slice(data),
            Phase::Stream { dec, .. } => {
                if let Err(e) = dec.feed(data) {
                    return self.end(DisconnectReason::Protocol(e.to_string()));
                }
                loop {
                    let item = match &mut self.phase {
                        Phase::Stream { dec, .. } => dec.poll_item(),
                        _ => None,
                    };
                    let Some(item) = item else { break };
                    self.handle_item(now, item);
                }
            }
            Phase::Closed => {}
        }
    }

    /// The client's TLS connection was lost.
    fn handle_tls_closed(&mut self, _now: Instant) {
        if !self.is_closed() {
            self.end(DisconnectReason::ConnectionLost);
        }
    }

    /// A UDP datagram addressed to our ESP port whose SPI is ours. Returns
    /// whether it was authentic, so the driver can follow the client's
    /// address (spec §7.1).
    fn handle_udp(&mut self, now: Instant, datagram: &[u8]) -> bool {
        if self.is_closed() {
            return false;
        }
        let r = self
            .esp
            .open_to(datagram, now, &mut self.stats, &mut self.out);
        self.on_opened(now, r.ok())
    }

    fn handle_udp_batch(&mut self, now: Instant, datagrams: &[&[u8]], authentic: &mut [bool]) {
        authentic.fill(false);
        if self.is_closed() {
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

    /// An IP packet (one whole IPv4 or IPv6 packet) to deliver to the
    /// client; anything else is counted in
    /// [`SessionStats::unsendable`] and dropped.
    fn send_ip(&mut self, now: Instant, packet: &[u8]) {
        let configured = matches!(
            self.phase,
            Phase::Stream {
                configured: true,
                ..
            }
        );
        if !configured {
            return;
        }
        if packet.len() > MAX_DATA_PAYLOAD || !crate::tunnel::ip::is_whole_packet(packet, true) {
            self.stats.unsendable += 1;
            return;
        }
        if self.esp_active()
            && self
                .esp
                .seal_to(packet, &mut *self.rng, &mut self.stats, &mut self.out)
        {
            self.check_exhaustion(now);
            return;
        }
        if let Some(r) = tls_data::data_record(packet, Sender::Server, &mut self.stats) {
            self.out.push_tls(r);
        }
    }

    /// Timers are due.
    fn handle_timeout(&mut self, now: Instant) {
        if self.next_rekey.is_some_and(|t| now >= t) {
            self.rekey(now);
        }
    }

    fn poll_output(&mut self, buf: &mut Vec<u8>) -> Option<Output<GatewayEvent>> {
        // ESP packets waiting for a batch seal go out first.
        self.esp.flush_to(&mut self.stats, &mut self.out);
        self.out.poll(buf)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            None
        } else {
            self.next_rekey
        }
    }

    fn accept(&mut self, now: Instant, config: TunnelConfig) {
        self.accept_with(now, GatewaySessionConfig::from_tunnel(&config));
    }

    fn reject(&mut self, _now: Instant, reason: RejectReason) {
        if !matches!(self.phase, Phase::AwaitVerdict(_)) {
            return;
        }
        match reason {
            RejectReason::BadCookie => {
                self.out.push_tls(COOKIE_REJECTED_RESPONSE.to_vec());
                self.end(DisconnectReason::CookieRejected(401));
            }
        }
    }

    fn close(&mut self, _now: Instant) {
        self.terminate(TerminationReason(0));
    }

    /// Current and previous (during the rekey grace) inbound SPIs.
    fn inbound_spis(&self) -> (Option<u32>, Option<u32>) {
        self.esp.inbound_spis()
    }

    /// The client's host name from its hostname packet.
    fn client_hostname(&self) -> &str {
        &self.hostname
    }

    /// Counters.
    fn stats(&self) -> SessionStats {
        self.stats
    }

    /// Whether the session ended.
    fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }
}
