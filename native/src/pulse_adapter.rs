//! The Pulse adapter: the one place in this crate that names Pulse's
//! session types, beside [`crate::oncp_adapter`]. The gateway drives what
//! it returns as a [`GatewayTunnel`] and answers its neutral events; the
//! client drives a [`ClientTunnel`] whose sign-in questions the generic
//! driver answers.

use oncp_core::oncp::wire::http::RequestHead;
use oncp_core::pulse::session::{ClientOptions, ClientSession, GatewaySession};
use oncp_core::rng::Random;
use oncp_core::time::Instant;
use oncp_core::tunnel::{ClientTunnel, GatewayTunnel};

/// A Pulse IF-T/TLS gateway session for an upgrade request whose head the
/// HTTP layer already parsed, with the bytes after the head (the session
/// answers 101 and reads IF-T from there).
pub fn gateway_for_request(
    head: &RequestHead,
    rest: &[u8],
    rng: Box<dyn Random + Send>,
    now: Instant,
) -> Box<dyn GatewayTunnel + Send> {
    let mut s = GatewaySession::new(rng, now);
    s.handle_request(now, head, rest);
    Box::new(s)
}

/// A Pulse IF-T/TLS client session to the gateway in `opts`; its first
/// output is the upgrade request for a fresh TLS connection.
pub fn client(
    opts: ClientOptions,
    rng: Box<dyn Random + Send>,
    now: Instant,
) -> Box<dyn ClientTunnel + Send> {
    Box::new(ClientSession::new(opts, rng, now))
}
