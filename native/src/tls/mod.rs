//! TLS: rustls by default, OpenSSL as the legacy backend (feature
//! `legacy-tls`) for gateways rustls cannot talk to; the client's trust
//! and certificate pins, the gateway's identity, and one stream type per
//! side whatever library carries it.

pub mod acceptor;
pub mod backend;
pub mod client;
pub mod error;
#[cfg(feature = "legacy-tls")]
pub mod legacy_client;
#[cfg(feature = "legacy-tls")]
pub mod legacy_http;
#[cfg(feature = "legacy-tls")]
pub mod legacy_server;
#[cfg(all(test, feature = "legacy-tls"))]
mod legacy_tests;
pub mod options;
pub mod pin;
mod rustls_verify;
pub mod server;
pub mod stream;
#[cfg(test)]
pub(crate) mod test_server;
