//! The oNCP adapter: the one place in this crate that names oNCP's
//! session types. Everything else drives a [`ClientTunnel`] or a
//! [`GatewayTunnel`] and reads the neutral
//! [`oncp_core::tunnel::TunnelConfig`] and events, so a second protocol
//! plugs in beside this file.

use oncp_core::oncp::session::{ClientOptions, ClientSession, GatewaySession};
use oncp_core::oncp::wire::Status;
use oncp_core::oncp::wire::http::RequestHead;
use oncp_core::rng::Random;
use oncp_core::time::Instant;
use oncp_core::tunnel::{ClientTunnel, GatewayTunnel};

/// An oNCP client session to the gateway in `opts`; its first output is
/// the tunnel request for a fresh TLS connection.
pub fn client(
    opts: ClientOptions,
    rng: Box<dyn Random + Send>,
    now: Instant,
) -> Box<dyn ClientTunnel + Send> {
    Box::new(ClientSession::new(opts, rng, now))
}

/// An oNCP gateway session for a new TLS connection, fed from the first
/// byte of the request.
pub fn gateway(rng: Box<dyn Random + Send>, now: Instant) -> Box<dyn GatewayTunnel + Send> {
    Box::new(GatewaySession::new(rng, now))
}

/// An oNCP gateway session for a request whose head the HTTP layer
/// already parsed (so it is parsed once), with the bytes after the head.
/// `oncp_disabled`: answer the hostname packet with status 8 and end, as
/// a Pulse gateway with oNCP switched off does.
pub fn gateway_for_request(
    head: &RequestHead,
    rest: &[u8],
    rng: Box<dyn Random + Send>,
    now: Instant,
    oncp_disabled: bool,
) -> Box<dyn GatewayTunnel + Send> {
    let mut s = GatewaySession::new(rng, now);
    if oncp_disabled {
        s.set_status(Status::ONCP_DISABLED);
    }
    s.handle_request(now, head, rest);
    Box::new(s)
}
