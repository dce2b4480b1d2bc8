//! `oncp-core`: the protocol core of oncp, a Juniper SSL VPN "Network Connect"
//! (oNCP) implementation.
//!
//! This crate is `#![no_std]` + `alloc` and **sans-IO**: it never touches a
//! socket, a file or a clock. Callers feed bytes and time in and take bytes,
//! packets and events out. The same code runs natively (the `oncp` binary)
//! and in the browser (`oncp-wasm`).
//!
//! Layers, bottom up:
//! - [`esp`]: ESP over UDP (AES-CBC + HMAC-96), replay window, probes.
//! - [`lzo`]: LZO1X decompression and compression.
//! - [`netpkt`]: checked views of IPv4/IPv6 headers and echo tools.
//! - [`tunnel`]: the protocol-neutral layer — configuration, outputs,
//!   events and the client and gateway session traits.
//! - [`oncp`]: the oNCP protocol — its wire format ([`oncp::wire`]) and
//!   its client and gateway state machines ([`oncp::session`]).
//! - [`pulse`]: the Pulse IF-T/TLS protocol's codecs (spec/pulse.md).
//! - [`trace`]: decoding a capture (pcap/pcapng + TLS key log) into oNCP
//!   events.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(missing_docs))]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod esp;
pub mod explain;
pub mod lzo;
pub mod netpkt;
pub mod offload;
pub mod oncp;
pub mod pulse;
pub mod rng;
pub mod time;
pub mod trace;
pub mod tunnel;
