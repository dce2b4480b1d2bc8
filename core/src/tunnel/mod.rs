//! The protocol-neutral tunnel layer: what every VPN protocol (oNCP now,
//! Pulse next) gives its driver, so the native client, gateway, demo,
//! netcfg and scripts never name a protocol's own types.
//!
//! - [`TunnelConfig`]: addresses, routes, DNS, WINS, MTU and ESP settings
//!   of a tunnel, plus the attributes a protocol sent that it does not
//!   model ([`TunnelConfig::extra`]).
//! - [`Output`]: one output per poll, quinn-style — TLS bytes, a UDP
//!   datagram, an IP packet for the TUN device, or an event — written into
//!   a buffer the caller gives (and gets back), so buffers are reused.
//! - [`ClientTunnel`] and [`GatewayTunnel`]: the sans-IO session traits.
//!   A gateway decides itself whether a tunnel request is accepted: the
//!   session reports [`GatewayEvent::TunnelRequested`] with the cookie and
//!   waits for [`GatewayTunnel::accept`] or [`GatewayTunnel::reject`].
//! - [`LoginAnswer`] and [`LoginStep`]: a sign-in held on the tunnel
//!   connection (Pulse), decided step by step by the driver.
//! - [`OutputQueue`]: the queues and the buffer pool behind `poll_output`,
//!   shared by the protocol implementations.
//! - [`esp_link`], [`probe`], [`ip`]: the ESP half of a session (SAs each
//!   way, the previous inbound SA during a rekey's grace, LZO), the
//!   client's probing/dead-peer schedule and the whole-packet check,
//!   shared by oNCP and Pulse.

mod config;
pub(crate) mod esp_link;
mod event;
pub(crate) mod ip;
mod login;
pub(crate) mod open_batch;
mod output;
pub mod probe;
mod prompt;
mod seal_queue;
mod traits;

pub use config::{EspConfig, Extra, IfAddr, Prefix, TunnelConfig};
pub use event::{
    ClientEvent, DisconnectReason, EspDownReason, GatewayEvent, RejectReason, SessionStats,
    Transport, TunnelRequest,
};
pub use login::{LoginAnswer, LoginStep, OpenSession};
pub use output::{Output, OutputQueue};
pub use prompt::{ChoiceKind, LoginChoice, LoginPrompt, LoginReply, SessionCookie};
pub use traits::{ClientTunnel, GatewayTunnel};
