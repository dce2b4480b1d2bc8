//! Trace decoding: capture + TLS key log → TCP → TLS → oNCP → ESP → inner packets.
//!
//! - [`capture`]: streaming pcap/pcapng reader.
//! - [`link`]: Ethernet (VLAN), Linux cooked SLL/SLL2, raw IP, BSD loopback.
//! - [`net`]: IPv4/IPv6 with fragment reassembly, UDP, TCP reassembly.
//! - [`tls`]: passive TLS decryption with an NSS key log.
//! - [`Decoder`]: all of it, sans-IO, as a stream of [`Event`]s.

pub mod capture;
mod decoder;
mod direction;
mod error;
mod event;
mod event_json;
pub mod link;
pub mod net;
pub mod tls;

pub use decoder::{Decoder, DecoderOptions, UserSa, UserSaError};
pub use direction::Direction;
pub use error::TraceError;
pub use event::{Event, Field, Layer, Plaintext, Value};
