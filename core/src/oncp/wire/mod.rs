//! The oNCP wire format inside the TLS stream (spec/oncp.md §2–§6):
//! records, KMP messages, TLVs, the configuration, ESP key messages, client
//! controls, the preamble records, and the tunnel-opening HTTP exchange.
//!
//! Parsers (built on nom) take byte slices and return owned, typed values
//! or borrowed views, or a [`WireError`] saying what was wrong and where
//! (offset, KMP message type, TLV id); every length is checked against a
//! limit before anything is allocated. Each type that can be
//! sent has an `emit`/`to_*` counterpart producing the exact bytes.

pub mod config;
pub mod control;
pub mod data;
pub mod error;
pub mod esp_key;
pub mod http;
pub mod kmp;
pub mod kmp_type;
mod parse;
pub mod preamble;
pub mod record;
pub mod stream;
pub mod tlv;

pub use config::{CipherCode, Config, ConfigValues, EspSettings, MacCode, Route, UnknownTlv};
pub use control::Control;
pub use error::{WireError, WireErrorKind};
pub use esp_key::{EspKeys, ServerRekey};
pub use kmp::{KmpHeader, KmpMessage, Sender};
pub use kmp_type::KmpType;
pub use preamble::{HostnamePacket, Status};
pub use record::{Record, TerminationReason};
pub use stream::{StreamDecoder, StreamItem, StreamKind};
