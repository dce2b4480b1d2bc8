//! Pulse Connect Secure "IF-T/TLS" (spec/pulse.md), the sibling of oNCP
//! that Pulse/Ivanti gateways speak on the same HTTPS port: an HTTP
//! upgrade, then IF-T messages carrying an EAP login, the configuration,
//! ESP keys and IP packets over TLS.
//!
//! Sans-IO codecs, bottom up:
//! - [`ift`]: the 16-byte IF-T header and whole messages; [`deframer`]
//!   cuts a byte stream into messages with a length limit checked before
//!   anything is buffered.
//! - [`version`], [`control`]: version negotiation and the small Juniper
//!   messages (client information, `ncmo=1`, end of configuration, IP
//!   data, fatal error, licence, logout).
//! - [`eap`], [`avp`], [`auth`]: EAP inside IF-T, the AVPs, and the login
//!   requests and answers.
//! - [`config`]: the main configuration, ESP keys and their typed values.
//! - [`message`]: decoding any IF-T message into a typed [`Message`].
//!
//! Every parser returns a typed [`PulseError`] on bad input; unknown
//! AVPs, attributes and message types are kept with their raw bytes.

pub mod auth;
pub mod avp;
pub mod config;
pub mod control;
pub mod deframer;
pub mod eap;
pub mod error;
pub mod http;
pub mod ift;
pub mod message;
mod parse;
pub mod secret;
pub mod session;
pub mod version;

pub use deframer::{Deframer, Framed};
pub use error::{PulseError, PulseErrorKind};
pub use ift::{IftHeader, IftMessage, MessageType, Vendor};
pub use message::{Message, Sender};
pub use secret::Secret;
