//! `oncp`: the native shell of oncp — a Juniper SSL VPN "Network Connect"
//! (oNCP) client, a bundled test gateway and a trace decoder.
//!
//! All protocol logic lives in [`oncp_core`]; this crate moves bytes
//! between core's sans-IO sessions and tokio sockets, rustls, a TUN device,
//! the routing table and signals.

pub mod auth;
pub mod cli;
pub mod client;
pub mod demo;
pub mod dns;
pub mod esp_batch;
pub mod esp_socket;
pub mod gateway;
pub mod logging;
pub mod login;
pub mod netcfg;
pub mod oncp_adapter;
pub mod privileges;
pub mod pulse_adapter;
pub mod runstate;
pub mod runtime;
pub mod sha1_lanes;
pub mod sso;
pub mod tls;
pub mod tun;
