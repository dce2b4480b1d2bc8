//! The session traits a protocol implements: sans-IO, driven by bytes,
//! packets and time in, outputs out.

use alloc::vec::Vec;

use super::config::TunnelConfig;
use super::event::{ClientEvent, GatewayEvent, RejectReason, SessionStats, Transport};
use super::login::LoginStep;
use super::output::Output;
use super::prompt::LoginReply;
use crate::time::Instant;

/// The client side of a tunnel.
///
/// The driver owns the TLS connection, a UDP socket towards
/// [`esp_port`](Self::esp_port), the TUN device and a clock. After every
/// input it drains [`poll_output`](Self::poll_output) until `None`, then
/// waits for input or [`poll_timeout`](Self::poll_timeout).
pub trait ClientTunnel {
    /// TLS plaintext from the gateway.
    fn handle_tls(&mut self, now: Instant, data: &[u8]);
    /// The TLS connection was lost (read or write error, EOF).
    fn handle_tls_closed(&mut self, now: Instant);
    /// A new TLS connection is up (after [`ClientEvent::ReconnectNeeded`],
    /// or when the driver noticed the loss first): start over on it.
    fn reconnect(&mut self, now: Instant);
    /// A UDP datagram from the gateway's ESP port.
    fn handle_udp(&mut self, now: Instant, datagram: &[u8]);
    /// The datagrams of one receive from the gateway's ESP port, in
    /// order: the same as [`handle_udp`](Self::handle_udp) on each, but a
    /// session may verify them together (16 ICVs per call).
    fn handle_udp_batch(&mut self, now: Instant, datagrams: &[&[u8]]) {
        for d in datagrams {
            self.handle_udp(now, d);
        }
    }
    /// The UDP socket reported an error (e.g. ICMP port unreachable).
    fn handle_udp_error(&mut self, now: Instant);
    /// An IP packet from the TUN device for the gateway.
    fn send_ip(&mut self, now: Instant, packet: &[u8]);
    /// Timers are due (see [`poll_timeout`](Self::poll_timeout)).
    fn handle_timeout(&mut self, now: Instant);
    /// The next output; TLS, UDP and IP bytes are swapped into `buf`.
    fn poll_output(&mut self, buf: &mut Vec<u8>) -> Option<Output<ClientEvent>>;
    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    fn poll_timeout(&self) -> Option<Instant>;
    /// The answer to the pending [`ClientEvent::LoginPrompt`]. Sessions
    /// that sign in elsewhere (oNCP) never prompt and ignore it.
    fn answer_login(&mut self, now: Instant, reply: LoginReply) {
        let _ = (now, reply);
    }
    /// Ends the session (user request).
    fn close(&mut self, now: Instant);
    /// What to send on a fresh TLS connection to log out after the
    /// session ended (not after a rejected cookie); empty when the
    /// session already logged out on the tunnel connection.
    fn logout_request(&self) -> Vec<u8>;
    /// The gateway's ESP UDP port, once configured with usable ESP.
    fn esp_port(&self) -> Option<u16>;
    /// Which path carries outgoing data now.
    fn transport(&self) -> Transport;
    /// Counters.
    fn stats(&self) -> SessionStats;
    /// Whether the session ended for good.
    fn is_closed(&self) -> bool;
}

/// The gateway side of one client's tunnel.
///
/// Fed TLS plaintext from the first byte of the request; reports
/// [`GatewayEvent::TunnelRequested`] and waits for
/// [`accept`](Self::accept) or [`reject`](Self::reject). Each TLS output
/// goes out as its own TLS record.
pub trait GatewayTunnel {
    /// TLS plaintext from the client.
    fn handle_tls(&mut self, now: Instant, data: &[u8]);
    /// The client's TLS connection was lost.
    fn handle_tls_closed(&mut self, now: Instant);
    /// A UDP datagram whose SPI is one of
    /// [`inbound_spis`](Self::inbound_spis); returns whether it was
    /// authentic, so the driver can follow the client's address.
    fn handle_udp(&mut self, now: Instant, datagram: &[u8]) -> bool;
    /// The datagrams of one receive, in order: the same as
    /// [`handle_udp`](Self::handle_udp) on each, `authentic[i]` set to
    /// what it would have returned for datagram `i` (when `authentic` is
    /// that long); a session may verify them together (16 ICVs per call).
    fn handle_udp_batch(&mut self, now: Instant, datagrams: &[&[u8]], authentic: &mut [bool]) {
        for (i, d) in datagrams.iter().enumerate() {
            let a = self.handle_udp(now, d);
            if let Some(slot) = authentic.get_mut(i) {
                *slot = a;
            }
        }
    }
    /// An IP packet for the client.
    fn send_ip(&mut self, now: Instant, packet: &[u8]);
    /// Timers are due.
    fn handle_timeout(&mut self, now: Instant);
    /// The next output; TLS, UDP and IP bytes are swapped into `buf`.
    fn poll_output(&mut self, buf: &mut Vec<u8>) -> Option<Output<GatewayEvent>>;
    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Accepts the pending tunnel request with this configuration (its
    /// ESP part says what to offer: port, algorithms, compression,
    /// lifetime, DPD, replay protection; keys are made by the session).
    fn accept(&mut self, now: Instant, config: TunnelConfig);
    /// Refuses the pending tunnel request.
    fn reject(&mut self, now: Instant, reason: RejectReason);
    /// Answers [`GatewayEvent::Login`]: the next step of a sign-in held
    /// on the tunnel connection. Protocols that sign in elsewhere (oNCP:
    /// web pages) never report that event and ignore this.
    fn login_step(&mut self, now: Instant, step: LoginStep) {
        let _ = (now, step);
    }
    /// Ends the session, telling the client.
    fn close(&mut self, now: Instant);
    /// Current and previous (during a rekey's grace) inbound SPIs.
    fn inbound_spis(&self) -> (Option<u32>, Option<u32>);
    /// The client's host name, once known.
    fn client_hostname(&self) -> &str;
    /// Counters.
    fn stats(&self) -> SessionStats;
    /// Whether the session ended.
    fn is_closed(&self) -> bool;
}
