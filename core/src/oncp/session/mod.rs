//! The sans-IO client and gateway session state machines.
//!
//! [`ClientSession`] and [`GatewaySession`] hold every protocol decision:
//! the tunnel request, setup messages, ESP keys, probes, dead-peer
//! detection, fallback to TLS, rekeys, LZO, termination. They read no
//! clock and touch no socket: the driver passes time in as
//! [`crate::time::Instant`], feeds bytes in and drains `poll_output`
//! (the pattern of quinn-proto's `Connection`). They implement the
//! protocol-neutral [`ClientTunnel`] and [`GatewayTunnel`] of
//! [`crate::tunnel`]; [`tunnel_config`] is the one mapping from oNCP's
//! configuration values to the neutral [`TunnelConfig`].
//!
//! Where OpenConnect 9.01 is weak (spec/oncp.md §14) the client does
//! better: ESP is probed again after a TLS reconnect, after a DPD failure
//! and after a UDP error, on 9.10's schedule (five probes a second apart,
//! then again a minute after the attempt began); the previous inbound SA
//! stays usable after a rekey until the peer has switched (bounded in
//! time), not only for 32 packets; expired outbound keys that the gateway
//! did not renew lead to a reconnect when ESP carried the data (the TLS
//! path may have died silently). Only whole IP packets are sent.

mod client;
mod gateway;
mod options;
mod tls_data;
mod tunnel_config;

pub use crate::tunnel::{
    ClientEvent, ClientTunnel, DisconnectReason, EspDownReason, GatewayEvent, GatewayTunnel,
    Output, RejectReason, SessionStats, Transport, TunnelConfig,
};
pub use client::{ClientSession, SETUP_TIMEOUT};
pub use gateway::{COOKIE_REJECTED_RESPONSE, GatewaySession, NOT_FOUND_RESPONSE};
pub use options::{ClientOptions, GatewaySessionConfig};
pub use tunnel_config::{config_values, tunnel_config};
