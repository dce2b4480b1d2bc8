//! The sans-IO client and gateway session state machines.
//!
//! [`ClientSession`] and [`GatewaySession`] hold every protocol decision:
//! the tunnel request, setup messages, ESP keys, probes, dead-peer
//! detection, fallback to TLS, rekeys, LZO, termination. They read no
//! clock and touch no socket: the driver passes time in as
//! [`crate::time::Instant`], feeds bytes in and drains the `poll_*`
//! outputs (the pattern of quinn-proto's `Connection`).

mod client;
mod esp_link;
mod event;
mod gateway;
mod ip;
mod options;
pub mod probe;

pub use client::ClientSession;
pub use event::{
    ClientEvent, DisconnectReason, EspDownReason, GatewayEvent, SessionStats, Transport,
};
pub use gateway::{COOKIE_REJECTED_RESPONSE, CookieCheck, GatewaySession, NOT_FOUND_RESPONSE};
pub use options::{ClientOptions, GatewaySessionConfig};
